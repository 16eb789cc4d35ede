"""The contract every exchange format follows, and the guards all readers share.

A format is a :class:`FormatSpec` with an explicit id and two pure functions:

- ``write(view, out) -> Report`` writes the annotations of a
  :class:`ProjectView` into the existing, empty folder ``out`` and reports
  what it wrote and everything it could not represent;
- ``read(path, context) -> ImportResult`` reads a file or folder into plain
  :class:`ImportedImage` records and lists what it could not take.

Neither touches the project store: the project turns an import result into
annotations (all or nothing) and wraps an export into a deliverable.

File names in every format are POSIX paths relative to an images root (the
project's stored paths); readers pass every name through :func:`safe_name`,
so ``../`` or absolute paths never reach the project.

>>> safe_name("media/a.jpg", "x.json")
'media/a.jpg'
>>> safe_name("../etc/passwd", "x.json")
Traceback (most recent call last):
...
annotator.errors.FormatError: x.json: file name '../etc/passwd' leaves the images folder
"""

from __future__ import annotations

import json
import math
import os
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from annotator.errors import AnnotatorError, FormatError
from annotator.model import Annotation, AttributeSpec, Item, LabelSchema
from annotator.shapes import Geometry

__all__ = [
    "MAX_INPUT_BYTES",
    "ExportItem",
    "FormatSpec",
    "ImportContext",
    "ImportResult",
    "ImportedImage",
    "ImportedShape",
    "ProjectView",
    "Report",
    "Skipped",
    "attribute_text",
    "attributes_json",
    "check_input_size",
    "check_labels",
    "finite",
    "head_of",
    "read_json",
    "read_xml",
    "safe_name",
    "shape_or_error",
    "text_of",
    "typed_attribute",
    "unique_names",
]

#: Annotation files above this size are refused before they are read; a
#: 1,000,000-polygon COCO file is about 300 MB.  ``ANNOTATOR_MAX_INPUT_BYTES``
#: overrides it.
MAX_INPUT_BYTES = 1 << 30


# -- what goes out ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportItem:
    """One item as an exporter sees it: the media facts, its name, its shapes."""

    item: Item
    file_name: str
    annotations: tuple[Annotation, ...]

    @property
    def width(self) -> int:
        return int(self.item.width or 0)

    @property
    def height(self) -> int:
        return int(self.item.height or 0)


@dataclass(frozen=True)
class ProjectView:
    """What an export may read: the schema and the items to write, in order.

    ``source`` is called once per pass, so an exporter that needs two passes
    over 100,000 items does not hold them all in memory.
    """

    schema: LabelSchema
    source: Callable[[], Iterable[ExportItem]]
    count: int
    #: settings for the format, by the names its :attr:`FormatSpec.options` lists
    #: (e.g. ``{"calib": Path}`` for KITTI)
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_items(cls, schema: LabelSchema, items: Sequence[ExportItem],
                   options: Mapping[str, Any] | None = None) -> ProjectView:
        frozen = tuple(items)
        return cls(schema, lambda: frozen, len(frozen), dict(options or {}))

    def items(self) -> Iterator[ExportItem]:
        return iter(self.source())

    def category_id(self, label: str) -> int:
        """1-based, stable id of a class: its place in the schema."""
        return self.schema.names.index(label) + 1


@dataclass(frozen=True)
class Skipped:
    """An annotation an export could not represent, and why."""

    file_name: str
    annotation_id: int | None
    label: str
    kind: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file_name, "annotation": self.annotation_id,
                "label": self.label, "kind": self.kind, "reason": self.reason}


@dataclass
class Report:
    """What an export wrote: images, annotations per class, files, and what it skipped.

    ``files`` are the paths written, relative to the output folder.  A
    converted annotation counts as written; a skipped one does not.
    """

    format: str
    images: int = 0
    written: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    converted: list[Skipped] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def wrote(self, annotation: Annotation) -> None:
        self.written[annotation.label] += 1

    def convert(self, export_item: ExportItem, annotation: Annotation, how: str) -> None:
        """Written, but not as the vector it is (e.g. a polygon with holes as a mask)."""
        self.converted.append(Skipped(export_item.file_name, annotation.id, annotation.label,
                                      annotation.kind, how))

    def skip(self, export_item: ExportItem, annotation: Annotation, reason: str) -> None:
        self.skipped.append(Skipped(export_item.file_name, annotation.id, annotation.label,
                                    annotation.kind, reason))

    def check(self, view: ProjectView) -> None:
        """Every annotation of the view was written or reported skipped, once."""
        expected: Counter[str] = Counter()
        images = 0
        for export_item in view.items():
            images += 1
            expected.update(a.label for a in export_item.annotations)
        accounted = self.written + Counter(s.label for s in self.skipped)
        if images != self.images or +expected != +accounted:
            raise FormatError(
                f"{self.format} export: counts do not add up (items {images} vs {self.images}, "
                f"annotations {sum(expected.values())} vs {sum(accounted.values())}); "
                "nothing was kept")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "images": self.images,
            "annotations": sum(self.written.values()),
            "by_class": dict(sorted(self.written.items())),
            "skipped": [s.to_json() for s in self.skipped],
            "converted": [s.to_json() for s in self.converted],
            "files": sorted(self.files),
        }


