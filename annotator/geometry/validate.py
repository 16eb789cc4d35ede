"""Validation rules: is every annotation of a project right?

:func:`validate_items` checks a whole project (or a batch) in one pass: the
coordinates of all shapes are gathered into a few numpy arrays and checked
together, with shapely 2's array functions for what numpy cannot decide
alone.  :func:`validate_annotations` does the same for the shapes of one
item while the user draws.

The rules, by id (the ids are a stable contract: ``validate --json``, the
Problems panel and the repairs key on them):

=========================  ========  =====================================================
rule                       severity  what it flags
=========================  ========  =====================================================
polygon_invalid            error     a polygon GEOS calls invalid (self-intersection, ring
                                     self-touch, hole outside its shell...), at the spot
too_few_vertices           error     a polygon with < 3 distinct vertices, a polyline < 2
too_small                  warning   a box narrower or lower than ``min_box_size``, a
                                     polygon smaller than ``min_polygon_area``
duplicate_vertices         warning   a vertex repeating the one before it
outside_image              warning   a shape partly outside its image (an error when
                                     wholly outside)
polyline_self_crossing     warning   a polyline crossing or touching itself
overlap_same_class         warning   two shapes of one class on one item with IoU above
                                     ``max_same_class_iou`` (reported on the later one)
class_kind_not_allowed     error     a shape kind its class does not allow
unknown_class              error     a class the schema does not have
attribute_missing          error     a required attribute missing, null or empty
attribute_invalid          error     an enum value not in the list, or a value of the
                                     wrong type
cuboid_size                error     a cuboid with a non-positive length, width or height
cuboid_empty               warning   no point of the item's cloud inside a cuboid
cuboid_below_ground        warning   a cuboid's bottom more than 0.3 m below the local
                                     ground, or its top below the ground
map_dangling_end           warning   a map line end near another line but not joined to it
map_lines_cross            error     lane lines, road edges or lanelet boundaries crossing
lanelet_broken             error     a lanelet link naming no 3D polyline, or one line twice
lanelet_swapped            error     a lanelet's left boundary on its right, its right
                                     running against its left, or the two crossing
lanelet_width              warning   a lanelet narrower or wider than the lane-width rules
stop_line_unattached       warning   a stop line crossing no lanelet
map_height_step            warning   a height step above ``max_height_step`` along a map
                                     line or area
map_duplicate              warning   a map feature drawn twice (reported on the later one)
=========================  ========  =====================================================

Only 2D image kinds (box, rotated_box, polygon, polyline, point) get the
geometric rules; cuboids get the cuboid rules (the two that need points only
when the caller passes ``clouds``, a function giving an item's point cloud);
other 3D kinds get the class and attribute rules, and the map rules when a
run holds any 3D map kind (polyline3d, polygon3d, point3d): those check the
road network across all the items of the run, so neighbouring tiles meet
(details in :mod:`annotator.geometry._maps`).

>>> from annotator.model import Annotation, Item, LabelClass, LabelSchema, Polygon
>>> schema = LabelSchema("s", (LabelClass("car", "#e6194b", ("polygon",)),))
>>> item = Item(1, "a.png", "image", "png", "", 0, width=640, height=480)
>>> bow_tie = Polygon(np.array([[0, 0], [10, 10], [10, 0], [0, 10]]))
>>> [f.message for f in validate_annotations(schema, item, [Annotation(7, 1, "car", bow_tie)])]
['polygon #7 (car): self-intersection at (5.0, 5.0)']
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from annotator.geometry._attributes import attribute_hits
from annotator.geometry._checks import (
    AreaShapes,
    Context,
    Hit,
    check_boxes,
    check_points,
    check_polygons,
    check_polylines,
    check_rotated_boxes,
    fmt_point,
)
from annotator.geometry._cuboids import Clouds, check_cuboids
from annotator.geometry._maps import MAP_KINDS, MAP_RULES, check_map
from annotator.geometry._ragged import FloatArray, IntArray
from annotator.geometry.overlap import overlap_candidates
from annotator.model import Annotation, Geometry, Item, LabelClass, LabelSchema

__all__ = [
    "RULES",
    "SEVERITIES",
    "Finding",
    "describe",
    "error_count",
    "validate_annotations",
    "validate_items",
    "warning_count",
]

SEVERITIES = ("error", "warning")

RULES: dict[str, tuple[str, str]] = {
    "polygon_invalid": ("error", "polygon is not valid (self-intersection, ring self-touch, "
                                 "hole outside its shell ...)"),
    "too_few_vertices": ("error", "polygon with fewer than 3 distinct vertices, or polyline "
                                  "with fewer than 2"),
    "too_small": ("warning", "box or rotated box below min_box_size, polygon below "
                             "min_polygon_area"),
    "duplicate_vertices": ("warning", "consecutive duplicate vertices"),
    "outside_image": ("warning", "shape partly outside its image; an error when wholly "
                                 "outside"),
    "polyline_self_crossing": ("warning", "polyline crosses or touches itself"),
    "overlap_same_class": ("warning", "two shapes of the same class on one item overlap "
                                      "with IoU above max_same_class_iou"),
    "class_kind_not_allowed": ("error", "the class does not allow this kind of shape"),
    "unknown_class": ("error", "the class is not in the label schema"),
    "attribute_missing": ("error", "a required attribute is missing or empty"),
    "attribute_invalid": ("error", "an attribute value is not one of the enum values or "
                                   "has the wrong type"),
    "cuboid_size": ("error", "cuboid with a non-positive length, width or height"),
    "cuboid_empty": ("warning", "no point of the item's point cloud inside the cuboid"),
    "cuboid_below_ground": ("warning", "cuboid bottom more than 0.3 m below the local ground, "
                                       "or its top below the ground"),
    **MAP_RULES,
}

#: Shapes above which the overlap search runs on two threads.
_SPLIT_ABOVE = 1 << 15
_CHECKS_WITH_AREA = {"box": check_boxes, "rotated_box": check_rotated_boxes,
                     "polygon": check_polygons}
_CHECKS = {"polyline": check_polylines, "point": check_points}


@dataclass(frozen=True)
class Finding:
    """One thing validation found, on an annotation or (``annotation_id`` None) an item."""

    item_id: int
    annotation_id: int | None
    rule: str
    severity: str
    message: str
    location: tuple[float, float] | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``validate --json`` record.

        >>> Finding(1, 2, "too_small", "warning", "box #2 (car): tiny", (1.0, 2.0)).to_json()
        {'item': 1, 'annotation': 2, 'rule': 'too_small', 'severity': 'warning', \
'message': 'box #2 (car): tiny', 'location': [1.0, 2.0]}
        """
        return {
            "item": self.item_id,
            "annotation": self.annotation_id,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "location": list(self.location) if self.location is not None else None,
        }


