"""What an assist shows on the canvas: the prompt being drawn and the proposed drafts.

Both are view state only.  The prompt tool collects a box (drag) or clicks
(Shift+click or right click marks background); the draft layer paints
proposals dashed and hatched, so they never pass for stored shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from annotator.model import Annotation
from annotator.shapes import Point
from annotator.ui.canvas import Style, shape_path
from annotator.ui.tools import Tool

if TYPE_CHECKING:
    from annotator.ui.editor import Editor

__all__ = ["PROMPT_COLOR", "AssistTool", "DraftLayer", "PromptItem"]

#: The prompt's colour (Okabe-Ito sky blue); background clicks are vermilion.
PROMPT_COLOR = "#56b4e9"
BACKGROUND_COLOR = "#d55e00"
_MARKER = 6.0  # screen pixels


def _scale(painter: QPainter) -> float:
    return max(QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform()),
               1e-9)


class PromptItem(QGraphicsItem):
    """The box or clicks the next assist run will use."""

    def __init__(self) -> None:
        super().__init__()
        self.box: QRectF | None = None
        self.points: list[tuple[QPointF, int]] = []
        self.view_scale = 1.0
        self.setZValue(2_000_001)

    def set(self, box: QRectF | None, points: list[tuple[QPointF, int]]) -> None:
        self.prepareGeometryChange()
        self.box, self.points = box, list(points)
        self.update()

    def boundingRect(self) -> QRectF:
        rect = QRectF(self.box) if self.box is not None else QRectF()
        for point, _ in self.points:
            rect = rect.united(QRectF(point, point))
        if rect.isNull() and not self.points:
            return QRectF()
        m = 3 * _MARKER / max(self.view_scale, 1e-9)
        return rect.normalized().adjusted(-m, -m, m, m)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        scale = _scale(painter)
        self.view_scale = scale
        painter.setBrush(QBrush())
        if self.box is not None:
            for color, width, style in (("white", Style.line_width + 2, Qt.PenStyle.SolidLine),
                                        (PROMPT_COLOR, Style.line_width, Qt.PenStyle.DashLine)):
                pen = QPen(QColor(color), width, style)
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawRect(self.box.normalized())
        radius = _MARKER / scale
        for point, label in self.points:
            pen = QPen(QColor("white"), 2)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(QBrush(QColor(PROMPT_COLOR if label else BACKGROUND_COLOR)))
            painter.drawEllipse(point, radius, radius)
            if not label:  # a cross, so background clicks don't rely on colour alone
                painter.drawLine(point + QPointF(-radius, -radius), point + QPointF(radius, radius))
                painter.drawLine(point + QPointF(-radius, radius), point + QPointF(radius, -radius))


class DraftLayer(QGraphicsItem):
    """Proposed shapes waiting for Enter (accept) or Esc (reject); a click drops one.

    Dropped drafts stay visible, grey and dotted, so a second click takes
    them back.
    """

    def __init__(self) -> None:
        super().__init__()
        self.drafts: list[tuple[QPainterPath, QColor, bool]] = []
        self.dropped: set[int] = set()
        self.view_scale = 1.0
        self.setZValue(1_999_999)

    def set_dropped(self, dropped: set[int]) -> None:
        self.dropped = set(dropped)
        self.update()

    def index_at(self, pos: QPointF) -> int | None:
        """The draft under ``pos`` (the topmost), if any."""
        reach = 2 * _MARKER / max(self.view_scale, 1e-9)
        stroker = QPainterPathStroker()
        stroker.setWidth(reach)
        for index in reversed(range(len(self.drafts))):
            path, _, closed = self.drafts[index]
            if path.boundingRect().width() < 1e-2 and path.boundingRect().height() < 1e-2:
                centre = path.boundingRect().center()
                if (centre - pos).manhattanLength() <= 1.5 * reach:
                    return index
            elif (closed and path.contains(pos)) or stroker.createStroke(path).contains(pos):
                return index
        return None

    def set(self, shown: list[Annotation], color_of: dict[str, str]) -> None:
        self.prepareGeometryChange()
        self.dropped = set()
        self.drafts = []
        for annotation in shown:
            geometry = annotation.geometry
            if isinstance(geometry, Point):
                x, y = geometry.vertices[0, :2]
                path = QPainterPath()
                path.addEllipse(QPointF(float(x), float(y)), 1e-3, 1e-3)
                closed = False
            else:
                path = shape_path(geometry)
                closed = annotation.kind in ("box", "rotated_box", "polygon")
            self.drafts.append((path, QColor(color_of.get(annotation.label, "#999999")), closed))
        self.update()

    def boundingRect(self) -> QRectF:
        rect = QRectF()
        for path, _, _ in self.drafts:
            rect = rect.united(path.boundingRect())
        if not self.drafts:
            return QRectF()
        m = 4 * _MARKER / max(self.view_scale, 1e-9)
        return rect.adjusted(-m, -m, m, m)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        scale = _scale(painter)
        self.view_scale = scale
        for index, (path, color, closed) in enumerate(self.drafts):
            dropped = index in self.dropped
            halo = QPen(QColor(255, 255, 255, 90 if dropped else 230), Style.line_width + 3)
            halo.setCosmetic(True)
            if dropped:
                color, closed = QColor(128, 128, 128), False
            style = Qt.PenStyle.DotLine if dropped else Qt.PenStyle.DashDotLine
            pen = QPen(color, Style.line_width + 1, style)
            pen.setCosmetic(True)
            fill = QColor(color)
            fill.setAlpha(110)
            brush = QBrush(fill, Qt.BrushStyle.BDiagPattern) if closed else QBrush()
            if path.elementCount() and path.boundingRect().width() < 1e-2 \
                    and path.boundingRect().height() < 1e-2:
                centre = path.boundingRect().center()
                radius = 1.5 * _MARKER / scale
                painter.setPen(halo)
                painter.setBrush(QBrush())
                painter.drawEllipse(centre, radius, radius)
                painter.setPen(pen)
                painter.drawEllipse(centre, radius, radius)
                continue
            painter.setBrush(QBrush())
            painter.setPen(halo)
            painter.drawPath(path)
            painter.setBrush(brush)
            painter.setPen(pen)
            painter.drawPath(path)


class AssistTool(Tool):
    """Collects the prompt of a box or click assist: drag a box, or click points.

    The assist runs when the user presses the assist key; a new drag replaces
    the box, clicks add up (Shift+click or right click: background),
    Backspace drops the last click and Esc clears the prompt.
    """

    name = "assist"

    def __init__(self, editor: Editor, item: PromptItem) -> None:
        super().__init__(editor)
        self.mode = "box"
        self.prompt_item = item
        self.start: QPointF | None = None
        self.box: QRectF | None = None
        self.points: list[tuple[QPointF, int]] = []

    def ready(self) -> bool:
        return self.box is not None if self.mode == "box" else bool(self.points)

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.cancel()
            self.mode = mode

    def press(self, pos: QPointF, event: QMouseEvent) -> bool:
        button = event.button()
        if self.mode == "click":
            if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
                return False
            background = (button == Qt.MouseButton.RightButton
                          or bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            self.points.append((self.editor.clamp(pos), 0 if background else 1))
            self._show()
            return True
        if button != Qt.MouseButton.LeftButton:
            return False
        self.start = self.editor.clamp(pos)
        return True

    def move(self, pos: QPointF, event: QMouseEvent) -> bool:
        if self.start is None:
            return False
        self.box = QRectF(self.start, self.editor.clamp(pos)).normalized()
        self._show()
        return True

    def release(self, pos: QPointF, event: QMouseEvent) -> bool:
        if self.start is None or event.button() != Qt.MouseButton.LeftButton:
            return False
        rect = QRectF(self.start, self.editor.clamp(pos)).normalized()
        self.start = None
        if rect.width() * self.editor.scene.view_scale < 2 or \
                rect.height() * self.editor.scene.view_scale < 2:
            self.box = None
            self.editor.status(QCoreApplication.translate(
                "AssistTool", "Drag a box round the object, then press I"))
        else:
            self.box = rect
            self.editor.status(QCoreApplication.translate(
                "AssistTool", "Press I to run the assist on this box"))
        self._show()
        return True

    def wants_key(self, event: QKeyEvent) -> bool:
        return event.key() == Qt.Key.Key_Backspace and bool(self.points)

    def key(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Backspace and self.points:
            self.points.pop()
            self._show()
            return True
        if event.key() == Qt.Key.Key_Escape and (self.points or self.box is not None):
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        self.start, self.box, self.points = None, None, []
        self._show()

    def _show(self) -> None:
        item = self.prompt_item
        if item.scene() is not self.editor.scene:
            self.editor.scene.addItem(item)
        item.set(self.box, self.points)

    def scene_points(self) -> tuple[np.ndarray, np.ndarray]:
        """The clicks as ``(n, 2)`` scene coordinates and their ``(n,)`` labels."""
        xy = np.array([[p.x(), p.y()] for p, _ in self.points], dtype=np.float64).reshape(-1, 2)
        return xy, np.array([label for _, label in self.points], dtype=np.int64)
