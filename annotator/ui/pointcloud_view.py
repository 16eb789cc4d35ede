"""The 3D view of a point-cloud tile: points, cuboids, orbit/pan/zoom/fly navigation.

:class:`PointCloudView` draws a :class:`~annotator.media.pointcloud.PointCloud`
with OpenGL through Qt's own wrappers.  The points are uploaded once, as
float32 local coordinates in a shuffled order (see :mod:`annotator.ui.gl_cloud`),
and drawn with a level of detail that keeps the view responsive on a
software renderer:

* while the camera moves, each frame draws the first ``budget`` points of
  the shuffled buffer, a uniform sample of the tile; the budget adapts so that
  a frame takes about :data:`TARGET_FRAME_MS`;
* when the camera stops, following frames add the next ``budget`` points to
  the picture kept in an off-screen framebuffer, until every point is drawn.

Cuboids are given in WORLD coordinates with an annotation id and a colour;
they are drawn as lines over the points, the selected ones thicker and
brighter, and a click on one emits :attr:`PointCloudView.cuboidClicked`.

Mouse: left drag orbits, middle drag or Shift+left drag pans, the wheel zooms
toward the cursor, a click picks a cuboid.  Keys (with the view focused):
W/A/S/D/Q/E fly (Shift: faster), arrows orbit, +/- zoom, Home or F fits the
tile.
"""

from __future__ import annotations

import math
import time
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPoint,
    QPointF,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QOffscreenSurface,
    QOpenGLContext,
    QPainter,
    QSurfaceFormat,
    QWheelEvent,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from annotator.media.pointcloud import PointCloud
from annotator.shapes import Cuboid
from annotator.ui.gl_camera import OrbitCamera, Sphere
from annotator.ui.gl_cloud import COLOUR_MODES, PreparedCloud
from annotator.ui.gl_cuboids import CuboidOverlay, pick
from annotator.ui.gl_renderer import CloudRenderer, GlError, PointStyle, context_info

__all__ = ["TARGET_FRAME_MS", "PointCloudView", "ViewState"]

#: What a frame should take while the camera moves (10 fps or better, with room to spare).
TARGET_FRAME_MS = 60.0
#: The camera counts as still this long after the last change.
SETTLE_MS = 150
MIN_BUDGET = 20_000
INITIAL_BUDGET = 500_000
#: A press and release closer than this (pixels) is a click, not a drag.
CLICK_SLOP = 3
#: Pick tolerance around a drawn line, in pixels.
PICK_TOLERANCE = 6.0
ORBIT_RADIANS_PER_PIXEL = math.radians(0.4)
KEY_ORBIT = math.radians(5.0)
WHEEL_STEP = 0.85
#: Fly keys: (forward, right, up) unit steps.
_FLY = {
    Qt.Key.Key_W: (1, 0, 0), Qt.Key.Key_S: (-1, 0, 0),
    Qt.Key.Key_D: (0, 1, 0), Qt.Key.Key_A: (0, -1, 0),
    Qt.Key.Key_E: (0, 0, 1), Qt.Key.Key_Q: (0, 0, -1),
}
_VIEW_KEYS = {
    Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Plus,
    Qt.Key.Key_Minus, Qt.Key.Key_Equal, Qt.Key.Key_Home, Qt.Key.Key_F, *_FLY,
}


@dataclass(frozen=True)
class ViewState:
    """Where the camera is, in WORLD coordinates (float64)."""

    target: npt.NDArray[np.float64]
    eye: npt.NDArray[np.float64]
    yaw_degrees: float
    pitch_degrees: float
    distance: float


def surface_format() -> QSurfaceFormat:
    """GL 3.3 core (GLES 3.0 where the application asked for GLES) with a depth
    buffer; Qt falls back to what the driver has, and the shaders follow."""
    fmt = QSurfaceFormat.defaultFormat()
    if fmt.renderableType() == QSurfaceFormat.RenderableType.OpenGLES:
        fmt.setVersion(3, 0)
    else:
        fmt.setVersion(3, 3)
        fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setDepthBufferSize(24)
    return fmt


