"""Heights for map vertices drawn in 2D: the road surface of a point-cloud tile under them.

A lane line drawn in the bird's-eye view has x and y only; its heights come
from the ground of the tile beneath it.

* :func:`ground_heights` - the world height of the ground under each of many
  world ``(x, y)`` spots (NaN where no ground points are near), vectorised:
  a million vertices take about as long as a few million points.
* :func:`densify` - extra vertices on long segments, so a lifted line
  follows the surface between the drawn vertices.
* :func:`lift_line` - both: a drawn polyline as ``(m, 3)`` world vertices,
  keeping the heights the user locked.

The method.  Once per cloud the tile is cut into square cells of
:data:`CELL` metres; in each, the points within :data:`GROUND_BAND` of the
cell's lowest point are averaged (their mean height and mean position): the
lowest layer of a cell is the ground wherever the ground shows, and averaging
a band instead of taking the minimum leaves the scanner's noise unbiased.
The lowest layer of a cell under a car's body or a tree's crown is that
object's underside, so per vertex the cells whose centres of ground lie within
``radius`` are pooled; the reference is the lowest of them with company
(a share of the cells within the band of it: a stray low point has none,
and car and vegetation cells lie above it); the cells within the band of it
are kept, and a plane fitted to them (slope limited to
:data:`MAX_GROUND_SLOPE`, as for cuboid ground) gives the height at the
vertex: slopes, crowns and banks within the radius cost no bias.  The cell
raster lives as long as the cloud object (a
:class:`weakref.WeakKeyDictionary`), beside the cloud's point grid in
:mod:`annotator.geometry._cloudgrid`; band and slope limit are those of
:mod:`annotator.geometry.cuboid`'s ground plane.

Coordinates: vertices are WORLD float64; the cloud keeps float32 offsets
from its float64 origin, and all differences here are taken in float64 from
that origin, so a tile 40 km from its CRS origin keeps sub-millimetre
precision.

>>> import numpy as np
>>> from annotator.media.pointcloud import PointCloud
>>> g = np.mgrid[0:40, 0:40].reshape(2, -1).T * 0.1
>>> xyz = np.column_stack((g, 0.03 * g[:, 0])).astype(np.float32)   # 3 % up along x
>>> cloud = PointCloud(np.array([40_000.0, -12_000.0, 500.0]), xyz, {}, "pcd", "binary")
>>> ground_heights(cloud, np.array([[40_002.0, -11_998.0], [40_100.0, 0.0]])).round(3).tolist()
[500.06, nan]
>>> densify(np.array([[0.0, 0.0], [2.5, 0.0]]), max_step=1.0)[:, 0].round(3).tolist()
[0.0, 0.833, 1.667, 2.5]
"""

from __future__ import annotations

import itertools
import math
import threading
import weakref
from typing import Final

import numpy as np
import numpy.typing as npt

from annotator.errors import GeometryError
from annotator.geometry.cuboid import GROUND_BAND, MAX_GROUND_SLOPE
from annotator.media.pointcloud import PointCloud

__all__ = ["CELL", "GroundRaster", "densify", "follow_ground", "ground_heights", "ground_raster",
           "lift_line"]

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

#: Side (m) of the cells whose lowest layer is a ground candidate.
CELL: Final = 0.25
#: Cells at most per point (and a million besides): a sparse huge tile gets coarser cells.
_CELLS_PER_POINT: Final = 4
#: Points binned at a time while the raster is built (bounds its temporaries).
_CHUNK: Final = 1 << 22
#: Spots x stencil cells answered at a time (bounds the per-spot arrays).
_VERTEX_CHUNK: Final = 1 << 22
#: Ridge (m^2) on the local plane's slope: a disc of 0.25 m cells of radius 0.5 m spreads ~1.5.
_RIDGE: Final = 0.05
_FAR: Final = 1e30                  # the height of no cell (sorts last, subtracts to 0)
_RASTERS: weakref.WeakKeyDictionary[PointCloud, GroundRaster] = weakref.WeakKeyDictionary()
_LOCK: Final = threading.Lock()


