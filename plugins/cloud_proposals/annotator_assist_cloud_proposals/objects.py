"""Objects standing on the ground: voxel clusters, boxed and named by their size.

The points higher than ``min_height`` above the ground fall into cubic voxels;
voxels touching each other (26 neighbours) form one object.  The components
come from a vectorised union-find over the voxel neighbour pairs (hook each
pair's larger root onto the smaller, then jump pointers until every voxel
points at its root; a handful of rounds), so a street-light arm hanging over
a parked car stays apart from it, which a bird's-eye raster would merge.

Each object of plausible size is boxed: the minimum-area rectangle of its
points seen from above (``cv2.minAreaRect``) at the heading of its long side,
from the ground under its centre to its highest point.  The size table
:data:`SIZES` names what it probably is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from annotator_assist_cloud_proposals.ground import Ground

__all__ = ["SIZES", "Blob", "SizeClass", "box_clusters", "cluster", "guess"]

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

#: Neighbour offsets of a voxel that come "after" it: 13 of the 26, each pair once.
_OFFSETS: Final = [(dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)
                   if (dx, dy, dz) > (0, 0, 0)]


@dataclass(frozen=True)
class SizeClass:
    """A kind of object by its box: ranges of length, width (footprint) and height in metres."""

    name: str                       # what it is, in words of the table
    classes: tuple[str, ...]        # schema class names to try, in order
    length: tuple[float, float]
    width: tuple[float, float]
    height: tuple[float, float]

    def fits(self, length: float, width: float, height: float) -> bool:
        return (self.length[0] <= length <= self.length[1]
                and self.width[0] <= width <= self.width[1]
                and self.height[0] <= height <= self.height[1])


#: Typical boxes of road users and street furniture (metres; the first that fits wins).
SIZES: Final = (
    SizeClass("car", ("car", "vehicle"), (3.0, 6.2), (1.4, 2.3), (1.0, 2.3)),
    SizeClass("truck", ("truck", "bus", "vehicle"), (5.0, 18.0), (1.9, 3.0), (2.0, 4.6)),
    SizeClass("pedestrian", ("pedestrian", "person"), (0.2, 1.2), (0.2, 1.0), (1.0, 2.1)),
    SizeClass("bicycle", ("bicycle", "cyclist", "motorcycle"), (1.2, 2.4), (0.3, 1.1),
              (0.7, 2.1)),
    SizeClass("pole", ("pole",), (0.05, 2.5), (0.05, 1.2), (2.5, 15.0)),
)
#: The largest footprint side (m) of anything proposed: longer things are walls and hedges.
MAX_LENGTH: Final = 20.0


@dataclass(frozen=True)
class Blob:
    """One boxed object in LOCAL coordinates: centre, size, yaw, its points and the guess."""

    center: tuple[float, float, float]
    size: tuple[float, float, float]    # length (along yaw), width, height
    yaw: float
    points: int
    kind: str | None                    # the SIZES name, None: no entry fits


def guess(length: float, width: float, height: float) -> SizeClass | None:
    """The first size class whose ranges hold the box, or None.

    >>> [getattr(guess(*box), "name", None) for box in
    ...  [(4.5, 1.8, 1.5), (0.3, 0.3, 7.0), (0.6, 0.5, 1.7), (12.0, 0.2, 9.0)]]
    ['car', 'pole', 'pedestrian', None]
    """
    return next((s for s in SIZES if s.fits(length, width, height)), None)


def cluster(xyz: F32, voxel: float) -> I64:
    """A component number (0..k-1) for each local point, touching voxels joined."""
    if not len(xyz):
        return np.zeros(0, dtype=np.int64)
    low = xyz.min(axis=0)
    cells = ((xyz - low) / np.float32(voxel)).astype(np.int64) + 1     # a free layer around
    span = cells.max(axis=0) + 2
    key = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
    voxels, inverse = np.unique(key, return_inverse=True)
    pairs_a: list[I64] = []
    pairs_b: list[I64] = []
    for dx, dy, dz in _OFFSETS:
        other = voxels + (dx * span[1] + dy) * span[2] + dz
        pos = np.minimum(np.searchsorted(voxels, other), len(voxels) - 1)
        hit = voxels[pos] == other
        pairs_a.append(np.flatnonzero(hit))
        pairs_b.append(pos[hit])
    root = _components(len(voxels), np.concatenate(pairs_a), np.concatenate(pairs_b))
    _, number = np.unique(root, return_inverse=True)
    labels: I64 = number[inverse].astype(np.int64)
    return labels


def _components(n: int, a: I64, b: I64) -> I64:
    """The smallest member of each element's component, from the pairs ``a[i] ~ b[i]``."""
    parent = np.arange(n, dtype=np.int64)
    while True:
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            return parent
        lo, hi = np.minimum(pa[differ], pb[differ]), np.maximum(pa[differ], pb[differ])
        np.minimum.at(parent, hi, lo)           # hi is a root: it now hangs under lo
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        keep = differ.copy()
        a, b = a[keep], b[keep]


def box_clusters(xyz: F32, labels: I64, ground: Ground, *, min_points: int,
                 max_length: float = MAX_LENGTH) -> list[Blob]:
    """Box each cluster with at least ``min_points`` points and a footprint up to ``max_length``."""
    if not len(labels):
        return []
    k = int(labels.max()) + 1
    count = np.bincount(labels, minlength=k)
    low = np.full((k, 2), np.inf, dtype=np.float32)
    high = np.full((k, 2), -np.inf, dtype=np.float32)
    for axis in range(2):
        np.minimum.at(low[:, axis], labels, xyz[:, axis])
        np.maximum.at(high[:, axis], labels, xyz[:, axis])
    extent = np.hypot(*(high - low).T)
    wanted = (count >= max(min_points, 3)) & (extent <= max_length * 1.5)
    keep = wanted[labels]
    order = np.argsort(labels[keep], kind="stable")
    points = xyz[keep][order]
    sizes = count[wanted]
    blobs: list[Blob] = []
    for part in np.split(points, np.cumsum(sizes)[:-1]):
        blob = _box(part, ground)
        if blob is not None and blob.size[0] <= max_length:
            blobs.append(blob)
    return blobs


def _box(points: F32, ground: Ground) -> Blob | None:
    """The upright box of one cluster's local points: minimum-area footprint, ground to top."""
    xy = points[:, :2]
    mid = xy.mean(axis=0)
    (cx, cy), (w, h), angle = cv2.minAreaRect((xy - mid).astype(np.float32))
    yaw = math.radians(angle)
    length, width = float(w), float(h)
    if width > length:
        length, width, yaw = width, length, yaw + math.pi / 2
    yaw = math.remainder(yaw, math.pi)       # the front is unknown: (-pi/2, pi/2]
    x, y = float(cx) + float(mid[0]), float(cy) + float(mid[1])
    floor = float(ground.heights(np.array([x]), np.array([y]))[0])
    top = float(points[:, 2].max())
    bottom = float(points[:, 2].min())
    if math.isfinite(floor):
        bottom = min(bottom, floor)
    height = top - bottom
    found = guess(length, width, height)
    return Blob((x, y, (top + bottom) / 2), (length, width, height), yaw, len(points),
                None if found is None else found.name)
