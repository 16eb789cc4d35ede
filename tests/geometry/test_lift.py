"""Heights of drawn map vertices from generated road tiles whose surface is known."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from annotator.errors import GeometryError
from annotator.geometry.lift import (
    densify,
    follow_ground,
    ground_heights,
    ground_raster,
    lift_line,
)
from annotator.media.pointcloud import PointCloud

F64 = npt.NDArray[np.float64]
Surface = Callable[[F64, F64], F64]

ORIGIN = np.array([40_000.0, -120_000.0, 500.0])
LENGTH, WIDTH = 60.0, 20.0          # the road: local x 0..60 along, y 0..20 across
CARS = [(12.0, 6.0, 0.0), (30.0, 14.0, 0.4), (45.0, 9.5, -0.2)]   # centre x, y, yaw
CAR_L, CAR_W, CAR_H = 4.5, 1.8, 1.5
TREES = [(20.0, 3.0), (50.0, 17.0)]  # trunk positions; crowns reach over the road


def flat(x: F64, y: F64) -> F64:
    return np.full_like(x, 12.345)


def sloped(x: F64, y: F64) -> F64:         # 3 % grade along the road
    return 12.0 + 0.03 * x


def banked(x: F64, y: F64) -> F64:         # 2 % cross slope, and 1 % grade
    return 12.0 + 0.02 * y + 0.01 * x


def crowned(x: F64, y: F64) -> F64:        # 2 % down from the centre line to both edges
    return 12.0 - 0.02 * np.abs(y - WIDTH / 2)


def _in_car(x: F64, y: F64, grow: float = 0.0) -> npt.NDArray[np.bool_]:
    inside = np.zeros(len(x), dtype=bool)
    for cx, cy, yaw in CARS:
        c, s = np.cos(yaw), np.sin(yaw)
        u, v = (x - cx) * c + (y - cy) * s, (y - cy) * c - (x - cx) * s
        inside |= (np.abs(u) <= CAR_L / 2 + grow) & (np.abs(v) <= CAR_W / 2 + grow)
    return inside


def make_tile(surface: Surface, *, density: float = 60.0, noise: float = 0.01,
              objects: bool = True, seed: int = 1) -> PointCloud:
    """Road points (none under the cars: the scanner cannot see there), car bodies from
    0.25 m up, tree trunks and crowns, shrubs beside the road, all with scanner noise.
    """
    rng = np.random.default_rng(seed)
    n = int(LENGTH * WIDTH * density)
    x, y = rng.uniform(0, LENGTH, n), rng.uniform(0, WIDTH, n)
    keep = ~_in_car(x, y) if objects else np.ones(n, dtype=bool)
    parts = [np.column_stack((x[keep], y[keep], surface(x[keep], y[keep])))]
    if objects:
        for cx, cy, yaw in CARS:
            m = 6000
            u = rng.uniform(-CAR_L / 2, CAR_L / 2, m)
            v = rng.uniform(-CAR_W / 2, CAR_W / 2, m)
            h = rng.uniform(0.25, CAR_H, m)
            side = rng.integers(0, 3, m)      # roof, long sides, ends
            h[side == 0] = CAR_H
            v[side == 1] = np.sign(v[side == 1]) * CAR_W / 2
            u[side == 2] = np.sign(u[side == 2]) * CAR_L / 2
            c, s = np.cos(yaw), np.sin(yaw)
            px, py = cx + u * c - v * s, cy + u * s + v * c
            parts.append(np.column_stack((px, py, surface(px, py) + h)))
        for tx, ty in TREES:
            m = 8000
            r, a = 3.5 * np.sqrt(rng.uniform(0, 1, m)), rng.uniform(0, 2 * np.pi, m)
            px, py = tx + r * np.cos(a), ty + r * np.sin(a)
            parts.append(np.column_stack((px, py, surface(px, py) + rng.uniform(2.5, 6.0, m))))
            h = rng.uniform(0.0, 2.5, 800)
            parts.append(np.column_stack((tx + rng.normal(0, 0.1, 800),
                                          ty + rng.normal(0, 0.1, 800),
                                          surface(np.full(800, tx), np.full(800, ty)) + h)))
        m = 6000                                # shrubs on the verge, 0.2-1.2 m high
        px, py = rng.uniform(0, LENGTH, m), rng.uniform(0, 0.8, m)
        parts.append(np.column_stack((px, py, surface(px, py) + rng.uniform(0.2, 1.2, m))))
    points = np.concatenate(parts)
    points[:, 2] += rng.normal(0, noise, len(points)) if noise else 0.0
    local = points.astype(np.float32)
    # the tile's local frame: world = ORIGIN + local, local z relative to 500 m
    return PointCloud(ORIGIN.copy(), local, {}, "pcd", "binary")


def _vertices(count: int, seed: int = 2) -> F64:
    """Local spots over the road, away from the car footprints and the tile's border."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(1.0, LENGTH - 1.0, 3 * count), rng.uniform(1.0, WIDTH - 1.0, 3 * count)
    keep = ~_in_car(x, y, grow=0.1)
    return np.column_stack((x[keep], y[keep]))[:count]


