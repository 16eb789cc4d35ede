"""Header-only facts about a media file: what it is, how big, which fields.

:func:`probe` is fast enough to register 100,000 files at thousands per
second: it reads image headers with Pillow (never decoding pixels), parses
point-cloud headers itself (laspy for LAS/LAZ), and checks sizes the header
promises against the file size.  Every failure is a
:class:`~annotator.errors.MediaError` whose one-line message starts with the
path.

Large images
------------
``PIL.Image.open`` refuses images over ``2 * Image.MAX_IMAGE_PIXELS`` (about
179 megapixels) and warns above ``MAX_IMAGE_PIXELS``.  We must accept
40,000 x 40,000 tiles, but changing that global, even temporarily, is not
thread-safe.  So we never call ``Image.open``: the format is sniffed from the
magic bytes and the matching Pillow plugin class (``PngImageFile`` ...) is
constructed directly.  The size check lives only in ``Image.open``, so no
limit applies here and no global state is touched; whoever decodes the
pixels later decides on their own limit.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO, Final, NoReturn

from PIL import (
    BmpImagePlugin,
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from annotator.errors import MediaError
from annotator.media.pointcloud_header import (
    Bounds,
    PointCloudHeader,
    read_kitti_header,
    read_las_header,
    read_pcd_header,
    read_ply_header,
)

__all__ = [
    "IMAGE_SUFFIXES",
    "POINTCLOUD_SUFFIXES",
    "Bounds",
    "MediaInfo",
    "media_kind",
    "pointcloud_header",
    "probe",
    "sha256_file",
]

IMAGE_SUFFIXES: Final = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"})
POINTCLOUD_SUFFIXES: Final = frozenset({".pcd", ".ply", ".las", ".laz", ".bin"})

_TAIL: Final = 1024
_CHUNK: Final = 1 << 20
_ORIENTATION_TAG: Final = 0x0112
_IMAGE_CLASSES: Final[dict[str, type[ImageFile.ImageFile]]] = {
    "jpeg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "tiff": TiffImagePlugin.TiffImageFile,
    "bmp": BmpImagePlugin.BmpImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
}
_MODE_BITS: Final = {
    "1": 1, "L": 8, "P": 8, "LA": 8, "La": 8, "PA": 8, "RGB": 8, "RGBA": 8, "RGBa": 8,
    "RGBX": 8, "CMYK": 8, "YCbCr": 8, "LAB": 8, "HSV": 8, "I": 32, "F": 32,
    "I;16": 16, "I;16L": 16, "I;16B": 16, "I;16N": 16,
}
# Phones append a video after the JPEG's end-of-image marker (Google motion
# photos, Samsung "SEFT" trailers): the marker is then not near the end.
_APPENDED_VIDEO_MARKERS: Final = (b"MicroVideo", b"MotionPhoto")


def media_kind(path: str | os.PathLike[str]) -> str | None:
    """Say what a path holds judging by its suffix (case-insensitive).

    Returns
    -------
    str or None
        ``"image"``, ``"pointcloud"``, or None for any other suffix.
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in POINTCLOUD_SUFFIXES:
        return "pointcloud"
    return None


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What a media file's header says.

    Attributes
    ----------
    path : str
        The path as given to :func:`probe`.
    kind : str
        ``"image"`` or ``"pointcloud"``.
    format : str
        ``"jpeg" "png" "tiff" "bmp" "webp"`` (from the content) or
        ``"pcd" "ply" "las" "laz" "kitti_bin"``.
    encoding : str
        Images: the Pillow mode (``"RGB"``, ``"I;16"``...).  PCD: ``DATA``; PLY:
        the format line; LAS/LAZ: ``"LAS 1.2 point format 3"``; KITTI:
        ``"float32 x y z intensity"``.
    width, height : int or None
        Images: pixels after EXIF rotation (orientations 5 to 8 swap them).
        PCD: ``WIDTH`` and ``HEIGHT``.  Otherwise None.
    points : int or None
        Point clouds: number of points.
    fields : tuple of str
        Per-point attribute names; ``()`` for images.
    bounds : Bounds or None
        ``((min_x, min_y, min_z), (max_x, max_y, max_z))`` where the header carries it (LAS/LAZ).
    exif_orientation : int or None
        Images: EXIF orientation 1..8 when present and valid.
    pages : int
        TIFF pages or WebP frames; 1 otherwise.
    crs : str or None
        Point clouds: the coordinate reference system the file declares
        (LAS/LAZ VLRs), ``"EPSG:n"`` when it has a code.
    bit_depth : int or None
        Images: bits per sample (PNG from IHDR, TIFF from BitsPerSample,
        otherwise from the mode).
    """

    path: str
    kind: str
    format: str
    encoding: str
    width: int | None
    height: int | None
    points: int | None
    fields: tuple[str, ...]
    bounds: Bounds | None
    exif_orientation: int | None
    pages: int = 1
    bit_depth: int | None = None
    crs: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the stable ``inspect --json`` mapping (plain JSON types)."""
        bounds = None
        if self.bounds is not None:
            bounds = {"min": list(self.bounds[0]), "max": list(self.bounds[1])}
        return {
            "kind": self.kind,
            "format": self.format,
            "encoding": self.encoding,
            "width": self.width,
            "height": self.height,
            "points": self.points,
            "fields": list(self.fields),
            "bounds": bounds,
            "exif_orientation": self.exif_orientation,
            "pages": self.pages,
            "bit_depth": self.bit_depth,
            "crs": self.crs,
            "path": self.path,
        }


