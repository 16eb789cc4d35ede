"""Tests for annotator.media.probe: header-only facts about media files."""

from __future__ import annotations

import hashlib
import json
import struct
import warnings
import zlib
from pathlib import Path

import laspy
import numpy as np
import pytest
from PIL import Image

from annotator.errors import MediaError
from annotator.media import (
    IMAGE_SUFFIXES,
    POINTCLOUD_SUFFIXES,
    MediaInfo,
    media_kind,
    probe,
    sha256_file,
)

DATA = Path(__file__).resolve().parent.parent / "data"


def expect_error(path: Path, *words: str) -> str:
    """Probe `path`, expect a one-line MediaError naming the file; return the message."""
    with pytest.raises(MediaError) as info:
        probe(path)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    for word in words:
        assert word in message, message
    return message


def pcd_bytes(header: str, body: bytes = b"") -> bytes:
    return header.strip().replace("\n        ", "\n").encode("ascii") + b"\n" + body


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# ---------------------------------------------------------------- suffixes


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.jpg", "image"),
        ("A.JPEG", "image"),
        ("dir.x/b.Tif", "image"),
        ("c.webp", "image"),
        ("scan.PCD", "pointcloud"),
        ("scan.laz", "pointcloud"),
        ("000001.bin", "pointcloud"),
        ("notes.txt", None),
        ("no_suffix", None),
        (".png", None),
    ],
)
def test_media_kind_by_suffix(name: str, kind: str | None) -> None:
    assert media_kind(name) == kind
    assert media_kind(Path(name)) == kind


def test_suffix_sets() -> None:
    assert ".jpg" in IMAGE_SUFFIXES and ".bin" in POINTCLOUD_SUFFIXES
    assert not IMAGE_SUFFIXES & POINTCLOUD_SUFFIXES


# ---------------------------------------------------------------- real point clouds


@pytest.mark.parametrize(
    ("name", "encoding", "points", "fields", "width", "height"),
    [
        ("bunny.pcd", "ascii", 397, ("x", "y", "z"), 397, 1),
        ("lamppost.pcd", "ascii", 1771, ("x", "y", "z"), 1771, 1),
        ("office1_keypoints.pcd", "binary", 1318, ("x", "y", "z", "intensity"), 1318, 1),
        (
            "colored_cloud.pcd",
            "binary",
            1000,
            ("x", "y", "z", "rgb", "normal_x", "normal_y", "normal_z", "curvature"),
            1,
            1000,
        ),
        ("milk.pcd", "binary_compressed", 13704, ("x", "y", "z"), 13704, 1),
    ],
)
def test_real_pcd_files(
    name: str, encoding: str, points: int, fields: tuple[str, ...], width: int, height: int
) -> None:
    path = DATA / "pcd" / name
    info = probe(path)
    assert info == MediaInfo(
        path=str(path),
        kind="pointcloud",
        format="pcd",
        encoding=encoding,
        width=width,
        height=height,
        points=points,
        fields=fields,
        bounds=None,
        exif_orientation=None,
    )
    if encoding == "ascii":  # cross-check against the data lines themselves
        text = path.read_text().splitlines()
        start = next(i for i, line in enumerate(text) if line.startswith("DATA")) + 1
        assert sum(1 for line in text[start:] if line.strip()) == points


@pytest.mark.parametrize(("name", "fmt"), [("simple.las", "las"), ("simple.laz", "laz")])
def test_real_las_files(name: str, fmt: str) -> None:
    path = DATA / "las" / name
    info = probe(path)
    assert info.kind == "pointcloud"
    assert info.format == fmt
    assert info.encoding == "LAS 1.2 point format 3"
    assert info.points == 1065
    assert info.width is None and info.height is None
    assert info.fields[:3] == ("X", "Y", "Z")
    assert {"intensity", "gps_time", "red", "green", "blue"} <= set(info.fields)
    assert info.bounds is not None
    (x0, y0, z0), (x1, y1, z1) = info.bounds
    assert 635_000 < x0 < x1 < 640_000
    full = laspy.read(path)  # the whole file: the header must agree with the points
    assert len(full.points) == info.points
    for got, data in zip((x0, y0, z0, x1, y1, z1),
                         (full.x.min(), full.y.min(), full.z.min(),
                          full.x.max(), full.y.max(), full.z.max()), strict=True):
        assert got == pytest.approx(float(data), abs=0.011)
    assert list(full.point_format.dimension_names) == list(info.fields)


