"""PLY point clouds (ascii, binary little and big endian) through numpy: :func:`read_ply`.

The ``vertex`` element becomes the cloud: ``x y z`` (float, double or
integers) plus every other scalar vertex property as a field; ``red green
blue`` become ``rgb`` ``(n, 3)`` uint8.  Other elements (faces, edges) are
skipped: after the vertices they are not read at all; before them they are
stepped over (binary lists are walked count by count, which is vectorised
when every list has the same length, the usual all-triangles mesh).

Binary vertices are memory-mapped (``np.memmap`` with a structured dtype);
little-endian fields are views of the file, big-endian ones are converted.

Why not plyfile: it reads everything into memory (no memory map), it is
not installed, and the format is simple enough that the header parser we
already have for ``inspect`` plus numpy covers it.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO, Final, NoReturn

import numpy as np
import numpy.typing as npt

from annotator.errors import MediaError
from annotator.media.pointcloud import PointCloud, Progress
from annotator.media.pointcloud_build import Ticker, build_cloud, colour_to_rgb
from annotator.media.pointcloud_header import (
    PLY_TYPE_SIZES,
    PlyElement,
    PlyLayout,
    parse_ply_header,
)
from annotator.media.text_table import TextRows, parse_numbers

__all__ = ["read_ply"]

_COLOUR_NAMES: Final = (("red", "green", "blue"), ("r", "g", "b"),
                        ("diffuse_red", "diffuse_green", "diffuse_blue"))


def _fail(name: str, what: str) -> NoReturn:
    raise MediaError(f"{name}: {what}")


def read_ply(path: str | os.PathLike[str], progress: Progress | None = None) -> PointCloud:
    """Read the vertices of a PLY file as a :class:`PointCloud`.

    Raises
    ------
    MediaError
        Malformed header, no ``x y z`` vertex properties, a list property in
        the vertex element, or data shorter than the header promises.
    Cancelled
        `progress` returned False.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fp:
            size = os.fstat(fp.fileno()).st_size
            layout = parse_ply_header(name, fp, size)
            vertex = layout.elements[layout.vertex_index]
            _check_vertex(name, vertex)
            passes = 2 if layout.encoding == "ascii" else 1
            if vertex.properties[[p.name for p in vertex.properties].index("x")].type != \
                    "float32" or layout.encoding == "binary_big_endian":
                passes += 1
            ticker = Ticker(name, progress, vertex.count, passes)
            xyz = None
            if layout.encoding == "ascii":
                fp.seek(layout.data_offset)
                columns = _ascii_vertices(name, fp, layout, ticker)
            else:
                columns, xyz = _binary_vertices(name, fp, layout)
    except OSError as exc:
        _fail(name, f"cannot read ({exc.strerror or exc})")
    if xyz is None:
        xyz = _xyz(columns)
    fields, notes = _fields(columns)
    return build_cloud(name, xyz, fields, fmt="ply", encoding=layout.encoding,
                       warnings=notes, ticker=ticker)


def _check_vertex(name: str, vertex: PlyElement) -> None:
    names = [p.name for p in vertex.properties]
    for axis in "xyz":
        if axis not in names:
            _fail(name, f"PLY vertex element has no '{axis}' property")
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        _fail(name, f"PLY vertex element names {twice[:40]!r} twice")
    listed = next((p.name for p in vertex.properties if p.list_count is not None), None)
    if listed is not None:
        _fail(name, f"PLY vertex property {listed[:40]!r} is a list; point clouds need "
                    "one value per property")


def _binary_vertices(
    name: str, fp: BinaryIO, layout: PlyLayout
) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any] | None]:
    """The vertex properties as views of the file, and x y z as one view where they allow."""
    order = "<" if layout.encoding == "binary_little_endian" else ">"
    offset = layout.data_offset
    for element in layout.elements[:layout.vertex_index]:
        offset = _skip_binary(name, fp, element, offset, order, layout.file_size)
    vertex = layout.elements[layout.vertex_index]
    record = np.dtype([(p.name, order + np.dtype(p.type).str[1:]) for p in vertex.properties])
    if offset + vertex.count * record.itemsize > layout.file_size:
        _fail(name, f"truncated binary PLY ({vertex.count} vertices of {record.itemsize} bytes "
                    f"from byte {offset}, the file has {layout.file_size})")
    if vertex.count == 0:
        return {p.name: np.zeros(0, dtype=p.type) for p in vertex.properties}, None
    table = np.memmap(name, dtype=record, mode="r", offset=offset, shape=(vertex.count,))
    columns = {p.name: table[p.name] for p in vertex.properties}
    layout_of = record.fields
    assert layout_of is not None  # a structured dtype
    (kx, ox), (ky, oy), (kz, oz) = (layout_of[a][:2] for a in "xyz")
    step = oy - ox
    if (kx == ky == kz and kx.isnative and kx.kind == "f" and step == kx.itemsize
            and oz - oy == step):
        xyz = np.lib.stride_tricks.as_strided(columns["x"], (vertex.count, 3),
                                              (record.itemsize, step), writeable=False)
        return columns, xyz
    return columns, None


