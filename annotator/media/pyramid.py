"""Tiled image pyramids: show huge images by decoding only the visible tiles.

:func:`open_image` returns an :class:`ImageSource` that hands out RGBA tiles
of :data:`TILE` x :data:`TILE` pixels at power-of-two zoom levels.  The canvas
asks for the tiles it paints, at the level :meth:`ImageSource.level_for_scale`
picks, from the GUI thread and from a prefetch thread at the same time; tiles
are kept in an LRU cache bounded in bytes by ``memory_budget``.  A 40,000 x
40,000 tiled TIFF opens in about 4 ms, and one 1920 x 1080 screen of it costs
about 14 MB of peak memory and 35 ms (``benchmarks/bench_big_image.py``).

Geometry
--------
``width`` and ``height`` are the displayed size, after EXIF orientation.
Level 0 is full resolution; level ``k`` is ``ceil(width / 2**k)`` x
``ceil(height / 2**k)``; the last level fits in one tile.  Tile ``(col, row)``
of a level covers pixels ``[col*TILE, (col+1)*TILE) x [row*TILE, (row+1)*TILE)``
clipped to the level, so tiles in the last column and row are smaller.  A
tile is a C-contiguous, **read-only** ``(h, w, 4)`` ``uint8`` RGBA array
(straight, not premultiplied, alpha); it may be shared with the cache, so copy
it before writing to it.

Two ways of holding an image
----------------------------
**TIFF files (tiled or in strips) are read lazily** with ``tifffile``: a tile
reads only the file segments (tiles or strips) under it, at the file offsets
the IFD lists, and decodes them outside the file lock.  Reduced-resolution
levels stored in the file (SubIFDs as tifffile and libvips write them, or the
following ``NewSubfileType=1`` pages of a GDAL COG) serve the matching
levels.  Missing levels are built from the level above: tile ``(k, c, r)`` is
the ``INTER_AREA`` downscale of tiles ``(k-1, 2c..2c+1, 2r..2r+1)``, fetched
through the cache, so memory stays bounded; the (up to) four tiles of a
stored level under one coarse tile are decoded in parallel by a small shared
thread pool.  Zooming right out on a non-pyramidal image therefore decodes
every tile of the file once: about 10 s for a 40,000 x 40,000 Deflate RGB
image on the 2-CPU benchmark machine, with at most ``memory_budget`` cached
meanwhile.  Ship huge imagery as a pyramidal TIFF (COG, or ``tifffile``
``subifds``) and the same view costs one tile (8 ms).
When file tiles do not line up with display tiles (strips, 1024 px tiles ...)
decoded file segments are cached too, within the same budget.
Compressions: none, Deflate/zlib, PackBits, LZMA (and whatever ``tifffile``
decodes, e.g. LZW and JPEG when the optional ``imagecodecs`` package is
installed).  Without ``imagecodecs`` an LZW or JPEG TIFF that fits in memory
is decoded whole by Pillow (libtiff); a larger one is refused with a
:class:`~annotator.errors.MediaError` naming the compression.
Photometrics: grey (min-is-black/white, with or without alpha), RGB(A),
palette, CMYK, and multi-band images (first three bands as RGB); samples
bool, uint8, uint16, other integers and floats; contiguous or planar;
GDAL_NODATA pixels, NaNs and missing (sparse) segments are transparent.
The Orientation tag (274) is honoured, all eight values: tile coordinates are
mapped to the stored image and the stored pixels flipped/transposed.

**Everything else is decoded whole by Pillow** (JPEG, PNG, BMP, WebP, and
TIFFs ``tifffile`` cannot decode), EXIF-rotated, converted to RGBA and kept in
memory (``width * height * 4`` bytes, not counted in :meth:`cached_bytes`;
decoding peaks at about twice that, Pillow's buffer plus ours); coarse tiles
are one ``INTER_AREA`` resize of the level-0 pixels under them, cached.
16-bit RGB(A) PNGs are decoded with OpenCV, as Pillow keeps only 8 bits.
Images whose RGBA decode would exceed :data:`MAX_DECODE_BYTES` (2 GiB, e.g.
23,000 x 23,000) are refused: "too large to decode in memory; store it as a
tiled TIFF".  Pillow's decompression-bomb limit does not apply: for an image
above it, ``Image.MAX_IMAGE_PIXELS`` is raised to the image's size under a
module lock while it decodes (another thread's ``Image.open`` meanwhile would
see the higher limit).

More than 8 bits per sample
---------------------------
Unsigned integer samples (16-bit grey or RGB, 12-bit sensor data stored in
16 bits) are shifted right by ``max(0, bit_length(max) - 8)``, where ``max``
is the largest colour sample of the image: a 12-bit image (max <= 4095) is
shown as ``v >> 4``, a full-range 16-bit one as ``v >> 8``, 8-bit data stored
in 16 bits unchanged.  Unlike a min/max stretch this keeps black black and
gives every frame of a sensor the same brightness.  Signed integers with
negative values and floats are stretched linearly from their min to their max
(floats already within [0, 1] are multiplied by 255).  Alpha is scaled by its
type's full range.  The in-memory path uses the exact range of the image; a
lazy TIFF uses SMin/SMaxSampleValue when present, else the whole coarsest
stored level that fits in 64 MiB, else 16 segments spread over level 0
(values outside the sampled range clip).

Thread safety
-------------
:meth:`ImageSource.read_tile` may be called from any number of threads.
Each source has one lock around its file handle (seek + read only) and one
around its cache; decoding and resizing run outside both.  Two threads asking
for the same tile at once decode it once (the second waits for the first).
:meth:`ImageSource.close` may race with reads: those reads raise
:class:`MediaError` ("the image is closed").
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, NoReturn

import cv2
import numpy as np
import tifffile
from numpy.typing import NDArray
from PIL import Image, ImageOps

from annotator.errors import MediaError
from annotator.media.probe import _IMAGE_CLASSES, _one_line, media_kind, probe

__all__ = ["MAX_DECODE_BYTES", "TILE", "ImageSource", "open_image"]

TILE: Final = 512
"""Tile edge in pixels at every level."""

MAX_DECODE_BYTES: Final = 2 * 2**30
"""Largest RGBA decode (``width * height * 4``) held in memory; beyond it only tiled TIFF."""

_ORIENTATION_TAG: Final = 0x0112
_STRIP_BYTES: Final = 8 * 2**20         # in-memory conversion works in strips of this size
_RANGE_LEVEL_BYTES: Final = 64 * 2**20  # read a whole stored level for the sample range
_RANGE_SEGMENTS: Final = 16             # else this many level-0 segments
_MAX_SEGMENT_BYTES: Final = 256 * 2**20  # a strip/tile bigger than this is not read lazily
_JPEG: Final = frozenset({6, 7, 33007, 34892})   # TIFF compressions that are JPEG
_PIL_LIMIT_LOCK: Final = threading.Lock()
_POOL_LOCK: Final = threading.Lock()

# Orientation -> (swap axes, flip stored x, flip stored y) that maps a displayed
# rectangle to the stored one; see _stored_rect and _orient.
_ORIENT: Final[dict[int, tuple[bool, bool, bool]]] = {
    1: (False, False, False),
    2: (False, True, False),
    3: (False, True, True),
    4: (False, False, True),
    5: (True, False, False),
    6: (True, False, True),
    7: (True, True, True),
    8: (True, True, False),
}

U8 = NDArray[np.uint8]
_Rect = tuple[int, int, int, int]


def _fail(name: str, what: str) -> NoReturn:
    raise MediaError(f"{name}: {what}")


# ------------------------------------------------------------------ geometry


def _stored_rect(orientation: int, rect: _Rect, stored_w: int, stored_h: int) -> _Rect:
    """Map a displayed rectangle ``(x0, y0, x1, y1)`` to the stored image's.

    ``stored_w`` x ``stored_h`` is the image as stored (before orientation).
    """
    swap, flip_x, flip_y = _ORIENT[orientation]
    x0, y0, x1, y1 = rect
    ax0, ax1, ay0, ay1 = (y0, y1, x0, x1) if swap else (x0, x1, y0, y1)
    if flip_x:
        ax0, ax1 = stored_w - ax1, stored_w - ax0
    if flip_y:
        ay0, ay1 = stored_h - ay1, stored_h - ay0
    return ax0, ay0, ax1, ay1


def _orient(region: NDArray[Any], orientation: int) -> NDArray[Any]:
    """Turn a stored-orientation region ``(h, w, ...)`` into displayed orientation (a view)."""
    swap, flip_x, flip_y = _ORIENT[orientation]
    if flip_x:
        region = region[:, ::-1]
    if flip_y:
        region = region[::-1]
    if swap:
        region = region.swapaxes(0, 1)
    return region


# ------------------------------------------------------------ sample scaling


def _colour_scale(dtype: np.dtype[Any], lo: float, hi: float) -> Callable[[NDArray[Any]], U8]:
    """Return a function mapping samples of ``dtype`` in ``[lo, hi]`` to ``uint8``.

    See the module docstring ("More than 8 bits per sample") for the rules.
    """
    if dtype == np.uint8:
        return lambda a: np.asarray(a, np.uint8)
    if dtype == np.bool_:
        return lambda a: np.asarray(a, np.uint8) * np.uint8(255)
    if dtype.kind in "ui" and lo >= 0:
        shift = max(0, int(hi).bit_length() - 8)

        def shifted(a: NDArray[Any]) -> U8:
            out = a >> shift if shift else a
            result: U8 = np.minimum(out, 255).astype(np.uint8)
            return result

        return shifted
    if dtype.kind == "f" and lo >= 0 and hi <= 1:
        lo, hi = 0.0, 1.0
    span = hi - lo if hi > lo else 1.0
    factor = 255.0 / span

    def linear(a: NDArray[Any]) -> U8:
        out = (a.astype(np.float32) - np.float32(lo)) * np.float32(factor) + np.float32(0.5)
        np.clip(out, 0, 255, out=out)
        if dtype.kind == "f":
            np.nan_to_num(out, copy=False, nan=0.0)
        result: U8 = out.astype(np.uint8)
        return result

    return linear


def _alpha_u8(a: NDArray[Any]) -> U8:
    """Scale alpha samples of any type by their type's full range."""
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)
    if a.dtype.kind == "u":
        return (a >> (8 * a.dtype.itemsize - 8)).astype(np.uint8)
    if a.dtype.kind == "f":
        out = np.clip(np.nan_to_num(a.astype(np.float32)) * 255.0 + 0.5, 0, 255)
        return np.asarray(out, np.uint8)
    return np.asarray(np.clip(a, 0, 255), np.uint8)