@pytest.mark.parametrize("surface", [flat, sloped, banked, crowned])
def test_heights_within_2_cm_of_the_road_among_cars_and_trees(surface: Surface) -> None:
    cloud = make_tile(surface)
    spots = _vertices(3000)
    heights = ground_heights(cloud, spots + ORIGIN[:2])
    truth = ORIGIN[2] + surface(spots[:, 0], spots[:, 1])
    error = np.abs(heights - truth)
    assert np.isfinite(heights).all()
    assert error.max() <= 0.02, (surface.__name__, float(error.max()))
    assert np.abs((heights - truth).mean()) <= 0.005         # no bias from the lowest points


def test_spots_beside_cars_and_under_tree_crowns_are_on_the_road() -> None:
    cloud = make_tile(sloped)
    spots = []
    for cx, cy, yaw in CARS:       # just beside each long side and end, where half the disc is car
        c, s = np.cos(yaw), np.sin(yaw)
        for u, v in ((0.0, CAR_W / 2 + 0.1), (0.0, -CAR_W / 2 - 0.1), (CAR_L / 2 + 0.1, 0.0)):
            spots.append((cx + u * c - v * s, cy + u * s + v * c))
    for tx, ty in TREES:           # under the crown, a metre or two from the trunk
        spots += [(tx + 1.5, ty + 1.0), (tx - 2.0, ty + 0.5)]
    local = np.array(spots)
    heights = ground_heights(cloud, local + ORIGIN[:2])
    truth = ORIGIN[2] + sloped(local[:, 0], local[:, 1])
    assert np.abs(heights - truth).max() <= 0.02


def test_the_median_of_all_points_would_not_do() -> None:
    # honesty check of the tile: near a car, a plain median of the points is far off
    cloud = make_tile(flat)
    cx, cy, _ = CARS[0]
    near = np.hypot(cloud.xyz[:, 0] - cx, cloud.xyz[:, 1] - (cy + CAR_W / 2 + 0.1)) <= 0.5
    assert abs(float(np.median(cloud.xyz[near, 2])) - 12.345) > 0.05
    height = ground_heights(cloud, np.array([[cx, cy + CAR_W / 2 + 0.1]]) + ORIGIN[:2])
    assert abs(float(height[0]) - ORIGIN[2] - 12.345) <= 0.02


def test_far_from_the_crs_origin_heights_keep_millimetres() -> None:
    cloud = make_tile(banked, noise=0.0, objects=False)
    spots = _vertices(500) + 1e-4 * np.random.default_rng(3).uniform(size=(500, 2))
    world = spots + ORIGIN[:2]          # x about 40,000 m, y about -120,000 m
    assert world[:, 0].min() > 39_999
    heights = ground_heights(cloud, world)
    truth = ORIGIN[2] + banked(spots[:, 0], spots[:, 1])
    assert np.abs(heights - truth).max() <= 0.001


