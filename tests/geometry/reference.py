"""A straightforward per-shape implementation of the validation rules.

It builds one shapely object per annotation and compares every pair of
shapes, so it is slow, but it is easy to read: the vectorised
:func:`annotator.geometry.validate_items` must find exactly what it finds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely

from annotator.geometry._attributes import attribute_problem
from annotator.geometry._checks import crossing_point
from annotator.model import (
    KINDS_2D,
    Annotation,
    Box,
    Item,
    LabelSchema,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)

Key = tuple[int, int | None, str, str]     # item, annotation, rule, severity


def reference(schema: LabelSchema, entries: Iterable[tuple[Item, Sequence[Annotation]]]
              ) -> dict[Key, list[tuple[float, float] | None]]:
    """Every finding as {(item, annotation, rule, severity): [location, ...]}."""
    found: dict[Key, list[tuple[float, float] | None]] = {}

    def add(item: Item, a: Annotation, rule: str, severity: str,
            location: tuple[float, float] | None) -> None:
        found.setdefault((int(item.id or 0), a.id, rule, severity), []).append(location)

    for item, shapes in entries:
        areas: list[tuple[Annotation, Any]] = []
        for a in shapes:
            _class_rules(schema, item, a, add)
            if a.kind in KINDS_2D:
                shape = _shape_rules(schema, item, a, add)
                if shape is not None:
                    areas.append((a, shape))
        _overlaps(schema, item, areas, add)
    return found


def _class_rules(schema: LabelSchema, item: Item, a: Annotation, add: Any) -> None:
    if a.label not in schema:
        add(item, a, "unknown_class", "error", None)
        return
    label_class = schema.get(a.label)
    if not label_class.allows(a.kind):
        add(item, a, "class_kind_not_allowed", "error", None)
    for spec in label_class.attributes:
        value = a.attributes.get(spec.name)
        if value is None or value == "":
            if spec.required:
                add(item, a, "attribute_missing", "error", None)
        elif attribute_problem(spec.type, spec.values, value):
            add(item, a, "attribute_invalid", "error", None)


def _spot(reason: str) -> tuple[float, float] | None:
    match = re.search(r"\[([^ \]]+) ([^ \]]+)\]", reason)
    return (float(match.group(1)), float(match.group(2))) if match else None


def _outside(item: Item, a: Annotation, vertices: np.ndarray, shape: Any, add: Any) -> None:
    if item.kind != "image" or not item.width or not item.height:
        return
    w, h = item.width, item.height
    out = (vertices[:, 0] < 0) | (vertices[:, 1] < 0) | (vertices[:, 0] > w) | (
        vertices[:, 1] > h)
    if not out.any():
        return
    frame = shapely.box(0, 0, w, h)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    wholly = hi[0] <= 0 or hi[1] <= 0 or lo[0] >= w or lo[1] >= h
    if not wholly and shape is not None:
        wholly = not (shapely.intersects(shape, frame) and not shapely.touches(shape, frame))
    first = vertices[int(np.argmax(out))]
    add(item, a, "outside_image", "error" if wholly else "warning",
        (float(first[0]), float(first[1])))


def _duplicates(item: Item, a: Annotation, rings: list[np.ndarray], closed: bool,
                add: Any) -> None:
    for ring in rings:
        following = np.roll(ring, -1, axis=0)
        same = (ring == following).all(axis=1)
        if not closed:
            same[-1] = False
        if same.any():
            x, y = ring[int(np.argmax(same))]
            add(item, a, "duplicate_vertices", "warning", (float(x), float(y)))
            return


def _shape_rules(schema: LabelSchema, item: Item, a: Annotation, add: Any) -> Any:
    """The geometric rules; returns the shapely polygon when the shape has an area."""
    g, rules = a.geometry, schema.rules
    if isinstance(g, Box | RotatedBox):
        size = (g.width, g.height)
        if min(size) < rules.min_box_size:
            add(item, a, "too_small", "warning", None)
        polygon = shapely.Polygon(g.vertices) if isinstance(g, RotatedBox) else shapely.box(
            *g.corners.ravel())
        corners = g.vertices
        has_area = g.width * g.height > 0
        _outside(item, a, corners, polygon if isinstance(g, RotatedBox) and has_area else None,
                 add)
        return polygon if has_area else None
    if isinstance(g, Polygon):
        rings = [np.asarray(g.shell), *map(np.asarray, g.holes)]
        _duplicates(item, a, rings, True, add)
        polygon = shapely.Polygon(g.shell, list(g.holes))
        if len(np.unique(g.shell, axis=0)) < 3:
            add(item, a, "too_few_vertices", "error", (float(g.shell[0, 0]),
                                                          float(g.shell[0, 1])))
            _outside(item, a, np.concatenate(rings), None, add)
            return None
        reason = shapely.is_valid_reason(polygon)
        valid = reason == "Valid Geometry"
        if not valid:
            add(item, a, "polygon_invalid", "error", _spot(reason))
        elif polygon.area < rules.min_polygon_area:
            add(item, a, "too_small", "warning", None)
        _outside(item, a, np.concatenate(rings), polygon if valid else None, add)
        return polygon if valid else None
    if isinstance(g, Polyline):
        points = np.asarray(g.points)
        _duplicates(item, a, [points], False, add)
        if len(np.unique(points, axis=0)) < 2:
            add(item, a, "too_few_vertices", "error", (float(points[0, 0]),
                                                        float(points[0, 1])))
            _outside(item, a, points, None, add)
            return None
        line = shapely.LineString(points)
        if not shapely.is_simple(line):
            add(item, a, "polyline_self_crossing", "warning", crossing_point(points))
        _outside(item, a, points, line, add)
        return None
    if isinstance(g, Point):
        _outside(item, a, np.asarray(g.points), None, add)
    return None


def _overlaps(schema: LabelSchema, item: Item, areas: list[tuple[Annotation, Any]],
              add: Any) -> None:
    threshold = schema.rules.max_same_class_iou
    for label in {a.label for a, _ in areas}:
        members = [(a, shape) for a, shape in areas if a.label == label]
        shapes = [shape for _, shape in members]
        # Every pair of shapes that meet at all (the tree only spares the O(n²) loop);
        # each later shape is reported once, with the partner it overlaps most.
        best: dict[int, tuple[float, float, Annotation, Any]] = {}
        for n, m in zip(*shapely.STRtree(shapes).query(shapes, predicate="intersects"),
                        strict=True):
            if n >= m:
                continue
            (a, sa), (b, sb) = members[n], members[m]
            common = shapely.intersection(sa, sb)
            union = sa.area + sb.area - common.area
            if union > 0 and common.area / union > threshold:
                later, earlier = (b, a) if (b.id or math.inf) > (a.id or math.inf) else (a, b)
                rank = (common.area / union, -(earlier.id or math.inf))
                if id(later) not in best or rank > best[id(later)][:2]:
                    best[id(later)] = (*rank, later, common)
        for _, _, later, common in best.values():
            add(item, later, "overlap_same_class", "warning",
                (common.centroid.x, common.centroid.y))
