"""LAS/LAZ (compared point by point with laspy) and KITTI velodyne .bin."""

from __future__ import annotations

import struct
from pathlib import Path

import laspy
import numpy as np
import pyproj
import pytest

from annotator.errors import MediaError
from annotator.media.lidar import read_kitti_bin, read_las
from annotator.media.pointcloud import Cancelled

DATA = Path(__file__).resolve().parents[1] / "data" / "las"


def half_ulp(values: np.ndarray) -> np.ndarray:
    return np.spacing(np.abs(values).astype(np.float32)).astype(np.float64) / 2 + 1e-9


@pytest.mark.parametrize(("name", "fmt"), [("simple.las", "las"), ("simple.laz", "laz")])
def test_real_files_match_laspy_point_by_point(name: str, fmt: str) -> None:
    cloud = read_las(DATA / name)
    ref = laspy.read(DATA / name)
    assert (cloud.format, cloud.encoding, len(cloud)) == (fmt, "LAS 1.2 point format 3", 1065)
    world = np.column_stack([ref.x, ref.y, ref.z])
    # float32 local coordinates: within half a float32 step of laspy's float64
    assert np.all(np.abs(cloud.world() - world) <= half_ulp(cloud.xyz))
    assert np.abs(cloud.world() - world).max() < 2e-4
    assert cloud.field_names == ["intensity", "classification", "return_number", "time", "rgb"]
    assert np.array_equal(cloud.fields["intensity"], ref.intensity)
    assert np.array_equal(cloud.fields["classification"], np.asarray(ref.classification))
    assert np.array_equal(cloud.fields["return_number"], np.asarray(ref.return_number))
    assert np.array_equal(cloud.fields["time"], ref.gps_time)
    # simple.las stores 8-bit colour in its 16-bit fields: kept as is
    assert int(ref.red.max()) <= 255
    assert np.array_equal(cloud.fields["rgb"], np.column_stack([ref.red, ref.green, ref.blue]))
    assert cloud.warnings == ()


def write_las(path: Path, world: np.ndarray, *, version: str = "1.4", point_format: int = 7,
              crs: str | None = None, colour: np.ndarray | None = None) -> laspy.LasData:
    header = laspy.LasHeader(point_format=point_format, version=version)
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = np.floor(world.min(axis=0))
    if crs is not None:
        header.add_crs(pyproj.CRS(crs))
    las = laspy.LasData(header)
    las.x, las.y, las.z = world[:, 0], world[:, 1], world[:, 2]
    n = len(world)
    las.intensity = np.arange(n, dtype=np.uint16)
    las.classification = (np.arange(n) % 20).astype(np.uint8)
    las.return_number = (np.arange(n) % 4 + 1).astype(np.uint8)
    las.gps_time = np.linspace(1e8, 1e8 + 1, n)
    if colour is not None:
        las.red, las.green, las.blue = colour.T
    las.write(path)
    return las


@pytest.mark.parametrize("suffix", [".las", ".laz"])
@pytest.mark.parametrize(("version", "point_format"), [("1.2", 3), ("1.3", 3), ("1.4", 7)])
def test_far_tiles_keep_millimetres(tmp_path: Path, suffix: str, version: str,
                                    point_format: int) -> None:
    rng = np.random.default_rng(5)
    world = np.array([40_000_000.0012, -120_000.0034, 30.0]) + rng.uniform(0, 400, (3000, 3))
    world = np.round(world, 3)
    colour = rng.integers(0, 65536, (3000, 3)).astype(np.uint16)
    path = tmp_path / f"tile{suffix}"
    las = write_las(path, world, version=version, point_format=point_format, crs="EPSG:6677",
                    colour=colour)
    cloud = read_las(path)
    assert cloud.format == suffix[1:] and len(cloud) == 3000
    assert cloud.encoding == f"LAS {version} point format {point_format}"
    assert cloud.crs == "EPSG:6677"
    assert np.abs(cloud.xyz).max() < 250
    assert np.all(np.abs(cloud.world() - np.column_stack([las.x, las.y, las.z])) < 5e-5)
    assert np.array_equal(cloud.fields["rgb"], (colour >> 8).astype(np.uint8))
    assert np.array_equal(cloud.fields["classification"], np.arange(3000) % 20)
    assert np.array_equal(cloud.fields["return_number"], np.arange(3000) % 4 + 1)


def test_lying_header_bounds_are_noticed_and_precision_kept(tmp_path: Path) -> None:
    world = np.array([[500_000.0, 100.0, 1.0], [500_010.0, 110.0, 2.0]])
    path = tmp_path / "lie.las"
    write_las(path, world, version="1.2", point_format=1)
    data = bytearray(path.read_bytes())
    # max x, min x, max y, min y, max z, min z (doubles at byte 179): claim a tile at zero
    data[179:227] = struct.pack("<6d", 10.0, 0.0, 10.0, 0.0, 10.0, 0.0)
    path.write_bytes(bytes(data))
    cloud = read_las(path)
    assert "points lie outside the header's bounds" in cloud.warnings
    assert cloud.origin[0] == 500_005.0
    assert np.all(np.abs(cloud.world() - world) < 1e-6)


def test_truncated_and_corrupt_las(tmp_path: Path) -> None:
    data = (DATA / "simple.laz").read_bytes()
    cut = tmp_path / "cut.laz"
    cut.write_bytes(data[: len(data) - 5000])
    with pytest.raises(MediaError, match=r"cut\.laz: (corrupt|truncated)"):
        read_las(cut)
    raw = (DATA / "simple.las").read_bytes()
    short = tmp_path / "short.las"
    short.write_bytes(raw[:-100])
    with pytest.raises(MediaError, match="truncated LAS"):
        read_las(short)


def test_las_cancellation(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []

    def stop(done: int, total: int) -> bool:
        calls.append((done, total))
        return False

    with pytest.raises(Cancelled):
        read_las(DATA / "simple.laz", progress=stop)
    assert calls == [(1064, 1065)]  # one chunk read, then it stopped


# -- KITTI -------------------------------------------------------------------------------------


def test_kitti_bin_is_memory_mapped(tmp_path: Path) -> None:
    records = np.random.default_rng(2).normal(size=(500, 4)).astype(np.float32)
    path = tmp_path / "000001.bin"
    records.tofile(path)
    cloud = read_kitti_bin(path)
    assert (cloud.format, len(cloud), cloud.field_names) == ("kitti_bin", 500, ["intensity"])
    assert np.array_equal(cloud.xyz, records[:, :3])
    assert np.array_equal(cloud.fields["intensity"], records[:, 3])
    base = cloud.xyz
    while base is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap)


def test_kitti_bin_bad_size_and_nan(tmp_path: Path) -> None:
    path = tmp_path / "bad.bin"
    path.write_bytes(bytes(50))
    with pytest.raises(MediaError, match="not a positive multiple of 16"):
        read_kitti_bin(path)
    records = np.ones((4, 4), dtype=np.float32)
    records[1, 0] = np.inf
    records.tofile(path)
    cloud = read_kitti_bin(path)
    assert len(cloud) == 3 and cloud.warnings


def test_absurd_header_bounds_do_not_spoil_the_points(tmp_path: Path) -> None:
    path = tmp_path / "absurd.las"
    data = bytearray((DATA / "simple.las").read_bytes())
    data[179:227] = struct.pack("<6d", *([1e300] * 6))
    path.write_bytes(bytes(data))
    cloud = read_las(path)
    ref = laspy.read(DATA / "simple.las")
    assert len(cloud) == 1065
    assert "the points were read again around their true centre" in cloud.warnings
    assert np.abs(cloud.world() - np.column_stack([ref.x, ref.y, ref.z])).max() < 2e-4
