"""Repairs for validation findings, as undoable commands.

Each repair looks at one annotation and returns the command that fixes it
(push it on the project's :class:`~annotator.commands.CommandStack`), or
None when there is nothing to fix.  A repair that cannot keep anything of
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

from typing import Any

import numpy as np
import shapely

from annotator.commands import AddAnnotations, Command, CompositeCommand, set_geometry
from annotator.errors import GeometryError
from annotator.geometry._ragged import FloatArray
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
)

__all__ = [
    "REPAIRS",
    "clip_to_image",
    "drop_duplicate_vertices",
    "make_valid",
    "repair",
    "repairs_for",
]

#: Repair name -> what it does, in the words of its command label.
REPAIRS: dict[str, str] = {
    "make_valid_largest": "keep largest part",
    "make_valid_split": "split into parts",
    "clip_to_image": "clip to the image",
    "drop_duplicate_vertices": "drop duplicate vertices",
}

_BY_RULE: dict[str, tuple[str, ...]] = {
    "polygon_invalid": ("make_valid_largest", "make_valid_split"),
    "outside_image": ("clip_to_image",),
    "duplicate_vertices": ("drop_duplicate_vertices",),
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


def repair(annotation: Annotation, name: str, item: Item) -> Command | None:
    """The command of repair ``name`` for ``annotation`` on ``item``; None: nothing to do."""
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
