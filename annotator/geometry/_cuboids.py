"""The cuboid rules: a positive size, points inside, above the ground.

``cuboid_size`` needs only the shape.  ``cuboid_empty`` and
``cuboid_below_ground`` need the item's point cloud, which the caller's
``clouds(item)`` hands over (None: those two rules skip the item); each cloud
is asked for once per run and let go before the next item's, so a run holds
one tile at a time.  When an item has many cuboids on a large cloud, a point
grid is built over it first (:func:`annotator.geometry.cuboid.index_cloud`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np

from annotator.geometry._checks import Context, Hit, fmt_number
from annotator.geometry._ragged import IntArray
from annotator.geometry.cuboid import ground_around, index_cloud, points_in_cuboid
from annotator.media.pointcloud import PointCloud
from annotator.model import Item
from annotator.shapes import Cuboid

__all__ = ["BELOW_GROUND", "Clouds", "check_cuboids"]

#: How far (m) a cuboid's bottom may reach below the local ground before it is flagged.
BELOW_GROUND: Final = 0.3
#: An item with at least this many cuboids on a cloud of at least GRID_POINTS gets a grid.
_GRID_CUBOIDS: Final = 8
_GRID_POINTS: Final = 1_000_000

Clouds = Callable[[Item], PointCloud | None]


def check_cuboids(ctx: Context, index: IntArray, items: Sequence[Item],
                  clouds: Clouds | None) -> list[Hit]:
    """The hits of the cuboids at ``index``; the point-cloud rules only with ``clouds``."""
    shapes: list[Cuboid] = [ctx.geometries[i] for i in index.tolist()]
    sizes = np.array([shape.size[0] for shape in shapes]).reshape(-1, 3)
    flat = (sizes <= 0).any(axis=1)
    hits = [_size_hit(int(index[p]), shapes[p]) for p in np.flatnonzero(flat).tolist()]
    if clouds is None:
        return hits
    sound = index[~flat]
    owners = ctx.owner[sound]
    for owner in np.unique(owners).tolist():
        mine = sound[owners == owner]
        cloud = clouds(items[owner])
        if cloud is None:
            continue
        if len(mine) >= _GRID_CUBOIDS and len(cloud) >= _GRID_POINTS:
            index_cloud(cloud)
        for position in mine.tolist():
            hits += _cloud_hits(position, ctx.geometries[position], cloud)
        del cloud
    return hits


def _spot(cuboid: Cuboid) -> tuple[float, float]:
    return float(cuboid.center[0, 0]), float(cuboid.center[0, 1])


def _size_hit(position: int, cuboid: Cuboid) -> Hit:
    length, width, height = (fmt_number(v) for v in cuboid.size[0])
    return Hit(position, "cuboid_size", "error",
               f"size must be positive (length {length}, width {width}, height {height} m)",
               _spot(cuboid))


def _cloud_hits(position: int, cuboid: Cuboid, cloud: PointCloud) -> list[Hit]:
    hits = []
    if not len(points_in_cuboid(cloud, cuboid)):
        hits.append(Hit(position, "cuboid_empty", "warning", "no point of the cloud inside",
                        _spot(cuboid)))
    plane = ground_around(cloud, cuboid)
    if plane is None:
        return hits
    ground = float(plane.at(*_spot(cuboid)))
    height = float(cuboid.size[0, 2])
    bottom = float(cuboid.center[0, 2]) - height / 2
    if bottom + height < ground:
        hits.append(Hit(position, "cuboid_below_ground", "warning",
                        f"wholly below the ground: top {fmt_number(ground - bottom - height)} m "
                        f"under it (ground at {fmt_number(ground)} m)", _spot(cuboid)))
    elif bottom < ground - BELOW_GROUND:
        hits.append(Hit(position, "cuboid_below_ground", "warning",
                        f"bottom {fmt_number(ground - bottom)} m below the ground "
                        f"(at {fmt_number(ground)} m; {BELOW_GROUND} m allowed)", _spot(cuboid)))
    return hits