class _GlJanitor(QObject):
    """Frees a renderer's GL objects when its context goes (``aboutToBeDestroyed``).

    It makes the context current on an off-screen surface of its own: while
    the widget is being deleted its own surface can no longer be made current,
    and Python's handles on the widget and on the context may already be dead,
    so the slot finds the context through ``sender()`` and needs no widget.
    """

    def __init__(self, view: PointCloudView, context: QOpenGLContext,
                 renderer: CloudRenderer | None) -> None:
        super().__init__()
        self._surface = QOffscreenSurface()
        self._surface.setFormat(context.format())
        self._surface.create()
        self._view = weakref.ref(view)
        self._renderer = renderer
        context.aboutToBeDestroyed.connect(self.release)

    @Slot()
    def release(self) -> None:
        renderer, self._renderer = self._renderer, None
        context = self.sender()
        try:
            if renderer is not None and isinstance(context, QOpenGLContext) \
                    and context.makeCurrent(self._surface):
                renderer.release()
                context.doneCurrent()
            self._surface.destroy()
        except RuntimeError:
            pass  # interpreter shutdown took the surface first; the process is ending
        view = self._view()
        if view is not None and view._janitors and view._janitors[-1] is self:
            view._renderer = None
        if view is not None and self in view._janitors:
            view._janitors.remove(self)


