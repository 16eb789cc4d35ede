"""GeoJSON map features: axis order, 1 mm round trips 40 km out, foreign files, hostile input."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, available
from annotator.formats.geojson import FILE, detect, read, write
from annotator.model import Annotation, AttributeSpec, Item, LabelClass, LabelSchema
from annotator.shapes import Box, Cuboid, Geometry, Point3D, Polygon3D, Polyline3D

CRS = "EPSG:6677"  # JGD2011 plane rectangular IX: origin 36N 139d50'E; X north, Y east


def schema(crs: str | None = CRS) -> LabelSchema:
    return LabelSchema("map", (
        LabelClass("lane_line", "#d55e00", ("polyline3d",),
                   (AttributeSpec("line_type", "enum", ("solid", "dashed")),
                    AttributeSpec("lanes", "int"), AttributeSpec("painted", "bool"))),
        LabelClass("crosswalk", "#ffffff", ("polygon3d",)),
        LabelClass("traffic_sign", "#f0e442", ("point3d", "cuboid", "box"),
                   (AttributeSpec("sign_code", "text"),)),
    ), crs=crs)


def tile(item_id: int, name: str, crs: str | None = CRS) -> Item:
    return Item(item_id, name, "pointcloud", "laz", "0" * 64, 10, points=10, crs=crs,
                origin=(40000.0, 40000.0, 0.0))


#: 40 km east and 40 km north of the CRS origin, heights with many digits
LINE = Polyline3D([[40000.125, 40000.5, 41.123456789], [40012.5, 40003.25, 41.5],
                   [40030.0, 40010.0, 42.0625]])
AREA = Polygon3D([[40100.0, 39900.0, 40.0], [40104.0, 39900.0, 40.1],
                  [40104.0, 39903.0, 40.2], [40100.0, 39903.0, 40.1]],
                 ([[40101.0, 39901.0, 40.05], [40102.0, 39901.0, 40.05],
                   [40102.0, 39902.0, 40.05]],))
SIGN = Point3D([[39995.75, 40020.25, 44.5]])


def view(s: LabelSchema | None = None, extra: tuple[Annotation, ...] = (),
         second_crs: str | None = None) -> ProjectView:
    s = s or schema()
    one, two = tile(1, "media/tile a.laz"), tile(2, "media/b.laz", second_crs)
    return ProjectView.from_items(s, [
        ExportItem(one, one.path, (
            Annotation(1, 1, "lane_line", LINE,
                       attributes={"line_type": "dashed", "lanes": 2, "painted": True}),
            Annotation(2, 1, "crosswalk", AREA),
            Annotation(3, 1, "traffic_sign", SIGN, attributes={"sign_code": "326"}),
            *extra)),
        ExportItem(two, two.path, (Annotation(4, 2, "lane_line", Polyline3D(
            [[40050.0, 40050.0, 41.0], [40060.0, 40050.0, 41.0]])),)),
    ])


def export(tmp_path: Path, v: ProjectView | None = None) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    v = v or view()
    write(v, out).check(v)
    return out


def shapes(out: Path, s: LabelSchema | None = None) -> dict[tuple[str, str], Any]:
    result = read(out, ImportContext(s or schema()))
    return {(image.file_name, shape.label): shape for image in result.images
            for shape in image.shapes}


def _positions(geometry: dict[str, Any], every_ring: bool = False) -> list[list[float]]:
    """The positions of a Point, a LineString, or a Polygon's shell (or all its rings)."""
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Point":
        return [coordinates]
    if geometry["type"] == "LineString":
        return list(coordinates)
    return [p for ring in coordinates for p in ring] if every_ring else list(coordinates[0])


def test_axis_order_is_easting_northing_in_and_lon_lat_out(tmp_path: Path) -> None:
    north = Point3D([[0.0, 40000.0, 0.0]])   # 40 km north of the origin
    east = Point3D([[40000.0, 0.0, 0.0]])    # 40 km east of it
    items = [ExportItem(tile(1, "t.laz"), "t.laz", (
        Annotation(1, 1, "traffic_sign", north), Annotation(2, 1, "traffic_sign", east)))]
    out = export(tmp_path, ProjectView.from_items(schema(), items))
    features = json.loads((out / FILE).read_text())["features"]
    (lon_n, lat_n, _), (lon_e, lat_e, _) = (f["geometry"]["coordinates"] for f in features)
    origin_lon = 139 + 50 / 60
    assert lon_n == pytest.approx(origin_lon, abs=1e-6)
    assert lat_n == pytest.approx(36 + 40000 / 110_950, abs=2e-3)  # about 36.36 N
    assert lat_e == pytest.approx(36.0, abs=1e-2)
    assert lon_e == pytest.approx(origin_lon + 40000 / 90_200, abs=3e-3)  # about 140.28 E


