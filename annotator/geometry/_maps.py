"""The map rules: HD-map features checked as one road network.

Map features are annotations of the 3D kinds (``polyline3d`` lines,
``polygon3d`` areas and lanelets, ``point3d`` signs and poles) in WORLD
coordinates of the project CRS; the network they make is read by
:mod:`annotator.geometry.mapnet`.  The rules look across every item of the
run, so lines of neighbouring tiles that should meet at the seam are checked
together.  All distances are in plan (x, y), in metres; heights count where
a rule says so (a shared point shares its height too).

=====================  ========  ===========================================================
rule                   severity  what it flags
=====================  ========  ===========================================================
map_dangling_end       warning   a line end joined to no other map line (no shared point,
                                 not lying on one) with another line within 3 x
                                 ``snap_tolerance``: it should connect
map_lines_cross        error     lane lines, road edges and lanelet boundaries crossing in
                                 plan away from shared vertices and line ends (stop lines,
                                 crosswalks, and boundaries of intersection, crosswalk and
                                 walkway lanelets are expected to cross)
lanelet_broken         error     a lanelet whose left / right links name no 3D polyline here,
                                 or the same line twice
lanelet_swapped        error     a lanelet whose left boundary lies right of its direction of
                                 travel, whose right boundary runs against its left, or whose
                                 boundaries cross each other
lanelet_width          warning   a lanelet narrower than ``min_lane_width`` or wider than
                                 ``max_lane_width`` somewhere (sampled every metre and at
                                 every vertex); walkways and bicycle lanes, narrower
                                 by design, are left out
stop_line_unattached   warning   a stop line (class ``stop_line``, or a sign's ``stop_line``
                                 link) crossing no lanelet area
map_height_step        warning   consecutive vertices of a map line or area outline more than
                                 ``max_height_step`` apart in height
map_duplicate          warning   a map feature whose vertices coincide within
                                 ``snap_tolerance`` with those of an earlier one of its class
                                 (either direction), reported on the later one
=====================  ========  ===========================================================

Findings of different rules do not echo one defect: a duplicate pair is not
also dangling or crossing, and the crossing boundaries of one lanelet are
reported as ``lanelet_swapped`` only.

>>> from annotator.geometry import validate_items
>>> from annotator.model import Annotation, Item, LabelClass, LabelSchema
>>> from annotator.shapes import Polyline3D
>>> schema = LabelSchema("map", (LabelClass("lane_line", "#d55e00", ("polyline3d",)),))
>>> tile = Item(1, "tile.pcd", "pointcloud", "pcd", "", 0, points=1)
>>> one = Polyline3D(np.array([[0.0, 0, 40], [10.0, 0, 40]]))
>>> two = Polyline3D(np.array([[10.05, 0, 40], [20.0, 0, 40]]))
>>> shapes = [Annotation(1, 1, "lane_line", one), Annotation(2, 1, "lane_line", two)]
>>> [(f.rule, f.location) for f in validate_items(schema, [(tile, shapes)])]
[('map_dangling_end', (10.05, 0.0))]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely

from annotator.geometry._checks import Context, Hit, fmt_number, fmt_point
from annotator.geometry._ragged import FloatArray, IntArray
from annotator.geometry.mapnet import (
    KEY_GRID,
    LEFT,
    RIGHT,
    STOP_LINE,
    LaneletView,
    is_lanelet,
    network,
    snap,
)
from annotator.model import Annotation

__all__ = [
    "DANGLING_REACH",
    "MAP_KINDS",
    "MAP_RULES",
    "boundaries_cross",
    "check_map",
    "lanelet_sides",
]

#: The kinds a map is drawn with; a run without them skips every map rule.
MAP_KINDS: Final = frozenset({"polyline3d", "polygon3d", "point3d"})

MAP_RULES: dict[str, tuple[str, str]] = {
    "map_dangling_end": ("warning", "a map line end near another line (within 3x "
                                    "snap_tolerance) but not joined to it"),
    "map_lines_cross": ("error", "lane lines, road edges or lanelet boundaries cross each "
                                 "other away from shared vertices"),
    "lanelet_broken": ("error", "a lanelet's left or right link names no 3D polyline, or the "
                                "same one twice"),
    "lanelet_swapped": ("error", "a lanelet's left boundary lies right of its direction of "
                                 "travel, its right runs against its left, or they cross"),
    "lanelet_width": ("warning", "a lanelet narrower than min_lane_width or wider than "
                                 "max_lane_width"),
    "stop_line_unattached": ("warning", "a stop line that crosses no lanelet"),
    "map_height_step": ("warning", "a height change between consecutive vertices of a map "
                                   "line or area above max_height_step"),
    "map_duplicate": ("warning", "a map feature drawn twice (vertices coincide within "
                                 "snap_tolerance)"),
}

#: A line end this many snap tolerances from another line should be joined to it.
DANGLING_REACH: Final = 3.0
#: Classes whose lines must not cross (besides lanelet boundaries).
_UNCROSSED: Final = frozenset({"lane_line", "road_edge"})
STOP_LINE_CLASS: Final = "stop_line"
#: Lanelet subtypes whose boundaries cross other lanes by design.
_CROSSING_SUBTYPES: Final = frozenset({"intersection", "crosswalk", "walkway"})
#: Lanelet subtypes the lane-width limits (made for vehicle lanes) do not apply to.
_NARROW_SUBTYPES: Final = frozenset({"walkway", "bicycle_lane"})
#: Spacing (m) of the width samples along each boundary, and their least number.
_WIDTH_STEP: Final = 1.0
_WIDTH_SAMPLES: Final = 8
#: Samples along a lanelet for the side test.
_SIDE_SAMPLES: Final = 17

ObjectArray = npt.NDArray[np.object_]
_EMPTY = np.zeros(0, dtype=np.int64)


def _spot(x: float, y: float) -> tuple[float, float]:
    return float(x), float(y)


def _objects(values: Sequence[Any]) -> ObjectArray:
    """A 1-D object array of shapely geometries (never unpacked by numpy)."""
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def _who(annotation: Annotation) -> str:
    """How a message names another feature: ``lane_line #4``."""
    number = f" #{annotation.id}" if annotation.id is not None else ""
    return f"{annotation.label}{number}"


