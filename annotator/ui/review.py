"""Review comments in the app: the panel listing them and the pins on the canvas.

A reviewer (or lead) pins a comment to a shape or a spot of a submitted
batch: "Pin a comment" (Ctrl+Shift+M), a click on the canvas, a line of
text.  A click on a shape pins the comment to that shape; anywhere else to
the spot.  The annotator of a rejected batch sees every pin, goes to each
one from the panel and resolves it.  Comments are never edited or deleted;
the store keeps who resolved what and when.  The project decides who may
do what (:mod:`annotator.workflow`): the panel only offers what it allows.

Positions are stored as the item knows them: image pixels, or world x, y
on a point-cloud tile (so a pin stays put whatever the bird's-eye frame).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.model import Batch, BatchState, ReviewComment, Role
from annotator.ui.editor import Editor

__all__ = ["PinLayer", "ReviewPanel"]

_OPEN = QColor("#d55e00")
_RESOLVED = QColor("#9e9e9e")


class PinLayer(QGraphicsItem):
    """Numbered pins at the comments' spots, the same size at every zoom."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(2_600_000)
        self.pins: list[tuple[QPointF, int, bool]] = []      # spot, number, resolved
        self._bounds = QRectF()

    def set_pins(self, pins: list[tuple[QPointF, int, bool]]) -> None:
        self.prepareGeometryChange()
        self.pins = pins
        bounds = QRectF()
        for spot, _, _ in pins:
            bounds = bounds.united(QRectF(spot, spot))
        # Pins are drawn in screen pixels: a wide margin covers them at any zoom.
        self._bounds = bounds.adjusted(-20_000, -20_000, 20_000, 20_000) if pins else QRectF()
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        transform = painter.worldTransform()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        for spot, number, resolved in self.pins:
            tip = transform.map(spot)
            head = QPointF(tip.x(), tip.y() - 22)
            path = QPainterPath(tip)
            path.lineTo(head.x() - 7, head.y() + 6)
            path.lineTo(head.x() + 7, head.y() + 6)
            path.closeSubpath()
            path.addEllipse(head, 11, 11)
            color = _RESOLVED if resolved else _OPEN
            painter.setPen(QPen(QColor("black"), 1.5))
            painter.setBrush(color)
            painter.drawPath(path.simplified())
            painter.setPen(QColor("white"))
            painter.drawText(QRectF(head.x() - 11, head.y() - 11, 22, 22),
                             Qt.AlignmentFlag.AlignCenter, str(number))
        painter.restore()