def _finite_range(values: NDArray[Any], nodata: float | None) -> tuple[float, float] | None:
    """Min and max of the values that are finite and not ``nodata``; None if none."""
    flat = values.reshape(-1)
    if flat.dtype.kind == "f":
        flat = flat[np.isfinite(flat)]
    if nodata is not None:
        flat = flat[flat != nodata]
    if flat.size == 0:
        return None
    return float(flat.min()), float(flat.max())


def _ceil_shift(value: int, level: int) -> int:
    """``ceil(value / 2**level)``."""
    return (value + (1 << level) - 1) >> level


def _level_count(width: int, height: int) -> int:
    """Levels down to the first one that fits in one tile."""
    levels = 1
    while max(_ceil_shift(width, levels - 1), _ceil_shift(height, levels - 1)) > TILE:
        levels += 1
    return levels


_pool: ThreadPoolExecutor | None = None


def _decode_pool() -> ThreadPoolExecutor:
    """The threads that decode the four tiles under a coarse tile at once."""
    global _pool
    with _POOL_LOCK:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1),
                                       thread_name_prefix="pyramid-decode")
        return _pool


# --------------------------------------------------------------- tile cache


class _Lru:
    """An LRU of arrays bounded by the sum of their ``nbytes``; not locked itself."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.bytes = 0
        self._items: OrderedDict[Hashable, NDArray[Any]] = OrderedDict()

    def get(self, key: Hashable) -> NDArray[Any] | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: Hashable, item: NDArray[Any]) -> None:
        size = item.nbytes
        if size > self.budget or key in self._items:
            return
        self._items[key] = item
        self.bytes += size
        while self.bytes > self.budget:
            _, old = self._items.popitem(last=False)
            self.bytes -= old.nbytes

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0


# ---------------------------------------------------------------- the source


class ImageSource:
    """A tiled, multi-resolution view of one image (one page of a TIFF).

    Made by :func:`open_image`; read it with :meth:`read_tile`.  Usable as a
    context manager (closes on exit).

    Attributes
    ----------
    path : str
        The path as given to :func:`open_image`.
    width, height : int
        Displayed size in pixels, after EXIF orientation.
    tile_size : int
        Tile edge in pixels (:data:`TILE`, 512).
    levels : int
        Number of levels; level 0 is full resolution, level ``k`` is
        downsampled by ``2**k``, level ``levels - 1`` fits in one tile.
    storage : str
        ``"tiff"`` (read lazily from the file) or ``"memory"`` (decoded whole).
    stored_levels : tuple of int
        Levels read from reduced-resolution images stored in the file
        (always includes 0 for ``"tiff"``); the others are computed.
    """

    path: str
    width: int
    height: int
    tile_size: int
    levels: int
    storage: str
    stored_levels: tuple[int, ...]

    def __init__(self, path: str, width: int, height: int, memory_budget: int) -> None:
        self.path = path
        self.width = width
        self.height = height
        self.tile_size = TILE
        self.levels = _level_count(width, height)
        self.storage = "memory"
        self.stored_levels = ()
        self._lock = threading.Lock()           # cache, pending, closed
        self._cache = _Lru(memory_budget)
        self._pending: dict[Hashable, Future[NDArray[Any]]] = {}
        self._closed = False

    # -- geometry ---------------------------------------------------------

    def level_size(self, level: int) -> tuple[int, int]:
        """Return ``(width, height)`` of ``level``: ``ceil(width / 2**level)`` ...

        Raises
        ------
        IndexError
            ``level`` is not in ``range(levels)``.
        """
        self._check_level(level)
        return _ceil_shift(self.width, level), _ceil_shift(self.height, level)

    def tile_grid(self, level: int) -> tuple[int, int]:
        """Return ``(columns, rows)`` of tiles at ``level``.

        Raises
        ------
        IndexError
            ``level`` is not in ``range(levels)``.
        """
        width, height = self.level_size(level)
        return -(-width // TILE), -(-height // TILE)

    def level_for_scale(self, scale: float) -> int:
        """Pick the level to paint at ``scale`` (screen pixels per image pixel).

        Returns the coarsest level whose resolution (``2**-level`` level
        pixels per image pixel) is still at least ``scale``: 0 for
        ``scale >= 1``, 1 for ``0.5 >= scale > 0.25`` ..., at most
        ``levels - 1``.

        Raises
        ------
        ValueError
            ``scale`` is not a positive finite number.
        """
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive finite number, not {scale!r}")
        if scale >= 1:
            return 0
        level = math.floor(-math.log2(scale) + 1e-9)
        return min(level, self.levels - 1)

    def _check_level(self, level: int) -> None:
        if not 0 <= level < self.levels:
            raise IndexError(f"level {level} out of range (the image has {self.levels})")

    def _tile_rect(self, level: int, col: int, row: int) -> _Rect:
        width, height = self.level_size(level)
        columns, rows = -(-width // TILE), -(-height // TILE)
        if not (0 <= col < columns and 0 <= row < rows):
            raise IndexError(
                f"tile ({col}, {row}) out of range at level {level} ({columns} x {rows} tiles)"
            )
        x0, y0 = col * TILE, row * TILE
        return x0, y0, min(x0 + TILE, width), min(y0 + TILE, height)

    # -- reading ----------------------------------------------------------

    def read_tile(self, level: int, col: int, row: int) -> U8:
        """Return the RGBA pixels of one tile.

        Parameters
        ----------
        level : int
            0 (full resolution) to ``levels - 1``.
        col, row : int
            Tile column and row, within :meth:`tile_grid` of ``level``.

        Returns
        -------
        numpy.ndarray
            ``(h, w, 4)`` ``uint8``, C-contiguous, read-only; ``h`` and ``w``
            are 512 except in the last row and column.

        Raises
        ------
        IndexError
            ``level``, ``col`` or ``row`` out of range.
        MediaError
            The file cannot be read or decoded here (corrupt tile, file gone),
            or the source is closed.
        """
        rect = self._tile_rect(level, col, row)
        return self._get_or_make(("tile", level, col, row),
                                 lambda: self._make_tile(level, rect), self._cache_tile(level))

    def cached_bytes(self) -> int:
        """Return the bytes held by the tile cache (at most ``memory_budget``)."""
        with self._lock:
            return self._cache.bytes

    def close(self) -> None:
        """Release the file and the cache; later reads raise :class:`MediaError`.

        Idempotent.  A read in progress in another thread finishes first.
        """
        with self._lock:
            self._closed = True
            self._cache.clear()
        self._close_file()

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} {self.path!r} {self.width}x{self.height} "
                f"levels={self.levels} storage={self.storage}>")

    def _get_or_make(self, key: Hashable, make: Callable[[], NDArray[Any]],
                     cache: bool) -> NDArray[Any]:
        """Return the cached array for ``key``, or make it once (other threads wait)."""
        with self._lock:
            if self._closed:
                _fail(self.path, "the image is closed")
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            future = self._pending.get(key)
            owner = future is None
            if future is None:
                future = self._pending[key] = Future()
        if not owner:
            return future.result()
        try:
            item = make()
            item.flags.writeable = False
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            future.set_exception(exc)
            raise
        with self._lock:
            del self._pending[key]
            if cache and not self._closed:
                self._cache.put(key, item)
        future.set_result(item)
        return item

    def _tile_from_children(self, level: int, rect: _Rect) -> U8:
        """Downscale the (up to) 2 x 2 tiles of ``level - 1`` under ``rect``."""
        x0, y0, x1, y1 = rect
        below_w, below_h = self.level_size(level - 1)
        bx0, by0, bx1, by1 = 2 * x0, 2 * y0, min(2 * x1, below_w), min(2 * y1, below_h)
        keys = [(col, row) for row in range(by0 // TILE, -(-by1 // TILE))
                for col in range(bx0 // TILE, -(-bx1 // TILE))]

        def child(key: tuple[int, int]) -> U8:
            return self.read_tile(level - 1, *key)

        if level - 1 in self.stored_levels and len(keys) > 1:
            # Tiles of a stored level decode without recursing, so pool threads
            # never wait for the pool: fetch them in parallel (zlib and OpenCV
            # release the GIL).
            children = list(_decode_pool().map(child, keys))
        else:
            children = [child(key) for key in keys]
        canvas = np.empty((by1 - by0, bx1 - bx0, 4), np.uint8)
        for (col, row), pixels in zip(keys, children, strict=True):
            cy, cx = row * TILE - by0, col * TILE - bx0
            canvas[cy:cy + pixels.shape[0], cx:cx + pixels.shape[1]] = pixels
        return self._resize(canvas, x1 - x0, y1 - y0)

    @staticmethod
    def _resize(pixels: NDArray[Any], width: int, height: int) -> U8:
        if pixels.shape[1] == width and pixels.shape[0] == height:
            return np.ascontiguousarray(pixels)
        return np.asarray(cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA),
                          np.uint8)

    # -- for subclasses ---------------------------------------------------

    def _make_tile(self, level: int, rect: _Rect) -> U8:
        raise NotImplementedError

    def _cache_tile(self, level: int) -> bool:
        return True

    def _close_file(self) -> None:
        return None


# ------------------------------------------------------------ in memory


class _MemorySource(ImageSource):
    """The whole image decoded to one RGBA array; coarse tiles are cached resizes."""

    def __init__(self, path: str, rgba: U8, memory_budget: int) -> None:
        super().__init__(path, int(rgba.shape[1]), int(rgba.shape[0]), memory_budget)
        self._rgba: U8 | None = rgba

    def _make_tile(self, level: int, rect: _Rect) -> U8:
        rgba = self._rgba
        if rgba is None:
            _fail(self.path, "the image is closed")
        x0, y0, x1, y1 = rect
        if level == 0:
            return np.ascontiguousarray(rgba[y0:y1, x0:x1])
        region = rgba[y0 << level:min(y1 << level, self.height),
                      x0 << level:min(x1 << level, self.width)]
        return self._resize(region, x1 - x0, y1 - y0)

    def _cache_tile(self, level: int) -> bool:
        return level > 0   # level 0 is a copy of memory we hold anyway

    def _close_file(self) -> None:
        self._rgba = None


@contextmanager
def _pillow_limit(pixels: int) -> Iterator[None]:
    """Let Pillow decode ``pixels`` without its decompression-bomb error.

    Only when needed, under a module lock; see the module docstring.
    """
    limit = Image.MAX_IMAGE_PIXELS
    if limit is None or pixels <= limit:
        yield
        return
    with _PIL_LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = pixels
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _check_decode_size(name: str, width: int, height: int) -> None:
    if width * height * 4 > MAX_DECODE_BYTES:
        _fail(name, f"{width} x {height} pixels is too large to decode in memory; "
                    "store it as a tiled TIFF")


def _gray_to_rgba(values: NDArray[Any], out: U8) -> None:
    out[..., :3] = values[..., None]
    out[..., 3] = 255


def _pil_to_rgba(img: Image.Image) -> U8:
    """Convert a loaded, oriented Pillow image to RGBA, strip by strip."""
    width, height = img.size
    out: U8 = np.empty((height, width, 4), np.uint8)
    rows = max(1, _STRIP_BYTES // max(1, width * 4))
    if img.mode.startswith(("I", "F")):
        values = np.asarray(img)
        values = values.astype(values.dtype.newbyteorder("="), copy=False)
        span = _finite_range(values, None) or (0.0, 0.0)
        scale = _colour_scale(values.dtype, *span)
        for y0 in range(0, height, rows):
            _gray_to_rgba(scale(values[y0:y0 + rows]), out[y0:y0 + rows])
        if values.dtype.kind == "f":
            out[..., 3][np.isnan(values)] = 0
        return out
    for y0 in range(0, height, rows):
        strip = img.crop((0, y0, width, min(height, y0 + rows)))
        try:
            converted = strip.convert("RGBA")
        except ValueError:   # modes without a direct RGBA conversion (LAB, HSV ...)
            converted = strip.convert("RGB").convert("RGBA")
        out[y0:y0 + rows] = np.asarray(converted)
    return out


def _read_png16(name: str, orientation: object) -> U8:
    """16-bit RGB(A) PNG: Pillow would truncate to 8 bits, so decode with OpenCV."""
    try:
        data = np.fromfile(name, np.uint8)
        decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except (OSError, cv2.error) as exc:
        _fail(name, f"cannot decode PNG ({_one_line(exc)})")
    if decoded is None or decoded.ndim != 3:
        _fail(name, "cannot decode PNG")
    values = np.asarray(decoded)
    colour = values[..., 2::-1]   # BGR(A) -> RGB
    span = _finite_range(colour, None) or (0.0, 0.0)
    scale = _colour_scale(values.dtype, *span)
    height, width = values.shape[:2]
    out: U8 = np.empty((height, width, 4), np.uint8)
    out[..., :3] = scale(colour)
    out[..., 3] = _alpha_u8(values[..., 3]) if values.shape[2] == 4 else 255
    if orientation in _ORIENT and orientation != 1:
        out = np.ascontiguousarray(_orient(out, orientation))
    return out


def _open_pillow(name: str, fmt: str, memory_budget: int, frame: int,
                 png16: bool = False) -> _MemorySource:
    """Decode frame ``frame`` of an image whole with Pillow (or OpenCV, see png16)."""
    try:
        with open(name, "rb") as fp:
            img = _IMAGE_CLASSES[fmt](fp, name)
            frames = int(getattr(img, "n_frames", 1))
            if frame >= frames:
                _fail(name, f"page {frame} out of range (the file has {frames})")
            if frame:
                img.seek(frame)
            width, height = img.size
            _check_decode_size(name, width, height)
            if png16 and frame == 0 and img.mode in ("RGB", "RGBA"):
                orientation = Image.Image.getexif(img).get(_ORIENTATION_TAG)
                return _MemorySource(name, _read_png16(name, orientation), memory_budget)
            with _pillow_limit(width * height):
                img.load()
            if img.getexif().get(_ORIENTATION_TAG, 1) != 1:
                ImageOps.exif_transpose(img, in_place=True)
            rgba = _pil_to_rgba(img)
    except MediaError:
        raise
    except OSError as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            _fail(name, "cannot read the file")
        _fail(name, f"cannot decode {fmt.upper()} ({_one_line(exc)})")
    except Exception as exc:  # Pillow raises many types on corrupt input
        _fail(name, f"cannot decode {fmt.upper()} ({_one_line(exc)})")
    return _MemorySource(name, rgba, memory_budget)


# ------------------------------------------------------------ lazy TIFF


@dataclass(frozen=True, slots=True)
class _Layout:
    """Which samples of a TIFF page make the colour, and how."""

    kind: str                      # "grey" | "rgb" | "palette" | "cmyk"
    channels: tuple[int, ...]      # sample indices read: colour first, then alpha
    alpha: bool
    invert: bool                   # min-is-white
    lut: U8 | None                 # palette -> RGB, (N, 3)


def _compression_name(page: tifffile.TiffPage) -> str:
    try:
        return str(tifffile.COMPRESSION(page.compression).name)
    except ValueError:
        return f"compression {page.compression}"


def _page_layout(page: tifffile.TiffPage) -> _Layout | str:
    """How to show ``page``, or why we cannot read it lazily."""
    if page.compression != 1:
        try:
            tifffile.TIFF.DECOMPRESSORS[page.compression]
        except KeyError:
            return (f"{_compression_name(page)} compression needs the 'imagecodecs' package "
                    "(pip install imagecodecs)")
    if page.predictor not in (1, 2):
        try:
            tifffile.TIFF.UNPREDICTORS[page.predictor]
        except KeyError:
            return f"predictor {page.predictor} needs the 'imagecodecs' package"
    dtype = page.dtype
    if dtype is None or dtype.kind not in "buif":
        return f"unsupported sample format ({page.bitspersample}-bit)"
    if page.imagedepth != 1 or page.tiledepth != 1:
        return "volumetric TIFF"
    samples = int(page.samplesperpixel)
    extras = tuple(int(e) for e in page.extrasamples)
    colours = max(1, samples - len(extras))
    alpha_at = next((colours + i for i, e in enumerate(extras) if e in (1, 2)), None)
    photometric = int(page.photometric)
    lut = None
    invert = False
    colour: tuple[int, ...]
    if photometric in (0, 1):            # min-is-white, min-is-black
        invert = photometric == 0
        kind, colour = ("rgb", (0, 1, 2)) if colours >= 3 else ("grey", (0,))
    elif (photometric == 2 or (photometric == 6 and page.compression in _JPEG)) and colours >= 3:
        kind, colour = "rgb", (0, 1, 2)   # tifffile decodes YCbCr JPEG to RGB
    elif photometric == 3 and samples == 1 and page.colormap is not None:
        cmap = np.asarray(page.colormap)
        if cmap.ndim != 2 or cmap.shape[0] != 3:
            return "unsupported palette"
        if dtype.kind != "u" or cmap.shape[1] < 2 ** min(16, int(page.bitspersample)):
            return "unsupported palette"
        lut = (cmap >> 8 if cmap.max() > 255 else cmap).T.astype(np.uint8)
        kind, colour = "palette", (0,)
    elif photometric == 5 and colours >= 4 and int(page.tags.valueof(332, 1)) == 1:
        kind, colour = "cmyk", (0, 1, 2, 3)
    else:
        return f"unsupported TIFF colour layout (photometric {photometric}, {samples} samples)"
    channels = colour + ((alpha_at,) if alpha_at is not None and alpha_at < samples else ())
    return _Layout(kind, channels, len(channels) > len(colour), invert, lut)


@dataclass(slots=True)
class _Stored:
    """One stored resolution: a TIFF page and how its segments tile it."""

    page: tifffile.TiffPage
    level: int
    width: int                     # as stored (before orientation)
    height: int
    seg_w: int
    seg_h: int
    across: int                    # segments per row
    down: int                      # segment rows
    separate: bool                 # planar configuration 2
    offsets: NDArray[np.int64]
    counts: NDArray[np.int64]
    decode: Callable[..., Any]
    jpegtables: bytes | None
    cache_segments: bool

    @classmethod
    def of(cls, page: tifffile.TiffPage, level: int) -> _Stored:
        width, height = int(page.imagewidth), int(page.imagelength)
        if page.is_tiled:
            seg_w, seg_h = int(page.tilewidth), int(page.tilelength)
        else:
            seg_w, seg_h = width, max(1, min(int(page.rowsperstrip), height))
        separate = page.planarconfig == 2 and page.samplesperpixel > 1
        return cls(
            page=page, level=level, width=width, height=height, seg_w=seg_w, seg_h=seg_h,
            across=-(-width // seg_w), down=-(-height // seg_h), separate=separate,
            offsets=np.asarray(page.dataoffsets, np.int64),
            counts=np.asarray(page.databytecounts, np.int64),
            decode=page.decode,   # a cached_property: resolve it here, in one thread
            jpegtables=page.jpegtables,
            # Cache decoded segments when display tiles do not line up with them.
            cache_segments=bool(TILE % seg_w or TILE % seg_h),
        )

    def segment_bytes(self) -> int:
        samples = 1 if self.separate else int(self.page.samplesperpixel)
        return self.seg_w * self.seg_h * samples * np.dtype(self.page.dtype).itemsize


class _TiffSource(ImageSource):
    """A TIFF page read segment by segment with tifffile."""

    def __init__(self, path: str, tif: tifffile.TiffFile, stored: list[tuple[int, _Stored]],
                 layout: _Layout, orientation: int, memory_budget: int) -> None:
        base = stored[0][1]
        swap = _ORIENT[orientation][0]
        width, height = (base.height, base.width) if swap else (base.width, base.height)
        super().__init__(path, width, height, memory_budget)
        self.storage = "tiff"
        self._tif: tifffile.TiffFile | None = tif
        self._file_lock = threading.Lock()
        self._stored = dict(stored)
        self.stored_levels = tuple(sorted(self._stored))
        self._layout = layout
        self._orientation = orientation
        page = base.page
        self._dtype = np.dtype(page.dtype).newbyteorder("=")
        self._nodata = _nodata(page)
        self._convert: Callable[[NDArray[Any], NDArray[np.bool_] | None], U8] = self._converter(
            (0.0, 255.0))
        if self._dtype not in (np.uint8, np.bool_) and layout.kind != "palette":
            self._convert = self._converter(self._sample_range())

    # -- raw reads ----------------------------------------------------------

    def _segment(self, st: _Stored, index: int) -> NDArray[Any] | None:
        """Decoded segment ``index`` as ``(rows, cols, samples)``, or None if absent."""
        count = int(st.counts[index])
        if count == 0 or int(st.offsets[index]) == 0:
            return None
        if st.cache_segments:
            return self._get_or_make(("seg", st.level, index),
                                     lambda: self._decode_segment(st, index), True)
        return self._decode_segment(st, index)

    def _decode_segment(self, st: _Stored, index: int) -> NDArray[Any]:
        offset, count = int(st.offsets[index]), int(st.counts[index])
        with self._file_lock:
            tif = self._tif
            if tif is None:
                _fail(self.path, "the image is closed")
            try:
                fh = tif.filehandle
                fh.seek(offset)
                data = fh.read(count)
            except (OSError, ValueError) as exc:
                _fail(self.path, f"cannot read tile data ({_one_line(exc)})")
        if len(data) != count:
            _fail(self.path, f"truncated TIFF (segment {index} ends past the end of the file)")
        try:
            decoded, _, _ = st.decode(data, index, jpegtables=st.jpegtables)
        except Exception as exc:  # zlib.error, TiffFileError, ValueError ...
            _fail(self.path, f"corrupt tile data (level {st.level}, segment {index}: "
                             f"{_one_line(exc)})")
        if decoded is None:
            return np.zeros((st.seg_h, st.seg_w, 1 if st.separate else
                             int(st.page.samplesperpixel)), self._dtype)
        array = np.asarray(decoded)
        return array.reshape(array.shape[1:])   # drop the depth axis

    def _read_raw(self, st: _Stored, rect: _Rect) -> tuple[NDArray[Any], NDArray[np.bool_] | None]:
        """Samples ``layout.channels`` of the stored rectangle (clipped to the page).

        Returns the ``(h, w, channels)`` array (possibly a read-only view of
        a decoded segment: do not write to it) and a mask of pixels whose
        segment is absent from the file (None when all are present).
        """
        x0, y0, x1, y1 = rect
        channels = self._layout.channels
        all_contig = channels == tuple(range(int(st.page.samplesperpixel)))
        sx, sy = x0 // st.seg_w, y0 // st.seg_h
        if (not st.separate and all_contig
                and (x1 - 1) // st.seg_w == sx and (y1 - 1) // st.seg_h == sy):
            # Within one segment (display and file tiles aligned): no copy.
            seg = self._segment(st, sy * st.across + sx)
            if seg is not None:
                gx, gy = sx * st.seg_w, sy * st.seg_h
                part = seg[y0 - gy:y1 - gy, x0 - gx:x1 - gx]
                if part.shape[:2] == (y1 - y0, x1 - x0):
                    return part, None
        out = np.zeros((y1 - y0, x1 - x0, len(channels)), self._dtype)
        missing: NDArray[np.bool_] | None = None
        per_plane = st.across * st.down
        for sy in range(y0 // st.seg_h, -(-y1 // st.seg_h)):
            gy = sy * st.seg_h
            oy0, oy1 = max(y0, gy), min(y1, gy + st.seg_h)
            for sx in range(x0 // st.seg_w, -(-x1 // st.seg_w)):
                gx = sx * st.seg_w
                ox0, ox1 = max(x0, gx), min(x1, gx + st.seg_w)
                target = out[oy0 - y0:oy1 - y0, ox0 - x0:ox1 - x0]
                planes = ([(i, c * per_plane) for i, c in enumerate(channels)] if st.separate
                          else [(-1, 0)])
                for slot, plane_offset in planes:
                    seg = self._segment(st, plane_offset + sy * st.across + sx)
                    if seg is None:
                        if missing is None:
                            missing = np.zeros(out.shape[:2], np.bool_)
                        missing[oy0 - y0:oy1 - y0, ox0 - x0:ox1 - x0] = True
                        continue
                    part = seg[oy0 - gy:oy1 - gy, ox0 - gx:ox1 - gx]
                    if part.shape[:2] != target.shape[:2]:
                        _fail(self.path, f"corrupt tile data (segment {sy * st.across + sx} "
                                         "is smaller than the tile size)")
                    if slot >= 0:
                        target[..., slot] = part[..., 0]
                    elif all_contig:
                        target[...] = part
                    else:
                        target[...] = part[..., list(channels)]
        return out, missing

    def _sample_range(self) -> tuple[float, float]:
        """The colour sample range used to scale to 8 bits (module docstring)."""
        page = self._stored[0].page
        colour = len(self._layout.channels) - int(self._layout.alpha)
        smin, smax = page.tags.valueof(340), page.tags.valueof(341)
        if smin is not None and smax is not None:
            lows = np.atleast_1d(np.asarray(smin, np.float64))[:colour]
            highs = np.atleast_1d(np.asarray(smax, np.float64))[:colour]
            return float(lows.min()), float(highs.max())
        spans = []
        # The coarsest stored level that is small enough, read whole.
        for level in sorted(self._stored, reverse=True):
            st = self._stored[level]
            if st.width * st.height * len(self._layout.channels) * self._dtype.itemsize \
                    <= _RANGE_LEVEL_BYTES:
                raw, _ = self._read_raw(st, (0, 0, st.width, st.height))
                spans.append(_finite_range(raw[..., :colour], self._nodata))
                break
        else:
            st = self._stored[0]
            picks = np.linspace(0, st.across * st.down - 1, _RANGE_SEGMENTS).round()
            for index in sorted({int(i) for i in picks}):
                sy, sx = divmod(index, st.across)
                rect = (sx * st.seg_w, sy * st.seg_h,
                        min(st.width, (sx + 1) * st.seg_w), min(st.height, (sy + 1) * st.seg_h))
                raw, _ = self._read_raw(st, rect)
                spans.append(_finite_range(raw[..., :colour], self._nodata))
        found = [s for s in spans if s is not None]
        if not found:
            return 0.0, 0.0
        return min(s[0] for s in found), max(s[1] for s in found)

    def _converter(self, span: tuple[float, float]
                   ) -> Callable[[NDArray[Any], NDArray[np.bool_] | None], U8]:
        layout, nodata = self._layout, self._nodata
        scale = _colour_scale(self._dtype, *span)
        colours = len(layout.channels) - int(layout.alpha)

        def convert(raw: NDArray[Any], missing: NDArray[np.bool_] | None) -> U8:
            height, width = raw.shape[:2]
            out: U8
            if layout.kind == "palette":
                assert layout.lut is not None
                index = np.minimum(raw[..., 0], len(layout.lut) - 1)
                out = np.empty((height, width, 4), np.uint8)
                out[..., :3] = layout.lut[index]
                out[..., 3] = 255
            elif raw.dtype == np.uint8 and layout.kind == "rgb" and not layout.invert:
                # raw may be a decoded segment itself: always return a new array
                out = (np.array(raw, np.uint8, order="C") if layout.alpha
                       else np.asarray(cv2.cvtColor(raw, cv2.COLOR_RGB2RGBA), np.uint8))
            elif raw.dtype == np.uint8 and layout.kind == "grey" and not layout.alpha \
                    and not layout.invert:
                out = np.asarray(cv2.cvtColor(raw[..., 0], cv2.COLOR_GRAY2RGBA), np.uint8)
            else:
                out = np.empty((height, width, 4), np.uint8)
                colour = scale(raw[..., :colours])
                if layout.invert:
                    colour = 255 - colour
                if layout.kind == "cmyk":
                    cmy = colour[..., :3].astype(np.uint16)
                    white = 255 - colour[..., 3:4].astype(np.uint16)
                    out[..., :3] = ((255 - cmy) * white + 127) // 255
                else:
                    out[..., :3] = colour
                out[..., 3] = _alpha_u8(raw[..., colours]) if layout.alpha else 255
            hidden = missing
            if nodata is not None or raw.dtype.kind == "f":
                colour_raw = raw[..., :colours]
                mask = np.zeros((height, width), np.bool_)
                if nodata is not None:
                    mask |= np.all(colour_raw == nodata, axis=-1)
                if raw.dtype.kind == "f":
                    mask |= np.any(np.isnan(colour_raw), axis=-1)
                hidden = mask if hidden is None else hidden | mask
            if hidden is not None and hidden.any():
                out[hidden] = 0
            return out

        return convert

    # -- tiles --------------------------------------------------------------

    def _make_tile(self, level: int, rect: _Rect) -> U8:
        st = self._stored.get(level)
        if st is None:
            return self._tile_from_children(level, rect)
        width, height = self.level_size(level)
        swap = _ORIENT[self._orientation][0]
        logical_w, logical_h = (height, width) if swap else (width, height)
        sx0, sy0, sx1, sy1 = _stored_rect(self._orientation, rect, logical_w, logical_h)
        if sx1 <= st.width and sy1 <= st.height:
            raw, missing = self._read_raw(st, (sx0, sy0, sx1, sy1))
        else:
            # A stored level may be a pixel or two smaller than ceil(size / 2**level):
            # read what is there and repeat its last rows / columns.
            rows = np.minimum(np.arange(sy0, sy1), st.height - 1)
            cols = np.minimum(np.arange(sx0, sx1), st.width - 1)
            r0, c0 = int(rows[0]), int(cols[0])
            raw, missing = self._read_raw(st, (c0, r0, int(cols[-1]) + 1, int(rows[-1]) + 1))
            raw = raw[rows - r0][:, cols - c0]
            if missing is not None:
                missing = missing[rows - r0][:, cols - c0]
        rgba = self._convert(raw, missing)
        if self._orientation != 1:
            rgba = np.ascontiguousarray(_orient(rgba, self._orientation))
        return rgba

    def _close_file(self) -> None:
        with self._file_lock:
            tif, self._tif = self._tif, None
        if tif is not None:
            tif.close()


def _nodata(page: tifffile.TiffPage) -> float | None:
    value = page.tags.valueof(42113)   # GDAL_NODATA, ASCII
    if value is None:
        return None
    try:
        number = float(str(value).strip().rstrip("\x00"))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _orientation_of(page: tifffile.TiffPage) -> int:
    value = page.tags.valueof(_ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and value in _ORIENT else 1


def _compatible(level_page: tifffile.TiffPage, base: tifffile.TiffPage) -> bool:
    return bool(
        level_page.samplesperpixel == base.samplesperpixel
        and level_page.dtype == base.dtype
        and level_page.photometric == base.photometric
        and level_page.imagedepth == 1
        and not isinstance(_page_layout(level_page), str)
    )


def _level_pages(tif: tifffile.TiffFile, tops: list[tifffile.TiffPage],
                 position: int) -> list[tifffile.TiffPage]:
    """Candidate reduced-resolution pages of ``tops[position]``: SubIFDs, then COG overviews."""
    page = tops[position]
    found: list[tifffile.TiffPage] = []
    if page.subifds:
        subpages = page.pages
        if subpages is not None:
            for sub in subpages:
                if isinstance(sub, tifffile.TiffPage) and not sub.subfiletype & 4:
                    found.append(sub)
    for later in tops[position + 1:]:
        if not later.subfiletype & 1:
            break
        if not later.subfiletype & 4:   # skip transparency masks
            found.append(later)
    return found


def _truncation(st: _Stored, size: int) -> str | None:
    present = st.counts > 0
    if not present.any():
        return None
    ends = st.offsets[present] + st.counts[present]
    end = int(ends.max())
    return None if end <= size else f"truncated TIFF (data runs to byte {end}, file has {size})"


def _open_tiff(name: str, memory_budget: int, page: int) -> ImageSource:
    """Open page ``page`` (counting full-resolution pages only) of a TIFF lazily.

    Falls back to Pillow for what tifffile cannot decode, when it fits in memory.
    """
    try:
        tif = tifffile.TiffFile(name)
    except Exception as exc:  # TiffFileError, struct.error, ValueError ...
        _fail(name, f"not a readable TIFF ({_one_line(exc)})")
    try:
        source = _tiff_source(name, tif, memory_budget, page)
    except BaseException:
        tif.close()
        raise
    if isinstance(source, ImageSource):
        return source
    tif.close()
    reason, frame, width, height = source
    if width * height * 4 > MAX_DECODE_BYTES:
        _fail(name, f"{reason}, and at {width} x {height} pixels it is too large to decode in "
                    "memory; store it as a tiled TIFF")
    try:
        return _open_pillow(name, "tiff", memory_budget, frame)
    except MediaError as exc:
        detail = str(exc).removeprefix(f"{name}: ")
        _fail(name, f"{reason}, and Pillow could not decode it either ({detail})")


def _tiff_source(name: str, tif: tifffile.TiffFile, memory_budget: int,
                 page: int) -> ImageSource | tuple[str, int, int, int]:
    """The lazy source, or ``(why not, Pillow frame, width, height)`` to fall back."""
    try:
        # Parse IFDs only up to the full-resolution page after the one asked for
        # (a stack may have thousands); reduced pages in between are its overviews.
        tops: list[tifffile.TiffPage] = []
        mains: list[int] = []
        for item in tif.pages:
            if not isinstance(item, tifffile.TiffPage):
                continue
            if not item.subfiletype & 5:      # neither reduced (1) nor a mask (4)
                if len(mains) > page:
                    break
                mains.append(len(tops))
            tops.append(item)
        if not mains:
            _fail(name, "not a readable TIFF (no image in it)")
        if page >= len(mains):
            _fail(name, f"page {page} out of range (the file has {len(mains)})")
        position = mains[page]
        base = tops[position]
        orientation = _orientation_of(base)
        swap = _ORIENT[orientation][0]
        width, height = int(base.imagewidth), int(base.imagelength)
        shown = (height, width) if swap else (width, height)
        layout = _page_layout(base)
        if isinstance(layout, str):
            return layout, position, *shown
        base_st = _Stored.of(base, 0)
        if base_st.segment_bytes() > _MAX_SEGMENT_BYTES:
            return "its strips are too large to read piecewise", position, *shown
        size = tif.filehandle.size
        problem = _truncation(base_st, size)
        if problem:
            _fail(name, problem)
        stored: list[tuple[int, _Stored]] = [(0, base_st)]
        levels = _level_count(*shown)
        taken = {0}
        for candidate in _level_pages(tif, tops, position):
            if not _compatible(candidate, base):
                continue
            cw, ch = int(candidate.imagewidth), int(candidate.imagelength)
            if cw >= width or cw < 1:
                continue
            level = round(math.log2(width / cw))
            want_w, want_h = _ceil_shift(width, level), _ceil_shift(height, level)
            if (level in taken or not 0 < level < levels
                    or abs(cw - want_w) > 2 or abs(ch - want_h) > 2):
                continue
            st = _Stored.of(candidate, level)
            if st.segment_bytes() > _MAX_SEGMENT_BYTES or _truncation(st, size):
                continue
            taken.add(level)
            stored.append((level, st))
        # Decode one segment now: an unusable codec or predictor shows at open.
        present = np.flatnonzero(base_st.counts)
        if present.size:
            try:
                offset, count = int(base_st.offsets[present[0]]), int(base_st.counts[present[0]])
                tif.filehandle.seek(offset)
                base_st.decode(tif.filehandle.read(count), int(present[0]),
                               jpegtables=base_st.jpegtables)
            except Exception as exc:
                return f"cannot decode the TIFF's tiles ({_one_line(exc)})", position, *shown
        return _TiffSource(name, tif, stored, layout, orientation, memory_budget)
    except MediaError:
        raise
    except Exception as exc:  # corrupt IFDs surface lazily, as many types
        _fail(name, f"not a readable TIFF ({_one_line(exc)})")


# ------------------------------------------------------------------- entry


def _is_tiff(name: str) -> bool:
    """A regular file with an image suffix and TIFF magic bytes."""
    if media_kind(name) != "image" or not os.path.isfile(name):
        return False
    try:
        with open(name, "rb") as fp:
            head = fp.read(4)
    except OSError:
        return False
    return head in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def open_image(path: str | os.PathLike[str], memory_budget: int = 256 * 2**20,
               page: int = 0) -> ImageSource:
    """Open an image for tiled display.

    Parameters
    ----------
    path : str or os.PathLike
        A JPEG, PNG, TIFF, BMP or WebP file (judged by suffix, then content,
        as :func:`~annotator.media.probe.probe` does).
    memory_budget : int
        Bytes the tile cache may hold (default 256 MiB, 256 full tiles).
        Images decoded whole hold ``width * height * 4`` bytes besides.
    page : int
        TIFF page (reduced-resolution pages not counted) or WebP/PNG frame.

    Returns
    -------
    ImageSource

    Raises
    ------
    MediaError
        ``"<path>: <problem>"`` on one line: missing, not an image, corrupt,
        truncated, unsupported compression, no such page, or too large to
        decode in memory (store it as a tiled TIFF).
    ValueError
        ``memory_budget`` or ``page`` is negative.
    """
    name = os.fspath(path)
    if memory_budget < 0:
        raise ValueError(f"memory_budget must be >= 0, not {memory_budget}")
    if page < 0:
        raise ValueError(f"page must be >= 0, not {page}")
    try:
        info = probe(name)
    except MediaError:
        # Pillow cannot parse the header of some TIFFs that tifffile reads
        # (compressions it does not know, e.g. LERC or JPEG XL): let tifffile say.
        if not _is_tiff(name):
            raise
        return _open_tiff(name, memory_budget, page)
    if info.kind != "image":
        _fail(name, f"not an image (a {info.format} point cloud)")
    if info.format == "tiff":
        return _open_tiff(name, memory_budget, page)
    png16 = info.format == "png" and info.bit_depth == 16
    return _open_pillow(name, info.format, memory_budget, page, png16=png16)
