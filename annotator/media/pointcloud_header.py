"""Header-only readers for point-cloud files: PCD, PLY, LAS/LAZ and KITTI ``.bin``.

Each reader looks at the header (at most the first 64 KiB for PCD and PLY,
laspy's header reader for LAS/LAZ) and at the file size, never at the points
themselves.  Sizes that the header promises are checked against the file size
with plain integer arithmetic, so a hostile header (``POINTS 10**30``) costs
nothing and ends in a :class:`~annotator.errors.MediaError`.

:func:`read_pcd_header` and friends are used by :func:`annotator.media.probe.probe`;
call that instead.  The point readers (:mod:`annotator.media.pcd`,
:mod:`annotator.media.ply`) start from the full layouts, :func:`parse_pcd_header`
and :func:`parse_ply_header`, so there is one parser per format.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO, Final, NoReturn

import laspy

from annotator.errors import MediaError

__all__ = [
    "HEADER_LIMIT",
    "MAX_POINTS",
    "ORIGIN_COMMENT",
    "PLY_TYPE_SIZES",
    "Bounds",
    "PcdLayout",
    "PlyElement",
    "PlyLayout",
    "PlyProperty",
    "PointCloudHeader",
    "las_field_types",
    "parse_pcd_header",
    "parse_ply_header",
    "read_kitti_header",
    "read_las_header",
    "read_pcd_header",
    "read_ply_header",
]

Bounds = tuple[tuple[float, float, float], tuple[float, float, float]]

HEADER_LIMIT: Final = 64 * 1024
"""Most bytes read while looking for the end of a PCD or PLY text header."""

MAX_POINTS: Final = 1 << 40
"""Largest point or element count a header may claim (about 10**12)."""

_PCD_KEYS: Final = frozenset(
    {"VERSION", "FIELDS", "SIZE", "TYPE", "COUNT", "WIDTH", "HEIGHT", "VIEWPOINT", "POINTS", "DATA"}
)
_PCD_REQUIRED: Final = ("FIELDS", "SIZE", "TYPE", "WIDTH", "HEIGHT", "POINTS", "DATA")
_PCD_DATA: Final = frozenset({"ascii", "binary", "binary_compressed"})
_PCD_TYPE_SIZES: Final = {"I": frozenset({1, 2, 4, 8}), "U": frozenset({1, 2, 4, 8}),
                          "F": frozenset({4, 8})}
ORIGIN_COMMENT: Final = "# annotator origin"
"""Start of the PCD comment line in which :func:`annotator.media.pcd.write_pcd` notes the origin."""

_MAX_COUNT: Final = 1 << 20
_LZF_MAX_RATIO: Final = 90

_PLY_FLOATS: Final = frozenset({"float", "float32", "double", "float64"})
_PLY_NUMPY: Final = {
    "char": "int8", "uchar": "uint8", "int8": "int8", "uint8": "uint8",
    "short": "int16", "ushort": "uint16", "int16": "int16", "uint16": "uint16",
    "int": "int32", "uint": "uint32", "int32": "int32", "uint32": "uint32",
    "float": "float32", "float32": "float32", "double": "float64", "float64": "float64",
}
PLY_TYPE_SIZES: Final = {
    "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
    "float32": 4, "float64": 8,
}
"""Bytes of each PLY property type, by numpy name."""
_PLY_KEYS: Final = frozenset(
    {"PLY", "FORMAT", "COMMENT", "OBJ_INFO", "ELEMENT", "PROPERTY", "END_HEADER"}
)
_PLY_ENCODINGS: Final = frozenset({"ascii", "binary_little_endian", "binary_big_endian"})

_LAS_MIN_HEADER: Final = 227  # LAS 1.0-1.2 public header; later versions extend it
_LAS_VLR_HEADER: Final = 54
_LAS_MAX_VLR_AREA: Final = 64 * 1024 * 1024

KITTI_FIELDS: Final = ("x", "y", "z", "intensity")
_KITTI_RECORD: Final = 16


@dataclass(frozen=True, slots=True)
class PointCloudHeader:
    """What a point-cloud header says.

    Attributes
    ----------
    format : str
        ``"pcd"``, ``"ply"``, ``"las"``, ``"laz"`` or ``"kitti_bin"``.
    encoding : str
        How the points are stored (``"binary_compressed"``, ``"LAS 1.2 point format 3"``...).
    points : int
        Number of points.
    fields : tuple of str
        Per-point attribute names, in file order.
    width, height : int or None
        PCD ``WIDTH`` and ``HEIGHT``; None for other formats.
    bounds : Bounds or None
        ``((min_x, min_y, min_z), (max_x, max_y, max_z))`` where the header carries it.
    crs : str or None
        The coordinate reference system a LAS/LAZ file declares in its VLRs,
        as ``"EPSG:n"`` when it has an EPSG code, else its WKT.
    field_types : tuple of str
        The stored type of each field, as a numpy name (``"float32"``,
        ``"uint8[3]"`` for a field of 3 values, ``"uint8:3bit"`` for a LAS bit field).
    warnings : tuple of str
        What the header reader noticed but could live with, one line each.
    """

    format: str
    encoding: str
    points: int
    fields: tuple[str, ...]
    width: int | None = None
    height: int | None = None
    bounds: Bounds | None = None
    crs: str | None = None
    field_types: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _fail(name: str, what: str) -> NoReturn:
    raise MediaError(f"{name}: {what}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _count(name: str, where: str, token: str, *, limit: int = MAX_POINTS) -> int:
    """Parse a non-negative decimal count no larger than `limit`."""
    if not (token.isascii() and token.isdigit()):
        _fail(name, f"{where} is not a non-negative whole number: {token[:40]!r}")
    if len(token) > 20 or int(token) > limit:
        _fail(name, f"{where} is implausibly large: {token[:40]}")
    return int(token)


def _header_lines(
    name: str, head: bytes, whole: bool, last: str, known: frozenset[str]
) -> tuple[list[list[str]], int]:
    """Split a text header into token lists up to (and including) the line starting `last`.

    Every line must start with a key in `known` (compared in upper case), so
    content of another kind fails at its first line.  Returns the non-empty,
    non-comment lines and the byte offset just after `last`'s line.
    """
    kind = "PCD" if last == "DATA" else "PLY"
    lines: list[list[str]] = []
    pos = 0
    while True:
        nl = head.find(b"\n", pos)
        if nl < 0 and not whole:
            _fail(name, f"no '{last}' line in the first {HEADER_LIMIT // 1024} KiB")
        end = len(head) if nl < 0 else nl + 1
        tokens = head[pos:end].decode("latin-1").split()
        if tokens and not tokens[0].startswith("#"):
            if tokens[0].upper() not in known:
                if lines:
                    _fail(name, f"{kind} header: unexpected line {tokens[0][:40]!r} "
                                f"(no '{last}' line before it)")
                _fail(name, f"not a {kind} header: unexpected line {tokens[0][:40]!r}")
            lines.append(tokens)
            if tokens[0].lower() == last.lower():
                return lines, end
        if nl < 0:
            _fail(name, f"header has no '{last}' line")
        pos = end


@dataclass(frozen=True, slots=True)
class PcdLayout:
    """Everything a PCD header says, checked against the file size.

    ``types`` are upper case (``I``, ``U``, ``F``); ``data_offset`` is the byte
    where the points (or, for ``binary_compressed``, the two block sizes)
    start; ``compressed_size`` is the LZF block's size for ``binary_compressed``.
    """

    version: str | None
    fields: tuple[str, ...]
    sizes: tuple[int, ...]
    types: tuple[str, ...]
    counts: tuple[int, ...]
    width: int
    height: int
    points: int
    data: str
    data_offset: int
    file_size: int
    viewpoint: tuple[float, ...] | None = None
    compressed_size: int | None = None
    warnings: tuple[str, ...] = ()
    origin: tuple[float, float, float] | None = None

    @property
    def point_size(self) -> int:
        """Bytes of one point record in ``binary`` data."""
        return sum(s * c for s, c in zip(self.sizes, self.counts, strict=True))

    @property
    def offsets(self) -> tuple[int, ...]:
        """Byte offset of each field inside a ``binary`` point record."""
        out, at = [], 0
        for size, count in zip(self.sizes, self.counts, strict=True):
            out.append(at)
            at += size * count
        return tuple(out)

    def field_type(self, index: int) -> str:
        """The numpy name of field `index`'s type, ``[count]`` appended when COUNT > 1."""
        kind = {"I": "int", "U": "uint", "F": "float"}[self.types[index]]
        name = f"{kind}{self.sizes[index] * 8}"
        return name if self.counts[index] == 1 else f"{name}[{self.counts[index]}]"


