"""Bird's-eye raster of a point-cloud tile: what the cloud looks like from above.

:class:`BevRenderer` is built once per cloud and then hands out RGBA images of
any rectangle of the tile, in LOCAL coordinates (``x`` right, ``y`` up, row 0
of an image is its high-``y`` edge), at any pixel size:

* :meth:`BevRenderer.render` ``(x0, y0, x1, y1, width_px, height_px)`` returns a
  fresh ``(height_px, width_px, 4)`` uint8 array for a view;
* :meth:`BevRenderer.tile` ``(level, col, row)`` returns the read-only
  ``(256, 256, 4)`` tile of a fixed grid, for a widget that paints tiles:
  level ``L`` has pixels of ``2**L`` metres, and tile ``(L, col, row)`` covers
  ``x`` in ``[col, col + 1) * 256 * 2**L`` and ``-y`` in ``[row, row + 1) * 256 * 2**L``
  (rows count downwards from ``y = 0``; :meth:`BevRenderer.tile_bounds` says it in
  metres, :meth:`BevRenderer.level_for` picks the level for a zoom);
* :meth:`BevRenderer.set_mode` picks the colouring: ``height`` (a colour-blind
  safe viridis map over the 1st..99th percentile of the heights), ``intensity``
  (grey over its 1st..99th percentile), ``rgb`` (the points' own colour) or
  ``class`` (a fixed palette of 256 distinct colours over the classification
  code modulo 256: the usual ASPRS colours for codes 0-18, then the label
  schema's Okabe-Ito / Tol palette, then golden-angle hues); :attr:`BevRenderer.modes`
  lists those the cloud has fields for.  ``render`` and ``tile`` also take a
  ``mode=`` of their own, for a worker thread that must not see a later switch.

In every mode a pixel shows the HIGHEST point that falls in it (what is seen
from above); pixels without points are transparent (alpha 0).

How it is fast: the build (:mod:`annotator.media._bev_index`, seconds for
tens of millions of points; :attr:`BevRenderer.build_seconds`, :attr:`BevRenderer.nbytes`)
sorts the points into Z-order cells and keeps the highest point of every cell
at every power-of-two level, so a view touches cells, not points.  A view of
pixel size ``m`` is pooled from the tiles of the level ``floor(log2(m))`` (each
output pixel takes the highest of the level's pixels whose centres fall in it,
so nothing seen from above is lost); those tiles (their top points, whatever
the mode) and the coloured tiles :meth:`BevRenderer.tile` returns are kept in
one LRU cache bounded in bytes, so panning and switching modes re-use them.
Every method may be called from any thread.

Measured (``benchmarks/bench_bev.py``, 2 busy CPUs): on a 20-million-point
road tile a cold 1024 x 1024 view of the whole tile takes 32-40 ms, less than
one ``numpy.bincount`` of a precomputed pixel index over the same points
(56-60 ms); the index takes 3-7 s to build and 10 bytes per point.

>>> import numpy as np
>>> from annotator.media.pointcloud import PointCloud
>>> xyz = np.array([[1.5, 0.5, 0.0], [1.6, 0.6, 2.0], [3.5, 1.5, 0.5]], dtype=np.float32)
>>> bev = BevRenderer(PointCloud(np.zeros(3), xyz, {}, "pcd", "ascii"))
>>> image = bev.render(0.0, 0.0, 4.0, 2.0, width_px=4, height_px=2)
>>> image.shape, image.dtype.name
((2, 4, 4), 'uint8')
>>> image[..., 3].tolist()      # alpha: row 0 is the top (1 <= y < 2)
[[0, 0, 0, 255], [0, 255, 0, 0]]
>>> bev.top_point(1.55, 0.55, metres_per_pixel=1.0)    # the highest point there wins
1
>>> bev.modes
('height',)
>>> level = bev.level_for(1 / 64)                     # 256 px tiles of 4 m
>>> bev.tile_bounds(level, 0, -1)
(0.0, 0.0, 4.0, 4.0)
>>> bev.tile(level, 0, -1)[..., 3].astype(bool).sum()   # three points, three pixels
np.int64(3)
"""

from __future__ import annotations

