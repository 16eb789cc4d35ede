"""The geometric rules over all 2D shapes of a run, kind by kind, in numpy.

Each ``check_*`` function takes the indices of one kind's annotations and
returns the :class:`Hit` list of the shapes that fail, plus what the
same-class overlap rule needs (:class:`AreaShapes`).  Python touches each
shape only to fetch its coordinate array; per-shape Python work beyond that
happens only for the few shapes that fail a rule.

Polygons without holes are proven valid in numpy, in two steps: a shell
star-shaped around the mean of its vertices or around its centroid
(:mod:`annotator.geometry._star`) cannot cross or touch itself; a small
shell whose edges are pairwise apart by decisive orientation tests
(:mod:`annotator.geometry._simple`) is simple too.  Every other polygon goes
to GEOS (``shapely.is_valid_reason``), which also gives the reason and the
spot of what is wrong.  A million polygons are checked a block at a time,
so the temporary arrays stay in the CPU cache, on two threads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import shapely

from annotator.geometry._ragged import BoolArray, FloatArray, IntArray, Ragged
from annotator.geometry._simple import MAX_VERTICES, rings_simple
from annotator.geometry._star import shell_shape as _shell_shape
from annotator.model import Annotation, Rules

__all__ = [
    "AreaShapes",
    "Context",
    "Hit",
    "check_boxes",
    "check_points",
    "check_polygons",
    "check_polylines",
    "check_rotated_boxes",
    "crossing_point",
    "fmt_point",
]

ObjectArray = npt.NDArray[np.object_]
Builder = Callable[[IntArray], ObjectArray]

#: Polygons checked together: their temporary arrays fit in the CPU cache.
BLOCK = 1 << 14
#: Threads checking polygon blocks: numpy and GEOS release the GIL, Python does not.
_THREADS = 2
#: What ``shapely.is_valid_reason`` says of a valid geometry.
_VALID = "Valid Geometry"
_SPOT = re.compile(r"^(.*?)\s*\[\s*([-+0-9.eE]+|nan|inf)\s+([-+0-9.eE]+|nan|inf)")


class Hit(NamedTuple):
    """One failed rule of one annotation, before it becomes a Finding."""

    annotation: int          # position in the run's list of annotations
    rule: str
    severity: str
    detail: str
    location: tuple[float, float] | None


@dataclass(frozen=True)
class Context:
    """What every check needs besides the shapes of its kind."""

    annotations: Sequence[Annotation]
    geometries: Sequence[Any]   # the annotations' shapes, fetched once
    owner: IntArray          # item position of each annotation
    width: FloatArray        # per item; NaN where unknown or not an image
    height: FloatArray
    rules: Rules

    def size_of(self, index: IntArray) -> tuple[FloatArray, FloatArray]:
        items = self.owner[index]
        return self.width[items], self.height[items]


@dataclass(frozen=True)
class AreaShapes:
    """Shapes with an area: boxes, rotated boxes and valid polygons."""

    index: IntArray          # annotation indices
    boxes: FloatArray        # (n, 4) xmin, ymin, xmax, ymax
    areas: FloatArray
    centroids: FloatArray    # (n, 2)
    build: Builder           # local positions -> shapely polygons


def fmt_number(value: float) -> str:
    """Short, exact enough for a message: 103.5, 40.0, 0.333."""
    return repr(round(float(value), 3))


def fmt_point(x: float, y: float) -> str:
    return f"({fmt_number(x)}, {fmt_number(y)})"


def _spot(x: float, y: float) -> tuple[float, float]:
    return (float(x), float(y))


def _geometries(ctx: Context, index: IntArray) -> list[Any]:
    geometries = ctx.geometries
    if len(index) and int(index[-1]) - int(index[0]) == len(index) - 1:
        # Indices ascend without repeats, so these are a run: one slice, no Python loop.
        return list(geometries[int(index[0]):int(index[-1]) + 1])
    return [geometries[i] for i in index.tolist()]


# -- polygons -------------------------------------------------------------------------


def _polygon_rings(shapes: list[Any]) -> tuple[Ragged, Ragged, BoolArray]:
    """All rings, the shells alone, and which polygons have holes."""
    shells = [g.shell for g in shapes]
    one_each = np.arange(len(shells) + 1, dtype=np.int64)
    shell_rings = Ragged.from_rings(shells, one_each, closed=True, float64_pairs=True)
    holes = [g.holes for g in shapes]
    if not any(holes):
        return shell_rings, shell_rings, np.zeros(len(shells), dtype=bool)
    rings: list[Any] = []
    counts = np.empty(len(shells), np.int64)
    for position, (shell, inner) in enumerate(zip(shells, holes, strict=True)):
        rings.append(shell)
        rings.extend(inner)
        counts[position] = 1 + len(inner)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return (Ragged.from_rings(rings, offsets, closed=True, float64_pairs=True), shell_rings,
            counts > 1)


def _distinct(points: FloatArray) -> int:
    return len(np.unique(points, axis=0))


def _invalid_detail(reason: str) -> tuple[str, tuple[float, float] | None]:
    match = _SPOT.match(reason)
    if match is None:
        return reason[:1].lower() + reason[1:], None
    what = match.group(1).strip().lower() or "invalid"
    x, y = float(match.group(2)), float(match.group(3))
    if not (math.isfinite(x) and math.isfinite(y)):
        return what, None
    return f"{what} at {fmt_point(x, y)}", (x, y)


def _too_few(index: IntArray, shells: Ragged, candidates: BoolArray
             ) -> tuple[list[Hit], BoolArray]:
    hits, few = [], np.zeros(len(index), dtype=bool)
    for local in np.flatnonzero(candidates).tolist():
        ring = shells.rings_of(local)[0]
        distinct = _distinct(ring)
        if distinct < 3:
            few[local] = True
            hits.append(Hit(int(index[local]), "too_few_vertices", "error",
                            f"only {distinct} distinct vertices (a polygon needs 3)",
                            _spot(*ring[0])))
    return hits, few


def check_polygons(ctx: Context, index: IntArray) -> tuple[list[Hit], list[AreaShapes]]:
    """Polygon rules, a block of polygons at a time (the arrays then stay in the CPU cache).

    Blocks are independent and spend most of their time in numpy and GEOS,
    which release the GIL, so two threads check two blocks at once.
    """
    blocks = [index[start:start + BLOCK] for start in range(0, len(index), BLOCK)]
    if len(blocks) == 1:
        results = [_check_polygon_block(ctx, blocks[0])]
    else:
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            results = list(pool.map(partial(_check_polygon_block, ctx), blocks))
    hits: list[Hit] = []
    parts = []
    for found, part in results:
        hits += found
        parts.append(part)
    return hits, parts


def _check_polygon_block(ctx: Context, index: IntArray) -> tuple[list[Hit], AreaShapes]:
    rings, shells, holed = _polygon_rings(_geometries(ctx, index))
    shape = _shell_shape(shells)
    hits, few = _too_few(index, shells, shape.collinear)
    valid = shape.star & ~holed
    lengths = np.diff(shells.ring_offsets)
    maybe = np.flatnonzero(~valid & ~few & ~holed & (lengths <= MAX_VERTICES))
    if len(maybe):
        valid[maybe] = rings_simple(shells.coords, shells.ring_offsets[maybe], lengths[maybe])
    area, centroid = shape.area, shape.centroid
    to_geos = np.flatnonzero(~valid & ~few)
    if len(to_geos):
        polygons = rings.to_shapely(to_geos)
        # Most polygons that reach GEOS are invalid: one validity pass gives the reasons too.
        reasons = shapely.is_valid_reason(polygons)
        ok = reasons == _VALID
        valid[to_geos[ok]] = True
        area[to_geos] = shapely.area(polygons)
        centroid[to_geos[ok]] = shapely.get_coordinates(shapely.centroid(polygons[ok]))
        bad = to_geos[~ok]
        for local, reason in zip(bad.tolist(), reasons[~ok], strict=True):
            detail, spot = _invalid_detail(str(reason))
            hits.append(Hit(int(index[local]), "polygon_invalid", "error", detail, spot))
    bounds = shape.bounds if shape.bounds is not None and not holed.any() else rings.bounds()
    small = np.flatnonzero(valid & (area < ctx.rules.min_polygon_area))
    for local in small.tolist():
        hits.append(Hit(int(index[local]), "too_small", "warning",
                        f"area {fmt_number(area[local])} px² is below the minimum "
                        f"{fmt_number(ctx.rules.min_polygon_area)} px²",
                        _centre(bounds[local])))
    hits += _duplicates(index, rings)
    hits += _outside(ctx, index, rings, bounds, rings.to_shapely, valid)
    keep = np.flatnonzero(valid)
    areas = AreaShapes(index[keep], bounds[keep], area[keep], centroid[keep],
                       lambda positions: rings.to_shapely(keep[positions]))
    return hits, areas


def _centre(bounds: FloatArray) -> tuple[float, float]:
    return _spot((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)


def _duplicates(index: IntArray, lines: Ragged) -> list[Hit]:
    coords, nxt = lines.coords, lines.next_coords()
    same = (coords[:, 0] == nxt[:, 0]) & (coords[:, 1] == nxt[:, 1])
    if not lines.closed:
        same &= lines.has_successor()
    if not same.any():
        return []
    shapes, first = lines.first_per_shape(same)
    counts = np.bincount(lines.shape_of_vertex()[same], minlength=lines.shapes)
    hits = []
    for local, vertex in zip(shapes.tolist(), first.tolist(), strict=True):
        x, y = coords[vertex]
        count = int(counts[local])
        detail = (f"a duplicate vertex at {fmt_point(x, y)}" if count == 1
                  else f"{count} duplicate vertices, the first at {fmt_point(x, y)}")
        hits.append(Hit(int(index[local]), "duplicate_vertices", "warning", detail,
                        _spot(x, y)))
    return hits


# -- outside the image ------------------------------------------------------------------


def _outside(ctx: Context, index: IntArray, shapes: Ragged, bounds: FloatArray,
             build: Builder | None, exact: BoolArray | None) -> list[Hit]:
    """Shapes with a vertex outside their image; wholly outside is an error.

    The image is convex, so a shape lies inside it exactly when its bounding
    box does.  Whether a shape reaches into the image at all is decided on
    its bounding box, and by GEOS for the few whose box straddles the border
    (``exact`` says which shapes GEOS can be trusted with).
    """
    width, height = ctx.size_of(index)
    with np.errstate(invalid="ignore"):
        out = np.flatnonzero(((bounds[:, 0] < 0) | (bounds[:, 1] < 0)
                              | (bounds[:, 2] > width) | (bounds[:, 3] > height))
                             & np.isfinite(width) & np.isfinite(height))
    if len(out) == 0:
        return []
    w, h, box = width[out], height[out], bounds[out]
    wholly = (box[:, 2] <= 0) | (box[:, 3] <= 0) | (box[:, 0] >= w) | (box[:, 1] >= h)
    if build is not None:
        unsure = np.flatnonzero(~wholly & (exact[out] if exact is not None else True))
        if len(unsure):
            frames = shapely.box(0, 0, w[unsure], h[unsure])
            geoms = build(out[unsure])
            inside = shapely.intersects(geoms, frames) & ~shapely.touches(geoms, frames)
            wholly[unsure] = ~inside
    offsets = shapes.shape_offsets()
    hits = []
    for position, local in enumerate(out.tolist()):
        vertices = shapes.coords[offsets[local]:offsets[local + 1]]
        outside = ((vertices < 0) | (vertices > [w[position], h[position]])).any(axis=1)
        px, py = vertices[int(np.argmax(outside))]
        severity, how = ("error", "wholly") if wholly[position] else ("warning", "partly")
        hits.append(Hit(int(index[local]), "outside_image", severity,
                        f"{how} outside the {w[position]:g} x {h[position]:g} image, "
                        f"at {fmt_point(px, py)}", _spot(px, py)))
    return hits


# -- boxes -----------------------------------------------------------------------------------


def _too_small_boxes(ctx: Context, index: IntArray, size: FloatArray,
                     centres: FloatArray, kind_word: str) -> list[Hit]:
    limit = ctx.rules.min_box_size
    small = np.flatnonzero((size < limit).any(axis=1))
    return [Hit(int(index[local]), "too_small", "warning",
                f"{fmt_number(size[local, 0])} x {fmt_number(size[local, 1])} px {kind_word}, "
                f"below the minimum size {fmt_number(limit)} px",
                _spot(*centres[local])) for local in small.tolist()]


def check_boxes(ctx: Context, index: IntArray) -> tuple[list[Hit], list[AreaShapes]]:
    shapes = _geometries(ctx, index)
    corners = (np.concatenate([g.corners for g in shapes]).reshape(-1, 2, 2)
               if shapes else np.zeros((0, 2, 2)))
    bounds = corners.reshape(-1, 4)
    size = corners[:, 1] - corners[:, 0]
    hits = _too_small_boxes(ctx, index, size, corners.mean(axis=1), "box")
    hits += _outside(ctx, index, Ragged.uniform(corners, closed=False), bounds, None, None)

    def build(positions: IntArray) -> ObjectArray:
        result: ObjectArray = shapely.box(*bounds[positions].T)
        return result

    area = size[:, 0] * size[:, 1]
    return hits, [AreaShapes(index, bounds, area, corners.mean(axis=1), build)]


def rotated_corners(params: FloatArray) -> FloatArray:
    """``(n, 4, 2)`` corners of rotated boxes given as rows of cx, cy, w, h, angle.

    The same corners, in the same order, as ``RotatedBox.vertices``.
    """
    cx, cy, w, h, angle = params.T
    c, s = np.cos(angle), np.sin(angle)
    local = np.stack([np.stack([-w, -h], -1), np.stack([w, -h], -1),
                      np.stack([w, h], -1), np.stack([-w, h], -1)], axis=1) / 2
    x = local[..., 0] * c[:, None] - local[..., 1] * s[:, None] + cx[:, None]
    y = local[..., 0] * s[:, None] + local[..., 1] * c[:, None] + cy[:, None]
    corners: FloatArray = np.stack([x, y], axis=-1)
    return corners


def check_rotated_boxes(ctx: Context, index: IntArray) -> tuple[list[Hit], list[AreaShapes]]:
    shapes = _geometries(ctx, index)
    params = np.array([(g.cx, g.cy, g.width, g.height, g.angle) for g in shapes],
                      dtype=np.float64).reshape(-1, 5)
    corners = rotated_corners(params)
    bounds = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
    hits = _too_small_boxes(ctx, index, params[:, 2:4], params[:, :2], "rotated box")
    area = params[:, 2] * params[:, 3]

    def build(positions: IntArray) -> ObjectArray:
        result: ObjectArray = shapely.polygons(corners[positions])
        return result

    hits += _outside(ctx, index, Ragged.uniform(corners, closed=True), bounds, build, area > 0)
    return hits, [AreaShapes(index, bounds, area, params[:, :2], build)]


# -- polylines and points --------------------------------------------------------------------


def check_polylines(ctx: Context, index: IntArray) -> list[Hit]:
    lines = Ragged.from_rings([g.points for g in _geometries(ctx, index)],
                              np.arange(len(index) + 1, dtype=np.int64), closed=False,
                              float64_pairs=True)
    bounds = lines.bounds()
    few = (bounds[:, 2] == bounds[:, 0]) & (bounds[:, 3] == bounds[:, 1])
    hits = [Hit(int(index[local]), "too_few_vertices", "error",
                "only 1 distinct vertex (a polyline needs 2)", _spot(*bounds[local, :2]))
            for local in np.flatnonzero(few).tolist()]
    hits += _duplicates(index, lines)
    usable = np.flatnonzero(~few)
    if len(usable):
        simple = shapely.is_simple(lines.to_shapely(usable))
        for local in usable[~simple].tolist():
            spot = crossing_point(lines.rings_of(local)[0])
            where = f" at {fmt_point(*spot)}" if spot is not None else ""
            hits.append(Hit(int(index[local]), "polyline_self_crossing", "warning",
                            f"crosses itself{where}", spot))
    hits += _outside(ctx, index, lines, bounds, lines.to_shapely, ~few)
    return hits


def check_points(ctx: Context, index: IntArray) -> list[Hit]:
    shapes = _geometries(ctx, index)
    coords = (np.concatenate([g.points for g in shapes]) if shapes else np.zeros((0, 2)))
    bounds = np.concatenate([coords, coords], axis=1)
    return _outside(ctx, index, Ragged.uniform(coords[:, None, :], closed=False), bounds,
                    None, None)


def crossing_point(points: FloatArray) -> tuple[float, float] | None:
    """Where a polyline first meets itself other than at its own joints.

    >>> crossing_point(np.array([[0, 0], [10, 10], [10, 0], [0, 10.]]))
    (5.0, 5.0)
    """
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = (points[1:] != points[:-1]).any(axis=1)
    pts = points[keep]
    if len(pts) < 3:
        return None
    segments = shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1))
    first, second = shapely.STRtree(segments).query(segments, predicate="intersects")
    later = first < second
    first, second = first[later], second[later]
    meet = shapely.intersection(segments[first], segments[second])
    closed = bool((pts[0] == pts[-1]).all())
    last = len(segments) - 1
    found: list[tuple[int, int, tuple[float, float]]] = []
    for i, j, shared in zip(first.tolist(), second.tolist(), meet, strict=True):
        joint = None
        if j == i + 1:
            joint = pts[j]
        elif closed and i == 0 and j == last:
            joint = pts[0]
        spot = shapely.get_coordinates(shared)[0]
        if joint is not None and shared.geom_type == "Point" and (spot == joint).all():
            continue
        found.append((i, j, _spot(*spot)))
    return min(found)[2] if found else None
