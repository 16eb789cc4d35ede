"""Which points of a cloud lie near a rectangle: a scan, or a grid built once per cloud.

Point queries (the points in a cuboid, the ground around it) need the points
of a small rectangle of a large tile.  :func:`near` scans the whole cloud,
which is cheap enough for a few queries (some 50 ms on 20 million points);
:func:`index_cloud` buckets the points into a grid of at most 65,535 cells
(one radix sort of 16-bit cell numbers, about half a second for 20 million
points, 4 bytes per point) after which a query reads only the cells under
its rectangle.  The grid is kept for as long as the cloud object lives, and
:func:`near` uses it whenever it exists.
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Final

import numpy as np
import numpy.typing as npt

from annotator.media.pointcloud import PointCloud

__all__ = ["PointGrid", "index_cloud", "near"]

I64 = npt.NDArray[np.int64]
#: Points scanned at a time by the grid-less query (bounds its temporary arrays).
_CHUNK: Final = 1 << 20
_MAX_CELLS: Final = 65_535
_GRIDS: weakref.WeakKeyDictionary[PointCloud, PointGrid] = weakref.WeakKeyDictionary()
_LOCK: Final = threading.Lock()


class PointGrid:
    """The points of a cloud bucketed by a uniform grid of cells (local coordinates)."""

    def __init__(self, cloud: PointCloud) -> None:
        x, y = cloud.xyz[:, 0], cloud.xyz[:, 1]
        n = len(cloud)
        self.x0 = float(x.min()) if n else 0.0
        self.y0 = float(y.min()) if n else 0.0
        width = float(x.max()) - self.x0 if n else 0.0
        height = float(y.max()) - self.y0 if n else 0.0
        cell = max(0.5, math.sqrt(max(width * height, 1e-6) / _MAX_CELLS))
        while (int(width / cell) + 1) * (int(height / cell) + 1) > _MAX_CELLS:
            cell *= 1.02
        self.cell = cell
        self.cols = int(width / cell) + 1
        self.rows = int(height / cell) + 1
        ids = np.empty(n, dtype=np.uint16)
        for start in range(0, n, _CHUNK):
            stop = min(n, start + _CHUNK)
            col = np.minimum(((x[start:stop] - self.x0) / cell).astype(np.int64), self.cols - 1)
            row = np.minimum(((y[start:stop] - self.y0) / cell).astype(np.int64), self.rows - 1)
            ids[start:stop] = row * self.cols + col
        # numpy sorts 16-bit keys stably with a radix sort: linear in the points
        self.order = np.argsort(ids, kind="stable").astype(np.int32 if n < 2**31 else np.int64)
        counts = np.bincount(ids, minlength=self.rows * self.cols)
        self.starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    @property
    def nbytes(self) -> int:
        return int(self.order.nbytes + self.starts.nbytes)

    def candidates(self, x0: float, y0: float, x1: float, y1: float) -> I64:
        """Indices of the points in the cells under the local rectangle (a superset)."""
        c0 = max(0, math.floor((x0 - self.x0) / self.cell))
        c1 = min(self.cols - 1, math.floor((x1 - self.x0) / self.cell))
        r0 = max(0, math.floor((y0 - self.y0) / self.cell))
        r1 = min(self.rows - 1, math.floor((y1 - self.y0) / self.cell))
        if c1 < c0 or r1 < r0:
            return np.zeros(0, dtype=np.int64)
        parts = [self.order[self.starts[r * self.cols + c0]:self.starts[r * self.cols + c1 + 1]]
                 for r in range(r0, r1 + 1)]
        found: I64 = np.concatenate(parts).astype(np.int64)
        return found


def index_cloud(cloud: PointCloud) -> PointGrid:
    """The cloud's grid, built on the first call (e.g. on a worker thread when a tile opens)."""
    with _LOCK:
        grid = _GRIDS.get(cloud)
    if grid is None:
        grid = PointGrid(cloud)
        with _LOCK:
            grid = _GRIDS.setdefault(cloud, grid)
    return grid


def near(cloud: PointCloud, x0: float, y0: float, x1: float, y1: float) -> I64:
    """Indices of the points with ``x0 <= x <= x1`` and ``y0 <= y <= y1`` (local), unordered."""
    with _LOCK:
        grid = _GRIDS.get(cloud)
    x, y = cloud.xyz[:, 0], cloud.xyz[:, 1]
    lo_x, hi_x, lo_y, hi_y = (np.float32(v) for v in (x0, x1, y0, y1))
    if grid is not None:
        index = grid.candidates(x0, y0, x1, y1)
        keep = (x[index] >= lo_x) & (x[index] <= hi_x) & (y[index] >= lo_y) & (y[index] <= hi_y)
        found: I64 = index[keep]
        return found
    parts = []
    for start in range(0, len(cloud), _CHUNK):
        xs = x[start:start + _CHUNK]
        index = np.flatnonzero((xs >= lo_x) & (xs <= hi_x))
        index = index[(y[start + index] >= lo_y) & (y[start + index] <= hi_y)]
        parts.append(index + start)
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
