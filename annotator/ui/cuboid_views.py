"""Top, side and front views of the selected cuboid, for fitting its size, height and yaw.

Each view shows only the cuboid's neighbourhood, in the cuboid's own frame
(``u`` along its length, ``v`` across, ``z`` up), at a scale that fits the
box and a margin.  The points are drawn with numpy into an image (tens of
thousands of points cost a few milliseconds); points inside the box take the
class colour.  Drag a side of the box to move that side (the opposite one
stays), drag inside to move the box, drag the round handle of the top view
to turn it; the wheel zooms.  Every release is one undoable command.

=========  ==============  ==============  ==================================
view       across          up              objectName
=========  ==============  ==============  ==================================
top        length (u)      width (v)       ``cuboidTopView``
side       length (u)      height (z)      ``cuboidSideView``
front      width (v)       height (z)      ``cuboidFrontView``
=========  ==============  ==============  ==================================
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from annotator.media.pointcloud import PointCloud
from annotator.shapes import Cuboid

__all__ = ["CuboidViews", "Neighbourhood", "ProjectionView", "neighbourhood"]

#: Metres of surroundings shown beside the box, and above and below it.
MARGIN = 1.5
#: Most points a view draws (a random sample beyond that).
MAX_POINTS = 60_000
_GRAB = 7.0  # pixels within which a side or handle is grabbed
_AXES = {"top": (0, 1), "side": (0, 2), "front": (1, 2)}
_NAMES = {"top": "cuboidTopView", "side": "cuboidSideView", "front": "cuboidFrontView"}


@dataclass(frozen=True)
class Neighbourhood:
    """Points near a cuboid in its own frame: ``local[:, 0]`` along it, ``[:, 1]`` across,
    ``[:, 2]`` up from its centre; the frame is fixed when the neighbourhood is taken."""

    cuboid: Cuboid
    local: npt.NDArray[np.float32]

    def inside(self, cuboid: Cuboid) -> npt.NDArray[np.bool_]:
        """Which points lie inside ``cuboid`` (a moved or resized version of the first)."""
        local = self.to_frame(cuboid)
        half = cuboid.size[0] / 2
        inside: npt.NDArray[np.bool_] = np.all(np.abs(local) <= half, axis=1)
        return inside

    def to_frame(self, cuboid: Cuboid) -> npt.NDArray[np.float64]:
        """The points in the frame of ``cuboid`` (float64, small numbers)."""
        shift = (cuboid.center[0] - self.cuboid.center[0])
        c0, s0 = math.cos(self.cuboid.yaw), math.sin(self.cuboid.yaw)
        # Points back to world offsets from the first centre, then into the new frame.
        u, v, z = (self.local[:, i].astype(np.float64) for i in range(3))
        wx, wy = c0 * u - s0 * v - shift[0], s0 * u + c0 * v - shift[1]
        c1, s1 = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
        return np.stack([c1 * wx + s1 * wy, -s1 * wx + c1 * wy, z - shift[2]], axis=1)


def neighbourhood(cloud: PointCloud, cuboid: Cuboid, margin: float = MARGIN) -> Neighbourhood:
    """The points within ``margin`` metres of ``cuboid`` (a vectorised pass over the tile)."""
    centre = cuboid.center[0] - cloud.origin
    half = cuboid.size[0] / 2 + margin
    reach = float(np.hypot(half[0], half[1]))
    xyz = cloud.xyz
    # A cheap axis-aligned cut first (float32 compares), the exact turn on the few left.
    near = ((np.abs(xyz[:, 0] - np.float32(centre[0])) <= reach)
            & (np.abs(xyz[:, 1] - np.float32(centre[1])) <= reach)
            & (np.abs(xyz[:, 2] - np.float32(centre[2])) <= half[2]))
    offsets = xyz[near].astype(np.float64) - centre
    c, s = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
    u = c * offsets[:, 0] + s * offsets[:, 1]
    v = -s * offsets[:, 0] + c * offsets[:, 1]
    local = np.stack([u, v, offsets[:, 2]], axis=1)
    keep = np.all(np.abs(local) <= half, axis=1)
    local = local[keep]
    if len(local) > MAX_POINTS:
        pick = np.random.default_rng(0).choice(len(local), MAX_POINTS, replace=False)
        local = local[np.sort(pick)]
    return Neighbourhood(cuboid, local.astype(np.float32))


class ProjectionView(QWidget):
    """One projection of the selected cuboid and its neighbourhood."""

    #: The cuboid as the user left it after a drag (annotation id, new cuboid, gesture key).
    edited = Signal(int, object, str)

    def __init__(self, which: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.which = which
        self.axes = _AXES[which]
        self.setObjectName(_NAMES[which])
        self.setAccessibleName({"top": self.tr("Cuboid from above"),
                                "side": self.tr("Cuboid from the side"),
                                "front": self.tr("Cuboid from the front")}[which])
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.annotation_id: int | None = None
        self.cuboid: Cuboid | None = None
        self.color = QColor("#e69f00")
        self.near: Neighbourhood | None = None
        self.zoom = 1.0
        self._drag: tuple[str, QPointF, Cuboid] | None = None
        self._preview: Cuboid | None = None
        self._image: QImage | None = None
        self._local: npt.NDArray[np.float64] = np.zeros((0, 3))

    # -- content -------------------------------------------------------------------

    def set_cuboid(self, annotation_id: int | None, cuboid: Cuboid | None,
                   near: Neighbourhood | None, color: str = "#e69f00") -> None:
        if annotation_id != self.annotation_id:
            self.zoom = 1.0
        self.annotation_id, self.cuboid, self.near = annotation_id, cuboid, near
        # The points in this cuboid's frame, the frame every drawing here uses.
        self._local = (near.to_frame(cuboid) if near is not None and cuboid is not None
                       else np.zeros((0, 3)))
        self.color = QColor(color)
        self._drag, self._preview, self._image = None, None, None
        self.update()

    def shown(self) -> Cuboid | None:
        return self._preview if self._preview is not None else self.cuboid

    def _scale(self) -> float:
        cuboid = self.cuboid
        if cuboid is None:
            return 1.0
        size = cuboid.size[0]
        across, up = (float(size[a]) + 2 * MARGIN for a in self.axes)
        return max(min(self.width() / across, self.height() / up), 1e-3) * 0.95 * self.zoom

    def to_screen(self, a: float, b: float) -> QPointF:
        """Screen position of frame coordinates (``a`` across, ``b`` up) of the first cuboid."""
        scale = self._scale()
        return QPointF(self.width() / 2 + a * scale, self.height() / 2 - b * scale)

    def from_screen(self, point: QPointF) -> tuple[float, float]:
        scale = self._scale()
        return ((point.x() - self.width() / 2) / scale, (self.height() / 2 - point.y()) / scale)

    def _corners(self, cuboid: Cuboid) -> tuple[float, float, float, float]:
        """The box's extent in this view: (a0, b0, a1, b1) in the frame of ``self.cuboid``."""
        base = self.cuboid
        assert base is not None
        offset = _in_frame(base, cuboid.center[0])
        half = cuboid.size[0] / 2
        i, j = self.axes
        return (offset[i] - half[i], offset[j] - half[j], offset[i] + half[i],
                offset[j] + half[j])

    # -- painting -------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1e1e1e"))
        cuboid = self.shown()
        if cuboid is None or self.cuboid is None:
            painter.setPen(QColor("#bbbbbb"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             self.tr("Select a cuboid"))
            return
        painter.drawImage(0, 0, self._points_image(cuboid))
        a0, b0, a1, b1 = self._corners(cuboid)
        top_left, bottom_right = self.to_screen(a0, b1), self.to_screen(a1, b0)
        rect = QRectF(top_left, bottom_right)
        turned = self.which == "top" and not math.isclose(cuboid.yaw, self.cuboid.yaw)
        pen = QPen(self.color, 2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if turned:
            painter.drawPolygon([self.to_screen(a, b) for a, b in self._turned_outline(cuboid)])
        else:
            painter.drawRect(rect)
        if self.which == "top":
            handle = self._rotate_handle(cuboid)
            painter.setBrush(QBrush(self.color))
            painter.drawLine(self.to_screen(*self._centre(cuboid)), handle)
            painter.drawEllipse(handle, 5, 5)
        size = cuboid.size[0]
        i, j = self.axes
        names = "LWH"
        text = (f"{names[i]} {size[i]:.2f} m   {names[j]} {size[j]:.2f} m"
                + (f"   yaw {math.degrees(cuboid.yaw):.1f}°" if self.which == "top" else ""))
        box = painter.fontMetrics().boundingRect(text).adjusted(-4, -2, 4, 2)
        box.moveTopLeft(QPointF(2, 2).toPoint())
        painter.fillRect(box, QColor(20, 20, 20, 210))   # legible over the points
        painter.setPen(QColor("#dddddd"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _points_image(self, cuboid: Cuboid) -> QImage:
        if self._image is not None and self._image.size() == self.size() and \
                self._preview is None:
            return self._image
        width, height = max(self.width(), 1), max(self.height(), 1)
        pixels = np.zeros((height, width, 4), dtype=np.uint8)
        pixels[..., 3] = 255
        pixels[..., :3] = 30
        near = self.near
        if near is not None and len(self._local):
            i, j = self.axes
            scale = self._scale()
            px = np.round(width / 2 + self._local[:, i] * scale).astype(np.int64)
            py = np.round(height / 2 - self._local[:, j] * scale).astype(np.int64)
            ok = (px >= 0) & (px < width) & (py >= 0) & (py < height)
            inside = near.inside(cuboid)
            colour = self.color
            for mask, rgb in ((ok & ~inside, (150, 150, 150)),
                              (ok & inside, (colour.red(), colour.green(), colour.blue()))):
                pixels[py[mask], px[mask], :3] = rgb
        image = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGBA8888)
        image = image.copy()  # own the pixels: the numpy buffer goes away
        if self._preview is None:
            self._image = image
        return image

    def _centre(self, cuboid: Cuboid) -> tuple[float, float]:
        assert self.cuboid is not None
        offset = _in_frame(self.cuboid, cuboid.center[0])
        return float(offset[self.axes[0]]), float(offset[self.axes[1]])

    def _turned_outline(self, cuboid: Cuboid) -> list[tuple[float, float]]:
        assert self.cuboid is not None
        cu, cv = self._centre(cuboid)
        turn = cuboid.yaw - self.cuboid.yaw
        c, s = math.cos(turn), math.sin(turn)
        half_l, half_w = cuboid.size[0, 0] / 2, cuboid.size[0, 1] / 2
        return [(cu + c * a - s * b, cv + s * a + c * b)
                for a, b in ((-half_l, -half_w), (half_l, -half_w), (half_l, half_w),
                             (-half_l, half_w))]

    def _rotate_handle(self, cuboid: Cuboid) -> QPointF:
        assert self.cuboid is not None
        cu, cv = self._centre(cuboid)
        turn = cuboid.yaw - self.cuboid.yaw
        reach = cuboid.size[0, 0] / 2 + 0.6
        return self.to_screen(cu + reach * math.cos(turn), cv + reach * math.sin(turn))

    # -- editing -------------------------------------------------------------------

    def _grab(self, point: QPointF) -> str | None:
        cuboid = self.shown()
        if cuboid is None:
            return None
        if self.which == "top":
            handle = self._rotate_handle(cuboid)
            if math.hypot(point.x() - handle.x(), point.y() - handle.y()) <= _GRAB + 3:
                return "turn"
        a0, b0, a1, b1 = self._corners(cuboid)
        left, top = self.to_screen(a0, b1).x(), self.to_screen(a0, b1).y()
        right, bottom = self.to_screen(a1, b0).x(), self.to_screen(a1, b0).y()
        x, y = point.x(), point.y()
        within_y, within_x = top - _GRAB <= y <= bottom + _GRAB, left - _GRAB <= x <= right + _GRAB
        sides = (("a0", abs(x - left), within_y), ("a1", abs(x - right), within_y),
                 ("b1", abs(y - top), within_x), ("b0", abs(y - bottom), within_x))
        for side, distance, ok in sides:
            if ok and distance <= _GRAB:
                return side
        if left < x < right and top < y < bottom:
            return "move"
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.cuboid is None:
            return
        part = self._grab(event.position())
        if part is not None:
            self._drag = (part, event.position(), self.shown() or self.cuboid)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            part = self._grab(event.position())
            cursor = {"a0": Qt.CursorShape.SizeHorCursor, "a1": Qt.CursorShape.SizeHorCursor,
                      "b0": Qt.CursorShape.SizeVerCursor, "b1": Qt.CursorShape.SizeVerCursor,
                      "move": Qt.CursorShape.SizeAllCursor,
                      "turn": Qt.CursorShape.CrossCursor}.get(part or "")
            if cursor is None:
                self.unsetCursor()
            else:
                self.setCursor(cursor)
            return
        self._preview = self._dragged(event.position())
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is None or event.button() != Qt.MouseButton.LeftButton:
            return
        result = self._dragged(event.position())
        self._drag = None
        if result is not None and self.annotation_id is not None and self.cuboid is not None \
                and result != self.cuboid:
            self.edited.emit(self.annotation_id, result, f"cuboid:{uuid.uuid4().hex}")
        else:
            self._preview = None
            self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom = min(max(self.zoom * 1.25**steps, 0.2), 20.0)
            self._image = None
            self.update()
        event.accept()

    def _dragged(self, point: QPointF) -> Cuboid | None:
        """The cuboid as the drag in progress leaves it."""
        assert self._drag is not None and self.cuboid is not None
        part, start, first = self._drag
        a_now, b_now = self.from_screen(point)
        a_was, b_was = self.from_screen(start)
        da, db = a_now - a_was, b_now - b_was
        i, j = self.axes
        size = first.size[0].copy()
        shift = np.zeros(3)                     # in the frame of self.cuboid
        if part == "turn":
            cu, cv = self._centre(first)
            angle = math.atan2(b_now - cv, a_now - cu)
            base = self.cuboid.yaw
            return Cuboid(first.center, first.size, _wrap(base + angle))
        if part == "move":
            shift[i], shift[j] = da, db
        else:
            axis, delta, sign = (i, da, 1.0) if part[0] == "a" else (j, db, 1.0)
            if part.endswith("0"):
                delta = -delta
                sign = -1.0
            new = max(size[axis] + delta, 0.02)
            shift[axis] = sign * (new - size[axis]) / 2
            size[axis] = new
        if self.which == "top" and not math.isclose(first.yaw, self.cuboid.yaw):
            return None if part != "move" else Cuboid(
                first.center + _from_frame(self.cuboid, shift), first.size, first.yaw)
        return Cuboid(first.center + _from_frame(self.cuboid, shift), size.reshape(1, 3),
                      first.yaw)


def _in_frame(cuboid: Cuboid, point: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``point`` (world) in the frame of ``cuboid``: along, across, up from its centre."""
    offset = point - cuboid.center[0]
    c, s = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
    return np.array([c * offset[0] + s * offset[1], -s * offset[0] + c * offset[1], offset[2]])


def _from_frame(cuboid: Cuboid, offset: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    c, s = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
    return np.array([c * offset[0] - s * offset[1], s * offset[0] + c * offset[1], offset[2]])


def _wrap(angle: float) -> float:
    wrapped = math.remainder(angle, 2 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped


class CuboidViews(QWidget):
    """The three projections stacked, fed with the selected cuboid."""

    edited = Signal(int, object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cuboidViews")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.views = {name: ProjectionView(name, self) for name in _AXES}
        for view in self.views.values():
            layout.addWidget(view)
            view.edited.connect(self.edited)
        self.cloud: PointCloud | None = None
        self._near: Neighbourhood | None = None

    def set_cloud(self, cloud: PointCloud | None) -> None:
        self.cloud = cloud
        self._near = None
        self.show_cuboid(None, None)

    def show_cuboid(self, annotation_id: int | None, cuboid: Cuboid | None,
                    color: str = "#e69f00") -> None:
        """Show ``cuboid`` (None: nothing selected); the neighbourhood is re-read only when
        the box left the one read before (a drag or a nudge keeps it)."""
        near = None
        if cuboid is not None and self.cloud is not None:
            near = self._near
            if near is None or not _covers(near.cuboid, cuboid):
                near = neighbourhood(self.cloud, cuboid)
            self._near = near
        for view in self.views.values():
            view.set_cuboid(annotation_id, cuboid, near, color)


def _covers(first: Cuboid, cuboid: Cuboid) -> bool:
    """Whether the neighbourhood read around ``first`` still shows all around ``cuboid``."""
    moved = np.abs(_in_frame(first, cuboid.center[0]))
    grown = np.abs(cuboid.size[0] - first.size[0])
    return bool((moved + grown / 2 < MARGIN / 3).all()
                and abs(_wrap(cuboid.yaw - first.yaw)) < math.radians(20))
