"""Assist plugins: the contract between the editor and a proposal maker.

An *assist* turns a prompt (a box, clicks, the selected shapes) on one item
into proposed shapes that the user accepts or rejects.  Assists are found
through the ``annotator.assists`` entry-point group; each entry point names a
class (instantiated with no arguments) or an instance with the attributes of
:class:`Assist`.  See ``plugins/README.md`` for how to write and package one.

Nothing here imports Qt: the editor runs :func:`run` on a worker thread, and
scripts and tests call it directly.

Coordinates are those the project stores: image pixels on images, WORLD
metres (project CRS x, y; float64) on point-cloud tiles.

>>> import numpy as np
>>> from annotator.model import LabelClass, LabelSchema, Item
>>> from annotator.shapes import Box
>>> class Grow:
...     id, title, media, prompt, settings = "grow", "Grow a box", "image", "box", {}
...     def propose(self, request):
...         x0, y0, x1, y1 = request.prompt.box
...         return [Proposal(request.label, Box.from_corners(x0 - 1, y0 - 1, x1 + 1, y1 + 1))]
>>> schema = LabelSchema("s", (LabelClass("car", "#ff0000", ("box",)),))
>>> item = Item(1, "a.png", "image", "png", sha256="", size_bytes=0, width=10, height=10)
>>> request = AssistRequest(item, "car", schema, Prompt("box", box=(2, 2, 5, 5)))
>>> run(Grow(), request)[0].geometry.to_json()
{'kind': 'box', 'coords': [1.0, 1.0, 6.0, 6.0]}
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from annotator.errors import AnnotatorError, Cancelled
from annotator.media.pointcloud import PointCloud
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import KINDS_2D, KINDS_3D, Geometry, Point

__all__ = [
    "ASSIST_GROUP",
    "MEDIA",
    "PROMPTS",
    "SETTING_TYPES",
    "Assist",
    "AssistEntry",
    "AssistError",
    "AssistRequest",
    "Cancelled",
    "Prompt",
    "Proposal",
    "Registry",
    "SettingSpec",
    "discover",
    "resolve_settings",
    "run",
    "snap_point",
]

ASSIST_GROUP = "annotator.assists"
MEDIA = ("image", "pointcloud")
PROMPTS = ("box", "click", "selection", "none")
SETTING_TYPES = ("int", "float", "bool", "path", "text")


class AssistError(AnnotatorError):
    """An assist failed or proposed something the project cannot hold: ``"<id>: <why>"``."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    if isinstance(exc, AnnotatorError) and text:
        return text
    return f"{name}: {text}" if text else name


# ------------------------------------------------------------------ values


