"""PCD (Point Cloud Library) files: :func:`read_pcd` and :func:`write_pcd`.

All three encodings are read:

``binary``
    Memory-mapped with a structured dtype (``np.memmap``): fields are views of
    the file, nothing is copied.  float32 ``x y z`` next to each other become
    one ``(n, 3)`` strided view.
``binary_compressed``
    One LZF block (the C liblzf of ``python-lzf``, see
    :mod:`annotator.media.lzf_codec`) that unpacks to the
    fields one after the other (all x, then all y ...); the fields are views
    of the unpacked bytes, and three float32 blocks x, y, z of equal length
    are one ``(n, 3)`` view with a column stride.
``ascii``
    Parsed in blocks by :mod:`annotator.media.text_table`.

Padding fields named ``_`` are skipped; ``COUNT > 1`` gives an ``(n, count)``
field; a packed colour ``rgb`` / ``rgba`` (a uint32 or the same bits in a
float, PCL's ``0xAARRGGBB``) becomes ``rgb`` ``(n, 3)`` uint8 (and ``alpha``
for ``rgba``).  The header is parsed and checked once, by
:func:`annotator.media.pointcloud_header.parse_pcd_header`.

:func:`write_pcd` writes a temporary file next to the target and renames it
into place, so a failure never leaves a half-written file.

>>> import numpy as np, tempfile, os
>>> cloud = PointCloud(np.zeros(3), np.array([[1.5, 2, 3]], dtype=np.float32),
...                    {"intensity": np.array([7.0], dtype=np.float32)}, "pcd", "binary")
>>> path = os.path.join(tempfile.mkdtemp(), "one.pcd")
>>> write_pcd(path, cloud, "binary_compressed")
>>> again = read_pcd(path)
>>> again.xyz.tolist(), again.fields["intensity"].tolist(), again.encoding
([[1.5, 2.0, 3.0]], [7.0], 'binary_compressed')
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, Final, NoReturn

import numpy as np
import numpy.typing as npt

from annotator.errors import FormatError, MediaError
from annotator.media.lzf_codec import LzfError, compress_pieces, decompress
from annotator.media.pointcloud import PointCloud, Progress
from annotator.media.pointcloud_build import (
    CHUNK,
    Ticker,
    build_cloud,
    colour_to_rgb,
    pack_rgb,
    unpack_rgb,
)
from annotator.media.pointcloud_header import ORIGIN_COMMENT, PcdLayout, parse_pcd_header
from annotator.media.text_table import TextRows, parse_numbers

__all__ = ["ENCODINGS", "read_pcd", "write_pcd"]

ENCODINGS: Final = ("ascii", "binary", "binary_compressed")

_KINDS: Final = {"I": "i", "U": "u", "F": "f"}
_COLOURS: Final = ("rgb", "rgba")
_PIECE: Final = 8 << 20  # bytes per LZF call when writing
_MAX_BLOCK: Final = (1 << 32) - 1


def _fail(name: str, what: str) -> NoReturn:
    raise MediaError(f"{name}: {what}")


def _dtype(layout: PcdLayout, index: int) -> np.dtype[Any]:
    return np.dtype(f"<{_KINDS[layout.types[index]]}{layout.sizes[index]}")


# -- reading -----------------------------------------------------------------------------


def read_pcd(path: str | os.PathLike[str], progress: Progress | None = None) -> PointCloud:
    """Read a PCD file of any encoding into a :class:`PointCloud`.

    Raises
    ------
    MediaError
        The header is malformed or lies (sizes, counts, types), the data is
        short or corrupt, or there are no float ``x y z`` fields.
    Cancelled
        `progress` returned False.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fp:
            size = os.fstat(fp.fileno()).st_size
            layout = parse_pcd_header(name, fp, size)
            _check_xyz(name, layout)
            single = layout.types[layout.fields.index("x")] == "F" and layout.sizes[
                layout.fields.index("x")] == 4
            passes = (2 if layout.data == "ascii" else 1) + (0 if single else 1)
            ticker = Ticker(name, progress, layout.points, passes)
            if layout.data == "binary":
                columns = _binary_columns(name, layout)
            elif layout.data == "binary_compressed":
                columns = _compressed_columns(name, layout, ticker)
            else:
                fp.seek(layout.data_offset)
                columns = _ascii_columns(name, fp, layout, ticker)
                if columns.rows is not None and columns.rows.has_more():
                    columns.warnings.append("text after the last point was ignored")
    except OSError as exc:
        _fail(name, f"cannot read ({exc.strerror or exc})")
    fields, notes = _fields(name, layout, columns.arrays)
    return build_cloud(
        name, columns.xyz, fields, fmt="pcd", encoding=layout.data,
        organised=(layout.width, layout.height) if layout.height > 1 else None,
        warnings=[*layout.warnings, *columns.warnings, *notes], ticker=ticker,
        origin_hint=layout.origin,
    )


