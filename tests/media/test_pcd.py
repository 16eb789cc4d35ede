"""PCD reading and writing: PCL's own files, every encoding x type x count, hostile headers.

Files under test are built here by a small independent writer (numpy
``tobytes`` and liblzf), so the reader is not checked against itself; PCL's
files and our written files are also read by pypcd4 and compared.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import lzf
import numpy as np
import pytest
from pypcd4 import PointCloud as Pypcd4Cloud

from annotator.errors import FormatError, MediaError
from annotator.media.pcd import read_pcd, write_pcd
from annotator.media.pointcloud import PointCloud

DATA = Path(__file__).resolve().parents[1] / "data" / "pcd"
TYPES = [("I", 1), ("I", 2), ("I", 4), ("I", 8), ("U", 1), ("U", 2), ("U", 4), ("U", 8),
         ("F", 4), ("F", 8)]
ENCODINGS = ["ascii", "binary", "binary_compressed"]


# -- an independent little PCD writer for the tests ------------------------------------


def numpy_type(typ: str, size: int) -> np.dtype[Any]:
    return np.dtype(f"<{ {'I': 'i', 'U': 'u', 'F': 'f'}[typ]}{size}")


def make_pcd(
    path: Path,
    fields: list[tuple[str, str, int, int, np.ndarray]],
    encoding: str,
    *,
    width: int | None = None,
    height: int = 1,
    version: str | None = "0.7",
    extra: bytes = b"",
    header_extra: str = "",
) -> Path:
    """Write a PCD from (name, TYPE, SIZE, COUNT, values (n,) or (n, COUNT)) columns."""
    n = len(fields[0][4])
    lines = ["# written by the test"]
    if version is not None:
        lines.append(f"VERSION {version}")
    lines += [
        "FIELDS " + " ".join(f[0] for f in fields),
        "SIZE " + " ".join(str(f[2]) for f in fields),
        "TYPE " + " ".join(f[1] for f in fields),
        "COUNT " + " ".join(str(f[3]) for f in fields),
        f"WIDTH {width if width is not None else n // height}",
        f"HEIGHT {height}",
        f"POINTS {n}",
    ]
    if header_extra:
        lines.append(header_extra)
    lines.append(f"DATA {encoding}")
    head = ("\n".join(lines) + "\n").encode()
    columns = []
    for name, typ, size, count, values in fields:
        values = np.asarray(values)
        if not (encoding == "ascii" and name in ("rgb", "rgba") and values.dtype.kind == "u"):
            values = values.astype(numpy_type(typ, size))  # (PCL writes packed colour as uint32)
        columns.append(values.reshape(n, count))
    if encoding == "ascii":
        rows = []
        for i in range(n):
            rows.append(" ".join(repr(v.item()) if v.dtype.kind == "f" else str(v)
                                 for col in columns for v in col[i]))
        body = ("\n".join(rows) + "\n").encode()
    elif encoding == "binary":
        record = np.dtype([(str(i), c.dtype, (c.shape[1],)) for i, c in enumerate(columns)])
        table = np.empty(n, dtype=record)
        for i, c in enumerate(columns):
            table[str(i)] = c
        body = table.tobytes()
    else:
        raw = b"".join(np.ascontiguousarray(c).tobytes() for c in columns)
        packed = lzf.compress(raw, len(raw) * 2 + 64) if raw else b""
        body = struct.pack("<II", len(packed), len(raw)) + packed
    path.write_bytes(head + body + extra)
    return path


def xyz_fields(n: int, seed: int = 0, typ: str = "F", size: int = 4) -> list[Any]:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-50, 50, size=(n, 3))
    return [(axis, typ, size, 1, pts[:, i]) for i, axis in enumerate("xyz")]


def backed_by_memmap(array: Any) -> bool:
    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = getattr(array, "base", None)
    return False


# -- PCL's files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "points", "fields"),
    [
        ("bunny.pcd", "ascii", 397, []),
        ("lamppost.pcd", "ascii", 1771, []),
        ("office1_keypoints.pcd", "binary", 1318, ["intensity"]),
        ("colored_cloud.pcd", "binary", 1000,
         ["rgb", "normal_x", "normal_y", "normal_z", "curvature"]),
        ("milk.pcd", "binary_compressed", 13704, []),
    ],
)
def test_pcl_files_match_pypcd4(name: str, encoding: str, points: int, fields: list[str]) -> None:
    cloud = read_pcd(DATA / name)
    assert (cloud.format, cloud.encoding, len(cloud), cloud.field_names) == (
        "pcd", encoding, points, fields)
    assert cloud.xyz.dtype == np.float32 and not np.any(cloud.origin)
    if name == "bunny.pcd":  # VERSION .5: pypcd4 refuses it; check against the text itself
        text = (DATA / name).read_text().split("DATA ascii\n", 1)[1]
        expected = np.array([line.split() for line in text.splitlines() if line.strip()],
                            dtype=np.float64).astype(np.float32)
        assert np.array_equal(cloud.xyz, expected)
        return
    ref = Pypcd4Cloud.from_path(DATA / name).pc_data
    assert np.array_equal(cloud.xyz, np.column_stack([ref["x"], ref["y"], ref["z"]]))
    for field in fields:
        if field == "rgb":
            packed = ref["rgb"].astype("<u4")
            expected = np.column_stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255])
            assert np.array_equal(cloud.fields["rgb"], expected)
            assert cloud.fields["rgb"].dtype == np.uint8
        else:
            assert np.array_equal(cloud.fields[field], ref[field])


def test_pcl_organised_and_compressed_details() -> None:
    colored = read_pcd(DATA / "colored_cloud.pcd")
    assert colored.organised == (1, 1000)
    assert backed_by_memmap(colored.xyz) and not colored.xyz.flags.writeable
    assert backed_by_memmap(colored.fields["normal_x"])
    milk = read_pcd(DATA / "milk.pcd")
    assert milk.warnings == ("3913 bytes after the compressed block were ignored",)
    assert milk.xyz.strides == (4, 4 * 13704)  # a view of the unpacked x, y, z blocks


# -- every encoding x type x count ---------------------------------------------------------


def sample_values(typ: str, size: int, shape: tuple[int, ...], seed: int) -> np.ndarray:
    dtype = numpy_type(typ, size)
    rng = np.random.default_rng(seed)
    if typ == "F":
        values = rng.normal(scale=1000, size=shape).astype(dtype)
        values.flat[0] = np.finfo(dtype).max  # extremes survive every encoding
        values.flat[-1] = np.finfo(dtype).tiny
        return values
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    values.flat[0], values.flat[-1] = info.min, info.max
    return values


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(("typ", "size"), TYPES)
@pytest.mark.parametrize("count", [1, 3])
def test_every_type_size_count(
    tmp_path: Path, encoding: str, typ: str, size: int, count: int
) -> None:
    n = 37
    values = sample_values(typ, size, (n, count) if count > 1 else (n,), seed=size + count)
    path = make_pcd(tmp_path / "t.pcd",
                    [*xyz_fields(n), ("v", typ, size, count, values)], encoding)
    cloud = read_pcd(path)
    got = cloud.fields["v"]
    assert got.dtype == numpy_type(typ, size)
    assert got.shape == ((n, count) if count > 1 else (n,))
    assert np.array_equal(got, values)
    expected_xyz = np.column_stack([f[4] for f in xyz_fields(n)]).astype(np.float32)
    assert np.array_equal(cloud.xyz, expected_xyz)
    if encoding == "binary":
        assert backed_by_memmap(got)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_padding_fields_are_skipped(tmp_path: Path, encoding: str) -> None:
    n = 5
    pad = np.zeros((n, 4), dtype=np.uint8)
    fields = [*xyz_fields(n)[:2], ("_", "U", 1, 4, pad), xyz_fields(n)[2],
              ("intensity", "F", 4, 1, np.arange(n, dtype=np.float32)),
              ("_", "U", 1, 12, np.zeros((n, 12), dtype=np.uint8))]
    cloud = read_pcd(make_pcd(tmp_path / "pad.pcd", fields, encoding))
    assert cloud.field_names == ["intensity"]
    assert np.array_equal(cloud.fields["intensity"], np.arange(n))
    assert np.array_equal(cloud.xyz[:, 2], fields[3][4].astype(np.float32))


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("typ", ["F", "U"])
def test_packed_rgb_and_rgba(tmp_path: Path, encoding: str, typ: str) -> None:
    rgb = np.array([[255, 0, 10], [1, 2, 3], [200, 100, 50]], dtype=np.uint8)
    alpha = np.array([255, 128, 0], dtype=np.uint8)
    packed = ((alpha.astype(np.uint32) << 24) | (rgb[:, 0].astype(np.uint32) << 16)
              | (rgb[:, 1].astype(np.uint32) << 8) | rgb[:, 2])
    column = packed.view("<f4") if typ == "F" else packed
    if encoding == "ascii" and typ == "F":
        column = packed  # PCL writes the packed colour of a float field as its uint32
    cloud = read_pcd(make_pcd(tmp_path / "c.pcd",
                              [*xyz_fields(3), ("rgb", typ, 4, 1, column)], encoding))
    assert np.array_equal(cloud.fields["rgb"], rgb) and "alpha" not in cloud.fields
    cloud = read_pcd(make_pcd(tmp_path / "c.pcd",
                              [*xyz_fields(3), ("rgba", "U", 4, 1, packed)], encoding))
    assert np.array_equal(cloud.fields["rgb"], rgb)
    assert np.array_equal(cloud.fields["alpha"], alpha)


def test_ascii_rgb_float_text_and_three_channel_colours(tmp_path: Path) -> None:
    packed = np.array([0x00FF8040], dtype="<u4")
    as_float = float(packed.view("<f4")[0])
    path = tmp_path / "old.pcd"
    path.write_text("FIELDS x y z rgb\nSIZE 4 4 4 4\nTYPE F F F F\nWIDTH 1\nHEIGHT 1\n"
                    f"POINTS 1\nDATA ascii\n1 2 3 {as_float!r}\n")
    assert read_pcd(path).fields["rgb"].tolist() == [[255, 128, 64]]
    cloud = read_pcd(make_pcd(tmp_path / "f.pcd", [*xyz_fields(2), (
        "rgb", "F", 4, 3, np.array([[1.0, 0.5, 0.0], [0.0, 0.0, 1.0]]))], "binary"))
    assert cloud.fields["rgb"].tolist() == [[255, 128, 0], [0, 0, 255]]


@pytest.mark.parametrize("version", [".5", ".7", "0.7", None])
def test_versions_and_odd_field_names(tmp_path: Path, version: str | None) -> None:
    odd = ["#label", "ring(1)", "t.sec", "ünï"]
    fields = [*xyz_fields(4)] + [(f, "U", 2, 1, np.arange(4, dtype=np.uint16) + i)
                                 for i, f in enumerate(odd)]
    path = tmp_path / "odd.pcd"
    make_pcd(path, fields, "binary", version=version)
    cloud = read_pcd(path)
    names = [f.encode("utf-8").decode("latin-1") for f in odd]  # header bytes, as stored
    assert cloud.field_names == names
    for i, key in enumerate(names):
        assert np.array_equal(cloud.fields[key], np.arange(4) + i)
    write_pcd(tmp_path / "again.pcd", cloud, "ascii")  # and the names survive our writer
    assert read_pcd(tmp_path / "again.pcd").field_names == names


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_organised_cloud(tmp_path: Path, encoding: str) -> None:
    fields = [*xyz_fields(12), ("ring", "U", 2, 1, np.repeat(np.arange(3), 4))]
    cloud = read_pcd(make_pcd(tmp_path / "grid.pcd", fields, encoding, width=4, height=3))
    assert cloud.organised == (4, 3) and len(cloud) == 12 and cloud.warnings == ()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_nan_points_are_dropped_and_grid_given_up(tmp_path: Path, encoding: str) -> None:
    fields = xyz_fields(12)
    fields[0][4][[1, 5]] = np.nan
    fields[2][4][7] = -np.inf
    fields.append(("i", "U", 2, 1, np.arange(12, dtype=np.uint16)))
    cloud = read_pcd(make_pcd(tmp_path / "nan.pcd", fields, encoding, width=4, height=3))
    assert len(cloud) == 9 and np.isfinite(cloud.xyz).all()
    assert cloud.fields["i"].tolist() == [0, 2, 3, 4, 6, 8, 9, 10, 11]
    assert cloud.organised is None
    assert any("3 of 12 points" in w for w in cloud.warnings)
    assert any("grid was not kept" in w for w in cloud.warnings)
    flat = read_pcd(make_pcd(tmp_path / "flat.pcd", fields, encoding))
    assert len(flat) == 9 and flat.organised is None
    assert not any("grid" in w for w in flat.warnings)


def test_all_nan_cloud_is_empty_not_nan(tmp_path: Path) -> None:
    fields = [(a, "F", 4, 1, np.full(3, np.nan)) for a in "xyz"]
    cloud = read_pcd(make_pcd(tmp_path / "void.pcd", fields, "binary"))
    assert len(cloud) == 0 and cloud.xyz.shape == (0, 3)


def test_empty_cloud(tmp_path: Path) -> None:
    for encoding in ENCODINGS:
        fields = [(a, "F", 4, 1, np.zeros(0)) for a in "xyz"]
        cloud = read_pcd(make_pcd(tmp_path / f"e_{encoding}.pcd", fields, encoding, width=0))
        assert len(cloud) == 0


# -- coordinates far from the origin -----------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_float64_far_coordinates_keep_millimetres(tmp_path: Path, encoding: str) -> None:
    world = np.array([[40_000_000.0012, -100_000.0034, 12.3456],
                      [40_000_123.4567, -99_876.5432, 13.0001],
                      [39_999_950.0009, -100_050.0001, 11.9999]])
    fields = [(a, "F", 8, 1, world[:, i]) for i, a in enumerate("xyz")]
    cloud = read_pcd(make_pcd(tmp_path / "far.pcd", fields, encoding))
    assert cloud.xyz.dtype == np.float32
    assert np.abs(cloud.xyz).max() < 200
    assert np.all(np.abs(cloud.world() - world) < 1e-5)  # far below a millimetre
    assert cloud.origin.tolist() == [40_000_037.0, -99_963.0, 12.0]


def test_float32_far_coordinates_are_shifted_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    world = (np.array([600_000.0, 4_000_000.0, 30.0]) + rng.uniform(0, 500, (1000, 3))).astype(
        np.float32)
    fields = [(a, "F", 4, 1, world[:, i]) for i, a in enumerate("xyz")]
    cloud = read_pcd(make_pcd(tmp_path / "far32.pcd", fields, "binary"))
    assert cloud.origin[0] > 0 and cloud.origin[1] > 0
    assert cloud.origin[2] == 0  # z is near zero: used as stored
    assert np.abs(cloud.xyz[:, :2]).max() <= 250
    assert np.array_equal(cloud.world(), world.astype(np.float64))


def test_float32_near_coordinates_are_a_view(tmp_path: Path) -> None:
    cloud = read_pcd(make_pcd(tmp_path / "near.pcd", xyz_fields(10), "binary"))
    assert not np.any(cloud.origin) and backed_by_memmap(cloud.xyz)


# -- lies and damage ------------------------------------------------------------------------


def header(fields: str = "x y z", size: str = "4 4 4", typ: str = "F F F", count: str = "",
           width: object = 2, height: object = 1, points: object = 2,
           data: str = "binary") -> bytes:
    lines = [f"FIELDS {fields}", f"SIZE {size}", f"TYPE {typ}"]
    if count:
        lines.append(f"COUNT {count}")
    lines += [f"WIDTH {width}", f"HEIGHT {height}", f"POINTS {points}", f"DATA {data}", ""]
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (header(width=3) + bytes(24), "WIDTH x HEIGHT"),
        (header(size="4 4 2") + bytes(24), "TYPE/SIZE"),
        (header(typ="F F I", size="4 4 3") + bytes(24), "TYPE/SIZE"),
        (header(points=10**30, width=10**30) + bytes(24), "implausibly large"),
        (header() + bytes(20), "truncated binary PCD"),
        (header(data="ascii") + b"1 2 3\n", "truncated ascii"),
        (header(data="ascii") + b"1 2 3\n4 5\n6\n", "has 2 values, not 3"),
        (header(data="ascii") + b"1 2 3\n4 5 6 7\n", "has 4 values, not 3"),
        (header(data="ascii") + b"1 2 3\n4 five 6\n", "'five' is not a number"),
        (header(fields="x y z i", size="4 4 4 1", typ="F F F U", data="ascii")
         + b"1 2 3 4\n1 2 3 300\n", "300 does not fit uint8"),
        (header(fields="x y z i", size="4 4 4 1", typ="F F F I", data="ascii")
         + b"1 2 3 4\n1 2 3 2.5\n", "not a whole number"),
        (header(fields="x y i", size="4 4 4", typ="F F F") + bytes(24), "no 'z' field"),
        (header(count="1 2 1", size="4 4 4") + bytes(32), "COUNT 2"),
        (header(fields="x y x") + bytes(24), "twice"),
        (header(data="binary_compressed") + struct.pack("<II", 10**6, 24) + bytes(10),
         "truncated binary_compressed"),
        (header(data="binary_compressed") + struct.pack("<II", 4, 24) + b"\xff" * 4,
         "corrupt binary_compressed"),
        (header(data="binary_compressed", points=10**8, width=10**8)
         + struct.pack("<II", 16, 12 * 10**8 + 4) + bytes(16), "unpacks to"),
        (header(data="binary_compressed", points=10**7, width=10**7)
         + struct.pack("<II", 16, 12 * 10**7) + bytes(16), "more than LZF can expand"),
        (b"FIELDS x y z\nGARBAGE 1\n", "unexpected line"),
    ],
)
def test_lying_and_damaged_files_fail_in_one_line(tmp_path: Path, content: bytes,
                                                  words: str) -> None:
    path = tmp_path / "bad.pcd"
    path.write_bytes(content)
    with pytest.raises(MediaError) as err:
        read_pcd(path)
    message = str(err.value)
    assert message.startswith(str(path)) and words in message and "\n" not in message


def test_trailing_data_is_a_warning_when_the_cloud_is_exact(tmp_path: Path) -> None:
    binary = read_pcd(make_pcd(tmp_path / "b.pcd", xyz_fields(3), "binary", extra=b"junk"))
    assert binary.warnings == ("4 bytes after the last point were ignored",)
    ascii_ = read_pcd(make_pcd(tmp_path / "a.pcd", xyz_fields(3), "ascii", extra=b"9 9 9\n"))
    assert ascii_.warnings == ("text after the last point was ignored",) and len(ascii_) == 3
    clean = read_pcd(make_pcd(tmp_path / "c.pcd", xyz_fields(3), "ascii", extra=b"\n\n"))
    assert clean.warnings == ()


def test_truncated_pcl_files(tmp_path: Path) -> None:
    data = (DATA / "milk.pcd").read_bytes()
    cut = tmp_path / "milk_cut.pcd"
    cut.write_bytes(data[:60_000])
    with pytest.raises(MediaError, match="truncated binary_compressed"):
        read_pcd(cut)
    body = bytearray(data)
    start = data.index(b"DATA binary_compressed\n") + len(b"DATA binary_compressed\n") + 8
    body[start + 100:start + 400] = bytes(300)  # damage inside the LZF stream
    damaged = tmp_path / "milk_damaged.pcd"
    damaged.write_bytes(bytes(body))
    with pytest.raises(MediaError, match="corrupt binary_compressed PCD"):
        read_pcd(damaged)


# -- writing ---------------------------------------------------------------------------------


def rich_cloud(n: int = 50, origin: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> PointCloud:
    rng = np.random.default_rng(7)
    return PointCloud(
        np.array(origin),
        rng.uniform(-100, 100, (n, 3)).astype(np.float32),
        {
            "intensity": rng.random(n).astype(np.float32),
            "ring": rng.integers(0, 64, n).astype(np.uint16),
            "time": rng.random(n) * 1e9,
            "label": rng.integers(-5, 5, n).astype(np.int64),
            "normal": rng.normal(size=(n, 3)).astype(np.float32),
            "rgb": rng.integers(0, 256, (n, 3)).astype(np.uint8),
            "flag": rng.random(n) > 0.5,
        },
        "pcd", "binary",
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("origin", [(0.0, 0.0, 0.0), (40_000_000.0, -120_000.0, 35.0)])
def test_write_read_round_trip_is_exact(tmp_path: Path, encoding: str,
                                        origin: tuple[float, float, float]) -> None:
    cloud = rich_cloud(origin=origin)
    path = tmp_path / "out.pcd"
    write_pcd(path, cloud, encoding)
    again = read_pcd(path)
    assert again.encoding == encoding
    assert np.array_equal(again.world(), cloud.world())
    if not any(origin):
        assert np.array_equal(again.xyz, cloud.xyz) and not np.any(again.origin)
    else:
        assert b"SIZE 8 8 8" in path.read_bytes()[:300]
    assert set(again.fields) == set(cloud.fields)
    for key, values in cloud.fields.items():
        expected = values.astype(np.uint8) if values.dtype == bool else values
        assert np.array_equal(again.fields[key], expected), key
    # an independent reader agrees on what we wrote
    ref = Pypcd4Cloud.from_path(path).pc_data
    assert np.array_equal(np.column_stack([ref["x"], ref["y"], ref["z"]]).astype(np.float64),
                          cloud.world())
    assert np.array_equal(ref["intensity"], cloud.fields["intensity"])
    packed = ref["rgb"].astype("<u4")
    assert np.array_equal(((packed >> 16) & 255).astype(np.uint8), cloud.fields["rgb"][:, 0])


def test_read_write_read_of_a_far_float64_file_is_stable(tmp_path: Path) -> None:
    world = np.array([[40_000_000.0012, 7.5, 1.0], [40_000_001.25, 8.0, 2.0]])
    fields = [(a, "F", 8, 1, world[:, i]) for i, a in enumerate("xyz")]
    first = read_pcd(make_pcd(tmp_path / "a.pcd", fields, "binary"))
    write_pcd(tmp_path / "b.pcd", first, "binary_compressed")
    second = read_pcd(tmp_path / "b.pcd")
    assert np.array_equal(second.origin, first.origin)
    assert np.array_equal(second.xyz, first.xyz)


def test_write_keeps_organised_grid_and_alpha(tmp_path: Path) -> None:
    n = 6
    cloud = PointCloud(np.zeros(3), np.zeros((n, 3), np.float32),
                       {"rgb": np.full((n, 3), 9, np.uint8), "alpha": np.arange(n, dtype=np.uint8)},
                       "pcd", "binary", organised=(3, 2))
    write_pcd(tmp_path / "g.pcd", cloud, "binary")
    text = (tmp_path / "g.pcd").read_bytes()
    assert b"FIELDS x y z rgba\n" in text and b"WIDTH 3\nHEIGHT 2\n" in text
    again = read_pcd(tmp_path / "g.pcd")
    assert again.organised == (3, 2)
    assert np.array_equal(again.fields["alpha"], cloud.fields["alpha"])


def test_compressed_write_of_many_pieces_reads_back(tmp_path: Path) -> None:
    # > 8 MiB per field: several LZF pieces concatenated into one block
    n = 2_200_000
    rng = np.random.default_rng(0)
    cloud = PointCloud(np.zeros(3), rng.normal(size=(n, 3)).astype(np.float32),
                       {"i": np.arange(n, dtype=np.uint32)}, "pcd", "binary")
    write_pcd(tmp_path / "big.pcd", cloud, "binary_compressed")
    ref = Pypcd4Cloud.from_path(tmp_path / "big.pcd").pc_data
    assert np.array_equal(ref["i"], cloud.fields["i"])
    assert np.array_equal(ref["z"], cloud.xyz[:, 2])


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"bad name": np.zeros(2)}, "cannot be written"),
        ({"x": np.zeros(2)}, "cannot be written"),
        ({"c": np.zeros(2, dtype=np.complex64)}, "cannot be written"),
        ({"s": np.array(["a", "b"])}, "cannot be written"),
        ({"\u4e2d": np.zeros(2)}, "latin-1 only"),
        ({"short": np.zeros(1)}, "has shape"),
        ({"cube": np.zeros((2, 2, 2))}, "has shape"),
    ],
)
def test_write_refuses_what_pcd_cannot_hold(tmp_path: Path, fields: dict[str, np.ndarray],
                                            words: str) -> None:
    cloud = PointCloud(np.zeros(3), np.zeros((2, 3), np.float32), fields, "pcd", "binary")
    target = tmp_path / "no.pcd"
    with pytest.raises(FormatError, match=words):
        write_pcd(target, cloud)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.pcd"
    target.write_bytes(b"old")
    cloud = PointCloud(np.zeros(3), np.zeros((2, 3), np.float32), {"c": np.zeros(2, complex)},
                       "pcd", "binary")
    with pytest.raises(FormatError):
        write_pcd(target, cloud, "binary")
    with pytest.raises(FormatError, match="encoding"):
        write_pcd(target, rich_cloud(), "zip")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["keep.pcd"]


def test_origin_comment_is_used_only_near_the_points(tmp_path: Path) -> None:
    world = np.array([[1000.25, 2000.5, 3.0], [1100.0, 2100.0, 4.0]])
    fields = [(a, "F", 8, 1, world[:, i]) for i, a in enumerate("xyz")]
    path = make_pcd(tmp_path / "o.pcd", fields, "binary")
    data = path.read_bytes()
    path.write_bytes(b"# annotator origin 1000 2000 0\n" + data)
    assert read_pcd(path).origin.tolist() == [1000.0, 2000.0, 0.0]
    path.write_bytes(b"# annotator origin 9e9 2000 0\n" + data)
    far = read_pcd(path)
    assert far.origin.tolist() == [1050.0, 2050.0, 4.0]
    assert any("origin noted in the file" in w for w in far.warnings)
    assert np.all(np.abs(far.world() - world) < 1e-4)


def test_coordinates_beyond_float32_range_are_refused(tmp_path: Path) -> None:
    world = np.array([[-1e300, 0.0, 0.0], [1e300, 1.0, 1.0]])
    fields = [(a, "F", 8, 1, world[:, i]) for i, a in enumerate("xyz")]
    with pytest.raises(MediaError, match="more than float32 local coordinates can hold"):
        read_pcd(make_pcd(tmp_path / "huge.pcd", fields, "binary"))
    far_but_tight = np.array([[1e300, 0.0, 0.0], [1e300, 1.0, 1.0]])
    fields = [(a, "F", 8, 1, far_but_tight[:, i]) for i, a in enumerate("xyz")]
    cloud = read_pcd(make_pcd(tmp_path / "far.pcd", fields, "binary"))
    assert np.isfinite(cloud.xyz).all() and cloud.origin[0] == 1e300