# -- what comes in ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedShape:
    """One shape read from a file.

    ``key`` names the shape within its import (e.g. ``"w12"`` for an OSM way)
    so that other shapes of the same import can link to it: ``links`` maps a
    link name to such a key, a leading ``"-"`` meaning the target is used
    reversed.  The project stores them as :attr:`Annotation.links` with the
    new annotation ids (negative for reversed).
    """

    label: str
    geometry: Geometry
    attributes: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    links: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ImportedImage:
    """The shapes a file gives for one image; ``width``/``height`` when it says them."""

    file_name: str
    width: int | None = None
    height: int | None = None
    shapes: list[ImportedShape] = field(default_factory=list)


@dataclass
class ImportResult:
    format: str
    images: list[ImportedImage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def shape_count(self) -> int:
        return sum(len(i.shapes) for i in self.images)


@dataclass(frozen=True)
class ImportContext:
    """What a reader may ask of the project: the schema, and an item by file name.

    ``lookup`` answers the item an imported file name refers to (by stored
    path, else by a unique base name), or None.  Readers of normalised formats
    (YOLO) take image sizes from it.
    """

    schema: LabelSchema
    lookup: Callable[[str], Item | None] = lambda name: None
    #: settings for the format, as in :attr:`ProjectView.options`
    options: Mapping[str, Any] = field(default_factory=dict)
    #: every item of the project, for readers that place shapes by position
    #: (a map feature goes to the point-cloud tile whose origin is nearest)
    items: Callable[[], Sequence[Item]] = lambda: ()


@dataclass(frozen=True)
class FormatSpec:
    """A registered exchange format.

    ``kinds`` are the geometry kinds it can hold; the rest is skipped and
    reported on export.  ``detect`` says whether a path looks like this
    format (cheaply, without reading it all).
    """

    id: str
    title: str
    read: Callable[[Path, ImportContext], ImportResult]
    write: Callable[[ProjectView, Path], Report]
    detect: Callable[[Path], bool]
    kinds: frozenset[str]
    extensions: tuple[str, ...] = ()
    #: the item kind the format annotates: "image" or "pointcloud"
    media: str = "image"
    #: names of the settings the format takes (``ProjectView.options``,
    #: ``ImportContext.options``); the CLI refuses others
    options: tuple[str, ...] = ()


# -- guards for readers ----------------------------------------------------------------------


def _limit() -> int:
    raw = os.environ.get("ANNOTATOR_MAX_INPUT_BYTES")
    if raw:
        try:
            return max(int(raw), 1)
        except ValueError:
            pass
    return MAX_INPUT_BYTES


def check_input_size(path: Path) -> int:
    """Refuse what is not a regular file, or too large to be an annotation file."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise FormatError(f"{path}: not a file")
    limit = _limit()
    if stat.st_size > limit:
        raise FormatError(f"{path}: {stat.st_size:,} bytes is more than the {limit:,} bytes "
                          "an annotation file may have")
    return stat.st_size


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def head_of(path: Path, size: int) -> bytes | None:
    """The first ``size`` bytes of a file without a BOM or leading white space, for a
    detector's cheap look; None when it cannot be read."""
    try:
        with path.open("rb") as handle:
            head = handle.read(size)
    except OSError:
        return None
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")


def read_json(path: Path) -> Any:
    """Parse a JSON file; errors name the file, line and column."""
    check_input_size(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
                          ) from None
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"{path}: not valid JSON ({exc})") from None


