"""How 3D annotations appear in the bird's-eye view, and how 2D edits go back to them.

The bird's-eye view reuses the image canvas: its scene unit is one metre,
measured from the point cloud's origin, with y pointing down the screen
(``scene = (x - ox, -(y - oy))``), so north is up.  A cuboid shows there as
its footprint, a :class:`~annotator.shapes.RotatedBox` in scene units, and
every tool of the image canvas (select, drag, move a corner, nudge) works on
that footprint.  :meth:`CloudFrame.to_store` turns an edited footprint back
into a cuboid, keeping what the top view cannot see (z and height) from the
stored cuboid.

Map features (``polyline3d``, ``polygon3d``, ``point3d``) show as their 2D
traces (polyline, polygon, point in scene metres).  Going back, each vertex
gets its height from, in this order: a stored vertex at the same spot (it
did not move), a height pinned there (snapped onto another feature's
vertex or edge), the stored height of the same vertex when heights are
locked, and else the ground under it (:class:`Heights`).

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
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from annotator.model import Annotation, Geometry
from annotator.shapes import (
    Cuboid,
    Point,
    Point3D,
    Polygon,
    Polygon3D,
    Polyline,
    Polyline3D,
    RotatedBox,
)

__all__ = ["NUDGE_METRES", "ROTATE_STEP", "CloudFrame", "Heights", "pin_key"]

F64 = npt.NDArray[np.float64]

#: Metres one arrow-key nudge moves a shape in the bird's-eye view (Shift: ten times).
NUDGE_METRES = 0.05
#: Radians one rotate key turns a shape (Ctrl: ten times).
ROTATE_STEP = math.radians(1.0)


def pin_key(x: float, y: float) -> tuple[int, int]:
    """The key of a world spot in :attr:`Heights.pinned` (a 0.1 mm grid)."""
    return round(x * 1e4), round(y * 1e4)


@dataclass
class Heights:
    """Where the heights of moved or new map vertices come from.

    ``ground(xy)`` answers world ``(n, 2)`` spots with ground heights (NaN
    where unknown); ``pinned`` holds heights taken over by snapping, by
    :func:`pin_key`; ``locked``: a moved vertex keeps its stored height.
    """

    ground: Callable[[F64], F64] | None = None
    pinned: dict[tuple[int, int], float] = field(default_factory=dict)
    locked: bool = False


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
        return isinstance(annotation.geometry, Cuboid | Polyline3D | Polygon3D | Point3D)

    def scene_points(self, world: npt.ArrayLike) -> F64:
        w = np.asarray(world, dtype=np.float64)
        return np.column_stack((w[:, 0] - self.ox, self.oy - w[:, 1]))

    def world_points(self, scene: npt.ArrayLike) -> F64:
        s = np.asarray(scene, dtype=np.float64)
        return np.column_stack((s[:, 0] + self.ox, self.oy - s[:, 1]))

    def to_scene(self, annotation: Annotation) -> Annotation:
        """What the canvas shows and edits: a cuboid's footprint, a map feature's trace."""
        geometry = annotation.geometry
        shown: Geometry
        if isinstance(geometry, Cuboid):
            x, y, _ = geometry.center[0]
            length, width, _ = geometry.size[0]
            sx, sy = self.scene_xy(float(x), float(y))
            shown = RotatedBox(sx, sy, float(length), float(width), -float(geometry.yaw))
        elif isinstance(geometry, Polygon3D):
            shown = Polygon(self.scene_points(geometry.shell),
                            tuple(self.scene_points(h) for h in geometry.holes))
        elif isinstance(geometry, Point3D):
            shown = Point(self.scene_points(geometry.points))
        elif isinstance(geometry, Polyline3D):
            shown = Polyline(self.scene_points(geometry.points))
        else:
            return annotation
        return dataclasses.replace(annotation, geometry=shown)

    def to_store(self, shown: Annotation, stored: Annotation | None,
                 heights: Heights | None = None) -> Annotation:
        """``shown`` as the store keeps it: a footprint edit becomes the cuboid edit,
        a trace edit the map feature's, with heights as :class:`Heights` says."""
        geometry = shown.geometry
        template = stored.geometry if stored is not None else None
        if isinstance(geometry, RotatedBox) and isinstance(template, Cuboid):
            return dataclasses.replace(shown, geometry=self.cuboid(geometry, template))
        if geometry.dim != 2 or not isinstance(template, Polyline3D | Polygon3D | Point3D):
            return shown
        heights = heights or Heights()
        lifted: Geometry
        if type(geometry) is Polygon and isinstance(template, Polygon3D):
            old = [template.shell, *template.holes]
            new = [geometry.shell, *geometry.holes]
            rings = [self.lift(ring, old[i] if i < len(old) else None, heights)
                     for i, ring in enumerate(new)]
            lifted = Polygon3D(rings[0], tuple(rings[1:]))
        elif type(geometry) is Point and isinstance(template, Point3D):
            lifted = Point3D(self.lift(geometry.points, template.points, heights))
        elif type(geometry) is Polyline and type(template) is Polyline3D:
            lifted = Polyline3D(self.lift(geometry.points, template.points, heights))
        else:
            return shown
        return dataclasses.replace(shown, geometry=lifted)

    def lift(self, scene: npt.ArrayLike, old: F64 | None, heights: Heights) -> F64:
        """World ``(n, 3)`` vertices for scene ``(n, 2)`` ones (see the module's doc)."""
        xy = self.world_points(scene)
        z = np.full(len(xy), np.nan)
        if old is not None and len(old):
            # an unmoved vertex: the stored one at that very spot (same index first)
            for k, (x, y) in enumerate(xy):
                if k < len(old) and abs(old[k, 0] - x) < 1e-7 and abs(old[k, 1] - y) < 1e-7:
                    z[k] = old[k, 2]
                    continue
                same = np.flatnonzero((np.abs(old[:, 0] - x) < 1e-7)
                                      & (np.abs(old[:, 1] - y) < 1e-7))
                if len(same):
                    z[k] = old[same[0], 2]
        for k, (x, y) in enumerate(xy):
            if np.isnan(z[k]):
                pinned = heights.pinned.get(pin_key(float(x), float(y)))
                if pinned is not None:
                    z[k] = pinned
        if heights.locked and old is not None and len(old) == len(xy):
            z = np.where(np.isnan(z), old[:, 2], z)
        todo = np.isnan(z)
        if todo.any() and heights.ground is not None:
            z[todo] = heights.ground(xy[todo])
        todo = np.isnan(z)
        if todo.any():
            known = ~todo
            if known.any():
                z[todo] = np.interp(np.flatnonzero(todo), np.flatnonzero(known), z[known])
            elif old is not None and len(old):
                z[:] = float(np.mean(old[:, 2]))
            else:
                z[:] = 0.0
        return np.column_stack((xy, z))

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
