"""The ground of a tile: a RANSAC plane per square cell, refined by a fine height correction.

The tile is cut into square cells (10 m by default).  The ground candidates
of a cell are the lowest point of each of its 0.5 m sub-cells (where the
ground shows between objects the lowest point lies on it; under a car or a
wall it does not, and those candidates are the minority).  Every cell draws
the same number of random candidate triples at once; each triple is a plane
(planes steeper than :data:`annotator.geometry.cuboid.MAX_GROUND_SLOPE` are
walls, never ground) scored by how many of a random sample of :data:`SCORED`
candidates of its cell lie within ``band`` of it.  The best plane of each
cell is refined by least squares over all its candidates within the band.
A plane cannot follow a road's crown or a curb inside a 10 m cell, so a 1 m
correction raster follows: the mean offset of the points within ``band`` of
the plane in each 1 m cell.  Everything is vectorised over the cells (in
batches, so a square kilometre stays within tens of megabytes): no Python
loop runs per cell or per point.

Coordinates are the cloud's float32 LOCAL ones (world minus origin); the
planes are fitted in float64 offsets from each cell's corner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from annotator.geometry.cuboid import MAX_GROUND_SLOPE

__all__ = ["Ground", "fit_ground", "ground_and_heights"]

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

#: Side (m) of the sub-cells whose lowest point is a ground candidate.
CANDIDATE_CELL: Final = 0.5
#: Candidates per cell on which the hypotheses are scored (a random sample of them).
SCORED: Final = 64
#: Side (m) of the cells of the height correction.
FINE_CELL: Final = 1.0
#: Points whose heights are computed at a time.
_POINT_CHUNK: Final = 1 << 20
#: Cells whose planes are drawn and scored at a time.
_CELL_BATCH: Final = 1024
#: Hypotheses scored at a time (bounds the candidates x hypotheses arrays).
_CHUNK: Final = 16


@dataclass(frozen=True)
class Ground:
    """Ground planes over a grid of cells (local coordinates) and a fine correction."""

    x0: float
    y0: float
    cell: float
    cols: int
    rows: int
    planes: F64           # (cells, 3): slope x, slope y, height at the cell's corner
    fitted: npt.NDArray[np.bool_]   # cells that had candidates
    fine_cols: int
    fine_rows: int
    correction: F32       # (fine cells,) metres added to the plane

    def heights(self, x: npt.ArrayLike, y: npt.ArrayLike) -> F64:
        """Local ground heights at local ``x, y`` (NaN where no cell has ground)."""
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        col = np.clip(np.floor((xs - self.x0) / self.cell).astype(np.int64), 0, self.cols - 1)
        row = np.clip(np.floor((ys - self.y0) / self.cell).astype(np.int64), 0, self.rows - 1)
        cell = row * self.cols + col
        plane = self.planes[cell]
        dx = xs - (self.x0 + col * self.cell)
        dy = ys - (self.y0 + row * self.cell)
        z: F64 = plane[..., 0] * dx + plane[..., 1] * dy + plane[..., 2]
        z += self.correction[self._fine(xs, ys)]
        z[~self.fitted[cell]] = np.nan
        return z

    def _fine(self, x: F64, y: F64) -> I64:
        col = np.clip(np.floor((x - self.x0) / FINE_CELL).astype(np.int64), 0, self.fine_cols - 1)
        row = np.clip(np.floor((y - self.y0) / FINE_CELL).astype(np.int64), 0, self.fine_rows - 1)
        fine: I64 = row * self.fine_cols + col
        return fine

    def above(self, xyz: npt.NDArray[np.floating]) -> F32:
        """Height of each local point above the ground (NaN where no ground is known)."""
        out = np.empty(len(xyz), dtype=np.float32)
        for lo in range(0, len(xyz), _POINT_CHUNK):     # bounds the float64 temporaries
            part = xyz[lo:lo + _POINT_CHUNK]
            out[lo:lo + len(part)] = part[:, 2] - self.heights(part[:, 0], part[:, 1])
        return out


def fit_ground(xyz: F32, *, cell: float = 10.0, band: float = 0.15, tries: int = 256,
               seed: int = 0) -> Ground:
    """Fit the ground of the local points ``xyz`` (``(n, 3)``, at least one point).

    See :func:`ground_and_heights` for the parameters.
    """
    return ground_and_heights(xyz, cell=cell, band=band, tries=tries, seed=seed)[0]


def ground_and_heights(xyz: F32, *, cell: float = 10.0, band: float = 0.15, tries: int = 256,
                       seed: int = 0) -> tuple[Ground, F32]:
    """The ground of the local points ``xyz`` and each point's height above it (NaN: none).

    Parameters
    ----------
    cell : float
        Side (m) of the square cells with one plane each.
    band : float
        Half thickness (m) of the band around a plane that counts as on it.
    tries : int
        Random candidate triples per cell.
    seed : int
        Seed of the triples and samples: the same input gives the same ground.
    """
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    x0, y0 = float(x.min()), float(y.min())
    cols = int((float(x.max()) - x0) / cell) + 1
    rows = int((float(y.max()) - y0) / cell) + 1
    cand = _candidates(x, y, z, x0, y0)
    cx, cy, cz = x[cand].astype(np.float64), y[cand].astype(np.float64), z[cand].astype(np.float64)
    ccol = np.minimum(((cx - x0) / cell).astype(np.int64), cols - 1)
    crow = np.minimum(((cy - y0) / cell).astype(np.int64), rows - 1)
    ccell = crow * cols + ccol
    # by cell, in random order within each: the first few of a cell are a fair sample
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(ccell)), ccell))
    cx, cy, cz, ccell = cx[order], cy[order], cz[order], ccell[order]
    # offsets from each cell's corner keep the plane's height term small and well conditioned
    dx = cx - (x0 + (ccell % cols) * cell)
    dy = cy - (y0 + (ccell // cols) * cell)
    cells = rows * cols
    count = np.bincount(ccell, minlength=cells)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    fitted = count > 0
    # hypotheses are scored on at most SCORED candidates per cell, refined on all of them
    scored = np.arange(len(ccell)) - start[ccell] < SCORED
    sample_count = np.minimum(count, SCORED)
    sample_start = np.concatenate(([0], np.cumsum(sample_count)[:-1]))
    planes = _ransac(dx[scored], dy[scored], cz[scored], ccell[scored], sample_count,
                     sample_start, band, tries, rng)
    planes = _refine(dx, dy, cz, ccell, planes, band, cells)
    ground = Ground(x0, y0, cell, cols, rows, planes, fitted, 1, 1,
                    np.zeros(1, dtype=np.float32))
    return _corrected(ground, xyz, band)


def _candidates(x: F32, y: F32, z: F32, x0: float, y0: float) -> I64:
    """Index of one lowest point in each occupied :data:`CANDIDATE_CELL` sub-cell."""
    col = ((x - np.float32(x0)) / np.float32(CANDIDATE_CELL)).astype(np.int64)
    row = ((y - np.float32(y0)) / np.float32(CANDIDATE_CELL)).astype(np.int64)
    cols = int(col.max()) + 1
    sub = row * cols + col
    cells = int(sub.max()) + 1
    lowest = np.full(cells, np.inf, dtype=np.float32)
    np.minimum.at(lowest, sub, z)
    hit = np.flatnonzero(z == lowest[sub])
    pick = np.full(cells, -1, dtype=np.int64)
    pick[sub[hit]] = hit                    # any one of a sub-cell's lowest points will do
    picked: I64 = pick[pick >= 0]
    return picked


def _ransac(dx: F64, dy: F64, dz: F64, ccell: I64, count: I64, start: I64, band: float,
            tries: int, rng: np.random.Generator) -> F64:
    """The best plane of each cell: ``(cells, 3)`` slope x, slope y, height at the corner.

    Cells go in batches of :data:`_CELL_BATCH`, so a square kilometre of 10 m cells
    needs tens of megabytes, not a gigabyte.
    """
    cells = len(count)
    planes = np.zeros((cells, 3))
    for c0 in range(0, cells, _CELL_BATCH):
        c1 = min(cells, c0 + _CELL_BATCH)
        p0 = int(start[c0])
        p1 = int(start[c1]) if c1 < cells else len(dz)
        planes[c0:c1] = _ransac_batch(dx[p0:p1], dy[p0:p1], dz[p0:p1], ccell[p0:p1] - c0,
                                      count[c0:c1], start[c0:c1] - p0, band, tries, rng)
    return planes


def _ransac_batch(dx: F64, dy: F64, dz: F64, ccell: I64, count: I64, start: I64, band: float,
                  tries: int, rng: np.random.Generator) -> F64:
    """:func:`_ransac` for a run of cells whose candidates are ``dx, dy, dz``."""
    cells = len(count)
    pick = start[:, None, None] + np.floor(
        rng.random((cells, tries, 3)) * count[:, None, None]).astype(np.int64)
    pick = np.minimum(pick, max(len(dz) - 1, 0))
    if not len(dz):
        return np.zeros((cells, 3))
    a = np.stack((dx[pick], dy[pick], dz[pick]), axis=3)          # (cells, tries, 3, xyz)
    normal = np.cross(a[:, :, 1] - a[:, :, 0], a[:, :, 2] - a[:, :, 0])
    flat = np.abs(normal[..., 2]) > 1e-9
    nz = np.where(flat, normal[..., 2], 1.0)
    sx = np.where(flat, -normal[..., 0] / nz, 0.0)
    sy = np.where(flat, -normal[..., 1] / nz, 0.0)
    h = a[:, :, 0, 2] - sx * a[:, :, 0, 0] - sy * a[:, :, 0, 1]
    usable = flat & (np.hypot(sx, sy) <= MAX_GROUND_SLOPE)
    # a level plane through the first point of each triple: enough where candidates are few
    sx = np.concatenate((np.where(usable, sx, 0.0), np.zeros((cells, tries))), axis=1)
    sy = np.concatenate((np.where(usable, sy, 0.0), np.zeros((cells, tries))), axis=1)
    h = np.concatenate((np.where(usable, h, np.inf), a[:, :, 0, 2]), axis=1)
    total = sx.shape[1]
    score = np.zeros((cells, total), dtype=np.int64)
    occupied = count > 0
    first = start[occupied]
    for lo in range(0, total, _CHUNK):
        hi = min(total, lo + _CHUNK)
        residual = dz[:, None] - (sx[ccell, lo:hi] * dx[:, None] + sy[ccell, lo:hi] * dy[:, None]
                                  + h[ccell, lo:hi])
        inliers = (np.abs(residual) <= band).astype(np.int64)
        score[occupied, lo:hi] = np.add.reduceat(inliers, first, axis=0)
    best = np.argmax(score, axis=1)
    rows = np.arange(cells)
    planes: F64 = np.column_stack((sx[rows, best], sy[rows, best], h[rows, best]))
    planes[~occupied] = 0.0
    return planes


def _refine(dx: F64, dy: F64, dz: F64, ccell: I64, planes: F64, band: float, cells: int) -> F64:
    """Least squares over each cell's inliers (kept where it stays a ground slope)."""
    p = planes[ccell]
    on = np.abs(dz - (p[:, 0] * dx + p[:, 1] * dy + p[:, 2])) <= band
    c = ccell[on]
    x, y, z = dx[on], dy[on], dz[on]

    def total(values: F64) -> F64:
        return np.bincount(c, weights=values, minlength=cells).astype(np.float64)

    n = np.bincount(c, minlength=cells).astype(np.float64)
    sx, sy, sz = total(x), total(y), total(z)
    normal = np.empty((cells, 3, 3))
    normal[:, 0, 0], normal[:, 0, 1], normal[:, 0, 2] = total(x * x), total(x * y), sx
    normal[:, 1, 1], normal[:, 1, 2], normal[:, 2, 2] = total(y * y), sy, n
    normal[:, 1, 0], normal[:, 2, 0], normal[:, 2, 1] = normal[:, 0, 1], sx, sy
    rhs = np.column_stack((total(x * z), total(y * z), sz))
    solid = (n >= 6) & (np.abs(np.linalg.det(normal)) > 1e-9 * np.maximum(n, 1.0) ** 3)
    refined = planes.copy()
    if solid.any():
        solved = np.linalg.solve(normal[solid], rhs[solid][:, :, None])[:, :, 0]
        ok = np.hypot(solved[:, 0], solved[:, 1]) <= MAX_GROUND_SLOPE
        index = np.flatnonzero(solid)[ok]
        refined[index] = solved[ok]
    return refined