class PointCloudView(QOpenGLWidget):
    """An OpenGL view of one point cloud and its cuboids (see the module docstring)."""

    cuboidClicked = Signal(int)
    #: After every frame; :meth:`frame_stats` tells what it drew.
    frameDrawn = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pointCloudView")
        self.setFormat(surface_format())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(160, 120)
        self.setAccessibleName(self.tr("3D point cloud view"))
        self.setAccessibleDescription(self.tr(
            "Left drag orbits, middle or Shift+left drag pans, the wheel zooms. "
            "W A S D Q E fly, arrow keys orbit, plus and minus zoom, Home or F fits the tile. "
            "Click a cuboid to select it."))
        self._camera = OrbitCamera()
        self._cloud: PointCloud | None = None
        self._prepared: PreparedCloud | None = None
        self._origin = np.zeros(3)
        self._serial = 0
        self._mode = "height"
        self._point_size = 2.0
        self._cuboids: list[tuple[int, Cuboid, str]] = []
        self._selection: set[int] = set()
        self._overlay = CuboidOverlay.build([], self._origin, set())
        self._renderer: CloudRenderer | None = None
        self._info: dict[str, str] = {}
        self._janitors: list[_GlJanitor] = []
        self._error = ""
        self._uploaded = 0
        self._upload_ms = 0.0
        self._pending_upload = False
        self._pending_lines = False
        self._frame_key: tuple[Any, ...] | None = None
        self._drawn = 0
        self._last_frame = {"ms": 0.0, "points": 0}
        self._frame_ends: deque[float] = deque()
        self._budget = INITIAL_BUDGET
        self._fixed_budget: int | None = None
        self._target_ms = TARGET_FRAME_MS
        self._last_change = 0.0
        self._fitted = False
        self._press: QPointF | None = None
        self._last_pos = QPointF()
        self._drag_mode = ""
        self._dragging = False
        self._fly_keys: set[Qt.Key] = set()
        self._fly_fast = False
        self._fly_tick = 0.0
        self._settle = self._timer(SETTLE_MS + 20, self.update)
        self._refine = self._timer(0, self.update)
        self._fly_timer = self._timer(16, self._on_fly_timer_timeout, single=False)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_app_about_to_quit)

    def _timer(self, ms: int, slot: Any, single: bool = True) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(ms)
        timer.setSingleShot(single)
        timer.timeout.connect(slot)
        return timer

    # -- public API ---------------------------------------------------------------------

    def set_cloud(self, cloud: PointCloud | None) -> None:
        """Show ``cloud`` (None: nothing) and fit the view to it."""
        self._cloud = cloud if cloud is not None and len(cloud) else None
        self._prepared = PreparedCloud(self._cloud) if self._cloud is not None else None
        self._serial += 1
        self._pending_upload = True
        if cloud is not None:
            self._origin = np.asarray(cloud.origin, dtype=np.float64).copy()
        self._rebuild_overlay()
        self.fit_view()

    def cloud(self) -> PointCloud | None:
        return self._cloud

    def available_colour_modes(self) -> tuple[str, ...]:
        """Colour modes the current cloud has data for ("height" always)."""
        return self._prepared.modes if self._prepared is not None else ("height",)

    def colour_mode(self) -> str:
        return self._mode

    def set_colour_mode(self, mode: str) -> None:
        """"height", "intensity", "rgb" or "class"; a mode the cloud has no data for
        shows height colours (see :meth:`available_colour_modes`)."""
        if mode not in COLOUR_MODES:
            raise ValueError(f"colour mode {mode!r}: expected one of {', '.join(COLOUR_MODES)}")
        self._mode = mode
        self.update()

    def set_point_size(self, pixels: float) -> None:
        """Point size in screen pixels (1-20)."""
        self._point_size = min(max(float(pixels), 1.0), 20.0)
        self.update()

    def set_cuboids(self, cuboids: Sequence[tuple[int, Cuboid, str]]) -> None:
        """``(annotation_id, cuboid in WORLD coordinates, "#rrggbb")`` for each box."""
        self._cuboids = list(cuboids)
        self._rebuild_overlay()

    def set_selection(self, ids: set[int]) -> None:
        self._selection = set(ids)
        self._rebuild_overlay()

    def selection(self) -> set[int]:
        return set(self._selection)

    def look_at(self, world_xyz: Sequence[float] | npt.NDArray[np.float64],
                distance: float | None = None) -> None:
        """Turn the camera to a WORLD point (keeping direction and, unless given, distance)."""
        self._camera.target = np.asarray(world_xyz, dtype=np.float64)[:3] - self._origin
        if distance is not None:
            self._camera.distance = max(float(distance), 0.05)
        self._camera_changed()

    def fit_view(self) -> None:
        """Look at the whole tile (and its cuboids) from the default direction."""
        low, high = self._bounds(robust=True)
        self._camera.fit_box(low, high, self.width() / max(self.height(), 1))
        self._camera_changed(fitted=True)

    def view_state(self) -> ViewState:
        cam = self._camera
        return ViewState(cam.target + self._origin, cam.eye() + self._origin,
                         math.degrees(cam.yaw), math.degrees(cam.pitch), cam.distance)

    def map_to_widget(self, world_points: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """WORLD points to widget pixel positions (n, 2); NaN for points behind the eye."""
        local = np.atleast_2d(np.asarray(world_points, dtype=np.float64)) - self._origin
        return self._camera.project(local, self.width(), self.height())[:, :2]

    def set_point_budget(self, points: int | None) -> None:
        """Points drawn per frame; None (the default) adapts it to the frame time."""
        self._fixed_budget = None if points is None else max(int(points), 1)
        if self._fixed_budget is not None:
            self._budget = self._fixed_budget

    def set_frame_target_ms(self, ms: float) -> None:
        """The frame time the adaptive budget aims at (default :data:`TARGET_FRAME_MS`)."""
        self._target_ms = max(float(ms), 1.0)

    def is_moving(self) -> bool:
        """True while a gesture is under way or the camera changed in the last moments."""
        recent = time.perf_counter() - self._last_change < SETTLE_MS / 1000
        return self._dragging or bool(self._fly_keys) or recent

    def frame_stats(self) -> dict[str, Any]:
        """The last frame: ``frame_ms``, ``points_drawn`` (in the picture now),
        ``points_last_frame``, ``points_total``, ``fps`` (frames in the last second),
        ``budget``, ``moving``, ``complete``, ``upload_ms``; and ``error`` if GL failed."""
        now = time.perf_counter()
        while self._frame_ends and now - self._frame_ends[0] > 1.0:
            self._frame_ends.popleft()
        return {
            "frame_ms": self._last_frame["ms"], "points_drawn": self._drawn,
            "points_last_frame": self._last_frame["points"], "points_total": self._uploaded,
            "points_in_cloud": len(self._cloud) if self._cloud is not None else 0,
            "fps": len(self._frame_ends), "budget": self._budget, "moving": self.is_moving(),
            "complete": self._drawn >= self._uploaded and not self._pending_upload,
            "upload_ms": self._upload_ms, "error": self._error,
        }

    def gl_info(self) -> dict[str, str]:
        """Vendor, renderer, version and GLSL version of the context; {} before one exists."""
        return dict(self._info)

    # -- scene --------------------------------------------------------------------------

    def _bounds(self, robust: bool) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """The local box of the tile with its cuboids (``robust``: without stray points)."""
        boxes: list[npt.NDArray[np.float64]] = []
        if self._prepared is not None:
            prep = self._prepared
            boxes.append(np.vstack([prep.fit_low, prep.fit_high] if robust
                                   else [prep.low, prep.high]))
        if len(self._overlay.corners):
            boxes.append(self._overlay.corners.reshape(-1, 3))
        if not boxes:
            return self._camera.target - 2.5, self._camera.target + 2.5
        pts = np.vstack(boxes)
        return pts.min(axis=0), pts.max(axis=0)

    def _sphere(self, robust: bool) -> Sphere:
        low, high = self._bounds(robust)
        return Sphere((low + high) / 2, max(float(np.linalg.norm(high - low)) / 2, 0.5))

    def _rebuild_overlay(self) -> None:
        if self._cloud is None and self._cuboids:
            first = self._cuboids[0][1].center[0]
            self._camera.target += self._origin - first
            self._origin = first.copy()
        self._overlay = CuboidOverlay.build(self._cuboids, self._origin, self._selection,
                                            self.devicePixelRatioF())
        self._pending_lines = True
        self.update()

    def _camera_changed(self, fitted: bool = False) -> None:
        self._fitted = fitted
        self._last_change = time.perf_counter()
        self._settle.start()
        self.update()

    def _device_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(round(self.width() * ratio), 1), max(round(self.height() * ratio), 1)

    # -- GL ---------------------------------------------------------------------------------

    def initializeGL(self) -> None:
        context = self.context()
        self._frame_key = None
        self._pending_upload = self._pending_lines = True
        self._info = context_info(context)
        try:
            self._renderer = CloudRenderer(context)
            self._error = ""
        except GlError as exc:
            self._renderer, self._error = None, str(exc)
        self._janitors.append(_GlJanitor(self, context, self._renderer))

    def _on_app_about_to_quit(self) -> None:
        # While the widget can still make its context current: leave nothing to
        # the interpreter's shutdown order.
        if self._renderer is not None and self.context() is not None:
            self.makeCurrent()
            self._renderer.release()
            self.doneCurrent()
            self._renderer = None

    def resizeGL(self, width: int, height: int) -> None:
        self._frame_key = None
        if self._fitted:
            # Fitted before the widget had its size (or untouched since): fit again.
            self.fit_view()

    def paintGL(self) -> None:
        started = time.perf_counter()
        renderer = self._renderer
        if renderer is None:
            self._paint_message(self._error or self.tr("OpenGL is not available"))
            return
        uploading = self._pending_upload
        if uploading:
            self._upload(renderer)
        if self._pending_lines:
            renderer.upload_lines(self._overlay.vertices)
            self._pending_lines = False
        width, height = self._device_size()
        key = (self._camera.state(), width, height, self._mode, self._point_size, self._serial)
        fresh = key != self._frame_key
        if renderer.begin_points(width, height, clear=fresh) or fresh:
            self._drawn, self._frame_key = 0, key
        mvp, near = self._camera.mvp(width, height, self._sphere(robust=False))
        moving = self.is_moving()
        begin = self._drawn
        end = begin if moving and begin > 0 else min(self._uploaded, begin + self._budget)
        if self._prepared is not None:
            style = PointStyle(self._mode, self._point_size * self.devicePixelRatioF(),
                               self._prepared.z_range)
            renderer.draw_points(begin, end, mvp, style)
        renderer.composite(self.defaultFramebufferObject(), width, height)
        renderer.draw_lines(mvp, near, width, height)
        renderer.finish()
        self._drawn = end
        self._frame_done(started, end - begin, adapt=not uploading)
        if end < self._uploaded and not moving:
            self._refine.start()
        self.frameDrawn.emit()

    def _upload(self, renderer: CloudRenderer) -> None:
        started = time.perf_counter()
        try:
            self._uploaded = renderer.upload_cloud(self._prepared)
        except GlError as exc:
            self._uploaded, self._error = 0, str(exc)
        self._pending_upload = False
        self._upload_ms = (time.perf_counter() - started) * 1000
        self._frame_key = None

    def _frame_done(self, started: float, points: int, adapt: bool) -> None:
        now = time.perf_counter()
        ms = (now - started) * 1000
        self._last_frame = {"ms": ms, "points": points}
        self._frame_ends.append(now)
        while now - self._frame_ends[0] > 1.0:
            self._frame_ends.popleft()
        # Points per frame scale with the time: a frame that drew its whole budget,
        # or every point, tells how many fit in the target time.
        if adapt and self._fixed_budget is None and points and (
                points >= self._budget or points >= self._uploaded):
            ratio = min(max(self._target_ms / max(ms, 1e-3), 0.5), 2.0)
            ceiling = max(self._uploaded, MIN_BUDGET)
            self._budget = int(min(max(points * ratio, MIN_BUDGET), ceiling))

    def _paint_message(self, text: str) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(28, 30, 33))
        painter.setPen(QColor(230, 230, 230))
        painter.drawText(self.rect().adjusted(12, 12, -12, -12),
                         int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap), text)
        painter.end()

    # -- mouse ------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        button, shift = event.button(), event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton
                                                     and shift):
            self._drag_mode = "pan"
        elif button == Qt.MouseButton.LeftButton:
            self._drag_mode = "orbit"
        else:
            super().mousePressEvent(event)
            return
        self._press = self._last_pos = event.position()
        self._dragging = False
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            super().mouseMoveEvent(event)
            return
        pos = event.position()
        if not self._dragging:
            moved = pos - self._press
            if abs(moved.x()) + abs(moved.y()) <= CLICK_SLOP:
                return
            self._dragging = True
        dx, dy = pos.x() - self._last_pos.x(), pos.y() - self._last_pos.y()
        self._last_pos = pos
        if self._drag_mode == "orbit":
            self._camera.orbit(-dx * ORBIT_RADIANS_PER_PIXEL, dy * ORBIT_RADIANS_PER_PIXEL)
        else:
            self._camera.pan(dx, dy, self.height())
        self._camera_changed()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            super().mouseReleaseEvent(event)
            return
        clicked = not self._dragging and self._drag_mode == "orbit"
        self._press, self._dragging, self._drag_mode = None, False, ""
        if clicked:
            hit = self._pick(event.position())
            if hit is not None:
                self.cuboidClicked.emit(hit)
        else:
            self._camera_changed()
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if not steps:
            event.ignore()
            return
        pos = event.position()
        self._zoom(WHEEL_STEP ** steps, pos.x(), pos.y())
        event.accept()

    def _zoom(self, factor: float, x: float, y: float) -> None:
        limit = max(self._sphere(robust=False).radius * 20, 100.0)
        self._camera.zoom_at(factor, x, y, self.width(), self.height(), limit)
        self._camera_changed()

    def _pick(self, pos: QPointF | QPoint) -> int | None:
        overlay = self._overlay
        if not overlay.ids:
            return None
        w, h = self.width(), self.height()
        segments = self._camera.project(overlay.segments.reshape(-1, 3), w, h)[:, :2]
        corners = self._camera.project(overlay.corners.reshape(-1, 3), w, h)[:, :2]
        depths = self._camera.project(overlay.centres, w, h)[:, 2]
        n = len(overlay.ids)
        return pick(overlay, segments.reshape(n, -1, 2, 2), corners.reshape(n, 8, 2), depths,
                    pos.x(), pos.y(), PICK_TOLERANCE)

    # -- keys ---------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # The view's keys win over window shortcuts while it has focus.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            control = event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                           | Qt.KeyboardModifier.AltModifier
                                           | Qt.KeyboardModifier.MetaModifier)
            if not control and Qt.Key(event.key()) in _VIEW_KEYS:
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        self._fly_fast = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key in _FLY:
            if not event.isAutoRepeat() and key not in self._fly_keys:
                self._fly_keys.add(key)
                self._fly_step(1 / 30)
                self._fly_tick = time.perf_counter()
                self._fly_timer.start()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self._camera.orbit(KEY_ORBIT if key == Qt.Key.Key_Left else -KEY_ORBIT, 0.0)
            self._camera_changed()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._camera.orbit(0.0, KEY_ORBIT if key == Qt.Key.Key_Up else -KEY_ORBIT)
            self._camera_changed()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus):
            factor = WHEEL_STEP if key != Qt.Key.Key_Minus else 1 / WHEEL_STEP
            self._zoom(factor, self.width() / 2, self.height() / 2)
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_F):
            self.fit_view()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in _FLY and not event.isAutoRepeat():
            self._fly_keys.discard(key)
            if not self._fly_keys:
                self._fly_timer.stop()
                self._camera_changed()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if self._fly_keys:
            self._fly_keys.clear()
            self._fly_timer.stop()
            self._camera_changed()
        super().focusOutEvent(event)

    def fly_speed(self) -> float:
        """Metres per second of the fly keys: with the distance to the target, within
        2 % and 50 % of the tile's radius (Shift: four times that)."""
        radius = self._sphere(robust=True).radius
        speed = min(max(self._camera.distance, 0.02 * radius), 0.5 * radius)
        return speed * (4.0 if self._fly_fast else 1.0)

    def _on_fly_timer_timeout(self) -> None:
        now = time.perf_counter()
        self._fly_step(min(now - self._fly_tick, 0.1))
        self._fly_tick = now

    def _fly_step(self, seconds: float) -> None:
        forward = sum(_FLY[k][0] for k in self._fly_keys)
        right = sum(_FLY[k][1] for k in self._fly_keys)
        up = sum(_FLY[k][2] for k in self._fly_keys)
        step = self.fly_speed() * seconds
        self._camera.fly(forward * step, right * step, up * step)
        self._camera_changed()
