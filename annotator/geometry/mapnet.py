"""The road network in map annotations: lanelets, shared points, snapping.

Map features are ordinary annotations with 3D kinds (``polyline3d``,
``polygon3d``, ``point3d``) whose vertices are WORLD float64 coordinates in
the project CRS (x east, y north, z height).  The network is read from them,
not stored beside them:

* **Lanelet.**  An annotation whose ``links`` hold ``"left"`` and ``"right"``:
  the ids of its two boundary polylines.  A negative id means the boundary is
  used reversed, as Lanelet2 does with an inverted linestring (two lanelets of
  opposite direction share their centre line; one uses it backwards).  Its
  geometry is the area between the boundaries, a ``polygon3d`` (left forward,
  right backward), kept up to date by whoever edits a boundary, and derived
  again here by :func:`lanelet_polygon` whenever it matters (exports and
  validation read the boundaries, never that polygon).
* **Shared points.**  Two features are connected where they share a vertex:
  the same coordinates, as snapping (:func:`snap`) makes them.  Vertices are
  compared by :func:`point_key` (a 0.1 mm grid), which is also how exporters
  merge them into one node.
* **Topology** follows Lanelet2: lanelet B *succeeds* A when B's left and
  right boundaries start where A's end; A and B are *neighbours* when they
  share a boundary (A's left is B's right, same direction), or lie *opposite*
  (both use the centre line on the same side, one of them reversed: the
  right side in left-hand traffic as in Japan, the left in right-hand traffic).
* **Regulatory links.**  A ``traffic_sign`` or ``traffic_light`` annotation
  may link ``"stop_line"`` (the stop line it governs, Lanelet2's ``ref_line``)
  and ``"lanelet"`` (a lanelet it applies to).  Without a ``"lanelet"`` link it
  applies to the lanelets its stop line crosses (:func:`crossed_lanelets`).

>>> import numpy as np
>>> left = np.array([[0.0, 1.75, 0.0], [10.0, 1.75, 0.1]])
>>> right = np.array([[0.0, -1.75, 0.0], [10.0, -1.75, 0.1]])
>>> oriented = orient_boundaries(left, right[::-1])
>>> oriented.reverse_left, oriented.reverse_right
(False, True)
>>> lanelet_polygon(left, right).vertices[:, :2].tolist()
[[0.0, 1.75], [10.0, 1.75], [10.0, -1.75], [0.0, -1.75]]
>>> snap(np.array([9.97, 1.76]), [left, right], tolerance=0.1).point.tolist()
[10.0, 1.75, 0.1]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from annotator.errors import GeometryError
from annotator.model import Annotation
from annotator.shapes import Polygon3D, Polyline3D

__all__ = [
    "LANELET",
    "LEFT",
    "RIGHT",
    "STOP_LINE",
    "LaneletView",
    "Network",
    "Orientation",
    "Snap",
    "boundary_ref",
    "crossed_lanelets",
    "is_lanelet",
    "lanelet_links",
    "lanelet_polygon",
    "network",
    "orient_boundaries",
    "point_key",
    "snap",
]

F64 = npt.NDArray[np.float64]

LEFT: Final = "left"
RIGHT: Final = "right"
STOP_LINE: Final = "stop_line"
LANELET: Final = "lanelet"
#: Points along a lanelet at which the side of its left boundary is judged.
_SIDE_SAMPLES: Final = 17
#: Grid (m) on which vertices are the same point (shared nodes, connectivity).
KEY_GRID: Final = 1e-4


def point_key(xyz: npt.ArrayLike) -> tuple[int, int, int]:
    """The identity of a vertex: its coordinates on a 0.1 mm grid."""
    p = np.asarray(xyz, dtype=np.float64)
    return (round(float(p[0]) / KEY_GRID), round(float(p[1]) / KEY_GRID),
            round(float(p[2]) / KEY_GRID) if len(p) > 2 else 0)


def is_lanelet(annotation: Annotation) -> bool:
    """Whether ``annotation`` is a lanelet (it links a left and a right boundary)."""
    return LEFT in annotation.links and RIGHT in annotation.links


def boundary_ref(links: Mapping[str, int], side: str) -> tuple[int, bool]:
    """``(annotation id, reversed)`` of a lanelet's ``side`` boundary."""
    value = int(links[side])
    return abs(value), value < 0


def lanelet_links(left_id: int, right_id: int, reverse_left: bool = False,
                  reverse_right: bool = False) -> dict[str, int]:
    """The ``links`` of a lanelet between two boundary annotations."""
    return {LEFT: -left_id if reverse_left else left_id,
            RIGHT: -right_id if reverse_right else right_id}


@dataclass(frozen=True)
class Orientation:
    """How two picked boundaries make a lanelet: which of them run reversed."""

    reverse_left: bool
    reverse_right: bool

    def apply(self, left: F64, right: F64) -> tuple[F64, F64]:
        return (left[::-1] if self.reverse_left else left,
                right[::-1] if self.reverse_right else right)


