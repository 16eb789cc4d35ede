"""3D box exports and imports through the real CLI, on the sample LAZ road tile."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from annotator.commands import AddAnnotations
from annotator.demo import build_demo
from annotator.model import Annotation
from annotator.project import Project
from annotator.shapes import Box, Cuboid
from tests.cli.conftest import TILE

REPO = Path(__file__).resolve().parents[2]
OPENLABEL_SCHEMA = REPO / "tests" / "data" / "openlabel" / "openlabel_json_schema-v1.0.0.json"
FORMATS = ["kitti", "openlabel", "cuboids"]
#: attributes each format carries back (None: all of them)
HELD: dict[str, set[str] | None] = {"kitti": {"occluded", "truncated"}, "openlabel": None,
                                    "cuboids": None}


def boxes() -> list[tuple[str, Cuboid, dict[str, Any]]]:
    """Cuboids on the road tile, in its EPSG:6677 coordinates (about 12 km and 35 km out)."""
    return [
        ("car", Cuboid([[-11985.25, -35001.5, 40.3]], [[4.4, 1.8, 1.5]], 0.1),
         {"occluded": True, "body_color": "red"}),
        ("car", Cuboid([[-11991.125, -34998.75, 40.25]], [[3.9, 1.7, 1.4]], -3.0), {}),
        ("pole", Cuboid([[-11970.0, -34995.0, 43.0]], [[0.3, 0.3, 7.0]], 0.0),
         {"height_m": 7.0}),
        ("traffic_sign", Cuboid([[-11972.5, -34990.0, 42.0]], [[0.1, 0.75, 0.75]], 1.25),
         {"sign_type": "stop"}),
    ]


def add_boxes(folder: Path) -> None:
    with Project.open(folder, "lead") as project:
        defaults = {c.name: c.default_attributes() for c in project.schema.classes}
        project.stack.push(AddAnnotations(
            [Annotation(None, 2, label, cuboid, {**defaults[label], **attributes})
             for label, cuboid, attributes in boxes()]
            + [Annotation(None, 1, "car", Box.from_corners(1, 1, 9, 9), {"occluded": False})]))


def stored(folder: Path, item_id: int = 2) -> list[Annotation]:
    with Project.open(folder, "lead") as project:
        return list(project.store.annotations_for_item(item_id))


def key(annotation: Annotation, names: set[str] | None) -> tuple[Any, ...]:
    coords = tuple(round(v, 9) for v in annotation.geometry.to_json()["coords"])
    attributes = {k: v for k, v in annotation.attributes.items()
                  if names is None or k in names}
    return annotation.label, coords, json.dumps(attributes, sort_keys=True)


@pytest.mark.parametrize("format_id", FORMATS)
def test_a_point_cloud_export_is_a_deliverable(run, format_id: str, cloud_project: Path,
                                               tmp_path: Path) -> None:
    add_boxes(cloud_project)
    out = tmp_path / "out"
    result = run("export", cloud_project, "--format", format_id, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "wrote 4 annotation(s) on 1 point cloud(s)" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == format_id and manifest["images"] == 1
    assert manifest["annotations"] == 4
    assert manifest["counts_per_class"]["car"] == 2
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    report = json.loads((out / "report.json").read_text())
    assert report["skipped"] == [] and report["by_class"]["pole"] == 1
    assert "<h1>Validation report" in (out / "validation.html").read_text()
    data_files = [n for n in manifest["files"] if n not in ("report.json", "validation.html")]
    assert data_files == {"kitti": ["label_2/road_tile_000.txt"],
                          "openlabel": ["openlabel/road_tile_000.json"],
                          "cuboids": ["cuboids.json"]}[format_id]
    if format_id == "openlabel":
        validator = jsonschema.Draft7Validator(json.loads(OPENLABEL_SCHEMA.read_text()))
        document = json.loads((out / data_files[0]).read_text())
        assert not list(validator.iter_errors(document))
        assert document["openlabel"]["coordinate_systems"]["geo"]["crs"] == "EPSG:6677"


def test_with_media_copies_the_tiles_into_pointclouds(run, cloud_project: Path,
                                                     tmp_path: Path) -> None:
    add_boxes(cloud_project)
    out = tmp_path / "out"
    result = run("export", cloud_project, "--format", "kitti", "--out", out, "--with-media")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (out / "pointclouds").iterdir()] == ["road_tile_000.laz"]
    assert not (out / "images").exists()
    assert "<td>Point-cloud tiles</td>" in (out / "validation.html").read_text()


@pytest.mark.parametrize("format_id", FORMATS)
def test_export_then_import_into_a_fresh_project_gives_the_same_cuboids(
        run, format_id: str, cloud_project: Path, cloud_template: Path, tmp_path: Path) -> None:
    add_boxes(cloud_project)
    out = tmp_path / "out"
    assert run("export", cloud_project, "--format", format_id, "--out", out).returncode == 0
    fresh = tmp_path / "fresh"
    shutil.copytree(cloud_template, fresh)
    result = run("import", fresh, "--annotations", f"{format_id}:{out}")
    assert result.returncode == 0, result.stderr
    assert "imported 4 annotation(s) on 1 item(s)" in result.stdout
    names = HELD[format_id]
    assert sorted(key(a, names) for a in stored(fresh)) == sorted(
        key(a, names) for a in stored(cloud_project))
    if format_id == "cuboids":  # exact, not only to nine decimals
        assert sorted(a.geometry.to_json()["coords"] for a in stored(fresh)) == sorted(
            a.geometry.to_json()["coords"] for a in stored(cloud_project))
    # and once more: import -> export -> import is stable
    again = tmp_path / "again"
    assert run("export", fresh, "--format", format_id, "--out", again).returncode == 0
    third = tmp_path / "third"
    shutil.copytree(cloud_template, third)
    assert run("import", third, "--annotations", f"{format_id}:{again}").returncode == 0
    assert sorted(key(a, None) for a in stored(third)) == sorted(
        key(a, None) for a in stored(fresh))


def _calib(path: Path) -> Path:
    """Standard velodyne->camera axes, a LiDAR 1.7 m above a camera 0.3 m behind it."""
    path.write_text("P2: 721.5 0 609.6 44.9 0 721.5 172.9 0.2 0 0 1 0.003\n"
                    "R0_rect: 1 0 0 0 1 0 0 0 1\n"
                    "Tr_velo_to_cam: 0 -1 0 0 0 0 -1 -0.08 1 0 0 -0.27\n")
    return path


def test_kitti_with_a_calibration_round_trips_through_its_calib_files(
        run, cloud_project: Path, cloud_template: Path, tmp_path: Path) -> None:
    add_boxes(cloud_project)
    calib = _calib(tmp_path / "calib.txt")
    out = tmp_path / "out"
    result = run("export", cloud_project, "--format", "kitti", "--out", out, "--calib", calib)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert "calib/road_tile_000.txt" in manifest["files"]
    first = (out / "label_2" / "road_tile_000.txt").read_text().splitlines()[0].split()
    # camera x = -lidar y, y = -(lidar z - h/2) - 0.08, z = lidar x - 0.27
    assert list(map(float, first[11:14])) == pytest.approx(
        [35001.5, -(40.3 - 0.75) - 0.08, -11985.25 - 0.27])
    assert float(first[14]) == pytest.approx(-0.1 - math.pi / 2)
    fresh = tmp_path / "fresh"
    shutil.copytree(cloud_template, fresh)
    result = run("import", fresh, "--annotations", f"kitti:{out}")
    assert result.returncode == 0, result.stderr
    assert "identity" not in result.stderr
    got = sorted((a.label, a.geometry.to_json()["coords"]) for a in stored(fresh))
    want = sorted((a.label, a.geometry.to_json()["coords"]) for a in stored(cloud_project))
    for (label, coords), (label2, coords2) in zip(got, want, strict=True):
        assert label == label2
        assert coords == pytest.approx(coords2, abs=1e-9)


def test_bad_settings_are_refused_and_write_nothing(run, refused, cloud_project: Path,
                                                    tmp_path: Path) -> None:
    add_boxes(cloud_project)
    calib = _calib(tmp_path / "calib.txt")
    refused(run("export", cloud_project, "--format", "coco", "--out", tmp_path / "a",
                "--calib", calib), "--calib", "coco", "kitti")
    refused(run("export", cloud_project, "--format", "openlabel", "--out", tmp_path / "b",
                "--calib", calib), "--calib", "openlabel")
    upside = tmp_path / "upside.txt"
    upside.write_text("Tr_velo_to_cam: 1 0 0 0 0 1 0 0 0 0 1 0\n")
    refused(run("export", cloud_project, "--format", "kitti", "--out", tmp_path / "c",
                "--calib", upside), "upside.txt", "up axis")
    refused(run("export", cloud_project, "--format", "kitti", "--out", tmp_path / "d",
                "--calib", tmp_path / "missing.txt"), "missing.txt")
    assert not [p for p in tmp_path.iterdir() if p.name[:2] in (".a", ".b", ".c", ".d")
                or p.name in ("a", "b", "c", "d")]


def test_hostile_3d_imports_are_refused_and_change_nothing(run, refused, state,
                                                           cloud_project: Path,
                                                           tmp_path: Path) -> None:
    add_boxes(cloud_project)
    before = state(cloud_project)
    labels = tmp_path / "k" / "label_2"
    labels.mkdir(parents=True)
    (labels / "road_tile_000.txt").write_text("car 0 0 -10 0 0 0 0 1.5 1.8 nan 1 2 3 0\n")
    refused(run("import", cloud_project, "--annotations", f"kitti:{tmp_path / 'k'}"),
            "road_tile_000.txt:1", "nan")
    (labels / "road_tile_000.txt").write_text("car 0 0 -10 0 0 0 0 1.5 1.8 4 1e300 2 3 0\n")
    refused(run("import", cloud_project, "--annotations", f"kitti:{tmp_path / 'k'}"),
            "1e300")
    (labels / "road_tile_000.txt").write_text("car 0 0 -10 0 0 0 0 1.5 1.8 4 1 2 3 0\n")
    (labels / "other_tile.txt").write_text("")
    refused(run("import", cloud_project, "--annotations", f"kitti:{tmp_path / 'k'}"),
            "point-cloud tile(s) are not in the project", "other_tile")
    escape = tmp_path / "escape.json"
    escape.write_text(json.dumps({"openlabel": {
        "metadata": {"schema_version": "1.0.0"},
        "streams": {"lidar": {"type": "lidar", "uri": "../../etc/passwd"}}}}))
    refused(run("import", cloud_project, "--annotations", f"openlabel:{escape}"),
            "escape.json", "leaves the images folder")
    on_image = tmp_path / "on_image" / "cuboids.json"
    on_image.parent.mkdir()
    on_image.write_text(json.dumps({
        "format": "annotator-cuboids", "version": 1, "categories": [{"id": 1, "name": "car"}],
        "items": [{"id": 1, "file_name": "a.jpg"}],
        "cuboids": [{"id": 1, "item_id": 1, "category_id": 1,
                     "bbox3d": {"center": [1, 2, 3], "size": [4, 2, 1], "yaw": 0}}]}))
    refused(run("import", cloud_project, "--annotations", f"cuboids:{on_image}"),
            "a.jpg is not a point-cloud tile")
    on_tile = tmp_path / "on_tile.json"
    on_tile.write_text(json.dumps({
        "images": [{"id": 1, "file_name": TILE.name, "width": 32, "height": 24}],
        "annotations": [], "categories": []}))
    refused(run("import", cloud_project, "--annotations", f"coco:{on_tile}"),
            "road_tile_000.laz is not an image")
    huge = tmp_path / "huge" / "cuboids.json"
    huge.parent.mkdir()
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    refused(run("import", cloud_project, "--annotations", f"cuboids:{huge.parent}"),
            "cuboids.json", "bytes")
    refused(run("import", cloud_project, "--annotations", f"openlabel:{tmp_path / 'k'}",
                "--calib", tmp_path / "x.txt"), "--calib", "openlabel")
    assert state(cloud_project) == before


def test_the_demo_project_exports_its_tile(run, tmp_path: Path) -> None:
    folder, built = build_demo(tmp_path / "demo", user="lead")
    assert built
    for format_id in FORMATS:
        out = tmp_path / format_id
        result = run("export", folder, "--format", format_id, "--out", out)
        assert result.returncode == 0, result.stderr
        assert "on 1 point cloud(s)" in result.stdout
        assert (out / "manifest.json").is_file() and (out / "validation.html").is_file()
    assert (tmp_path / "kitti" / "label_2" / "road_tile_000.txt").read_text() == ""

