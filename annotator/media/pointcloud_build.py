"""Turning decoded coordinates into a :class:`~annotator.media.pointcloud.PointCloud`.

Every reader ends here with an ``(n, 3)`` coordinate array (often a read-only
view into a memory-mapped file) and its per-point fields.  :func:`build_cloud`
walks the coordinates once in chunks to find the bounds, which also finds NaN
and infinite points (they make a chunk's minimum or maximum non-finite), then
picks the local frame:

* float32 coordinates within :data:`NEAR` metres of zero are used as stored:
  ``origin`` is zero and ``xyz`` stays the reader's view, nothing is copied;
* anything else (float64, integers) gets an ``origin`` at the whole-metre
  centre of the bounds (or the origin the file notes, see
  :func:`annotator.media.pcd.write_pcd`) and float32 ``xyz = world - origin``;
* float32 axes farther than :data:`NEAR` from zero are shifted the same way,
  checked point by point to be exact (they usually are: far from zero a
  float32 has no bits below the shift's); an axis where a point would change
  keeps origin zero rather than lose a bit.

Non-finite points are dropped with a warning; an organised cloud that loses
points is no longer a grid, so ``organised`` is then None (and says so).

>>> import numpy as np
>>> world = np.array([[600_000.0012, 4_000_000.5, 31.25], [600_010.0, 4_000_020.0, 30.0]])
>>> cloud = build_cloud("t", world, {}, fmt="pcd", encoding="ascii")
>>> cloud.origin.tolist()
[600005.0, 4000010.0, 31.0]
>>> bool(np.all(np.abs(cloud.world() - world) < 1e-6))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from annotator.errors import MediaError
from annotator.media.pointcloud import Cancelled, PointCloud, Progress

__all__ = ["CHUNK", "NEAR", "Ticker", "build_cloud", "colour_to_rgb", "pack_rgb", "unpack_rgb"]

CHUNK: Final = 1 << 18
"""Points handled per step of a chunked pass (progress is reported per chunk)."""

NEAR: Final = 10_000.0
"""float32 coordinates within this many metres of zero keep origin zero (ulp <= 1 mm)."""

_FINE_HALF_SPAN: Final = 8192.0  # float32 resolves 1 mm up to 2**13 m from the origin
_HINT_SLACK: Final = 1000.0
_FLOAT32_MAX: Final = float(np.finfo(np.float32).max)
_CLIPPED: Final = "colour values outside 0..255 were clipped"


class Ticker:
    """Reports ``progress(done, total)`` in points and turns a False answer into :class:`Cancelled`.

    A read may walk the points `passes` times (parse, then check); the bar
    moves ``1 / passes`` of a point per point handled, so it shows points and
    ends once.  Work discovered later (a second pass) keeps asking the
    callback, so cancelling still works, but the bar stays one short of the
    end until :meth:`finish`.
    """

    def __init__(self, name: str, progress: Progress | None, points: int,
                 passes: int = 1) -> None:
        self.name = name
        self.progress = progress
        self.total = max(int(points), 1)
        self.passes = max(int(passes), 1)
        self.units = 0

    def advance(self, amount: int) -> None:
        self.units += int(amount)
        self.check()

    def check(self) -> None:
        """Ask the callback without moving the bar (a cancellation point)."""
        self._report(min(self.units // self.passes, self.total - 1))

    def finish(self) -> None:
        self._report(self.total)

    def _report(self, done: int) -> None:
        if self.progress is not None and self.progress(done, self.total) is False:
            raise Cancelled(f"{self.name}: reading cancelled")


def _bounds(
    xyz: npt.NDArray[Any], ticker: Ticker | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], bool]:
    """Per-axis minimum and maximum (float64) and whether every coordinate is finite.

    Column by column and chunk by chunk: numpy's strided 1-D min/max is ten
    times faster than ``min(axis=0)`` on an ``(n, 3)`` record view, and a
    chunk stays in cache across the six reductions.
    """
    n = len(xyz)
    low = np.full(3, np.inf)
    high = np.full(3, -np.inf)
    finite = True
    for start in range(0, n, CHUNK):
        part = xyz[start:start + CHUNK]
        for axis in range(3):
            column = part[:, axis]
            lo, hi = float(column.min()), float(column.max())
            if not (np.isfinite(lo) and np.isfinite(hi)):
                finite = False
            low[axis] = min(low[axis], lo)
            high[axis] = max(high[axis], hi)
        if ticker is not None:
            ticker.advance(len(part))
    return low, high, finite


def _finite_mask(xyz: npt.NDArray[Any], ticker: Ticker) -> npt.NDArray[np.bool_]:
    keep = np.empty(len(xyz), dtype=bool)
    for start in range(0, len(xyz), CHUNK):
        part = xyz[start:start + CHUNK]
        np.logical_and.reduce(np.isfinite(part), axis=1, out=keep[start:start + CHUNK])
        ticker.check()
    return keep


def _shift(
    xyz: npt.NDArray[Any], origin: npt.NDArray[np.float64], ticker: Ticker, exact: bool
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """float32 ``xyz - origin`` computed in float64, and per axis whether that was exact."""
    local = np.empty((len(xyz), 3), dtype=np.float32)
    kept = np.ones(3, dtype=bool)
    for start in range(0, len(xyz), CHUNK):
        part = np.asarray(xyz[start:start + CHUNK], dtype=np.float64)
        out = local[start:start + CHUNK]
        np.subtract(part, origin, out=out, casting="same_kind")
        if exact:
            kept &= np.all(out.astype(np.float64) + origin == part, axis=0)
        ticker.advance(len(part))
    return local, kept


def build_cloud(
    name: str,
    xyz: npt.NDArray[Any],
    fields: Mapping[str, npt.NDArray[Any]],
    *,
    fmt: str,
    encoding: str,
    crs: str | None = None,
    organised: tuple[int, int] | None = None,
    warnings: tuple[str, ...] | list[str] = (),
    ticker: Ticker | None = None,
    origin: npt.NDArray[np.float64] | None = None,
    origin_hint: tuple[float, float, float] | None = None,
) -> PointCloud:
    """Check `xyz` (any ``(n, 3)`` numeric array), pick the local frame, drop bad points.

    Parameters
    ----------
    name : str
        The file, for messages.
    xyz : ndarray, shape (n, 3)
        World coordinates as decoded; may be a read-only strided view.
    fields : mapping
        Per-point arrays (first axis ``n``); kept as given unless points are dropped.
    ticker : Ticker, optional
        Progress for one pass over the points (more passes only check cancellation).
    origin : ndarray, optional
        Use this origin (the caller has already shifted `xyz`, which must be float32).
    origin_hint : tuple of 3 floats, optional
        The origin a file says it was written with; used when it lies within
        a kilometre of the points' centre (else the usual rule applies).

    Raises
    ------
    MediaError
        The coordinates span more than float32 can hold around any origin.
    Cancelled
        The progress callback asked to stop.
    """
    ticker = ticker or Ticker(name, None, len(xyz))
    notes = list(warnings)
    low, high, finite = _bounds(xyz, ticker)
    if not finite:
        keep = _finite_mask(xyz, ticker)
        dropped = int(len(keep) - np.count_nonzero(keep))
        notes.append(f"{dropped} of {len(keep)} points with NaN or infinite coordinates "
                     "were dropped")
        if organised is not None:
            notes.append(f"the organised {organised[0]} x {organised[1]} grid was not kept "
                         "because points were dropped")
            organised = None
        xyz = xyz[keep]
        fields = {key: value[keep] for key, value in fields.items()}
        low, high, _ = _bounds(xyz, None)
    if origin is not None:
        local = np.asarray(xyz, dtype=np.float32)
    else:
        hint = None if origin_hint is None else np.array(origin_hint, dtype=np.float64)
        if hint is not None and not np.all(np.abs(hint - (low + high) / 2)
                                           <= (high - low) / 2 + _HINT_SLACK):
            notes.append("the origin noted in the file is far from the points; not used")
            hint = None
        if len(xyz) and float(np.max(high - low)) / 2 > _FLOAT32_MAX:
            raise MediaError(f"{name}: the coordinates span {float(np.max(high - low)):.3g}, "
                             "more than float32 local coordinates can hold")
        origin, local = _local_frame(xyz, low, high, ticker, hint)
    if len(local) and xyz.dtype != np.float32 and float(np.max(high - low)) / 2 > _FINE_HALF_SPAN:
        notes.append(f"the cloud spans {float(np.max(high - low)):.0f} m: its float32 local "
                     "coordinates resolve less than a millimetre at the edges")
    ticker.finish()
    return PointCloud(origin, local, dict(fields), fmt, encoding, crs, organised, tuple(notes))


def _local_frame(
    xyz: npt.NDArray[Any],
    low: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    ticker: Ticker,
    hint: npt.NDArray[np.float64] | None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32]]:
    zero = np.zeros(3)
    if len(xyz) == 0:
        return zero, np.zeros((0, 3), dtype=np.float32)
    single = xyz.dtype == np.float32
    far = np.maximum(np.abs(low), np.abs(high)) > NEAR
    if hint is not None:
        origin = hint.copy()
    elif single:
        origin = np.where(far, np.rint((low + high) / 2), 0.0)
    else:
        origin = np.rint((low + high) / 2)
    origin[origin == 0] = 0.0  # no negative zero in the origin
    if single and not np.any(origin):
        return zero, xyz
    local, exact = _shift(xyz, origin, ticker, exact=single)
    if single and not exact.all():
        # float32 input that a shift would round on some axis: keep that axis as stored
        if not exact.any():
            return zero, xyz
        for axis in np.flatnonzero(~exact):
            origin[axis] = 0.0
            for start in range(0, len(xyz), CHUNK):
                local[start:start + CHUNK, axis] = xyz[start:start + CHUNK, axis]
            ticker.check()
    return origin, local


def unpack_rgb(packed: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8],
                                                       npt.NDArray[np.uint8]]:
    """Split ``(n, 4)`` bytes of PCL's packed colour into ``rgb (n, 3)`` and ``alpha (n,)``.

    PCL stores ``0xAARRGGBB`` as a little-endian uint32 (or the same bits in a
    float), so the bytes are b, g, r, a.

    >>> import numpy as np
    >>> rgb, alpha = unpack_rgb(np.array([[3, 2, 1, 255]], dtype=np.uint8))
    >>> rgb.tolist(), alpha.tolist()
    ([[1, 2, 3]], [255])
    """
    return np.ascontiguousarray(packed[:, 2::-1]), np.ascontiguousarray(packed[:, 3])


def pack_rgb(rgb: npt.NDArray[np.uint8], alpha: npt.NDArray[np.uint8] | None) -> npt.NDArray[
        np.uint32]:
    """The inverse of :func:`unpack_rgb`: ``0xAARRGGBB`` as uint32 (alpha 0 when absent)."""
    packed = np.zeros((len(rgb), 4), dtype=np.uint8)
    packed[:, 2::-1] = rgb
    if alpha is not None:
        packed[:, 3] = alpha
    return packed.view("<u4").reshape(len(rgb))


def colour_to_rgb(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.uint8], str | None]:
    """Three colour channels of any numeric type as ``(n, 3)`` uint8, and what was done.

    8-bit integers are kept; wider integers holding only 0..255 (LAS writers
    often store 8-bit colour in its 16-bit fields) are kept too, others are
    scaled by their top byte (16-bit) or clipped; floats in 0..1 are scaled
    by 255, other floats clipped to 0..255.
    """
    if values.dtype == np.uint8:
        return np.ascontiguousarray(values), None
    if len(values) == 0:
        return np.zeros((0, 3), dtype=np.uint8), None
    if values.dtype.kind in "iu":
        top = int(values.max())
        if top <= 255 and int(values.min()) >= 0:
            return values.astype(np.uint8), None
        if values.dtype.itemsize == 2 and int(values.min()) >= 0:
            return (values.astype(np.uint16) >> 8).astype(np.uint8), None
        return np.clip(values, 0, 255).astype(np.uint8), _CLIPPED
    floats = np.nan_to_num(values.astype(np.float64), nan=0.0)
    if float(floats.max()) <= 1.0 and float(floats.min()) >= 0.0:
        return np.rint(floats * 255).astype(np.uint8), None
    return np.rint(np.clip(floats, 0, 255)).astype(np.uint8), _CLIPPED