def error_count(findings: Iterable[Finding]) -> int:
    return sum(1 for f in findings if f.severity == "error")


def warning_count(findings: Iterable[Finding]) -> int:
    return sum(1 for f in findings if f.severity == "warning")


def describe(annotation: Annotation) -> str:
    """How messages name a shape: ``polygon #12 (car)``."""
    number = f" #{annotation.id}" if annotation.id is not None else ""
    return f"{annotation.kind.replace('_', ' ')}{number} ({annotation.label})"


def validate_annotations(schema: LabelSchema, item: Item, annotations: Sequence[Annotation],
                         clouds: Clouds | None = None) -> list[Finding]:
    """The findings of one item's shapes (fast enough to run after every edit)."""
    return validate_items(schema, [(item, annotations)], clouds)


def validate_items(schema: LabelSchema, entries: Iterable[tuple[Item, Sequence[Annotation]]],
                   clouds: Clouds | None = None) -> list[Finding]:
    """Every finding over ``entries``, sorted by item, annotation and rule.

    ``clouds(item)`` gives an item's point cloud (or None) for the cuboid rules
    that need points; without it only ``cuboid_size`` checks cuboids.
    """
    with _collector_paused():
        return _validate_items(schema, entries, clouds)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for the run, then restored as it was.

    A run holds lists of a million shapes, which every young-generation
    collection walks again (some 5-10% of a run); the run makes no
    reference cycles for the collector to find.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validate_items(schema: LabelSchema, entries: Iterable[tuple[Item, Sequence[Annotation]]],
                    clouds: Clouds | None) -> list[Finding]:
    items: list[Item] = []
    annotations: list[Annotation] = []
    counts: list[int] = []
    for item, shapes in entries:
        items.append(item)
        annotations.extend(shapes)
        counts.append(len(shapes))
    if not annotations:
        return []
    owner = np.repeat(np.arange(len(items), dtype=np.int64), counts)
    geometries = [a.geometry for a in annotations]
    ctx = Context(annotations, geometries, owner, *_image_sizes(items), schema.rules)
    labels, label_code = _codes([a.label for a in annotations])
    kinds = _kind_indices(geometries)
    hits = _class_hits(schema, annotations, labels, label_code, kinds)
    area_shapes: list[AreaShapes] = []
    for kind, check in _CHECKS_WITH_AREA.items():
        if kind in kinds:
            found, areas = check(ctx, kinds[kind])
            hits += found
            area_shapes += areas
    for kind, simple_check in _CHECKS.items():
        if kind in kinds:
            hits += simple_check(ctx, kinds[kind])
    if "cuboid" in kinds:
        hits += check_cuboids(ctx, kinds["cuboid"], items, clouds)
    if not MAP_KINDS.isdisjoint(kinds):
        hits += check_map(ctx, kinds)
    groups = owner * max(len(labels), 1) + label_code
    hits += _overlap_hits(ctx, area_shapes, groups)
    findings = [_finding(items, ctx, hit) for hit in hits]
    findings.sort(key=lambda f: (f.item_id, f.annotation_id or 0, f.rule))
    return findings