def read_pcd_header(name: str, fp: BinaryIO, size: int) -> PointCloudHeader:
    """Read and check a PCD header; `fp` is at offset 0 and the file has `size` bytes.

    Padding fields (named ``_``) are left out of ``fields``.

    Raises
    ------
    MediaError
        The header is malformed or inconsistent, or the file is too short for it.
    """
    layout = parse_pcd_header(name, fp, size)
    keep = [i for i, f in enumerate(layout.fields) if f != "_"]
    return PointCloudHeader(
        "pcd", layout.data, layout.points, tuple(layout.fields[i] for i in keep),
        layout.width, layout.height,
        field_types=tuple(layout.field_type(i) for i in keep), warnings=layout.warnings,
    )


def parse_pcd_header(name: str, fp: BinaryIO, size: int) -> PcdLayout:
    """Parse and check a PCD header into a :class:`PcdLayout`.

    Required keys: FIELDS, SIZE, TYPE, WIDTH, HEIGHT, POINTS, DATA; COUNT
    defaults to 1 per field; VERSION and VIEWPOINT are optional.  `fp` is at
    offset 0 and the file has `size` bytes.

    Raises
    ------
    MediaError
        The header is malformed or inconsistent, or the file is too short for it.
    """
    head = fp.read(HEADER_LIMIT)
    lines, header_len = _header_lines(name, head, len(head) >= size, "DATA", _PCD_KEYS)
    values: dict[str, list[str]] = {}
    for key, *rest in lines:
        ukey = key.upper()  # _header_lines has checked it is a PCD key
        if ukey in values:
            _fail(name, f"PCD header repeats {ukey}")
        values[ukey] = rest
    for key in _PCD_REQUIRED:
        if key not in values:
            _fail(name, f"PCD header has no {key} line")
    fields = tuple(values["FIELDS"])
    n = len(fields)
    if n == 0:
        _fail(name, "PCD header lists no FIELDS")
    counts = values.get("COUNT", ["1"] * n)
    for key, row in (("SIZE", values["SIZE"]), ("TYPE", values["TYPE"]), ("COUNT", counts)):
        if len(row) != n:
            _fail(name, f"PCD {key} has {len(row)} entries for {n} FIELDS")
    sizes = tuple(_count(name, "PCD SIZE", t, limit=8) for t in values["SIZE"])
    types = tuple(t.upper() for t in values["TYPE"])
    for field, typ, sz in zip(fields, types, sizes, strict=True):
        allowed = _PCD_TYPE_SIZES.get(typ)
        if allowed is None or sz not in allowed:
            _fail(name, f"PCD field {field[:40]!r} has an invalid TYPE/SIZE {typ[:8]}{sz}")
    count_values = tuple(_count(name, "PCD COUNT", t, limit=_MAX_COUNT) for t in counts)
    if 0 in count_values:
        _fail(name, "PCD COUNT must be at least 1")
    named = [f for f in fields if f != "_"]
    if len(set(named)) != len(named):
        twice = next(f for f in named if named.count(f) > 1)
        _fail(name, f"PCD FIELDS names {twice[:40]!r} twice")
    scalars: dict[str, str] = {}
    for key in ("WIDTH", "HEIGHT", "POINTS", "DATA"):
        if len(values[key]) != 1:
            _fail(name, f"PCD {key} needs exactly one value")
        scalars[key] = values[key][0]
    width = _count(name, "PCD WIDTH", scalars["WIDTH"])
    height = _count(name, "PCD HEIGHT", scalars["HEIGHT"])
    points = _count(name, "PCD POINTS", scalars["POINTS"])
    if width * height != points:
        _fail(name, f"PCD WIDTH x HEIGHT ({width} x {height}) is not POINTS ({points})")
    viewpoint = None
    if "VIEWPOINT" in values:
        viewpoint = _check_viewpoint(name, values["VIEWPOINT"])
    version = values["VERSION"][0] if values.get("VERSION") else None
    data = scalars["DATA"].lower()
    if data not in _PCD_DATA:
        _fail(name, f"PCD DATA must be ascii, binary or binary_compressed, not {data[:40]!r}")
    point_size = sum(s * c for s, c in zip(sizes, count_values, strict=True))
    body = size - header_len
    warnings: list[str] = []
    compressed = None
    if data == "binary":
        if body < points * point_size:
            _fail(name, f"truncated binary PCD ({points} points of {point_size} bytes need "
                        f"{points * point_size} bytes, {body} present)")
        if body > points * point_size:
            warnings.append(f"{body - points * point_size} bytes after the last point "
                            "were ignored")
    elif data == "binary_compressed":
        compressed = _check_compressed(name, fp, head, header_len, size, points * point_size)
        extra = body - 8 - compressed
        if extra:
            warnings.append(f"{extra} bytes after the compressed block were ignored")
    elif data == "ascii" and points and body < points * sum(count_values) * 2 - 1:
        _fail(name, f"truncated ascii PCD ({points} points cannot fit in {body} bytes)")
    return PcdLayout(version, fields, sizes, types, count_values, width, height, points, data,
                     header_len, size, viewpoint, compressed, tuple(warnings),
                     _origin_comment(head[:header_len]))


