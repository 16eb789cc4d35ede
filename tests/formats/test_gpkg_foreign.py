"""GeoPackages we did not write (made with GDAL here), and hostile ones."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyogrio import raw
from pyproj import Transformer

from annotator.errors import FormatError
from annotator.formats.gpkg import detect, read
from annotator.shapes import Point3D, Polyline3D
from tests.formats.test_gpkg import CRS, LEFT, X0, Y0, Z0, context, export, map_schema


def gdal_layer(path: Path, layer: str, shapes: list[Any], fields: dict[str, list[Any]],
               geometry_type: str, crs: str | None = CRS, **kwargs: Any) -> Path:
    """A layer written by GDAL straight from the test: our writer is not involved."""
    dims = 3 if geometry_type.endswith(" Z") else 2
    wkb = np.array([shapely.to_wkb(s, output_dimension=dims, flavor="iso") for s in shapes],
                   dtype=object)
    data = [np.array(v, dtype=object if isinstance(v[0], str) else None)
            for v in fields.values()]
    raw.write(path, wkb, data, list(fields), layer=layer, driver="GPKG",
              geometry_type=geometry_type, crs=crs, **kwargs)
    return path


def test_a_gis_file_imports_with_classes_tiles_parts_and_reprojection(tmp_path: Path) -> None:
    path = tmp_path / "survey.gpkg"
    first = LEFT[:2]
    second = LEFT[1:].copy()
    gdal_layer(path, "survey_lines", [shapely.MultiLineString([first, second])],
               {"class": ["lane_line"], "line_type": ["solid"], "tile": ["tiles/road 01.laz"]},
               "MultiLineString Z")
    # class from the layer's name, no tile (nearest origin), no heights (z = 0)
    gdal_layer(path, "pole", [shapely.Point(X0 + 99.0, Y0 + 1.0)],
               {"height_m": [6.5]}, "Point")
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(X0 + 1.0, Y0)
    gdal_layer(path, "signs", [shapely.Point(lon, lat, Z0)],
               {"class": ["traffic_sign"], "sign_type": ["stop"], "speed_kmh": [30]},
               "Point Z", crs="EPSG:4326")
    assert detect(path)
    result = read(path, context())
    shapes = [(image.file_name, shape) for image in result.images for shape in image.shapes]
    lines = [s for _, s in shapes if s.label == "lane_line"]
    assert [ln.geometry.vertices.tolist() for ln in lines] == [first.tolist(), second.tolist()]
    assert all(dict(ln.attributes) == {"line_type": "solid"} for ln in lines)
    (pole_tile, pole), = [(t, s) for t, s in shapes if s.label == "pole"]
    assert pole_tile == "tiles/road_02.laz"  # its origin is 1 m away, the other's 99 m
    assert isinstance(pole.geometry, Point3D)
    assert pole.geometry.vertices.tolist() == [[X0 + 99.0, Y0 + 1.0, 0.0]]
    assert dict(pole.attributes) == {"height_m": 6.5}
    (sign_tile, sign), = [(t, s) for t, s in shapes if s.label == "traffic_sign"]
    assert sign_tile == "tiles/road 01.laz"
    assert np.abs(sign.geometry.vertices - [[X0 + 1.0, Y0, Z0]]).max() < 1e-6
    assert dict(sign.attributes) == {"sign_type": "stop", "speed_kmh": 30}
    problems = " | ".join(result.problems)
    assert "re-projected" in problems and "z set to 0" in problems and "split" in problems
    assert all(shape.key is None and not shape.links for _, shape in shapes)


def test_our_file_edited_in_a_gis_keeps_its_lanelet_links(tmp_path: Path) -> None:
    """QGIS re-saving adds columns and rows; the links still name features by id."""
    path = export(tmp_path)
    gdal_layer(path, "lines", [shapely.LineString(LEFT + np.array([0.0, 10.0, 0.0]))],
               {"id": [100], "class": ["stop_line"], "tile": ["tiles/road 01.laz"]},
               "LineString Z", append=True)
    result = read(path, context())
    keys = {s.key: s for image in result.images for s in image.shapes}
    assert isinstance(keys["100"].geometry, Polyline3D)
    assert dict(keys["7"].links) == {"left": "1", "right": "2"}


def test_ids_numbered_per_layer_are_no_keys_unless_a_link_needs_them(tmp_path: Path) -> None:
    path = tmp_path / "numbered.gpkg"
    line = shapely.LineString(LEFT)
    gdal_layer(path, "a", [line], {"id": [1], "class": ["lane_line"],
                                  "tile": ["tiles/road 01.laz"]}, "LineString Z")
    gdal_layer(path, "b", [line], {"id": [1], "class": ["road_edge"],
                                  "tile": ["tiles/road 01.laz"]}, "LineString Z")
    result = read(path, context())
    assert [s.key for image in result.images for s in image.shapes] == [None, None]
    gdal_layer(path, "c", [shapely.Point(X0, Y0, Z0)],
               {"id": [5], "class": ["traffic_sign"], "tile": ["tiles/road 01.laz"],
                "link_stop_line": [1]}, "Point Z")
    refused(path, "several features have id 1, and a link names it")


# -- hostile ---------------------------------------------------------------------------------


def refused(path: Path, match: str) -> str:
    with pytest.raises(FormatError, match=match) as caught:
        read(path, context())
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_sqlite_file_that_is_not_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "notes.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (id INTEGER, text TEXT)")
        db.execute("INSERT INTO notes VALUES (1, 'hello')")
    db.close()
    assert not detect(path)
    refused(path, "not a GeoPackage")


def test_a_sqlite_file_claiming_to_be_a_geopackage_without_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "liar.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
        db.execute("CREATE TABLE lines (id INTEGER)")
    db.close()
    message = refused(path, "GDAL cannot read it as a GeoPackage")
    assert str(path) in message


def test_a_truncated_geopackage(tmp_path: Path) -> None:
    whole = export(tmp_path).read_bytes()
    path = tmp_path / "cut.gpkg"
    path.write_bytes(whole[: len(whole) // 3])
    refused(path, "GDAL cannot read")


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.gpkg"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    refused(path, "not a GeoPackage")


def test_a_tile_name_leaving_the_folder(tmp_path: Path) -> None:
    path = gdal_layer(tmp_path / "evil.gpkg", "lines", [shapely.LineString(LEFT)],
                      {"class": ["lane_line"], "tile": ["../../etc/passwd"]}, "LineString Z")
    refused(path, "leaves the images folder")


def test_nan_coordinates(tmp_path: Path) -> None:
    bad = LEFT.copy()
    bad[1, 2] = np.nan
    path = gdal_layer(tmp_path / "nan.gpkg", "lines", [shapely.LineString(bad)],
                      {"class": ["lane_line"], "tile": ["tiles/road 01.laz"]}, "LineString Z")
    refused(path, "not a finite number")


def test_a_class_the_schema_lacks(tmp_path: Path) -> None:
    path = gdal_layer(tmp_path / "c.gpkg", "lines", [shapely.LineString(LEFT)],
                      {"class": ["tram_rail"], "tile": ["tiles/road 01.laz"]}, "LineString Z")
    refused(path, "classes not in the schema: 'tram_rail'")


def test_a_lanelet_without_its_left_boundary(tmp_path: Path) -> None:
    path = tmp_path / "l.gpkg"
    polygon = shapely.Polygon(np.vstack([LEFT, LEFT[::-1] - [0.0, 3.5, 0.0]]))
    wkb = np.array([shapely.to_wkb(polygon, output_dimension=3, flavor="iso")], dtype=object)
    raw.write(path, wkb, [np.array([7]), np.array(["lanelet"], dtype=object),
                          np.array(["tiles/road 01.laz"], dtype=object),
                          np.array([0]), np.array([2])],
              ["id", "class", "tile", "left_id", "right_id"], field_mask=[
                  None, None, None, np.array([True]), None],
              layer="lanelets", driver="GPKG", geometry_type="Polygon Z", crs=CRS)
    refused(path, "left_id is empty")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_a_layer_without_crs(tmp_path: Path) -> None:
    path = gdal_layer(tmp_path / "n.gpkg", "lines", [shapely.LineString(LEFT)],
                      {"class": ["lane_line"], "tile": ["tiles/road 01.laz"]}, "LineString Z",
                      crs=None)
    refused(path, "has no CRS")


def test_a_file_too_large_to_be_a_map_is_refused_before_gdal_opens_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = export(tmp_path)
    monkeypatch.setenv("ANNOTATOR_MAX_INPUT_BYTES", "1000")
    refused(path, "more than the 1,000 bytes")


def test_curves_and_collections_are_refused(tmp_path: Path) -> None:
    collection = shapely.GeometryCollection([shapely.Point(X0, Y0, Z0),
                                             shapely.LineString(LEFT)])
    path = gdal_layer(tmp_path / "g.gpkg", "things", [collection],
                      {"class": ["lane_line"], "tile": ["tiles/road 01.laz"]},
                      "GeometryCollection Z")
    refused(path, "GeometryCollection is not taken")


def test_a_link_to_a_feature_the_file_lacks_is_dropped_and_reported(tmp_path: Path) -> None:
    """A lanelet exported without one boundary (its tile left out) still comes in."""
    path = gdal_layer(tmp_path / "half.gpkg", "lines", [shapely.LineString(LEFT)],
                      {"id": [1], "class": ["lane_line"], "tile": ["tiles/road 01.laz"]},
                      "LineString Z")
    polygon = shapely.Polygon(np.vstack([LEFT, LEFT[::-1] - [0.0, 3.5, 0.0]]))
    raw.write(path, np.array([shapely.to_wkb(polygon, output_dimension=3)], dtype=object),
              [np.array([7]), np.array(["lanelet"], dtype=object),
               np.array(["tiles/road 01.laz"], dtype=object), np.array([1]), np.array([99]),
               np.array([False]), np.array([True])],
              ["id", "class", "tile", "left_id", "right_id", "left_reversed", "right_reversed"],
              layer="lanelets", driver="GPKG", geometry_type="Polygon Z", crs=CRS)
    result = read(path, context())
    shapes = {s.key: s for image in result.images for s in image.shapes}
    assert dict(shapes["7"].links) == {"left": "1"}
    assert any("does not hold (id 99)" in problem for problem in result.problems)


def test_a_gis_layer_with_other_heights_is_refused(tmp_path: Path) -> None:
    path = gdal_layer(tmp_path / "msl.gpkg", "lines", [shapely.LineString(LEFT)],
                      {"class": ["lane_line"], "tile": ["tiles/road 01.laz"]}, "LineString Z",
                      crs="EPSG:6677+6695")
    refused(path, "heights are JGD2011 \\(vertical\\) height, the project keeps ellipsoidal")
    orthometric = dataclasses.replace(map_schema(), heights="EPSG:6695")
    result = read(path, context(orthometric))
    assert np.array_equal(result.images[0].shapes[0].geometry.vertices, LEFT)
    assert not result.problems