def _finding(items: Sequence[Item], ctx: Context, hit: Hit) -> Finding:
    annotation = ctx.annotations[hit.annotation]
    item = items[int(ctx.owner[hit.annotation])]
    return Finding(int(item.id or 0), annotation.id, hit.rule, hit.severity,
                   f"{describe(annotation)}: {hit.detail}", hit.location)


def _image_sizes(items: Sequence[Item]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    def size(item: Item, value: int | None) -> float:
        usable = item.kind == "image" and item.width and item.height
        return float(value) if usable and value is not None else math.nan

    width = np.array([size(i, i.width) for i in items], dtype=np.float64)
    height = np.array([size(i, i.height) for i in items], dtype=np.float64)
    return width, height


def _codes(values: list[str]) -> tuple[list[str], IntArray]:
    """The distinct values in order of appearance, and each value's position among them."""
    names = list(dict.fromkeys(values))
    lookup = {name: code for code, name in enumerate(names)}
    return names, np.fromiter(map(lookup.__getitem__, values), np.int64, len(values))


def _kind_indices(geometries: Sequence[Geometry]) -> dict[str, IntArray]:
    """The positions of each kind's shapes, ascending.

    The kind is a class attribute, so the shapes are told apart by their
    class, which Python fetches much faster than an attribute.
    """
    classes: set[type[Geometry]] = set(map(type, geometries))
    if len({c.kind for c in classes}) == 1:
        return {next(iter(classes)).kind: np.arange(len(geometries), dtype=np.int64)}
    kinds, code = _codes([g.kind for g in geometries])
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(kinds) + 1))
    return {kind: order[bounds[c]:bounds[c + 1]] for c, kind in enumerate(kinds)}


# -- class and attribute rules -------------------------------------------------------------


def _class_hits(schema: LabelSchema, annotations: Sequence[Annotation], labels: list[str],
                label_code: IntArray, kinds: dict[str, IntArray]) -> list[Hit]:
    classes: list[LabelClass | None] = [
        schema.get(name) if name in schema else None for name in labels]
    hits = []
    unknown = np.array([c is None for c in classes])
    for number in np.flatnonzero(unknown[label_code]).tolist():
        hits.append(Hit(number, "unknown_class", "error",
                        f"class {annotations[number].label!r} is not in the schema "
                        f"{schema.name!r}", None))
    for kind, index in kinds.items():
        allowed = np.array([c is None or c.allows(kind) for c in classes])
        for position in np.flatnonzero(~allowed[label_code[index]]).tolist():
            label_class = classes[int(label_code[index[position]])]
            assert label_class is not None
            hits.append(Hit(int(index[position]), "class_kind_not_allowed", "error",
                            f"class {label_class.name} does not allow {kind} shapes "
                            f"(allowed: {', '.join(label_class.kinds) or 'none'})", None))
    return hits + attribute_hits(classes, label_code, annotations)


# -- same-class overlap ------------------------------------------------------------------------


def _overlap_hits(ctx: Context, parts: list[AreaShapes], groups: IntArray) -> list[Hit]:
    """One warning per later shape that overlaps an earlier one of its class too much.

    Exact copies (a paste pressed twice, a thousand times) are told apart
    first by their box, area and centroid and compared only with the first
    of their kind, so a pile of copies costs a sort, not a pair per two.
    """
    if not parts:
        return []
    index = np.concatenate([p.index for p in parts])
    boxes = np.concatenate([p.boxes for p in parts])
    areas = np.concatenate([p.areas for p in parts])
    centroids = np.concatenate([p.centroids for p in parts])
    threshold = ctx.rules.max_same_class_iou
    first, second = _candidate_pairs(groups[index], boxes, areas, centroids, threshold)
    if len(first) == 0:
        return []
    involved = np.unique(np.concatenate([first, second]))
    geoms = np.empty(len(index), dtype=object)
    start = 0
    for part in parts:
        stop = start + len(part.index)
        mine = involved[(involved >= start) & (involved < stop)]
        if len(mine):
            geoms[mine] = part.build(mine - start)
        start = stop
    a, b = geoms[first], geoms[second]
    shared = _intersections(a, b)
    common = shapely.area(shared)
    iou = common / (shapely.area(a) + shapely.area(b) - common)
    found: dict[int, list[tuple[float, int, int]]] = {}
    for position in np.flatnonzero(iou > threshold).tolist():
        one, two = int(index[first[position]]), int(index[second[position]])
        later, earlier = (two, one) if _order(ctx, two) > _order(ctx, one) else (one, two)
        found.setdefault(later, []).append((float(iou[position]), earlier, position))
    hits = []
    for later, partners in sorted(found.items()):
        best, earlier, position = max(partners, key=lambda p: (p[0], -_order(ctx, p[1])[0]))
        spot = shapely.get_coordinates(shapely.centroid(shared[position]))
        location = (float(spot[0, 0]), float(spot[0, 1])) if len(spot) else None
        where = f" around {fmt_point(*location)}" if location else ""
        more = f" and {len(partners) - 1} more" if len(partners) > 1 else ""
        hits.append(Hit(later, "overlap_same_class", "warning",
                        f"overlaps {describe(ctx.annotations[earlier])}{more} of the same class "
                        f"(IoU {best:.3f}){where}", location))
    return hits