def _order(annotation: Annotation, position: int) -> tuple[float, int]:
    return (math.inf if annotation.id is None else float(annotation.id), position)


@dataclass(frozen=True)
class _Lines:
    """The run's map lines (3D polylines that are no lanelet), as flat arrays."""

    positions: IntArray        # annotation positions
    coords: FloatArray         # (n, 3) all vertices, line after line
    offsets: IntArray          # (lines + 1,)
    vertex_line: IntArray      # line of each vertex
    geoms: ObjectArray         # shapely 3D linestrings (predicates work in plan)

    @property
    def count(self) -> int:
        return len(self.positions)

    def vertices(self, line: int) -> FloatArray:
        return self.coords[self.offsets[line]:self.offsets[line + 1]]

    @classmethod
    def gather(cls, ctx: Context, positions: IntArray) -> _Lines:
        arrays = [np.asarray(ctx.geometries[p].vertices, dtype=np.float64)
                  for p in positions.tolist()]
        sizes = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        coords = np.concatenate(arrays) if arrays else np.zeros((0, 3))
        vertex_line = np.repeat(np.arange(len(arrays), dtype=np.int64), sizes)
        geoms = (shapely.linestrings(coords, indices=vertex_line) if len(arrays)
                 else np.empty(0, dtype=object))
        return cls(positions, coords, offsets, vertex_line, np.asarray(geoms, dtype=object))


def check_map(ctx: Context, kinds: Mapping[str, IntArray]) -> list[Hit]:
    """Every map-rule hit of the run (``kinds``: each kind's annotation positions)."""
    annotations = ctx.annotations
    mapped = [kinds[k] for k in sorted(MAP_KINDS) if k in kinds]
    if not mapped:
        return []
    everything = np.sort(np.concatenate(mapped))
    lanelet = np.array([is_lanelet(annotations[p]) for p in everything.tolist()], dtype=bool)
    lanelets = everything[lanelet]
    line_positions = np.array([p for p in kinds.get("polyline3d", _EMPTY).tolist()
                               if not is_lanelet(annotations[p])], dtype=np.int64)
    area_positions = np.array([p for p in kinds.get("polygon3d", _EMPTY).tolist()
                               if not is_lanelet(annotations[p])], dtype=np.int64)
    lines = _Lines.gather(ctx, line_positions)
    net = network([annotations[p] for p in lanelets.tolist()]
                  + [annotations[p] for p in line_positions.tolist()])
    where = {id(annotations[p]): p for p in everything.tolist()}
    line_of_id = {int(annotations[p].id): n for n, p in enumerate(line_positions.tolist())
                  if annotations[p].id is not None}
    named = {number: annotations[int(line_positions[n])] for number, n in line_of_id.items()}
    views = [v for v in net.lanelets if v.left_id in line_of_id and v.right_id in line_of_id]
    stops = _stop_line_numbers(ctx, lines, line_of_id)

    hits, copies = _duplicates(ctx, everything, lines)
    hits += _broken(ctx, net.broken, lanelets)
    crossing, lanelet_hits = _lanelets(ctx, views, where, named)
    hits += lanelet_hits
    own_pairs = {frozenset((line_of_id[v.left_id], line_of_id[v.right_id])) for v in views}
    hits += _dangling(ctx, lines, copies)
    hits += _crossings(ctx, lines, views, line_of_id, stops | copies, own_pairs)
    hits += _stop_lines(ctx, lines, stops, views, crossing)
    hits += _height_steps(ctx, np.concatenate([line_positions, area_positions]))
    return hits


