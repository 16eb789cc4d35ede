"""Charts of the lead dashboard, drawn with QPainter (no QtCharts, no browser).

``StateChart`` draws one horizontal bar per batch state, its done part solid
and the rest pale, with the figures written beside it; ``BarChart`` draws one
horizontal bar per label.  Both keep the figures they were given (``rows``),
so a test can compare what is drawn with what the project says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

ROW = 26
GAP = 6
MARGIN = 8


@dataclass(frozen=True)
class StateRow:
    """One bar of the state chart."""

    label: str
    colour: QColor
    batches: int
    items: int
    done: int
    text: str


class StateChart(QWidget):
    """A horizontal bar per batch state: items done (solid) and not done (pale)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stateChart")
        self.rows: list[StateRow] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: Sequence[StateRow]) -> None:
        self.rows = list(rows)
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 2 * MARGIN + len(self.rows) * (ROW + GAP))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        label_w = max((metrics.horizontalAdvance(r.label) for r in self.rows), default=0) + 12
        text_w = max((metrics.horizontalAdvance(r.text) for r in self.rows), default=0) + 12
        bar_w = max(self.width() - 2 * MARGIN - label_w - text_w, 40)
        most = max((r.items for r in self.rows), default=0) or 1
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        for index, row in enumerate(self.rows):
            y = MARGIN + index * (ROW + GAP)
            painter.setPen(text_colour)
            painter.drawText(QRectF(MARGIN, y, label_w, ROW),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             row.label)
            x = MARGIN + label_w
            whole = bar_w * row.items / most
            part = bar_w * row.done / most
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(row.colour.lighter(170))
            painter.drawRect(QRectF(x, y + 3, whole, ROW - 6))
            painter.setBrush(row.colour)
            painter.drawRect(QRectF(x, y + 3, part, ROW - 6))
            painter.setPen(row.colour.darker(130))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(x, y + 3, max(whole, 1.0), ROW - 6))
            painter.setPen(text_colour)
            painter.drawText(QRectF(x + whole + 8, y, text_w + bar_w, ROW),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             row.text)
        painter.end()


class BarChart(QWidget):
    """Horizontal bars, one per label, longest = largest value; values written at the end."""

    def __init__(self, colour: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = colour
        self.rows: list[tuple[str, float]] = []
        self.texts: list[str] = []
        self.empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: Sequence[tuple[str, float]], texts: Sequence[str],
                 empty_text: str = "") -> None:
        self.rows = list(rows)
        self.texts = list(texts)
        self.empty_text = empty_text
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 2 * MARGIN + max(len(self.rows), 1) * (ROW + GAP))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(text_colour)
        left = int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        if not self.rows:
            painter.drawText(QRectF(MARGIN, MARGIN, self.width() - 2 * MARGIN, ROW), left,
                             self.empty_text)
            painter.end()
            return
        label_w = max(metrics.horizontalAdvance(label) for label, _ in self.rows) + 12
        text_w = max((metrics.horizontalAdvance(t) for t in self.texts), default=0) + 12
        bar_w = max(self.width() - 2 * MARGIN - label_w - text_w, 40)
        most = max(value for _, value in self.rows) or 1.0
        for index, ((label, value), text) in enumerate(zip(self.rows, self.texts, strict=True)):
            y = MARGIN + index * (ROW + GAP)
            painter.setPen(text_colour)
            painter.drawText(QRectF(MARGIN, y, label_w, ROW), left, label)
            x = MARGIN + label_w
            length = bar_w * max(value, 0.0) / most
            painter.setPen(self.colour.darker(130))
            painter.setBrush(self.colour)
            painter.drawRect(QRectF(x, y + 3, max(length, 1.0), ROW - 6))
            painter.setPen(text_colour)
            painter.drawText(QRectF(x + length + 8, y, text_w, ROW), left, text)
        painter.end()
