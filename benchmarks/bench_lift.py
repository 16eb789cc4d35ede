"""Height lifting benchmark: a million map vertices onto the ground of a 20-million-point tile.

Run::

    python benchmarks/bench_lift.py            # 20,000,000 points, 1,000,000 vertices
    python benchmarks/bench_lift.py --quick    # 2,000,000 points, 100,000 vertices

Target (from the issue)
    Height lifting of 1,000,000 vertices on a 20-million-point tile costs at
    most 3x a scipy ``cKDTree`` query of the same vertices against the same
    points, build included.

What is measured
    * ``peer``: ``scipy.spatial.cKDTree`` built on the points' xy (float64,
      local) plus ``tree.query(vertices, k=1)``, single-threaded: the nearest
      point of each vertex, which is less than a ground height (one point, no
      robustness against cars or vegetation, no surface fit).
    * ``ours``: :func:`annotator.geometry.lift.ground_heights` on a fresh
      cloud object each run, so the per-cloud ground raster is built inside
      the timing (it is shown on its own too), radius 0.5 m.
    Times are the best of 2 runs (3 with ``--quick``).  PASS when ours <= 3x peer.
    The error of our heights against the tile's known surface is printed too
    (vertices on the road, off the car footprints).

scipy is not a dependency of the project: this script needs it
(``pip install scipy``) and says so when it is missing.

The tile
    A generated 500 m x 400 m stretch of road corridor (100 points per m^2):
    a 3 % grade along x with a gentle roll across, a 2 % crown on a 20 m road
    down its middle, parked cars on the road (no ground under them: the
    scanner cannot see there), trees whose crowns reach over it, and 1 cm of
    scanner noise.  The vertices are spread over the whole tile.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_state

from annotator.geometry.lift import ground_heights, ground_raster
from annotator.media.pointcloud import PointCloud

F64 = npt.NDArray[np.float64]
ORIGIN = np.array([40_000.0, -120_000.0, 500.0])
SIZE_X, SIZE_Y = 500.0, 400.0
ROAD_Y, ROAD_W = 200.0, 20.0
CAR_L, CAR_W = 4.5, 1.8


def surface(x: F64, y: F64) -> F64:
    """The known ground: grade, roll, and a crowned road."""
    base = 10.0 + 0.03 * x + 0.005 * y
    on_road = np.abs(y - ROAD_Y) <= ROAD_W / 2
    crown = np.where(on_road, 0.02 * (ROAD_W / 2 - np.abs(y - ROAD_Y)), 0.0)
    result: F64 = base + crown
    return result


def make_tile(points: int, rng: np.random.Generator) -> tuple[PointCloud, F64]:
    """The tile and its car centres (local xy)."""
    cars = np.column_stack((rng.uniform(5, SIZE_X - 5, 60),
                            ROAD_Y + rng.choice([-6.0, -2.0, 2.0, 6.0], 60)))
    car_points = 3000 * len(cars)
    tree_points = points // 20
    ground = points - car_points - tree_points
    xyz = np.empty((points, 3), dtype=np.float32)
    x, y = rng.uniform(0, SIZE_X, ground), rng.uniform(0, SIZE_Y, ground)
    hidden = _under_car(x, y, cars)
    x[hidden] = rng.uniform(0, SIZE_X, int(hidden.sum()))     # moved off the road: open ground
    y[hidden] = rng.uniform(0, ROAD_Y - ROAD_W, int(hidden.sum()))
    xyz[:ground, 0], xyz[:ground, 1] = x, y
    xyz[:ground, 2] = surface(x, y) + rng.normal(0, 0.01, ground)
    u = rng.uniform(-CAR_L / 2, CAR_L / 2, car_points)
    v = rng.uniform(-CAR_W / 2, CAR_W / 2, car_points)
    cx, cy = np.repeat(cars[:, 0], 3000), np.repeat(cars[:, 1], 3000)
    xyz[ground:ground + car_points, 0], xyz[ground:ground + car_points, 1] = cx + u, cy + v
    xyz[ground:ground + car_points, 2] = surface(cx + u, cy + v) + rng.uniform(0.25, 1.5,
                                                                              car_points)
    trees = np.column_stack((rng.uniform(0, SIZE_X, 200),
                             ROAD_Y + rng.choice([-12.0, 12.0], 200)))
    which = rng.integers(0, len(trees), tree_points)
    r, a = 4.0 * np.sqrt(rng.uniform(0, 1, tree_points)), rng.uniform(0, 2 * np.pi, tree_points)
    tx, ty = trees[which, 0] + r * np.cos(a), trees[which, 1] + r * np.sin(a)
    xyz[ground + car_points:, 0], xyz[ground + car_points:, 1] = tx, ty
    xyz[ground + car_points:, 2] = surface(tx, ty) + rng.uniform(2.5, 8.0, tree_points)
    return PointCloud(ORIGIN.copy(), xyz, {}, "pcd", "binary"), cars


def _under_car(x: F64, y: F64, cars: F64, grow: float = 0.0) -> npt.NDArray[np.bool_]:
    hidden = np.zeros(len(x), dtype=bool)
    road = np.abs(y - ROAD_Y) <= ROAD_W / 2
    for cx, cy in cars:
        hidden[road] |= (np.abs(x[road] - cx) <= CAR_L / 2 + grow) \
            & (np.abs(y[road] - cy) <= CAR_W / 2 + grow)
    return hidden


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2M points, 100k vertices")
    args = parser.parse_args()
    try:
        # imported by name: scipy is no dependency (and ships no type stubs)
        kdtree = importlib.import_module("scipy.spatial").cKDTree
    except ImportError:
        print("bench_lift needs scipy for its peer (scipy.spatial.cKDTree), which is not a "
              "project dependency: pip install scipy")
        return 0
    points, vertices = (2_000_000, 100_000) if args.quick else (20_000_000, 1_000_000)
    runs = 3 if args.quick else 2
    print(machine_state())
    rng = np.random.default_rng(7)
    start = time.perf_counter()
    cloud, cars = make_tile(points, rng)
    local = np.column_stack((rng.uniform(0, SIZE_X, vertices), rng.uniform(0, SIZE_Y, vertices)))
    # half the vertices along the road, where lane lines are drawn
    local[::2, 1] = ROAD_Y + rng.uniform(-ROAD_W / 2 + 0.5, ROAD_W / 2 - 0.5, (vertices + 1) // 2)
    world = local + ORIGIN[:2]
    print(f"tile: {points:,} points over {SIZE_X:.0f} m x {SIZE_Y:.0f} m, {vertices:,} vertices "
          f"(generated in {time.perf_counter() - start:.1f} s)")

    xy = cloud.xyz[:, :2].astype(np.float64)
    peer = []
    for _ in range(runs):
        start = time.perf_counter()
        tree = kdtree(xy)
        tree.query(local, k=1)
        peer.append(time.perf_counter() - start)
        del tree
    del xy

    ours, builds = [], []
    heights = np.empty(0)
    for _ in range(runs):
        fresh = PointCloud(cloud.origin, cloud.xyz, {}, "pcd", "binary")
        start = time.perf_counter()
        ground_raster(fresh)
        builds.append(time.perf_counter() - start)
        heights = ground_heights(fresh, world)
        ours.append(time.perf_counter() - start)
        del fresh

    off_car = ~_under_car(local[:, 0], local[:, 1], cars, grow=0.3)
    error = np.abs(heights - ORIGIN[2] - surface(local[:, 0], local[:, 1]))[off_car]
    best_peer, best_ours = min(peer), min(ours)
    ratio = best_ours / best_peer
    print(f"peer  cKDTree build + query k=1 (1 thread): {best_peer:7.2f} s")
    print(f"ours  ground raster + ground_heights:       {best_ours:7.2f} s "
          f"(raster build {min(builds):.2f} s)")
    print(f"ratio ours / peer: {ratio:.2f} (target <= 3.00)  "
          f"{'PASS' if ratio <= 3.0 else 'FAIL'}")
    print(f"height error off the cars ({int(off_car.sum()):,} vertices): median "
          f"{np.nanmedian(error) * 1000:.1f} mm, 99.9 % {np.nanpercentile(error, 99.9) * 1000:.1f}"
          f" mm, max {np.nanmax(error) * 1000:.1f} mm, NaN {int(np.isnan(error).sum())}")
    print(machine_state())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
