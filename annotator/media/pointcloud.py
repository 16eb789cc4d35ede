"""The one structure every point-cloud reader returns: :class:`PointCloud`.

Survey tiles sit tens of kilometres from the origin of their plane-rectangular
system.  float32 there quantises to centimetres, so a cloud keeps a float64
``origin`` and float32 ``xyz`` *relative to it*: at 100 km a float32 local
offset of a few hundred metres still resolves well under a millimetre.

``xyz`` may be a read-only view into a memory-mapped file (binary PCD, KITTI
``.bin``); nothing here writes into it.  World coordinates are
``origin + xyz`` computed in float64 (:meth:`PointCloud.world`).

>>> import numpy as np
>>> cloud = PointCloud(np.array([40_000.0, -120_000.0, 30.0]),
...                    np.array([[0.0015, 0.0, 1.0]], dtype=np.float32),
...                    {"intensity": np.array([7], dtype=np.uint16)}, "pcd", "binary")
>>> cloud.world()[0].round(4).tolist()
[40000.0015, -120000.0, 31.0]
>>> len(cloud), cloud.field_names
(1, ['intensity'])
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from annotator.errors import Cancelled, MediaError

__all__ = ["POINTCLOUD_FORMATS", "Cancelled", "PointCloud", "Progress", "read_pointcloud"]

#: What :func:`read_pointcloud` reads, by suffix.
POINTCLOUD_FORMATS: Final = {".pcd": "pcd", ".ply": "ply", ".las": "las", ".laz": "las",
                             ".bin": "kitti_bin"}

#: ``progress(done, total)`` in points (or bytes where points are not known yet);
#: return False to cancel the read (it then raises :class:`Cancelled`).
Progress = Callable[[int, int], bool | None]




@dataclass(frozen=True, eq=False)
class PointCloud:
    """A point cloud: float64 ``origin`` + float32 local ``xyz`` + named per-point fields.

    ``fields`` maps a name (``intensity``, ``rgb`` as ``(n, 3)`` uint8,
    ``classification``, ``ring``, ``time`` ...) to an array whose first axis
    is the point.  ``organised`` is ``(width, height)`` for an organised PCD
    (HEIGHT > 1), else None.  ``format``/``encoding`` say what was read
    (``pcd``/``binary_compressed``, ``las``/``laz`` ...), ``warnings`` what
    the reader noticed but could live with (NaN points dropped, trailing
    bytes ...), one line each.
    """

    origin: npt.NDArray[np.float64]
    xyz: npt.NDArray[np.float32]
    fields: Mapping[str, npt.NDArray[Any]]
    format: str
    encoding: str
    crs: str | None = None
    organised: tuple[int, int] | None = None
    warnings: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.xyz.shape[0])

    @property
    def field_names(self) -> list[str]:
        return list(self.fields)

    def world(self, index: Any = slice(None)) -> npt.NDArray[np.float64]:
        """World coordinates (float64) of the points at ``index`` (all by default)."""
        out: npt.NDArray[np.float64] = self.xyz[index].astype(np.float64)
        out += self.origin
        return out

    def local_bounds(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Minimum and maximum local corner; NaN-free clouds only (readers ensure it)."""
        if len(self) == 0:
            zero = np.zeros(3, dtype=np.float32)
            return zero, zero
        # column by column: on an (n, 3) view of wider records, min(axis=0) is ~10x slower
        low = np.array([self.xyz[:, k].min() for k in range(3)], dtype=np.float32)
        high = np.array([self.xyz[:, k].max() for k in range(3)], dtype=np.float32)
        return low, high

    def bounds(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Minimum and maximum world corner."""
        low, high = self.local_bounds()
        return low.astype(np.float64) + self.origin, high.astype(np.float64) + self.origin


def read_pointcloud(path: str | os.PathLike[str], progress: Progress | None = None) -> PointCloud:
    """Read a point cloud: PCD, PLY, LAS/LAZ or KITTI velodyne ``.bin``.

    The format comes from the content where it has a signature (``ply``,
    ``LASF``, a PCD header) and from the suffix otherwise (``.bin``).

    Parameters
    ----------
    path : str or os.PathLike
    progress : callable, optional
        ``progress(done, total)``, called per chunk of points; return False to cancel.

    Returns
    -------
    PointCloud
        NaN-free; ``warnings`` lists what was dropped or ignored.

    Raises
    ------
    MediaError
        One line starting with the path: unreadable, unsupported, corrupt,
        inconsistent or truncated.
    Cancelled
        `progress` returned False.
    """
    name = os.fspath(path)
    kind = _sniff(name)
    if kind == "pcd":
        from annotator.media.pcd import read_pcd

        return read_pcd(name, progress)
    if kind == "ply":
        from annotator.media.ply import read_ply

        return read_ply(name, progress)
    from annotator.media.lidar import read_kitti_bin, read_las

    if kind == "las":
        return read_las(name, progress)
    return read_kitti_bin(name, progress)


def _sniff(name: str) -> str:
    suffix = os.path.splitext(name)[1].lower()
    try:
        with open(name, "rb") as fp:
            head = fp.read(256)
    except FileNotFoundError:
        raise MediaError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise MediaError(f"{name}: is a folder, not a file") from None
    except OSError as exc:
        raise MediaError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if suffix == ".bin":  # raw float32 records: any first bytes are possible
        return "kitti_bin"
    if head.startswith(b"LASF"):
        return "las"
    if head[:4] in (b"ply\n", b"ply\r"):
        return "ply"
    first = head.lstrip().split(None, 1)[0].upper() if head.strip() else b""
    if first.startswith(b"#") or first in (b"VERSION", b"FIELDS"):
        return "pcd"
    if suffix in POINTCLOUD_FORMATS:
        return POINTCLOUD_FORMATS[suffix]
    what = f"'{suffix}'" if suffix else "(no suffix)"
    raise MediaError(f"{name}: not a point cloud (unsupported file type {what} and no "
                     "PCD, PLY or LAS signature)")