def _fail(name: str, what: str) -> NoReturn:
    raise MediaError(f"{name}: {what}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _os_problem(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(exc, NotADirectoryError):
        return "no such file (a parent is not a folder)"
    return f"cannot read ({exc.strerror or _one_line(exc)})"


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe a media file from its header, without decoding it.

    Parameters
    ----------
    path : str or os.PathLike
        An image (.jpg .jpeg .png .tif .tiff .bmp .webp) or a point cloud
        (.pcd .ply .las .laz .bin), chosen by suffix.

    Returns
    -------
    MediaInfo

    Raises
    ------
    MediaError
        ``"<path>: <what is wrong>"`` on one line: missing, unreadable, empty,
        unsupported, corrupt, inconsistent or truncated.
    """
    name, kind, size = _regular_file(path)
    if kind == "pointcloud":
        return _cloud_info(name, _read_cloud_header(name, size))
    try:
        with open(name, "rb") as fp:
            return _probe_image(name, fp, size)
    except OSError as exc:
        _fail(name, _os_problem(exc))


def pointcloud_header(path: str | os.PathLike[str]) -> PointCloudHeader:
    """The full header facts of a point-cloud file (field types and header warnings too).

    Raises
    ------
    MediaError
        As :func:`probe`; also when the suffix is not a point-cloud suffix.
    """
    name, kind, size = _regular_file(path)
    if kind != "pointcloud":
        _fail(name, "not a point cloud (suffix is not .pcd .ply .las .laz or .bin)")
    return _read_cloud_header(name, size)


def _regular_file(path: str | os.PathLike[str]) -> tuple[str, str, int]:
    """Check that `path` is a non-empty regular file of a known kind: (name, kind, size)."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except OSError as exc:
        _fail(name, _os_problem(exc))
    except ValueError:
        _fail(name, "invalid path")
    if stat.S_ISDIR(st.st_mode):
        _fail(name, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        _fail(name, "not a regular file")
    suffix = os.path.splitext(name)[1].lower()
    kind = media_kind(name)
    if kind is None:
        _fail(name, f"unsupported file type '{suffix}'" if suffix else
              "unsupported file type (no suffix)")
    if st.st_size == 0:
        _fail(name, "empty file")
    return name, kind, st.st_size


def _read_cloud_header(name: str, size: int) -> PointCloudHeader:
    suffix = os.path.splitext(name)[1].lower()
    try:
        with open(name, "rb") as fp:
            if suffix == ".pcd":
                return read_pcd_header(name, fp, size)
            if suffix == ".ply":
                return read_ply_header(name, fp, size)
            if suffix in (".las", ".laz"):
                return read_las_header(name, fp, size)
            return read_kitti_header(name, size)
    except OSError as exc:
        _fail(name, _os_problem(exc))


def _cloud_info(name: str, header: PointCloudHeader) -> MediaInfo:
    return MediaInfo(
        path=name,
        kind="pointcloud",
        format=header.format,
        encoding=header.encoding,
        width=header.width,
        height=header.height,
        points=header.points,
        fields=header.fields,
        bounds=header.bounds,
        exif_orientation=None,
        crs=header.crs,
    )


def _sniff_image(head: bytes) -> str | None:
    """Name the image format from the first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


def _check_image_size(name: str, fp: BinaryIO, size: int, fmt: str, head: bytes) -> None:
    """Cheap truncation checks that need no decoding (JPEG, PNG, WebP)."""
    if fmt not in ("jpeg", "png", "webp"):
        return
    if fmt == "webp":
        riff = struct.unpack("<I", head[4:8])[0]
        if 8 + riff > size:
            _fail(name, f"truncated WebP (RIFF says {8 + riff} bytes, {size} present)")
        return
    fp.seek(max(0, size - _TAIL))
    tail = fp.read(_TAIL)
    if fmt == "png" and b"IEND" not in tail:
        _fail(name, "truncated PNG (no IEND chunk at the end)")
    if fmt == "jpeg" and b"\xff\xd9" not in tail and not tail.endswith(b"SEFT"):
        fp.seek(0)
        start = fp.read(64 * 1024)
        if not any(marker in start for marker in _APPENDED_VIDEO_MARKERS):
            _fail(name, "truncated JPEG (no end-of-image marker)")


def _orientation(img: ImageFile.ImageFile) -> int | None:
    # Image.Image.getexif reads only what the header parse kept; PngImageFile's
    # override would decode the whole image to look for an eXIf chunk after IDAT.
    try:
        value = Image.Image.getexif(img).get(_ORIENTATION_TAG)
    except Exception:  # corrupt EXIF raises many types; treat as absent
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _bit_depth(img: ImageFile.ImageFile, fmt: str, head: bytes) -> int | None:
    if fmt == "png" and head[12:16] == b"IHDR":
        return head[24]
    if isinstance(img, TiffImagePlugin.TiffImageFile):
        bits = img.tag_v2.get(258)
        if isinstance(bits, tuple) and bits and all(isinstance(b, int) for b in bits):
            return int(max(bits))
        if isinstance(bits, int):
            return int(bits)
    return _MODE_BITS.get(img.mode)


def _stored_size(img: ImageFile.ImageFile) -> tuple[int, int]:
    """Width and height as stored, before any EXIF rotation.

    Recent Pillow reports a TIFF's size already rotated by its Orientation tag
    (and rotates on load); other plugins report the stored size.  Reading the
    TIFF tags keeps :func:`probe` independent of the Pillow version.
    """
    if isinstance(img, TiffImagePlugin.TiffImageFile):
        width, height = img.tag_v2.get(256), img.tag_v2.get(257)
        if isinstance(width, int) and isinstance(height, int):
            return width, height
    return img.size


def _probe_image(name: str, fp: BinaryIO, size: int) -> MediaInfo:
    head = fp.read(32)
    fmt = _sniff_image(head)
    if fmt is None:
        _fail(name, "not a supported image (content is not JPEG, PNG, TIFF, BMP or WebP)")
    _check_image_size(name, fp, size, fmt, head)
    fp.seek(0)
    try:
        # The plugin class directly: no decompression-bomb limit (see module docstring).
        img = _IMAGE_CLASSES[fmt](fp, name)
        width, height = _stored_size(img)
        mode = img.mode
        pages = int(getattr(img, "n_frames", 1)) if fmt in ("tiff", "webp") else 1
        bit_depth = _bit_depth(img, fmt, head)
    except Exception as exc:  # Pillow raises many types on corrupt input
        _fail(name, f"not a readable {fmt.upper()} image ({_one_line(exc)})")
    orientation = _orientation(img)
    if orientation is not None and orientation >= 5:
        width, height = height, width
    return MediaInfo(
        path=name,
        kind="image",
        format=fmt,
        encoding=mode,
        width=width,
        height=height,
        points=None,
        fields=(),
        bounds=None,
        exif_orientation=orientation,
        pages=max(1, pages),
        bit_depth=bit_depth,
    )


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB chunks.

    Raises
    ------
    MediaError
        The file cannot be read.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fp:
            # file_digest reads into one reused buffer, without the GIL.
            digest = hashlib.file_digest(fp, "sha256")
    except OSError as exc:
        _fail(name, _os_problem(exc))
    except ValueError:
        _fail(name, "invalid path")
    return digest.hexdigest()
