"""GeoJSON map features through the real CLI, on the sample LAZ road tile (EPSG:6677)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Transformer

from annotator.commands import AddAnnotations
from annotator.model import Annotation
from annotator.project import Project
from annotator.schema import load_schema
from annotator.shapes import Cuboid, Geometry, Point3D, Polygon3D, Polyline3D
from tests.cli.conftest import SCHEMA, TILE

REPO = Path(__file__).resolve().parents[2]


def features() -> list[tuple[str, Geometry, dict[str, Any]]]:
    """Map features on the tile, about 12 km west and 35 km south of the CRS origin."""
    return [
        ("lane_line", Polyline3D([[-11985.25, -35001.5, 40.3125], [-11975.0, -34995.75, 40.5],
                                  [-11960.5, -34990.0, 40.75]]),
         {"line_type": "dashed", "line_color": "yellow"}),
        ("crosswalk", Polygon3D([[-11980.0, -35000.0, 40.25], [-11976.0, -35000.0, 40.25],
                                 [-11976.0, -34997.0, 40.3], [-11980.0, -34997.0, 40.3]]), {}),
        ("pole", Point3D([[-11970.0, -34995.0, 40.0]]), {"height_m": 7.0}),
    ]


def add(folder: Path) -> None:
    with Project.open(folder, "lead") as project:
        project.stack.push(AddAnnotations(
            [Annotation(None, 2, label, geometry, attributes)
             for label, geometry, attributes in features()]
            + [Annotation(None, 2, "pole", Cuboid([[-11970.0, -34995.0, 43.0]],
                                                  [[0.3, 0.3, 7.0]], 0.0), {})]))


def stored(folder: Path) -> list[Annotation]:
    with Project.open(folder, "lead") as project:
        return [a for a in project.store.annotations_for_item(2) if a.kind != "cuboid"]


def test_export_is_a_deliverable_that_reprojects_onto_the_stored_coordinates(
        run, cloud_project: Path, tmp_path: Path) -> None:
    add(cloud_project)
    out = tmp_path / "out"
    result = run("export", cloud_project, "--format", "geojson", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "wrote 3 annotation(s) on 1 point cloud(s)" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "geojson" and manifest["annotations"] == 3
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert "map.geojson" in manifest["files"]
    report = json.loads((out / "report.json").read_text())
    assert [s["kind"] for s in report["skipped"]] == ["cuboid"]

    data = json.loads((out / "map.geojson").read_text())
    back = Transformer.from_crs("EPSG:4326", "EPSG:6677", always_xy=True)
    by_class = {f["properties"]["class"]: f for f in data["features"]}
    for label, geometry, attributes in features():
        feature = by_class[label]
        assert {k: v for k, v in feature["properties"].items()
                if k not in ("class", "kind", "id", "tile")} == attributes
        assert feature["properties"]["tile"] == "road_tile_000.laz"
        coordinates = feature["geometry"]["coordinates"]
        kind = feature["geometry"]["type"]
        positions = np.array([coordinates] if kind == "Point" else
                             coordinates if kind == "LineString" else coordinates[0][:-1])
        x, y = back.transform(positions[:, 0], positions[:, 1])
        want = np.asarray(geometry.vertices)
        assert np.abs(np.column_stack([x, y]) - want[:, :2]).max() < 1e-3
        assert np.array_equal(positions[:, 2], want[:, 2])


def test_export_then_import_into_a_fresh_project_is_within_a_millimetre(
        run, cloud_project: Path, cloud_template: Path, tmp_path: Path) -> None:
    add(cloud_project)
    out = tmp_path / "out"
    assert run("export", cloud_project, "--format", "geojson", "--out", out).returncode == 0
    fresh = tmp_path / "fresh"
    shutil.copytree(cloud_template, fresh)
    result = run("import", fresh, "--annotations", f"geojson:{out}")
    assert result.returncode == 0, result.stderr
    assert "imported 3 annotation(s) on 1 item(s)" in result.stdout
    got = sorted(stored(fresh), key=lambda a: a.label)
    want = sorted(stored(cloud_project), key=lambda a: a.label)
    assert [a.label for a in got] == [a.label for a in want]
    for a, b in zip(got, want, strict=True):
        assert a.kind == b.kind and dict(a.attributes) == dict(b.attributes)
        error = np.abs(np.asarray(a.geometry.vertices) - np.asarray(b.geometry.vertices))
        assert error.max() < 1e-3


def test_hostile_geojson_is_refused_and_the_project_is_unchanged(
        run, refused, state, cloud_project: Path, tmp_path: Path) -> None:
    add(cloud_project)
    before = state(cloud_project)
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"class": "pole", "tile": "road_tile_000.laz"},
         "geometry": {"type": "Point", "coordinates": [139.7, 35.7, 1.0]}},
        {"type": "Feature", "properties": {"class": "pole", "tile": "road_tile_000.laz"},
         "geometry": {"type": "MultiPoint", "coordinates": [[139.7, 35.7]]}}]}))
    refused(run("import", cloud_project, "--annotations", f"geojson:{bad}"), "MultiPoint")
    assert state(cloud_project) == before


def test_a_project_without_a_crs_is_refused_in_one_line(run, refused, tmp_path: Path) -> None:
    schema = tmp_path / "schema.yaml"
    schema.write_text("\n".join(line for line in SCHEMA.read_text().splitlines()
                                if not line.startswith("crs:")))
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(TILE, media / TILE.name)
    folder = tmp_path / "proj"
    with Project.create(folder, load_schema(schema), "lead") as created:
        created.import_media([media / TILE.name])
    refused(run("export", folder, "--format", "geojson", "--out", tmp_path / "out"),
            "no CRS", "WGS84")
    assert not (tmp_path / "out").exists()
