"""The per-cloud index behind the bird's-eye raster: the highest point of every cell.

A :class:`TopIndex` is built once per cloud.  The ground plane is cut into
square *leaf* cells of ``2**leaf`` metres (``leaf`` picked from the point
density so that an occupied leaf cell holds about :data:`POINTS_PER_LEAF`
points), addressed by their Morton (Z-order) code.  The build

1. computes each point's leaf code and sorts the points by it: one
   ``numpy.sort`` of ``code << index_bits | index`` (a plain sort of one
   uint64 array is two to three times faster than an ``argsort``);
2. keeps, per occupied leaf cell, the *top key* of its highest point:
   ``z_order(z) << 32 | index``, where ``z_order`` maps float32 heights to
   uint32 in the same order, so one ``maximum.reduceat`` over the sorted keys
   gives the highest point of each cell together with its index (ties go to
   the higher index);
3. builds each coarser level from the one below: four child codes share the
   parent code ``code >> 2``, and since the codes are sorted, the parent's top
   key is one more ``maximum.reduceat``.

A 256 x 256 tile at a level at or above the leaf is then a contiguous run of
its level's codes (a quadtree block in Z-order) found by two binary searches,
and its pixels are the low 16 bits of those codes de-interleaved through a
table: no point is touched.  Finer tiles come from the points of the few leaf
cells under them (``order[starts[a]:starts[b]]``), whose top key per pixel is
one ``maximum.at``.

Cell coordinates are integers: ``gx = floor(x / 2**level)`` and
``gy = floor(-y / 2**level)`` of the LOCAL coordinates (so rows grow
downwards, as in an image).  Scaling a float by a power of two is exact, so a
point falls in the same cell whichever level computes it.  Codes are taken
relative to an ``anchor`` that is a multiple of ``2**bits`` leaf cells, which
keeps every tile of ``2**8`` cells or fewer aligned with a Z-order block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from annotator.errors import MediaError
from annotator.media.pointcloud import Cancelled, PointCloud, Progress

__all__ = ["POINTS_PER_LEAF", "TILE", "TILE_BITS", "TopIndex", "key_height", "key_index",
           "top_keys", "z_order"]

TILE_BITS: Final = 8
TILE: Final = 1 << TILE_BITS
#: Sub-cell position bits kept per point: tiles down to 2**8 pixels per leaf cell side
#: come from them, finer ones from the coordinates.
SUB_BITS: Final = 8
_SUB_MASK: Final = (1 << SUB_BITS) - 1
#: Mean points per occupied leaf cell the leaf size aims at.
POINTS_PER_LEAF: Final = 4.0
#: Width of a view of the whole tile that must not need the points (see TopIndex).
VIEW_PIXELS: Final = 1024
#: Points coded per step of the build (bounds its temporary arrays, paces progress).
_CHUNK: Final = 1 << 22
#: Finest and coarsest leaf level (metres per cell = 2**level): 1 mm .. 1 km.
_LEAF_RANGE: Final = (-10, 10)

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
_LOW32: Final = np.uint64(0xFFFF_FFFF)


def _spread_table() -> npt.NDArray[np.uint32]:
    """``table[v]``: the 16 bits of ``v`` moved to the even bit positions of a uint32."""
    values = np.arange(1 << 16, dtype=np.uint32)
    out = np.zeros(1 << 16, dtype=np.uint32)
    for bit in range(16):
        out |= ((values >> bit) & 1) << (2 * bit)
    return out


def _tile_table() -> npt.NDArray[np.int32]:
    """``table[c]``: the pixel ``row * 256 + col`` of the 16-bit Morton code ``c``."""
    codes = np.arange(1 << 16, dtype=np.int32)
    col = np.zeros_like(codes)
    row = np.zeros_like(codes)
    for bit in range(TILE_BITS):
        col |= ((codes >> (2 * bit)) & 1) << bit
        row |= ((codes >> (2 * bit + 1)) & 1) << bit
    out: npt.NDArray[np.int32] = row * TILE + col
    return out


_SPREAD: Final = _spread_table()
_TILE_PIXEL: Final = _tile_table()


def _spread(values: npt.NDArray[Any], bits: int) -> U64:
    """Interleave-ready: bit ``b`` of each value moved to bit ``2b`` (values < ``2**bits``)."""
    low: U64 = _SPREAD[values & 0xFFFF].astype(np.uint64)
    if bits > 16:
        low |= _SPREAD[values >> 16].astype(np.uint64) << np.uint64(32)
    return low


def _compact(codes: U64, bits: int) -> tuple[I64, I64]:
    """The two coordinates interleaved in Morton ``codes`` (small arrays only)."""
    x = np.zeros(len(codes), dtype=np.int64)
    y = np.zeros(len(codes), dtype=np.int64)
    signed = codes.astype(np.int64)
    for bit in range(bits):
        x |= ((signed >> (2 * bit)) & 1) << bit
        y |= ((signed >> (2 * bit + 1)) & 1) << bit
    return x, y


def _morton(x: int, y: int) -> int:
    code = 0
    for bit in range(max(x.bit_length(), y.bit_length())):
        code |= ((x >> bit) & 1) << (2 * bit) | ((y >> bit) & 1) << (2 * bit + 1)
    return code


def z_order(z: npt.NDArray[np.float32]) -> npt.NDArray[np.uint32]:
    """uint32 values ordered as the float32 heights ``z`` are (finite values are > 0)."""
    bits = np.ascontiguousarray(z, dtype=np.float32).view(np.uint32)
    negative = (bits >> np.uint32(31)).astype(bool)
    return np.where(negative, ~bits, bits | np.uint32(0x8000_0000))


def top_keys(z: npt.NDArray[np.float32], index: npt.NDArray[Any]) -> U64:
    """``z_order(z) << 32 | index``: the larger key is the higher point (ties: higher index)."""
    keys = z_order(z).astype(np.uint64) << np.uint64(32)
    keys |= index.astype(np.uint64)
    return keys


def key_height(keys: U64) -> npt.NDArray[np.float32]:
    """The float32 heights held in top keys (the inverse of :func:`z_order`)."""
    order = (keys >> np.uint64(32)).astype(np.uint32)
    positive = (order >> np.uint32(31)).astype(bool)
    bits = np.where(positive, order ^ np.uint32(0x8000_0000), ~order)
    return bits.view(np.float32)


def key_index(keys: U64) -> I64:
    """The point index held in top keys."""
    return (keys & _LOW32).astype(np.int64)


def _cells(values: npt.NDArray[np.float32], level: int, flip: bool) -> I64:
    """``floor(v / 2**level)`` (of ``-v`` when ``flip``), exact: the scale is a power of two."""
    scale = np.float32(-(2.0 ** -level) if flip else 2.0 ** -level)
    cells: I64 = np.floor(values * scale).astype(np.int64)
    return cells


@dataclass(frozen=True)
class _Level:
    codes: npt.NDArray[Any]   # Morton codes of the occupied cells, ascending (uint32/64)
    tops: U64     # top key of each cell


class TopIndex:
    """Highest point per cell at every power-of-two level (see the module docstring)."""

    def __init__(self, cloud: PointCloud, progress: Progress | None = None) -> None:
        self.cloud = cloud
        n = len(cloud)
        if n >= 1 << 32:
            raise MediaError(f"{n} points: the bird's-eye index holds at most 2**32 - 1")
        self.count = n
        self._z = cloud.xyz[:, 2]
        if n == 0:
            self.leaf, self.bits, self.anchor = 0, TILE_BITS + 1, (0, 0)
            self.cell_bounds = (0, -1, 0, -1)
            self.order: npt.NDArray[np.uint32] = np.zeros(0, np.uint32)
            self.sub: npt.NDArray[np.uint16] = np.zeros(0, np.uint16)
            self.starts: npt.NDArray[Any] = np.zeros(1, np.uint32)
            self.levels: list[_Level] = [_Level(np.zeros(0, np.uint64), np.zeros(0, np.uint64))]
            return
        self._report = _Pacer(progress, n)
        x, y = cloud.xyz[:, 0], cloud.xyz[:, 1]
        # Column by column: numpy reduces a strided column many times faster than an
        # (n, 3) array along its first axis.
        low = np.array([x.min(), y.min()], dtype=np.float32)
        high = np.array([x.max(), y.max()], dtype=np.float32)
        leaf = _leaf_level(x, y, low, high, n)
        # Fine enough that a view of the whole tile VIEW_PIXELS wide comes from cells (up to
        # 16 times the cells the density asks for, which sparse small clouds can afford).
        extent = max(float(high[0] - low[0]), float(high[1] - low[1]), 1e-3)
        leaf = min(leaf, max(math.floor(math.log2(extent / VIEW_PIXELS)), leaf - 2))
        index_bits = max(1, (n - 1).bit_length())
        while True:
            scale = 2.0 ** -leaf
            gx0, gx1 = math.floor(low[0] * scale), math.floor(high[0] * scale)
            gy0, gy1 = math.floor(-high[1] * scale), math.floor(-low[1] * scale)
            extent = max(gx1 - gx0, gy1 - gy0) + 1
            grid = max(TILE_BITS, extent.bit_length())
            if 2 * (grid + 1) + index_bits <= 64:
                break
            leaf += 1          # too many cells for the packed sort key: coarser leaves
        self.leaf = leaf
        self.bits = grid + 1   # bits per axis of unsigned leaf coordinates
        self.anchor = ((gx0 >> grid) << grid, (gy0 >> grid) << grid)
        self.cell_bounds = (gx0, gx1, gy0, gy1)
        self._build(x, y, index_bits)

    # -- build ------------------------------------------------------------------------------

    def _build(self, x: npt.NDArray[np.float32], y: npt.NDArray[np.float32],
               index_bits: int) -> None:
        n = self.count
        packed = np.empty(n, dtype=np.uint64)
        sub = np.empty(n, dtype=np.uint16)
        shift = np.uint64(index_bits)
        fine = self.leaf - SUB_BITS
        for start in range(0, n, _CHUNK):
            stop = min(n, start + _CHUNK)
            gx = _cells(x[start:stop], fine, False)
            gy = _cells(y[start:stop], fine, True)
            sub[start:stop] = ((gy & _SUB_MASK) << SUB_BITS) | (gx & _SUB_MASK)
            ux = (gx >> SUB_BITS) - self.anchor[0]
            uy = (gy >> SUB_BITS) - self.anchor[1]
            del gx, gy
            code = _spread(ux, self.bits) | (_spread(uy, self.bits) << np.uint64(1))
            code <<= shift
            code |= np.arange(start, stop, dtype=np.uint64)
            packed[start:stop] = code
            self._report(stop // 4)
        packed.sort()
        self._report(n // 2)
        self.order = (packed & np.uint64((1 << index_bits) - 1)).astype(np.uint32)
        self.sub = sub[self.order]
        del sub
        packed >>= shift
        fresh = np.flatnonzero(packed[1:] != packed[:-1]) + 1
        starts = np.concatenate(([0], fresh)).astype(np.int64)
        codes = packed[starts]
        del packed, fresh
        keys = top_keys(self._z[self.order], self.order)
        tops = np.maximum.reduceat(keys, starts)
        del keys
        self.starts = np.concatenate((starts, [n])).astype(np.uint32 if n < 1 << 32 else np.int64)
        self._report(3 * n // 4)
        code_type = np.uint32 if 2 * self.bits <= 32 else np.uint64
        self.levels = [_Level(codes.astype(code_type), tops)]
        for _ in range(self.bits - 1):
            parent = codes >> np.uint64(2)
            first = np.concatenate(([0], np.flatnonzero(parent[1:] != parent[:-1]) + 1))
            codes, tops = parent[first], np.maximum.reduceat(tops, first)
            self.levels.append(_Level(codes.astype(code_type), tops))
        self._report(n)

    # -- facts ------------------------------------------------------------------------------

    @property
    def nbytes(self) -> int:
        """Bytes held by the index (the cloud's own arrays not counted)."""
        held = self.order.nbytes + self.sub.nbytes + self.starts.nbytes
        return held + sum(lv.codes.nbytes + lv.tops.nbytes for lv in self.levels)

    @property
    def min_level(self) -> int:
        return self.leaf - 16

    @property
    def max_level(self) -> int:
        """Above this level the whole cloud is one pixel."""
        return self.leaf + self.bits

    def pixel_bounds(self, level: int) -> tuple[int, int, int, int]:
        """Inclusive ``gx0, gx1, gy0, gy1`` of the level's pixels that may hold points."""
        gx0, gx1, gy0, gy1 = self.cell_bounds
        s = level - self.leaf
        if s >= 0:
            return gx0 >> s, gx1 >> s, gy0 >> s, gy1 >> s
        k = -s
        return gx0 << k, ((gx1 + 1) << k) - 1, gy0 << k, ((gy1 + 1) << k) - 1

    # -- tiles ------------------------------------------------------------------------------

    def tile_keys(self, level: int, col: int, row: int) -> U64 | None:
        """Top keys of tile ``(level, col, row)`` as a flat 256*256 array; None when empty."""
        if not self.count:
            return None
        gx0, gx1, gy0, gy1 = self.pixel_bounds(level)
        if col * TILE > gx1 or (col + 1) * TILE <= gx0 or row * TILE > gy1 \
                or (row + 1) * TILE <= gy0:
            return None
        s = level - self.leaf
        if s < 0:
            return self._from_points(level, col, row)
        if s + TILE_BITS <= self.bits - 1:
            return self._aligned(s, col, row)
        return self._coarse(s, col, row)

    def _aligned(self, s: int, col: int, row: int) -> U64 | None:
        ux, uy = col * TILE - (self.anchor[0] >> s), row * TILE - (self.anchor[1] >> s)
        if min(ux, uy) < 0 or max(ux, uy) >= 1 << (self.bits - s):
            return None
        lv = self.levels[s]
        low = _morton(ux, uy)
        a, b = _between(lv.codes, low, low + TILE * TILE)
        if a == b:
            return None
        tile = np.zeros(TILE * TILE, dtype=np.uint64)
        pixel = _TILE_PIXEL[(lv.codes[a:b] & 0xFFFF).astype(np.intp)]
        tile[pixel] = lv.tops[a:b]
        return tile

    def _coarse(self, s: int, col: int, row: int) -> U64 | None:
        """A tile wider than the grid's alignment: every cell of a coarse level, placed."""
        own = min(s, self.bits - 1)
        lv = self.levels[own]
        ux, uy = _compact(lv.codes, self.bits - own)
        gx = (ux + (self.anchor[0] >> own)) >> (s - own)
        gy = (uy + (self.anchor[1] >> own)) >> (s - own)
        return _place(gx - col * TILE, gy - row * TILE, lv.tops)

    def _from_points(self, level: int, col: int, row: int) -> U64 | None:
        """A tile finer than the leaf cells, from the points of the leaf cells under it."""
        k = self.leaf - level
        span = max(1, TILE >> k)            # leaf cells per tile side
        ux = ((col * TILE) >> k) - self.anchor[0]
        uy = ((row * TILE) >> k) - self.anchor[1]
        if min(ux, uy) < 0 or max(ux, uy) >= 1 << self.bits:
            return None
        low = _morton(ux, uy)
        codes = self.levels[0].codes
        a, b = _between(codes, low, low + span * span)
        first, last = int(self.starts[a]), int(self.starts[b])
        if first == last:
            return None
        points = self.order[first:last]
        keys = top_keys(self._z[points], points)
        if k > SUB_BITS:                    # within one leaf cell: from the coordinates
            xyz = self.cloud.xyz[points]
            gx = _cells(xyz[:, 0], level, False) - col * TILE
            gy = _cells(xyz[:, 1], level, True) - row * TILE
            return _place(gx, gy, keys)
        # Each point's pixel: its leaf cell's corner in the tile plus its offset in the cell.
        cell = _TILE_PIXEL[(codes[a:b] & (span * span - 1)).astype(np.intp)]
        corner = ((cell >> TILE_BITS) << (k + TILE_BITS)) | ((cell & (TILE - 1)) << k)
        bounds = self.starts[a:b + 1].astype(np.int64)
        counts = bounds[1:] - bounds[:-1]
        drop = SUB_BITS - k
        sub = self.sub[first:last]
        offset = ((sub >> (SUB_BITS + drop)).astype(np.int32) << TILE_BITS) \
            | ((sub & _SUB_MASK) >> drop).astype(np.int32)
        pixel = np.repeat(corner, counts) + offset
        tile = np.zeros(TILE * TILE, dtype=np.uint64)
        np.maximum.at(tile, pixel, keys)
        return tile


def _between(codes: npt.NDArray[Any], low: int, high: int) -> tuple[int, int]:
    """Positions of the first code >= ``low`` and of the first code >= ``high``.

    The bounds are passed in the codes' own type, so numpy does not convert
    the whole array to compare them.
    """
    top = np.iinfo(codes.dtype).max
    a = int(np.searchsorted(codes, codes.dtype.type(min(low, top))))
    if low > top:
        a = len(codes)
    b = len(codes) if high > top else int(np.searchsorted(codes, codes.dtype.type(high)))
    return a, b


def _place(col: I64, row: I64, keys: U64) -> U64 | None:
    """A tile holding the largest key per pixel of the cells at ``col, row`` (any range)."""
    inside = (col >= 0) & (col < TILE) & (row >= 0) & (row < TILE)
    if not inside.any():
        return None
    tile = np.zeros(TILE * TILE, dtype=np.uint64)
    np.maximum.at(tile, row[inside] * TILE + col[inside], keys[inside])
    return tile


def _leaf_level(x: npt.NDArray[np.float32], y: npt.NDArray[np.float32],
                low: npt.NDArray[np.float32], high: npt.NDArray[np.float32], n: int) -> int:
    """The level whose occupied cells hold about :data:`POINTS_PER_LEAF` points each.

    The density is measured where there are points: at most a million evenly
    spaced points are counted on a grid coarse enough to hold some 16 of them
    per cell, and empty cells (outside the road, occluded) are left out.
    """
    step = max(1, n // 1_000_000)
    sx, sy = x[::step], y[::step]
    sampled = len(sx)
    box = max(float(high[0] - low[0]), 1e-3) * max(float(high[1] - low[1]), 1e-3)
    cell = math.sqrt(box * 16.0 / sampled)
    cols = int(float(high[0] - low[0]) / cell) + 1
    rows = int(float(high[1] - low[1]) / cell) + 1
    index = ((sy - low[1]) / cell).astype(np.int64) * cols + ((sx - low[0]) / cell).astype(np.int64)
    occupied = np.count_nonzero(np.bincount(index, minlength=rows * cols))
    density = sampled / (occupied * cell * cell) * (n / sampled)
    level = round(math.log2(math.sqrt(POINTS_PER_LEAF / density)))
    return int(min(max(level, _LEAF_RANGE[0]), _LEAF_RANGE[1]))


class _Pacer:
    """Calls ``progress(done, total)`` and turns a False answer into :class:`Cancelled`."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress, self._total = progress, total

    def __call__(self, done: int) -> None:
        if self._progress is not None and self._progress(done, self._total) is False:
            raise Cancelled("bird's-eye index cancelled")