def test_to_json_contract() -> None:
    info = probe(DATA / "las" / "simple.las")
    doc = info.to_json()
    assert list(doc) == [
        "kind", "format", "encoding", "width", "height", "points", "fields", "bounds",
        "exif_orientation", "pages", "bit_depth", "crs", "path",
    ]
    assert doc["fields"][:3] == ["X", "Y", "Z"]
    assert set(doc["bounds"]) == {"min", "max"}
    assert len(doc["bounds"]["min"]) == len(doc["bounds"]["max"]) == 3
    assert json.loads(json.dumps(doc)) == doc
    assert probe(DATA / "pcd" / "bunny.pcd").to_json()["bounds"] is None


# ---------------------------------------------------------------- images


def test_jpeg_exif_orientation_swaps_size(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (40, 20), "red").save(path, exif=exif.tobytes())
    info = probe(path)
    assert (info.kind, info.format, info.encoding) == ("image", "jpeg", "RGB")
    assert (info.width, info.height) == (20, 40)
    assert info.exif_orientation == 6
    assert info.fields == () and info.points is None and info.bounds is None
    assert info.bit_depth == 8 and info.pages == 1


@pytest.mark.parametrize(("orientation", "size"), [(1, (40, 20)), (3, (40, 20)), (8, (20, 40))])
def test_png_exif_orientation(tmp_path: Path, orientation: int, size: tuple[int, int]) -> None:
    path = tmp_path / "rot.png"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (40, 20)).save(path, exif=exif.tobytes())
    info = probe(path)
    assert info.exif_orientation == orientation
    assert (info.width, info.height) == size


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
def test_exif_orientation_in_every_format_that_carries_it(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"turned{suffix}"
    exif = Image.Exif()
    exif[0x0112] = 7
    Image.new("RGB", (30, 10)).save(path, exif=exif.tobytes())
    info = probe(path)
    assert (info.exif_orientation, info.width, info.height) == (7, 10, 30)


def test_invalid_exif_orientation_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "odd.jpg"
    exif = Image.Exif()
    exif[0x0112] = 9
    Image.new("RGB", (30, 10)).save(path, exif=exif.tobytes())
    info = probe(path)
    assert (info.exif_orientation, info.width, info.height) == (None, 30, 10)


def test_jpeg_without_exif(tmp_path: Path) -> None:
    path = tmp_path / "grey.jpeg"
    Image.new("L", (7, 5)).save(path)
    info = probe(path)
    assert (info.encoding, info.width, info.height, info.exif_orientation) == ("L", 7, 5, None)


@pytest.mark.parametrize(
    ("mode", "suffix", "fmt", "encoding", "bits"),
    [
        ("RGBA", ".png", "png", "RGBA", 8),
        ("I;16", ".png", "png", "I;16", 16),
        ("1", ".png", "png", "1", 1),
        ("RGB", ".bmp", "bmp", "RGB", 8),
        ("RGB", ".webp", "webp", "RGB", 8),
        ("RGBA", ".webp", "webp", "RGBA", 8),
        ("I;16", ".tif", "tiff", "I;16", 16),
    ],
)
def test_generated_images(
    tmp_path: Path, mode: str, suffix: str, fmt: str, encoding: str, bits: int
) -> None:
    path = tmp_path / f"img{suffix}"
    Image.new(mode, (33, 17)).save(path)
    info = probe(path)
    assert (info.kind, info.format, info.encoding) == ("image", fmt, encoding)
    assert (info.width, info.height, info.pages, info.bit_depth) == (33, 17, 1, bits)
    assert info.exif_orientation is None


def test_multipage_tiff(tmp_path: Path) -> None:
    path = tmp_path / "stack.tiff"
    pages = [Image.new("RGB", (10, 8), colour) for colour in ("red", "green", "blue")]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    info = probe(path)
    assert (info.format, info.pages, info.width, info.height) == ("tiff", 3, 10, 8)


def test_format_comes_from_content(tmp_path: Path) -> None:
    path = tmp_path / "actually_png.jpg"
    Image.new("RGB", (4, 4)).save(path, format="PNG")
    assert probe(path).format == "png"


def test_huge_image_header_is_accepted_without_touching_pillow_limit(tmp_path: Path) -> None:
    path = tmp_path / "tile.png"
    ihdr = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )
    limit = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = probe(path)
    assert (info.width, info.height, info.encoding) == (40_000, 40_000, "RGB")
    assert limit == Image.MAX_IMAGE_PIXELS


# ---------------------------------------------------------------- round trips


def test_kitti_bin_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "000042.bin"
    cloud = np.random.default_rng(1).normal(size=(123, 4)).astype(np.float32)
    cloud.tofile(path)
    info = probe(path)
    assert (info.format, info.encoding) == ("kitti_bin", "float32 x y z intensity")
    assert info.points == 123 == len(np.fromfile(path, dtype=np.float32).reshape(-1, 4))
    assert info.fields == ("x", "y", "z", "intensity")
    assert info.bounds is None and info.width is None


