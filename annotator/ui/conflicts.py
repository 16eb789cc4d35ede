"""Showing an edit that met someone else's change: both versions, side by side.

Team mode never writes over another person's change (see
:class:`~annotator.errors.ConflictError`).  When it refuses an edit, live or
replayed from the offline journal, this dialog shows what the annotator
meant ("Yours") next to what the server holds ("On the server"): the class,
the attributes and a drawing of both outlines over each other.  "Keep
theirs" (the default, Esc) leaves the server's version; "Use mine" applies
the annotator's version on top of it, as a new undoable edit.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from annotator.commands import AddAnnotations, ChangeAnnotations, Command, DeleteAnnotations
from annotator.errors import AnnotatorError, ConflictError
from annotator.model import Annotation

__all__ = ["ConflictDialog", "describe", "resolution"]


def _tr(text: str) -> str:
    return QCoreApplication.translate("ConflictDialog", text)

MINE = QColor("#e69f00")    # orange: colour-blind safe against the blue
THEIRS = QColor("#0072b2")


def describe(annotation: object | None) -> str:
    """One short paragraph: class, kind, attributes, extent; or that it is gone."""
    if not isinstance(annotation, Annotation):
        return _tr("deleted")
    vertices = np.asarray(annotation.geometry.vertices, dtype=np.float64)
    low, high = vertices.min(axis=0)[:2], vertices.max(axis=0)[:2]
    attributes = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                           for k, v in sorted(annotation.attributes.items()))
    lines = [f"{annotation.label} ({annotation.kind.replace('_', ' ')})",
             f"x {low[0]:.1f}–{high[0]:.1f}, y {low[1]:.1f}–{high[1]:.1f}"]
    if attributes:
        lines.append(attributes)
    if annotation.hidden or annotation.locked:
        lines.append(", ".join(f for f, on in (("hidden", annotation.hidden),
                                               ("locked", annotation.locked)) if on))
    return "\n".join(lines)


def _outline(annotation: Annotation) -> QPainterPath:
    points = np.asarray(annotation.geometry.vertices, dtype=np.float64)[:, :2]
    path = QPainterPath()
    kind = annotation.kind
    if kind == "box" and len(points) >= 2:
        low, high = points.min(axis=0), points.max(axis=0)
        path.addRect(QRectF(QPointF(*low), QPointF(*high)))
        return path
    if kind in ("point", "point3d") or len(points) == 1:
        for x, y in points:
            path.addEllipse(QPointF(x, y), 2.0, 2.0)
        return path
    path.moveTo(QPointF(*points[0]))
    for x, y in points[1:]:
        path.lineTo(QPointF(x, y))
    if kind not in ("polyline", "polyline3d"):
        path.closeSubpath()
    return path


def picture(mine: object | None, theirs: object | None, size: int = 220) -> QPixmap:
    """Both outlines over each other, fitted into a square: mine orange dashed, theirs blue."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor("#f7f7f7"))
    shapes = [(a, colour, style) for a, colour, style in (
        (theirs, THEIRS, Qt.PenStyle.SolidLine), (mine, MINE, Qt.PenStyle.DashLine))
        if isinstance(a, Annotation)]
    if not shapes:
        return pixmap
    paths = [(_outline(a), colour, style) for a, colour, style in shapes]
    bounds = paths[0][0].boundingRect()
    for path, _, _ in paths[1:]:
        bounds = bounds.united(path.boundingRect())
    margin = 14.0
    scale = (size - 2 * margin) / max(bounds.width(), bounds.height(), 1e-6)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(margin - bounds.left() * scale, margin - bounds.top() * scale)
    painter.scale(scale, scale)
    for path, colour, style in paths:
        pen = QPen(colour, 2.5 / scale, style)
        pen.setCosmetic(False)
        painter.setPen(pen)
        painter.drawPath(path)
    painter.end()
    return pixmap


def resolution(error: ConflictError) -> Command | None:
    """The edit that puts "mine" over "theirs", or None when there is nothing to apply."""
    mine, theirs = error.mine, error.theirs
    if isinstance(mine, Annotation) and isinstance(theirs, Annotation):
        return ChangeAnnotations([theirs], [dataclasses.replace(mine, id=theirs.id)],
                                 _tr("Use my version"))
    if isinstance(mine, Annotation):  # they deleted it: bring mine back as a new shape
        return AddAnnotations([dataclasses.replace(mine, id=None)],
                              _tr("Use my version"))
    if isinstance(theirs, Annotation):  # I deleted it, they changed it
        return DeleteAnnotations([theirs], _tr("Use my version"))
    return None


class ConflictDialog(QDialog):
    """Edits the server did not take; conflicts shown with both versions."""

    def __init__(self, problems: Sequence[tuple[str, AnnotatorError]],
                 apply: Callable[[Command], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.setWindowTitle(self.tr("Edits that met someone else's change"))
        self._apply = apply
        self.use_buttons: list[QPushButton] = []
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr(
            "Nothing was written over another person's work. Where both versions are "
            "shown, keep theirs or use yours."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        body = QWidget()
        rows = QVBoxLayout(body)
        for label, error in problems:
            rows.addWidget(self._problem(label, error))
        rows.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Keep theirs"))
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(800, min(720, 200 + 300 * len(problems)))

    def _problem(self, label: str, error: AnnotatorError) -> QWidget:
        box = QGroupBox(label)
        grid = QGridLayout(box)
        message = QLabel(str(error))
        message.setWordWrap(True)
        grid.addWidget(message, 0, 0, 1, 3)
        if not isinstance(error, ConflictError) or (error.mine is None and error.theirs is None):
            return box
        for column, (title, version, colour) in enumerate((
                (self.tr("Yours"), error.mine, MINE),
                (self.tr("On the server"), error.theirs, THEIRS))):
            heading = QLabel(f"<b style='color:{colour.name()}'>{title}</b>")
            grid.addWidget(heading, 1, column, Qt.AlignmentFlag.AlignTop)
            text = QLabel(describe(version))
            text.setObjectName("conflictYours" if column == 0 else "conflictTheirs")
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(text, 2, column, Qt.AlignmentFlag.AlignTop)
        drawing = QLabel()
        drawing.setPixmap(picture(error.mine, error.theirs))
        drawing.setAccessibleName(self.tr("Both outlines: yours dashed orange, the server's "
                                          "solid blue"))
        grid.addWidget(drawing, 1, 2, 3, 1, Qt.AlignmentFlag.AlignTop)
        grid.setRowStretch(2, 1)
        command = resolution(error)
        if command is not None:
            use = QPushButton(self.tr("Use mine"))
            use.setObjectName("useMine")
            use.clicked.connect(lambda: self._use(use, command))
            grid.addWidget(use, 3, 0)
            self.use_buttons.append(use)
        return box

    def _use(self, button: QPushButton, command: Command) -> None:
        if self._apply(command) is not None:
            button.setEnabled(False)
            button.setText(self.tr("Applied"))
