"""read_pointcloud: dispatch by content and suffix, progress and cancellation; inspect."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.cli import main
from annotator.errors import MediaError
from annotator.media.pcd import write_pcd
from annotator.media.pointcloud import Cancelled, PointCloud, read_pointcloud
from annotator.media.pointcloud_build import CHUNK

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("source", "target", "fmt"),
    [
        ("pcd/milk.pcd", "milk.pcd", "pcd"),
        ("pcd/bunny.pcd", "renamed.cloud", "pcd"),  # a PCD header decides, not the suffix
        ("las/simple.laz", "tile.laz", "laz"),
        ("las/simple.las", "tile.data", "las"),
    ],
)
def test_dispatch(tmp_path: Path, source: str, target: str, fmt: str) -> None:
    path = tmp_path / target
    shutil.copy(DATA / source, path)
    assert read_pointcloud(path).format == fmt


def test_ply_and_kitti_dispatch(tmp_path: Path) -> None:
    ply = tmp_path / "a.weird"
    ply.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"
                    b"property float y\nproperty float z\nend_header\n1 2 3\n")
    assert read_pointcloud(ply).format == "ply"
    kitti = tmp_path / "000000.bin"
    np.zeros((3, 4), np.float32).tofile(kitti)
    assert read_pointcloud(kitti).format == "kitti_bin"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notes.txt", b"hello world\n", "not a point cloud"),
        ("missing.pcd", None, "no such file"),
        ("junk.pcd", b"\x00\x01\x02garbage", "not a PCD header"),
        ("junk.las", b"LASF" + bytes(10), "truncated LAS header"),
    ],
)
def test_unreadable_inputs(tmp_path: Path, name: str, content: bytes | None, words: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MediaError, match=words):
        read_pointcloud(path)
    with pytest.raises(MediaError, match="is a folder"):
        read_pointcloud(tmp_path)


def big_cloud(tmp_path: Path, encoding: str) -> Path:
    n = CHUNK * 2 + 1000
    rng = np.random.default_rng(0)
    cloud = PointCloud(np.zeros(3), rng.normal(size=(n, 3)).astype(np.float32),
                       {"intensity": rng.random(n).astype(np.float32)}, "pcd", "binary")
    path = tmp_path / f"big_{encoding}.pcd"
    write_pcd(path, cloud, encoding)
    return path


@pytest.mark.parametrize("encoding", ["binary", "binary_compressed", "ascii"])
def test_progress_is_monotonic_and_cancellation_stops_mid_read(tmp_path: Path,
                                                               encoding: str) -> None:
    path = big_cloud(tmp_path, encoding)
    seen: list[tuple[int, int]] = []
    cloud = read_pointcloud(path, progress=lambda d, t: seen.append((d, t)))
    assert len(cloud) == CHUNK * 2 + 1000
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and len({t for _, t in seen}) == 1
    assert seen[-1][0] == seen[-1][1]
    assert len(seen) >= 3  # chunked, not one call at the end

    calls: list[int] = []

    def cancel_after_first_chunk(done: int, total: int) -> bool:
        calls.append(done)
        return done < CHUNK

    with pytest.raises(Cancelled, match="reading cancelled"):
        read_pointcloud(path, progress=cancel_after_first_chunk)
    total = seen[0][1]
    assert calls[-1] >= CHUNK and max(calls) < total  # stopped after a chunk, before the end


def test_nan_dropping_works_across_chunks(tmp_path: Path) -> None:
    n = CHUNK + 10
    xyz = np.ones((n, 3), np.float32)
    xyz[[0, CHUNK + 5], 1] = np.nan
    records = np.column_stack([xyz, np.arange(n, dtype=np.float32)])
    path = tmp_path / "nan.bin"
    records.tofile(path)
    cloud = read_pointcloud(path)
    assert len(cloud) == n - 2 and np.isfinite(cloud.xyz).all()
    assert cloud.fields["intensity"][0] == 1 and cloud.fields["intensity"][CHUNK + 4] == CHUNK + 6


# -- annotator inspect -------------------------------------------------------------------------


def run_inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect_pcd_reads_bounds_from_the_points(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "pcd" / "milk.pcd"
    code, out, _ = run_inspect(capsys, str(path), "--json")
    info = json.loads(out)
    assert code == 0
    assert info["fields"] == ["x", "y", "z"]  # the documented contract: names only
    assert info["field_types"] == {"x": "float32", "y": "float32", "z": "float32"}
    assert info["warnings"] == ["3913 bytes after the compressed block were ignored"]
    assert info["bounds_from"] == "points"
    cloud = read_pointcloud(path)
    low, high = cloud.bounds()
    assert info["bounds"] == {"min": low.tolist(), "max": high.tolist()}


def test_inspect_las_keeps_header_bounds_and_crs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_inspect(capsys, str(DATA / "las" / "simple.las"), "--json")
    info = json.loads(out)
    assert code == 0 and info["bounds_from"] == "header"
    assert info["field_types"]["gps_time"] == "float64"
    assert info["field_types"]["classification"] == "uint8:5bit"


def test_inspect_text_output_and_errors(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    code, out, _ = run_inspect(capsys, str(DATA / "pcd" / "colored_cloud.pcd"))
    assert code == 0
    assert "rgb:uint32" in out and "bounds: min [" in out
    nan = tmp_path / "nan.bin"
    np.array([[np.nan, 0, 0, 1], [1, 2, 3, 4]], np.float32).tofile(nan)
    code, out, _ = run_inspect(capsys, str(nan))
    assert code == 0 and "warning: 1 of 2 points with NaN" in out
    bad = tmp_path / "bad.pcd"
    bad.write_bytes(b"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nHEIGHT 1\nPOINTS 1\n"
                    b"DATA ascii\n1 2\n")
    code, out, err = run_inspect(capsys, str(bad))
    assert code == 2 and err.count("\n") == 1 and "bad.pcd" in err