PLY_HEADER = """ply
format {fmt} 1.0
comment written by hand
element vertex {n}
property float x
property float y
property float z
property uchar red
property uchar green
property uchar blue
element face 1
property list uchar int vertex_indices
end_header
"""


def test_binary_little_endian_ply_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mesh.ply"
    vertices = [(0.0, 0.0, 0.0, 255, 0, 0), (1.0, 0.0, 0.0, 0, 255, 0), (0.0, 1.0, 0.5, 0, 0, 255)]
    body = b"".join(struct.pack("<fffBBB", *v) for v in vertices) + struct.pack("<Biii", 3, 0, 1, 2)
    path.write_bytes(PLY_HEADER.format(fmt="binary_little_endian", n=3).encode() + body)
    info = probe(path)
    assert (info.format, info.encoding, info.points) == ("ply", "binary_little_endian", 3)
    assert info.fields == ("x", "y", "z", "red", "green", "blue")
    assert info.width is None and info.bounds is None


def test_ascii_ply_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mesh_ascii.ply"
    body = "0 0 0 255 0 0\n1 0 0 0 255 0\n0 1 0.5 0 0 255\n3 0 1 2\n"
    path.write_text(PLY_HEADER.format(fmt="ascii", n=3) + body)
    info = probe(path)
    assert (info.encoding, info.points) == ("ascii", 3)
    assert info.fields == ("x", "y", "z", "red", "green", "blue")


def test_big_endian_ply_with_crlf_header(tmp_path: Path) -> None:
    path = tmp_path / "be.ply"
    header = "ply\r\nformat binary_big_endian 1.0\r\nelement vertex 2\r\nproperty double x\r\n"
    header += "property double y\r\nproperty double z\r\nend_header\r\n"
    path.write_bytes(header.encode() + struct.pack(">6d", 1, 2, 3, 4, 5, 6))
    info = probe(path)
    assert (info.encoding, info.points, info.fields) == ("binary_big_endian", 2, ("x", "y", "z"))


def test_pcd_count_above_one_lists_field_once(tmp_path: Path) -> None:
    path = tmp_path / "fpfh.pcd"
    header = """
        # a comment
        VERSION 0.7
        FIELDS x y z fpfh
        SIZE 4 4 4 4
        TYPE F F F F
        COUNT 1 1 1 33
        WIDTH 2
        HEIGHT 1
        VIEWPOINT 0 0 0 1 0 0 0
        POINTS 2
        DATA binary
    """
    path.write_bytes(pcd_bytes(header, np.zeros((2, 36), np.float32).tobytes()))
    info = probe(path)
    assert (info.fields, info.points, info.encoding) == (("x", "y", "z", "fpfh"), 2, "binary")


# ---------------------------------------------------------------- bad input

GOOD_PCD = """
    VERSION 0.7
    FIELDS x y z
    SIZE 4 4 4
    TYPE F F F
    COUNT 1 1 1
    WIDTH {width}
    HEIGHT {height}
    VIEWPOINT {viewpoint}
    POINTS {points}
    DATA {data}
"""


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"width": 10**30, "points": 10**30}, ("implausibly large",)),
        ({"width": 10**30, "points": 10**30, "data": "ascii"}, ("implausibly large",)),
        ({"width": 10**11, "points": 10**11}, ("truncated",)),
        ({"width": 10**11, "points": 10**11, "data": "ascii"}, ("truncated",)),
        ({"width": "nan"}, ("WIDTH",)),
        ({"width": "-1"}, ("WIDTH",)),
        ({"width": "1e3"}, ("WIDTH",)),
        ({"height": "-4"}, ("HEIGHT",)),
        ({"points": "nan"}, ("POINTS",)),
        ({"points": "3"}, ("POINTS",)),
        ({"viewpoint": "0 0 nan 1 0 0 0"}, ("VIEWPOINT",)),
        ({"viewpoint": "0 0 0"}, ("VIEWPOINT",)),
        ({"data": "zip"}, ("DATA",)),
    ],
)
def test_hostile_pcd_headers(tmp_path: Path, values: dict[str, object], words: tuple[str]) -> None:
    fill: dict[str, object] = {
        "width": 2, "height": 1, "points": 2, "data": "binary", "viewpoint": "0 0 0 1 0 0 0",
    }
    fill.update(values)
    path = tmp_path / "hostile.pcd"
    path.write_bytes(pcd_bytes(GOOD_PCD.format(**fill).replace("\n    ", "\n"), bytes(24)))
    expect_error(path, *words)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("FIELDS x y\nSIZE 4 4\nTYPE F F\nWIDTH 1\nHEIGHT 1\nPOINTS 1\n", ("DATA",)),
        ("FIELDS x y\nSIZE 4\nTYPE F F\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n", ("SIZE",)),
        ("FIELDS x\nSIZE 3\nTYPE F\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n", ("TYPE/SIZE",)),
        ("FIELDS x\nSIZE 4\nTYPE Q\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n", ("TYPE/SIZE",)),
        ("FIELDS x\nSIZE 4\nTYPE F\nCOUNT 0\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n",
         ("COUNT",)),
        ("FIELDS x\nSIZE 4\nTYPE F\nWIDTH 1\nPOINTS 1\nDATA ascii\n", ("HEIGHT",)),
        ("FIELDS x\nFIELDS y\nSIZE 4\nTYPE F\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n",
         ("repeats",)),
        ("BOGUS 1\nFIELDS x\nSIZE 4\nTYPE F\nWIDTH 1\nHEIGHT 1\nPOINTS 1\nDATA ascii\n",
         ("unexpected",)),
    ],
)
def test_malformed_pcd_headers(tmp_path: Path, header: str, words: tuple[str]) -> None:
    path = tmp_path / "bad.pcd"
    path.write_bytes(header.encode() + b"1\n")
    expect_error(path, *words)


