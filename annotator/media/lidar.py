"""Lidar tiles: LAS/LAZ through laspy (lazrs backend) and KITTI velodyne ``.bin``.

LAS stores scaled 32-bit integers (``world = X * scale + offset``).  They are
read chunk by chunk (``laspy.open(...).chunk_iterator``) and each chunk is
turned into float32 coordinates relative to a whole-metre ``origin`` at the
centre of the header's bounds, in float64 for that chunk only: no float64
array of the whole tile is ever built.  If the header's bounds turn out to
be wrong by enough to cost precision, the points are read a second time
around their true centre.

Fields: ``intensity``, ``classification``, ``return_number``, ``time`` (GPS
time), ``rgb`` (16-bit colour to 8-bit: kept as is when every value is at
most 255, as many writers store 8-bit colour, else the top byte).  The CRS
comes from the header's WKT or GeoTIFF records, as ``inspect`` reports it.

KITTI ``.bin`` files are float32 ``x y z intensity`` records, memory-mapped.
"""

from __future__ import annotations

import os
from typing import Any, Final, NoReturn

import laspy
import numpy as np
import numpy.typing as npt

from annotator.errors import MediaError
from annotator.media.pointcloud import Cancelled, PointCloud, Progress
from annotator.media.pointcloud_build import CHUNK, Ticker, build_cloud, colour_to_rgb
from annotator.media.pointcloud_header import read_kitti_header, read_las_header

__all__ = ["read_kitti_bin", "read_las"]

_FIELDS: Final = (("intensity", "intensity"), ("classification", "classification"),
                  ("return_number", "return_number"), ("gps_time", "time"))
_COLOUR: Final = ("red", "green", "blue")
_FINE: Final = 8192.0  # metres from the origin where float32 still resolves 1 mm


def _fail(name: str, what: str) -> NoReturn:
    raise MediaError(f"{name}: {what}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _size(name: str) -> int:
    try:
        return os.stat(name).st_size
    except FileNotFoundError:
        _fail(name, "no such file")
    except OSError as exc:
        _fail(name, f"cannot read ({exc.strerror or exc})")


def read_las(path: str | os.PathLike[str], progress: Progress | None = None) -> PointCloud:
    """Read a LAS or LAZ file (versions 1.2 to 1.4) as a :class:`PointCloud`.

    Raises
    ------
    MediaError
        The header is inconsistent, or the point data is short or corrupt.
    Cancelled
        `progress` returned False.
    """
    name = os.fspath(path)
    size = _size(name)
    with open(name, "rb") as fp:
        info = read_las_header(name, fp, size)  # checks the header before laspy trusts it
    assert info.bounds is not None
    low, high = np.array(info.bounds[0]), np.array(info.bounds[1])
    ticker = Ticker(name, progress, info.points)
    origin = _origin(low, high)
    xyz, fields, seen = _read_las_points(name, origin, ticker)
    notes: list[str] = []
    if len(xyz) and (np.any(seen[0] < low - 0.01) or np.any(seen[1] > high + 0.01)):
        notes.append("points lie outside the header's bounds")
        better = _origin(*seen)
        if np.max(np.maximum(np.abs(seen[0] - origin), np.abs(seen[1] - origin))) > _FINE \
                and np.any(better != origin):
            notes.append("the points were read again around their true centre")
            origin = better
            xyz, fields, seen = _read_las_points(name, origin, ticker)
    return build_cloud(name, xyz, fields, fmt=info.format, encoding=info.encoding,
                       crs=info.crs, warnings=notes, ticker=ticker, origin=origin)


def _origin(low: npt.NDArray[np.float64], high: npt.NDArray[np.float64]) -> npt.NDArray[
        np.float64]:
    origin = np.rint((low + high) / 2)
    origin[origin == 0] = 0.0
    return origin


def _read_las_points(
    name: str, origin: npt.NDArray[np.float64], ticker: Ticker
) -> tuple[npt.NDArray[np.float32], dict[str, npt.NDArray[Any]],
           tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]:
    """Local float32 coordinates, fields, and the true world bounds of every point."""
    try:
        with laspy.open(name, read_evlrs=False) as reader:
            header = reader.header
            n = int(header.point_count)
            dims = set(header.point_format.dimension_names)
            scale = np.asarray(header.scales, dtype=np.float64)
            offsets = np.asarray(header.offsets, dtype=np.float64)
            shift = offsets - origin
            xyz = np.empty((n, 3), dtype=np.float32)
            fields: dict[str, npt.NDArray[Any]] = {}
            low = np.full(3, np.iinfo(np.int64).max)
            high = np.full(3, np.iinfo(np.int64).min)
            colour = np.empty((n, 3), dtype=np.uint16) if set(_COLOUR) <= dims else None
            done = 0
            for chunk in reader.chunk_iterator(CHUNK):
                m = len(chunk)
                if done + m > n:
                    _fail(name, f"LAS holds more points than its header's {n}")
                for axis, dim in enumerate("XYZ"):
                    raw = np.asarray(chunk[dim])
                    low[axis] = min(low[axis], int(raw.min()))
                    high[axis] = max(high[axis], int(raw.max()))
                    with np.errstate(over="ignore"):  # lying header bounds: read again below
                        xyz[done:done + m, axis] = raw * scale[axis] + shift[axis]
                for dim, key in _FIELDS:
                    if dim in dims:
                        values = np.asarray(chunk[dim])
                        if key not in fields:
                            fields[key] = np.empty(n, dtype=values.dtype)
                        fields[key][done:done + m] = values
                if colour is not None:
                    for axis, dim in enumerate(_COLOUR):
                        colour[done:done + m, axis] = np.asarray(chunk[dim])
                done += m
                ticker.advance(m)
    except (MediaError, Cancelled):
        raise
    except Exception as exc:  # laspy/lazrs raise many types on corrupt data
        _fail(name, f"corrupt LAS/LAZ point data ({_one_line(exc)})")
    if done != n:
        _fail(name, f"truncated LAS/LAZ ({n} points in the header, {done} read)")
    if colour is not None:
        fields["rgb"] = colour_to_rgb(colour)[0]
    world_low = low * scale + offsets if n else np.zeros(3)
    world_high = high * scale + offsets if n else np.zeros(3)
    return xyz, fields, (world_low, world_high)


def read_kitti_bin(path: str | os.PathLike[str],
                   progress: Progress | None = None) -> PointCloud:
    """Read a KITTI velodyne scan: float32 ``x y z intensity`` records, memory-mapped.

    Raises
    ------
    MediaError
        The size is not a positive multiple of 16 bytes.
    Cancelled
        `progress` returned False.
    """
    name = os.fspath(path)
    info = read_kitti_header(name, _size(name))
    records = np.memmap(name, dtype="<f4", mode="r", shape=(info.points, 4))
    ticker = Ticker(name, progress, info.points)
    return build_cloud(name, records[:, :3], {"intensity": records[:, 3]}, fmt="kitti_bin",
                       encoding=info.encoding, ticker=ticker)