class GroundRaster:
    """The lowest layer of each cell of a cloud: mean height and mean position (local)."""

    def __init__(self, cloud: PointCloud) -> None:
        n = len(cloud)
        x, y, z = cloud.xyz[:, 0], cloud.xyz[:, 1], cloud.xyz[:, 2]
        self.x0 = float(x.min()) if n else 0.0
        self.y0 = float(y.min()) if n else 0.0
        width = float(x.max()) - self.x0 if n else 0.0
        height = float(y.max()) - self.y0 if n else 0.0
        cell = CELL
        while (int(width / cell) + 1) * (int(height / cell) + 1) > _CELLS_PER_POINT * n + 1_000_000:
            cell *= 1.25
        self.cell = cell
        self.cols = int(width / cell) + 1
        self.rows = int(height / cell) + 1
        cells = self.rows * self.cols
        ids = np.empty(n, dtype=np.int64)
        lowest = np.full(cells, np.inf, dtype=np.float32)
        for start in range(0, n, _CHUNK):
            stop = min(n, start + _CHUNK)
            ids[start:stop] = self._cells(x[start:stop], y[start:stop])
            np.minimum.at(lowest, ids[start:stop], z[start:stop])
        count = np.zeros(cells, dtype=np.float64)
        sums = np.zeros((3, cells), dtype=np.float64)
        band = np.float32(GROUND_BAND)
        for start in range(0, n, _CHUNK):
            stop = min(n, start + _CHUNK)
            part = ids[start:stop]
            keep = z[start:stop] <= lowest[part] + band
            kept = part[keep]
            count += np.bincount(kept, minlength=cells)
            for axis, values in enumerate((x, y, z)):
                sums[axis] += np.bincount(kept, weights=values[start:stop][keep], minlength=cells)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (sums / count).astype(np.float32)       # NaN in empty cells
        self.x, self.y, self.z = means[0], means[1], means[2]

    def _cells(self, x: npt.NDArray[np.floating], y: npt.NDArray[np.floating]) -> I64:
        col = np.clip(((x - self.x0) / self.cell).astype(np.int64), 0, self.cols - 1)
        row = np.clip(((y - self.y0) / self.cell).astype(np.int64), 0, self.rows - 1)
        cell: I64 = row * self.cols + col
        return cell

    @property
    def nbytes(self) -> int:
        return int(self.x.nbytes + self.y.nbytes + self.z.nbytes)


def ground_raster(cloud: PointCloud) -> GroundRaster:
    """The cloud's ground raster, built on the first call (e.g. on a worker thread)."""
    with _LOCK:
        raster = _RASTERS.get(cloud)
    if raster is None:
        raster = GroundRaster(cloud)
        with _LOCK:
            raster = _RASTERS.setdefault(cloud, raster)
    return raster