def test_nan_where_no_ground_points_are_near() -> None:
    cloud = make_tile(flat, objects=False)
    hole = ~((np.abs(cloud.xyz[:, 0] - 30.0) < 3.0) & (np.abs(cloud.xyz[:, 1] - 10.0) < 3.0))
    holed = PointCloud(cloud.origin, cloud.xyz[hole], {}, "pcd", "binary")
    spots = np.array([[30.0, 10.0], [-50.0, 5.0], [30.0, 500.0], [10.0, 10.0], [30.0, 13.3]])
    heights = ground_heights(holed, spots + ORIGIN[:2])
    assert np.isnan(heights[:3]).all()
    assert np.abs(heights[3:] - ORIGIN[2] - 12.345).max() <= 0.02   # the edge of the hole
    empty = PointCloud(ORIGIN, np.zeros((0, 3), dtype=np.float32), {}, "pcd", "binary")
    assert np.isnan(ground_heights(empty, ORIGIN[None, :2])).all()
    assert ground_heights(holed, np.zeros((0, 2))).shape == (0,)


def test_the_raster_is_built_once_per_cloud() -> None:
    cloud = make_tile(flat, density=5, objects=False)
    assert ground_raster(cloud) is ground_raster(cloud)
    other = PointCloud(cloud.origin, cloud.xyz.copy(), {}, "pcd", "binary")
    assert ground_raster(other) is not ground_raster(cloud)


def test_densify_spacing_keeps_the_drawn_vertices() -> None:
    drawn = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 0.5], [10.0, 0.5], [13.0, 4.0]])
    dense = densify(drawn, max_step=1.0)
    step = np.hypot(*np.diff(dense, axis=0).T)
    assert step.max() <= 1.0 + 1e-12
    assert len(dense) == 1 + 10 + 1 + 1 + 5          # ceil(length / step) per segment
    for vertex in drawn:                              # every drawn vertex, exactly
        assert (dense == vertex).all(axis=1).any()
    assert np.allclose(step[:10], 1.0)                # evenly spaced within a segment
    assert np.allclose(step[-5:], np.hypot(3.0, 3.5) / 5)
    assert densify(drawn[:1]).tolist() == [[0.0, 0.0]]
    assert densify(np.zeros((0, 2))).shape == (0, 2)
    assert len(densify(drawn, max_step=100.0)) == len(drawn)


def test_lift_line_follows_the_road_and_keeps_locked_heights() -> None:
    cloud = make_tile(crowned)
    drawn = np.array([[2.0, 10.0], [2.0, 18.0], [20.0, 10.0]]) + ORIGIN[:2]   # across the crown
    line = lift_line(cloud, drawn, max_step=0.5)
    assert line.shape[1] == 3 and len(line) > 40
    local = line[:, :2] - ORIGIN[:2]
    truth = ORIGIN[2] + crowned(local[:, 0], local[:, 1])
    assert np.abs(line[:, 2] - truth).max() <= 0.02
    locked = np.array([np.nan, 530.0, 540.0])
    held = lift_line(cloud, drawn, max_step=0.5, locked=locked)
    assert np.array_equal(held[:, :2], line[:, :2])
    at = [int(np.flatnonzero((held[:, :2] == v).all(axis=1))[0]) for v in drawn]
    assert held[at[1], 2] == 530.0 and held[at[2], 2] == 540.0
    between = held[at[1] + 1:at[2], 2]                 # both ends locked: a straight line
    assert np.all(np.diff(between) > 0) and between.min() > 530.0 and between.max() < 540.0
    assert np.array_equal(held[:at[1], 2], line[:at[1], 2])   # first segment: the ground


