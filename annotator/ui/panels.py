"""Side panels: classes, the item's shapes, their attributes, and the item list."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.model import Annotation, AttributeSpec, Batch, BatchState, Item, Role, User
from annotator.offline import LOCAL_ID_BASE
from annotator.store import SqlStore
from annotator.ui.editor import Editor

__all__ = ["AnnotationPanel", "AttributeEditor", "ItemListModel", "ItemPanel", "LabelPanel"]


_ROOT = QModelIndex()


def color_icon(color: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class LabelPanel(QWidget):
    """Classes with their colour and hotkey; unchecking hides a class."""

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.list = QListWidget(self)
        self.list.setObjectName("labelList")
        self.list.setAccessibleName(self.tr("Classes"))
        for index, label_class in enumerate(editor.schema.classes):
            hotkey = f"{index + 1}  " if index < 9 else "   "
            row = QListWidgetItem(color_icon(label_class.color), hotkey + label_class.name)
            row.setData(Qt.ItemDataRole.UserRole, label_class.name)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked)
            row.setToolTip(self.tr("Allows: %s") % ", ".join(label_class.kinds))
            self.list.addItem(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        self.list.itemChanged.connect(self._on_list_item_changed)
        editor.classChanged.connect(self._on_editor_class_changed)
        self._on_editor_class_changed(editor.current_class)

    def _on_list_current_changed(self, current: QListWidgetItem | None, _: Any) -> None:
        if current is not None:
            self.editor.set_class(current.data(Qt.ItemDataRole.UserRole))

    def _on_list_item_changed(self, row: QListWidgetItem) -> None:
        name = row.data(Qt.ItemDataRole.UserRole)
        if row.checkState() == Qt.CheckState.Checked:
            self.editor.hidden_classes.discard(name)
        else:
            self.editor.hidden_classes.add(name)
        self.editor.refresh()

    def _on_editor_class_changed(self, name: str) -> None:
        for index in range(self.list.count()):
            row = self.list.item(index)
            if row.data(Qt.ItemDataRole.UserRole) == name and self.list.currentRow() != index:
                self.list.setCurrentRow(index)

    def toggle_lock_current(self) -> None:
        name = self.editor.current_class
        locked = self.editor.locked_classes
        locked.symmetric_difference_update({name})
        for index in range(self.list.count()):
            row = self.list.item(index)
            label = row.data(Qt.ItemDataRole.UserRole)
            row.setText(row.text().removesuffix(" 🔒") + (" 🔒" if label in locked else ""))
        self.editor.status(self.tr("Class %s locked") % name if name in locked
                           else self.tr("Class %s unlocked") % name)


class AnnotationPanel(QWidget):
    """The current item's shapes; selection follows the canvas both ways."""

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.list = QListWidget(self)
        self.list.setObjectName("annotationList")
        self.list.setAccessibleName(self.tr("Shapes of this item"))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self._syncing = False
        self.list.itemSelectionChanged.connect(self._on_list_selection_changed)
        self.list.itemDoubleClicked.connect(lambda _: editor.zoom_to_selection())
        editor.adapter.annotationsChanged.connect(lambda _: self.rebuild())
        editor.itemOpened.connect(lambda _: self.rebuild())
        editor.selectionChanged.connect(self._on_editor_selection_changed)

    def rebuild(self) -> None:
        self._syncing = True
        self.list.clear()
        for annotation in self.editor.annotations():
            flags = (" " + self.tr("(hidden)") if annotation.hidden else "") + (
                " " + self.tr("(locked)") if annotation.locked else "")
            # a shape drawn offline has a local id until the server gives it one
            number = (self.tr("new") if int(annotation.id or 0) >= LOCAL_ID_BASE
                      else f"#{annotation.id}")
            text = f"{number}  {annotation.label}  {annotation.kind}{flags}"
            row = QListWidgetItem(color_icon(self.editor.color_of(annotation.label)), text)
            row.setData(Qt.ItemDataRole.UserRole, annotation.id)
            self.list.addItem(row)
            row.setSelected(annotation.id in self.editor.selection)
        self._syncing = False

    def _on_list_selection_changed(self) -> None:
        if not self._syncing:
            ids = [r.data(Qt.ItemDataRole.UserRole) for r in self.list.selectedItems()]
            self.editor.select(ids)

    def _on_editor_selection_changed(self, ids: list[int]) -> None:
        self._syncing = True
        for index in range(self.list.count()):
            row = self.list.item(index)
            row.setSelected(row.data(Qt.ItemDataRole.UserRole) in ids)
            if row.isSelected():
                self.list.scrollToItem(row)
        self._syncing = False


