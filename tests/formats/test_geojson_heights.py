"""GeoJSON heights are above the WGS84 ellipsoid, whatever heights the project keeps."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView
from annotator.formats.geojson import FILE, read, write
from annotator.model import Annotation, LabelSchema
from annotator.shapes import Point3D, Polygon3D, Polyline3D
from tests.formats.test_geojson import CRS, schema, tile
from tests.geometry.geoid import gradient, write_gtx

LINE = Polyline3D([[40000.125, 40000.5, 612.123456789], [40012.5, 40003.25, 612.5],
                   [41030.0, 43010.0, 630.0625]])
AREA = Polygon3D([[40100.0, 39900.0, 610.0], [40104.0, 39900.0, 610.1],
                  [40104.0, 39903.0, 610.2], [40100.0, 39903.0, 610.1]])
SIGN = Point3D([[-25000.0, 15000.0, 1044.5]])


def orthometric(tmp_path: Path, grid: bool = True) -> LabelSchema:
    path = write_gtx(tmp_path / "geoid.gtx", gradient) if grid else None
    return dataclasses.replace(schema(), heights="EPSG:6695",
                               geoid_grid=None if path is None else str(path))


def project_view(s: LabelSchema) -> ProjectView:
    item = tile(1, "t.laz")
    return ProjectView.from_items(s, [ExportItem(item, "t.laz", (
        Annotation(1, 1, "lane_line", LINE), Annotation(2, 1, "crosswalk", AREA),
        Annotation(3, 1, "traffic_sign", SIGN)))])


def undulation(xyz: np.ndarray) -> np.ndarray:
    lon, lat = Transformer.from_crs(CRS, "EPSG:6668", always_xy=True).transform(
        xyz[:, 0], xyz[:, 1])
    return np.asarray(gradient(np.asarray(lon), np.asarray(lat)))


def test_orthometric_heights_go_out_ellipsoidal_and_come_back(tmp_path: Path) -> None:
    s = orthometric(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    v = project_view(s)
    write(v, out).check(v)
    data = json.loads((out / FILE).read_text())
    assert data["annotator"]["heights"] == "ellipsoidal"
    assert data["annotator"]["project_heights"] == "EPSG:6695"
    stored = {1: LINE.vertices, 2: AREA.shell, 3: SIGN.vertices}
    for feature in data["features"]:
        coordinates = feature["geometry"]["coordinates"]
        positions = np.array(
            [coordinates] if feature["geometry"]["type"] == "Point" else
            coordinates[0][:-1] if feature["geometry"]["type"] == "Polygon" else coordinates)
        xyz = stored[feature["id"]]
        expected = xyz[:, 2] + undulation(xyz)
        assert np.abs(positions[:, 2] - expected).max() < 1e-3
    # the sign is 30 km from the line: their undulations differ, so one lookup for all fails
    assert abs(undulation(SIGN.vertices)[0] - undulation(LINE.vertices)[0]) > 0.3
    back = {shape.label: shape.geometry for image in read(out, ImportContext(s)).images
            for shape in image.shapes}
    assert np.abs(back["lane_line"].vertices - LINE.vertices).max() < 1e-3
    assert isinstance(back["crosswalk"], Polygon3D)
    assert np.abs(back["crosswalk"].shell - AREA.shell).max() < 1e-3
    assert np.abs(back["traffic_sign"].vertices - SIGN.vertices).max() < 1e-3


def test_a_missing_geoid_grid_refuses_the_export_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FormatError, match=r"geojson export: .*jp_gsi_gsigeo2011\.tif"):
        write(project_view(orthometric(tmp_path, grid=False)), out)
    assert list(out.iterdir()) == []


def test_a_missing_geoid_grid_refuses_the_import(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write(project_view(schema()), out)
    with pytest.raises(FormatError, match=r"geojson import: .*jp_gsi_gsigeo2011\.tif"):
        read(out, ImportContext(orthometric(tmp_path, grid=False)))


def test_positions_without_height_are_zero_in_project_heights(tmp_path: Path) -> None:
    path = tmp_path / "two_d.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"class": "traffic_sign", "tile": "t.laz"},
         "geometry": {"type": "Point", "coordinates": [140.28, 36.36]}},
        {"type": "Feature", "properties": {"class": "crosswalk", "tile": "t.laz"},
         "geometry": {"type": "Polygon", "coordinates": [[
             [140.28, 36.36], [140.2801, 36.36], [140.2801, 36.3601], [140.28, 36.36]]]}}]}))
    result = read(path, ImportContext(orthometric(tmp_path)))
    geometries = [shape.geometry for shape in result.images[0].shapes]
    assert geometries[0].vertices[0, 2] == 0.0
    assert isinstance(geometries[1], Polygon3D)
    assert np.array_equal(geometries[1].shell[:, 2], np.zeros(3))
    assert any("no height" in problem for problem in result.problems)


def test_files_written_before_the_conversion_keep_their_heights(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write(project_view(schema()), out)
    data = json.loads((out / FILE).read_text())
    data["annotator"]["heights"] = "unchanged"
    (out / FILE).write_text(json.dumps(data))
    back = read(out, ImportContext(orthometric(tmp_path)))
    line = next(s.geometry for s in back.images[0].shapes if s.label == "lane_line")
    assert np.abs(line.vertices - LINE.vertices).max() < 1e-3