def test_export_is_rfc7946_with_nine_or_more_decimals_and_properties(tmp_path: Path) -> None:
    out = export(tmp_path)
    text = (out / FILE).read_text()
    data = json.loads(text)
    assert data["type"] == "FeatureCollection" and "crs" not in data
    assert data["annotator"]["crs"] == CRS
    kinds = {f["properties"]["id"]: f["geometry"]["type"] for f in data["features"]}
    assert kinds == {1: "LineString", 2: "Polygon", 3: "Point", 4: "LineString"}
    line = data["features"][0]
    assert line["properties"] == {"class": "lane_line", "kind": "polyline3d", "id": 1,
                                  "tile": "media/tile a.laz", "line_type": "dashed",
                                  "lanes": 2, "painted": True}
    rings = data["features"][1]["geometry"]["coordinates"]
    assert [len(r) for r in rings] == [5, 4]
    assert all(r[0] == r[-1] for r in rings)
    # every longitude and latitude has at least 9 decimals (unless it ends in zeros)
    for feature in data["features"]:
        for position in _positions(feature["geometry"], every_ring=True):
            for number in position[:2]:
                assert len(repr(number).split(".")[1]) >= 9, number
    assert re.search(r"140\.\d{9,},36\.\d{9,}", text)
    # heights pass through unchanged
    assert data["features"][0]["geometry"]["coordinates"][0][2] == 41.123456789


def test_exported_lon_lat_reprojected_with_pyproj_equal_the_stored_coordinates(
        tmp_path: Path) -> None:
    out = export(tmp_path)
    back = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    features = {f["id"]: f["geometry"] for f in json.loads((out / FILE).read_text())["features"]}
    for feature_id, stored in ((1, LINE.vertices), (3, SIGN.vertices),
                               (2, AREA.shell)):
        positions = np.array(_positions(features[feature_id]))
        if feature_id == 2:
            positions = positions[:-1]  # the shell, without its closing position
        x, y = back.transform(positions[:, 0], positions[:, 1])
        assert np.abs(np.column_stack([x, y]) - stored[:, :2]).max() < 1e-3
        assert np.array_equal(positions[:, 2], stored[:, 2])


def _max_error(a: Geometry, b: Geometry) -> float:
    return float(np.abs(np.asarray(a.vertices) - np.asarray(b.vertices)).max())


def test_round_trip_40_km_out_is_within_a_millimetre(tmp_path: Path) -> None:
    got = shapes(export(tmp_path))
    assert set(got) == {("media/tile a.laz", "lane_line"), ("media/tile a.laz", "crosswalk"),
                        ("media/tile a.laz", "traffic_sign"), ("media/b.laz", "lane_line")}
    line = got[("media/tile a.laz", "lane_line")]
    assert isinstance(line.geometry, Polyline3D) and _max_error(line.geometry, LINE) < 1e-3
    assert dict(line.attributes) == {"line_type": "dashed", "lanes": 2, "painted": True}
    area = got[("media/tile a.laz", "crosswalk")].geometry
    assert isinstance(area, Polygon3D) and len(area.holes) == 1
    assert _max_error(area, AREA) < 1e-3
    sign = got[("media/tile a.laz", "traffic_sign")]
    assert isinstance(sign.geometry, Point3D) and _max_error(sign.geometry, SIGN) < 1e-3
    assert sign.attributes == {"sign_code": "326"}
    # heights come back exactly, as written
    assert np.array_equal(line.geometry.vertices[:, 2], LINE.vertices[:, 2])


def test_cuboids_2d_shapes_and_tiles_in_another_crs_are_skipped_and_reported(
        tmp_path: Path) -> None:
    extra = (Annotation(5, 1, "traffic_sign", Cuboid([[40000, 40000, 40]], [[1, 1, 1]], 0.0)),
             Annotation(6, 1, "traffic_sign", Box.from_corners(1, 1, 5, 5)))
    v = view(extra=extra, second_crs="EPSG:6676")
    out = tmp_path / "out"
    out.mkdir()
    report = write(v, out)
    report.check(v)
    reasons = {s.annotation_id: s.reason for s in report.skipped}
    assert set(reasons) == {4, 5, 6}
    assert "solids" in reasons[5] and "image shape" in reasons[6] and "EPSG:6676" in reasons[4]
    assert len(json.loads((out / FILE).read_text())["features"]) == 3


def test_a_project_without_a_crs_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no CRS") as caught:
        write(view(schema(None)), tmp_path)
    assert "\n" not in str(caught.value)
    out = export(tmp_path)
    with pytest.raises(FormatError, match="no CRS"):
        read(out, ImportContext(schema(None)))


