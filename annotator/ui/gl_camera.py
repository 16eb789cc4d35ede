"""The orbit camera of the 3D view: pure numpy, float64, in the tile's LOCAL frame.

The camera looks at ``target`` from ``distance`` away, ``yaw`` radians around
+z (0 = looking from +x towards -x) and ``pitch`` radians above the horizon;
z is up.  Everything is float64 and local (world minus the cloud's origin), so
a tile 40 km from its CRS origin keeps millimetres; only the finished matrices
go to the GPU as float32.

The clipping planes come from the scene's bounding sphere each frame
(:meth:`OrbitCamera.clip_planes`), so nothing of a large tile is cut off by a
fixed far plane, and the near plane is as far out as the scene allows.

>>> import numpy as np
>>> camera = OrbitCamera()
>>> camera.fit(np.array([10.0, 0.0, 0.0]), 5.0)
>>> camera.target.tolist(), round(camera.distance, 2)
([10.0, 0.0, 0.0], 12.42)
>>> x, y, depth = camera.project(np.array([[10.0, 0.0, 0.0]]), 200, 100)[0]
>>> round(float(x), 6), round(float(y), 6)
(100.0, 50.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["FOV_DEGREES", "OrbitCamera", "Sphere"]

F64 = npt.NDArray[np.float64]

#: Vertical field of view.
FOV_DEGREES = 50.0
#: Pitch stays inside +-89 degrees: straight down the view's "up" would be undefined.
PITCH_LIMIT = math.radians(89.0)
#: The near plane is never closer than this fraction of the far plane
#: (a 24-bit depth buffer resolves depth well at 1:10,000).
NEAR_RATIO = 1e-4
MIN_DISTANCE = 0.05


@dataclass(frozen=True)
class Sphere:
    """A bounding sphere in local coordinates."""

    center: F64
    radius: float


class OrbitCamera:
    """Target, yaw, pitch and distance; the matrices and the gestures that change them."""

    def __init__(self) -> None:
        self.target = np.zeros(3)
        self.yaw = math.radians(-90.0)
        self.pitch = math.radians(35.0)
        self.distance = 10.0
        self.fov = math.radians(FOV_DEGREES)

    # -- state ---------------------------------------------------------------------

    def state(self) -> tuple[float, ...]:
        """Everything that decides the picture, for "did the view change?"."""
        return (*self.target.tolist(), self.yaw, self.pitch, self.distance)

    def fit(self, center: F64, radius: float) -> None:
        """Look at a sphere from the default direction so that it just fills the view."""
        self.target = np.asarray(center, dtype=np.float64).copy()
        self.yaw = math.radians(-90.0)
        self.pitch = math.radians(35.0)
        radius = max(float(radius), 0.5)
        self.distance = radius / math.sin(self.fov / 2) * 1.05

    def fit_box(self, low: F64, high: F64, aspect: float, margin: float = 1.05) -> None:
        """Look at a box from the default direction, as close as shows all its corners.

        A corner at (x, y) across the view and ``z`` nearer than the target
        stays inside the view when ``distance >= |x| * f / aspect - z`` and
        ``distance >= |y| * f - z`` (``f`` the focal length in view heights).
        """
        self.fit((low + high) / 2, float(np.linalg.norm(high - low)) / 2)
        corners = np.array([[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1])
                            for z in (low[2], high[2])]) - self.target
        right, up, fwd = self.basis()
        across, upward, nearer = corners @ right, corners @ up, -(corners @ fwd)
        f = 1.0 / math.tan(self.fov / 2)
        needed = np.maximum(np.abs(across) * f / max(aspect, 1e-6), np.abs(upward) * f) + nearer
        self.distance = max(float(needed.max()) * margin, 1.0)

    def forward(self) -> F64:
        """Unit vector from the eye to the target."""
        cp = math.cos(self.pitch)
        return -np.array([cp * math.cos(self.yaw), cp * math.sin(self.yaw),
                          math.sin(self.pitch)])

    def eye(self) -> F64:
        return self.target - self.forward() * self.distance

    def basis(self) -> tuple[F64, F64, F64]:
        """(right, up, forward) unit vectors of the view."""
        fwd = self.forward()
        right = np.cross(fwd, np.array([0.0, 0.0, 1.0]))
        right /= np.linalg.norm(right)
        return right, np.cross(right, fwd), fwd

    # -- matrices --------------------------------------------------------------------

    def view_matrix(self) -> F64:
        right, up, fwd = self.basis()
        eye = self.eye()
        view = np.identity(4)
        view[0, :3], view[1, :3], view[2, :3] = right, up, -fwd
        view[:3, 3] = -view[:3, :3] @ eye
        return view

    def clip_planes(self, scene: Sphere) -> tuple[float, float]:
        """Near and far planes that hold all of ``scene`` seen from here."""
        depth = float(np.dot(scene.center - self.eye(), self.forward()))
        far = max(depth + scene.radius, 1e-3) * 1.01
        near = max(depth - scene.radius, far * NEAR_RATIO, 1e-4)
        return near, far

    def projection_matrix(self, aspect: float, near: float, far: float) -> F64:
        f = 1.0 / math.tan(self.fov / 2)
        proj = np.zeros((4, 4))
        proj[0, 0] = f / max(aspect, 1e-6)
        proj[1, 1] = f
        proj[2, 2] = (far + near) / (near - far)
        proj[2, 3] = 2 * far * near / (near - far)
        proj[3, 2] = -1.0
        return proj

    def mvp(self, width: int, height: int, scene: Sphere) -> tuple[F64, float]:
        """Projection x view for a ``width`` x ``height`` viewport, and the near plane."""
        near, far = self.clip_planes(scene)
        proj = self.projection_matrix(width / max(height, 1), near, far)
        return proj @ self.view_matrix(), near

    def project(self, points: F64, width: int, height: int) -> F64:
        """Local points to (x, y, depth): widget pixels (y down) and distance along the view.

        Points behind the eye get NaN coordinates.
        """
        pts = np.atleast_2d(np.asarray(points, dtype=np.float64))
        eye_space = (pts - self.eye()) @ np.column_stack(self.basis())
        depth = eye_space[:, 2]
        f = 1.0 / math.tan(self.fov / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            ndc_x = eye_space[:, 0] * f / (width / max(height, 1)) / depth
            ndc_y = eye_space[:, 1] * f / depth
        out = np.column_stack([(ndc_x + 1) * width / 2, (1 - ndc_y) * height / 2, depth])
        out[depth <= 1e-9, :2] = np.nan
        return out

    def ray(self, x: float, y: float, width: int, height: int) -> F64:
        """Unit direction from the eye through widget pixel (x, y)."""
        right, up, fwd = self.basis()
        tan = math.tan(self.fov / 2)
        ndc_x = 2 * x / max(width, 1) - 1
        ndc_y = 1 - 2 * y / max(height, 1)
        direction = fwd + right * ndc_x * tan * width / max(height, 1) + up * ndc_y * tan
        return direction / np.linalg.norm(direction)

    # -- gestures ----------------------------------------------------------------------

    def orbit(self, d_yaw: float, d_pitch: float) -> None:
        self.yaw = (self.yaw + d_yaw) % (2 * math.pi)
        self.pitch = min(max(self.pitch + d_pitch, -PITCH_LIMIT), PITCH_LIMIT)

    def pan(self, dx: float, dy: float, height: int) -> None:
        """Move the target with the cursor: (dx, dy) widget pixels at the target's depth."""
        right, up, _ = self.basis()
        metres_per_pixel = 2 * self.distance * math.tan(self.fov / 2) / max(height, 1)
        self.target = self.target + (-dx * right + dy * up) * metres_per_pixel

    def zoom_at(self, factor: float, x: float, y: float, width: int, height: int,
                max_distance: float) -> None:
        """Scale the distance by ``factor`` about the point under pixel (x, y).

        That point lies where the cursor's ray meets the plane through the
        target facing the camera; scaling the whole camera about it keeps it
        under the cursor.
        """
        new_distance = min(max(self.distance * factor, MIN_DISTANCE), max_distance)
        factor = new_distance / self.distance
        ray = self.ray(x, y, width, height)
        along = self.distance / max(float(np.dot(ray, self.forward())), 1e-6)
        anchor = self.eye() + ray * along
        self.target = anchor + (self.target - anchor) * factor
        self.distance = new_distance

    def fly(self, forward: float, right: float, up: float) -> None:
        """Move eye and target together: along the view, across it, and along world z."""
        r, _, fwd = self.basis()
        self.target = self.target + fwd * forward + r * right + np.array([0.0, 0.0, up])