def _origin_comment(header: bytes) -> tuple[float, float, float] | None:
    """The origin our writer notes in a comment line (any other reader skips it)."""
    for line in header.split(b"\n"):
        if line.startswith(ORIGIN_COMMENT.encode()):
            try:
                x, y, z = (float(t) for t in line[len(ORIGIN_COMMENT):].split())
            except ValueError:
                return None
            if all(math.isfinite(v) for v in (x, y, z)):
                return x, y, z
    return None


def _check_viewpoint(name: str, tokens: list[str]) -> tuple[float, ...]:
    if len(tokens) != 7:
        _fail(name, f"PCD VIEWPOINT needs 7 numbers, not {len(tokens)}")
    try:
        numbers = tuple(float(t) for t in tokens)
    except ValueError:
        _fail(name, "PCD VIEWPOINT is not numeric")
    if not all(math.isfinite(v) for v in numbers):
        _fail(name, "PCD VIEWPOINT is not finite")
    return numbers


def _check_compressed(
    name: str, fp: BinaryIO, head: bytes, header_len: int, size: int, expected: int
) -> int:
    """Check the two block sizes of a ``binary_compressed`` PCD; return the compressed size."""
    if header_len + 8 <= len(head):
        sizes = head[header_len:header_len + 8]
    else:
        fp.seek(header_len)
        sizes = fp.read(8)
    if len(sizes) < 8:
        _fail(name, "truncated binary_compressed PCD (no compressed block sizes)")
    compressed, uncompressed = struct.unpack("<II", sizes)
    if uncompressed != expected:
        _fail(name, f"binary_compressed PCD unpacks to {uncompressed} bytes, "
                    f"the header needs {expected}")
    if expected and compressed == 0:
        _fail(name, "binary_compressed PCD has an empty compressed block")
    if header_len + 8 + compressed > size:
        _fail(name, f"truncated binary_compressed PCD (block of {compressed} bytes, "
                    f"{size - header_len - 8} present)")
    if uncompressed > _LZF_MAX_RATIO * compressed + 64:
        # LZF expands at most ~88x (a 3-byte reference yields 264 bytes): a
        # larger claim is a lie that would make us allocate for nothing.
        _fail(name, f"binary_compressed PCD claims {uncompressed} bytes from a block of "
                    f"{compressed}, more than LZF can expand")
    return int(compressed)


