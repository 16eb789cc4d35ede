from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.errors import GeometryError
from annotator.shapes import (
    GEOMETRY_KINDS,
    Box,
    Cuboid,
    Point,
    Point3D,
    Polygon,
    Polygon3D,
    Polyline,
    Polyline3D,
    RotatedBox,
    geometry_from_json,
)

EXAMPLES = [
    Box.from_corners(1.5, 2.25, 10.125, 20.0),
    RotatedBox(5.0, 6.0, 4.0, 2.0, 0.3),
    Polygon(np.array([[0, 0], [10, 0], [10, 10], [0, 10]]),
            (np.array([[2, 2], [4, 2], [4, 4]]),)),
    Polyline(np.array([[0, 0], [1, 1], [2, 0]])),
    Point.at(3.0, 4.0),
    Cuboid(np.array([-12000.123, -35000.456, 1.5]), np.array([4.5, 1.8, 1.5]), 0.7),
    Polyline3D(np.array([[-12000.0, -35000.0, 0.0], [-11990.0, -35000.0, 0.1]])),
    Polygon3D(np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0.5]])),
    Point3D.at(-12000.001, -35000.002, 3.0),
]


def test_every_kind_has_an_example() -> None:
    assert {g.kind for g in EXAMPLES} == set(GEOMETRY_KINDS)


@pytest.mark.parametrize("geometry", EXAMPLES, ids=lambda g: g.kind)
def test_json_round_trip_is_exact(geometry) -> None:
    again = geometry_from_json(geometry.to_json())
    assert again == geometry
    assert again.to_json() == geometry.to_json()


@pytest.mark.parametrize("geometry", EXAMPLES, ids=lambda g: g.kind)
def test_shapes_are_immutable(geometry) -> None:
    with pytest.raises(ValueError):
        geometry.vertices[0, 0] = 99.0
    with pytest.raises(AttributeError):
        geometry.kind = "other"


@pytest.mark.parametrize("geometry", EXAMPLES, ids=lambda g: g.kind)
def test_translate_moves_every_vertex(geometry) -> None:
    moved = geometry.translated([1.0, -2.0])
    assert np.allclose(moved.vertices[:, :2], geometry.vertices[:, :2] + [1.0, -2.0])


def test_plane_rectangular_coordinates_keep_millimetres() -> None:
    point = Point3D.at(-12345.678, -34567.891, 12.345)
    again = geometry_from_json(point.to_json())
    assert again.vertices[0].tolist() == [-12345.678, -34567.891, 12.345]


def test_box_normalises_corner_order() -> None:
    assert Box.from_corners(10, 20, 4, 2).to_json()["coords"] == [4.0, 2.0, 10.0, 20.0]


def test_move_one_polygon_vertex_keeps_holes() -> None:
    polygon = EXAMPLES[2]
    moved = polygon.moved([4], [0.5, 0.5])  # index 4 is the first hole vertex
    assert np.array_equal(moved.shell, polygon.shell)
    assert moved.holes[0][0].tolist() == [2.5, 2.5]


def test_rotated_box_rebuilds_from_its_corners() -> None:
    box = RotatedBox(5.0, 6.0, 4.0, 2.0, 0.3)
    again = box.with_vertices(box.vertices)
    assert again.to_json()["coords"] == pytest.approx(box.to_json()["coords"])


def test_cuboid_bounds_cover_the_turned_box() -> None:
    cuboid = Cuboid(np.array([0.0, 0.0, 0.0]), np.array([4.0, 2.0, 1.0]), math.pi / 2)
    low, high = cuboid.bounds()
    assert low.tolist() == pytest.approx([-1.0, -2.0, -0.5])
    assert high.tolist() == pytest.approx([1.0, 2.0, 0.5])


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "polygon", "coords": [0, 0, 1, 1]},
        {"kind": "polygon", "coords": [0, 0, 1, "x", 2, 2]},
        {"kind": "box", "coords": [0, 0, float("nan"), 1]},
        {"kind": "box", "coords": [0, 0, 1e300, 1]},
        {"kind": "point", "coords": [float("inf"), 1]},
        {"kind": "hexagon", "coords": [0, 0]},
        {"kind": "cuboid", "coords": [0, 0, 0, 1, 1]},
        {"kind": "cuboid", "coords": [0, 0, 0, -1, 1, 1, 0]},
        {"kind": "rotated_box", "coords": [0, 0, 1, 1]},
        {"kind": "polyline", "coords": [0, 0, 1]},
        {"kind": "box", "coords": [True, 0, 1, 1]},
        {"coords": [0, 0]},
        "box",
    ],
)
def test_bad_geometry_is_refused_with_one_line(data) -> None:
    with pytest.raises(GeometryError) as caught:
        geometry_from_json(data)
    assert "\n" not in str(caught.value)


coordinate = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(st.lists(st.tuples(coordinate, coordinate), min_size=3, max_size=40))
def test_polygon_json_round_trip_property(points) -> None:
    polygon = Polygon(np.array(points))
    assert geometry_from_json(polygon.to_json()) == polygon