def read_xml(path: Path) -> Element:
    """Parse an XML file with defusedxml: no DTDs, no entities, no external references."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    check_input_size(path)
    try:
        root: Element = SafeET.parse(str(path), forbid_dtd=True).getroot()
    except DefusedXmlException as exc:
        raise FormatError(f"{path}: XML refused ({type(exc).__name__}: DTDs and entities "
                          "are not accepted)") from None
    except SafeET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise FormatError(f"{path}:{line}:{column}: not valid XML ({exc})") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return root


def single_file(path: Path, name: str, suffix: str) -> Path:
    """The file a reader reads: ``path`` itself, or in a folder the file ``name``, else
    its one ``*suffix`` file (none or several is a one-line error)."""
    if not path.is_dir():
        return path
    if (path / name).is_file():
        return path / name
    found = sorted(path.glob(f"*{suffix}"))
    if len(found) != 1:
        raise FormatError(f"{path}: no {name} here" if not found else
                          f"{path}: {len(found)} {suffix} files here; name one")
    return found[0]


def safe_name(name: Any, where: str) -> str:
    """A file name as written in an annotation file, made a safe relative POSIX path."""
    if not isinstance(name, str) or not name.strip():
        raise FormatError(f"{where}: file name {name!r} is not a name")
    if "\x00" in name:
        raise FormatError(f"{where}: file name {name!r} holds a NUL byte")
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise FormatError(f"{where}: file name {name!r} is absolute; names must be relative "
                          "to the images folder")
    normal = posixpath.normpath(text)
    if normal == ".." or normal.startswith("../"):
        raise FormatError(f"{where}: file name {name!r} leaves the images folder")
    return normal


def finite(value: Any, where: str, limit: float = 1e9) -> float:
    """A coordinate read from a file: a real, finite number of sane size."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FormatError(f"{where}: {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise FormatError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number) or abs(number) > limit:
        raise FormatError(f"{where}: {value!r} is not a usable coordinate")
    return number


def shape_or_error(make: Callable[[], Geometry], where: str) -> Geometry:
    """Build a geometry; a refusal by the shape types names the place it came from."""
    try:
        return make()
    except AnnotatorError as exc:
        raise FormatError(f"{where}: {exc}") from None


def text_of(element: Element | None, where: str) -> str:
    if element is None or element.text is None:
        raise FormatError(f"{where}: missing")
    return element.text.strip()


def attributes_json(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes as JSON-safe plain values, keys sorted."""
    return {str(k): values[k] for k in sorted(values)}


def unique_names(items: Iterable[ExportItem]) -> None:
    """Exports key files by name: two items with one name would overwrite each other."""
    seen: set[str] = set()
    for export_item in items:
        if export_item.file_name in seen:
            raise FormatError(f"two items share the file name {export_item.file_name!r}")
        seen.add(export_item.file_name)


# -- attributes and classes, shared by the readers and writers of text formats ---------------


def attribute_text(value: Any) -> str:
    """An attribute value as the text an XML or CSV format holds (see :func:`typed_attribute`).

    >>> [attribute_text(v) for v in (True, 3, 0.1, "red")]
    ['true', '3', '0.1', 'red']
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return value if isinstance(value, str) else repr(value)
    return json.dumps(value, sort_keys=True, default=str)


def typed_attribute(spec: AttributeSpec | None, value: Any, where: str) -> Any:
    """An attribute value read from a file, typed as the schema declares it.

    Text formats hold every value as text; JSON formats may hold ``"true"`` for
    a bool.  Values of attributes the schema does not declare stay as they are.

    >>> typed_attribute(AttributeSpec("parked", "bool"), "True", "x.xml")
    True
    >>> typed_attribute(AttributeSpec("lanes", "int"), "3", "x.xml")
    3
    >>> typed_attribute(AttributeSpec("lanes", "int"), "many", "x.xml")
    Traceback (most recent call last):
    ...
    annotator.errors.FormatError: x.xml: attribute 'lanes' is 'many', not a whole number
    """
    if spec is None or value is None:
        return value
    if spec.type == "bool":
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "1.0"):
            return True
        if text in ("false", "0", "no", "0.0"):
            return False
        raise FormatError(f"{where}: attribute {spec.name!r} is {value!r}, not true or false")
    if spec.type in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise FormatError(f"{where}: attribute {spec.name!r} is {value!r}, not a number")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if spec.type == "int":
            if isinstance(value, int):
                return value
            if not math.isfinite(number) or not number.is_integer():
                raise FormatError(f"{where}: attribute {spec.name!r} is {value!r}, "
                                  "not a whole number")
            return int(number)
        if not math.isfinite(number):
            raise FormatError(f"{where}: attribute {spec.name!r} is {value!r}, "
                              "not a finite number")
        return number
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def check_labels(result: ImportResult, schema: LabelSchema, source: Path | str) -> None:
    """Refuse an import naming classes the schema lacks: the project cannot take them."""
    first: dict[str, str] = {}
    for image in result.images:
        for shape in image.shapes:
            if shape.label not in schema:
                first.setdefault(shape.label, image.file_name)
    if first:
        names = sorted(first)
        shown = ", ".join(f"{name!r} (first on {first[name]})" for name in names[:10])
        more = f" and {len(names) - 10} more" if len(names) > 10 else ""
        raise FormatError(f"{source}: classes not in the schema: {shown}{more}; "
                          "add them to the schema or rename them; nothing was imported")