@dataclass(frozen=True, slots=True)
class PlyProperty:
    """One ``property`` line: a scalar (``list_count`` None) or a list property."""

    name: str
    type: str
    list_count: str | None = None


@dataclass(frozen=True, slots=True)
class PlyElement:
    """One ``element`` with its count and properties, in file order."""

    name: str
    count: int
    properties: tuple[PlyProperty, ...]

    @property
    def fixed_size(self) -> int | None:
        """Bytes of one binary item, or None when it has a list property."""
        if any(p.list_count is not None for p in self.properties):
            return None
        return sum(PLY_TYPE_SIZES[p.type] for p in self.properties)


@dataclass(frozen=True, slots=True)
class PlyLayout:
    """Everything a PLY header says; ``data_offset`` is where the first element starts."""

    encoding: str
    elements: tuple[PlyElement, ...]
    data_offset: int
    file_size: int

    @property
    def vertex_index(self) -> int:
        return next(i for i, e in enumerate(self.elements) if e.name == "vertex")


def read_ply_header(name: str, fp: BinaryIO, size: int) -> PointCloudHeader:
    """Read and check a PLY header; `fp` is at offset 0 and the file has `size` bytes.

    Raises
    ------
    MediaError
        The header is malformed, has no ``vertex`` element, or the file is too short.
    """
    layout = parse_ply_header(name, fp, size)
    vertex = layout.elements[layout.vertex_index]
    types = tuple(p.type if p.list_count is None else f"list<{p.list_count},{p.type}>"
                  for p in vertex.properties)
    return PointCloudHeader("ply", layout.encoding, vertex.count,
                            tuple(p.name for p in vertex.properties), field_types=types)