def _candidate_pairs(groups: IntArray, boxes: FloatArray, areas: FloatArray,
                     centroids: FloatArray, threshold: float) -> tuple[IntArray, IntArray]:
    """Pairs of shapes that may overlap too much: copies with their first, and candidates.

    Only shapes of one group are ever paired, so the shapes of even and odd
    groups are searched apart, on two threads (the work is numpy sorts and
    array arithmetic, which release the GIL).
    """
    if len(groups) < _SPLIT_ABOVE:
        return _pairs_of(groups, boxes, areas, centroids, threshold)
    odd = (groups & 1).astype(bool)
    halves = [np.flatnonzero(~odd), np.flatnonzero(odd)]

    def search(half: IntArray) -> tuple[IntArray, IntArray]:
        first, second = _pairs_of(groups[half], boxes[half], areas[half], centroids[half],
                                  threshold)
        return half[first], half[second]

    with ThreadPoolExecutor(max_workers=2) as pool:
        found = list(pool.map(search, halves))
    return (np.concatenate([first for first, _ in found]),
            np.concatenate([second for _, second in found]))


def _pairs_of(groups: IntArray, boxes: FloatArray, areas: FloatArray, centroids: FloatArray,
              threshold: float) -> tuple[IntArray, IntArray]:
    leader = _first_copies([groups.astype(np.float64), *boxes.T, areas, *centroids.T])
    copies = np.flatnonzero(leader != np.arange(len(groups)))
    unique = np.flatnonzero(leader == np.arange(len(groups)))
    first, second = overlap_candidates(groups[unique], boxes[unique], areas[unique],
                                       centroids[unique], threshold)
    return (np.concatenate([leader[copies], unique[first]]),
            np.concatenate([copies, unique[second]]))


def _first_copies(columns: Sequence[FloatArray]) -> IntArray:
    """For each row of ``columns``, the first row equal to it (itself when it is the first).

    Rows are sorted by a random projection and only neighbours that project
    alike are compared column by column: one plain sort of one array.  A NaN
    never equals anything, so such a row is nobody's copy.
    """
    count = len(columns[0])
    leader = np.arange(count, dtype=np.int64)
    if count < 2:
        return leader
    weights = np.random.default_rng(7).uniform(0.5, 1.5, len(columns))
    projection = sum((w * c for w, c in zip(weights.tolist(), columns, strict=True)),
                     start=np.zeros(count))
    order = np.argsort(projection)
    ordered = projection[order]
    tie = np.flatnonzero(ordered[1:] == ordered[:-1])
    if len(tie) == 0:
        return leader
    one, two = order[tie], order[tie + 1]
    same = np.ones(len(tie), dtype=bool)
    for column in columns:
        same &= column[one] == column[two]
    linked = np.zeros(count - 1, dtype=bool)
    linked[tie[same]] = True
    fresh = np.concatenate([[True], ~linked])
    starts = np.flatnonzero(fresh)
    run = np.cumsum(fresh) - 1
    leader[order] = np.minimum.reduceat(order, starts)[run]
    return leader


def _intersections(a: Any, b: Any) -> Any:
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        # One pair GEOS cannot overlay must not stop the run: that pair counts as apart.
        shared = np.empty(len(a), dtype=object)
        for position, (one, two) in enumerate(zip(a, b, strict=True)):
            try:
                shared[position] = shapely.intersection(one, two)
            except shapely.errors.GEOSException:
                shared[position] = shapely.Polygon()
        return shared


def _order(ctx: Context, index: int) -> tuple[float, int]:
    number = ctx.annotations[index].id
    return (math.inf if number is None else float(number), index)