def _direction(line: F64) -> F64:
    d = line[-1, :2] - line[0, :2]
    n = float(np.hypot(*d))
    return d / n if n > 0 else d


def orient_boundaries(left: npt.ArrayLike, right: npt.ArrayLike) -> Orientation:
    """The orientation that makes ``left`` and ``right`` a lanelet, left on the left.

    The right boundary is turned to run the same way as the left; then, if
    the left one lies on the right of that direction, both are reversed: the
    user picked which line is on the left, and the direction of travel follows.
    """
    a = _vertices(left, "left boundary")
    b = _vertices(right, "right boundary")
    reverse_right = float(np.dot(_direction(a), _direction(b))) < 0
    b_run = b[::-1] if reverse_right else b
    # which side the left line lies on, judged along the lane (curves included): the sum
    # over samples of the cross product of the centre line's heading and left - right
    la, lb = _resample(a, _SIDE_SAMPLES)[:, :2], _resample(b_run, _SIDE_SAMPLES)[:, :2]
    heading = np.gradient((la + lb) / 2, axis=0)
    offset = la - lb
    cross = float((heading[:, 0] * offset[:, 1] - heading[:, 1] * offset[:, 0]).sum())
    if cross < 0:
        return Orientation(True, not reverse_right)
    return Orientation(False, reverse_right)


def lanelet_polygon(left: npt.ArrayLike, right: npt.ArrayLike) -> Polygon3D:
    """The area of a lanelet: its oriented left boundary, then its right one backwards."""
    a = _vertices(left, "left boundary")
    b = _vertices(right, "right boundary")
    ring = np.concatenate([a, b[::-1]])
    keep = np.ones(len(ring), dtype=bool)
    keep[1:] = np.any(ring[1:] != ring[:-1], axis=1)
    if np.array_equal(ring[-1], ring[0]) and len(ring) > 1:
        keep[-1] = False
    return Polygon3D(ring[keep])


def _vertices(value: npt.ArrayLike, what: str) -> F64:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 3 or len(array) < 2:
        raise GeometryError(f"{what}: a boundary is at least two 3D vertices, "
                            f"got shape {array.shape}")
    return array


# -- the network of a set of annotations -------------------------------------------------------


@dataclass(frozen=True)
class LaneletView:
    """One lanelet with its boundaries resolved and oriented (world ``(n, 3)``)."""

    annotation: Annotation
    left_id: int
    right_id: int
    left: F64
    right: F64
    reverse_left: bool
    reverse_right: bool

    @property
    def id(self) -> int:
        return int(self.annotation.id or 0)

    def polygon(self) -> Polygon3D:
        return lanelet_polygon(self.left, self.right)

    def centerline(self, samples: int = 16) -> F64:
        """Points halfway between the boundaries, at equal fractions of their lengths."""
        return (_resample(self.left, samples) + _resample(self.right, samples)) / 2


