"""Cuboid fit, points in a cuboid and the ground, on generated scenes of known boxes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from annotator.geometry.cuboid import (
    PointGrid,
    cuboid_corners,
    fit_cuboid,
    ground_height,
    ground_plane,
    index_cloud,
    points_in_cuboid,
)
from annotator.media.pointcloud import PointCloud
from annotator.shapes import Cuboid

ORIGIN = np.array([40_000.0, -120_000.0, 30.0])     # a plane-rectangular tile far out


def ground_z(x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """World ground height at LOCAL x, y: a 4 % and a -2 % grade."""
    return 30.0 + 1.0 + 0.04 * np.asarray(x) - 0.02 * np.asarray(y)


@dataclass
class Scene:
    cloud: PointCloud
    truth: Cuboid        # the car's box, world coordinates
    car: np.ndarray      # indices of the car's points


def scene(yaw_deg: float = 33.0, faces: tuple[int, ...] = (0, 1, 2, 3, 4), noise: float = 0.01,
          car_points: int = 20_000, wall: bool = True, seed: int = 1) -> Scene:
    """A 4.5 x 1.8 x 1.5 m car shell on a sloped, noisy ground, with a wall 1.5 m beside it.

    faces: 0 front, 1 rear, 2 left, 3 right, 4 roof (a scanner passing by sees some).
    No ground is seen under the car; its body starts 0.25 m above the ground.
    """
    rng = np.random.default_rng(seed)
    length, width, height, yaw = 4.5, 1.8, 1.5, math.radians(yaw_deg)
    cx, cy = 15.0, 14.0
    c, s = math.cos(yaw), math.sin(yaw)
    gx, gy = rng.uniform(0, 30, 150_000), rng.uniform(0, 30, 150_000)
    u, v = (gx - cx) * c + (gy - cy) * s, (gy - cy) * c - (gx - cx) * s
    seen = ~((np.abs(u) < length / 2) & (np.abs(v) < width / 2))
    ground = np.c_[gx[seen], gy[seen], ground_z(gx[seen], gy[seen]) - ORIGIN[2]
                   + rng.normal(0, noise, int(seen.sum()))]
    bottom = float(ground_z(cx, cy))
    face = rng.choice(np.array(faces), car_points)
    uu = rng.uniform(-length / 2, length / 2, car_points)
    vv = rng.uniform(-width / 2, width / 2, car_points)
    zz = rng.uniform(bottom + 0.25, bottom + height, car_points)
    uu = np.select([face == 0, face == 1], [length / 2, -length / 2], uu)
    vv = np.select([face == 2, face == 3], [width / 2, -width / 2], vv)
    zz = np.where(face == 4, bottom + height, zz)
    jitter = rng.normal(0, noise, (car_points, 3))
    car = np.c_[cx + uu * c - vv * s, cy + uu * s + vv * c, zz - ORIGIN[2]] + jitter
    parts = [ground, car]
    if wall:     # a facade along x, 1.5 m beyond the car's left side, 3 m high
        wx = rng.uniform(5, 25, 30_000)
        wy = np.full(30_000, cy + 3.3) + rng.normal(0, noise, 30_000)
        parts.append(np.c_[wx, wy, ground_z(wx, wy) - ORIGIN[2] + rng.uniform(0, 3, 30_000)])
    xyz = np.concatenate(parts)
    cloud = PointCloud(ORIGIN.copy(), xyz.astype(np.float32), {}, "pcd", "binary")
    truth = Cuboid(np.array([[cx + ORIGIN[0], cy + ORIGIN[1], bottom + height / 2]]),
                   np.array([[length, width, height]]), yaw)
    return Scene(cloud, truth, np.arange(len(ground), len(ground) + car_points))


def drawn(truth: Cuboid, dx: float = 0.2, dy: float = -0.15, dyaw_deg: float = 8.0,
          grow: float = 0.7) -> tuple[tuple[float, float], float, float, float]:
    """A sloppy footprint of the truth box as a person draws it in the bird's-eye view:
    off centre, turned, and larger, so that with the fit's margin it covers the car.
    """
    centre = (float(truth.center[0, 0]) + dx, float(truth.center[0, 1]) + dy)
    return (centre, float(truth.size[0, 0]) + grow, float(truth.size[0, 1]) + grow,
            truth.yaw + math.radians(dyaw_deg))


def assert_close(fit: Cuboid | None, truth: Cuboid, centre_cm: float = 3.0,
                 size_cm: float = 10.0, yaw_deg: float = 1.0) -> None:
    """Within a few cm and a degree.  The fit holds every object point, so each face may
    lie outside the true surface by the scanner's largest noise excursion (some 4 sigma,
    4 cm at the scene's 1 cm noise), but not inside it by more than a little noise.
    """
    assert fit is not None
    offset = fit.center[0] - truth.center[0]
    assert np.hypot(offset[0], offset[1]) <= centre_cm / 100, offset
    assert abs(offset[2]) <= centre_cm / 100, offset
    grown = fit.size[0] - truth.size[0]
    assert np.all(grown >= -0.02), grown
    assert np.all(grown <= size_cm / 100), grown
    turn = math.remainder(fit.yaw - truth.yaw, 2 * math.pi)
    assert abs(math.degrees(turn)) <= yaw_deg, math.degrees(turn)


@pytest.mark.parametrize("yaw_deg", [33.0, -71.0, 178.0, 0.0])
def test_fit_finds_the_car_from_a_sloppy_footprint(yaw_deg: float) -> None:
    case = scene(yaw_deg)
    fit = fit_cuboid(case.cloud, *drawn(case.truth))
    assert_close(fit, case.truth)
    assert fit is not None
    assert np.isin(case.car, points_in_cuboid(case.cloud, fit)).all()  # never smaller


@pytest.mark.parametrize("faces", [(0, 2, 4), (1, 3), (0, 3)])
def test_fit_when_the_scanner_saw_two_sides(faces: tuple[int, ...]) -> None:
    """An L-shape of points (a car seen from one corner) still gives the heading."""
    case = scene(-20.0, faces=faces, seed=4)
    fit = fit_cuboid(case.cloud, *drawn(case.truth, dyaw_deg=-8.0))
    assert_close(fit, case.truth)


def test_fit_without_yaw_refinement_keeps_the_drawn_heading() -> None:
    case = scene(10.0)
    centre, length, width, yaw = drawn(case.truth, dyaw_deg=5.0)
    fit = fit_cuboid(case.cloud, centre, length, width, yaw, refine_yaw=False)
    assert fit is not None
    assert fit.yaw == pytest.approx(yaw)
    # the box at the drawn heading still holds every car point above the ground band
    # (on the 4 % grade the sill's uphill end dips into the 0.2 m band: ground)
    car = case.cloud.world(case.car)
    lifted = car[:, 2] - ground_z(*(car[:, :2] - ORIGIN[:2]).T) > 0.23
    assert lifted.sum() > 0.9 * len(car)
    assert np.isin(case.car[lifted], points_in_cuboid(case.cloud, fit)).all()


def test_few_points_keep_the_drawn_heading_and_ground_alone_gives_none() -> None:
    case = scene(25.0, car_points=12, wall=False)
    centre, length, width, yaw = drawn(case.truth, dyaw_deg=6.0)
    fit = fit_cuboid(case.cloud, centre, length, width, yaw)
    assert fit is not None
    assert fit.yaw == pytest.approx(yaw)
    assert fit.center[0, 2] - fit.size[0, 2] / 2 == pytest.approx(case.truth.center[0, 2] - 0.75,
                                                                  abs=0.03)
    empty = scene(25.0, car_points=0, wall=False)
    # nothing but ground (sloped, noisy) in the footprint: no cuboid
    assert fit_cuboid(empty.cloud, centre, length, width, yaw) is None
    # and nothing at all
    assert fit_cuboid(empty.cloud, (ORIGIN[0] + 500.0, ORIGIN[1]), 4.0, 2.0, 0.0) is None


def test_branches_above_max_height_are_left_out() -> None:
    case = scene(40.0, wall=False)
    rng = np.random.default_rng(9)
    centre = case.truth.center[0] - ORIGIN
    leaves = centre + rng.normal(0, 0.6, (3000, 3)) + (0.0, 0.0, 5.5)
    cloud = PointCloud(ORIGIN, np.concatenate([case.cloud.xyz, leaves.astype(np.float32)]),
                       {}, "pcd", "binary")
    fit = fit_cuboid(cloud, *drawn(case.truth), max_height=3.0)
    assert_close(fit, case.truth)


def test_ground_height_is_robust_to_the_car_the_wall_and_noise() -> None:
    case = scene(33.0)
    rng = np.random.default_rng(2)
    stray = np.c_[rng.uniform(0, 30, 300), rng.uniform(0, 30, 300), rng.uniform(-3, -1, 300)]
    cloud = PointCloud(ORIGIN, np.concatenate([case.cloud.xyz, stray.astype(np.float32)]),
                       {}, "pcd", "binary")
    for lx, ly in ((15.0, 14.0), (15.0, 16.5), (4.0, 26.0), (25.0, 3.0)):
        x, y = lx + ORIGIN[0], ly + ORIGIN[1]
        assert ground_height(cloud, x, y, 3.0) == pytest.approx(float(ground_z(lx, ly)), abs=0.02)
    plane = ground_plane(cloud, 15.0 + ORIGIN[0], 14.0 + ORIGIN[1], 4.0, inner=3.0)
    assert plane is not None
    assert plane.slope_x == pytest.approx(0.04, abs=0.01)
    assert plane.slope_y == pytest.approx(-0.02, abs=0.01)
    assert float(plane.at(16.0 + ORIGIN[0], 15.0 + ORIGIN[1])) == pytest.approx(
        float(ground_z(16.0, 15.0)), abs=0.02)
    assert ground_height(cloud, ORIGIN[0] - 100, ORIGIN[1], 3.0) is None


def test_points_in_cuboid_match_a_float64_brute_force() -> None:
    rng = np.random.default_rng(7)
    xyz = rng.uniform(-20, 20, (40_000, 3)).astype(np.float32)
    cloud = PointCloud(ORIGIN, xyz, {}, "pcd", "binary")
    world = xyz.astype(np.float64) + ORIGIN
    for _ in range(25):
        centre = ORIGIN + rng.uniform(-15, 15, 3)
        size = rng.uniform(0.5, 8, 3)
        yaw = rng.uniform(-math.pi, math.pi)
        box = Cuboid(centre[None], size[None], yaw)
        d = world - centre
        u = d[:, 0] * math.cos(yaw) + d[:, 1] * math.sin(yaw)
        v = d[:, 1] * math.cos(yaw) - d[:, 0] * math.sin(yaw)
        inside = (np.abs(u) <= size[0] / 2) & (np.abs(v) <= size[1] / 2) \
            & (np.abs(d[:, 2]) <= size[2] / 2)
        # points closer to a face than float32 rounding may go either way
        edge = (np.abs(np.abs(u) - size[0] / 2) < 1e-4) | (np.abs(np.abs(v) - size[1] / 2) < 1e-4) \
            | (np.abs(np.abs(d[:, 2]) - size[2] / 2) < 1e-4)
        found = np.zeros(len(xyz), dtype=bool)
        found[points_in_cuboid(cloud, box)] = True
        assert np.array_equal(found[~edge], inside[~edge])
        grown = np.zeros(len(xyz), dtype=bool)
        grown[points_in_cuboid(cloud, box, margin=0.5)] = True
        assert (grown >= found).all()


def test_a_grid_gives_the_same_answers() -> None:
    case = scene(60.0)
    fit = fit_cuboid(case.cloud, *drawn(case.truth))
    before = points_in_cuboid(case.cloud, case.truth)
    height = ground_height(case.cloud, 18.0 + ORIGIN[0], 10.0 + ORIGIN[1], 2.0)
    grid = index_cloud(case.cloud)
    assert isinstance(grid, PointGrid)
    assert index_cloud(case.cloud) is grid            # built once per cloud
    assert 0 < grid.nbytes <= 4 * len(case.cloud) + 8 * 65_536 + 8
    assert np.array_equal(points_in_cuboid(case.cloud, case.truth), before)
    again = fit_cuboid(case.cloud, *drawn(case.truth))
    assert fit is not None
    assert again is not None
    # the same points in another order: the same box but for the last bits of the sums
    assert again.to_json()["coords"] == pytest.approx(fit.to_json()["coords"], abs=1e-9)
    assert ground_height(case.cloud, 18.0 + ORIGIN[0], 10.0 + ORIGIN[1], 2.0) == pytest.approx(
        height, abs=1e-9)


def test_corners() -> None:
    box = Cuboid(np.array([[10.0, 20.0, 1.0]]), np.array([[4.0, 2.0, 2.0]]), math.pi / 2)
    corners = cuboid_corners(box)
    assert corners.shape == (8, 3)
    # yaw 90 degrees: the front (+length) end points along +y
    assert corners[0] == pytest.approx([9.0, 22.0, 0.0])     # front-left bottom
    assert corners[1] == pytest.approx([11.0, 22.0, 0.0])    # front-right bottom
    assert corners[6] == pytest.approx([11.0, 18.0, 2.0])    # rear-right top
    assert corners.mean(axis=0) == pytest.approx([10.0, 20.0, 1.0])
    flat = Cuboid(np.array([[0.0, 0.0, 0.0]]), np.array([[0.0, 0.0, 0.0]]), 0.3)
    assert np.allclose(cuboid_corners(flat), 0.0)
