"""Painted road markings: bright ground points, grouped into strokes, fitted to lines.

Paint returns the laser far brighter than asphalt, so the ground points above
an intensity percentile are the markings (and some noise).  They are counted
in a bird's-eye raster of :data:`CELL` metres, closed by one cell (a worn
patch does not break a line) and split into connected components
(``cv2.connectedComponentsWithStats``).  A component is a *stroke* when it is
long and thin along its principal direction.  Then:

* strokes of similar length side by side less than :data:`ZEBRA_SPACING`
  apart, three or more, are the bars of a zebra crossing (one area);
* a stroke across the main direction of the others is a stop line;
* the rest are lane lines: strokes on one line (same direction, no sideways
  step, gaps up to ``max_gap``) are chained, so a dashed line, or a line
  broken by a parked car, is one polyline; it is "dashed" when paint covers
  less than 3/4 of its length, and "double_solid" when it is as wide as two
  lines side by side.

A chain's vertices are the middle of its points' sideways spread in 2 m steps
along its principal direction, at the median height of those points (paint
lies on the road), thinned where the line runs straight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Marking", "find_markings"]

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

#: Raster cell (m) of the bright points.
CELL: Final = 0.2
#: Cells (m) of the rasters turned to each band's direction: along it and across.
ALONG_CELL: Final = 0.3
ACROSS_CELL: Final = 0.2
#: Side (m) of the blocks whose bright points are rastered at a time.
BLOCK: Final = 200.0
#: Width (radians) of the bands of line directions whose strokes are told apart.
DIRECTION_STEP: Final = math.radians(15.0)
#: Paint covers its stroke: at least this share of the ground's point density (bright
#: outliers on grass or tiles are a few percent).
MIN_FILL: Final = 0.4
#: Widest stroke (m) that is still a line (a double line is about 0.45).
MAX_WIDTH: Final = 0.8
#: Points further than this (m) sideways from their group's line belong to something else.
TRIM: Final = 0.3
#: Stroke at least this wide (m): two lines side by side.
DOUBLE_WIDTH: Final = 0.35
#: Zebra bars lie at most this far apart (m, centre to centre); lanes are wider.
ZEBRA_SPACING: Final = 2.0
#: A stroke more than 60 degrees off the main direction runs across the road.
ACROSS: Final = math.cos(math.radians(60.0))
#: Strokes chain when their direction differs by at most this (radians) ...
CHAIN_ANGLE: Final = math.radians(6.0)
#: ... and the points of each lie, on average, within this (m) of the other's line.
CHAIN_OFFSET: Final = 0.3
#: Step (m) of the vertices along a line before thinning; thinning tolerance (m).
STEP: Final = 2.0
TOLERANCE: Final = 0.03


@dataclass(frozen=True)
class Marking:
    """A marking in LOCAL coordinates: ``kind`` "lane_line" / "stop_line" (``points`` a
    line) or "crosswalk" (``points`` a ring); ``line_type`` for lane lines."""

    kind: str
    points: F64                 # (m, 3)
    line_type: str | None = None


@dataclass(frozen=True)
class _Stroke:
    points: F64                 # (n, 2)
    heights: F64                # (n,)
    centre: F64                 # (2,)
    direction: F64              # (2,) unit
    length: float
    width: float


def find_markings(xyz: F32, intensity: npt.NDArray[np.floating], *,
                  percentile: float = 95.0, min_length: float = 1.5,
                  max_gap: float = 7.0) -> list[Marking]:
    """Markings among the local GROUND points ``xyz`` with their ``intensity``."""
    if len(xyz) < 10:
        return []
    threshold = float(np.percentile(intensity, percentile))
    bright = xyz[intensity > threshold]
    fill = MIN_FILL * _density(xyz)
    strokes = [s for block in _blocks(bright.astype(np.float64))
               for s in _strokes(block, min_length)
               if len(s.points) >= fill * s.length * max(s.width, CELL / 2)]
    if not strokes:
        return []
    out: list[Marking] = []
    zebra = _zebra_groups(strokes)
    used = {i for group in zebra for i in group}
    for group in zebra:
        out.append(_crosswalk([strokes[i] for i in group]))
    rest = [s for i, s in enumerate(strokes) if i not in used]
    main = _main_direction(rest) if rest else None
    lines: list[_Stroke] = []
    for stroke in rest:
        across = main is not None and abs(float(stroke.direction @ main)) < ACROSS
        if across and stroke.width >= 0.25:
            out.append(Marking("stop_line", _polyline(stroke.points, stroke.heights)))
        else:
            lines.append(stroke)
    for chain in _chains(lines, max_gap):
        out.append(_lane_line([lines[i] for i in chain]))
    return out


def _blocks(points: F64) -> list[F64]:
    """The points in square blocks of :data:`BLOCK` metres: the rasters of a huge tile stay
    small (a line cut by a block's edge is chained whole again)."""
    if not len(points):
        return []
    col = ((points[:, 0] - points[:, 0].min()) / BLOCK).astype(np.int64)
    row = ((points[:, 1] - points[:, 1].min()) / BLOCK).astype(np.int64)
    key = row * (int(col.max()) + 1) + col
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    return [points[part] for part in np.split(order, bounds)]


def _density(xyz: F32) -> float:
    """Ground points per square metre where there is ground (cells of :data:`CELL` with points)."""
    col = ((xyz[:, 0] - xyz[:, 0].min()) / np.float32(CELL)).astype(np.int64)
    row = ((xyz[:, 1] - xyz[:, 1].min()) / np.float32(CELL)).astype(np.int64)
    occupied = np.count_nonzero(np.bincount(row * (int(col.max()) + 1) + col))
    return len(xyz) / max(occupied * CELL * CELL, 1e-9)


def _strokes(points: F64, min_length: float) -> list[_Stroke]:
    """Long thin connected groups of bright points, split where strokes of other directions
    touch them (a stop line meets the edge line and the centre line)."""
    if not len(points):
        return []
    low = points[:, :2].min(axis=0) - 4 * CELL
    col = ((points[:, 0] - low[0]) / CELL).astype(np.int64)
    row = ((points[:, 1] - low[1]) / CELL).astype(np.int64)
    image = np.zeros((int(row.max()) + 5, int(col.max()) + 5), dtype=np.uint8)
    image[row, col] = 1
    bands, directions = _direction_bands(image)
    band = bands[row, col]
    strokes: list[_Stroke] = []
    for k, angle in enumerate(directions):
        mine = points[band == k]
        if len(mine) < 8:
            continue
        for part in _aligned_components(mine, angle):
            if len(part) < 8:
                continue
            stroke = _stroke(part[:, :2], part[:, 2])
            if stroke.length >= min_length and stroke.width <= MAX_WIDTH \
                    and stroke.length >= 3 * stroke.width:
                strokes.append(stroke)
    return strokes


def _direction_bands(image: npt.NDArray[np.uint8]) -> tuple[I64, list[float]]:
    """The band of line directions of each painted cell, and each band's central direction.

    The direction of the paint around each cell comes from the structure tensor (the
    smoothed outer product of the image gradient: the line runs across its main
    axis); the bands are :data:`DIRECTION_STEP` wide and centred on the commonest
    direction, so the lines along the road and the lines across it (90 degrees)
    each sit in the middle of a band.
    """
    values = image.astype(np.float32)
    gx = cv2.Sobel(values, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(values, cv2.CV_32F, 0, 1, ksize=3)
    jxx, jyy, jxy = (cv2.GaussianBlur(g, (0, 0), 2.0) for g in (gx * gx, gy * gy, gx * gy))
    # twice the gradient's angle; the line's is that plus 180 degrees (doubled: +pi)
    doubled = np.arctan2(2 * jxy, jxx - jyy) + np.float32(math.pi)
    painted = image > 0
    strength = np.hypot(jxx - jyy, 2 * jxy)[painted]
    angles = doubled[painted]
    main = math.atan2(float((strength * np.sin(angles)).sum()),
                      float((strength * np.cos(angles)).sum()))
    count = round(math.pi / DIRECTION_STEP)
    band: I64 = np.round((doubled - main) / (2 * DIRECTION_STEP)).astype(np.int64) % count
    return band, [main / 2 + k * DIRECTION_STEP for k in range(count)]


def _aligned_components(xyz: F64, angle: float) -> list[F64]:
    """Connected groups of points in a raster turned to ``angle``: cells long along it and
    narrow across, so strokes along it stay whole and parallel ones stay apart.

    Where another stroke touches a line (a stop line meets the edge line, a zebra bar
    comes close to it) some of its points may join the line's group: points further
    than :data:`TRIM` from the line are left out, the line being the running median
    (over five 2 m stretches) of the median sideways offset per stretch.
    """
    c, s = math.cos(angle), math.sin(angle)
    u = xyz[:, 0] * c + xyz[:, 1] * s
    v = xyz[:, 1] * c - xyz[:, 0] * s
    col = ((u - u.min()) / ALONG_CELL).astype(np.int64) + 1
    row = ((v - v.min()) / ACROSS_CELL).astype(np.int64) + 1
    image = np.zeros((int(row.max()) + 2, int(col.max()) + 2), dtype=np.uint8)
    image[row, col] = 1
    _, labels = cv2.connectedComponents(image, connectivity=8)
    label = labels[row, col].astype(np.int64)
    big = np.bincount(label)[label] >= 8               # specks are no strokes
    xyz, u, v, label = xyz[big], u[big], v[big], label[big]
    if not len(label):
        return []
    stretch = ((u - u.min()) / STEP).astype(np.int64)
    stretches = int(stretch.max()) + 1
    key = label * stretches + stretch
    order = np.lexsort((v, key))
    first = np.concatenate(([0], np.flatnonzero(np.diff(key[order])) + 1))
    size = np.diff(np.concatenate((first, [len(order)])))
    _, group = np.unique(label[order][first], return_inverse=True)
    medians = np.full((int(group.max()) + 1, stretches + 4), np.inf)
    medians[group, stretch[order][first] + 2] = v[order][first + size // 2]
    # the running median of five stretches: a short stroke beside a line does not pull it
    window = np.sort(sliding_window_view(medians, 5, axis=1), axis=2)    # empty ones last
    filled = np.isfinite(window).sum(axis=2)
    smooth = np.take_along_axis(window, np.maximum(filled - 1, 0)[..., None] // 2, axis=2)[..., 0]
    centre = np.empty(len(xyz))
    centre[order] = np.repeat(smooth[group, stretch[order][first]], size)
    keep = np.abs(v - centre) <= TRIM
    kept = np.flatnonzero(keep)
    order = kept[np.argsort(label[kept], kind="stable")]
    bounds = np.flatnonzero(np.diff(label[order])) + 1
    return [xyz[part] for part in np.split(order, bounds)]


def _stroke(xy: F64, z: F64) -> _Stroke:
    centre = xy.mean(axis=0)
    offsets = xy - centre
    _, vectors = np.linalg.eigh(offsets.T @ offsets)
    direction = vectors[:, 1]
    if direction[0] < 0 or (direction[0] == 0 and direction[1] < 0):
        direction = -direction                   # one sense per direction: +x first
    along = offsets @ direction
    across = offsets @ np.array([-direction[1], direction[0]])
    lo, hi = np.percentile(across, [5.0, 95.0])
    return _Stroke(xy, z, centre, direction, float(along.max() - along.min()), float(hi - lo))


def _main_direction(strokes: list[_Stroke]) -> F64:
    """The length-weighted principal direction of the strokes (axial: sign-free)."""
    tensor = sum(s.length * np.outer(s.direction, s.direction) for s in strokes)
    _, vectors = np.linalg.eigh(np.asarray(tensor, dtype=np.float64))
    main: F64 = vectors[:, 1]
    return main


def _span(stroke: _Stroke, direction: F64) -> tuple[float, float]:
    along = (stroke.points - stroke.centre) @ direction + float(stroke.centre @ direction)
    return float(along.min()), float(along.max())


def _near_pairs(strokes: list[_Stroke], reach: float) -> list[tuple[int, int]]:
    """Pairs ``i < j`` of strokes within :data:`CHAIN_ANGLE` of parallel whose centres lie
    within half their lengths plus ``reach`` (the only ones the tests below can join)."""
    if len(strokes) < 2:
        return []
    direction = np.array([s.direction for s in strokes])
    centre = np.array([s.centre for s in strokes])
    length = np.array([s.length for s in strokes])
    i, j = np.triu_indices(len(strokes), 1)
    parallel = np.abs((direction[i] * direction[j]).sum(axis=1)) >= math.cos(CHAIN_ANGLE)
    close = np.linalg.norm(centre[i] - centre[j], axis=1) <= (length[i] + length[j]) / 2 + reach
    both = parallel & close
    return list(zip(i[both].tolist(), j[both].tolist(), strict=True))


def _groups(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Connected groups of ``range(n)`` joined by ``pairs``, each in ascending order."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _zebra_groups(strokes: list[_Stroke]) -> list[list[int]]:
    """Groups of three or more parallel strokes of a similar length, side by side."""
    joined = []
    for i, j in _near_pairs(strokes, ZEBRA_SPACING):
        a, b = strokes[i], strokes[j]
        if not 0.6 <= a.length / b.length <= 1 / 0.6 or min(a.width, b.width) < 0.25:
            continue
        normal = np.array([-a.direction[1], a.direction[0]])
        sideways = abs(float((b.centre - a.centre) @ normal))
        a0, a1 = _span(a, a.direction)
        b0, b1 = _span(b, a.direction)
        overlap = min(a1, b1) - max(a0, b0)
        if 0.3 <= sideways <= ZEBRA_SPACING and overlap >= 0.5 * min(a.length, b.length):
            joined.append((i, j))
    return [g for g in _groups(len(strokes), joined) if len(g) >= 3]


def _chains(strokes: list[_Stroke], max_gap: float) -> list[list[int]]:
    """Strokes on one line."""
    joined = [(i, j) for i, j in _near_pairs(strokes, max_gap)
              if _continues(strokes[i], strokes[j], max_gap)]
    return _groups(len(strokes), joined)


def _continues(a: _Stroke, b: _Stroke, max_gap: float) -> bool:
    """Whether ``b`` lies on the line of ``a`` (and back), at most ``max_gap`` beyond its end."""
    if abs(float(a.direction @ b.direction)) < math.cos(CHAIN_ANGLE):
        return False
    if max(a.width, b.width) > 1.6 * min(a.width, b.width) + 0.1:
        return False                             # a double line does not go on as a single one
    for p, q in ((a, b), (b, a)):
        normal = np.array([-p.direction[1], p.direction[0]])
        if np.abs((q.points - p.centre) @ normal).mean() > CHAIN_OFFSET:
            return False
    a0, a1 = _span(a, a.direction)
    b0, b1 = _span(b, a.direction)
    gap = max(b0 - a1, a0 - b1)
    return gap <= max_gap


def _lane_line(strokes: list[_Stroke]) -> Marking:
    points = np.concatenate([s.points for s in strokes])
    line = _polyline(points, np.concatenate([s.heights for s in strokes]))
    length = float(np.linalg.norm(np.diff(line[:, :2], axis=0), axis=1).sum())
    painted = sum(s.length for s in strokes)
    width = float(np.median([s.width for s in strokes]))
    if len(strokes) >= 2 and painted < 0.75 * length:
        kind = "dashed"
    elif width >= DOUBLE_WIDTH:
        kind = "double_solid"
    else:
        kind = "solid"
    return Marking("lane_line", line, kind)


def _polyline(xy: F64, z: F64) -> F64:
    """The centre line of the paint points ``xy`` (heights ``z``): per step along, the middle
    of their sideways spread and their median height; thinned."""
    centre = xy.mean(axis=0)
    offsets = xy - centre
    _, vectors = np.linalg.eigh(offsets.T @ offsets)
    direction = vectors[:, 1]
    normal = np.array([-direction[1], direction[0]])
    along, across = offsets @ direction, offsets @ normal
    lo, hi = float(along.min()), float(along.max())
    steps = max(1, math.ceil((hi - lo) / STEP))
    edges = np.linspace(lo, hi, steps + 1)
    index = np.clip(np.searchsorted(edges, along, side="right") - 1, 0, steps - 1)
    # per step: the middle of the paint's band (10th to 90th percentile sideways, so a
    # double line's two stripes weigh alike), the median height, the mean station
    by_across = np.lexsort((across, index))
    by_height = np.lexsort((z, index))
    first = np.concatenate(([0], np.flatnonzero(np.diff(index[by_across])) + 1))
    count = np.diff(np.concatenate((first, [len(index)])))
    low = across[by_across][first + (count - 1) // 10]
    high = across[by_across][first + (count - 1) * 9 // 10]
    middle = ((low + high) / 2).tolist()
    heights = z[by_height][first + (count - 1) // 2].tolist()
    used = index[by_across][first]
    stations = (np.bincount(index, weights=along, minlength=steps)[used] / count).tolist()
    stations[0], stations[-1] = lo, hi
    if len(first) == 1:                          # a short stroke: its two ends
        stations, middle, heights = [lo, hi], middle * 2, heights * 2
    pos = np.array(stations)[:, None] * direction + np.array(middle)[:, None] * normal + centre
    return _thin(np.column_stack((pos, heights)))


def _thin(line: F64) -> F64:
    """Douglas-Peucker in 3D: keep the vertices further than :data:`TOLERANCE` off the chord."""
    keep = np.zeros(len(line), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(line) - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        chord = line[b] - line[a]
        norm = float(np.linalg.norm(chord))
        rel = line[a + 1:b] - line[a]
        if norm == 0.0:
            dist = np.linalg.norm(rel, axis=1)
        else:
            dist = np.linalg.norm(np.cross(rel, chord / norm), axis=1)
        k = int(np.argmax(dist))
        if dist[k] > TOLERANCE:
            keep[a + 1 + k] = True
            stack += [(a, a + 1 + k), (a + 1 + k, b)]
    thinned: F64 = line[keep]
    return thinned


def _crosswalk(strokes: list[_Stroke]) -> Marking:
    """The ring around a zebra crossing's bars (their minimum-area rectangle), each corner at
    the median height of the paint within 1.5 m of it."""
    points = np.concatenate([s.points for s in strokes])
    heights = np.concatenate([s.heights for s in strokes])
    corners = cv2.boxPoints(cv2.minAreaRect(points.astype(np.float32))).astype(np.float64)
    distance = np.linalg.norm(points[None, :, :] - corners[:, None, :], axis=2)
    near = distance <= 1.5
    z = [float(np.median(heights[row])) if row.any() else float(np.median(heights))
         for row in near]
    return Marking("crosswalk", np.column_stack((corners, z)))