def test_foreign_qgis_style_collection_is_read(tmp_path: Path) -> None:
    to = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = to.transform(40000.0, 40000.0)
    lon2, lat2 = to.transform(40010.0, 40000.0)
    path = tmp_path / "qgis.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection", "name": "lanes", "tile": "media/tile a.laz",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [
            {"type": "Feature", "properties": {"fid": 7, "class": "lane_line",
                                               "line_type": "solid", "lanes": "3",
                                               "style": {"width": 0.15}},
             "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon2, lat2]]}},
            {"type": "Feature", "properties": {"class": "traffic_sign", "tile": "media/b.laz"},
             "geometry": {"type": "Point", "coordinates": [lon, lat, 45.0]}},
        ]}))
    assert detect(path)
    result = read(path, ImportContext(schema()))
    by_name = {i.file_name: i.shapes for i in result.images}
    line = by_name["media/tile a.laz"][0]
    assert line.attributes == {"fid": 7, "line_type": "solid", "lanes": 3}
    assert _max_error(line.geometry, Polyline3D([[40000, 40000, 0], [40010, 40000, 0]])) < 1e-3
    assert by_name["media/b.laz"][0].geometry.vertices[0, 2] == 45.0
    assert any("no height" in p for p in result.problems)
    assert any("'style'" in p for p in result.problems)


def _collection(features: list[Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", **extra, "features": features}


def _feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"class": "lane_line", "tile": "t.laz", **properties}}


GOOD_LINE = {"type": "LineString", "coordinates": [[140.2, 36.3, 1.0], [140.21, 36.3, 1.0]]}
HOSTILE: dict[str, Any] = {
    "malformed": '{"type": "FeatureCollection", "features": [',
    "not a collection": json.dumps({"type": "Feature"}),
    "features not a list": json.dumps(_collection({"a": 1})),  # type: ignore[arg-type]
    "feature not an object": json.dumps(_collection([3])),
    "nan": '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
           '{"class":"lane_line","tile":"t.laz"},"geometry":{"type":"Point",'
           '"coordinates":[NaN,36,0]}}]}',
    "1e300": json.dumps(_collection([_feature({"type": "Point",
                                               "coordinates": [140.0, 36.0, 1e300]})])),
    "latitude 95": json.dumps(_collection([_feature({"type": "Point",
                                                     "coordinates": [140.0, 95.0]})])),
    "text coordinate": json.dumps(_collection([_feature({"type": "Point",
                                                         "coordinates": ["140", 36.0]})])),
    "bool coordinate": json.dumps(_collection([_feature({"type": "Point",
                                                         "coordinates": [True, 36.0]})])),
    "multipolygon": json.dumps(_collection([_feature({"type": "MultiPolygon",
                                                      "coordinates": []})])),
    "geometry collection": json.dumps(_collection([_feature(
        {"type": "GeometryCollection", "geometries": []})])),
    "null geometry": json.dumps(_collection([_feature(None)])),
    "open ring": json.dumps(_collection([_feature({"type": "Polygon", "coordinates": [
        [[140.0, 36.0], [140.1, 36.0], [140.1, 36.1], [140.0, 36.2]]]},
        **{"class": "crosswalk"})])),
    "one-point line": json.dumps(_collection([_feature({"type": "LineString",
                                                        "coordinates": [[140.0, 36.0]]})])),
    "no class": json.dumps(_collection([_feature(GOOD_LINE, **{"class": None})])),
    "no tile": json.dumps(_collection([_feature(GOOD_LINE, tile=None)])),
    "escaping tile": json.dumps(_collection([_feature(GOOD_LINE, tile="../../etc/x.laz")])),
    "unknown class": json.dumps(_collection([_feature(GOOD_LINE, **{"class": "tree"})])),
    "kind mismatch": json.dumps(_collection([_feature(GOOD_LINE, kind="point3d")])),
    "bad enum": json.dumps(_collection([_feature(GOOD_LINE, lanes="many")])),
    "web mercator crs": json.dumps(_collection(
        [_feature(GOOD_LINE)], crs={"type": "name", "properties": {"name": "EPSG:3857"}})),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_is_one_line_format_error(case: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(HOSTILE[case])
    with pytest.raises(FormatError) as caught:
        read(path, ImportContext(schema()))
    message = str(caught.value)
    assert "\n" not in message and "bad.geojson" in message


def test_a_2_gb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.geojson"
    with path.open("wb") as handle:
        handle.write(b'{"type":"FeatureCollection","features":[')
        os.truncate(handle.fileno(), 2 * 1024**3)  # sparse: no 2 GB on disk
    with pytest.raises(FormatError, match="more than the"):
        read(path, ImportContext(schema()))


def test_detect_takes_collections_only(tmp_path: Path) -> None:
    out = export(tmp_path)
    assert detect(out) and detect(out / FILE)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"images": [], "type": "instances"}))
    assert not detect(other)
    assert available()["geojson"].media == "pointcloud"