def test_truncated_binary_pcd(tmp_path: Path) -> None:
    data = (DATA / "pcd" / "office1_keypoints.pcd").read_bytes()
    path = tmp_path / "office_cut.pcd"
    path.write_bytes(data[: len(data) - 100])
    expect_error(path, "truncated binary PCD")


def test_truncated_compressed_pcd(tmp_path: Path) -> None:
    data = (DATA / "pcd" / "milk.pcd").read_bytes()
    path = tmp_path / "milk_cut.pcd"
    path.write_bytes(data[:50_000])
    expect_error(path, "truncated binary_compressed")
    path.write_bytes(data[: data.index(b"DATA binary_compressed\n") + 26])
    expect_error(path, "compressed block sizes")


def test_compressed_pcd_size_mismatch(tmp_path: Path) -> None:
    data = bytearray((DATA / "pcd" / "milk.pcd").read_bytes())
    start = data.index(b"DATA binary_compressed\n") + len(b"DATA binary_compressed\n")
    data[start + 4: start + 8] = struct.pack("<I", 99)
    path = tmp_path / "milk_bad.pcd"
    path.write_bytes(bytes(data))
    expect_error(path, "unpacks to 99 bytes")


def test_pcd_without_data_line_in_header_limit(tmp_path: Path) -> None:
    path = tmp_path / "noise.pcd"
    path.write_bytes(b"# comment\n" * 10_000)
    expect_error(path, "DATA")


def test_truncated_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.effect_noise((256, 256), 64).convert("RGB").save(path, quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "truncated JPEG")


def test_jpeg_with_appended_motion_photo_video_is_not_truncated(tmp_path: Path) -> None:
    path = tmp_path / "MVIMG_0001.jpg"
    xmp = b'<x:xmpmeta><rdf:Description GCamera:MicroVideo="1"/></x:xmpmeta>'
    Image.new("RGB", (8, 6)).save(path, xmp=xmp)
    path.write_bytes(path.read_bytes() + b"\x00\x00\x00\x18ftypmp42" + bytes(5000))
    assert probe(path).width == 8


def test_truncated_png(tmp_path: Path) -> None:
    path = tmp_path / "mask.png"
    Image.effect_noise((256, 256), 64).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 2000])
    expect_error(path, "truncated PNG")


def test_truncated_webp(tmp_path: Path) -> None:
    path = tmp_path / "tile.webp"
    Image.effect_noise((128, 128), 64).convert("RGB").save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "truncated WebP")


def test_corrupt_image_header(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 8, 2, 0, 0, 0))
    ihdr = ihdr[:-1] + bytes([ihdr[-1] ^ 0xFF])  # bad CRC
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IEND", b""))
    expect_error(path, "not a readable PNG image")


