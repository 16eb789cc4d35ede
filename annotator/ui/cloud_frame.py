"""How 3D annotations appear in the bird's-eye view, and how 2D edits go back to them.

The bird's-eye view reuses the image canvas: its scene unit is one metre,
measured from the point cloud's origin, with y pointing down the screen
(``scene = (x - ox, -(y - oy))``), so north is up.  A cuboid shows there as
its footprint, a :class:`~annotator.shapes.RotatedBox` in scene units, and
every tool of the image canvas (select, drag, move a corner, nudge) works on
that footprint.  :meth:`CloudFrame.to_store` turns an edited footprint back
into a cuboid, keeping what the top view cannot see (z and height) from the
stored cuboid.

>>> import numpy as np
>>> from annotator.model import Annotation
>>> from annotator.shapes import Cuboid
>>> frame = CloudFrame(40_000.0, -120_000.0)
>>> stored = Annotation(3, 1, "car", Cuboid(np.array([40_010.5, -119_990.0, 31.0]),
...                                          np.array([4.5, 1.8, 1.5]), 0.25))
>>> shown = frame.to_scene(stored)
>>> g = shown.geometry
>>> (round(g.cx, 3), round(g.cy, 3), g.width, g.height, g.angle)
(10.5, -10.0, 4.5, 1.8, -0.25)
>>> back = frame.to_store(shown, stored).geometry
>>> back == stored.geometry
True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from annotator.model import Annotation, Geometry
from annotator.shapes import Cuboid, RotatedBox

__all__ = ["NUDGE_METRES", "ROTATE_STEP", "CloudFrame"]

#: Metres one arrow-key nudge moves a shape in the bird's-eye view (Shift: ten times).
NUDGE_METRES = 0.05
#: Radians one rotate key turns a shape (Ctrl: ten times).
ROTATE_STEP = math.radians(1.0)


@dataclass(frozen=True)
class CloudFrame:
    """The bird's-eye scene of one tile: scene = (x - ox, -(y - oy)), in metres."""

    ox: float
    oy: float

    def scene_xy(self, x: float, y: float) -> tuple[float, float]:
        return x - self.ox, -(y - self.oy)

    def world_xy(self, sx: float, sy: float) -> tuple[float, float]:
        return sx + self.ox, self.oy - sy

    def shows(self, annotation: Annotation) -> bool:
        """Whether the bird's-eye view can show (and edit) this annotation."""
        return isinstance(annotation.geometry, Cuboid)

    def to_scene(self, annotation: Annotation) -> Annotation:
        """The footprint of a stored cuboid, as the canvas shows and edits it."""
        geometry = annotation.geometry
        if not isinstance(geometry, Cuboid):
            return annotation
        x, y, _ = geometry.center[0]
        length, width, _ = geometry.size[0]
        sx, sy = self.scene_xy(float(x), float(y))
        footprint = RotatedBox(sx, sy, float(length), float(width), -float(geometry.yaw))
        return dataclasses.replace(annotation, geometry=footprint)

    def to_store(self, shown: Annotation, stored: Annotation | None) -> Annotation:
        """``shown`` as the store keeps it: a footprint edit becomes the cuboid edit."""
        geometry = shown.geometry
        template = stored.geometry if stored is not None else None
        if not isinstance(geometry, RotatedBox) or not isinstance(template, Cuboid):
            return shown
        return dataclasses.replace(shown, geometry=self.cuboid(geometry, template))

    def cuboid(self, footprint: RotatedBox, template: Cuboid) -> Geometry:
        x, y = self.world_xy(footprint.cx, footprint.cy)
        z = float(template.center[0, 2])
        height = float(template.size[0, 2])
        return Cuboid(np.array([x, y, z]), np.array([footprint.width, footprint.height,
                                                      height]), _wrap(-footprint.angle))


def _wrap(angle: float) -> float:
    """An angle in (-pi, pi]."""
    wrapped = math.remainder(angle, 2 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped
