"""The 3D view of a point-cloud tile: points, cuboids, orbit/pan/zoom/fly navigation.

:class:`PointCloudView` draws a :class:`~annotator.media.pointcloud.PointCloud`
with OpenGL through Qt's own wrappers.  The points go to the GPU once, as
float32 local coordinates, by cell and shuffled within each cell (see
:mod:`annotator.ui.gl_cloud`; the arranging runs on a worker thread, see
:mod:`annotator.ui.gl_loading`), and are drawn with a level of detail that
keeps the view responsive on a software renderer:

* only the cells in view are drawn, and of each the same share, a uniform
  sample of what is in view;
* while the camera moves, each frame draws ``budget`` such points from
  scratch; the budget adapts so that a frame takes about
  :data:`TARGET_FRAME_MS`;
* when the camera stops, following frames add the next ``budget`` points to
  the picture kept in an off-screen framebuffer, until every point in view is
  drawn.

Cuboids are given in WORLD coordinates with an annotation id and a colour;
they are drawn as lines over the points, the selected ones thicker and
brighter, and a click on one emits :attr:`PointCloudView.cuboidClicked`.
Navigation (mouse and keys) is described in :mod:`annotator.ui.gl_navigation`.
"""

from __future__ import annotations

import atexit
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
    QPointF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QSurfaceFormat,
    QWheelEvent,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from annotator.media.pointcloud import PointCloud
from annotator.shapes import Cuboid
from annotator.ui.gl_camera import OrbitCamera, Sphere
from annotator.ui.gl_cloud import COLOUR_MODES, MAX_POINTS, Cells, PreparedCloud
from annotator.ui.gl_cuboids import CuboidOverlay, feature_vertices, pick
from annotator.ui.gl_loading import CloudLoader
from annotator.ui.gl_navigation import Navigator
from annotator.ui.gl_renderer import (
    CloudRenderer,
    GlError,
    GlOutOfMemory,
    PointStyle,
    RendererJanitor,
    context_info,
)

__all__ = ["TARGET_FRAME_MS", "PointCloudView", "ViewState"]

#: What a frame should take while the camera moves (10 fps or better, with room to spare).
TARGET_FRAME_MS = 60.0
#: The camera counts as still this long after the last change.
SETTLE_MS = 150
MIN_BUDGET = 20_000
INITIAL_BUDGET = 500_000
#: Pick tolerance around a drawn line, in pixels.
PICK_TOLERANCE = 6.0


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


#: Views still alive; a script that ends without ``app.exec()`` (no aboutToQuit)
#: still frees their GL objects before the interpreter tears Qt down.
_LIVE_VIEWS: weakref.WeakSet[PointCloudView] = weakref.WeakSet()