class AttributeEditor(QWidget):
    """Typed inputs for the selected shape's attributes, built from the schema.

    The inputs are built when the selection (or its class) changes and only
    refreshed otherwise, and each commit runs after the input's own signal
    has returned: an edit re-reads the store, and must never delete the very
    widget that is still delivering its signal.
    """

    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setObjectName("attributeEditor")
        self.form = QFormLayout(self)
        self.title = QLabel(self.tr("Select one shape to edit its attributes"))
        self.title.setWordWrap(True)
        self.form.addRow(self.title)
        self.inputs: dict[str, QWidget] = {}
        self._shown: tuple[int, str, bool] | None = None
        editor.selectionChanged.connect(lambda _: self.rebuild())
        editor.adapter.annotationsChanged.connect(lambda _: self.rebuild())

    def _commit(self, name: str, value: object) -> None:
        QTimer.singleShot(0, lambda: self.editor.set_attribute(name, value))

    def _clear(self) -> None:
        while self.form.rowCount() > 1:
            row = self.form.takeRow(1)
            for part in (row.labelItem, row.fieldItem):
                widget = part.widget() if part is not None else None
                if widget is not None:
                    widget.hide()
                    widget.deleteLater()
        self.inputs.clear()

    def rebuild(self) -> None:
        selected = self.editor.selected()
        if len(selected) != 1:
            self._shown = None
            self._clear()
            self.title.setText(self.tr("Select one shape to edit its attributes"))
            return
        annotation = selected[0]
        shape = self.editor.scene.shapes.get(int(annotation.id or 0))
        locked = shape is not None and self.editor.is_locked(shape)
        key = (int(annotation.id or 0), annotation.label, locked)
        if key == self._shown:
            self._refresh(annotation)
            return
        self._shown = key
        self._clear()
        label_class = self.editor.schema.get(annotation.label)
        self.title.setText(self.tr("%s #%d") % (annotation.label, annotation.id or 0))
        if not label_class.attributes:
            self.form.addRow(QLabel(self.tr("This class has no attributes")))
        for spec in label_class.attributes:
            widget = self._input(spec)
            widget.setAccessibleName(spec.name)
            widget.setToolTip(self.tr("Required") if spec.required else "")
            widget.setEnabled(not locked)
            self.inputs[spec.name] = widget
            self.form.addRow(spec.name + (" *" if spec.required else ""), widget)
        self._refresh(annotation)

    def _refresh(self, annotation: Annotation) -> None:
        """Show the stored values without emitting edits."""
        label_class = self.editor.schema.get(annotation.label)
        for spec in label_class.attributes:
            widget = self.inputs.get(spec.name)
            if widget is None:
                continue
            if widget.hasFocus() and isinstance(widget, QLineEdit | QSpinBox | QDoubleSpinBox):
                continue  # never overwrite what the user is typing
            value = annotation.attributes.get(spec.name, spec.default)
            widget.blockSignals(True)
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(widget.findData(value), 0))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value) if isinstance(value, int | float) else 0)
                widget.setProperty("dirty", False)
            elif isinstance(widget, QDoubleSpinBox):
                widget.setValue(float(value) if isinstance(value, int | float) else 0.0)
                widget.setProperty("dirty", False)
            elif isinstance(widget, QLineEdit):
                widget.setText("" if value is None else str(value))
                widget.setModified(False)
            widget.blockSignals(False)

    def _input(self, spec: AttributeSpec) -> QWidget:
        name = spec.name
        if spec.type == "enum":
            combo = QComboBox()
            combo.addItem("—", None)
            for option in spec.values:
                combo.addItem(option, option)
            combo.activated.connect(lambda _: self._commit(name, combo.currentData()))
            return combo
        if spec.type == "bool":
            box = QCheckBox()
            box.toggled.connect(lambda checked: self._commit(name, checked))
            return box
        if spec.type in ("int", "float"):
            spin: QSpinBox | QDoubleSpinBox
            if spec.type == "int":
                spin = QSpinBox()
                spin.setRange(-2**31, 2**31 - 1)
            else:
                spin = QDoubleSpinBox()
                spin.setRange(-1e12, 1e12)
                spin.setDecimals(3)
            # Only a value the user changed is stored: focusing and leaving an
            # unset field must not write a 0.
            spin.valueChanged.connect(lambda _: spin.setProperty("dirty", True))

            def finished() -> None:
                if spin.property("dirty"):
                    spin.setProperty("dirty", False)
                    self._commit(name, spin.value())

            spin.editingFinished.connect(finished)
            return spin
        line = QLineEdit()

        def edited() -> None:
            if line.isModified():
                line.setModified(False)
                self._commit(name, line.text())

        line.editingFinished.connect(edited)
        return line


class _Thumbnailer(QObject):
    ready = Signal(int)


#: How the item list shows an item's mark (the accessible description says it in words).
_MARK_GLYPHS = {"done": "  ✓", "verified_empty": "  ∅"}


