"""The Problems panel and the canvas marks of validation findings.

The panel lists the findings of the open item first, then those of the rest
of its batch.  Findings of the open item are recomputed after every edit, so
a self-intersecting polygon is flagged the moment it is drawn; the batch's
are computed when a batch is opened and kept current item by item.  A click
selects and zooms to the shape; the context menu offers the repairs that
apply (each one an undoable command).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QLabel,
    QMenu,
    QStyleOptionGraphicsItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.geometry import Finding, repair, repairs_for, validate_annotations, validate_items
from annotator.model import Annotation, Item
from annotator.ui.editor import Editor

__all__ = ["ProblemMarks", "ProblemPanel"]

SEVERITY_COLORS = {"error": "#d55e00", "warning": "#e69f00"}
_FINDING = Qt.ItemDataRole.UserRole


class ProblemMarks(QGraphicsItem):
    """Rings at the spots findings name, the same size at every zoom."""

    RADIUS = 9.0

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(2_500_000)
        self.spots: list[tuple[QPointF, str]] = []
        self._bounds = QRectF()

    def set_findings(self, findings: list[Finding],
                     to_scene: Callable[[float, float], tuple[float, float]] | None = None
                     ) -> None:
        """Rings at the findings' spots; ``to_scene`` maps a spot (a tile's findings
        name world metres) to the scene."""
        self.prepareGeometryChange()
        place = to_scene or (lambda x, y: (x, y))
        self.spots = [(QPointF(*place(*f.location)), f.severity) for f in findings
                      if f.location]
        bounds = QRectF()
        for spot, _ in self.spots:
            bounds = bounds.united(QRectF(spot, spot))
        # The rings are drawn in screen pixels, so in scene units they grow as
        # the view zooms out; this margin covers them down to 0.1 % zoom.
        self._bounds = bounds.adjusted(-20_000, -20_000, 20_000, 20_000) if self.spots \
            else QRectF()
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        transform = painter.worldTransform()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        radius = self.RADIUS
        for spot, severity in self.spots:
            centre = transform.map(spot)
            color = QColor(SEVERITY_COLORS.get(severity, "#d55e00"))
            painter.setPen(QPen(QColor("black"), 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, radius, radius)
            painter.setPen(QPen(color, 2.5))
            painter.drawEllipse(centre, radius, radius)
            painter.setBrush(QBrush(color))
            painter.drawEllipse(centre, 2.0, 2.0)
        painter.restore()


class ProblemPanel(QWidget):
    """Findings of the open item and its batch; click to go to the shape."""

    #: (item id, annotation id or 0) the user asked to see
    problemActivated = Signal(int, int)

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.project = editor.adapter.project
        self.batch_id: int | None = None
        self.findings: dict[int, list[Finding]] = {}
        self.names: dict[int, str] = {}
        self.summary = QLabel()
        self.summary.setAccessibleName(self.tr("Problem count"))
        self.tree = QTreeWidget()
        self.tree.setObjectName("problemList")
        self.tree.setAccessibleName(self.tr("Problems"))
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)
        self.marks = ProblemMarks()
        self.tree.itemActivated.connect(self._on_tree_activated)
        self.tree.itemClicked.connect(self._on_tree_activated)
        self.tree.customContextMenuRequested.connect(self._on_tree_menu)
        editor.itemOpened.connect(self._on_editor_item_opened)
        editor.adapter.annotationsChanged.connect(self._on_adapter_annotations_changed)
        editor.adapter.batchesChanged.connect(self._reload_batch)

    # -- computing -------------------------------------------------------------------------

    def _on_editor_item_opened(self, item_id: int) -> None:
        batch = self.project.store.batch_for_item(item_id)
        batch_id = None if batch is None else batch.id
        if batch_id != self.batch_id or item_id not in self.findings:
            self.batch_id = batch_id
            self._reload_batch()
        else:
            self._recheck(item_id)
        if self.marks.scene() is not self.editor.scene:
            self.editor.scene.addItem(self.marks)

    def _reload_batch(self) -> None:
        item = self.editor.item
        if item is None:
            return
        if self.batch_id is None:
            entries = [(item, self.project.store.annotations_for_item(int(item.id or 0)))]
        else:
            entries = list(self.project.entries(self.batch_id))
        self.names = {int(i.id or 0): i.path.rsplit("/", 1)[-1] for i, _ in entries}
        self.findings = {int(i.id or 0): [] for i, _ in entries}
        for finding in validate_items(self.project.schema, entries):
            self.findings.setdefault(finding.item_id, []).append(finding)
        self._show()

    def _recheck(self, item_id: int) -> None:
        item: Item = self.project.store.get_item(item_id)
        annotations = self.project.store.annotations_for_item(item_id)
        around = self._neighbours(item_id)
        if around:
            # map rules see the features of the tiles next door (a lanelet's boundary may
            # lie there); only this item's findings are kept
            found = validate_items(self.project.schema, [(item, annotations), *around])
            self.findings[item_id] = [f for f in found if f.item_id == item_id]
        else:
            self.findings[item_id] = validate_annotations(self.project.schema, item,
                                                          annotations)
        self.names.setdefault(item_id, item.path.rsplit("/", 1)[-1])
        self._show()

    def _neighbours(self, item_id: int) -> list[tuple[Item, list[Annotation]]]:
        """The neighbouring tiles' map features, per tile (the open tile only)."""
        editor = self.editor
        if editor.item is None or editor.item.id != item_id:
            return []
        by_item: dict[int, list[Annotation]] = {}
        for annotation in editor.maps.neighbours():
            by_item.setdefault(annotation.item_id, []).append(annotation)
        return [(self.project.store.get_item(i), shapes) for i, shapes in by_item.items()]

    def _on_adapter_annotations_changed(self, item_id: int) -> None:
        if item_id in self.findings or (self.editor.item and self.editor.item.id == item_id):
            self._recheck(item_id)

    # -- showing ---------------------------------------------------------------------------

    def current(self) -> list[Finding]:
        item = self.editor.item
        return [] if item is None else self.findings.get(int(item.id or 0), [])

    def _show(self) -> None:
        self.tree.clear()
        current_id = int(self.editor.item.id or 0) if self.editor.item else 0
        order = sorted(self.findings, key=lambda i: (i != current_id, i))
        errors = warnings = 0
        for item_id in order:
            found = self.findings[item_id]
            errors += sum(f.severity == "error" for f in found)
            warnings += sum(f.severity == "warning" for f in found)
            if not found:
                continue
            title = self.names.get(item_id, str(item_id))
            if item_id == current_id:
                title = self.tr("%s (open)") % title
            group = QTreeWidgetItem([f"{title} — {len(found)}"])
            group.setData(0, _FINDING, None)
            self.tree.addTopLevelItem(group)
            for finding in found:
                row = QTreeWidgetItem([self._text(finding)])
                row.setData(0, _FINDING, finding)
                row.setForeground(0, QBrush(QColor(SEVERITY_COLORS[finding.severity])))
                row.setToolTip(0, f"{finding.rule}: {finding.message}")
                group.addChild(row)
            group.setExpanded(item_id == current_id)
        scope = self.tr("batch") if self.batch_id is not None else self.tr("item")
        self.summary.setText(self.tr("In this %s: %d error(s), %d warning(s)") % (
            scope, errors, warnings))
        frame = self.editor.frame
        self.marks.set_findings(self.current(), frame.scene_xy if frame is not None else None)

    def refresh_marks(self) -> None:
        """The open tile is loaded: check it again with its neighbours' map features, and
        place the rings in its bird's-eye frame."""
        item = self.editor.item
        if item is not None and item.id is not None and int(item.id) in self.findings:
            self._recheck(int(item.id))
        frame = self.editor.frame
        self.marks.set_findings(self.current(), frame.scene_xy if frame is not None else None)

    def _text(self, finding: Finding) -> str:
        mark = "✖" if finding.severity == "error" else "⚠"
        return f"{mark} {finding.message}"

    # -- acting ----------------------------------------------------------------------------

    def _on_tree_activated(self, row: QTreeWidgetItem, column: int = 0) -> None:
        finding = row.data(0, _FINDING)
        if isinstance(finding, Finding):
            self.problemActivated.emit(finding.item_id, finding.annotation_id or 0)

    def go_to(self, finding: Finding) -> None:
        """Select the finding's shape and zoom to it (the item must be open)."""
        if finding.annotation_id:
            self.editor.select([finding.annotation_id])
            self.editor.zoom_to_selection()
        elif finding.location:
            x, y = finding.location
            frame = self.editor.frame
            reach = 40.0
            if frame is not None:  # world metres on a tile: ten metres round the spot
                (x, y), reach = frame.scene_xy(x, y), 5.0
            self.editor.view.zoom_to(QRectF(x - reach, y - reach, 2 * reach, 2 * reach))

    def _on_tree_menu(self, position: QPoint) -> None:
        row = self.tree.itemAt(position)
        finding = row.data(0, _FINDING) if row is not None else None
        if not isinstance(finding, Finding) or not finding.annotation_id:
            return
        names = repairs_for(finding)
        if not names:
            return
        menu = QMenu(self)
        labels = {
            "make_valid_largest": self.tr("Repair: keep the largest part"),
            "make_valid_split": self.tr("Repair: split into parts"),
            "clip_to_image": self.tr("Repair: clip to the image"),
            "drop_duplicate_vertices": self.tr("Repair: drop duplicate vertices"),
            "connect_end": self.tr("Repair: join the end to the line it should meet"),
            "swap_lanelet_sides": self.tr("Repair: swap the lanelet's left and right"),
            "reverse_lanelet": self.tr("Repair: turn the lanelet's direction"),
        }
        for name in names:
            action = menu.addAction(labels.get(name, name))
            action.setObjectName(f"repair_{name}")
            action.triggered.connect(lambda *_, n=name: self.apply_repair(finding, n))
        menu.exec(self.tree.viewport().mapToGlobal(position))

    def apply_repair(self, finding: Finding, name: str) -> None:
        annotation = self.project.store.get_annotation(finding.annotation_id or 0)
        if annotation is None:
            return
        item = self.project.store.get_item(finding.item_id)
        context = [*self.project.store.annotations_for_item(finding.item_id),
                   *(a for _, shapes in self._neighbours(finding.item_id) for a in shapes)]
        try:
            command = repair(annotation, name, item, context, self.project.schema.rules)
        except AnnotatorError as exc:  # e.g. clipping would leave nothing
            self.editor.adapter.refused.emit(str(exc))
            return
        if command is not None:
            self.editor.adapter.push(command)