@atexit.register
def _release_live_views() -> None:
    for view in list(_LIVE_VIEWS):
        view._on_app_about_to_quit()


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
        self._features: list[tuple[int, np.ndarray, str, bool]] = []
        self._feature_lines = feature_vertices([], self._origin, set())
        self._renderer: CloudRenderer | None = None
        self._info: dict[str, str] = {}
        self._janitors: list[RendererJanitor] = []
        self._error = ""
        self._uploaded = 0
        self._limit = MAX_POINTS
        self._note = ""
        self._cells: Cells | None = None
        self._loader = CloudLoader(self)
        self._loader.ready.connect(self.update)
        self._upload_ms = 0.0
        self._pending_upload = False
        self._pending_lines = False
        self._frame_key: tuple[Any, ...] | None = None
        self._drawn = 0
        self._share = 0.0
        self._visible = np.zeros(0, dtype=np.intp)
        self._visible_points = 0
        self._last_frame = {"ms": 0.0, "points": 0}
        self._frame_ends: deque[float] = deque()
        self._budget = INITIAL_BUDGET
        self._fixed_budget: int | None = None
        self._target_ms = TARGET_FRAME_MS
        self._last_change = 0.0
        self._fitted = False
        self._settle = self._timer(SETTLE_MS + 20, self.update)
        self._refine = self._timer(0, self.update)
        self._nav = Navigator(self._camera, lambda: (self.width(), self.height()),
                              lambda: self._sphere(robust=True).radius, self)
        self._nav.changed.connect(self._camera_changed)
        self._nav.clicked.connect(self._on_nav_clicked)
        self._nav.fitRequested.connect(self.fit_view)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_app_about_to_quit)
        _LIVE_VIEWS.add(self)

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
        self._limit, self._note = MAX_POINTS, ""
        self._loader.start(self._prepared, self._limit)
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

    def set_features(self, features: Sequence[tuple[int, np.ndarray, str, bool]]) -> None:
        """Map features: ``(annotation_id, WORLD (n, 3) vertices, "#rrggbb", closed)``."""
        self._features = list(features)
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
        self._budget = self._fixed_budget or INITIAL_BUDGET

    def set_frame_target_ms(self, ms: float) -> None:
        """The frame time the adaptive budget aims at (default :data:`TARGET_FRAME_MS`)."""
        self._target_ms = max(float(ms), 1.0)

    def is_moving(self) -> bool:
        """True while a gesture is under way or the camera changed in the last moments."""
        recent = time.perf_counter() - self._last_change < SETTLE_MS / 1000
        return self._nav.interacting or recent

    def frame_stats(self) -> dict[str, Any]:
        """The last frame: ``frame_ms``, ``points_drawn`` (in the picture now),
        ``points_last_frame``, ``points_in_view`` (in the cells in view),
        ``points_total`` (on the GPU), ``points_in_cloud``, ``fps`` (frames in the
        last second), ``budget``, ``moving``, ``complete`` (every point in view is
        drawn), ``loading`` (the tile is being arranged or uploaded), ``upload_ms``
        (the last upload), ``note`` (one line, e.g. a sample shown for lack of GPU
        memory) and ``error`` (one line) if the view cannot draw."""
        now = time.perf_counter()
        while self._frame_ends and now - self._frame_ends[0] > 1.0:
            self._frame_ends.popleft()
        return {
            "frame_ms": self._last_frame["ms"], "points_drawn": self._drawn,
            "points_last_frame": self._last_frame["points"], "points_total": self._uploaded,
            "points_in_cloud": len(self._cloud) if self._cloud is not None else 0,
            "points_in_view": self._visible_points,
            "fps": len(self._frame_ends), "budget": self._budget, "moving": self.is_moving(),
            "complete": self._share >= 1.0 and not self._pending_upload,
            "loading": self._pending_upload and self._prepared is not None,
            "upload_ms": self._upload_ms, "error": self._error, "note": self._note,
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
        self._feature_lines = feature_vertices(self._features, self._origin, self._selection,
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
        if not self._loader.has_job():
            # A new context (the widget moved to another window): arrange again.
            self._loader.start(self._prepared, self._limit)
        self._info = context_info(context)
        try:
            self._renderer = CloudRenderer(context)
            self._error = ""
        except GlError as exc:
            self._renderer, self._error = None, str(exc)
        view = weakref.ref(self)

        def released(janitor: RendererJanitor, renderer: CloudRenderer | None) -> None:
            owner = view()
            if owner is not None:
                owner._renderer = None if owner._renderer is renderer else owner._renderer
                owner._janitors.remove(janitor)

        self._janitors.append(RendererJanitor(context, self._renderer, released))

    def _on_app_about_to_quit(self) -> None:
        # While the widget can still make its context current: leave nothing to
        # the interpreter's shutdown order.
        try:
            if self._renderer is not None and self.context() is not None:
                self.makeCurrent()
                self._renderer.release()
                self.doneCurrent()
        except RuntimeError:
            pass  # the widget is already gone, and its context with it
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
            renderer.upload_lines(np.concatenate([self._overlay.vertices,
                                                  self._feature_lines]))
            self._pending_lines = False
        width, height = self._device_size()
        key = (self._camera.state(), width, height, self._mode, self._point_size, self._serial)
        fresh = key != self._frame_key
        mvp, near = self._camera.mvp(width, height, self._sphere(robust=False))
        if renderer.begin_points(width, height, clear=fresh) or fresh:
            self._frame_key, self._share, self._drawn = key, 0.0, 0
            cells = self._cells
            self._visible = cells.visible(mvp) if cells is not None else np.zeros(0, np.intp)
            self._visible_points = int(cells.count[self._visible].sum()) if cells else 0
        moving = self.is_moving()
        begin = self._share
        end = begin
        if not (moving and begin > 0):
            end = begin + self._budget / max(self._visible_points, 1)
            if (1.0 - end) * self._visible_points < 1.0:   # no float dust of a frame
                end = 1.0
        points = 0
        if self._prepared is not None and self._cells is not None and end > begin:
            ranges, points = self._cells.ranges(self._visible, begin, end)
            style = PointStyle(self._mode, self._point_size * self.devicePixelRatioF(),
                               self._prepared.z_range)
            renderer.draw_points(ranges, mvp, style)
        renderer.composite(self.defaultFramebufferObject(), width, height)
        renderer.draw_lines(mvp, near, width, height)
        renderer.finish()
        self._share, self._drawn = end, self._drawn + points
        # The budget learns from frames it limited, and from fresh frames that drew all.
        limited = end < 1.0 or (begin == 0.0 and points > 0)
        self._frame_done(started, points, adapt=limited and not uploading)
        if end < 1.0 and not moving and not self._pending_upload:
            self._refine.start()
        self.frameDrawn.emit()

    def _upload(self, renderer: CloudRenderer) -> None:
        """Put the arranged cloud on the GPU once the worker has it; until then
        the view shows no points (and not the previous tile's)."""
        started = time.perf_counter()
        try:
            arranged = self._loader.take()
        except (MemoryError, ValueError) as exc:
            arranged = None
            self._error = self.tr("the point cloud cannot be shown: %s") % exc
        if arranged is None and self._loader.busy():
            if self._cells is not None:
                renderer.release_cloud()
                self._cells, self._uploaded, self._frame_key = None, 0, None
            return
        self._pending_upload, self._frame_key = False, None
        try:
            self._uploaded = renderer.upload_cloud(arranged)
            self._cells = arranged.cells if arranged is not None else None
        except GlOutOfMemory:
            # Half the points, again a uniform sample, until it fits.
            self._cells, self._uploaded = None, 0
            if arranged is not None and arranged.count >= 2048:
                self._limit = arranged.count // 2
                self._note = self.tr("a sample of %s points is shown: the GPU has no room "
                                     "for all") % f"{self._limit:,}"
                self._pending_upload = True
                self._loader.start(self._prepared, self._limit)
            else:
                self._error = self.tr("the GPU has no memory left for this point cloud")
        self._upload_ms = (time.perf_counter() - started) * 1000

    def _frame_done(self, started: float, points: int, adapt: bool) -> None:
        now = time.perf_counter()
        ms = (now - started) * 1000
        self._last_frame = {"ms": ms, "points": points}
        self._frame_ends.append(now)
        while now - self._frame_ends[0] > 1.0:
            self._frame_ends.popleft()
        # Points per frame scale with the time.
        if adapt and self._fixed_budget is None and points:
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

    # -- input: the navigator moves the camera ------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if not self._nav.press(event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self._nav.move(event):
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self._nav.release(event):
            super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self._nav.wheel(event):
            event.ignore()

    def event(self, event: QEvent) -> bool:
        # The view's keys win over window shortcuts while it has focus.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and self._nav.claims_shortcut(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._nav.key_press(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not self._nav.key_release(event):
            super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._nav.stop()
        super().focusOutEvent(event)

    def fly_speed(self) -> float:
        """Metres per second of the fly keys (see :mod:`annotator.ui.gl_navigation`)."""
        return self._nav.fly_speed()

    def _on_nav_clicked(self, pos: QPointF) -> None:
        overlay = self._overlay
        if not overlay.ids:
            return
        w, h = self.width(), self.height()
        segments = self._camera.project(overlay.segments.reshape(-1, 3), w, h)[:, :2]
        corners = self._camera.project(overlay.corners.reshape(-1, 3), w, h)[:, :2]
        depths = self._camera.project(overlay.centres, w, h)[:, 2]
        n = len(overlay.ids)
        hit = pick(overlay, segments.reshape(n, -1, 2, 2), corners.reshape(n, 8, 2), depths,
                   pos.x(), pos.y(), PICK_TOLERANCE)
        if hit is not None:
            self.cuboidClicked.emit(hit)
