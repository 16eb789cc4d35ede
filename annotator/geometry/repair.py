"""Repairs for validation findings, as undoable commands.

Each repair looks at one annotation and returns the command that fixes it
(push it on the project's :class:`~annotator.commands.CommandStack`), or
None when there is nothing to fix.  The map repairs (``connect_end``,
``swap_lanelet_sides``, ``reverse_lanelet``) also need the map annotations
around the shape (``context``: the lines and lanelets of its item and its
neighbours), since they join it to, or read, other features.  A repair that cannot keep anything of
the shape raises :class:`~annotator.errors.GeometryError` with a one-line
reason instead of deleting it.

>>> import numpy as np
>>> from annotator.model import Annotation, Polygon
>>> bow_tie = Polygon(np.array([[0, 0], [10, 10], [10, 0], [0, 10]]))
>>> command = make_valid(Annotation(12, 1, "car", bow_tie), "largest")
>>> command.label
'Repair polygon #12 (keep largest part)'
>>> repairs_for(Finding(1, 12, "polygon_invalid", "error", "...", (5.0, 5.0)))
['make_valid_largest', 'make_valid_split']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from annotator.commands import (
    AddAnnotations,
    ChangeAnnotations,
    Command,
    CompositeCommand,
    set_geometry,
)
from annotator.errors import GeometryError
from annotator.geometry._maps import DANGLING_REACH, boundaries_cross, lanelet_sides
from annotator.geometry._ragged import FloatArray
from annotator.geometry.mapnet import (
    KEY_GRID,
    LEFT,
    RIGHT,
    boundary_ref,
    is_lanelet,
    lanelet_polygon,
    orient_boundaries,
    point_key,
    snap,
)
from annotator.geometry.validate import Finding
from annotator.model import (
    Annotation,
    Box,
    Geometry,
    Item,
    Point,
    Polygon,
    Polygon3D,
    Polyline,
    Polyline3D,
    RotatedBox,
    Rules,
)

__all__ = [
    "REPAIRS",
    "clip_to_image",
    "connect_end",
    "drop_duplicate_vertices",
    "make_valid",
    "repair",
    "repairs_for",
    "reverse_lanelet",
    "swap_lanelet_sides",
]

#: Repair name -> what it does, in the words of its command label.
REPAIRS: dict[str, str] = {
    "make_valid_largest": "keep largest part",
    "make_valid_split": "split into parts",
    "clip_to_image": "clip to the image",
    "drop_duplicate_vertices": "drop duplicate vertices",
    "connect_end": "connect its loose end",
    "swap_lanelet_sides": "swap its sides",
    "reverse_lanelet": "reverse it",
}

_BY_RULE: dict[str, tuple[str, ...]] = {
    "polygon_invalid": ("make_valid_largest", "make_valid_split"),
    "outside_image": ("clip_to_image",),
    "duplicate_vertices": ("drop_duplicate_vertices",),
    "map_dangling_end": ("connect_end",),
    "lanelet_swapped": ("swap_lanelet_sides", "reverse_lanelet"),
}

#: Parts smaller than this share of the largest part are slivers, not shapes.
SLIVER = 1e-3


def repairs_for(finding: Finding) -> list[str]:
    """The repairs that can fix ``finding`` (names of :data:`REPAIRS`), best first."""
    if finding.annotation_id is None:
        return []
    if finding.rule == "outside_image" and finding.severity == "error":
        return []  # wholly outside: clipping would leave nothing
    return list(_BY_RULE.get(finding.rule, ()))


def repair(annotation: Annotation, name: str, item: Item,
           context: Sequence[Annotation] = (), rules: Rules | None = None) -> Command | None:
    """The command of repair ``name`` for ``annotation`` on ``item``; None: nothing to do.

    ``context`` holds the map annotations around it for the map repairs
    (``rules`` gives their snap tolerance; the defaults otherwise).
    """
    if name in ("connect_end", "swap_lanelet_sides", "reverse_lanelet") and not context:
        raise GeometryError(f"{_name(annotation)}: repair {name!r} needs the map annotations "
                            "around it")
    if name == "connect_end":
        return connect_end(annotation, context, (rules or Rules()).snap_tolerance)
    if name == "swap_lanelet_sides":
        return swap_lanelet_sides(annotation, context)
    if name == "reverse_lanelet":
        return reverse_lanelet(annotation, context)
    if name == "make_valid_largest":
        return make_valid(annotation, "largest")
    if name == "make_valid_split":
        return make_valid(annotation, "split")
    if name == "drop_duplicate_vertices":
        return drop_duplicate_vertices(annotation)
    if name == "clip_to_image":
        if item.kind != "image" or not item.width or not item.height:
            raise GeometryError(f"{item.path}: the image size is unknown; cannot clip to it")
        return clip_to_image(annotation, item.width, item.height)
    raise ValueError(f"unknown repair {name!r} (known: {', '.join(REPAIRS)})")


def _name(annotation: Annotation) -> str:
    number = f" #{annotation.id}" if annotation.id is not None else ""
    return f"{annotation.kind.replace('_', ' ')}{number}"


# -- make valid -------------------------------------------------------------------------------


def to_shapely(geometry: Geometry) -> Any:
    """The shapely object of a 2D shape (boxes and rotated boxes as polygons)."""
    if isinstance(geometry, Polygon):
        return shapely.Polygon(geometry.shell, list(geometry.holes))
    if isinstance(geometry, Box):
        return shapely.box(*geometry.corners.ravel())
    if isinstance(geometry, RotatedBox):
        return shapely.Polygon(geometry.vertices)
    if isinstance(geometry, Polyline):
        return shapely.LineString(geometry.points)
    if isinstance(geometry, Point) and geometry.dim == 2:
        return shapely.Point(geometry.points[0])
    raise GeometryError(f"{geometry.kind}: not a 2D image shape")


def _open(ring: Any) -> FloatArray:
    coords: FloatArray = shapely.get_coordinates(ring)[:-1]
    return coords


def _polygon(part: Any) -> Polygon:
    return Polygon(_open(part.exterior), tuple(_open(r) for r in part.interiors))


def _parts(geometry: Any, geom_type: str) -> list[Any]:
    """The parts of one type (Polygon, LineString) in a (nested) collection, largest first."""
    found = [p for p in shapely.get_parts(geometry) if p.geom_type == geom_type]
    for nested in shapely.get_parts(geometry):
        if nested.geom_type.startswith(("Multi", "GeometryCollection")):
            found += _parts(nested, geom_type)
    measure = shapely.area if geom_type == "Polygon" else shapely.length
    found = [p for p in found if measure(p) > 0]
    found.sort(key=lambda p: -float(measure(p)))
    if found:
        largest = float(measure(found[0]))
        found = [p for p in found if float(measure(p)) >= SLIVER * largest]
    return found


def _made_valid(geometry: Any) -> Any:
    try:
        return shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    except TypeError:  # shapely < 2.1 knows only the "linework" method
        return shapely.make_valid(geometry)


def make_valid(annotation: Annotation, mode: str) -> Command | None:
    """Make an invalid polygon valid; None when it is valid already.

    ``mode`` "largest" keeps the largest part; "split" keeps the largest part
    in this annotation and adds the others as new annotations of the same
    class and attributes, all as one undo step.  Slivers (parts below
    :data:`SLIVER` of the largest) are dropped.
    """
    if mode not in ("largest", "split"):
        raise ValueError(f"make_valid mode must be 'largest' or 'split', not {mode!r}")
    if not isinstance(annotation.geometry, Polygon):
        raise GeometryError(f"{_name(annotation)}: only polygons can be made valid")
    original = to_shapely(annotation.geometry)
    if shapely.is_valid(original):
        return None
    parts = _parts(_made_valid(original), "Polygon")
    if not parts:
        raise GeometryError(f"{_name(annotation)}: nothing of it has an area; delete it")
    largest = _polygon(parts[0])
    if mode == "largest" or len(parts) == 1:
        what = REPAIRS["make_valid_largest"] if mode == "largest" else "make valid"
        return set_geometry(annotation, largest, label=f"Repair {_name(annotation)} ({what})")
    label = f"Repair {_name(annotation)} (split into {len(parts)} parts)"
    change = set_geometry(annotation, largest, label=label)
    others = [
        Annotation(None, annotation.item_id, annotation.label, _polygon(part),
                   dict(annotation.attributes), author=annotation.author, z=annotation.z,
                   hidden=annotation.hidden, locked=annotation.locked)
        for part in parts[1:]
    ]
    return CompositeCommand([change, AddAnnotations(others, label)], label)


# -- clip to the image ------------------------------------------------------------------------


def clip_to_image(annotation: Annotation, width: float, height: float) -> Command | None:
    """Cut a shape back to the image ``[0, width] x [0, height]``; None when inside already.

    Boxes are clamped; polygons keep the largest part inside, polylines the
    longest.  Rotated boxes and points cannot be clipped and stay what they
    are: for those (and for shapes wholly outside) a GeometryError explains.
    """
    geometry = annotation.geometry
    if geometry.dim != 2:
        raise GeometryError(f"{_name(annotation)}: not an image shape")
    label = f"Repair {_name(annotation)} ({REPAIRS['clip_to_image']})"
    lo, hi = geometry.vertices.min(axis=0), geometry.vertices.max(axis=0)
    if (lo >= 0).all() and hi[0] <= width and hi[1] <= height:
        return None
    if isinstance(geometry, Box):
        clamped = np.clip(geometry.corners, 0, [width, height])
        if (clamped[1] <= clamped[0]).any():
            raise GeometryError(f"{_name(annotation)} lies wholly outside the image; "
                                "move or delete it")
        return set_geometry(annotation, Box(clamped), label=label)
    if isinstance(geometry, Polygon | Polyline):
        frame = shapely.box(0, 0, width, height)
        shape = to_shapely(geometry)
        if isinstance(geometry, Polygon) and not shapely.is_valid(shape):
            shape = _made_valid(shape)
        kept = shapely.intersection(shape, frame)
        parts = _parts(kept, "Polygon" if isinstance(geometry, Polygon) else "LineString")
        if not parts:
            raise GeometryError(f"{_name(annotation)} lies wholly outside the image; "
                                "move or delete it")
        clipped: Geometry = (_polygon(parts[0]) if isinstance(geometry, Polygon)
                             else Polyline(shapely.get_coordinates(parts[0])))
        return set_geometry(annotation, clipped, label=label)
    if isinstance(geometry, Point):
        raise GeometryError(f"{_name(annotation)} lies outside the image; move or delete it")
    raise GeometryError(f"{_name(annotation)} cannot be clipped and stay a "
                        f"{geometry.kind.replace('_', ' ')}; move or resize it")


# -- duplicate vertices -----------------------------------------------------------------------


def _distinct_ring(ring: FloatArray) -> FloatArray:
    # Keep a vertex unless the next one (wrapping round) is the same point.
    keep = (ring != np.roll(ring, -1, axis=0)).any(axis=1)
    if not keep.any():
        keep[0] = True
    kept: FloatArray = ring[keep]
    return kept


def _distinct_line(points: FloatArray) -> FloatArray:
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = (points[1:] != points[:-1]).any(axis=1)
    kept: FloatArray = points[keep]
    return kept


def drop_duplicate_vertices(annotation: Annotation) -> Command | None:
    """Remove vertices that repeat the one before them; None when there are none."""
    geometry = annotation.geometry
    if isinstance(geometry, Polygon | Polygon3D):
        shell = _distinct_ring(geometry.shell)
        holes = tuple(_distinct_ring(h) for h in geometry.holes)
        removed = len(geometry.vertices) - len(shell) - sum(len(h) for h in holes)
        build: Any = lambda: type(geometry)(shell, holes)  # noqa: E731
    elif isinstance(geometry, Polyline | Polyline3D):
        points = _distinct_line(geometry.points)
        removed = len(geometry.points) - len(points)
        build = lambda: type(geometry)(points)  # noqa: E731
    else:
        return None
    if removed == 0:
        return None
    try:
        fixed: Geometry = build()
    except GeometryError:
        raise GeometryError(f"{_name(annotation)}: without its duplicate vertices too few "
                            "would be left; delete it") from None
    noun = "vertex" if removed == 1 else "vertices"
    label = f"Repair {_name(annotation)} (drop {removed} duplicate {noun})"
    return set_geometry(annotation, fixed, label=label)


# -- map: loose line ends ---------------------------------------------------------------------


def _map_lines(context: Sequence[Annotation], besides: Annotation) -> list[Annotation]:
    return [a for a in context if isinstance(a.geometry, Polyline3D) and not is_lanelet(a)
            and a.id is not None and a.id != besides.id]


def _joined(vertex: FloatArray, lines: Sequence[FloatArray]) -> bool:
    """Whether a line end shares a point with ``lines`` or lies on one of them."""
    if lines:
        grid = np.round(np.concatenate(lines) / KEY_GRID).astype(np.int64)
        if (grid == np.array(point_key(vertex))).all(axis=1).any():
            return True
    landing = snap(vertex[:2], lines, KEY_GRID)
    return landing.kind == "edge" and abs(float(landing.point[2] - vertex[2])) <= KEY_GRID


def _relaid(context: Sequence[Annotation], moved: dict[int, FloatArray], label: str
            ) -> list[Command]:
    """Area polygons of the lanelets bounded by the ``moved`` lines, drawn again."""
    lines = {int(a.id): a.geometry.vertices for a in context
             if a.id is not None and isinstance(a.geometry, Polyline3D)}
    lines.update(moved)
    commands: list[Command] = []
    for lanelet in context:
        if not is_lanelet(lanelet) or lanelet.id is None:
            continue
        (left, flip_left), (right, flip_right) = (boundary_ref(lanelet.links, LEFT),
                                                  boundary_ref(lanelet.links, RIGHT))
        if {left, right}.isdisjoint(moved) or left not in lines or right not in lines:
            continue
        area = lanelet_polygon(lines[left][::-1] if flip_left else lines[left],
                               lines[right][::-1] if flip_right else lines[right])
        commands.append(set_geometry(lanelet, area, label=label))
    return commands


def connect_end(line: Annotation, context: Sequence[Annotation],
                tolerance: float = Rules().snap_tolerance) -> Command | None:
    """Join the loose ends of a map line to the lines within 3 x ``tolerance``.

    A loose end (sharing no point with another line of ``context`` and lying
    on none) moves exactly where :func:`~annotator.geometry.mapnet.snap`
    lands it: onto the nearest vertex within reach, which it then shares
    (the same :func:`~annotator.geometry.mapnet.point_key`, height
    included), else onto the nearest edge at that edge's height.  Lanelets
    bounded by the line get their area polygon drawn again, in the same undo
    step.  None when no end is loose within reach.
    """
    if not isinstance(line.geometry, Polyline3D) or is_lanelet(line):
        raise GeometryError(f"{_name(line)}: only the ends of 3D map lines can be connected")
    others = [np.asarray(a.geometry.vertices, dtype=np.float64)
              for a in _map_lines(context, line)]
    points = np.array(line.geometry.vertices, dtype=np.float64)
    moved = 0
    for end in (0, len(points) - 1):
        vertex = points[end]
        if _joined(vertex, others):
            continue
        landing = snap(vertex[:2], others, DANGLING_REACH * tolerance)
        if landing.kind == "none":
            continue
        points[end] = landing.point
        moved += 1
    if moved == 0:
        return None
    if len(np.unique(points, axis=0)) < 2:
        raise GeometryError(f"{_name(line)}: joined at both ends it would shrink to a point; "
                            "delete it")
    noun = "its loose end" if moved == 1 else "its 2 loose ends"
    label = f"Repair {_name(line)} (connect {noun})"
    change = set_geometry(line, Polyline3D(points), label=label)
    relaid = _relaid(context, {int(line.id or 0): points}, label) if line.id is not None else []
    return CompositeCommand([change, *relaid], label) if relaid else change


# -- map: lanelet sides -----------------------------------------------------------------------


def _boundaries(lanelet: Annotation, context: Sequence[Annotation]
                ) -> tuple[tuple[int, bool, FloatArray], tuple[int, bool, FloatArray]]:
    """``(id, reversed, oriented vertices)`` of a lanelet's left and right boundary."""
    if not is_lanelet(lanelet):
        raise GeometryError(f"{_name(lanelet)} is no lanelet (it links no left and right "
                            "boundary)")
    lines = {int(a.id): a for a in context
             if a.id is not None and isinstance(a.geometry, Polyline3D)}
    found = []
    for side in (LEFT, RIGHT):
        number, flipped = boundary_ref(lanelet.links, side)
        if number not in lines:
            raise GeometryError(f"{_name(lanelet)}: its {side} boundary #{number} is not a 3D "
                                "polyline among the annotations given")
        vertices = np.asarray(lines[number].geometry.vertices, dtype=np.float64)
        found.append((number, flipped, vertices[::-1] if flipped else vertices))
    return found[0], found[1]