def _skip_binary(name: str, fp: BinaryIO, element: PlyElement, offset: int, order: str,
                 size: int) -> int:
    """The byte after `element`'s items, which start at `offset`."""
    fixed = element.fixed_size
    if fixed is not None:
        return offset + element.count * fixed
    if element.count == 0:
        return offset
    # Try the common case first: every list as long as the first one.
    head = _item_size(name, fp, element, offset, order, size)
    end = offset + head * element.count
    if end <= size and _uniform(fp, element, offset, head, order):
        return end
    at = offset
    for _ in range(element.count):
        at += _item_size(name, fp, element, at, order, size)
    return at


def _item_size(name: str, fp: BinaryIO, element: PlyElement, at: int, order: str,
               size: int) -> int:
    start = at
    for prop in element.properties:
        if prop.list_count is None:
            at += PLY_TYPE_SIZES[prop.type]
            continue
        width = PLY_TYPE_SIZES[prop.list_count]
        fp.seek(at)
        raw = fp.read(width)
        if len(raw) < width:
            _fail(name, f"truncated binary PLY (in element {element.name[:40]!r})")
        count = int(np.frombuffer(raw, dtype=order + np.dtype(prop.list_count).str[1:])[0])
        if count < 0:
            _fail(name, f"negative list length in PLY element {element.name[:40]!r}")
        at += width + count * PLY_TYPE_SIZES[prop.type]
    if at > size:
        _fail(name, f"truncated binary PLY (element {element.name[:40]!r} runs past the end)")
    return at - start


def _uniform(fp: BinaryIO, element: PlyElement, offset: int, item: int, order: str) -> bool:
    """Whether every item has the first item's list lengths (read as one strided view)."""
    fp.seek(offset)
    data = fp.read(item * element.count)
    at = 0
    first: list[int] = []
    for prop in element.properties:
        if prop.list_count is None:
            at += PLY_TYPE_SIZES[prop.type]
            continue
        kind = np.dtype(order + np.dtype(prop.list_count).str[1:])
        counts = np.ndarray((element.count,), dtype=kind, buffer=data, offset=at, strides=(item,))
        first.append(int(counts[0]))
        if not np.all(counts == counts[0]):
            return False
        at += kind.itemsize + int(counts[0]) * PLY_TYPE_SIZES[prop.type]
    return True


def _ascii_vertices(name: str, fp: BinaryIO, layout: PlyLayout,
                    ticker: Ticker) -> dict[str, npt.NDArray[Any]]:
    rows = TextRows(fp, name)
    for element in layout.elements[:layout.vertex_index]:
        rows.skip(element.count, f"{element.name[:40]!r} element")
    vertex = layout.elements[layout.vertex_index]
    columns = {p.name: np.empty(vertex.count, dtype=p.type) for p in vertex.properties}
    for first, tokens in rows.rows(vertex.count, len(vertex.properties), "vertex"):
        for k, prop in enumerate(vertex.properties):
            columns[prop.name][first:first + len(tokens)] = parse_numbers(
                tokens[:, k], np.dtype(prop.type), name, f"property {prop.name[:40]!r}")
        ticker.advance(len(tokens))
    return columns


def _xyz(columns: dict[str, npt.NDArray[Any]]) -> npt.NDArray[Any]:
    x, y, z = columns["x"], columns["y"], columns["z"]
    dtype = np.result_type(x.dtype.newbyteorder("="), np.float32)
    return np.column_stack([np.asarray(a, dtype=dtype) for a in (x, y, z)])


def _fields(columns: dict[str, npt.NDArray[Any]]) -> tuple[dict[str, npt.NDArray[Any]],
                                                            list[str]]:
    fields: dict[str, npt.NDArray[Any]] = {}
    notes: list[str] = []
    used = {"x", "y", "z"}
    for names in _COLOUR_NAMES:
        if "rgb" not in fields and all(n in columns for n in names):
            stacked = np.column_stack([np.asarray(columns[n]) for n in names])
            fields["rgb"], note = colour_to_rgb(stacked.astype(stacked.dtype.newbyteorder("=")))
            notes.extend([note] if note else [])
            used.update(names)
    for key, values in columns.items():
        if key in used:
            continue
        fields[key] = values if values.dtype.isnative else values.astype(
            values.dtype.newbyteorder("="))
    return fields, notes