import colorsys
import itertools
import math
import operator
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from annotator.errors import MediaError
from annotator.media._bev_index import TILE, TILE_BITS, TopIndex, key_height, key_index
from annotator.media.pointcloud import PointCloud, Progress
from annotator.model import DEFAULT_PALETTE

__all__ = ["MODES", "TILE", "BevRenderer"]

MODES: Final = ("height", "intensity", "rgb", "class")
#: Field names read for the intensity and class modes, first found wins.
INTENSITY_FIELDS: Final = ("intensity", "reflectance", "remission")
CLASS_FIELDS: Final = ("classification", "class", "label", "semantic")
#: Largest image :meth:`BevRenderer.render` makes (pixels).
MAX_RENDER_PIXELS: Final = 64 * 2**20
_DEFAULT_CACHE: Final = 128 * 2**20
_SAMPLE: Final = 1_000_000       # values a robust colour range is taken from

U8 = npt.NDArray[np.uint8]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

# viridis at nine evenly spaced stops (perceptually uniform, colour-blind safe).
_VIRIDIS: Final = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
                   "#35b779", "#6ece58", "#fde725")
# ASPRS LAS 1.4 standard classes 0-18, in the colours survey viewers commonly use.
_ASPRS: Final = ("#9e9e9e", "#bdbdbd", "#a0522d", "#b2df8a", "#33a02c", "#1b5e20",
                 "#e65100", "#ff00ff", "#ffd54f", "#1e88e5", "#6a1b9a", "#616161",
                 "#cddc39", "#ffee58", "#ffc107", "#c62828", "#ff9800", "#7e57c2",
                 "#e040fb")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _ramp(stops: tuple[str, ...]) -> U8:
    """A 256-entry opaque RGBA table interpolating ``stops`` evenly."""
    anchors = np.array([_rgb(s) for s in stops], dtype=np.float64)
    where = np.linspace(0, len(stops) - 1, 256)
    lut = np.full((256, 4), 255, dtype=np.uint8)
    for channel in range(3):
        lut[:, channel] = np.round(np.interp(where, np.arange(len(stops)),
                                             anchors[:, channel]))
    return lut


def _class_palette() -> U8:
    """256 distinct colours: ASPRS for 0-18, the schema palette, then golden-angle hues."""
    colours = [*(_rgb(c) for c in _ASPRS), *(_rgb(c) for c in DEFAULT_PALETTE)]
    step = 0
    while len(colours) < 256:
        hue = (step * 0.618033988749895) % 1.0
        value = (0.95, 0.75, 0.55)[step % 3]
        colour = tuple(round(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.8, value))
        if colour not in colours:
            colours.append((colour[0], colour[1], colour[2]))
        step += 1
    lut = np.full((256, 4), 255, dtype=np.uint8)
    lut[:, :3] = colours
    return lut


_HEIGHT_LUT: Final = _ramp(_VIRIDIS)
_GREY_LUT: Final = _ramp(("#000000", "#ffffff"))
_CLASS_LUT: Final = _class_palette()


