"""PLY vertices through numpy: ascii and binary (both byte orders), faces skipped, damage."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from annotator.errors import MediaError
from annotator.media.ply import read_ply

ENCODINGS = ["ascii", "binary_little_endian", "binary_big_endian"]


def ply_bytes(encoding: str, vertices: np.ndarray, faces: list[list[int]] | None = None,
              faces_first: bool = False) -> bytes:
    """A PLY file from a structured vertex array (property names and types from its dtype)."""
    ply_names = {"f4": "float", "f8": "double", "u1": "uchar", "i1": "char", "u2": "ushort",
                 "i2": "short", "u4": "uint", "i4": "int"}
    props = "".join(f"property {ply_names[vertices.dtype[k].str[1:]]} {k}\n"
                    for k in vertices.dtype.names)
    vertex_head = f"element vertex {len(vertices)}\n{props}"
    face_head = ""
    if faces is not None:
        face_head = f"element face {len(faces)}\nproperty list uchar int vertex_indices\n"
    blocks = [face_head, vertex_head] if faces_first else [vertex_head, face_head]
    head = f"ply\nformat {encoding} 1.0\ncomment test\n{''.join(blocks)}end_header\n".encode()
    if encoding == "ascii":
        vtext = "".join(" ".join(repr(v.item()) if isinstance(v, np.floating) else str(v)
                                 for v in row) + "\n" for row in vertices)
        ftext = "".join(f"{len(f)} {' '.join(map(str, f))}\n" for f in faces or [])
        body = (ftext + vtext if faces_first else vtext + ftext).encode()
    else:
        order = "<" if encoding == "binary_little_endian" else ">"
        vbin = vertices.astype(vertices.dtype.newbyteorder(order)).tobytes()
        fbin = b"".join(struct.pack(f"{order}B{len(f)}i", len(f), *f) for f in faces or [])
        body = fbin + vbin if faces_first else vbin + fbin
    return head + body


def vertices(n: int, coord: str = "f4", far: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(n)
    table = np.zeros(n, dtype=[("x", coord), ("y", coord), ("z", coord), ("red", "u1"),
                               ("green", "u1"), ("blue", "u1"), ("intensity", "u2"),
                               ("nx", "f4")])
    table["x"] = rng.uniform(-10, 10, n) + far
    table["y"] = rng.uniform(-10, 10, n)
    table["z"] = rng.uniform(-1, 1, n)
    for c in ("red", "green", "blue"):
        table[c] = rng.integers(0, 256, n)
    table["intensity"] = rng.integers(0, 65536, n)
    table["nx"] = rng.normal(size=n)
    return table


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("coord", ["f4", "f8"])
def test_vertices_and_extra_properties(tmp_path: Path, encoding: str, coord: str) -> None:
    table = vertices(40, coord, far=500_000.0 if coord == "f8" else 0.0)
    path = tmp_path / "v.ply"
    path.write_bytes(ply_bytes(encoding, table, faces=[[0, 1, 2], [2, 3, 4]]))
    cloud = read_ply(path)
    assert (cloud.format, cloud.encoding, len(cloud)) == ("ply", encoding, 40)
    world = np.column_stack([table["x"], table["y"], table["z"]]).astype(np.float64)
    if coord == "f4":
        assert np.array_equal(cloud.world(), world)
    else:
        assert cloud.origin[0] > 499_000 and np.all(np.abs(cloud.world() - world) < 1e-5)
    assert cloud.field_names == ["rgb", "intensity", "nx"]
    assert np.array_equal(cloud.fields["rgb"],
                          np.column_stack([table["red"], table["green"], table["blue"]]))
    assert np.array_equal(cloud.fields["intensity"], table["intensity"])
    assert cloud.fields["intensity"].dtype.isnative
    assert np.array_equal(cloud.fields["nx"], table["nx"])


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("uniform", [True, False])
def test_faces_before_the_vertices_are_skipped(tmp_path: Path, encoding: str,
                                               uniform: bool) -> None:
    table = vertices(12)
    faces = [[0, 1, 2]] * 5 if uniform else [[0, 1, 2], [1, 2, 3, 4], [5, 6, 7, 8, 9]]
    path = tmp_path / "f.ply"
    path.write_bytes(ply_bytes(encoding, table, faces=faces, faces_first=True))
    cloud = read_ply(path)
    assert np.array_equal(cloud.xyz, np.column_stack([table["x"], table["y"], table["z"]]))


def test_binary_little_endian_xyz_is_a_view_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "le.ply"
    path.write_bytes(ply_bytes("binary_little_endian", vertices(8)))
    cloud = read_ply(path)
    base = cloud.xyz
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    assert isinstance(base, np.memmap) and not cloud.xyz.flags.writeable


def test_nan_vertices_are_dropped(tmp_path: Path) -> None:
    table = vertices(6)
    table["y"][2] = np.nan
    path = tmp_path / "nan.ply"
    path.write_bytes(ply_bytes("binary_little_endian", table))
    cloud = read_ply(path)
    assert len(cloud) == 5 and np.isfinite(cloud.xyz).all()
    assert cloud.fields["intensity"].tolist() == np.delete(table["intensity"], 2).tolist()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
         b"property float y\nproperty float z\nend_header\n" + bytes(20), "truncated binary PLY"),
        (b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
         b"property float z\nend_header\n1 2 3\n4 5 6\n", "truncated"),
        (b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
         b"property float z\nend_header\n1.000 2.000 3.000\n4.000 5.000\n", "has 2 values, not 3"),
        (b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
         b"end_header\n1 2\n", "no 'z' property"),
        (b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
         b"property float z\nproperty list uchar int idx\nend_header\n1 2 3 1 0\n", "is a list"),
        (b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
         b"property float z\nproperty uchar red\nend_header\n1 2 3 999\n", "does not fit uint8"),
        (b"ply\nformat binary_little_endian 1.0\nelement face 1\n"
         b"property list uchar int vertex_indices\nelement vertex 1\nproperty float x\n"
         b"property float y\nproperty float z\nend_header\n\xff" + bytes(12),
         "runs past the end"),
        (b"ply\nformat ascii 1.0\nelement vertex 99999999999999999999999\nproperty float x\n"
         b"end_header\n", "implausibly large"),
    ],
)
def test_damaged_ply_fails_in_one_line(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.ply"
    path.write_bytes(content)
    with pytest.raises(MediaError) as err:
        read_ply(path)
    assert str(err.value).startswith(str(path)) and words in str(err.value)