def parse_ply_header(name: str, fp: BinaryIO, size: int) -> PlyLayout:
    """Parse and check a PLY header into a :class:`PlyLayout` (types as numpy names).

    Raises
    ------
    MediaError
        The header is malformed, has no ``vertex`` element, or the file is too short.
    """
    head = fp.read(HEADER_LIMIT)
    if head.split(b"\n", 1)[0].strip() != b"ply":
        _fail(name, "not a PLY file (does not start with 'ply')")
    lines, header_len = _header_lines(
        name, head, len(head) >= size, "end_header", _PLY_KEYS
    )
    encoding = ""
    elements: list[tuple[str, int, list[PlyProperty]]] = []
    for tokens in lines[1:-1]:
        key = tokens[0]
        if key in ("comment", "obj_info"):
            continue
        if key == "format":
            if len(tokens) != 3 or tokens[1] not in _PLY_ENCODINGS or encoding:
                _fail(name, f"bad PLY format line {' '.join(tokens)[:60]!r}")
            encoding = tokens[1]
        elif key == "element":
            if len(tokens) != 3:
                _fail(name, f"bad PLY element line {' '.join(tokens)[:60]!r}")
            count = _count(name, f"PLY element {tokens[1][:40]!r} count", tokens[2])
            elements.append((tokens[1], count, []))
        elif key == "property":
            if not elements:
                _fail(name, "PLY property before any element")
            elements[-1][2].append(_ply_property(name, tokens))
        else:
            _fail(name, f"not a PLY header: unexpected line {key[:40]!r}")
    if not encoding:
        _fail(name, "PLY header has no format line")
    layout = PlyLayout(encoding, tuple(PlyElement(n, c, tuple(p)) for n, c, p in elements),
                       header_len, size)
    if not any(e.name == "vertex" for e in layout.elements):
        _fail(name, "PLY file has no vertex element")
    body = size - header_len
    if encoding == "ascii":
        need = sum(e.count * len(e.properties) * 2 for e in layout.elements)
        if need and body < need - 1:
            _fail(name, f"truncated ascii PLY (the elements cannot fit in {body} bytes)")
    else:
        need = 0
        for element in layout.elements:
            item = element.fixed_size
            if item is None:
                break
            need += element.count * item
        if body < need:
            _fail(name, f"truncated binary PLY ({need} bytes of fixed-size elements "
                        f"expected, {body} present)")
    return layout


def _ply_property(name: str, tokens: list[str]) -> PlyProperty:
    """Check one ``property`` line; types become numpy names (``uchar`` -> ``uint8``)."""
    if len(tokens) == 3 and tokens[1] in _PLY_NUMPY:
        return PlyProperty(tokens[2], _PLY_NUMPY[tokens[1]])
    if (len(tokens) == 5 and tokens[1] == "list" and tokens[2] in _PLY_NUMPY
            and tokens[2] not in _PLY_FLOATS and tokens[3] in _PLY_NUMPY):
        return PlyProperty(tokens[4], _PLY_NUMPY[tokens[3]], _PLY_NUMPY[tokens[2]])
    _fail(name, f"bad PLY property line {' '.join(tokens)[:60]!r}")