class _Columns:
    """The decoded fields by header index, the ``(n, 3)`` coordinates, and reader notes."""

    def __init__(self, arrays: dict[int, npt.NDArray[Any]], xyz: npt.NDArray[Any],
                 rows: TextRows | None = None) -> None:
        self.arrays = arrays
        self.xyz = xyz
        self.rows = rows
        self.warnings: list[str] = []


def _check_xyz(name: str, layout: PcdLayout) -> None:
    for axis in "xyz":
        if axis not in layout.fields:
            _fail(name, f"PCD has no '{axis}' field (FIELDS {' '.join(layout.fields)[:80]})")
        index = layout.fields.index(axis)
        if layout.counts[index] != 1:
            _fail(name, f"PCD field '{axis}' has COUNT {layout.counts[index]}, not 1")


def _xyz_view(layout: PcdLayout, arrays: dict[int, npt.NDArray[Any]],
              starts: tuple[int, ...]) -> npt.NDArray[Any]:
    """One ``(n, 3)`` view when x, y, z share a type and are evenly spaced, else a copy.

    `starts` are the byte positions of each field: record offsets for binary
    (x, y, z one after the other in a record), block offsets for
    binary_compressed (all x, then all y: a column stride of n values).
    """
    ix, iy, iz = (layout.fields.index(a) for a in "xyz")
    x = arrays[ix]
    same = _dtype(layout, ix) == _dtype(layout, iy) == _dtype(layout, iz)
    step = starts[iy] - starts[ix]
    if same and step > 0 and starts[iz] - starts[iy] == step and len(x) > 0:
        strides = (x.strides[0], step)
        return np.lib.stride_tricks.as_strided(x, (len(x), 3), strides, writeable=False)
    return np.column_stack([arrays[ix], arrays[iy], arrays[iz]])


def _binary_columns(name: str, layout: PcdLayout) -> _Columns:
    names, formats, offsets = [], [], []
    for index, (field, offset) in enumerate(zip(layout.fields, layout.offsets, strict=True)):
        if field == "_":
            continue
        names.append(str(index))
        count = layout.counts[index]
        formats.append(_dtype(layout, index) if count == 1 else (_dtype(layout, index), (count,)))
        offsets.append(offset)
    record = np.dtype({"names": names, "formats": formats, "offsets": offsets,
                       "itemsize": layout.point_size})
    if layout.points == 0:
        table: npt.NDArray[Any] = np.zeros(0, dtype=record)
    else:
        table = np.memmap(name, dtype=record, mode="r", offset=layout.data_offset,
                          shape=(layout.points,))
    arrays = {int(key): table[key] for key in names}
    return _Columns(arrays, _xyz_view(layout, arrays, layout.offsets))


def _compressed_columns(name: str, layout: PcdLayout, ticker: Ticker) -> _Columns:
    expected = layout.points * layout.point_size
    ticker.check()
    if expected == 0:
        data: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
    else:
        # the block is memory-mapped, not read into a copy; unpacked straight into numpy
        block = np.memmap(name, dtype=np.uint8, mode="r", offset=layout.data_offset + 8,
                          shape=(layout.compressed_size or 0,))
        try:
            data = decompress(block, expected)
        except LzfError as exc:
            _fail(name, f"corrupt binary_compressed PCD (LZF: {exc})")
        del block
    arrays: dict[int, npt.NDArray[Any]] = {}
    starts, at = [], 0
    for index, field in enumerate(layout.fields):
        starts.append(at)
        count = layout.counts[index]
        dtype = _dtype(layout, index)
        if field != "_":
            flat = np.frombuffer(data, dtype=dtype, count=layout.points * count, offset=at)
            arrays[index] = flat if count == 1 else flat.reshape(layout.points, count)
        at += layout.points * count * dtype.itemsize
    return _Columns(arrays, _xyz_view(layout, arrays, tuple(starts)))