class ItemListModel(QAbstractListModel):
    """Items of the chosen batch/state, read from the store a page at a time.

    Only the rows the view shows are fetched, and thumbnails are made on a
    worker thread when a row first becomes visible, so 100,000 items cost a
    COUNT and a page, not 100,000 rows.
    """

    PAGE = 200

    def __init__(self, store: SqlStore, folder_resolver: Any, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.store = store
        self.resolve = folder_resolver
        #: Whether an item's file is on this machine; in team mode a thumbnail waits
        #: for the file to be fetched (opened or prefetched), so scrolling a long
        #: list never downloads it.
        self.media_ready: Callable[[Item], bool] = lambda item: True
        self.batch_id: int | None = None
        self.batch_state: str | None = None
        self._count = store.count_items()
        self._pages: OrderedDict[int, list[Item]] = OrderedDict()
        self._counts: dict[int, int] = {}
        self._marks: dict[int, str] = {}
        self._thumbs: OrderedDict[int, QIcon] = OrderedDict()
        self._wanted: set[int] = set()
        self._lock = threading.Lock()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._emitter = _Thumbnailer()
        self._emitter.ready.connect(self._on_thumbnail_ready)
        self._made: dict[int, QImage] = {}

    def set_filter(self, batch_id: int | None, batch_state: str | None) -> None:
        self.beginResetModel()
        self.batch_id, self.batch_state = batch_id, batch_state
        self._count = self.store.count_items(batch_id, batch_state)
        self._pages.clear()
        self._counts.clear()
        self._marks.clear()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else self._count

    def item_at(self, row: int) -> Item | None:
        if not 0 <= row < self._count:
            return None
        page = row // self.PAGE
        if page not in self._pages:
            items = self.store.list_items(page * self.PAGE, self.PAGE, self.batch_id,
                                          self.batch_state)
            self._pages[page] = items
            ids = [int(i.id or 0) for i in items]
            self._counts.update(self.store.annotation_counts(ids))
            self._marks.update(self.store.item_marks(ids))
            while len(self._pages) > 20:
                self._pages.popitem(last=False)
        items = self._pages[page]
        offset = row - page * self.PAGE
        return items[offset] if offset < len(items) else None

    def row_of(self, item_id: int) -> int:
        return self.store.item_position(item_id, self.batch_id, self.batch_state)

    def refresh_counts(self, item_id: int) -> None:
        self._counts[item_id] = self.store.annotation_counts([item_id]).get(item_id, 0)
        mark = self.store.item_marks([item_id]).get(item_id)
        if mark is None:
            self._marks.pop(item_id, None)
        else:
            self._marks[item_id] = mark
        row = self.row_of(item_id)
        self.dataChanged.emit(self.index(row), self.index(row))

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        item = self.item_at(index.row())
        if item is None:
            return None
        item_id = int(item.id or 0)
        if role == Qt.ItemDataRole.DisplayRole:
            count = self._counts.get(item_id, 0)
            name = item.path.rsplit("/", 1)[-1]
            mark = _MARK_GLYPHS.get(self._marks.get(item_id, ""), "")
            return f"{index.row() + 1}. {name}  ({count}){mark}"
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return {"done": self.tr("done"), "verified_empty": self.tr("verified empty")}.get(
                self._marks.get(item_id, ""), "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.path
        if role == Qt.ItemDataRole.UserRole:
            return item_id
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(item)
        return None

    def _thumbnail(self, item: Item) -> QIcon | None:
        item_id = int(item.id or 0)
        icon = self._thumbs.get(item_id)
        if icon is not None:
            return icon
        with self._lock:
            made = self._made.pop(item_id, None)
        if made is not None:
            icon = QIcon(QPixmap.fromImage(made))
            self._thumbs[item_id] = icon
            while len(self._thumbs) > 500:
                self._thumbs.popitem(last=False)
            return icon
        if item.kind == "image" and item_id not in self._wanted and self.media_ready(item):
            self._wanted.add(item_id)
            # resolved on the worker: in team mode that may fetch the file
            self._pool.start(_ThumbJob(self, item_id, partial(self.resolve, item)))
        return None

    def close(self) -> None:
        """Drop queued thumbnails and wait for the one being made."""
        self._pool.clear()
        self._pool.waitForDone()

    def _on_thumbnail_ready(self, item_id: int) -> None:
        self._wanted.discard(item_id)
        row = self.row_of(item_id)
        self.dataChanged.emit(self.index(row), self.index(row),
                              [Qt.ItemDataRole.DecorationRole])


class _ThumbJob(QRunnable):
    def __init__(self, model: ItemListModel, item_id: int, path: Callable[[], Path]) -> None:
        super().__init__()
        self.model, self.item_id, self.path = model, item_id, path

    def run(self) -> None:
        try:
            with Image.open(self.path()) as opened:
                opened.draft("RGB", (128, 128))  # JPEG: decode at reduced size
                image = ImageOps.exif_transpose(opened).convert("RGB")
                image.thumbnail((48, 48))
                data = image.tobytes()
                thumb = QImage(data, image.width, image.height, image.width * 3,
                               QImage.Format.Format_RGB888).copy()
        except (OSError, ValueError, Image.DecompressionBombError, AnnotatorError):
            return  # no thumbnail; the item still opens (and reports its problem)
        with self.model._lock:
            self.model._made[self.item_id] = thumb
        self.model._emitter.ready.emit(self.item_id)


_MINE_ORDER = {BatchState.REJECTED: 0, BatchState.IN_PROGRESS: 1, BatchState.OPEN: 2}


def batch_queue(batches: list[Batch], user: User | None) -> list[tuple[Batch, str]]:
    """The batches a user works from, first what needs them, each with its group.

    An annotator sees only the batches assigned to them: rejected ones first
    (the reviewer's comments wait there), then in progress, open, and last
    the ones out of their hands.  A reviewer sees the submitted batches they
    review ("review") first, then the rest.  A lead sees every batch in order.
    """
    if user is None or user.role is Role.LEAD:
        return [(b, "") for b in batches]
    if user.role is Role.ANNOTATOR:
        mine = [b for b in batches if b.assignee == user.name]
        mine.sort(key=lambda b: (_MINE_ORDER.get(b.state, 3), b.id or 0))
        return [(b, "mine" if b.state in _MINE_ORDER else "") for b in mine]
    to_review = [b for b in batches if b.state is BatchState.SUBMITTED
                 and b.reviewer in (None, user.name)]
    return [(b, "review") for b in to_review] + [(b, "") for b in batches
                                                   if b not in to_review]


class ItemPanel(QWidget):
    """Filter by batch and state, and the lazily filled item list."""

    itemActivated = Signal(int)

    def __init__(self, store: SqlStore, resolver: Any, user: User | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.user = user
        self.batch_combo = QComboBox()
        self.batch_combo.setObjectName("batchQueue")
        self.batch_combo.setAccessibleName(self.tr("Batch filter"))
        self.state_combo = QComboBox()
        self.state_combo.setAccessibleName(self.tr("Batch state filter"))
        self.state_combo.addItem(self.tr("All states"), None)
        names = {
            BatchState.OPEN: self.tr("Open"), BatchState.IN_PROGRESS: self.tr("In progress"),
            BatchState.SUBMITTED: self.tr("Submitted"), BatchState.ACCEPTED: self.tr("Accepted"),
            BatchState.REJECTED: self.tr("Rejected"),
        }
        for state, text in names.items():
            self.state_combo.addItem(text, state.value)
        self.model = ItemListModel(store, resolver, self)
        self.view = QListView(self)
        self.view.setObjectName("itemList")
        self.view.setAccessibleName(self.tr("Items"))
        self.view.setModel(self.model)
        self.view.setUniformItemSizes(True)
        self.view.setIconSize(QSize(48, 48))
        filters = QHBoxLayout()
        filters.addWidget(self.batch_combo, 2)
        filters.addWidget(self.state_combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.view)
        self.reload_batches()
        self.batch_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.state_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.view.clicked.connect(self._on_view_clicked)
        self.view.activated.connect(self._on_view_clicked)

    def reload_batches(self) -> None:
        """The batches in the order the user's role wants them (see :func:`batch_queue`)."""
        current = self.batch_combo.currentData()
        self.batch_combo.blockSignals(True)
        self.batch_combo.clear()
        self.batch_combo.addItem(self.tr("All items"), None)
        headings = {"mine": self.tr("My batch"), "review": self.tr("To review"), "": ""}
        for batch, group in batch_queue(self.store.list_batches(), self.user):
            prefix = f"{headings[group]}: " if headings[group] else ""
            self.batch_combo.addItem(f"{prefix}{batch.name} ({batch.state.value})", batch.id)
        self.batch_combo.setCurrentIndex(max(self.batch_combo.findData(current), 0))
        self.batch_combo.blockSignals(False)

    def set_batch(self, batch_id: int | None) -> None:
        self.batch_combo.setCurrentIndex(max(self.batch_combo.findData(batch_id), 0))

    def _on_filter_changed(self) -> None:
        self.model.set_filter(self.batch_combo.currentData(), self.state_combo.currentData())

    def _on_view_clicked(self, index: QModelIndex) -> None:
        item_id = self.model.data(index, Qt.ItemDataRole.UserRole)
        if item_id is not None:
            self.itemActivated.emit(int(item_id))

    def show_item(self, item_id: int) -> None:
        row = self.model.row_of(item_id)
        index = self.model.index(row)
        if self.model.data(index, Qt.ItemDataRole.UserRole) == item_id:
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)
