"""What the 3D view uploads for a point cloud: shuffled points, colour scalars, ramps.

The points go to the GPU once, in a random order, so that any prefix of the
buffer is a uniform sample of the tile: the view draws the first N points
while the camera moves and the rest when it stops.  The order is made in
chunks (a gather through one int32 permutation), so a 20-million-point tile
never needs a second full copy in memory.

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
>>> chunks = list(prepared.chunks(4))
>>> [len(c.xyz) for c in chunks]
[4, 4, 2]
>>> sorted(np.concatenate([c.xyz for c in chunks])[:, 0].tolist()) == xyz[:, 0].tolist()
True
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from annotator.media.pointcloud import PointCloud

__all__ = [
    "CLASS_FIELDS", "COLOUR_MODES", "MAX_POINTS", "CloudChunk", "PreparedCloud", "ramps",
]

COLOUR_MODES = ("height", "intensity", "rgb", "class")
#: Per-point class fields, first found wins (LAS, SemanticKITTI-style, generic).
CLASS_FIELDS = ("classification", "class", "label", "semantic")
#: One GL buffer is addressed with a signed 32-bit byte count: 12 bytes a point.
MAX_POINTS = (2**31 - 1) // 12
#: Sample size for the robust ranges (fit box, height and intensity ramps).
SAMPLE = 200_000

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class CloudChunk:
    """Consecutive points of the shuffled order: where they go and their data."""

    start: int
    xyz: F32
    intensity: U8 | None
    classes: U8 | None
    rgb: U8 | None


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
        low, high = cloud.local_bounds()
        self.low = low.astype(np.float64)
        self.high = high.astype(np.float64)
        self.fit_low, self.fit_high = self.low, self.high
        self.z_range = (float(low[2]), float(high[2]))
        self.intensity_range = (0.0, 1.0)
        self._rgb_scale = 1.0
        if total == 0:
            return
        sample = np.unique(np.random.default_rng(total).integers(0, total, min(SAMPLE, total)))
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

    def chunks(self, size: int = 1 << 20, count: int | None = None) -> Iterator[CloudChunk]:
        """The first ``count`` (default all kept) points of the shuffled order,
        ``size`` at a time, ready for upload."""
        total = len(self.cloud)
        count = self.count if count is None else min(count, self.count)
        # One permutation of all points, cut to ``count``: the kept prefix is a
        # uniform sample too.  Seeded by the size: the same cloud, the same order.
        index_type = np.int32 if total < 2**31 else np.int64
        order = np.random.default_rng(total).permutation(np.arange(total, dtype=index_type))
        low, high = self.intensity_range
        scale = 255.0 / (high - low) if high > low else 0.0
        for start in range(0, count, size):
            idx = order[start:min(start + size, count)]
            xyz = np.ascontiguousarray(self.cloud.xyz[idx], dtype=np.float32)
            intensity = classes = rgb = None
            if self._intensity is not None:
                values = np.asarray(self._intensity[idx], dtype=np.float32)
                intensity = np.clip((values - low) * scale, 0, 255).astype(np.uint8)
            if self._classes is not None:
                classes = (np.asarray(self._classes[idx]).astype(np.int64) & 0xFF
                           ).astype(np.uint8)
            if self._rgb is not None:
                part = self._rgb[idx]
                rgb = part if self._rgb_scale == 1.0 and part.dtype == np.uint8 else \
                    np.clip(part * self._rgb_scale, 0, 255).astype(np.uint8)
            yield CloudChunk(start, xyz, intensity, classes, rgb)


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