def _same_class(one: Annotation, two: Annotation) -> bool:
    return one.label == two.label and one.kind == two.kind


# -- duplicates ------------------------------------------------------------------------------


def _duplicates(ctx: Context, positions: IntArray, lines: _Lines
                ) -> tuple[list[Hit], set[int]]:
    """Features whose vertices coincide (both ways) with an earlier one's of the same class.

    Returns the hits and the line numbers (among ``lines``) of the later
    copies, which the other line rules then leave alone: a copy's ends and
    crossings are the copy's, reported once as the duplicate.
    """
    tolerance = ctx.rules.snap_tolerance
    annotations = ctx.annotations
    if len(positions) < 2:
        return [], set()
    arrays = [np.asarray(ctx.geometries[p].vertices, dtype=np.float64)[:, :2]
              for p in positions.tolist()]
    sizes = np.array([len(a) for a in arrays], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    coords = np.concatenate(arrays)
    lo = np.column_stack([np.minimum.reduceat(coords[:, k], starts) for k in range(2)])
    hi = np.column_stack([np.maximum.reduceat(coords[:, k], starts) for k in range(2)])
    boxes = shapely.box(lo[:, 0] - tolerance / 2, lo[:, 1] - tolerance / 2,
                        hi[:, 0] + tolerance / 2, hi[:, 1] + tolerance / 2)
    first, second = shapely.STRtree(boxes).query(boxes, predicate="intersects")
    keep = first < second
    first, second = first[keep], second[keep]
    if len(first):
        close = ((np.abs(lo[first] - lo[second]) <= tolerance).all(axis=1)
                 & (np.abs(hi[first] - hi[second]) <= tolerance).all(axis=1))
        same = np.array([_same_class(annotations[int(positions[a])],
                                     annotations[int(positions[b])])
                         for a, b in zip(first[close].tolist(), second[close].tolist(),
                                         strict=True)], dtype=bool)
        first, second = first[close][same], second[close][same]
    if len(first) == 0:
        return [], set()
    clouds = shapely.multipoints(coords, indices=np.repeat(np.arange(len(arrays)), sizes))
    apart = shapely.hausdorff_distance(clouds[first], clouds[second])
    twin = apart <= tolerance
    line_number = {p: n for n, p in enumerate(lines.positions.tolist())}
    found: dict[int, tuple[int, float]] = {}
    for a, b, gap in zip(first[twin].tolist(), second[twin].tolist(), apart[twin].tolist(),
                         strict=True):
        pa, pb = int(positions[a]), int(positions[b])
        later, earlier = ((pb, pa) if _order(annotations[pb], pb) > _order(annotations[pa], pa)
                          else (pa, pb))
        if later not in found or _order(annotations[earlier], earlier) < _order(
                annotations[found[later][0]], found[later][0]):
            found[later] = (earlier, gap)
    hits = []
    for later, (earlier, gap) in sorted(found.items()):
        mine = np.asarray(ctx.geometries[later].vertices, dtype=np.float64)
        theirs = np.asarray(ctx.geometries[earlier].vertices, dtype=np.float64)
        how = ""
        if (ctx.geometries[later].kind == "polyline3d" and len(mine) > 1
                and np.hypot(*(mine[0, :2] - theirs[-1, :2])) <= tolerance
                and np.hypot(*(mine[0, :2] - theirs[0, :2])) > tolerance):
            how = ", drawn the other way"
        x, y = mine[:, :2].mean(axis=0)
        hits.append(Hit(later, "map_duplicate", "warning",
                        f"duplicates {_who(annotations[earlier])} (every vertex within "
                        f"{fmt_number(gap)} m{how}) around {fmt_point(x, y)}", _spot(x, y)))
    return hits, {line_number[p] for p in found if p in line_number}


# -- lanelets --------------------------------------------------------------------------------


def _broken(ctx: Context, broken: Mapping[int, str], lanelets: IntArray) -> list[Hit]:
    if not broken:
        return []
    hits = []
    for position in lanelets.tolist():
        annotation = ctx.annotations[position]
        if annotation.id is None or int(annotation.id) not in broken:
            continue
        x, y = np.asarray(annotation.geometry.vertices, dtype=np.float64)[:, :2].mean(axis=0)
        hits.append(Hit(position, "lanelet_broken", "error",
                        f"{broken[int(annotation.id)]}, around {fmt_point(x, y)}", _spot(x, y)))
    return hits


def _plan_lines(lines: Sequence[FloatArray]) -> ObjectArray:
    """Plan (2D) shapely linestrings of ``lines``, built in one call."""
    sizes = np.fromiter(map(len, lines), np.int64, len(lines))
    coords = np.concatenate([np.asarray(line)[:, :2] for line in lines])
    geoms: ObjectArray = shapely.linestrings(coords, indices=np.repeat(np.arange(len(lines)),
                                                                      sizes))
    return geoms


def _along(geoms: ObjectArray, owner: IntArray, fractions: FloatArray) -> FloatArray:
    """Points at ``fractions`` of the plan length of ``geoms[owner]``, in numpy.

    The same points as ``shapely.line_interpolate_point(..., normalized=True)``
    (to rounding), without walking each line again for each point: the
    vertices' running lengths are searched once, for all points together.
    """
    coords, line = shapely.get_coordinates(geoms, return_index=True)
    step = np.hypot(*np.diff(coords, axis=0).T)
    step[line[1:] != line[:-1]] = 0.0            # no length between two lines
    run = np.concatenate([[0.0], np.cumsum(step)])
    starts = np.searchsorted(line, np.arange(len(geoms)))
    ends = np.searchsorted(line, np.arange(len(geoms)), side="right") - 1
    target = run[starts[owner]] + fractions * (run[ends[owner]] - run[starts[owner]])
    segment = np.searchsorted(run, target, side="right") - 1
    segment = np.clip(segment, starts[owner], np.maximum(ends[owner] - 1, starts[owner]))
    following = np.minimum(segment + 1, ends[owner])
    span = run[following] - run[segment]
    t = np.where(span > 0, (target - run[segment]) / np.where(span > 0, span, 1.0), 0.0)
    points: FloatArray = coords[segment] + (coords[following] - coords[segment]) * t[:, None]
    return points


def _sample(geoms: ObjectArray, count: int) -> FloatArray:
    """``(len(geoms), count, 2)`` points at equal fractions of each line's length."""
    owner = np.repeat(np.arange(len(geoms)), count)
    fractions = np.tile(np.linspace(0.0, 1.0, count), len(geoms))
    return _along(geoms, owner, fractions).reshape(len(geoms), count, 2)


def lanelet_sides(lefts: Sequence[FloatArray], rights: Sequence[FloatArray],
                  geoms: tuple[ObjectArray, ObjectArray] | None = None,
                  ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], FloatArray]:
    """For oriented lanelet boundaries: right running against left, left lying right, middle.

    The direction of travel is the left boundary's (start to end).  Whether
    the left boundary lies on the left is decided at :data:`_SIDE_SAMPLES`
    points along the lane (the right boundary taken in the left's direction),
    so a curved lanelet is judged by its own bends.  The third array is each
    lanelet's centre point (plan).  ``geoms`` may give the boundaries' plan
    linestrings, built already.
    """
    count = len(lefts)
    if count == 0:
        empty = np.zeros(0, dtype=bool)
        return empty, empty.copy(), np.zeros((0, 2))
    direction_left = np.array([line[-1, :2] - line[0, :2] for line in lefts])
    direction_right = np.array([line[-1, :2] - line[0, :2] for line in rights])
    against = (direction_left * direction_right).sum(axis=1) < 0
    left_geoms, right_geoms = geoms if geoms is not None else (_plan_lines(lefts),
                                                               _plan_lines(rights))
    left = _sample(left_geoms, _SIDE_SAMPLES)
    right = _sample(right_geoms, _SIDE_SAMPLES)
    right = np.where(against[:, None, None], right[:, ::-1], right)
    centre = (left + right) / 2
    tangent = np.gradient(centre, axis=1)
    offset = left - right
    side = (tangent[..., 0] * offset[..., 1] - tangent[..., 1] * offset[..., 0]).sum(axis=1)
    middle: FloatArray = centre[:, _SIDE_SAMPLES // 2]
    return against, side < 0, middle


def _ends(line: FloatArray) -> FloatArray:
    ends: FloatArray = line[[0, -1], :2]
    return ends


def _points_of(geometry: Any) -> FloatArray:
    """The point parts of an intersection (line overlaps are no crossing)."""
    parts = shapely.get_parts(geometry)
    points = [p for p in parts if p.geom_type == "Point"]
    if not points:
        return np.zeros((0, 2))
    coords: FloatArray = shapely.get_coordinates(_objects(points))
    return coords


def _near(points: FloatArray, targets: FloatArray) -> npt.NDArray[np.bool_]:
    if not len(targets) or not len(points):
        return np.zeros(len(points), dtype=bool)
    d = np.hypot(points[:, None, 0] - targets[None, :, 0], points[:, None, 1] - targets[None, :, 1])
    near: npt.NDArray[np.bool_] = np.asarray((d <= KEY_GRID).any(axis=1), dtype=bool)
    return near


def _crossing_spot(left: FloatArray, right: FloatArray, shared: Any
                   ) -> tuple[float, float] | None:
    """Where a lanelet's boundaries cross (``shared``: their plan intersection), if they do.

    Meeting at line ends (a lane that narrows to a point) is no crossing;
    running along each other is, from where the overlap starts.
    """
    points = _points_of(shared)
    ends = np.concatenate([_ends(left), _ends(right)])
    inner = points[~_near(points, ends)]
    if len(inner) == 0 and len(points) == len(shapely.get_parts(shared)):
        return None
    if len(inner) == 0:
        inner = shapely.get_coordinates(shared)[:1]
    x, y = sorted(map(tuple, inner.tolist()))[0]
    return float(x), float(y)


def boundaries_cross(left: npt.ArrayLike, right: npt.ArrayLike) -> tuple[float, float] | None:
    """Where two lanelet boundaries cross in plan (None: they do not)."""
    a = np.asarray(left, dtype=np.float64)
    b = np.asarray(right, dtype=np.float64)
    shared = shapely.intersection(shapely.LineString(a[:, :2]), shapely.LineString(b[:, :2]))
    if shapely.is_empty(shared):
        return None
    return _crossing_spot(a, b, shared)


def _lanelets(ctx: Context, views: Sequence[LaneletView], where: Mapping[int, int],
              named: Mapping[int, Annotation]) -> tuple[set[int], list[Hit]]:
    """``lanelet_swapped`` and ``lanelet_width``; returns the lanelets whose sides cross."""
    if not views:
        return set(), []
    lefts = [np.asarray(v.left, dtype=np.float64) for v in views]
    rights = [np.asarray(v.right, dtype=np.float64) for v in views]
    left_geoms, right_geoms = _plan_lines(lefts), _plan_lines(rights)
    hits: list[Hit] = []
    crossing: set[int] = set()
    # meeting only at line ends (touching) is fine; interiors that meet are looked at
    meet = np.flatnonzero(shapely.intersects(left_geoms, right_geoms)
                          & ~shapely.touches(left_geoms, right_geoms))
    if len(meet):
        shared = shapely.intersection(left_geoms[meet], right_geoms[meet])
        for n, geometry in zip(meet.tolist(), shared, strict=True):
            met = _crossing_spot(lefts[n], rights[n], geometry)
            if met is None:
                continue
            x, y = met
            crossing.add(n)
            view = views[n]
            hits.append(Hit(where[id(view.annotation)], "lanelet_swapped", "error",
                            f"its left boundary {_who_id(named, view, LEFT)} and right boundary "
                            f"{_who_id(named, view, RIGHT)} cross at {fmt_point(x, y)}",
                            _spot(x, y)))
    rest = [n for n in range(len(views)) if n not in crossing]
    against, swapped, middle = lanelet_sides([lefts[n] for n in rest], [rights[n] for n in rest],
                                             (left_geoms[rest], right_geoms[rest]))
    for k, n in enumerate(rest):
        view = views[n]
        x, y = middle[k]
        if swapped[k]:
            detail = (f"its left boundary {_who_id(named, view, LEFT)} lies right of its "
                      f"direction of travel, around {fmt_point(x, y)} (swap its sides or "
                      "reverse it)")
        elif against[k]:
            detail = (f"its right boundary {_who_id(named, view, RIGHT)} runs against its left "
                      f"boundary {_who_id(named, view, LEFT)}, around {fmt_point(x, y)}")
        else:
            continue
        hits.append(Hit(where[id(view.annotation)], "lanelet_swapped", "error", detail,
                        _spot(x, y)))
    sized = [n for n in rest
             if str(views[n].annotation.attributes.get("subtype", "road")) not in _NARROW_SUBTYPES]
    hits += _widths(ctx, [views[n] for n in sized], left_geoms[sized], right_geoms[sized], where)
    return crossing, hits


def _who_id(named: Mapping[int, Annotation], view: LaneletView, side: str) -> str:
    number = view.left_id if side == LEFT else view.right_id
    reverse = view.reverse_left if side == LEFT else view.reverse_right
    return f"{_who(named[number])}{' (used reversed)' if reverse else ''}"


def _widths(ctx: Context, views: Sequence[LaneletView], lefts: ObjectArray,
            rights: ObjectArray, where: Mapping[int, int]) -> list[Hit]:
    """Width at each boundary vertex and every metre along both: distance to the other one."""
    if not views:
        return []
    low, high = ctx.rules.min_lane_width, ctx.rules.max_lane_width
    sides = np.concatenate([lefts, rights])
    others = np.concatenate([rights, lefts])
    counts = np.maximum(_WIDTH_SAMPLES,
                        np.ceil(shapely.length(sides) / _WIDTH_STEP).astype(np.int64) + 1)
    spaced = np.repeat(np.arange(len(sides)), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    fractions = (np.arange(len(spaced)) - first[spaced]) / (counts - 1)[spaced]
    # every vertex too: a boundary's kinks are where a lane is narrowest or widest
    corners, cornered = shapely.get_coordinates(sides, return_index=True)
    coords = np.concatenate([_along(sides, spaced, fractions), corners])
    owner = np.concatenate([spaced, cornered])
    width = shapely.distance(shapely.points(coords), others[owner])
    lanelet = owner % len(views)
    order = np.lexsort((width, lanelet))
    first = np.searchsorted(lanelet[order], np.arange(len(views)))
    last = np.searchsorted(lanelet[order], np.arange(len(views)), side="right") - 1
    narrow, wide = order[first], order[last]
    hits = []
    for n, view in enumerate(views):
        least, most = float(width[narrow[n]]), float(width[wide[n]])
        if least < low:
            x, y = coords[narrow[n]]
            detail = (f"narrows to {fmt_number(least)} m at {fmt_point(x, y)} "
                      f"(at least {fmt_number(low)} m)")
        elif most > high:
            x, y = coords[wide[n]]
            detail = (f"widens to {fmt_number(most)} m at {fmt_point(x, y)} "
                      f"(at most {fmt_number(high)} m)")
        else:
            continue
        hits.append(Hit(where[id(view.annotation)], "lanelet_width", "warning", detail,
                        _spot(x, y)))
    return hits


# -- lines -----------------------------------------------------------------------------------


def _dangling(ctx: Context, lines: _Lines, copies: set[int]) -> list[Hit]:
    """Line ends joined to no other line with another line within the reach.

    An end is joined when another line has a vertex with its
    :func:`~annotator.geometry.mapnet.point_key` (the same point, height
    included) or when it lies on another line (within the key grid, at that
    line's height there), as vertex-to-edge snapping leaves it.  The spot an
    end should move to is where :func:`~annotator.geometry.mapnet.snap` puts
    it among the lines within reach: a vertex first, else the nearest edge.
    Two loose ends that are each other's spot are one gap, reported on the
    later line.
    """
    if lines.count < 2:
        return []
    reach = DANGLING_REACH * ctx.rules.snap_tolerance
    count = lines.count
    end_vertex = np.concatenate([lines.offsets[:-1], lines.offsets[1:] - 1])
    end_line = np.concatenate([np.arange(count), np.arange(count)])
    keys = np.round(lines.coords / KEY_GRID).astype(np.int64)
    _, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    owners = np.unique(group * count + lines.vertex_line)
    per_group = np.bincount(owners // count, minlength=int(group.max()) + 1)
    loose = np.flatnonzero((per_group[group[end_vertex]] < 2)
                           & ~np.isin(end_line, np.array(sorted(copies), dtype=np.int64)))
    if not len(loose):
        return []
    points = shapely.points(lines.coords[end_vertex[loose], :2])
    tree = shapely.STRtree(lines.geoms)
    near_end, near_line = tree.query(points, predicate="dwithin", distance=reach)
    keep = ((near_line != end_line[loose[near_end]])
            & ~np.isin(near_line, np.array(sorted(copies), dtype=np.int64)))
    near_end, near_line = near_end[keep], near_line[keep]
    if not len(near_end):
        return []
    gap = shapely.distance(points[near_end], lines.geoms[near_line])
    joined = set()
    on = np.flatnonzero(gap <= KEY_GRID)
    if len(on):
        along = shapely.line_locate_point(lines.geoms[near_line[on]], points[near_end[on]])
        foot = shapely.get_coordinates(
            shapely.line_interpolate_point(lines.geoms[near_line[on]], along), include_z=True)
        height = lines.coords[end_vertex[loose[near_end[on]]], 2]
        level = np.abs(foot[:, 2] - height) <= KEY_GRID
        joined = set(near_end[on][level].tolist())
    candidates: dict[int, list[int]] = {}
    for e, j in zip(near_end.tolist(), near_line.tolist(), strict=True):
        if e not in joined:
            candidates.setdefault(e, []).append(j)
    # each loose end's target: (line, vertex or -1, kind, point)
    targets: dict[int, tuple[int, int, str, FloatArray]] = {}
    for e, others in candidates.items():
        vertex = lines.coords[end_vertex[loose[e]]]
        landing = snap(vertex[:2], [lines.vertices(j) for j in others], reach)
        if landing.kind == "none":
            continue
        targets[e] = (others[landing.line], landing.index, landing.kind, landing.point)
    end_of = {int(v): e for e, v in enumerate(end_vertex[loose].tolist())}
    hits = []
    for e, (line, index, kind, point) in sorted(targets.items()):
        mine = int(end_line[loose[e]])
        vertex = lines.coords[end_vertex[loose[e]]]
        partner = end_of.get(int(lines.offsets[line]) + index) if kind == "vertex" else None
        if partner is not None and partner in targets:
            back = targets[partner]
            if (back[0] == mine and back[2] == "vertex"
                    and int(lines.offsets[mine]) + back[1] == int(end_vertex[loose[e]])):
                me = int(lines.positions[mine])
                them = int(lines.positions[line])
                if _order(ctx.annotations[me], me) < _order(ctx.annotations[them], them):
                    continue     # one gap: reported on the later line
        hits.append(_dangling_hit(ctx, lines, e, loose, end_vertex, mine, line, index, kind,
                                  point, vertex))
    return hits


def _dangling_hit(ctx: Context, lines: _Lines, e: int, loose: IntArray, end_vertex: IntArray,
                  mine: int, line: int, index: int, kind: str, point: FloatArray,
                  vertex: FloatArray) -> Hit:
    size = int(lines.offsets[line + 1] - lines.offsets[line])
    other = _who(ctx.annotations[int(lines.positions[line])])
    if kind == "edge":
        what = f"{other}'s edge at {fmt_point(point[0], point[1])}"
    elif index in (0, size - 1):
        what = f"{other}'s {'start' if index == 0 else 'end'} at {fmt_point(point[0], point[1])}"
    else:
        what = f"{other}'s vertex {index + 1} at {fmt_point(point[0], point[1])}"
    which = "start" if int(end_vertex[loose[e]]) == int(lines.offsets[mine]) else "end"
    gap = float(np.hypot(*(point[:2] - vertex[:2])))
    rise = float(vertex[2] - point[2])
    if gap <= KEY_GRID:
        detail = (f"its {which} at {fmt_point(vertex[0], vertex[1])} meets {what} in plan "
                  f"but {fmt_number(abs(rise))} m {'above' if rise > 0 else 'below'} it; "
                  "not joined")
    else:
        detail = (f"its {which} at {fmt_point(vertex[0], vertex[1])} is "
                  f"{fmt_number(gap)} m from {what} but not joined to it")
    return Hit(int(lines.positions[mine]), "map_dangling_end", "warning", detail,
               _spot(vertex[0], vertex[1]))


def _uncrossed(ctx: Context, lines: _Lines, views: Sequence[LaneletView],
               line_of_id: Mapping[int, int], exempt: set[int]) -> IntArray:
    """The lines that must not cross: lane lines, road edges, boundaries of road lanelets."""
    bounding: dict[int, list[str]] = {}
    for view in views:
        subtype = str(view.annotation.attributes.get("subtype", "road"))
        for number in (view.left_id, view.right_id):
            bounding.setdefault(line_of_id[number], []).append(subtype)
    chosen = []
    for n, position in enumerate(lines.positions.tolist()):
        if n in exempt:
            continue
        subtypes = bounding.get(n)
        if subtypes is None:
            if ctx.annotations[position].label in _UNCROSSED:
                chosen.append(n)
        elif any(s not in _CROSSING_SUBTYPES for s in subtypes):
            chosen.append(n)
    return np.array(chosen, dtype=np.int64)


def _stop_line_numbers(ctx: Context, lines: _Lines, line_of_id: Mapping[int, int]) -> set[int]:
    numbers = {n for n, p in enumerate(lines.positions.tolist())
               if ctx.annotations[p].label == STOP_LINE_CLASS}
    for annotation in ctx.annotations:
        if annotation.links and STOP_LINE in annotation.links:
            number = line_of_id.get(abs(int(annotation.links[STOP_LINE])))
            if number is not None:
                numbers.add(number)
    return numbers


def _crossings(ctx: Context, lines: _Lines, views: Sequence[LaneletView],
               line_of_id: Mapping[int, int], exempt: set[int], skip: set[frozenset[int]]
               ) -> list[Hit]:
    """Pairs of must-not-cross lines meeting in plan away from line ends and shared vertices."""
    chosen = _uncrossed(ctx, lines, views, line_of_id, exempt)
    if len(chosen) < 2:
        return []
    flat = shapely.force_2d(lines.geoms[chosen])
    first, second = shapely.STRtree(flat).query(flat, predicate="intersects")
    keep = first < second
    first, second = first[keep], second[keep]
    # lines touching at ends (continuing, T-joins) are joined; only meeting interiors remain
    keep = ~shapely.touches(flat[first], flat[second])
    first, second = first[keep], second[keep]
    pairs = [(int(chosen[a]), int(chosen[b])) for a, b in zip(first.tolist(), second.tolist(),
                                                             strict=True)
             if frozenset((int(chosen[a]), int(chosen[b]))) not in skip]
    if not pairs:
        return []
    one = np.array([a for a, _ in pairs])
    two = np.array([b for _, b in pairs])
    shared = shapely.intersection(shapely.force_2d(lines.geoms[one]),
                                  shapely.force_2d(lines.geoms[two]))
    hits = []
    for a, b, geometry in zip(one.tolist(), two.tolist(), shared, strict=True):
        points = _points_of(geometry)
        if not len(points):
            continue
        va, vb = lines.vertices(a), lines.vertices(b)
        ends = np.concatenate([_ends(va), _ends(vb)])
        common = _near(points, va[:, :2]) & _near(points, vb[:, :2])
        inner = points[~(_near(points, ends) | common)]
        if not len(inner):
            continue
        x, y = sorted(map(tuple, inner.tolist()))[0]
        pa, pb = int(lines.positions[a]), int(lines.positions[b])
        later, earlier = ((pb, pa) if _order(ctx.annotations[pb], pb)
                          > _order(ctx.annotations[pa], pa) else (pa, pb))
        more = f" (and {len(inner) - 1} more)" if len(inner) > 1 else ""
        hits.append(Hit(later, "map_lines_cross", "error",
                        f"crosses {_who(ctx.annotations[earlier])} at {fmt_point(x, y)}{more}",
                        _spot(x, y)))
    return hits


def _stop_lines(ctx: Context, lines: _Lines, stops: set[int], views: Sequence[LaneletView],
                crossing: set[int]) -> list[Hit]:
    """Stop lines whose plan trace meets no lanelet area."""
    numbers = sorted(stops)
    if not numbers:
        return []
    traces = shapely.force_2d(lines.geoms[np.array(numbers)])
    # only lanelets whose box meets a stop line's box can meet the stop line
    stop_boxes = shapely.bounds(traces)
    boxes = np.array([np.concatenate([np.minimum(view.left[:, :2].min(axis=0),
                                                 view.right[:, :2].min(axis=0)),
                                      np.maximum(view.left[:, :2].max(axis=0),
                                                 view.right[:, :2].max(axis=0))])
                      for view in views]).reshape(-1, 4)
    near = np.flatnonzero(
        ((boxes[:, None, 0] <= stop_boxes[None, :, 2])
         & (boxes[:, None, 2] >= stop_boxes[None, :, 0])
         & (boxes[:, None, 1] <= stop_boxes[None, :, 3])
         & (boxes[:, None, 3] >= stop_boxes[None, :, 1])).any(axis=1))
    areas = []
    for n in near.tolist():
        view = views[n]
        left = np.asarray(view.left, dtype=np.float64)[:, :2]
        right = np.asarray(view.right, dtype=np.float64)[:, :2]
        if float(np.dot(left[-1] - left[0], right[-1] - right[0])) < 0:
            right = right[::-1]
        ring = np.concatenate([left, right[::-1]])
        area = shapely.Polygon(ring) if len(np.unique(ring, axis=0)) >= 3 else None
        if area is not None and (n in crossing or not area.is_valid):
            area = shapely.make_valid(area)
        if area is not None:
            areas.append(area)
    met: set[int] = set()
    if areas:
        found, _ = shapely.STRtree(_objects(areas)).query(
            traces, predicate="intersects")
        met = set(found.tolist())
    hits = []
    for k, n in enumerate(numbers):
        if k in met:
            continue
        x, y = shapely.get_coordinates(
            shapely.line_interpolate_point(traces[k], 0.5, normalized=True))[0]
        why = ("" if ctx.annotations[int(lines.positions[n])].label == STOP_LINE_CLASS
               else " (a sign's stop line)")
        hits.append(Hit(int(lines.positions[n]), "stop_line_unattached", "warning",
                        f"stop line{why} around {fmt_point(x, y)} crosses no lanelet",
                        _spot(x, y)))
    return hits


# -- heights ---------------------------------------------------------------------------------


def _height_steps(ctx: Context, positions: IntArray) -> list[Hit]:
    """The largest height step of each map line or area outline above the threshold."""
    if not len(positions):
        return []
    limit = ctx.rules.max_height_step
    shapes = [ctx.geometries[p] for p in positions.tolist()]
    arrays = []
    for shape in shapes:
        vertices = np.asarray(getattr(shape, "shell", shape.vertices), dtype=np.float64)
        if shape.kind == "polygon3d":
            vertices = np.concatenate([vertices, vertices[:1]])
        arrays.append(vertices)
    sizes = np.array([len(a) for a in arrays], dtype=np.int64)
    coords = np.concatenate(arrays)
    step = np.abs(np.diff(coords[:, 2]))
    within = np.ones(len(step), dtype=bool)
    within[np.cumsum(sizes)[:-1] - 1] = False
    step = np.where(within, step, 0.0)
    over = np.flatnonzero(step > limit)
    if not len(over):
        return []
    shape_of = np.searchsorted(np.cumsum(sizes), over, side="right")
    hits = []
    for shape in np.unique(shape_of).tolist():
        mine = over[shape_of == shape]
        worst = int(mine[np.argmax(step[mine])])
        local = worst - int(np.concatenate([[0], np.cumsum(sizes)])[shape])
        count = int(sizes[shape]) - (1 if shapes[shape].kind == "polygon3d" else 0)
        a, b = coords[worst], coords[worst + 1]
        x, y = (a[:2] + b[:2]) / 2
        more = f" ({len(mine)} steps over the limit)" if len(mine) > 1 else ""
        hits.append(Hit(int(positions[shape]), "map_height_step", "warning",
                        f"height jumps {fmt_number(abs(b[2] - a[2]))} m between vertices "
                        f"{local + 1} and {(local + 1) % count + 1} at {fmt_point(x, y)} "
                        f"(at most {fmt_number(limit)} m){more}", _spot(x, y)))
    return hits