class _Lru:
    """Arrays (or None for 'empty') by key, least recently used dropped beyond ``budget`` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.bytes = 0
        self._items: OrderedDict[Hashable, npt.NDArray[Any] | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bool, npt.NDArray[Any] | None]:
        with self._lock:
            if key not in self._items:
                return False, None
            self._items.move_to_end(key)
            return True, self._items[key]

    def put(self, key: Hashable, value: npt.NDArray[Any] | None) -> None:
        size = 64 if value is None else value.nbytes
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self.bytes += size
            while self.bytes > self.budget and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= 64 if dropped is None else dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


class BevRenderer:
    """RGBA images of a point cloud seen from above (see the module docstring).

    ``cache_bytes`` bounds the tile cache; ``progress(done, total)`` is called
    while the index is built and may return False to cancel it
    (:class:`~annotator.media.pointcloud.Cancelled` is raised).
    """

    def __init__(self, cloud: PointCloud, mode: str = "height", *,
                 cache_bytes: int = _DEFAULT_CACHE, progress: Progress | None = None) -> None:
        started = time.perf_counter()
        self.cloud = cloud
        self._fields = _mode_fields(cloud)
        self._index = TopIndex(cloud, progress)
        self.build_seconds = time.perf_counter() - started
        self._cache = _Lru(cache_bytes)
        self._scales: dict[str, tuple[float, float]] = {}
        self._empty = np.zeros((TILE, TILE, 4), dtype=np.uint8)
        self._empty.setflags(write=False)
        self._mode = "height"
        self._mode = self._check_mode(mode)

    # -- facts ------------------------------------------------------------------------------

    @property
    def modes(self) -> tuple[str, ...]:
        """The colourings this cloud has the fields for, in :data:`MODES` order."""
        return tuple(m for m in MODES if m == "height" or m in self._fields)

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def nbytes(self) -> int:
        """Bytes of the per-cloud index (the tile cache not counted)."""
        return self._index.nbytes

    @property
    def cached_bytes(self) -> int:
        return self._cache.bytes

    @property
    def levels(self) -> tuple[int, int]:
        """The finest and the coarsest level :meth:`tile` accepts."""
        return self._index.min_level, self._index.max_level

    def clear_cache(self) -> None:
        """Drop every cached tile (the index stays)."""
        self._cache.clear()

    def level_for(self, metres_per_pixel: float) -> int:
        """The level a view of ``metres_per_pixel`` is pooled from: the finest not finer."""
        if not math.isfinite(metres_per_pixel) or metres_per_pixel <= 0:
            raise ValueError(f"metres per pixel must be a positive number, got {metres_per_pixel}")
        level = math.floor(math.log2(metres_per_pixel))
        return min(max(level, self._index.min_level), self._index.max_level)

    @staticmethod
    def tile_bounds(level: int, col: int, row: int) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` in local metres of tile ``(level, col, row)``."""
        side = TILE * 2.0 ** level
        return col * side, -(row + 1) * side, (col + 1) * side, -row * side

    # -- colouring --------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """Colour by ``mode`` from now on (tiles of other modes stay cached)."""
        self._mode = self._check_mode(mode)

    def _check_mode(self, mode: str | None) -> str:
        if mode is None:
            return self._mode
        if mode not in MODES:
            raise ValueError(f"unknown bird's-eye mode {mode!r} (modes: {', '.join(MODES)})")
        if mode not in self.modes:
            raise MediaError(f"{mode} mode: the point cloud has no {mode} field "
                             f"(fields: {', '.join(self.cloud.field_names) or 'none'})")
        return mode

    def _colour(self, keys: U64, mode: str) -> U8:
        """``(len(keys), 4)`` RGBA of the top points in ``keys`` (0 = no point)."""
        out = np.zeros(len(keys), dtype=np.uint32)         # one RGBA pixel per uint32
        filled = np.flatnonzero(keys)
        if not len(filled):
            return out.view(np.uint8).reshape(-1, 4)
        found = keys[filled]
        if mode == "height":           # the height is in the key itself: no gather
            values: npt.NDArray[Any] = key_height(found)
        elif mode == "intensity":
            values = self._fields["intensity"][key_index(found)]
        elif mode == "class":
            codes = self._fields["class"][key_index(found)].astype(np.int64) & 0xFF
            out[filled] = _CLASS_LUT.view(np.uint32)[:, 0][codes]
            return out.view(np.uint8).reshape(-1, 4)
        else:
            rgba = out.view(np.uint8).reshape(-1, 4)
            rgba[filled, :3] = self._fields["rgb"][key_index(found)]
            rgba[filled, 3] = 255
            return rgba
        low, scale = self._scale(mode)
        level = np.clip((values.astype(np.float32) - np.float32(low)) * np.float32(scale), 0, 255)
        lut = _HEIGHT_LUT if mode == "height" else _GREY_LUT
        out[filled] = lut.view(np.uint32)[:, 0][level.astype(np.uint8)]
        return out.view(np.uint8).reshape(-1, 4)

    def _scale(self, mode: str) -> tuple[float, float]:
        """Offset and factor mapping the 1st..99th percentile of ``mode``'s values to 0..255."""
        if mode not in self._scales:
            values = self.cloud.xyz[:, 2] if mode == "height" else self._fields["intensity"]
            step = max(1, len(values) // _SAMPLE)
            sample = values[::step].astype(np.float64)
            sample = sample[np.isfinite(sample)]
            low, high = np.percentile(sample, [1, 99]).tolist() if len(sample) else (0.0, 1.0)
            self._scales[mode] = (low, 255.0 / max(high - low, 1e-6))
        return self._scales[mode]

    # -- tiles and views --------------------------------------------------------------------

    def _keys(self, level: int, col: int, row: int) -> U64 | None:
        key = ("keys", level, col, row)
        found, value = self._cache.get(key)
        if not found:
            value = self._index.tile_keys(level, col, row)
            if value is not None:
                value.setflags(write=False)
            self._cache.put(key, value)
        return value

    def tile(self, level: int, col: int, row: int, mode: str | None = None) -> U8:
        """The read-only ``(256, 256, 4)`` RGBA tile ``(level, col, row)``.

        Coloured in ``mode``, else in the mode :meth:`set_mode` chose.
        """
        low, high = self.levels
        if not low <= level <= high:
            raise ValueError(f"level {level} is outside this cloud's levels {low}..{high}")
        mode = self._check_mode(mode)
        key = ("rgba", mode, level, col, row)
        found, value = self._cache.get(key)
        if found:
            return self._empty if value is None else value
        keys = self._keys(level, col, row)
        rgba = None if keys is None else self._colour(keys, mode).reshape(TILE, TILE, 4)
        if rgba is not None:
            rgba.setflags(write=False)
        self._cache.put(key, rgba)
        return self._empty if rgba is None else rgba

    def render(self, x0: float, y0: float, x1: float, y1: float,
               width_px: int, height_px: int, mode: str | None = None) -> U8:
        """A new ``(height_px, width_px, 4)`` RGBA image of the local rectangle x0..x1, y0..y1.

        Coloured in ``mode``, else in the mode :meth:`set_mode` chose (a worker
        thread passes the mode it was asked for, so a later switch cannot mix).
        """
        mode = self._check_mode(mode)
        keys = self.top_keys(x0, y0, x1, y1, width_px, height_px)
        return self._colour(keys.ravel(), mode).reshape(height_px, width_px, 4)

    def top_point(self, x: float, y: float, metres_per_pixel: float) -> int | None:
        """Index of the highest point in the pixel around ``(x, y)`` at that zoom, if any."""
        half = metres_per_pixel / 2
        key = int(self.top_keys(x - half, y - half, x + half, y + half, 1, 1)[0, 0])
        return None if key == 0 else key & 0xFFFF_FFFF

    def top_keys(self, x0: float, y0: float, x1: float, y1: float,
                 width_px: int, height_px: int) -> U64:
        """The ``(height_px, width_px)`` top keys of a view (0 where empty) before colouring."""
        _check_view(x0, y0, x1, y1, width_px, height_px)
        mx, my = (x1 - x0) / width_px, (y1 - y0) / height_px
        level = self.level_for(min(mx, my))
        gx0, gx1, gy0, gy1 = self._index.pixel_bounds(level)
        col_lo, col_hi = _spans(x0, mx, width_px, level)
        row_lo, row_hi = _spans(-y1, my, height_px, level)
        np.clip(col_lo, gx0, gx1 + 1, out=col_lo)
        np.clip(col_hi, gx0, gx1 + 1, out=col_hi)
        np.clip(row_lo, gy0, gy1 + 1, out=row_lo)
        np.clip(row_hi, gy0, gy1 + 1, out=row_hi)
        out = np.zeros((height_px, width_px), dtype=np.uint64)
        rows, cols = _used(row_lo, row_hi), _used(col_lo, col_hi)
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return out
        # Separable: the highest over each output row's span of level rows, for every
        # level column in view (a strip), then over each output column's span of it.
        first = int(col_lo[cols][0]) >> TILE_BITS
        last = int(col_hi[cols][-1] - 1) >> TILE_BITS
        strip = self._row_strip(level, _taps(row_lo[rows], row_hi[rows]), first, last)
        target = out[rows, cols]
        for tap in _taps(col_lo[cols] - first * TILE, col_hi[cols] - first * TILE):
            np.maximum(target, np.take(strip, tap, axis=1), out=target)
        return out

    def _row_strip(self, level: int, taps: list[I64], first: int, last: int) -> U64:
        """Per output row, the highest key over its row taps, for tile columns first..last."""
        strip = np.zeros((len(taps[0]), (last - first + 1) * TILE), dtype=np.uint64)
        for tap in taps:
            for r0, r1 in _runs(tap >> TILE_BITS):
                tile_row = int(tap[r0]) >> TILE_BITS
                inner = tap[r0:r1] & (TILE - 1)
                for col in range(first, last + 1):
                    keys = self._keys(level, col, tile_row)
                    if keys is not None:
                        left = (col - first) * TILE
                        part = strip[r0:r1, left:left + TILE]
                        np.maximum(part, np.take(keys.reshape(TILE, TILE), inner, axis=0),
                                   out=part)
        return strip

    def __repr__(self) -> str:
        return (f"BevRenderer({len(self.cloud)} points, leaf 2**{self._index.leaf} m, "
                f"mode {self._mode!r}, index {self.nbytes / 2**20:.1f} MiB)")


def _used(lo: I64, hi: I64) -> slice:
    """The output pixels with a non-empty span: one run, as spans only move forward."""
    used = np.flatnonzero(hi > lo)
    return slice(int(used[0]), int(used[-1]) + 1) if len(used) else slice(0, 0)


def _taps(lo: I64, hi: I64) -> list[I64]:
    """Source pixels per output pixel: the k-th tap is ``min(lo + k, hi - 1)``.

    Taking the maximum over all taps reduces each span ``[lo, hi)``; a span
    shorter than the widest repeats its last pixel, which changes nothing.
    """
    widest = int((hi - lo).max())
    return [np.minimum(lo + k, hi - 1) for k in range(widest)]


def _runs(values: I64) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of equal values in a non-decreasing array."""
    cut = np.flatnonzero(values[1:] != values[:-1]) + 1
    return list(itertools.pairwise([0, *cut.tolist(), len(values)]))


def _spans(start: float, step: float, count: int, level: int) -> tuple[I64, I64]:
    """Per output pixel, the level's pixels ``[lo, hi)`` whose centres fall in it.

    Where a pixel is finer than the level (zoomed in past the finest level),
    none may: it then takes the level's pixel under its centre.
    """
    size = 2.0 ** level
    edges = start + np.arange(count + 1, dtype=np.float64) * step
    first = np.ceil(edges / size - 0.5).astype(np.int64)
    lo, hi = first[:-1].copy(), first[1:].copy()
    narrow = hi <= lo
    if narrow.any():
        centre = np.floor((edges[:-1][narrow] + step / 2) / size).astype(np.int64)
        lo[narrow], hi[narrow] = centre, centre + 1
    return lo, hi


def _check_view(x0: float, y0: float, x1: float, y1: float, width_px: int,
                height_px: int) -> None:
    operator.index(width_px), operator.index(height_px)     # whole numbers only
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
        raise ValueError(f"view ({x0}, {y0}) .. ({x1}, {y1}) is not a finite rectangle "
                         "with x0 < x1 and y0 < y1")
    if width_px < 1 or height_px < 1 or width_px * height_px > MAX_RENDER_PIXELS:
        raise ValueError(f"view size {width_px} x {height_px} px must be at least 1 x 1 "
                         f"and at most {MAX_RENDER_PIXELS} pixels")


def _mode_fields(cloud: PointCloud) -> Mapping[str, npt.NDArray[Any]]:
    """The arrays the intensity, rgb and class modes colour from, where the cloud has them."""
    found: dict[str, npt.NDArray[Any]] = {}
    n = len(cloud)
    for name in INTENSITY_FIELDS:
        values = cloud.fields.get(name)
        if values is not None and values.shape[:1] == (n,) and values.ndim == 1:
            found["intensity"] = values
            break
    for name in CLASS_FIELDS:
        values = cloud.fields.get(name)
        if values is not None and values.shape[:1] == (n,) and values.ndim == 1 \
                and np.issubdtype(values.dtype, np.integer):
            found["class"] = values
            break
    rgb = cloud.fields.get("rgb")
    if rgb is not None and rgb.shape == (n, 3):
        found["rgb"] = rgb if rgb.dtype == np.uint8 else _to_u8(rgb)
    return found


def _to_u8(rgb: npt.NDArray[Any]) -> U8:
    """8-bit colour from wider samples: scaled so the largest sample is 255."""
    peak = float(np.max(rgb)) if rgb.size else 0.0
    scale = np.float32(1.0 if peak <= 255.0 else 255.0 / peak)
    out: U8 = np.clip(rgb.astype(np.float32) * scale, 0, 255).astype(np.uint8)
    return out