def _ascii_columns(name: str, fp: BinaryIO, layout: PcdLayout, ticker: Ticker) -> _Columns:
    n = layout.points
    arrays: dict[int, npt.NDArray[Any]] = {}
    spans: list[tuple[int, int, int]] = []  # (field index, first token, count)
    at = 0
    for index, field in enumerate(layout.fields):
        count = layout.counts[index]
        if field != "_":
            colour = field in _COLOURS and layout.sizes[index] == 4 and count == 1
            dtype = np.dtype("<u4") if colour else _dtype(layout, index)
            arrays[index] = np.empty((n, count) if count > 1 else n, dtype=dtype)
            spans.append((index, at, count))
        at += count
    rows = TextRows(fp, name)
    for first, tokens in rows.rows(n, at, "point"):
        stop = first + len(tokens)
        for index, start, count in spans:
            part = tokens[:, start:start + count]
            field = layout.fields[index]
            what = f"field {field[:40]!r}"
            if arrays[index].dtype == np.dtype("<u4") and field in _COLOURS:
                values = _ascii_colour(name, part[:, 0], layout.types[index], what)
            else:
                values = parse_numbers(part if count > 1 else part[:, 0],
                                       _dtype(layout, index), name, what)
            arrays[index][first:stop] = values
        ticker.advance(len(tokens))
    xyz = np.column_stack([arrays[layout.fields.index(a)] for a in "xyz"])
    return _Columns(arrays, xyz, rows)


def _ascii_colour(name: str, tokens: npt.NDArray[Any], typ: str, what: str) -> npt.NDArray[Any]:
    """Packed colour in text: PCL writes the uint32; older writers wrote the float's value."""
    if typ != "F" or not any(b"." in t or b"e" in t.lower() or b"n" in t.lower()
                             for t in tokens[:64]):
        try:
            return parse_numbers(tokens, np.dtype("<u4"), name, what)
        except MediaError:
            if typ != "F":
                raise
    floats = parse_numbers(tokens, np.dtype("<f4"), name, what)
    return floats.view("<u4")


def _fields(
    name: str, layout: PcdLayout, arrays: dict[int, npt.NDArray[Any]]
) -> tuple[dict[str, npt.NDArray[Any]], list[str]]:
    """The per-point fields by name: everything but x, y, z and padding; colour unpacked."""
    fields: dict[str, npt.NDArray[Any]] = {}
    notes: list[str] = []
    n = layout.points
    for index, field in enumerate(layout.fields):
        if field in ("x", "y", "z", "_"):
            continue
        values = arrays[index]
        if field in _COLOURS and "rgb" not in fields:
            if layout.sizes[index] == 4 and layout.counts[index] == 1:
                packed = np.ascontiguousarray(values).view(np.uint8).reshape(n, 4)
                fields["rgb"], alpha = unpack_rgb(packed)
                if field == "rgba" and "alpha" not in layout.fields:
                    fields["alpha"] = alpha
                continue
            if layout.counts[index] in (3, 4):
                fields["rgb"], note = colour_to_rgb(values[:, :3])
                if layout.counts[index] == 4 and "alpha" not in layout.fields:
                    fields["alpha"] = colour_to_rgb(values[:, 3])[0]
                notes.extend([note] if note else [])
                continue
            notes.append(f"field {field!r} ({layout.field_type(index)}) is not a colour layout "
                         f"we know; kept as '{field}_raw'")
            fields[f"{field}_raw"] = values
            continue
        fields[field] = values
    return fields, notes


# -- writing -----------------------------------------------------------------------------


_Column = tuple[str, str, int, int, Callable[[int, int], npt.NDArray[Any]]]
"""(name, TYPE, SIZE, COUNT, rows(start, stop) -> array (m,) or (m, COUNT))"""