class ReviewPanel(QWidget):
    """The comments of the open item's batch: unresolved first, the open item's on top."""

    #: (item id, comment id) the user asked to see
    commentActivated = Signal(int, int)

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.editor = editor
        self.project = editor.adapter.project
        self.batch_id: int | None = None
        self.comments: list[ReviewComment] = []
        self.summary = QLabel()
        self.summary.setAccessibleName(self.tr("Comment count"))
        self.changes_label = QLabel()
        self.changes_label.setObjectName("reviewChanges")
        self.changes_label.setWordWrap(True)
        self.changes_label.setAccessibleName(self.tr("Changes since the last submission"))
        self.list = QListWidget()
        self.list.setObjectName("reviewList")
        self.list.setAccessibleName(self.tr("Review comments"))
        self.list.setWordWrap(True)
        self.pin_button = QPushButton(self.tr("Pin a comment"))
        self.pin_button.setObjectName("reviewPin")
        self.pin_button.setToolTip(self.tr("Then click a shape or a spot (Ctrl+Shift+M)"))
        self.resolve_button = QPushButton(self.tr("Resolve"))
        self.resolve_button.setObjectName("reviewResolve")
        buttons = QHBoxLayout()
        buttons.addWidget(self.pin_button)
        buttons.addWidget(self.resolve_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.changes_label)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.pins = PinLayer()
        self._pinning = False
        self.pin_button.clicked.connect(self.start_pin)
        self.resolve_button.clicked.connect(self.resolve_current)
        self.list.itemActivated.connect(self._on_list_activated)
        self.list.itemClicked.connect(self._on_list_activated)
        self.list.currentRowChanged.connect(lambda _: self._update_buttons())
        editor.itemOpened.connect(lambda _: self.reload())
        editor.adapter.batchesChanged.connect(self.reload)
        editor.adapter.annotationsChanged.connect(lambda _: self._show_changes())
        editor.view.viewport().installEventFilter(self)

    # -- what the user may do --------------------------------------------------------------

    def _batch(self) -> Batch | None:
        return None if self.batch_id is None else self.project.store.get_batch(self.batch_id)

    def may_pin(self) -> bool:
        """What :func:`annotator.workflow.check_comment` allows (the project checks again)."""
        batch, user = self._batch(), self.project.user
        return (batch is not None and batch.state == BatchState.SUBMITTED
                and (user.role == Role.LEAD
                     or (user.role == Role.REVIEWER and batch.reviewer in (None, user.name))))

    def may_resolve(self, comment: ReviewComment | None) -> bool:
        """What :func:`annotator.workflow.check_resolve` allows (the project checks again)."""
        batch, user = self._batch(), self.project.user
        return (comment is not None and not comment.resolved and batch is not None
                and (user.role == Role.LEAD or batch.assignee == user.name)
                and batch.state in (BatchState.REJECTED, BatchState.IN_PROGRESS))

    def _current(self) -> ReviewComment | None:
        row = self.list.currentRow()
        return self.comments[row] if 0 <= row < len(self.comments) else None

    def _update_buttons(self) -> None:
        self.pin_button.setEnabled(self.may_pin())
        self.resolve_button.setEnabled(self.may_resolve(self._current()))

    # -- content ----------------------------------------------------------------------------------

    def reload(self) -> None:
        item = self.editor.item
        batch = None if item is None else self.project.store.batch_for_item(int(item.id or 0))
        self.batch_id = None if batch is None else batch.id
        found = [] if batch is None else self.project.comments(int(batch.id or 0))
        current = int(item.id or 0) if item is not None else 0
        self.comments = sorted(found, key=lambda c: (c.resolved, c.item_id != current,
                                                      c.item_id, c.id or 0))
        self.list.clear()
        for number, comment in enumerate(self.comments, 1):
            mark = "✓" if comment.resolved else "●"
            where = (self.tr("shape #%d") % comment.annotation_id
                     if comment.annotation_id else self.tr("a spot"))
            row = QListWidgetItem(f"{mark} {number}. {comment.text}\n    "
                                  + self.tr("item %d, %s — %s") % (comment.item_id, where,
                                                                   comment.author))
            if comment.resolved:
                row.setForeground(_RESOLVED)
            self.list.addItem(row)
        open_count = sum(not c.resolved for c in self.comments)
        self.summary.setText(self.tr("%d open, %d resolved") % (
            open_count, len(self.comments) - open_count))
        self._show_pins()
        self._show_changes()
        self._update_buttons()
        if self.pins.scene() is not self.editor.scene:
            self.editor.scene.addItem(self.pins)

    def _show_pins(self) -> None:
        item = self.editor.item
        pins = []
        for number, comment in enumerate(self.comments, 1):
            if item is None or comment.item_id != item.id:
                continue
            spot = self._spot(comment)
            if spot is not None:
                pins.append((spot, number, comment.resolved))
        self.pins.set_pins(pins)

    def _show_changes(self) -> None:
        """Frame the shapes a resubmission added or changed; count what it deleted."""
        item = self.editor.item
        changes = ({} if self.batch_id is None or item is None
                   else self.project.changes_since_submission(self.batch_id))
        here = changes.get(int(item.id or 0), {}) if item is not None else {}
        marks = {i: kind for kind in ("added", "changed") for i in here.get(kind, [])}
        self.editor.scene.set_changes(marks)
        if not changes:
            self.changes_label.setText("")
            return
        self.changes_label.setText(self.tr(
            "Since the last submission: %d item(s) changed; here %d added (green), "
            "%d changed (blue), %d deleted") % (
                len(changes), len(here.get("added", [])), len(here.get("changed", [])),
                len(here.get("deleted", []))))

    def _spot(self, comment: ReviewComment) -> QPointF | None:
        """Scene position of a comment: its spot, or the middle of its shape."""
        if comment.position is not None and len(comment.position) >= 2:
            x, y = float(comment.position[0]), float(comment.position[1])
            frame = self.editor.frame
            return QPointF(*frame.scene_xy(x, y)) if frame is not None else QPointF(x, y)
        shape = self.editor.scene.shapes.get(int(comment.annotation_id or 0))
        return None if shape is None else shape.path.boundingRect().center()

    # -- pinning and resolving -------------------------------------------------------------------

    def start_pin(self) -> None:
        if not self.may_pin():
            self.editor.status(self.tr("Comments are pinned by the reviewer of a submitted "
                                       "batch, or by a lead"))
            return
        self._pinning = True
        self.editor.view.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self.editor.status(self.tr("Click the shape or the spot the comment is about "
                                   "(Esc cancels)"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._pinning:
            return False
        if event.type() == QEvent.Type.KeyPress and \
                event.key() == Qt.Key.Key_Escape:  # type: ignore[attr-defined]
            self._stop_pinning()
            return True
        if event.type() == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent) \
                and event.button() == Qt.MouseButton.LeftButton:
            self._stop_pinning()
            self._pin_at(self.editor.view.mapToScene(event.position().toPoint()))
            return True
        return False

    def _stop_pinning(self) -> None:
        self._pinning = False
        self.editor.view.viewport().unsetCursor()

    def _pin_at(self, scene_pos: QPointF) -> None:
        item, batch_id = self.editor.item, self.batch_id
        if item is None or batch_id is None:
            return
        shape = self.editor.scene.shape_at(scene_pos)
        text, ok = QInputDialog.getText(self, self.tr("Comment"),
                                        self.tr("What should be fixed here?"))
        if not ok or not text.strip():
            return
        frame = self.editor.frame
        x, y = ((frame.world_xy(scene_pos.x(), scene_pos.y())) if frame is not None
                else (scene_pos.x(), scene_pos.y()))
        try:
            self.project.add_comment(batch_id, int(item.id or 0), text.strip(),
                                     annotation_id=None if shape is None
                                     else shape.annotation_id,
                                     position=None if shape is not None else (x, y))
        except AnnotatorError as exc:
            self.editor.adapter.refused.emit(str(exc))
            return
        self.reload()

    def resolve_current(self) -> None:
        comment = self._current()
        if comment is None or comment.id is None:
            return
        try:
            self.project.resolve_comment(comment.id)
        except AnnotatorError as exc:
            self.editor.adapter.refused.emit(str(exc))
            return
        self.reload()

    def _on_list_activated(self, row: QListWidgetItem) -> None:
        comment = self.comments[self.list.row(row)]
        self.commentActivated.emit(comment.item_id, int(comment.id or 0))

    def go_to(self, comment_id: int) -> None:
        """Show a comment of the open item: select its shape, or zoom to its spot."""
        comment = next((c for c in self.comments if c.id == comment_id), None)
        if comment is None:
            return
        if comment.annotation_id:
            self.editor.select([comment.annotation_id])
            self.editor.zoom_to_selection()
            return
        spot = self._spot(comment)
        if spot is not None:
            reach = self.editor.view.empty_margin * 2
            self.editor.view.zoom_to(QRectF(spot.x() - reach, spot.y() - reach, 2 * reach,
                                            2 * reach))