@dataclass(frozen=True, eq=False)
class Prompt:
    """What the user pointed at.

    ``kind`` is "box" (``box`` = x0, y0, x1, y1), "click" (``points`` (n, 2)
    with ``labels`` 1 = foreground, 0 = background), "selection" (the request's
    ``selected`` annotations) or "none".
    """

    kind: str
    box: tuple[float, float, float, float] | None = None
    points: npt.NDArray[np.float64] | None = None
    labels: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        if self.kind not in PROMPTS:
            raise AssistError(f"prompt: unknown kind {self.kind!r} (one of {', '.join(PROMPTS)})")
        if self.kind == "box":
            if self.box is None or len(self.box) != 4:
                raise AssistError("prompt: a box prompt needs box = (x0, y0, x1, y1)")
            x0, y0, x1, y1 = (float(v) for v in self.box)
            if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
                raise AssistError("prompt: box corners must be finite numbers")
            object.__setattr__(self, "box", (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        if self.points is not None or self.kind == "click":
            points = np.array(self.points if self.points is not None else [], dtype=np.float64)
            points = points.reshape(-1, 2)
            if self.kind == "click" and not len(points):
                raise AssistError("prompt: a click prompt needs at least one point")
            if not np.isfinite(points).all():
                raise AssistError("prompt: click points must be finite numbers")
            points.setflags(write=False)
            labels = (np.ones(len(points), dtype=np.int64) if self.labels is None
                      else np.array(self.labels, dtype=np.int64).reshape(-1))
            if len(labels) != len(points):
                raise AssistError(f"prompt: {len(points)} points but {len(labels)} labels")
            labels.setflags(write=False)
            object.__setattr__(self, "points", points)
            object.__setattr__(self, "labels", labels)


def _always(_fraction: float) -> bool:
    return True


@dataclass
class AssistRequest:
    """Everything an assist may look at.  Read it; don't change it."""

    item: Item
    label: str
    schema: LabelSchema
    prompt: Prompt
    image: npt.NDArray[np.uint8] | None = None
    cloud: PointCloud | None = None
    annotations: Sequence[Annotation] = ()
    selected: Sequence[int] = ()
    next_item: Item | None = None
    next_image: npt.NDArray[np.uint8] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    progress: Callable[[float], bool] = _always


@dataclass(frozen=True)
class Proposal:
    """One proposed shape; ``item_id`` None means the request's item."""

    label: str
    geometry: Geometry
    attributes: Mapping[str, Any] = field(default_factory=dict)
    score: float | None = None
    item_id: int | None = None


@dataclass(frozen=True)
class SettingSpec:
    """One user setting of an assist (shown in its settings dialog).

    ``type`` is "int", "float", "bool", "path" or "text"; ``minimum`` and
    ``maximum`` bound numbers (a slider when both are given).

    >>> SettingSpec("float", 0.5, 0.0, 1.0).coerce("2")
    1.0
    >>> SettingSpec("int", 8, 1, 64).coerce("nonsense")
    8
    """

    type: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in SETTING_TYPES:
            raise AssistError(f"setting: unknown type {self.type!r} "
                              f"(one of {', '.join(SETTING_TYPES)})")

    def coerce(self, value: Any) -> Any:
        """``value`` (perhaps a string from QSettings) as this type, clamped; else the default."""
        try:
            if self.type == "bool":
                if isinstance(value, str):
                    return value.strip().lower() in ("1", "true", "yes", "on")
                return bool(value)
            if self.type in ("path", "text"):
                return "" if value is None else str(value)
            number = float(value)
            if not math.isfinite(number):
                return self.default
            if self.minimum is not None:
                number = max(number, float(self.minimum))
            if self.maximum is not None:
                number = min(number, float(self.maximum))
            return round(number) if self.type == "int" else number
        except (TypeError, ValueError):
            return self.default


@runtime_checkable
class Assist(Protocol):
    """What an ``annotator.assists`` entry point gives (a class or an instance)."""

    id: str
    title: str
    media: str
    prompt: str
    settings: Mapping[str, SettingSpec]

    def propose(self, request: AssistRequest) -> list[Proposal]: ...


# ---------------------------------------------------------------- discovery


@dataclass(frozen=True)
class AssistEntry:
    """One entry point: a loaded assist, or why it could not be loaded."""

    id: str
    source: str
    assist: Assist | None = None
    error: str | None = None

    @property
    def title(self) -> str:
        return self.assist.title if self.assist is not None else self.id


@dataclass(frozen=True)
class Registry:
    """Every installed assist, loaded or not, in id order."""

    entries: tuple[AssistEntry, ...] = ()
    #: ids installed more than once: the entry point that lost (the first on sys.path wins)
    shadowed: Mapping[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[AssistEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def assists(self, media: str | None = None) -> list[Assist]:
        """The loaded assists (for one ``media`` when given)."""
        return [e.assist for e in self.entries
                if e.assist is not None and (media is None or e.assist.media == media)]

    @property
    def errors(self) -> dict[str, str]:
        return {e.id: e.error for e in self.entries if e.error is not None}

    def find(self, assist_id: str) -> Assist | None:
        for entry in self.entries:
            if entry.id == assist_id:
                return entry.assist
        return None

    def get(self, assist_id: str) -> Assist:
        for entry in self.entries:
            if entry.id == assist_id:
                if entry.assist is None:
                    raise AssistError(f"{assist_id}: {entry.error}")
                return entry.assist
        known = ", ".join(e.id for e in self.entries if e.assist is not None) or "none installed"
        raise AssistError(f"unknown assist {assist_id!r} (known: {known})")


def _shape_problem(candidate: Any, name: str) -> str | None:
    for attr in ("id", "title", "media", "prompt"):
        value = getattr(candidate, attr, None)
        if not isinstance(value, str) or not value.strip():
            return f"has no {attr} (a non-empty text)"
    if candidate.id != name:
        return f"calls itself {candidate.id!r}; the entry point is named {name!r}"
    if candidate.media not in MEDIA:
        return f"media {candidate.media!r} is not one of {', '.join(MEDIA)}"
    if candidate.prompt not in PROMPTS:
        return f"prompt {candidate.prompt!r} is not one of {', '.join(PROMPTS)}"
    if not callable(getattr(candidate, "propose", None)):
        return "has no propose(request) method"
    settings = getattr(candidate, "settings", {})
    if not isinstance(settings, Mapping) or not all(
            isinstance(k, str) and isinstance(v, SettingSpec) for k, v in settings.items()):
        return "settings must map names to SettingSpec"
    return None


def _load(point: EntryPoint) -> AssistEntry:
    source = point.value
    try:
        loaded = point.load()
        candidate = loaded() if isinstance(loaded, type) else loaded
    except Exception as exc:  # a broken plugin must not take the others down
        return AssistEntry(point.name, source, error=f"failed to load: {_one_line(exc)}")
    problem = _shape_problem(candidate, point.name)
    if problem is not None:
        return AssistEntry(point.name, source, error=problem)
    if getattr(candidate, "settings", None) is None:
        try:
            candidate.settings = {}
        except AttributeError:
            return AssistEntry(point.name, source, error="settings must map names to SettingSpec")
    return AssistEntry(point.name, source, assist=candidate)


_REGISTRY: Registry | None = None


def discover(*, refresh: bool = False) -> Registry:
    """Load every ``annotator.assists`` entry point once (again with ``refresh``).

    A plugin that fails to import, or lacks ``id``/``title``/``media``/
    ``prompt``/``propose``, becomes an entry with a one-line ``error``; this
    never raises.  An id installed twice is taken from the distribution first
    on ``sys.path`` (the other is listed in :attr:`Registry.shadowed`).
    """
    global _REGISTRY
    if _REGISTRY is not None and not refresh:
        return _REGISTRY
    entries: dict[str, AssistEntry] = {}
    shadowed: dict[str, str] = {}
    for point in entry_points(group=ASSIST_GROUP):
        if point.name in entries:
            # Two installs of one id: the first on sys.path wins, as it would for a module.
            shadowed[point.name] = point.value
            continue
        entries[point.name] = _load(point)
    _REGISTRY = Registry(tuple(entries[name] for name in sorted(entries)), shadowed)
    return _REGISTRY


def resolve_settings(assist: Assist, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The assist's settings: ``stored`` values coerced and clamped, defaults for the rest."""
    specs = getattr(assist, "settings", None) or {}
    return {name: spec.coerce(stored[name]) if name in stored else spec.default
            for name, spec in specs.items()}


# ----------------------------------------------------------------- running


def _check(proposal: Any, request: AssistRequest) -> str | None:
    if not isinstance(proposal, Proposal):
        return f"is a {type(proposal).__name__}, not a Proposal"
    if proposal.label not in request.schema:
        return f"unknown class {proposal.label!r}"
    geometry = proposal.geometry
    if not isinstance(geometry, Geometry):
        return f"geometry is a {type(geometry).__name__}, not a shape"
    kind = geometry.kind
    if not request.schema.get(proposal.label).allows(kind):
        return f"class {proposal.label!r} does not allow {kind}"
    item_ids = {request.item.id, None}
    if request.next_item is not None:
        item_ids.add(request.next_item.id)
    if proposal.item_id not in item_ids:
        return f"item {proposal.item_id} is neither the request's item nor the next one"
    target = request.next_item if (proposal.item_id is not None and request.next_item is not None
                                   and proposal.item_id == request.next_item.id) else request.item
    wanted = KINDS_3D if target.kind == "pointcloud" else KINDS_2D
    if kind not in wanted:
        where = "a point-cloud tile" if target.kind == "pointcloud" else "an image"
        return f"a {kind} does not belong on {where} (item {target.id})"
    try:
        coords = np.asarray(geometry.to_json()["coords"], dtype=np.float64)
    except (TypeError, ValueError, KeyError):
        return "geometry coordinates are not numbers"
    if not np.isfinite(coords).all():
        return "coordinates must be finite numbers (found NaN or infinity)"
    if proposal.score is not None and not (isinstance(proposal.score, int | float)
                                           and math.isfinite(proposal.score)):
        return f"score {proposal.score!r} is not a finite number"
    if not isinstance(proposal.attributes, Mapping):
        return "attributes must be a mapping"
    label_class = request.schema.get(proposal.label)
    for name in proposal.attributes:
        if label_class.attribute(name) is None:
            return f"class {proposal.label!r} has no attribute {name!r}"
    return None


def run(assist: Assist, request: AssistRequest) -> list[Proposal]:
    """Ask ``assist`` for proposals and check each against the schema.

    Raises
    ------
    AssistError
        ``"<id>: <one line>"``: the assist raised, returned something that is
        not a list of :class:`Proposal`, or proposed a shape the project cannot
        hold (unknown class, kind the class does not allow, non-finite
        coordinates, wrong item).
    Cancelled
        The request's ``progress`` returned False (whether or not the assist
        noticed).
    """
    assist_id = getattr(assist, "id", "assist")
    if assist.prompt != "none" and request.prompt.kind != assist.prompt:
        raise AssistError(f"{assist_id}: needs a {assist.prompt} prompt, got {request.prompt.kind}")
    cancelled = False
    inner = request.progress

    def progress(fraction: float) -> bool:
        nonlocal cancelled
        value = float(fraction) if isinstance(fraction, int | float) else 0.0
        if not inner(min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0):
            cancelled = True
        return not cancelled

    try:
        result = assist.propose(dataclasses.replace(request, progress=progress))
    except Cancelled:
        raise
    except Exception as exc:  # the plugin's fault, told in one line
        raise AssistError(f"{assist_id}: {_one_line(exc)}") from exc
    if cancelled:
        raise Cancelled(f"{assist_id}: cancelled")
    if not isinstance(result, list | tuple):
        raise AssistError(f"{assist_id}: propose returned a {type(result).__name__}, "
                          f"not a list of proposals")
    for index, proposal in enumerate(result):
        problem = _check(proposal, request)
        if problem is not None:
            raise AssistError(f"{assist_id}: proposal {index + 1}: {problem}")
    return list(result)


def snap_point(assist: Assist, request: AssistRequest) -> npt.NDArray[np.float64] | None:
    """Run a snapping assist (``edge_snap``): the snapped ``(x, y)``, or None when nothing is near.

    The assist answers with at most one :class:`~annotator.shapes.Point`
    proposal; its class is not checked, since the point only moves a vertex.
    """
    assist_id = getattr(assist, "id", "assist")
    try:
        result = assist.propose(request)
    except Cancelled:
        raise
    except Exception as exc:
        raise AssistError(f"{assist_id}: {_one_line(exc)}") from exc
    if not isinstance(result, list | tuple) or len(result) > 1:
        raise AssistError(f"{assist_id}: a snap answers with at most one point proposal")
    if not result:
        return None
    proposal = result[0]
    if not isinstance(proposal, Proposal) or not isinstance(proposal.geometry, Point):
        raise AssistError(f"{assist_id}: a snap answers with a Point proposal")
    xy = np.array(proposal.geometry.vertices[0, :2], dtype=np.float64)
    if not np.isfinite(xy).all():
        raise AssistError(f"{assist_id}: snapped point is not finite")
    return xy