def write_pcd(path: str | os.PathLike[str], cloud: PointCloud, encoding: str = "binary") -> None:
    """Write `cloud` as a PCD file (``VERSION 0.7``) with the given encoding.

    Coordinates are float32 ``x y z`` when the cloud's origin is zero, else
    float64 world coordinates (``origin + xyz``), so nothing is lost, and a
    comment line ``# annotator origin X Y Z`` that :func:`read_pcd` takes as
    the origin again, so the local float32 coordinates come back bit for bit
    (other readers skip comment lines).  Fields
    keep their numpy types (bool as ``U 1``, float16 as ``F 4``); ``rgb``
    ``(n, 3)`` uint8 is packed as PCL does, into ``rgba`` when there is an
    ``alpha`` field too.  An organised cloud keeps its WIDTH and HEIGHT.

    Raises
    ------
    FormatError
        Unknown encoding, a field that PCD cannot hold, or the file cannot be written.
    """
    name = os.fspath(path)
    if encoding not in ENCODINGS:
        raise FormatError(f"{name}: PCD encoding must be one of {', '.join(ENCODINGS)}, "
                          f"not {encoding!r}")
    columns = _write_columns(name, cloud)
    n = len(cloud)
    width, height = cloud.organised if cloud.organised and _grid_fits(cloud) else (n, 1)
    origin = ([f"{ORIGIN_COMMENT} {' '.join(repr(float(v)) for v in cloud.origin)}"]
              if np.any(cloud.origin) else [])
    header = "\n".join([
        "# .PCD v0.7 - Point Cloud Data file format",
        *origin,
        "VERSION 0.7",
        "FIELDS " + " ".join(c[0] for c in columns),
        "SIZE " + " ".join(str(c[2]) for c in columns),
        "TYPE " + " ".join(c[1] for c in columns),
        "COUNT " + " ".join(str(c[3]) for c in columns),
        f"WIDTH {width}",
        f"HEIGHT {height}",
        "VIEWPOINT 0 0 0 1 0 0 0",
        f"POINTS {n}",
        f"DATA {encoding}",
        "",
    ]).encode("latin-1")
    folder, base = os.path.split(os.path.abspath(name))
    temp = os.path.join(folder, f".{base}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as fp:
            fp.write(header)
            if encoding == "binary":
                _write_binary(fp, columns, n)
            elif encoding == "ascii":
                _write_ascii(fp, columns, n)
            else:
                _write_compressed(name, fp, columns, n)
        os.replace(temp, name)
    except OSError as exc:
        raise FormatError(f"{name}: cannot write ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _grid_fits(cloud: PointCloud) -> bool:
    assert cloud.organised is not None
    return cloud.organised[0] * cloud.organised[1] == len(cloud)


def _pcd_type(name: str, field: str, dtype: np.dtype[Any]) -> tuple[str, int, np.dtype[Any]]:
    if dtype.kind == "b":
        return "U", 1, np.dtype(np.uint8)
    if dtype.kind == "f" and dtype.itemsize == 2:
        return "F", 4, np.dtype("<f4")
    if dtype.kind in "iuf" and dtype.itemsize in ((4, 8) if dtype.kind == "f" else (1, 2, 4, 8)):
        letter = {"i": "I", "u": "U", "f": "F"}[dtype.kind]
        return letter, dtype.itemsize, dtype.newbyteorder("<")
    raise FormatError(f"{name}: field {field!r} of type {dtype} cannot be written to PCD")


def _write_columns(name: str, cloud: PointCloud) -> list[_Column]:
    columns: list[_Column] = []
    world = bool(np.any(cloud.origin))
    for axis in range(3):
        if world:
            def coordinate(start: int, stop: int, axis: int = axis) -> npt.NDArray[Any]:
                values: npt.NDArray[np.float64] = cloud.xyz[start:stop, axis].astype(np.float64)
                values += cloud.origin[axis]
                return values
            columns.append(("xyz"[axis], "F", 8, 1, coordinate))
        else:
            def local(start: int, stop: int, axis: int = axis) -> npt.NDArray[Any]:
                return cloud.xyz[start:stop, axis]
            columns.append(("xyz"[axis], "F", 4, 1, local))
    fields = dict(cloud.fields)
    n = len(cloud)
    rgb = fields.pop("rgb", None)
    alpha = None
    if rgb is not None and rgb.shape == (n, 3) and rgb.dtype == np.uint8:
        candidate = fields.get("alpha")
        if candidate is not None and candidate.shape == (n,) and candidate.dtype == np.uint8:
            alpha = fields.pop("alpha")
        def colour(start: int, stop: int) -> npt.NDArray[Any]:
            assert rgb is not None
            return pack_rgb(rgb[start:stop], None if alpha is None else alpha[start:stop])
        columns.append(("rgba" if alpha is not None else "rgb", "U", 4, 1, colour))
    elif rgb is not None:
        fields = {"rgb": rgb, **fields}
    for field, values in fields.items():
        if not field or any(ch.isspace() for ch in field) or field in ("x", "y", "z", "_",
                                                                        "rgba"):
            raise FormatError(f"{name}: field name {field!r} cannot be written to PCD")
        try:  # the reader decodes header bytes as latin-1: names round-trip through it
            field.encode("latin-1")
        except UnicodeEncodeError:
            raise FormatError(f"{name}: field name {field!r} cannot be written to a PCD "
                              "header (latin-1 only)") from None
        if values.ndim not in (1, 2) or len(values) != n:
            raise FormatError(f"{name}: field {field!r} has shape {values.shape}, "
                              f"not ({n},) or ({n}, k)")
        letter, size, dtype = _pcd_type(name, field, values.dtype)
        count = 1 if values.ndim == 1 else int(values.shape[1])
        if count == 0:
            raise FormatError(f"{name}: field {field!r} has no values per point")
        def rows(start: int, stop: int, values: Any = values, dtype: Any = dtype) -> Any:
            part: npt.NDArray[Any] = np.asarray(values[start:stop], dtype=dtype)
            return part
        columns.append((field, letter, size, count, rows))
    return columns


def _write_binary(fp: BinaryIO, columns: list[_Column], n: int) -> None:
    record = np.dtype([(str(i), f"<{_KINDS[c[1]]}{c[2]}", (c[3],) if c[3] > 1 else ())
                       for i, c in enumerate(columns)])
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        block = np.empty(stop - start, dtype=record)
        for i, column in enumerate(columns):
            block[str(i)] = column[4](start, stop)
        fp.write(block.data)


def _write_ascii(fp: BinaryIO, columns: list[_Column], n: int) -> None:
    for start in range(0, n, CHUNK // 4):
        stop = min(n, start + CHUNK // 4)
        text: list[Iterable[str]] = []
        for column in columns:
            values = column[4](start, stop).reshape(stop - start, -1)
            # 9 significant digits name a float32 exactly and repr() a float64, so the
            # text reads back to the same bits (float64 parsing then float32 rounding is
            # exact: double rounding is harmless with more than twice the bits)
            form = ("%.9g".__mod__ if values.dtype == np.float32 else
                    repr if values.dtype.kind == "f" else str)
            text.extend(map(form, values[:, k].tolist()) for k in range(values.shape[1]))
        fp.write(("\n".join(map(" ".join, zip(*text, strict=True))) + "\n").encode("ascii"))


def _field_pieces(columns: list[_Column], n: int) -> Iterator[npt.NDArray[Any]]:
    """The field-major data (all of field 1, then field 2 ...), a few megabytes at a time."""
    for column in columns:
        rows = max(1, _PIECE // (column[2] * column[3]))
        for start in range(0, n, rows):
            yield column[4](start, min(n, start + rows))


def _write_compressed(name: str, fp: BinaryIO, columns: list[_Column], n: int) -> None:
    """One LZF block, compressed piece by piece (see :mod:`annotator.media.lzf_codec`).

    The memory needed is the compressed output of a few pieces, not the whole
    uncompressed field-major copy.
    """
    sizes = fp.tell()
    fp.write(bytes(8))
    compressed = 0
    uncompressed = n * sum(c[2] * c[3] for c in columns)
    if uncompressed > _MAX_BLOCK:
        raise FormatError(f"{name}: binary_compressed PCD holds at most 4 GiB of points; "
                          "use binary")
    for packed in compress_pieces(_field_pieces(columns, n)):
        fp.write(packed)
        compressed += len(packed)
    if compressed > _MAX_BLOCK:
        raise FormatError(f"{name}: the compressed points exceed the 4 GiB a "
                          "binary_compressed PCD can hold; use binary")
    end = fp.tell()
    fp.seek(sizes)
    fp.write(struct.pack("<II", compressed, uncompressed))
    fp.seek(end)