def _relinked(lanelet: Annotation, picked: tuple[tuple[int, bool, FloatArray], ...],
              what: str) -> Command | None:
    """The lanelet between ``picked`` (left, right), oriented; None when unchanged."""
    (left_id, left_flip, left), (right_id, right_flip, right) = picked
    spot = boundaries_cross(left, right)
    if spot is not None:
        raise GeometryError(f"{_name(lanelet)}: its boundaries cross at "
                            f"({spot[0]:.3f}, {spot[1]:.3f}); redraw one of them, "
                            f"{what} cannot fix that")
    orientation = orient_boundaries(left, right)
    turn_left, turn_right = orientation.reverse_left, orientation.reverse_right
    left, right = orientation.apply(left, right)
    _, wrong_side, _ = lanelet_sides([left], [right])
    if wrong_side[0]:    # orient_boundaries judged by vertex means; the samples decide
        turn_left, turn_right = not turn_left, not turn_right
        left, right = left[::-1], right[::-1]
    links = {**lanelet.links, LEFT: -left_id if left_flip != turn_left else left_id,
             RIGHT: -right_id if right_flip != turn_right else right_id}
    if links == dict(lanelet.links):
        return None
    after = dataclasses.replace(lanelet, links=links, geometry=lanelet_polygon(left, right))
    return ChangeAnnotations([lanelet], [after], f"Repair {_name(lanelet)} ({what})")


def swap_lanelet_sides(lanelet: Annotation, context: Sequence[Annotation]) -> Command | None:
    """Make the lanelet's right boundary its left and the left its right.

    The new left keeps its direction of travel where it can
    (:func:`~annotator.geometry.mapnet.orient_boundaries` turns the other
    line to run with it, or both when the new left would still lie on the
    right, which is Lanelet2's ``invert``).  Links and area polygon are
    rewritten as one undo step.
    """
    left, right = _boundaries(lanelet, context)
    return _relinked(lanelet, (right, left), REPAIRS["swap_lanelet_sides"])


def reverse_lanelet(lanelet: Annotation, context: Sequence[Annotation]) -> Command | None:
    """Keep which line is left and which right, and turn the lanelet to fit them.

    A lanelet whose left boundary lies right of its direction of travel is
    reversed (both boundaries used the other way); one whose right boundary
    runs against its left gets that boundary turned.  None when the
    lanelet is right already.
    """
    left, right = _boundaries(lanelet, context)
    return _relinked(lanelet, (left, right), REPAIRS["reverse_lanelet"])