BAD_FILES: list[tuple[str, bytes, tuple[str, ...]]] = [
        ("garbage.png", bytes(range(256)) * 8, ("not a supported image",)),
        ("text.jpg", b"hello, I am not a picture\n", ("not a supported image",)),
        ("empty.png", b"", ("empty file",)),
        ("empty.pcd", b"", ("empty file",)),
        ("velodyne.bin", bytes(17), ("multiple of 16",)),
        ("notes.xyz", b"1 2 3\n", ("unsupported file type '.xyz'",)),
        ("README", b"text", ("unsupported file type",)),
        ("garbage.las", b"LASF" + bytes(50), ("truncated LAS header",)),
        ("garbage.laz", bytes(500), ("no LASF signature",)),
        ("image.pcd", b"\xff\xd8\xff\xe0" + bytes(100), ("not a PCD header",)),
        ("not.ply", b"PLY?\nformat ascii 1.0\n", ("not a PLY file",)),
        ("novertex.ply", b"ply\nformat ascii 1.0\nelement face 0\nend_header\n", ("vertex",)),
        ("noformat.ply", b"ply\nelement vertex 0\nend_header\n", ("format",)),
        ("huge.ply", b"ply\nformat binary_little_endian 1.0\nelement vertex "
         + b"9" * 30 + b"\nproperty float x\nend_header\n", ("implausibly large",)),
        ("cut.ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 100\n"
         b"property float x\nend_header\n" + bytes(399), ("truncated binary PLY",)),
        ("cut_ascii.ply", (b"ply\nformat ascii 1.0\nelement vertex 100\n"
                           b"property float x\nend_header\n1\n"), ("truncated ascii PLY",)),
        ("badprop.ply", (b"ply\nformat ascii 1.0\nelement vertex 1\n"
                         b"property float128 x\nend_header\n1\n"), ("property",)),
        ("junk.ply", b"ply\nformat ascii 1.0\n\xff\xfe junk\n", ("PLY header: unexpected",)),
]


@pytest.mark.parametrize(("name", "content", "words"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_files(tmp_path: Path, name: str, content: bytes, words: tuple[str]) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    expect_error(path, *words)


def test_truncated_las(tmp_path: Path) -> None:
    data = (DATA / "las" / "simple.las").read_bytes()
    path = tmp_path / "cut.las"
    path.write_bytes(data[:20_000])
    expect_error(path, "truncated LAS")
    path.write_bytes(data[:100])
    expect_error(path, "truncated LAS header")


@pytest.mark.parametrize(
    ("offset", "value", "words"),
    [
        (100, b"\xff\xff\xff\xff", ("VLRs cannot fit",)),  # number_of_vlrs: laspy would loop
        (96, b"\xff\xff\xff\x7f", ("truncated LAS",)),  # offset_to_point_data past the end
        (94, b"\x10\x00", ("inconsistent LAS header",)),  # header size
        (104, b"\x63", ("not a readable LAS/LAZ file",)),  # point format 99
        (179, struct.pack("<d", float("nan")), ("not finite",)),  # max x
        (107, struct.pack("<I", 10**9), ("truncated LAS",)),  # legacy point count
    ],
)
def test_hostile_las_headers(tmp_path: Path, offset: int, value: bytes, words: tuple[str]) -> None:
    data = bytearray((DATA / "las" / "simple.las").read_bytes())
    data[offset: offset + len(value)] = value
    path = tmp_path / "hostile.las"
    path.write_bytes(bytes(data))
    expect_error(path, *words)


def test_las_content_decides_las_or_laz(tmp_path: Path) -> None:
    path = tmp_path / "really_compressed.las"
    path.write_bytes((DATA / "las" / "simple.laz").read_bytes())
    assert probe(path).format == "laz"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    expect_error(tmp_path / "missing.jpg", "no such file")
    expect_error(tmp_path / "nowhere" / "missing.pcd", "no such file")
    folder = tmp_path / "folder.png"
    folder.mkdir()
    expect_error(folder, "folder")


def test_error_messages_start_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(bytes(3))
    assert expect_error(path).startswith(f"{path}: ")


# ---------------------------------------------------------------- sha256


def test_sha256_file_streams_large_files(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    payload = np.random.default_rng(0).bytes(3 * (1 << 20) + 17)
    path.write_bytes(payload)
    assert sha256_file(path) == hashlib.sha256(payload).hexdigest()
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert sha256_file(str(empty)) == hashlib.sha256(b"").hexdigest()


def test_sha256_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"gone\.png: no such file"):
        sha256_file(tmp_path / "gone.png")


def test_las_crs_is_read_from_its_vlrs() -> None:
    """The committed demo tile declares JGD2011 plane rectangular IX in a WKT VLR."""
    tile = Path(__file__).resolve().parents[2] / "sample_data" / "pointclouds" / "road_tile_000.laz"
    info = probe(tile)
    assert info.crs == "EPSG:6677"
    assert info.to_json()["crs"] == "EPSG:6677"
    assert probe(DATA / "las" / "simple.las").crs is None  # no CRS records in laspy's sample