def _corrected(ground: Ground, xyz: F32, band: float) -> tuple[Ground, F32]:
    """The ground with its 1 m correction (the mean offset of the on-plane points per cell),
    and the height of every point above it."""
    fine_cols = math.ceil(ground.cols * ground.cell / FINE_CELL) + 1
    fine_rows = math.ceil(ground.rows * ground.cell / FINE_CELL) + 1
    size = fine_cols * fine_rows
    base = Ground(ground.x0, ground.y0, ground.cell, ground.cols, ground.rows, ground.planes,
                  ground.fitted, fine_cols, fine_rows, np.zeros(size, dtype=np.float32))
    offset = np.empty(len(xyz), dtype=np.float32)
    fine = np.empty(len(xyz), dtype=np.int32 if size < 2**31 else np.int64)
    n = np.zeros(size)
    total = np.zeros(size)
    for lo in range(0, len(xyz), _POINT_CHUNK):
        part = xyz[lo:lo + _POINT_CHUNK]
        x, y = part[:, 0].astype(np.float64), part[:, 1].astype(np.float64)
        here = part[:, 2] - base.heights(x, y)
        cell = base._fine(x, y)
        offset[lo:lo + len(part)] = here
        fine[lo:lo + len(part)] = cell
        on = np.abs(here) <= band
        n += np.bincount(cell[on], minlength=size)
        total += np.bincount(cell[on], weights=here[on], minlength=size)
    correction = np.where(n >= 3, total / np.maximum(n, 1), 0.0).astype(np.float32)
    offset -= correction[fine]
    return Ground(ground.x0, ground.y0, ground.cell, ground.cols, ground.rows, ground.planes,
                  ground.fitted, fine_cols, fine_rows, correction), offset