def ground_heights(cloud: PointCloud, xy_world: npt.ArrayLike, radius: float = 0.5, *,
                   support: float = 0.25, band: float = GROUND_BAND) -> F64:
    """World ground heights under the world spots ``xy_world`` (``(n, 2)``; NaN: no ground near).

    Parameters
    ----------
    radius : float
        Metres around each spot whose cells count (at least half a cell).
    support : float
        The ground is the lowest cell with at least this share of the cells
        around the spot (and three, where there are three) within ``band`` of
        it: below it lie stray low points, above it cars, walls and
        vegetation.
    band : float
        Cells within this many metres of that lowest cell are the ground.
    """
    xy = _points(xy_world, "ground_heights: xy_world")
    if not math.isfinite(radius) or radius <= 0:
        raise GeometryError(f"ground_heights: radius must be a positive number of metres, "
                            f"not {radius!r}")
    if not 0.0 <= support <= 1.0:
        raise GeometryError(f"ground_heights: support must be within 0..1, not {support!r}")
    out = np.full(len(xy), np.nan, dtype=np.float64)
    if not len(cloud) or not len(xy):
        return out
    raster = ground_raster(cloud)
    reach = max(radius, raster.cell / 2)
    span = math.ceil(reach / raster.cell)
    steps = np.arange(-span, span + 1)
    d_row, d_col = (a.ravel() for a in np.meshgrid(steps, steps, indexing="ij"))
    # cells whose nearest corner is beyond reach can hold no centre of ground within it
    near = (np.maximum(np.abs(d_row) - 1, 0) ** 2 + np.maximum(np.abs(d_col) - 1, 0) ** 2) \
        * raster.cell ** 2 <= reach ** 2
    d_row, d_col = d_row[near], d_col[near]
    local = xy - cloud.origin[:2]
    chunk = max(1024, _VERTEX_CHUNK // len(d_row))    # the company test is k x k per spot
    for start in range(0, len(xy), chunk):
        stop = min(len(xy), start + chunk)
        out[start:stop] = _heights(raster, local[start:stop], d_row, d_col, reach,
                                   support, band)
    out += cloud.origin[2]
    return out


def _heights(raster: GroundRaster, local: F64, d_row: I64, d_col: I64, reach: float,
             support: float, band: float) -> F64:
    """Local ground heights at local spots: the stencil of cells, reference, plane."""
    col = np.floor((local[:, 0] - raster.x0) / raster.cell).astype(np.int64)
    row = np.floor((local[:, 1] - raster.y0) / raster.cell).astype(np.int64)
    cols = col[:, None] + d_col[None, :]
    rows = row[:, None] + d_row[None, :]
    inside = (cols >= 0) & (cols < raster.cols) & (rows >= 0) & (rows < raster.rows)
    cell = np.where(inside, rows * raster.cols + cols, 0)
    z = raster.z[cell].astype(np.float64)
    dx = raster.x[cell] - local[:, 0:1]          # float32 cell - float64 spot: float64
    dy = raster.y[cell] - local[:, 1:2]
    with np.errstate(invalid="ignore"):
        valid = inside & (dx * dx + dy * dy <= reach * reach)   # NaN (empty cell) is False
    found = valid.sum(axis=1)
    ordered = np.sort(np.where(valid, z, _FAR), axis=1)
    # the lowest cell with enough cells within the band of it: a stray low point has
    # no company, a car roof or a tree crown lies above the ground's cells
    need = np.maximum(np.minimum(found, 3), np.ceil(support * found))
    company = (np.abs(ordered[:, None, :] - ordered[:, :, None]) <= band).sum(axis=2)
    enough = (company >= need[:, None]) & (ordered < _FAR)
    pick = np.where(enough.any(axis=1), enough.argmax(axis=1), 0)
    reference = np.take_along_axis(ordered, pick[:, None], axis=1)
    on = valid & (np.abs(z - reference) <= band)
    weight = on.astype(np.float64)
    total = weight.sum(axis=1)
    has = total > 0
    total = np.where(has, total, 1.0)
    dx = np.where(on, dx, 0.0)
    dy = np.where(on, dy, 0.0)
    zz = np.where(on, z, 0.0)
    mx, my, mz = dx.sum(axis=1) / total, dy.sum(axis=1) / total, zz.sum(axis=1) / total
    cx, cy, cz = (np.where(on, a - m[:, None], 0.0) for a, m in ((dx, mx), (dy, my), (zz, mz)))
    sxx, syy, sxy = (cx * cx).sum(axis=1), (cy * cy).sum(axis=1), (cx * cy).sum(axis=1)
    sxz, syz = (cx * cz).sum(axis=1), (cy * cz).sum(axis=1)
    # a slope needs spread: the ridge keeps a few close cells (or a line of them) from
    # tilting the plane by their noise, and barely touches a well-spread disc of cells
    sxx += _RIDGE
    syy += _RIDGE
    det = sxx * syy - sxy * sxy
    solid = total >= 3
    safe = np.where(solid, det, 1.0)
    slope_x = np.where(solid, (syy * sxz - sxy * syz) / safe, 0.0)
    slope_y = np.where(solid, (sxx * syz - sxy * sxz) / safe, 0.0)
    steep = np.hypot(slope_x, slope_y) > MAX_GROUND_SLOPE
    slope_x[steep] = 0.0
    slope_y[steep] = 0.0
    height: F64 = np.where(has, mz - slope_x * mx - slope_y * my, np.nan)
    return height


def densify(xy: npt.ArrayLike, max_step: float = 1.0) -> F64:
    """The polyline ``xy`` (``(n, 2)``) with vertices inserted evenly so no segment is
    longer than ``max_step`` metres; the drawn vertices are all kept.
    """
    return _densify(_points(xy, "densify: xy"), max_step)[0]


def _densify(xy: F64, max_step: float) -> tuple[F64, I64, F64]:
    """Dense vertices, the segment each lies on and its fraction along it."""
    if not math.isfinite(max_step) or max_step <= 0:
        raise GeometryError(f"densify: max_step must be a positive number of metres, "
                            f"not {max_step!r}")
    if len(xy) < 2:
        return xy.copy(), np.zeros(len(xy), dtype=np.int64), np.zeros(len(xy))
    length = np.hypot(*np.diff(xy, axis=0).T)
    pieces = np.maximum(1, np.ceil(length / max_step - 1e-9)).astype(np.int64)
    segment = np.repeat(np.arange(len(length)), pieces)
    first = np.concatenate(([0], np.cumsum(pieces)[:-1]))
    fraction = (np.arange(len(segment)) - np.repeat(first, pieces)) / np.repeat(pieces, pieces)
    segment = np.append(segment, len(length) - 1)
    fraction = np.append(fraction, 1.0)
    start, stop = xy[segment], xy[segment + 1]
    dense: F64 = start + (stop - start) * fraction[:, None]
    dense[fraction == 0.0] = start[fraction == 0.0]       # drawn vertices exactly
    dense[-1] = xy[-1]
    return dense, segment, fraction


def lift_line(cloud: PointCloud, xy: npt.ArrayLike, max_step: float = 1.0,
              locked: npt.ArrayLike | None = None, *, radius: float = 0.5) -> F64:
    """A polyline drawn in 2D as ``(m, 3)`` world vertices on the ground of ``cloud``.

    The line is densified to ``max_step`` first.  ``locked`` (``(n,)``, one per
    drawn vertex: NaN, or the height the user set) keeps those heights; a vertex
    inserted between two locked vertices gets the straight line between their
    heights (a bridge deck the user set stays straight), the others the ground
    under them (NaN where no ground points are near).
    """
    drawn = _points(xy, "lift_line: xy")
    dense, segment, fraction = _densify(drawn, max_step)
    z = ground_heights(cloud, dense, radius)
    if locked is not None:
        fixed = np.asarray(locked, dtype=np.float64)
        if fixed.shape != (len(drawn),):
            raise GeometryError(f"lift_line: locked must hold one height (or NaN) per vertex, "
                                f"{len(drawn)}, not shape {fixed.shape}")
        if np.isinf(fixed).any():
            raise GeometryError("lift_line: a locked height is infinite")
        if len(drawn) == 1:
            z = np.where(np.isnan(fixed), z, fixed)
        elif len(drawn):
            a, b = fixed[segment], fixed[segment + 1]
            between = np.isfinite(a) & np.isfinite(b)
            z = np.where(between, a + (b - a) * fraction, z)
            z = np.where((fraction == 0.0) & np.isfinite(a), a, z)
            z = np.where((fraction == 1.0) & np.isfinite(b), b, z)
    lifted: F64 = np.column_stack((dense, z))
    return lifted


def follow_ground(cloud: PointCloud, xy: npt.ArrayLike, locked: npt.ArrayLike | None = None, *,
                  max_step: float = 1.0, tolerance: float = 0.02, closed: bool = False,
                  radius: float = 0.5) -> F64:
    """A line drawn in 2D as world ``(m, 3)`` vertices that follow the ground, kept lean.

    :func:`lift_line` densifies the drawn line to ``max_step`` and lifts it;
    then the inserted vertices are thinned (Douglas-Peucker on height along
    the line) to those needed for the line to stay within ``tolerance``
    metres of the lifted surface: a straight line on a flat or evenly sloped
    road keeps only the drawn vertices, one over a crown or a kerb ramp gets
    what it needs.  Drawn vertices are always kept.  Where no ground points
    are near, heights are interpolated along the line from the vertices that
    have ground; a line with no ground under any of it is refused.
    ``closed``: the vertices are a polygon's ring (its closing edge is
    followed too, and not repeated in the result).
    """
    drawn = _points(xy, "follow_ground: xy")
    pins = None if locked is None else np.asarray(locked, np.float64)
    path = drawn
    if closed and len(drawn) > 2:
        path = np.concatenate([drawn, drawn[:1]])
        pins = None if pins is None else np.append(pins, pins[:1])
    lifted = lift_line(cloud, path, max_step, pins, radius=radius)
    fraction = _densify(path, max_step)[2]
    z = lifted[:, 2]
    known = np.isfinite(z)
    if not known.any():
        raise GeometryError("follow_ground: no ground points under the line; draw it on the "
                            "tile's road surface, or set its heights")
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(lifted[:, :2], axis=0).T))])
    pinned = np.zeros(len(z), dtype=bool)
    if pins is not None:
        drawn_at = [*np.flatnonzero(fraction == 0.0).tolist(), len(z) - 1]
        for k, index in enumerate(drawn_at[:len(pins)]):
            pinned[index] = bool(np.isfinite(pins[k]))
    known &= ~_on_objects(along, z, known) | pinned
    if not known.all():
        z = np.interp(along, along[known], z[known])
    lifted[:, 2] = z
    keep = fraction == 0.0
    keep[-1] = True
    kept_at = np.flatnonzero(keep)
    for a, b in itertools.pairwise(kept_at.tolist()):
        if b - a > 1:
            _thin(along, z, a, b, tolerance, keep)
    result: F64 = lifted[keep]
    if closed and len(drawn) > 2:
        result = result[:-1]
    return result


