"""Cuboids against their point cloud: which points are inside, where the ground is, a tight fit.

Cuboids are in WORLD coordinates (float64); a cloud keeps float32 points
relative to its float64 origin.  Every function here subtracts the origin
from the cuboid in float64 and works on float32 offsets of the points from
the cuboid's centre, so a tile 100 km from its CRS origin loses nothing.

* :func:`points_in_cuboid` - indices of the points inside a cuboid.
* :func:`ground_height` - the ground's height near a spot, robust to cars,
  walls and stray points: the lowest point of each 0.4 m cell around the spot
  (cells are where the ground shows between objects), a plane through them
  by RANSAC (planes steeper than 17 degrees are not ground, so walls never
  win; cells near the spot weigh more, so the road a car stands on beats the
  sidewalk beyond the curb), refined by least squares over its inliers.
* :func:`ground_around` - that plane under a cuboid, from the points
  around its footprint (the object itself left out).
* :func:`fit_cuboid` - from a footprint drawn in the bird's-eye view, the
  tight cuboid of the object's points: the points in the footprint grown
  by a margin, less the ground (up to ``clearance`` above the plane fitted
  around the footprint), boxed by the L-shape fit of Zhang et al. (2017,
  "Efficient L-Shape Fitting for Vehicle Detection Using Laser Scanners":
  the heading within +-15 degrees of the drawn one whose rectangle has the
  most points close to its edges, which also works when the scanner saw
  only two sides), from the ground up to the highest point.
* :func:`cuboid_corners` - the eight corners, for views and exporters.
* :func:`index_cloud` - a grid over a cloud that makes the queries above
  read only the points near them (build it once per tile when many
  cuboids will be fitted or checked).

>>> import numpy as np
>>> from annotator.media.pointcloud import PointCloud
>>> from annotator.shapes import Cuboid
>>> box = Cuboid(np.array([[40_002.0, -120_001.0, 31.0]]), np.array([[4.0, 2.0, 2.0]]), 0.0)
>>> cloud = PointCloud(np.array([40_000.0, -120_000.0, 30.0]),
...                    np.array([[2.0, -1.0, 1.0], [9.0, 9.0, 0.0]], dtype=np.float32),
...                    {}, "pcd", "binary")
>>> points_in_cuboid(cloud, box).tolist()
[0]
>>> cuboid_corners(box)[[0, 6]].tolist()    # front-left bottom, rear-right top
[[40004.0, -120000.0, 30.0], [40000.0, -120002.0, 32.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from annotator.geometry._cloudgrid import PointGrid, index_cloud, near
from annotator.media.pointcloud import PointCloud
from annotator.shapes import Cuboid

__all__ = [
    "GroundPlane",
    "PointGrid",
    "cuboid_corners",
    "fit_cuboid",
    "ground_around",
    "ground_height",
    "ground_plane",
    "index_cloud",
    "points_in_cuboid",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Cell side (m) whose lowest point is a ground candidate.
GROUND_CELL: Final = 0.4
#: Half thickness (m) of the band around a plane that counts as on it.
GROUND_BAND: Final = 0.08
#: Steepest ground (rise over run): about 17 degrees.
MAX_GROUND_SLOPE: Final = 0.3
_RANSAC_TRIES: Final = 200
_YAW_WINDOW: Final = math.radians(15.0)
_L_SHAPE_POINTS: Final = 4000      # points the heading search looks at, at most
_L_SHAPE_FLOOR: Final = 0.01       # closeness of a point on the edge (m), as the paper


@dataclass(frozen=True)
class GroundPlane:
    """``z = height + slope_x * (x - x) + slope_y * (y - y)`` around the world spot ``x, y``."""

    x: float
    y: float
    height: float
    slope_x: float
    slope_y: float
    support: int        # cells on the plane

    def at(self, x: npt.ArrayLike, y: npt.ArrayLike) -> F64:
        """World heights of the plane at world ``x, y``."""
        dx = np.asarray(x, dtype=np.float64) - self.x
        dy = np.asarray(y, dtype=np.float64) - self.y
        heights: F64 = self.height + self.slope_x * dx + self.slope_y * dy
        return heights


def cuboid_corners(cuboid: Cuboid) -> F64:
    """The ``(8, 3)`` world corners: bottom face then top face, each front-left,
    front-right, rear-right, rear-left (front = the +length end, along ``yaw``).
    """
    length, width, height = cuboid.size[0]
    c, s = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
    along = np.array([1, 1, -1, -1], dtype=np.float64) * length / 2
    across = np.array([1, -1, -1, 1], dtype=np.float64) * width / 2
    corners = np.empty((8, 3), dtype=np.float64)
    for face, dz in enumerate((-height / 2, height / 2)):
        rows = slice(4 * face, 4 * face + 4)
        corners[rows, 0] = along * c - across * s
        corners[rows, 1] = along * s + across * c
        corners[rows, 2] = dz
    corners += cuboid.center[0]
    return corners


def _box_frame(cloud: PointCloud, index: I64, centre: F64, yaw: float
               ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32],
                          npt.NDArray[np.float32]]:
    """Offsets of the points at ``index`` along and across ``yaw`` and up, from a world centre."""
    local = (np.asarray(centre, dtype=np.float64) - cloud.origin).astype(np.float32)
    xyz = cloud.xyz[index]
    dx, dy, dz = xyz[:, 0] - local[0], xyz[:, 1] - local[1], xyz[:, 2] - local[2]
    c, s = np.float32(math.cos(yaw)), np.float32(math.sin(yaw))
    return dx * c + dy * s, dy * c - dx * s, dz


def _near_world(cloud: PointCloud, x: float, y: float, reach: float) -> I64:
    """Indices of the points within ``reach`` (x and y) of a world spot."""
    lx, ly = x - float(cloud.origin[0]), y - float(cloud.origin[1])
    return near(cloud, lx - reach, ly - reach, lx + reach, ly + reach)


def points_in_cuboid(cloud: PointCloud, cuboid: Cuboid, margin: float = 0.0) -> I64:
    """Ascending indices of the points inside ``cuboid`` (grown by ``margin`` metres each way)."""
    half = cuboid.size[0] / 2 + margin
    if (half < 0).any():
        return np.zeros(0, dtype=np.int64)
    centre = cuboid.center[0]
    reach = math.hypot(half[0], half[1]) + 1e-3
    index = _near_world(cloud, float(centre[0]), float(centre[1]), reach)
    along, across, up = _box_frame(cloud, index, centre, cuboid.yaw)
    inside = (np.abs(along) <= np.float32(half[0])) & (np.abs(across) <= np.float32(half[1])) \
        & (np.abs(up) <= np.float32(half[2]))
    found: I64 = np.sort(index[inside])
    return found


# -- ground ---------------------------------------------------------------------------------


def ground_plane(cloud: PointCloud, x: float, y: float, radius: float = 3.0, *,
                 inner: float = 0.0) -> GroundPlane | None:
    """The ground plane around the world spot ``x, y`` from the points ``inner..radius`` away.

    None when no point lies there.  See the module docstring for the method.
    """
    index = _near_world(cloud, x, y, radius)
    along, across, up = _box_frame(cloud, index, np.array([x, y, 0.0]), 0.0)
    distance = np.hypot(along, across)
    ring = (distance <= radius) & (distance >= inner)
    return _plane(along[ring], across[ring], up[ring], x, y)


def ground_height(cloud: PointCloud, x: float, y: float, radius: float = 3.0, *,
                  inner: float = 0.0) -> float | None:
    """The world height of the ground at the world spot ``x, y`` (None: no points near).

    The plane is fitted to the points between ``inner`` and ``radius`` metres
    away horizontally: an ``inner`` radius leaves out the object standing on
    the spot.
    """
    plane = ground_plane(cloud, x, y, radius, inner=inner)
    return None if plane is None else plane.height


def _plane(dx: npt.NDArray[np.float32], dy: npt.NDArray[np.float32],
           z: npt.NDArray[np.float32], x: float, y: float) -> GroundPlane | None:
    """The ground plane through the lowest point of each cell (offsets from ``x, y``)."""
    if not len(z):
        return None
    first = _lowest_per_cell(dx, dy, z)
    px, py, pz = (dx[first].astype(np.float64), dy[first].astype(np.float64),
                  z[first].astype(np.float64))
    if len(pz) < 3:
        return GroundPlane(x, y, float(np.median(pz)), 0.0, 0.0, len(pz))
    weight = 1.0 / (1.0 + np.hypot(px, py) ** 2 / 4.0)
    best = _ransac(px, py, pz, weight)
    support = int(_refine(px, py, pz, best).sum())
    # The lowest point of a cell lies below the surface by about twice the scanner's
    # noise: the last fit takes every point near the plane, whose mean is unbiased.
    _refine(dx.astype(np.float64), dy.astype(np.float64), z.astype(np.float64), best)
    return GroundPlane(x, y, float(best[2]), float(best[0]), float(best[1]), support)


def _lowest_per_cell(dx: npt.NDArray[np.float32], dy: npt.NDArray[np.float32],
                     z: npt.NDArray[np.float32]) -> I64:
    """The position of one lowest point in each occupied :data:`GROUND_CELL` cell."""
    col = np.floor(dx / GROUND_CELL).astype(np.int64)
    row = np.floor(dy / GROUND_CELL).astype(np.int64)
    col -= col.min()
    row -= row.min()
    cols = int(col.max()) + 1
    cells = int(row.max() + 1) * cols
    cell = row * cols + col
    if cells > 4 * len(z) + 1_000_000:       # sparse over a huge area: sort instead
        order = np.lexsort((z, cell))
        first: I64 = order[np.concatenate(([True], cell[order][1:] != cell[order][:-1]))]
        return first
    lowest = np.full(cells, np.inf, dtype=np.float32)
    np.minimum.at(lowest, cell, z)
    hit = np.flatnonzero(z == lowest[cell])
    pick = np.full(cells, -1, dtype=np.int64)
    pick[cell[hit]] = hit                    # any one of a cell's lowest points will do
    chosen: I64 = pick[pick >= 0]
    return chosen


def _refine(px: F64, py: F64, pz: F64, plane: F64) -> npt.NDArray[np.bool_]:
    """Least squares over the points within the band of ``plane``, updated in place
    when the fit is ground (not steep); the points used are returned.
    """
    on: npt.NDArray[np.bool_] = np.abs(pz - (plane[0] * px + plane[1] * py + plane[2])) \
        <= GROUND_BAND
    if on.sum() >= 3:
        design = np.column_stack((px[on], py[on], np.ones(int(on.sum()))))
        fitted, *_ = np.linalg.lstsq(design, pz[on], rcond=None)
        if math.hypot(fitted[0], fitted[1]) <= MAX_GROUND_SLOPE:
            plane[:] = fitted
    return on


def _ransac(px: F64, py: F64, pz: F64, weight: F64) -> F64:
    """Slope x, slope y and height at (0, 0) of the plane the most weight of cells lies on."""
    rng = np.random.default_rng(0)
    tries = rng.integers(0, len(pz), (_RANSAC_TRIES, 3))
    a = np.stack((px[tries], py[tries], pz[tries]), axis=2)          # (tries, 3 points, xyz)
    normal = np.cross(a[:, 1] - a[:, 0], a[:, 2] - a[:, 0])
    flat = np.abs(normal[:, 2]) > 1e-9
    slope_x = np.where(flat, -normal[:, 0] / np.where(flat, normal[:, 2], 1.0), 0.0)
    slope_y = np.where(flat, -normal[:, 1] / np.where(flat, normal[:, 2], 1.0), 0.0)
    height = a[:, 0, 2] - slope_x * a[:, 0, 0] - slope_y * a[:, 0, 1]
    usable = flat & (np.hypot(slope_x, slope_y) <= MAX_GROUND_SLOPE)
    # also the level plane through each sampled point: enough where the cells are few
    slope_x = np.concatenate((slope_x[usable], np.zeros(_RANSAC_TRIES)))
    slope_y = np.concatenate((slope_y[usable], np.zeros(_RANSAC_TRIES)))
    height = np.concatenate((height[usable], pz[tries[:, 0]]))
    residual = pz[None, :] - (slope_x[:, None] * px[None, :] + slope_y[:, None] * py[None, :]
                              + height[:, None])
    score = (np.abs(residual) <= GROUND_BAND) @ weight
    best = int(np.argmax(score))
    return np.array([slope_x[best], slope_y[best], height[best]])


# -- fitting ----------------------------------------------------------------------------------


def fit_cuboid(cloud: PointCloud, center_xy: tuple[float, float], length: float, width: float,
               yaw: float, *, margin: float = 0.3, clearance: float = 0.2,
               max_height: float = 5.0, min_points: int = 5, refine_yaw: bool = True,
               ) -> Cuboid | None:
    """The tight cuboid of the object in a footprint drawn in the bird's-eye view.

    Parameters
    ----------
    cloud : PointCloud
    center_xy, length, width, yaw
        The drawn footprint: world centre, size along and across ``yaw`` (radians).
    margin : float
        Metres the footprint grows each way before taking points, for a sloppy drawing.
    clearance : float
        Points up to this height above the ground plane are ground, not object.
    max_height : float
        Points higher than this above the ground are left out (branches, wires).
    min_points : int
        Fewer object points than this: None (nothing but ground inside).
    refine_yaw : bool
        Search the heading within +-15 degrees of ``yaw``; with fewer than 20
        object points the drawn heading is kept anyway.

    Returns
    -------
    Cuboid or None
        Centre and size in world metres: xy the tight rectangle of the object
        points at the found heading, z from the ground at its centre (or the
        lowest object point, if lower) to the highest object point.
    """
    cx, cy = float(center_xy[0]), float(center_xy[1])
    found = _footprint(cloud, cx, cy, length, width, yaw, margin)
    if found is None:
        return None
    local, plane = found
    world = cloud.world(local)
    above = world[:, 2] - plane.at(world[:, 0], world[:, 1])
    keep = (above > clearance) & (above <= max_height)
    if int(keep.sum()) < max(min_points, 1):
        return None
    points = world[keep]
    heading = yaw
    if refine_yaw and len(points) >= 20:
        heading = _l_shape_heading(points[:, :2] - (cx, cy), yaw)
    # Queries compare float32 offsets: a point on the box's face must stay inside.
    reach_local = float(np.abs(points - cloud.origin).max())
    pad = 1e-4 + 4 * float(np.spacing(np.float32(reach_local)))
    return _box_around(points, heading, plane, cx, cy, pad)


def ground_around(cloud: PointCloud, cuboid: Cuboid, margin: float = 0.3) -> GroundPlane | None:
    """The ground plane under a cuboid, from the points around its footprint.

    The points within 2 m outside the footprint grown by ``margin`` are used,
    so the object itself does not count (all points near it, if none lie around).
    """
    centre = cuboid.center[0]
    length, width, _ = cuboid.size[0]
    found = _footprint(cloud, float(centre[0]), float(centre[1]), float(length), float(width),
                       cuboid.yaw, margin)
    return None if found is None else found[1]


def _footprint(cloud: PointCloud, cx: float, cy: float, length: float, width: float,
               yaw: float, margin: float) -> tuple[I64, GroundPlane] | None:
    """The points over a footprint grown by ``margin``, and the ground plane around it."""
    half_l, half_w = length / 2 + margin, width / 2 + margin
    reach = math.hypot(half_l, half_w) + 2.0
    index = _near_world(cloud, cx, cy, reach)
    along, across, up = _box_frame(cloud, index, np.array([cx, cy, 0.0]), yaw)
    inside = (np.abs(along) <= half_l) & (np.abs(across) <= half_w)
    dx, dy = _rotate(along, across, yaw)
    plane = _plane(dx[~inside], dy[~inside], up[~inside], cx, cy) \
        or _plane(dx, dy, up, cx, cy)
    # in index order, so the fit does not depend on how the points were found
    return None if plane is None else (np.sort(index[inside]), plane)


def _rotate(along: npt.NDArray[np.float32], across: npt.NDArray[np.float32], yaw: float
            ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    c, s = np.float32(math.cos(yaw)), np.float32(math.sin(yaw))
    return along * c - across * s, along * s + across * c


def _box_around(points: F64, heading: float, plane: GroundPlane, cx: float, cy: float,
                pad: float) -> Cuboid:
    """The box at ``heading`` holding ``points`` (world) with ``pad`` to spare each way."""
    c, s = math.cos(heading), math.sin(heading)
    dx, dy = points[:, 0] - cx, points[:, 1] - cy
    u, v = dx * c + dy * s, dy * c - dx * s
    u0, u1 = float(u.min()) - pad, float(u.max()) + pad
    v0, v1 = float(v.min()) - pad, float(v.max()) + pad
    mu, mv = (u0 + u1) / 2, (v0 + v1) / 2
    x, y = cx + mu * c - mv * s, cy + mu * s + mv * c
    bottom = min(float(plane.at(x, y)), float(points[:, 2].min()) - pad)
    top = float(points[:, 2].max()) + pad
    return Cuboid(np.array([[x, y, (bottom + top) / 2]]),
                  np.array([[u1 - u0, v1 - v0, top - bottom]]), _wrap(heading))


def _l_shape_heading(xy: F64, yaw: float) -> float:
    """The heading near ``yaw`` whose rectangle has the most points close to its edges."""
    if len(xy) > _L_SHAPE_POINTS:
        xy = xy[np.random.default_rng(0).choice(len(xy), _L_SHAPE_POINTS, replace=False)]
    best = yaw
    for step in (math.radians(1.0), math.radians(0.1)):
        span = _YAW_WINDOW if step > math.radians(0.5) else math.radians(1.0)
        angles = best + np.arange(-span, span + step / 2, step)
        best = float(angles[int(np.argmax(_closeness(xy, angles)))])
    return best


def _closeness(xy: F64, angles: F64) -> F64:
    """Zhang et al.'s closeness criterion of each heading (larger: edges hug the points)."""
    c, s = np.cos(angles)[:, None], np.sin(angles)[:, None]
    u = xy[None, :, 0] * c + xy[None, :, 1] * s
    v = xy[None, :, 1] * c - xy[None, :, 0] * s
    du = np.minimum(u.max(axis=1, keepdims=True) - u, u - u.min(axis=1, keepdims=True))
    dv = np.minimum(v.max(axis=1, keepdims=True) - v, v - v.min(axis=1, keepdims=True))
    distance = np.maximum(np.minimum(du, dv), _L_SHAPE_FLOOR)
    score: F64 = (1.0 / distance).sum(axis=1)
    return score


def _wrap(angle: float) -> float:
    """The same heading in (-pi, pi]."""
    wrapped = math.remainder(angle, 2 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped
