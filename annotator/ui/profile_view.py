"""The height profile of the selected map line: its vertices over the points beneath.

A lane line lifted in the bird's-eye view is checked and corrected here, in
side view: across is the distance along the line (metres), up is height,
stretched so a few centimetres show.  The tile's points within
:data:`STRIP` metres of the line's trace are drawn (a random sample beyond
:data:`MAX_POINTS`), the line over them; drag a vertex up or down to set its
height (Shift: 1 mm steps instead of 1 cm), and the release is one undoable
edit that the caller stores.  Areas show their outline, closed.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from annotator.media.pointcloud import PointCloud

__all__ = ["MAX_POINTS", "STRIP", "ProfileView", "profile_points"]

F64 = npt.NDArray[np.float64]

#: Metres either side of the line whose points are drawn.
STRIP = 0.3
#: Most points drawn (a random sample beyond that).
MAX_POINTS = 40_000
_GRAB = 8.0        # pixels within which a vertex is grabbed
_MARGIN = 24.0     # pixels round the plot


def profile_points(cloud: PointCloud, line: F64, strip: float = STRIP) -> F64:
    """``(n, 2)``: distance along ``line`` (world ``(m, 3)``) and height of the points
    within ``strip`` metres of its trace."""
    xy = line[:, :2] - cloud.origin[:2]
    low, high = xy.min(axis=0) - strip, xy.max(axis=0) + strip
    local = cloud.xyz
    box = np.flatnonzero((local[:, 0] >= low[0]) & (local[:, 0] <= high[0])
                         & (local[:, 1] >= low[1]) & (local[:, 1] <= high[1]))
    if not len(box) or len(line) < 2:
        return np.zeros((0, 2))
    p = local[box, :2].astype(np.float64)
    best = np.full(len(p), np.inf)
    along = np.zeros(len(p))
    start = 0.0
    for a, b in itertools.pairwise(xy):
        ab = b - a
        length = float(np.hypot(*ab))
        t = np.clip(((p - a) @ ab) / max(length * length, 1e-12), 0.0, 1.0)
        d = np.hypot(*(a + t[:, None] * ab - p).T)
        closer = d < best
        best[closer] = d[closer]
        along[closer] = start + t[closer] * length
        start += length
    near = best <= strip
    z = local[box[near], 2].astype(np.float64) + cloud.origin[2]
    result: F64 = np.column_stack([along[near], z])
    return result


class ProfileView(QWidget):
    """Distance along the selected map line against height, with draggable vertices."""

    #: ``(annotation_id, vertex index, new height)`` when a drag ends
    heightEdited = Signal(int, int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapProfileView")
        self.setAccessibleName(self.tr("Height profile of the selected map line"))
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self._cloud: PointCloud | None = None
        self._id: int | None = None
        self._line: F64 = np.zeros((0, 3))
        self._along: F64 = np.zeros(0)
        self._points: F64 = np.zeros((0, 2))
        self._color = QColor("#ffffff")
        self._drag: int | None = None
        self._drag_z = 0.0
        self._range = (0.0, 1.0, 0.0, 1.0)

    # -- content ------------------------------------------------------------------------------

    def set_cloud(self, cloud: PointCloud | None) -> None:
        self._cloud = cloud
        self.show_line(None, None)

    def show_line(self, annotation_id: int | None, vertices: F64 | None, color: str = "#ffffff",
                  closed: bool = False) -> None:
        """Show ``vertices`` (world ``(m, 3)``) of annotation ``annotation_id``; None: nothing."""
        self._drag = None
        if annotation_id is None or vertices is None or len(vertices) < 2:
            self._id, self._line, self._points = None, np.zeros((0, 3)), np.zeros((0, 2))
            self.update()
            return
        line = np.asarray(vertices, dtype=np.float64)
        if closed:
            line = np.concatenate([line, line[:1]])
        self._id, self._line, self._color = annotation_id, line, QColor(color)
        steps = np.hypot(*np.diff(line[:, :2], axis=0).T)
        self._along = np.concatenate([[0.0], np.cumsum(steps)])
        points = profile_points(self._cloud, line) if self._cloud is not None else np.zeros(
            (0, 2))
        if len(points) > MAX_POINTS:
            points = points[np.random.default_rng(0).choice(len(points), MAX_POINTS,
                                                             replace=False)]
        self._points = points
        z = line[:, 2]
        low, high = float(z.min()), float(z.max())
        if len(points):
            # the road under the line, not the poles and trees beside it
            low = min(low, float(np.percentile(points[:, 1], 2)))
            high = max(high, float(np.percentile(points[:, 1], 60)))
        pad = max(0.25, (high - low) * 0.2)
        self._range = (0.0, max(float(self._along[-1]), 1e-6), low - pad, high + pad)
        self.update()

    @property
    def annotation_id(self) -> int | None:
        return self._id

    # -- geometry -------------------------------------------------------------------------------

    def _plot(self) -> QRectF:
        return QRectF(_MARGIN, _MARGIN / 2, max(1.0, self.width() - 1.5 * _MARGIN),
                      max(1.0, self.height() - 1.5 * _MARGIN))

    def to_screen(self, along: float, z: float) -> QPointF:
        s0, s1, z0, z1 = self._range
        plot = self._plot()
        return QPointF(plot.left() + (along - s0) / (s1 - s0) * plot.width(),
                       plot.bottom() - (z - z0) / (z1 - z0) * plot.height())

    def height_at(self, y: float) -> float:
        _, _, z0, z1 = self._range
        plot = self._plot()
        return z0 + (plot.bottom() - y) / plot.height() * (z1 - z0)

    def vertex_screen(self, index: int) -> QPointF:
        return self.to_screen(float(self._along[index]), float(self._line[index, 2]))

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1e1e1e"))
        if self._id is None:
            painter.setPen(QColor("#a0a0a0"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             self.tr("Select a map line to see its height profile"))
            return
        painter.drawImage(0, 0, self._points_image())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        count = len(self._line)
        shown = [self.vertex_screen(i) for i in range(count)]
        if self._drag is not None:
            shown[self._drag] = self.to_screen(float(self._along[self._drag]), self._drag_z)
        painter.setPen(QPen(self._color, 2))
        for a, b in itertools.pairwise(shown):
            painter.drawLine(a, b)
        painter.setBrush(self._color)
        for point in shown:
            painter.drawEllipse(point, 4.0, 4.0)
        painter.setPen(QColor("#d0d0d0"))
        _, s1, z0, z1 = self._range
        painter.drawText(QRectF(2, 0, 200, 16), Qt.AlignmentFlag.AlignLeft,
                         self.tr("%.2f m") % z1)
        painter.drawText(QRectF(2, self.height() - 16, 200, 16), Qt.AlignmentFlag.AlignLeft,
                         self.tr("%.2f m, %.1f m along") % (z0, s1))

    def _points_image(self) -> QImage:
        image = QImage(self.width(), self.height(), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        if not len(self._points):
            return image
        s0, s1, z0, z1 = self._range
        plot = self._plot()
        x = plot.left() + (self._points[:, 0] - s0) / (s1 - s0) * plot.width()
        y = plot.bottom() - (self._points[:, 1] - z0) / (z1 - z0) * plot.height()
        inside = (x >= 0) & (x < self.width()) & (y >= 0) & (y < self.height())
        buffer = np.zeros((self.height(), self.width()), dtype=np.uint32)
        buffer[y[inside].astype(np.int64), x[inside].astype(np.int64)] = 0xFF8C8C8C
        return QImage(buffer.tobytes(), self.width(), self.height(),
                      QImage.Format.Format_ARGB32_Premultiplied).copy()

    # -- dragging ------------------------------------------------------------------------------

    def _grab(self, pos: QPointF) -> int | None:
        last = len(self._line) - 1 if len(self._line) and np.array_equal(
            self._line[0], self._line[-1]) and len(self._line) > 2 else len(self._line)
        best, index = _GRAB, None
        for i in range(last):
            d = (self.vertex_screen(i) - pos).manhattanLength()
            if d <= best:
                best, index = d, i
        return index

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._id is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._drag = self._grab(event.position())
        if self._drag is not None:
            self._drag_z = float(self._line[self._drag, 2])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            vertex = self._grab(event.position())
            self.setCursor(Qt.CursorShape.SizeVerCursor if vertex is not None
                           else Qt.CursorShape.ArrowCursor)
            return
        step = 0.001 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 0.01
        self._drag_z = round(self.height_at(event.position().y()) / step) * step
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        index, self._drag = self._drag, None
        if index is None or self._id is None:
            return
        if abs(self._drag_z - float(self._line[index, 2])) >= 1e-6:
            self.heightEdited.emit(self._id, index, self._drag_z)
        self.update()