def test_bad_input_is_one_clear_error() -> None:
    cloud = make_tile(flat, density=5, objects=False)
    with pytest.raises(GeometryError, match="shape"):
        ground_heights(cloud, np.zeros((3, 3)))
    with pytest.raises(GeometryError, match="non-finite"):
        ground_heights(cloud, np.array([[0.0, np.nan]]))
    with pytest.raises(GeometryError, match="radius"):
        ground_heights(cloud, np.zeros((1, 2)), radius=0.0)
    with pytest.raises(GeometryError, match="max_step"):
        densify(np.zeros((2, 2)), max_step=-1.0)
    with pytest.raises(GeometryError, match="locked"):
        lift_line(cloud, np.zeros((2, 2)), locked=[np.nan])
    with pytest.raises(GeometryError, match="numbers"):
        densify([["a", "b"]])


def test_stray_low_points_do_not_pull_the_ground_down() -> None:
    cloud = make_tile(sloped, objects=False)
    rng = np.random.default_rng(5)
    stray = rng.choice(len(cloud), 300, replace=False)        # multipath: 0.3-2 m below
    xyz = cloud.xyz.copy()
    xyz[stray, 2] -= rng.uniform(0.3, 2.0, 300).astype(np.float32)
    noisy = PointCloud(cloud.origin, xyz, {}, "pcd", "binary")
    spots = np.concatenate((xyz[stray, :2].astype(np.float64), _vertices(500)))
    heights = ground_heights(noisy, spots + ORIGIN[:2])
    truth = ORIGIN[2] + sloped(spots[:, 0], spots[:, 1])
    assert np.abs(heights - truth).max() <= 0.02


@pytest.mark.parametrize("surface", [flat, sloped, banked, crowned])
def test_a_line_drawn_over_parked_cars_follows_the_road_under_them(surface: Surface) -> None:
    """No road shows under a car: the roof is its lowest layer; the line's profile knows."""
    cloud = make_tile(surface)
    for cx, cy, yaw in CARS:
        c, s = np.cos(yaw), np.sin(yaw)
        # a lane line straight through the car, 10 m either side of it
        drawn = np.array([[cx - 10 * c, cy - 10 * s], [cx + 10 * c, cy + 10 * s]])
        drawn = np.clip(drawn, 0.5, [LENGTH - 0.5, WIDTH - 0.5]) + ORIGIN[:2]
        line = follow_ground(cloud, drawn, max_step=0.5)
        local = line[:, :2] - ORIGIN[:2]
        truth = ORIGIN[2] + surface(local[:, 0], local[:, 1])
        assert np.abs(line[:, 2] - truth).max() <= 0.02
        # the plain lift would have put it on the roof
        lifted = lift_line(cloud, drawn, max_step=0.5)
        local = lifted[:, :2] - ORIGIN[:2]
        assert (lifted[:, 2] - ORIGIN[2] - surface(local[:, 0], local[:, 1])).max() > 1.0


def test_follow_ground_keeps_only_the_vertices_the_surface_needs() -> None:
    cloud = make_tile(crowned, objects=False)
    along = np.array([[1.0, 4.0], [59.0, 4.0]]) + ORIGIN[:2]      # along the road: a plane
    assert len(follow_ground(cloud, along)) == 2
    across = np.array([[5.0, 1.0], [5.0, 19.0]]) + ORIGIN[:2]      # over the crown
    line = follow_ground(cloud, across, tolerance=0.01)
    assert 3 <= len(line) <= 8
    dense = lift_line(cloud, across, max_step=0.25)
    # between the kept vertices, the straight line stays within 2 cm of the lifted surface
    s_dense = dense[:, 1]
    z_kept = np.interp(s_dense, line[:, 1], line[:, 2])
    assert np.abs(z_kept - dense[:, 2]).max() <= 0.02
    ring = np.array([[5.0, 5.0], [12.0, 5.0], [12.0, 15.0], [5.0, 15.0]]) + ORIGIN[:2]
    closed = follow_ground(cloud, ring, closed=True)
    assert not np.array_equal(closed[0], closed[-1]) and len(closed) >= 4