def _check_las_layout(name: str, fp: BinaryIO, size: int) -> None:
    """Check the public-header fields that steer laspy's reads before laspy sees them.

    laspy trusts ``number_of_vlrs`` and ``offset_to_point_data``: a hostile
    value makes it loop billions of times or allocate gigabytes.
    """
    head = fp.read(_LAS_MIN_HEADER)
    fp.seek(0)
    if head[:4] != b"LASF":
        _fail(name, "not a LAS/LAZ file (no LASF signature)")
    if len(head) < _LAS_MIN_HEADER:
        _fail(name, f"truncated LAS header ({len(head)} bytes)")
    header_size, offset, vlrs = struct.unpack_from("<HII", head, 94)
    if header_size < _LAS_MIN_HEADER or offset < header_size:
        _fail(name, f"inconsistent LAS header (header size {header_size}, "
                    f"point data at {offset})")
    if offset > size:
        _fail(name, f"truncated LAS (point data should start at byte {offset}, "
                    f"the file has {size})")
    if offset > _LAS_MAX_VLR_AREA:
        _fail(name, f"implausibly large LAS header and VLR area ({offset} bytes)")
    if header_size + vlrs * _LAS_VLR_HEADER > offset:
        _fail(name, f"inconsistent LAS header ({vlrs} VLRs cannot fit before the point data)")


def read_las_header(name: str, fp: BinaryIO, size: int) -> PointCloudHeader:
    """Read a LAS or LAZ header with laspy; the format comes from the content.

    EVLRs are not read (``read_evlrs=False``): they are not needed for these
    facts and their 64-bit lengths are another allocation hazard.

    Raises
    ------
    MediaError
        laspy cannot read the header, the bounds are not finite, or an
        uncompressed file is shorter than its point records.
    """
    _check_las_layout(name, fp, size)
    try:
        with laspy.open(fp, closefd=False, read_evlrs=False) as reader:
            header = reader.header
            compressed = bool(header.are_points_compressed)
            points = int(header.point_count)
            version = f"{header.version.major}.{header.version.minor}"
            point_format = int(header.point_format.id)
            fields = tuple(str(d) for d in header.point_format.dimension_names)
            field_types = las_field_types(header.point_format)
            record = int(header.point_format.size)
            offset = int(header.offset_to_point_data)
            mins = tuple(float(v) for v in header.mins)
            maxs = tuple(float(v) for v in header.maxs)
            crs = _las_crs(header)
    except MediaError:
        raise
    except Exception as exc:  # laspy/lazrs raise many types on bad input
        _fail(name, f"not a readable LAS/LAZ file ({_one_line(exc)})")
    if points > MAX_POINTS:
        _fail(name, f"LAS point count is implausibly large: {points}")
    if not all(math.isfinite(v) for v in mins + maxs) or len(mins) != 3 or len(maxs) != 3:
        _fail(name, "LAS header bounds are not finite numbers")
    if not compressed and size < offset + points * record:
        _fail(name, f"truncated LAS ({points} points of {record} bytes from offset {offset} "
                    f"need {offset + points * record} bytes, {size} present)")
    bounds: Bounds = ((mins[0], mins[1], mins[2]), (maxs[0], maxs[1], maxs[2]))
    return PointCloudHeader(
        "laz" if compressed else "las",
        f"LAS {version} point format {point_format}",
        points,
        fields,
        bounds=bounds,
        crs=crs,
        field_types=field_types,
    )


def las_field_types(point_format: Any) -> tuple[str, ...]:
    """The type of each dimension of a laspy point format (``"uint8:3bit"`` for bit fields)."""
    types = []
    for dim in point_format.dimensions:
        if dim.dtype is None:
            types.append(f"uint8:{int(dim.num_bits)}bit")
        else:
            base = str(dim.dtype.base if dim.dtype.shape else dim.dtype)
            count = int(dim.num_elements)
            types.append(base if count == 1 else f"{base}[{count}]")
    return tuple(types)


def _las_crs(header: Any) -> str | None:
    """The CRS of the WKT or GeoTIFF VLRs; a broken CRS record is no CRS, not an error."""
    try:
        crs = header.parse_crs()
    except Exception:  # laspy and pyproj raise many types on odd VLRs
        return None
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else str(crs.to_wkt())


def read_kitti_header(name: str, size: int) -> PointCloudHeader:
    """Describe a KITTI velodyne ``.bin`` file: float32 x, y, z, intensity records.

    Raises
    ------
    MediaError
        The size is zero or not a multiple of 16 bytes.
    """
    if size <= 0 or size % _KITTI_RECORD:
        _fail(name, f"not a KITTI .bin point cloud (size {size} is not a positive multiple "
                    f"of {_KITTI_RECORD} bytes)")
    return PointCloudHeader("kitti_bin", "float32 x y z intensity", size // _KITTI_RECORD,
                            KITTI_FIELDS, field_types=("float32",) * 4)
