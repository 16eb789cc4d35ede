"""What the 3D view uploads for a point cloud: points by cell, shuffled, and colour scalars.

The points go to the GPU once.  The tile's footprint is cut into square cells
(about :data:`CELLS`); each cell's points lie together in the buffer, in a
random order, so that any prefix of a cell is a uniform sample of it.  A frame
draws only the cells in view, and of each the same share: the first N points
while the camera moves, the rest in the frames after it stops.

:meth:`PreparedCloud.arrange` makes that order (one int32 permutation, a 16-bit
radix sort by cell) and the upload-ready copy, gathering a chunk at a time;
it is plain numpy and runs on a worker thread, and the copy is dropped once
it is on the GPU.

Colour costs little memory: "height" is computed in the shader from z (no
buffer at all), "intensity" and "class" are one byte per point looked up in a
256-entry ramp, and "rgb" is three bytes per point.

>>> import numpy as np
>>> from annotator.media.pointcloud import PointCloud
>>> xyz = np.arange(30, dtype=np.float32).reshape(10, 3)
>>> cloud = PointCloud(np.zeros(3), xyz, {"intensity": np.arange(10, dtype=np.uint16)},
...                    "pcd", "binary")
>>> prepared = PreparedCloud(cloud)
>>> prepared.modes
('height', 'intensity')
>>> arranged = prepared.arrange()
>>> int(arranged.cells.count.sum()), arranged.intensity.dtype.name
(10, 'uint8')
>>> sorted(arranged.xyz[:, 0].tolist()) == xyz[:, 0].tolist()
True
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from annotator.media.pointcloud import PointCloud

__all__ = [
    "CELLS", "CLASS_FIELDS", "COLOUR_MODES", "MAX_POINTS", "Arranged", "Cells", "PreparedCloud",
    "ramps",
]

COLOUR_MODES = ("height", "intensity", "rgb", "class")
#: Per-point class fields, first found wins (LAS, SemanticKITTI-style, generic).
CLASS_FIELDS = ("classification", "class", "label", "semantic")
#: One GL buffer is addressed with a signed 32-bit byte count: 12 bytes a point.
MAX_POINTS = (2**31 - 1) // 12
#: Sample size for the robust ranges (fit box, height and intensity ramps).
SAMPLE = 200_000
#: About this many cells over the footprint: few enough to test each frame,
#: enough that a close-up view skips most of a long tile.
CELLS = 512
#: Points gathered at a time (bounded temporaries).
CHUNK = 1 << 20

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


class PreparedCloud:
    """The shuffled order, robust ranges and colour scalars of one cloud."""

    def __init__(self, cloud: PointCloud, limit: int = MAX_POINTS) -> None:
        self.cloud = cloud
        total = len(cloud)
        self.count = min(total, limit)
        self._intensity = _field(cloud, ("intensity",))
        self._classes = _field(cloud, CLASS_FIELDS)
        rgb = cloud.fields.get("rgb")
        self._rgb = rgb if rgb is not None and rgb.ndim == 2 and rgb.shape[1] == 3 else None
        # Column by column: numpy reduces a (n, 3) array along axis 0 five times slower.
        columns = [cloud.xyz[:, axis] for axis in range(3)] if total else []
        self.low = np.array([float(c.min()) for c in columns] if total else [0.0] * 3)
        self.high = np.array([float(c.max()) for c in columns] if total else [0.0] * 3)
        self.fit_low, self.fit_high = self.low, self.high
        self.z_range = (float(self.low[2]), float(self.high[2]))
        self.intensity_range = (0.0, 1.0)
        self._rgb_scale = 1.0
        if total == 0:
            return
        sample = np.sort(np.random.default_rng(total).integers(0, total, min(SAMPLE, total)))
        pts = np.asarray(cloud.xyz[sample], dtype=np.float64)
        self.fit_low = np.percentile(pts, 0.5, axis=0)
        self.fit_high = np.percentile(pts, 99.5, axis=0)
        self.z_range = (float(np.percentile(pts[:, 2], 2)), float(np.percentile(pts[:, 2], 98)))
        if self._rgb is not None:
            self._rgb_scale = _rgb_scale(self._rgb, sample)
        if self._intensity is not None:
            values = np.asarray(self._intensity[sample], dtype=np.float64)
            self.intensity_range = (float(np.percentile(values, 1)),
                                    float(np.percentile(values, 99)))

    @property
    def modes(self) -> tuple[str, ...]:
        """The colour modes this cloud can show."""
        have = {"height": True, "intensity": self._intensity is not None,
                "rgb": self._rgb is not None, "class": self._classes is not None}
        return tuple(mode for mode in COLOUR_MODES if have[mode])

    def arrange(self, count: int | None = None) -> Arranged:
        """The first ``count`` points of a random sample, ready for upload: by cell,
        shuffled within each cell.  Pure numpy, safe on a worker thread."""
        total = len(self.cloud)
        count = self.count if count is None else min(count, self.count)
        order, cells = self._layout(total, count)
        xyz = np.empty((count, 3), dtype=np.float32)
        intensity = np.empty(count, np.uint8) if self._intensity is not None else None
        classes = np.empty(count, np.uint8) if self._classes is not None else None
        rgb = np.empty((count, 3), np.uint8) if self._rgb is not None else None
        low, high = self.intensity_range
        scale = 255.0 / (high - low) if high > low else 0.0
        for start in range(0, count, CHUNK):
            idx = order[start:start + CHUNK]
            stop = start + len(idx)
            xyz[start:stop] = self.cloud.xyz[idx]
            if intensity is not None and self._intensity is not None:
                values = np.asarray(self._intensity[idx], dtype=np.float32)
                intensity[start:stop] = np.clip((values - low) * scale, 0, 255)
            if classes is not None and self._classes is not None:
                classes[start:stop] = np.asarray(self._classes[idx]).astype(np.int64) & 0xFF
            if rgb is not None and self._rgb is not None:
                part = self._rgb[idx]
                rgb[start:stop] = part if self._rgb_scale == 1.0 and part.dtype == np.uint8 \
                    else np.clip(part * self._rgb_scale, 0, 255)
        return Arranged(count, cells, xyz, intensity, classes, rgb)

    def _layout(self, total: int, count: int) -> tuple[npt.NDArray[np.integer[Any]], Cells]:
        # One permutation of all points, cut to ``count``: the kept prefix is a
        # uniform sample too.  Seeded by the size: the same cloud, the same order.
        index_type = np.int32 if total < 2**31 else np.int64
        perm = np.random.default_rng(total).permutation(np.arange(total, dtype=index_type))
        perm = perm[:count]
        grid = _Grid(self.fit_low, self.fit_high)
        # Cell ids in file order (sequential reads), then 2 bytes a point through
        # the permutation rather than 12.
        ids = np.empty(total, dtype=np.uint16)
        for start in range(0, total, CHUNK):
            ids[start:start + CHUNK] = grid.cell_of(self.cloud.xyz[start:start + CHUNK])
        ids = ids[perm]
        # A stable sort keeps the random order inside each cell (radix sort: 16 bits).
        order = perm[np.argsort(ids, kind="stable")]
        del perm
        counts = np.bincount(ids, minlength=grid.cells)
        del ids
        used = np.flatnonzero(counts)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[used]
        low, high = grid.bounds(used, self.low, self.high)
        return order, Cells(starts.astype(np.int64), counts[used].astype(np.int64), low, high)


@dataclass(frozen=True)
class Cells:
    """The uploaded points by cell: each cell's slice of the buffer and its box."""

    start: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]

    def visible(self, mvp: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        """Indices of the cells whose box is not wholly outside one side of the view."""
        if not len(self.count):
            return np.zeros(0, dtype=np.intp)
        corners = np.stack([np.where(np.array([(i >> a) & 1 for a in range(3)], dtype=bool),
                                     self.high, self.low) for i in range(8)], axis=1)
        clip = np.einsum("ij,ckj->cki", mvp[:, :3], corners) + mvp[:, 3]
        x, y, z, w = clip[..., 0], clip[..., 1], clip[..., 2], clip[..., 3]
        outside = ((x > w).all(1) | (x < -w).all(1) | (y > w).all(1) | (y < -w).all(1)
                   | (z < -w).all(1))
        return np.flatnonzero(~outside)

    def ranges(self, cells: npt.NDArray[np.intp], begin: float, end: float
               ) -> tuple[list[tuple[int, int]], int]:
        """Buffer ranges (first, count) that take ``cells`` from the share ``begin``
        of their points to ``end`` (0..1), and how many points that is."""
        # Rounding (not flooring) each cell's share keeps the sum near the
        # budget, and a share never shrinks as ``end`` grows.
        counts = self.count[cells]
        old = np.rint(counts * begin).astype(np.int64)
        new = counts if end >= 1.0 else np.rint(counts * end).astype(np.int64)
        firsts = self.start[cells] + old
        sizes = new - old
        keep = sizes > 0
        return (list(zip(firsts[keep].tolist(), sizes[keep].tolist(), strict=True)),
                int(sizes.sum()))


@dataclass(frozen=True)
class Arranged:
    """Points and colour scalars in upload order, and where each cell lies."""

    count: int
    cells: Cells
    xyz: F32
    intensity: U8 | None
    classes: U8 | None
    rgb: U8 | None


class _Grid:
    """Square cells over the tile's (robust) footprint, at most ~1000 of them;
    points beyond it fall into the border cells."""

    def __init__(self, low: npt.NDArray[np.float64], high: npt.NDArray[np.float64]) -> None:
        self.low = low[:2]
        extent = np.maximum(high[:2] - low[:2], 1e-3)
        self.size = max(float(np.sqrt(extent[0] * extent[1] / CELLS)), float(extent.max()) / 64,
                        0.5)
        self.shape = np.maximum(np.ceil(extent / self.size).astype(np.int64), 1)
        self.cells = int(self.shape[0] * self.shape[1])

    def bounds(self, cells: npt.NDArray[np.intp], low: npt.NDArray[np.float64],
               high: npt.NDArray[np.float64]
               ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Boxes that hold every point of ``cells``: the cell's square (stretched to
        the tile's bounds ``low``-``high`` at the border) and the tile's height."""
        i, j = np.divmod(cells, self.shape[1])
        ij = np.column_stack([i, j]).astype(np.float64)
        box_low = np.column_stack([self.low + ij * self.size, np.full(len(cells), low[2])])
        box_high = np.column_stack([self.low + (ij + 1) * self.size,
                                    np.full(len(cells), high[2])])
        for axis in range(2):
            box_low[ij[:, axis] == 0, axis] = min(low[axis], self.low[axis])
            box_high[ij[:, axis] == self.shape[axis] - 1, axis] = high[axis]
        return box_low, box_high

    def cell_of(self, xyz: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
        ij = np.floor((xyz[:, :2] - self.low) / self.size).astype(np.int64)
        ij = np.clip(ij, 0, self.shape - 1)
        ids: npt.NDArray[np.uint16] = (ij[:, 0] * self.shape[1] + ij[:, 1]).astype(np.uint16)
        return ids


def _field(cloud: PointCloud, names: tuple[str, ...]) -> npt.NDArray[Any] | None:
    for name in names:
        values = cloud.fields.get(name)
        if values is not None and values.ndim == 1 and len(values) == len(cloud):
            return values
    return None


def _rgb_scale(rgb: npt.NDArray[Any], sample: npt.NDArray[np.integer[Any]]) -> float:
    """The factor that brings colours to bytes: 8-bit, 16-bit (LAS) or 0-1 floats."""
    if rgb.dtype == np.uint8:
        return 1.0
    peak = float(np.max(rgb[sample], initial=0))
    if peak <= 1.0 and np.issubdtype(rgb.dtype, np.floating):
        return 255.0
    return 1.0 if peak <= 255 else 255.0 / 65535.0


# -- colour ramps ------------------------------------------------------------------------

#: Key colours of the perceptually uniform "viridis" map, low to high (its darkest
#: tenth left out: it would vanish on the dark background).
_HEIGHT_KEYS = ((72, 36, 117), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))
#: ASPRS LAS 1.4 standard classes 0-18 as most viewers show them.
_LAS_CLASSES = {
    0: (160, 160, 160), 1: (200, 200, 200), 2: (150, 110, 70), 3: (140, 210, 110),
    4: (60, 170, 60), 5: (20, 110, 30), 6: (230, 90, 60), 7: (255, 0, 255),
    8: (255, 255, 255), 9: (60, 120, 230), 10: (170, 120, 200), 11: (110, 110, 120),
    12: (255, 255, 140), 13: (255, 210, 0), 14: (255, 160, 0), 15: (200, 200, 60),
    16: (255, 120, 120), 17: (180, 140, 100), 18: (255, 40, 160),
}


def ramps() -> U8:
    """A 256 x 3 RGBA texture: row 0 height, row 1 intensity, row 2 class palette."""
    out = np.zeros((3, 256, 4), dtype=np.uint8)
    out[..., 3] = 255
    keys = np.array(_HEIGHT_KEYS, dtype=np.float64)
    where = np.linspace(0, len(keys) - 1, 256)
    for channel in range(3):
        out[0, :, channel] = np.interp(where, np.arange(len(keys)), keys[:, channel])
    # Dark returns stay visible on the dark background.
    out[1, :, :3] = np.linspace(45, 255, 256)[:, None].astype(np.uint8)
    for value in range(256):
        if value in _LAS_CLASSES:
            colour = _LAS_CLASSES[value]
        else:
            # Golden-ratio hues: neighbouring codes get far-apart colours.
            hue = (value * 0.618033988749895) % 1.0
            r, g, b = colorsys.hsv_to_rgb(hue, 0.65, 0.95)
            colour = (int(r * 255), int(g * 255), int(b * 255))
        out[2, value, :3] = colour
    return out
