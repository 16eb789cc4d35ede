"""Ellipsoidal heights from orthometric ones with a real PROJ grid, and the refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from annotator.errors import FormatError, SchemaError
from annotator.geometry.heights import from_ellipsoidal, to_ellipsoidal
from annotator.model import LabelClass, LabelSchema
from annotator.schema import load_schema, parse_schema, parse_schema_text
from tests.geometry.geoid import gradient, write_geotiff, write_gtx

CRS = "EPSG:6677"  # JGD2011 plane rectangular IX, origin 36N 139d50'E
CLASSES = (LabelClass("pole", "#e69f00", ("point3d",)),)

#: points 30 km around the zone origin, heights of a mountain road
POINTS = np.array([[0.0, 0.0, 612.25],
                   [-31234.5678, 25432.1, 1003.125],
                   [28000.0, -30500.25, 0.5],
                   [12.5, -45000.0, -3.75]])


def orthometric(grid: Path | None) -> LabelSchema:
    return LabelSchema("s", CLASSES, CRS, heights="EPSG:6695",
                       geoid_grid=None if grid is None else str(grid))


def lonlat(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = Transformer.from_crs(CRS, "EPSG:6668", always_xy=True).transform(
        xyz[:, 0], xyz[:, 1])
    return np.asarray(lon), np.asarray(lat)


def test_ellipsoidal_heights_are_the_stored_ones() -> None:
    schema = LabelSchema("s", CLASSES, CRS)
    assert np.array_equal(to_ellipsoidal(schema, POINTS), POINTS[:, 2])
    assert np.array_equal(from_ellipsoidal(schema, POINTS), POINTS[:, 2])
    assert to_ellipsoidal(schema, POINTS).dtype == np.float64


def test_a_constant_geoid_adds_its_undulation_both_ways(tmp_path: Path) -> None:
    grid = write_gtx(tmp_path / "flat.gtx", lambda lon, lat: np.full_like(lon, 36.7))
    schema = orthometric(grid)
    h = to_ellipsoidal(schema, POINTS)
    assert np.abs(h - (POINTS[:, 2] + 36.7)).max() < 1e-3
    back = from_ellipsoidal(schema, np.column_stack([POINTS[:, :2], h]))
    assert np.abs(back - POINTS[:, 2]).max() < 1e-6


def test_a_sloping_geoid_is_looked_up_where_each_point_lies(tmp_path: Path) -> None:
    grid = write_gtx(tmp_path / "slope.gtx", gradient)
    schema = orthometric(grid)
    lon, lat = lonlat(POINTS)
    expected = POINTS[:, 2] + gradient(lon, lat)
    h = to_ellipsoidal(schema, POINTS)
    assert np.abs(h - expected).max() < 1e-3
    # the undulation differs by metres between the points, so a lookup at the wrong
    # place (e.g. x and y swapped, or the zone origin for all) would fail above
    assert np.ptp(h - POINTS[:, 2]) > 1.0
    ellipsoidal = np.column_stack([POINTS[:, :2], expected])
    assert np.abs(from_ellipsoidal(schema, ellipsoidal) - POINTS[:, 2]).max() < 1e-3


def test_a_geotiff_grid_gives_what_the_gtx_gives(tmp_path: Path) -> None:
    tif = orthometric(write_geotiff(tmp_path / "slope.tif", gradient))
    gtx = orthometric(write_gtx(tmp_path / "slope.gtx", gradient))
    lon, lat = lonlat(POINTS)
    h = to_ellipsoidal(tif, POINTS)
    assert np.abs(h - (POINTS[:, 2] + gradient(lon, lat))).max() < 1e-3
    assert np.abs(h - to_ellipsoidal(gtx, POINTS)).max() < 1e-4
    back = from_ellipsoidal(tif, np.column_stack([POINTS[:, :2], h]))
    assert np.abs(back - POINTS[:, 2]).max() < 1e-6


def test_a_grid_path_with_spaces_works(tmp_path: Path) -> None:
    folder = tmp_path / "survey data"
    folder.mkdir()
    grid = write_gtx(folder / "geoid model.gtx", lambda lon, lat: np.full_like(lon, 40.0))
    assert np.abs(to_ellipsoidal(orthometric(grid), POINTS[:1]) - 652.25).max() < 1e-3


def test_proj_without_the_japanese_geoid_refuses_and_names_the_grid() -> None:
    with pytest.raises(FormatError, match=r"jp_gsi_gsigeo2011\.tif.*geoid_grid") as caught:
        to_ellipsoidal(orthometric(None), POINTS)
    assert "\n" not in str(caught.value)
    with pytest.raises(FormatError, match="jp_gsi_gsigeo2011"):
        from_ellipsoidal(orthometric(None), POINTS)


def test_a_missing_or_unreadable_grid_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="is not a file"):
        to_ellipsoidal(orthometric(tmp_path / "gone.gtx"), POINTS)
    junk = tmp_path / "junk.gtx"
    junk.write_bytes(b"not a grid at all")
    with pytest.raises(FormatError, match="cannot read it as a vertical grid"):
        to_ellipsoidal(orthometric(junk), POINTS)


def test_points_outside_the_grid_are_refused(tmp_path: Path) -> None:
    grid = write_gtx(tmp_path / "g.gtx", gradient)
    far = np.array([[0.0, 600000.0, 10.0]])  # 600 km east: off the grid
    with pytest.raises(FormatError, match="outside"):
        to_ellipsoidal(orthometric(grid), far)


# -- the schema keys -------------------------------------------------------------------------

HEAD = "name: map\ncrs: EPSG:6677\n"
TAIL = "classes:\n  - {name: pole, color: '#e69f00', kinds: [point3d]}\n"


def test_old_schemas_mean_ellipsoidal_and_write_nothing_new() -> None:
    schema = parse_schema_text(HEAD + TAIL, "s.yaml")
    assert (schema.heights, schema.geoid_grid) == ("ellipsoidal", None)
    assert "heights" not in schema.to_json() and "geoid_grid" not in schema.to_json()


def test_a_relative_grid_is_taken_from_the_schema_folder(tmp_path: Path) -> None:
    (tmp_path / "grids").mkdir()
    grid = write_gtx(tmp_path / "grids" / "g.gtx", gradient)
    path = tmp_path / "schema.yaml"
    path.write_text(HEAD + "heights: EPSG:6695\ngeoid_grid: grids/g.gtx\n" + TAIL)
    schema = load_schema(path)
    assert schema.heights == "EPSG:6695"
    assert schema.geoid_grid == str(grid.resolve())
    again = parse_schema(schema.to_json(), "stored")
    assert (again.heights, again.geoid_grid) == (schema.heights, schema.geoid_grid)


@pytest.mark.parametrize(("extra", "error"), [
    ("heights: EPSG:6677\n", r"s.yaml:3: heights: 'EPSG:6677' is a Projected CRS, not a "
                             "vertical CRS"),
    ("heights: EPSG:999999\n", r"s.yaml:3: heights: 'EPSG:999999' is not a coordinate"),
    ("heights: 12\n", r"s.yaml:3: heights: must be 'ellipsoidal'"),
    ("geoid_grid: g.gtx\n", r"s.yaml:3: geoid_grid: a geoid grid needs 'heights'"),
    ("heights: EPSG:6695\ngeoid_grid: g.txt\n", r"s.yaml:4: geoid_grid: 'g.txt' is not a "
                                                "PROJ vertical grid"),
    ("heights: EPSG:6695\ngeoid_grid: nowhere.gtx\n", r"s.yaml:4: geoid_grid: .*nowhere.gtx "
                                                      "is not a file"),
])
def test_bad_height_keys_name_their_line(tmp_path: Path, extra: str, error: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + extra + TAIL)
    with pytest.raises(SchemaError, match=error.replace("s.yaml", f"{path}")):
        load_schema(path)


def test_heights_need_a_horizontal_crs() -> None:
    with pytest.raises(SchemaError, match=r"s\.yaml:2: heights: needs 'crs'"):
        parse_schema_text("name: map\nheights: EPSG:6695\n" + TAIL, "s.yaml")


def test_a_vertical_crs_proj_knows_no_geoid_for_here_is_refused() -> None:
    schema = LabelSchema("s", CLASSES, CRS, heights="EPSG:5703")  # NAVD88, North America
    with pytest.raises(FormatError, match="knows no geoid model"):
        to_ellipsoidal(schema, POINTS)