def _resample(line: F64, samples: int) -> F64:
    seg = np.hypot(*np.diff(line[:, :2], axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] == 0:
        return np.repeat(line[:1], samples, axis=0)
    t = np.linspace(0.0, s[-1], samples)
    return np.column_stack([np.interp(t, s, line[:, k]) for k in range(3)])


@dataclass
class Network:
    """Lanelets and their Lanelet2-style relations, derived from annotations."""

    lanelets: list[LaneletView] = field(default_factory=list)
    #: lanelet ids whose boundary links name no polyline3d annotation here
    broken: dict[int, str] = field(default_factory=dict)
    successors: dict[int, list[int]] = field(default_factory=dict)
    predecessors: dict[int, list[int]] = field(default_factory=dict)
    #: lanelets sharing a boundary with the same direction (lane change possible)
    adjacent: dict[int, list[int]] = field(default_factory=dict)
    #: lanelets sharing a boundary on the same side in opposite directions (the lane of
    #: the other direction across the centre line)
    opposite: dict[int, list[int]] = field(default_factory=dict)

    def by_id(self) -> dict[int, LaneletView]:
        return {view.id: view for view in self.lanelets}


def network(annotations: Iterable[Annotation]) -> Network:
    """The lanelets among ``annotations`` and how they connect."""
    everything = list(annotations)
    lines = {int(a.id): a for a in everything
             if a.id is not None and isinstance(a.geometry, Polyline3D)}
    net = Network()
    for annotation in everything:
        if not is_lanelet(annotation) or annotation.id is None:
            continue
        left_id, reverse_left = boundary_ref(annotation.links, LEFT)
        right_id, reverse_right = boundary_ref(annotation.links, RIGHT)
        missing = [side for side, ref in ((LEFT, left_id), (RIGHT, right_id))
                   if ref not in lines]
        if missing:
            net.broken[int(annotation.id)] = (
                f"its {' and '.join(missing)} boundary is not a 3D polyline here "
                f"(links {dict(annotation.links)})")
            continue
        if left_id == right_id:
            net.broken[int(annotation.id)] = "its left and right boundary are the same line"
            continue
        left = lines[left_id].geometry.vertices
        right = lines[right_id].geometry.vertices
        net.lanelets.append(LaneletView(
            annotation, left_id, right_id,
            left[::-1] if reverse_left else left, right[::-1] if reverse_right else right,
            reverse_left, reverse_right))
    _relate(net)
    return net


def _relate(net: Network) -> None:
    starts: dict[tuple[tuple[int, int, int], tuple[int, int, int]], list[int]] = defaultdict(list)
    for view in net.lanelets:
        starts[(point_key(view.left[0]), point_key(view.right[0]))].append(view.id)
    for view in net.lanelets:
        key = (point_key(view.left[-1]), point_key(view.right[-1]))
        following = [i for i in starts.get(key, []) if i != view.id]
        net.successors[view.id] = following
        for other in following:
            net.predecessors.setdefault(other, []).append(view.id)
        net.predecessors.setdefault(view.id, [])
    uses: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
    for view in net.lanelets:
        uses[view.left_id].append((view.id, LEFT, view.reverse_left))
        uses[view.right_id].append((view.id, RIGHT, view.reverse_right))
    for view in net.lanelets:
        net.adjacent.setdefault(view.id, [])
        net.opposite.setdefault(view.id, [])
    for users in uses.values():
        for i, (a, side_a, rev_a) in enumerate(users):
            for b, side_b, rev_b in users[i + 1:]:
                if a == b:
                    continue
                if side_a != side_b and rev_a == rev_b:
                    net.adjacent[a].append(b)
                    net.adjacent[b].append(a)
                elif side_a == side_b and rev_a != rev_b:
                    net.opposite[a].append(b)
                    net.opposite[b].append(a)


def crossed_lanelets(line: npt.ArrayLike, lanelets: Sequence[LaneletView]) -> list[int]:
    """Ids of the lanelets whose area the 2D trace of ``line`` crosses or touches."""
    import shapely

    trace = shapely.linestrings(np.asarray(line, dtype=np.float64)[:, :2])
    areas = [shapely.polygons(view.polygon().vertices[:, :2]) for view in lanelets]
    if not areas:
        return []
    hits = shapely.intersects(np.array(areas, dtype=object), trace)
    return [view.id for view, hit in zip(lanelets, hits, strict=True) if hit]


# -- snapping ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snap:
    """Where a drawn spot lands: on a vertex, on an edge, or where it was drawn."""

    point: F64          # (3,) world xyz; z NaN when nothing was hit (lift it)
    kind: str           # "vertex", "edge" or "none"
    line: int = -1      # index into the lines searched
    index: int = -1     # the vertex, or the edge's first vertex


def snap(xy: npt.ArrayLike, lines: Sequence[npt.ArrayLike], tolerance: float) -> Snap:
    """Snap world ``xy`` to the nearest vertex, else edge, of ``lines`` within ``tolerance``.

    A vertex within the tolerance wins over a nearer edge (continuing a line
    shares its end point exactly).  An edge hit takes the height interpolated
    along that edge.
    """
    spot = np.asarray(xy, dtype=np.float64)[:2]
    best_vertex: tuple[float, int, int] | None = None
    best_edge: tuple[float, int, int, F64] | None = None
    for n, raw in enumerate(lines):
        line = np.asarray(raw, dtype=np.float64)
        if line.ndim != 2 or not len(line):
            continue
        d = np.hypot(line[:, 0] - spot[0], line[:, 1] - spot[1])
        i = int(np.argmin(d))
        if d[i] <= tolerance and (best_vertex is None or d[i] < best_vertex[0]):
            best_vertex = (float(d[i]), n, i)
        if len(line) < 2:
            continue
        a, b = line[:-1], line[1:]
        ab = b[:, :2] - a[:, :2]
        length2 = (ab * ab).sum(axis=1)
        t = np.where(length2 > 0, ((spot - a[:, :2]) * ab).sum(axis=1)
                     / np.where(length2 > 0, length2, 1.0), 0.0).clip(0.0, 1.0)
        foot = a + (b - a) * t[:, None]
        de = np.hypot(foot[:, 0] - spot[0], foot[:, 1] - spot[1])
        j = int(np.argmin(de))
        if de[j] <= tolerance and (best_edge is None or de[j] < best_edge[0]):
            best_edge = (float(de[j]), n, j, foot[j])
    if best_vertex is not None:
        _, n, i = best_vertex
        return Snap(np.asarray(lines[n], dtype=np.float64)[i, :3].copy(), "vertex", n, i)
    if best_edge is not None:
        _, n, j, foot = best_edge
        return Snap(foot[:3].copy(), "edge", n, j)
    return Snap(np.array([spot[0], spot[1], np.nan]), "none")