#: Steepest road grade (rise over run) a line's profile may climb between ground vertices.
PROFILE_GRADE: Final = 0.12
#: Metres above that grade from the lowest vertex near it where a vertex is on an object.
PROFILE_SLACK: Final = 0.10
#: Metres along the line either way searched for that lowest vertex.
PROFILE_REACH: Final = 6.0


def _on_objects(along: F64, z: F64, known: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Vertices lifted onto an object (a car's roof where no ground shows under it).

    Under a parked car the scanner sees no road, so the lowest layer there is
    the roof; along the line, though, the road before and after it is seen.
    A vertex higher than the lowest one within :data:`PROFILE_REACH` metres
    plus :data:`PROFILE_GRADE` of the distance between them (and
    :data:`PROFILE_SLACK`) cannot be road; its height is then interpolated.
    """
    idx = np.flatnonzero(known)
    if len(idx) < 3:
        return np.zeros(len(z), dtype=bool)
    s, h = along[idx], z[idx]
    lo = np.searchsorted(s, s - PROFILE_REACH)
    hi = np.searchsorted(s, s + PROFILE_REACH, side="right")
    bound = np.full(len(s), np.inf)
    for i in range(len(s)):  # a few hundred vertices per drawn line
        window = slice(int(lo[i]), int(hi[i]))
        bound[i] = float(np.min(h[window] + PROFILE_GRADE * np.abs(s[window] - s[i])))
    high = h > bound + PROFILE_SLACK
    out = np.zeros(len(z), dtype=bool)
    out[idx[high]] = True
    return out


def _thin(along: F64, z: F64, a: int, b: int, tolerance: float, keep: npt.NDArray[np.bool_]
          ) -> None:
    """Douglas-Peucker on (along, z) between kept vertices ``a`` and ``b`` (iterative)."""
    stack = [(a, b)]
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        span = along[j] - along[i]
        t = (along[i + 1:j] - along[i]) / span if span > 0 else np.zeros(j - i - 1)
        error = np.abs(z[i + 1:j] - (z[i] + (z[j] - z[i]) * t))
        worst = int(np.argmax(error))
        if error[worst] > tolerance:
            m = i + 1 + worst
            keep[m] = True
            stack.append((i, m))
            stack.append((m, j))


def _points(xy: npt.ArrayLike, what: str) -> F64:
    """``xy`` as a finite float64 ``(n, 2)`` array, or one clear error."""
    try:
        array = np.asarray(xy, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise GeometryError(f"{what} must be numbers, shape (n, 2): {error}") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise GeometryError(f"{what} must have shape (n, 2), not {array.shape}")
    if not np.isfinite(array).all():
        raise GeometryError(f"{what} holds a non-finite coordinate (row "
                            f"{int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])})")
    return array
