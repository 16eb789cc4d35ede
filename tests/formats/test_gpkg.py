"""GeoPackage map features: what GDAL and SQLite see, exact round trips, foreign files."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely
from pyogrio import raw

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ImportedShape, ProjectView, available
from annotator.formats.gpkg import FILE, detect, read, write
from annotator.geometry.mapnet import lanelet_links, lanelet_polygon
from annotator.model import Annotation, Item, LabelSchema
from annotator.schema import load_schema
from annotator.shapes import Cuboid, Geometry, Point3D, Polygon3D, Polyline3D

SCHEMA = Path(__file__).resolve().parents[2] / "sample_data" / "schema.yaml"
CRS = "EPSG:6677"
#: the demo road 40 km out of the zone origin: east, north, orthometric-looking heights
X0, Y0, Z0 = -5200.125, 31850.5, 612.123456789

LEFT = np.array([[X0, Y0 + 1.75, Z0], [X0 + 20.5, Y0 + 1.8, Z0 + 0.25],
                 [X0 + 41.0, Y0 + 1.75, Z0 + 0.5]])
MIDDLE = LEFT - [0.0, 3.5, 0.0]
RIGHT = MIDDLE - [0.0, 3.5, 0.0]


def map_schema() -> LabelSchema:
    return load_schema(SCHEMA)


def tile(item_id: int, name: str, origin: tuple[float, float, float]) -> Item:
    return Item(item_id, name, "pointcloud", "laz", "0" * 64, 10, points=10, crs=CRS,
                origin=origin)


def annotations() -> tuple[Annotation, ...]:
    def ann(annotation_id: int, label: str, geometry: Geometry, links: dict[str, int] | None = None,
            **attributes: Any) -> Annotation:
        return Annotation(annotation_id, 1, label, geometry, attributes=attributes,
                          links=links or {})

    crosswalk = Polygon3D([[X0 + 42, Y0 - 5, Z0 + 0.5], [X0 + 46, Y0 - 5, Z0 + 0.5],
                           [X0 + 46, Y0 + 2, Z0 + 0.55], [X0 + 42, Y0 + 2, Z0 + 0.55]],
                          ([[X0 + 43, Y0 - 1, Z0 + 0.5], [X0 + 44, Y0 - 1, Z0 + 0.5],
                            [X0 + 44, Y0, Z0 + 0.5]],))
    return (
        ann(1, "lane_line", Polyline3D(LEFT), line_type="solid", line_color="white"),
        ann(2, "lane_line", Polyline3D(MIDDLE), line_type="dashed", line_color="yellow"),
        ann(3, "road_edge", Polyline3D(RIGHT), edge_type="curb"),
        ann(4, "stop_line", Polyline3D([LEFT[-1], RIGHT[-1]])),
        ann(5, "crosswalk", crosswalk),
        ann(6, "traffic_sign", Point3D([[X0 + 40.0, Y0 + 3.0, Z0 + 2.5]]),
            {"stop_line": 4, "lanelet": 7}, sign_type="stop", sign_code="330", speed_kmh=40),
        ann(7, "lanelet", lanelet_polygon(LEFT, MIDDLE), lanelet_links(1, 2),
            subtype="road", speed_limit=40.0, one_way=True, turn_direction="straight"),
        # the lane of the other direction: the same centre line, used backwards
        ann(8, "lanelet", lanelet_polygon(RIGHT[::-1], MIDDLE[::-1]),
            lanelet_links(3, 2, reverse_left=True, reverse_right=True), subtype="road"),
        ann(9, "pole", Point3D([[X0 - 3.0, Y0 + 4.0, Z0 - 0.25]]), height_m=7.5),
        ann(10, "car", Cuboid([[X0 + 10, Y0, Z0 + 0.8]], [[4.5, 1.8, 1.5]], 0.3)),
    )


def view(schema: LabelSchema | None = None,
         extra: tuple[Annotation, ...] = ()) -> ProjectView:
    one = tile(1, "tiles/road 01.laz", (X0, Y0, 600.0))
    two = tile(2, "tiles/road_02.laz", (X0 + 100.0, Y0, 600.0))
    return ProjectView.from_items(schema or map_schema(), [
        ExportItem(one, one.path, (*annotations(), *extra)),
        ExportItem(two, two.path, (Annotation(11, 2, "lane_line", Polyline3D(
            [LEFT[-1], LEFT[-1] + [30.0, 0.0, 0.1]]), attributes={"line_type": "solid"}),)),
    ])


def export(tmp_path: Path, v: ProjectView | None = None) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    v = v or view()
    report = write(v, out)
    report.check(v)
    assert report.files == [FILE]
    return out / FILE


def context(schema: LabelSchema | None = None) -> ImportContext:
    items = [tile(1, "tiles/road 01.laz", (X0, Y0, 600.0)),
             tile(2, "tiles/road_02.laz", (X0 + 100.0, Y0, 600.0))]
    return ImportContext(schema or map_schema(), items=lambda: items)


def by_key(path: Path) -> dict[str, tuple[str, ImportedShape]]:
    result = read(path, context())
    return {str(shape.key): (image.file_name, shape) for image in result.images
            for shape in image.shapes}


def vertices(geometry: Geometry) -> np.ndarray:
    if isinstance(geometry, Polygon3D):
        return np.vstack([geometry.shell, *geometry.holes])
    return np.asarray(geometry.vertices)


# -- what GDAL and SQLite see ----------------------------------------------------------------


def test_gdal_reads_layers_crs_types_and_counts(tmp_path: Path) -> None:
    path = export(tmp_path)
    layers = {str(n): str(t) for n, t in pyogrio.list_layers(path)}
    assert layers == {"lines": "LineString Z", "polygons": "Polygon Z", "points": "Point Z",
                      "lanelets": "Polygon Z"}
    counts = {name: pyogrio.read_info(path, layer=name)["features"] for name in layers}
    assert counts == {"lines": 5, "polygons": 1, "points": 2, "lanelets": 2}
    info = pyogrio.read_info(path, layer="points")
    assert info["crs"] == CRS and info["driver"] == "GPKG"
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["id"] == "int64" and types["class"] == "object"
    assert types["speed_kmh"] == "int64" and types["height_m"] == "float64"
    assert types["link_stop_line"] == "int64" and types["link_lanelet"] == "int64"
    lanelets = pyogrio.read_info(path, layer="lanelets")
    kinds = dict(zip(lanelets["fields"], lanelets["ogr_subtypes"], strict=True))
    assert kinds["one_way"] == kinds["left_reversed"] == "OFSTBoolean"
    assert dict(zip(lanelets["fields"], lanelets["dtypes"], strict=True))[
        "speed_limit"] == "float64"


def test_sqlite_sees_a_geopackage_with_the_project_srs_and_z(tmp_path: Path) -> None:
    path = export(tmp_path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        srs = db.execute("SELECT organization, organization_coordsys_id FROM "
                         "gpkg_spatial_ref_sys WHERE srs_id = (SELECT srs_id FROM "
                         "gpkg_geometry_columns WHERE table_name = 'lines')").fetchone()
        assert (srs[0].upper(), srs[1]) == ("EPSG", 6677)
        z = dict(db.execute("SELECT table_name, z FROM gpkg_geometry_columns").fetchall())
        assert z == {"lines": 1, "polygons": 1, "points": 1, "lanelets": 1}


def test_coordinates_are_the_stored_ones(tmp_path: Path) -> None:
    path = export(tmp_path)
    stored = {a.id: a for a in annotations()}
    for layer in ("lines", "polygons", "points", "lanelets"):
        _, _, geometry, fields = raw.read(path, layer=layer, columns=["id"])
        for wkb, identifier in zip(geometry, fields[0], strict=True):
            shape = shapely.from_wkb(wkb)
            if identifier == 11:
                continue
            original = stored[int(identifier)].geometry
            if isinstance(original, Polygon3D):
                rings = [shape.exterior, *shape.interiors]
                got = np.vstack([shapely.get_coordinates(r, include_z=True)[:-1]
                                 for r in rings])
            else:
                got = shapely.get_coordinates(shape, include_z=True)
            assert np.abs(got - vertices(original)).max() < 1e-9


def test_the_lanelet_row_names_its_boundaries(tmp_path: Path) -> None:
    path = export(tmp_path)
    _, _, _, fields = raw.read(path, layer="lanelets",
                               columns=["id", "left_id", "right_id", "left_reversed",
                                        "right_reversed", "subtype"])
    rows = {int(r[0]): tuple(r[1:]) for r in zip(*fields, strict=True)}
    assert rows == {7: (1, 2, False, False, "road"), 8: (3, 2, True, True, "road")}


def test_cuboids_are_skipped_and_reported(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = write(view(), out)
    assert [(s.annotation_id, s.kind) for s in report.skipped] == [(10, "cuboid")]
    assert sum(report.written.values()) == 10
    assert detect(out) and detect(out / FILE)


# -- round trip ------------------------------------------------------------------------------


def test_round_trip_gives_back_geometry_attributes_tiles_and_links(tmp_path: Path) -> None:
    back = by_key(export(tmp_path))
    originals = {str(a.id): a for a in annotations() if a.kind != "cuboid"}
    assert set(back) == {*originals, "11"}
    for key, original in originals.items():
        file_name, shape = back[key]
        assert file_name == "tiles/road 01.laz"
        assert shape.label == original.label
        assert type(shape.geometry) is type(original.geometry)
        assert np.abs(vertices(shape.geometry) - vertices(original.geometry)).max() < 1e-9
        assert dict(shape.attributes) == dict(original.attributes), key
    assert back["11"][0] == "tiles/road_02.laz"
    assert dict(back["7"][1].links) == {"left": "1", "right": "2"}
    assert dict(back["8"][1].links) == {"left": "-3", "right": "-2"}
    assert dict(back["6"][1].links) == {"stop_line": "4", "lanelet": "7"}
    assert not back["1"][1].links
    holes = back["5"][1].geometry
    assert isinstance(holes, Polygon3D) and len(holes.holes) == 1


def test_typed_values_come_back_typed(tmp_path: Path) -> None:
    back = by_key(export(tmp_path))
    sign = back["6"][1].attributes
    assert sign["speed_kmh"] == 40 and type(sign["speed_kmh"]) is int
    assert sign["sign_code"] == "330"
    lanelet = back["7"][1].attributes
    assert lanelet["one_way"] is True and type(lanelet["speed_limit"]) is float


def test_undeclared_attributes_keep_their_types(tmp_path: Path) -> None:
    extra = (Annotation(20, 1, "stop_line", Polyline3D([LEFT[0], RIGHT[0]]),
                        attributes={"surveyed": True, "lanes": 2, "wear": 0.25,
                                    "note": "repainted 2025", "link_type": "painted"}),)
    back = by_key(export(tmp_path, view(extra=extra)))
    assert dict(back["20"][1].attributes) == {"surveyed": True, "lanes": 2, "wear": 0.25,
                                              "note": "repainted 2025", "link_type": "painted"}
    assert not back["20"][1].links


def test_contract_suite_knows_the_format() -> None:
    spec = available()["gpkg"]
    assert spec.media == "pointcloud" and spec.extensions == (".gpkg",)
    assert spec.kinds == {"polyline3d", "polygon3d", "point3d"}


# -- export refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(("attributes", "error"), [
    ({"tile": "x"}, "has the name of a column"),
    ({"Left_ID": 3}, "has the name of a column"),
    ({"link_x": 3}, "which a reader takes for a link"),
    ({"link_stop_line": "x"}, "has the name of a column"),
    ({"Wear": 1.0, "wear": 2.0}, "differ only in case"),
    ({"list": [1, 2]}, "is not one value"),
    ({"big": 2**70}, "does not fit"),
])
def test_attributes_a_geopackage_cannot_hold_are_refused_and_nothing_is_left(
        tmp_path: Path, attributes: dict[str, Any], error: str) -> None:
    extra = (Annotation(20, 1, "stop_line", Polyline3D([LEFT[0], RIGHT[0]]),
                        attributes=attributes, links={"stop_line": 4}),)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FormatError, match=error) as caught:
        write(view(extra=extra), out)
    assert "\n" not in str(caught.value)
    assert list(out.iterdir()) == []


def test_a_project_without_crs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no CRS"):
        write(view(dataclasses.replace(map_schema(), crs=None)), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_file_with_other_heights_than_the_project_is_refused(tmp_path: Path) -> None:
    path = export(tmp_path)
    orthometric = dataclasses.replace(map_schema(), heights="EPSG:6695")
    with pytest.raises(FormatError, match="heights are ellipsoidal, the project keeps "
                                          "EPSG:6695"):
        read(path, context(orthometric))


def test_unsaved_annotations_have_no_id_and_no_key(tmp_path: Path) -> None:
    one = tile(1, "t.laz", (X0, Y0, 600.0))
    v = ProjectView.from_items(map_schema(), [ExportItem(one, one.path, (
        Annotation(None, 1, "pole", Point3D([[X0, Y0, Z0]]), attributes={"height_m": 5}),))])
    path = export(tmp_path, v)
    _, _, _, fields = raw.read(path, layer="points", columns=["id", "height_m"])
    assert np.isnan(fields[0][0]) and fields[1][0] == 5.0  # a real column, as declared
    (shape,) = read(path, context()).images[0].shapes
    assert shape.key is None and shape.attributes == {"height_m": 5.0}


def test_orthometric_heights_make_the_crs_compound(tmp_path: Path) -> None:
    orthometric = dataclasses.replace(map_schema(), heights="EPSG:6695")
    path = export(tmp_path, view(orthometric))
    with sqlite3.connect(path) as db:
        (definition,) = db.execute(
            "SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = (SELECT srs_id FROM "
            "gpkg_geometry_columns WHERE table_name = 'lines')").fetchone()
    db.close()
    assert "JGD2011 (vertical) height" in definition and "Plane Rectangular CS IX" in definition
    back = read(path, context(orthometric))
    assert sum(len(image.shapes) for image in back.images) == 10
    with pytest.raises(FormatError, match="heights are EPSG:6695, the project keeps "
                                          "ellipsoidal"):
        read(path, context())
