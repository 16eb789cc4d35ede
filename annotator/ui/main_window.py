"""The annotator's main window: canvas in the middle, panels around, keys for everything."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import PurePosixPath

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QByteArray,
    QEvent,
    QObject,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QFont,
    QKeyEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QGraphicsSimpleTextItem,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QWidget,
)

from annotator.commands import set_geometry
from annotator.errors import AnnotatorError
from annotator.model import Batch, Item, Role, User
from annotator.project import Project
from annotator.ui.adapter import ProjectAdapter
from annotator.ui.assists import AssistController
from annotator.ui.bev_layer import BevLayer
from annotator.ui.canvas import CanvasView, Style
from annotator.ui.cloud_frame import ROTATE_STEP, CloudFrame
from annotator.ui.cloud_workspace import CloudLoader, CloudPanel, LoadedCloud
from annotator.ui.dashboard import Dashboard
from annotator.ui.editor import Editor
from annotator.ui.history import HistoryDialog
from annotator.ui.map_editing import HEIGHT_STEP
from annotator.ui.media_fetch import MediaFetcher
from annotator.ui.panels import (
    AnnotationPanel,
    AttributeEditor,
    ItemPanel,
    LabelPanel,
    batch_queue,
)
from annotator.ui.problems import ProblemPanel
from annotator.ui.review import ReviewPanel
from annotator.ui.team_status import TeamStatus
from annotator.ui.tiles import TileLoader
from annotator.workflow import can_edit, check_edit, transition

__all__ = ["MainWindow"]

TOOL_KEYS = {
    "select": ("S", QT_TRANSLATE_NOOP("MainWindow", "Select and edit")),
    "box": ("B", QT_TRANSLATE_NOOP("MainWindow", "Box")),
    "rotated_box": ("R", QT_TRANSLATE_NOOP("MainWindow", "Rotated box")),
    "polygon": ("P", QT_TRANSLATE_NOOP("MainWindow", "Polygon")),
    "polyline": ("L", QT_TRANSLATE_NOOP("MainWindow", "Polyline")),
    "point": ("T", QT_TRANSLATE_NOOP("MainWindow", "Point")),
    "cuboid": ("U", QT_TRANSLATE_NOOP("MainWindow", "Cuboid (point clouds)")),
    "lanelet": ("K", QT_TRANSLATE_NOOP("MainWindow", "Lanelet (point clouds)")),
}
UI_SCALES = (100, 125, 150, 200)


class MainWindow(QMainWindow):
    """One project, one user; every edit goes through the adapter's command stack."""

    languageRequested = Signal(str)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.project = project
        self.settings = QSettings("Annotator", "Annotator")
        self.adapter = ProjectAdapter(project, self)
        # First: in team mode it gives the project its offline-capable store,
        # which every panel built below then reads through.
        self.team = TeamStatus(self)
        self.loader = TileLoader(parent=self)
        self.canvas = CanvasView(self)
        self.cloud_loader = CloudLoader(self)
        self.media = MediaFetcher(project, self)
        self._downloading: int | None = None
        self._fetched: int | None = None
        self.cloud_panel = CloudPanel()
        self.cloud_panel.hide()
        self.bev: BevLayer | None = None
        central = QSplitter(Qt.Orientation.Horizontal)
        central.setObjectName("centralSplitter")
        central.addWidget(self.canvas)
        central.addWidget(self.cloud_panel)
        central.setStretchFactor(0, 3)
        central.setStretchFactor(1, 2)
        self.central = central
        self._split_set = False
        self.setCentralWidget(central)
        self.editor = Editor(self.adapter, self.canvas, self.loader)
        self.item: Item | None = None
        self._shown = False
        self._message = QGraphicsSimpleTextItem()
        self._message.setBrush(Qt.GlobalColor.white)
        self._message.setZValue(3_000_000)
        self._build_panels()
        self._build_status()
        self._build_actions()
        self.assists = AssistController(self)
        self._connect()
        self._apply_style_settings()
        self.setWindowTitle(self.tr("Annotator — %s (%s)") % (
            project.schema.name, project.user.name))
        self._restore()

    # -- construction ------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea
              ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setAccessibleName(title)
        self.addDockWidget(area, dock)
        return dock

    def _build_panels(self) -> None:
        self.labels = LabelPanel(self.editor)
        self.shapes = AnnotationPanel(self.editor)
        self.attributes = AttributeEditor(self.editor)
        self.items = ItemPanel(self.project.store, self.project.resolve, self.project.user)
        self.items.model.media_ready = self.project.media_ready
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self._dock(self.tr("Classes"), "dockClasses", self.labels, right)
        self._dock(self.tr("Shapes"), "dockShapes", self.shapes, right)
        self._dock(self.tr("Attributes"), "dockAttributes", self.attributes, right)
        self._dock(self.tr("Items"), "dockItems", self.items, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.problems = ProblemPanel(self.editor)
        self.problems_dock = self._dock(self.tr("Problems"), "dockProblems", self.problems,
                                        Qt.DockWidgetArea.LeftDockWidgetArea)
        self.review = ReviewPanel(self.editor)
        self.review_dock = self._dock(self.tr("Review comments"), "dockReview", self.review,
                                      Qt.DockWidgetArea.LeftDockWidgetArea)

    def _build_status(self) -> None:
        bar = self.statusBar()
        self.zoom_label = QLabel()
        self.cursor_label = QLabel()
        self.position_label = QLabel()
        self.batch_label = QLabel()
        for label, name in ((self.zoom_label, self.tr("Zoom")),
                            (self.cursor_label, self.tr("Cursor position")),
                            (self.position_label, self.tr("Item position")),
                            (self.batch_label, self.tr("Batch state"))):
            label.setAccessibleName(name)
            bar.addPermanentWidget(label)

    def _action(self, name: str, text: str, slot: Callable[[], object],
                keys: tuple[str | QKeySequence.StandardKey, ...] = (), menu: object = None
                ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setToolTip(f"{text} ({QKeySequence(keys[0]).toString()})")
        action.triggered.connect(lambda *_: slot())
        self.addAction(action)
        if menu is not None:
            menu.addAction(action)  # type: ignore[attr-defined]
        return action

    def _build_actions(self) -> None:
        ed = self.editor
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self._action("action_quit", self.tr("Quit"), self.close, ("Ctrl+Q",), file_menu)

        edit = self.menuBar().addMenu(self.tr("&Edit"))
        self.undo_action = self._action("action_undo", self.tr("Undo"), self.adapter.undo,
                                        ("Ctrl+Z",), edit)
        self.redo_action = self._action("action_redo", self.tr("Redo"), self.adapter.redo,
                                        ("Ctrl+Shift+Z", "Ctrl+Y"), edit)
        edit.addSeparator()
        self._action("action_delete", self.tr("Delete"), ed.delete, ("Delete", "Backspace"), edit)
        self._action("action_copy", self.tr("Copy"), ed.copy, ("Ctrl+C",), edit)
        self._action("action_paste", self.tr("Paste"), ed.paste, ("Ctrl+V",), edit)
        self._action("action_duplicate", self.tr("Duplicate"), ed.duplicate, ("Ctrl+D",), edit)
        self._action("action_copy_previous", self.tr("Copy shapes from previous item"),
                     self._copy_from_previous, ("Shift+V",), edit)
        self._action("action_select_all", self.tr("Select all"),
                     lambda: ed.select(list(ed.scene.shapes)), ("Ctrl+A",), edit)
        edit.addSeparator()
        self._action("action_hide", self.tr("Hide or show selected"), ed.toggle_hidden,
                     ("H",), edit)
        self._action("action_show_all", self.tr("Show all shapes"), ed.show_all,
                     ("Shift+H",), edit)
        self._action("action_lock", self.tr("Lock or unlock selected"), ed.toggle_locked,
                     ("Ctrl+L",), edit)
        self._action("action_lock_class", self.tr("Lock or unlock current class"),
                     self.labels.toggle_lock_current, ("Ctrl+Shift+L",), edit)
        self._action("action_front", self.tr("Bring to front"), lambda: ed.restack(True),
                     ("PgUp",), edit)
        self._action("action_back", self.tr("Send to back"), lambda: ed.restack(False),
                     ("PgDown",), edit)
        self._action("action_rotate_ccw", self.tr("Turn counter-clockwise 1°"),
                     partial(ed.rotate, ROTATE_STEP), (",",), edit)
        self._action("action_rotate_cw", self.tr("Turn clockwise 1°"),
                     partial(ed.rotate, -ROTATE_STEP), (".",), edit)
        self._action("action_rotate_ccw_far", self.tr("Turn counter-clockwise 10°"),
                     partial(ed.rotate, 10 * ROTATE_STEP), ("Ctrl+,",), edit)
        self._action("action_rotate_cw_far", self.tr("Turn clockwise 10°"),
                     partial(ed.rotate, -10 * ROTATE_STEP), ("Ctrl+.",), edit)
        for key, (dx, dy) in {"Left": (-1, 0), "Right": (1, 0), "Up": (0, -1),
                              "Down": (0, 1)}.items():
            self._action(f"action_nudge_{key.lower()}", self.tr("Nudge"),
                         partial(ed.nudge, dx, dy), (key,))
            self._action(f"action_nudge_{key.lower()}_far", self.tr("Nudge 10 pixels"),
                         partial(ed.nudge, dx * 10, dy * 10), (f"Shift+{key}",))

        heights = edit.addMenu(self.tr("Map features"))
        heights.setObjectName("menuMap")
        for suffix, title, step, shortcut in (
                ("up", self.tr("Raise 1 cm"), HEIGHT_STEP, "Ctrl+Up"),
                ("down", self.tr("Lower 1 cm"), -HEIGHT_STEP, "Ctrl+Down"),
                ("up_far", self.tr("Raise 10 cm"), 10 * HEIGHT_STEP, "Ctrl+Shift+Up"),
                ("down_far", self.tr("Lower 10 cm"), -10 * HEIGHT_STEP, "Ctrl+Shift+Down")):
            self._action(f"action_height_{suffix}", title, partial(ed.maps.step_height, step),
                         (shortcut,), heights)
        self.lock_heights_action = self._action(
            "action_lock_heights", self.tr("Keep heights when moving vertices"),
            lambda: ed.maps.set_heights_locked(self.lock_heights_action.isChecked()), ("G",),
            heights)
        self.lock_heights_action.setCheckable(True)
        self._action("action_link_sign", self.tr("Link sign to stop line / lanelet"),
                     ed.maps.link_selection, ("Ctrl+K",), heights)

        tools_menu = self.menuBar().addMenu(self.tr("&Tools"))
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        toolbar = self.addToolBar(self.tr("Tools"))
        toolbar.setObjectName("toolbarTools")
        for name, (key, text) in TOOL_KEYS.items():
            action = self._action(f"tool_{name}", self.tr(str(text)),
                                  partial(ed.set_tool, name), (key,), tools_menu)
            action.setCheckable(True)
            group.addAction(action)
            toolbar.addAction(action)
            self.tool_actions[name] = action
        self.tool_actions["select"].setChecked(True)
        tools_menu.addSeparator()
        self._action("action_repeat_tool", self.tr("Repeat last tool and class"),
                     ed.repeat_last, ("N",), tools_menu)
        self._action("action_change_class", self.tr("Give selection the current class"),
                     lambda: ed.change_class(ed.current_class), ("C",), tools_menu)
        for index, label_class in enumerate(self.project.schema.classes[:9]):
            self._action(f"action_class_{index + 1}", label_class.name,
                         partial(self._pick_class, label_class.name), (str(index + 1),))

        view = self.menuBar().addMenu(self.tr("&View"))
        self._action("action_fit", self.tr("Fit to window"), self.canvas.fit, ("F",), view)
        self._action("action_actual_size", self.tr("Actual size (1:1)"), self.canvas.actual_size,
                     ("Ctrl+0", "="), view)
        self._action("action_zoom_in", self.tr("Zoom in"), lambda: self.canvas.zoom_by(1.25),
                     ("Ctrl++", "+"), view)
        self._action("action_zoom_out", self.tr("Zoom out"), lambda: self.canvas.zoom_by(0.8),
                     ("Ctrl+-", "-"), view)
        self._action("action_zoom_selection", self.tr("Zoom to selection"),
                     ed.zoom_to_selection, ("Z",), view)
        view.addSeparator()
        scale_menu = view.addMenu(self.tr("Interface size"))
        for percent in UI_SCALES:
            self._action(f"action_ui_scale_{percent}", f"{percent} %",
                         partial(self._set_setting, "ui_scale", percent), (), scale_menu)
        self._action("action_line_width", self.tr("Line width…"),
                     lambda: self._ask_number("line_width", self.tr("Line width (pixels)"),
                                              1, 12), (), view)
        self._action("action_vertex_size", self.tr("Vertex size…"),
                     lambda: self._ask_number("vertex_size", self.tr("Vertex size (pixels)"),
                                              3, 30), (), view)
        language = view.addMenu(self.tr("Language"))
        self._action("action_language_en", "English",
                     lambda: self.languageRequested.emit("en"), (), language)
        self._action("action_language_ja", "日本語",
                     lambda: self.languageRequested.emit("ja"), (), language)

        item_menu = self.menuBar().addMenu(self.tr("&Item"))
        self._action("action_next_item", self.tr("Next item"), lambda: self.step(1),
                     ("D",), item_menu)
        self._action("action_prev_item", self.tr("Previous item"), lambda: self.step(-1),
                     ("A",), item_menu)
        self._action("action_next_todo", self.tr("Next item that needs work"),
                     self.next_needing_work, ("Shift+D",), item_menu)
        item_menu.addSeparator()
        self._action("action_mark_done", self.tr("Mark item done, go to the next not done"),
                     lambda: self.mark_item("done"), ("Ctrl+Shift+D",), item_menu)
        self._action("action_mark_empty",
                     self.tr("Mark item verified empty, go to the next not done"),
                     lambda: self.mark_item("verified_empty"), ("Ctrl+Shift+E",), item_menu)
        self._action("action_mark_clear", self.tr("Clear the item's mark"),
                     lambda: self.mark_item(None), (), item_menu)
        batch_menu = self.menuBar().addMenu(self.tr("&Batch"))
        self.batch_actions = {
            "start": self._action("action_batch_start", self.tr("Start this batch"),
                                  lambda: self._batch("start"), (), batch_menu),
            "submit": self._action("action_batch_submit", self.tr("Submit this batch for review"),
                                   lambda: self._batch("submit"), ("Ctrl+Return",), batch_menu),
            "accept": self._action("action_batch_accept", self.tr("Accept this batch"),
                                   lambda: self._batch("accept"), (), batch_menu),
            "reject": self._action("action_batch_reject",
                                   self.tr("Reject this batch (with a summary)…"),
                                   lambda: self._batch("reject"), (), batch_menu),
            "reopen": self._action("action_batch_reopen", self.tr("Reopen this batch…"),
                                   lambda: self._batch("reopen"), (), batch_menu),
        }
        batch_menu.addSeparator()
        self._action("action_next_problem", self.tr("Next problem"),
                     lambda: self.step_problem(1), ("F8",), batch_menu)
        self._action("action_prev_problem", self.tr("Previous problem"),
                     lambda: self.step_problem(-1), ("Shift+F8",), batch_menu)
        batch_menu.addSeparator()
        self._action("action_pin_comment", self.tr("Pin a review comment"),
                     self.review.start_pin, ("Ctrl+Shift+M",), batch_menu)
        self._action("action_batch_history", self.tr("History of this batch…"),
                     self.show_history, ("Ctrl+H",), batch_menu)
        dashboard = self._action("action_dashboard", self.tr("Lead dashboard…"),
                                 self.show_dashboard, ("Ctrl+Shift+B",), batch_menu)
        dashboard.setEnabled(self.project.user.role is Role.LEAD)
        self.correct_action = self._action(
            "action_correct_mode", self.tr("Correct mode (reviewers: edit the batch under "
                                           "review)"),
            lambda: self.set_correcting(self.correct_action.isChecked()), ("Ctrl+Shift+K",),
            batch_menu)
        self.correct_action.setCheckable(True)
        self.correct_action.setEnabled(self.project.user.role is Role.REVIEWER)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Let text and number inputs keep the plain keys that are canvas shortcuts.

        Letters, digits, arrows and Delete are one-key shortcuts on the
        canvas; typed into an attribute field they belong to the field.
        """
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and self.cloud_loader.busy()):
            self.cloud_loader.cancel()
            self.statusBar().showMessage(self.tr("Reading the point cloud was cancelled"), 6000)
            return True
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            focus = QApplication.focusWidget()
            plain = not event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                             | Qt.KeyboardModifier.AltModifier
                                             | Qt.KeyboardModifier.MetaModifier)
            if plain and isinstance(focus, QLineEdit | QAbstractSpinBox | QComboBox):
                event.accept()
                return True
        return super().eventFilter(watched, event)

    def _connect(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.adapter.stackChanged.connect(self._update_undo_actions)
        self.adapter.refused.connect(self._on_adapter_refused)
        self.adapter.annotationsChanged.connect(self.items.model.refresh_counts)
        self.adapter.batchesChanged.connect(self._on_adapter_batches_changed)
        self.editor.statusMessage.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.editor.imageFailed.connect(self._on_editor_image_failed)
        self.editor.toolChanged.connect(
            lambda n: self.tool_actions[n].setChecked(True) if n in self.tool_actions else None)
        self.editor.selectionChanged.connect(lambda _: self._save_place())
        self.canvas.zoomChanged.connect(
            lambda s: self.zoom_label.setText(self.tr("Zoom %d %%") % round(s * 100)))
        self.canvas.cursorMoved.connect(
            lambda p: self.cursor_label.setText(f"x {p.x():.1f}  y {p.y():.1f}"))
        self.loader.tileReady.connect(lambda _: self.canvas.viewport().update())
        self.items.itemActivated.connect(self.open_item)
        self.problems.problemActivated.connect(self.show_problem)
        self.editor.cloudWanted.connect(self._load_cloud)
        self.cloud_loader.progress.connect(self._on_cloud_progress)
        self.cloud_loader.loaded.connect(self._on_cloud_loaded)
        self.cloud_loader.failed.connect(self._on_cloud_failed)
        self.editor.selectionChanged.connect(lambda _: self._update_cloud_panel())
        self.adapter.annotationsChanged.connect(lambda _: self._update_cloud_panel())
        self.cloud_panel.view3d.cuboidClicked.connect(lambda i: self.editor.select([i]))
        self.cloud_panel.cuboids.edited.connect(self._on_cuboid_edited)
        self.cloud_panel.profile.heightEdited.connect(self.editor.maps.set_height)
        self.cloud_panel.colourModeChanged.connect(self._on_colour_mode)
        self.review.commentActivated.connect(self.show_comment)
        self.media.fetched.connect(self._on_media_fetched)
        self.media.failed.connect(self._on_media_failed)
        self.adapter.annotationsChanged.connect(self._record_activity)
        self._update_undo_actions()

    # -- items -------------------------------------------------------------------------

    def open_item(self, item_id: int) -> None:
        try:
            item = self.project.store.get_item(item_id)
        except AnnotatorError as exc:
            self._on_adapter_refused(str(exc))
            return
        if not self.project.media_ready(item) and item_id != self._fetched:
            # Team mode: the file is not in the local cache yet; the GUI never waits on it.
            self._downloading = item_id
            self.statusBar().showMessage(self.tr("Downloading %s…") % PurePosixPath(item.path).name)
            self.media.fetch(item)
            return
        self._downloading = self._fetched = None
        self.item = item
        if item.kind != "pointcloud":
            self.cloud_loader.cancel()
            self.cloud_panel.hide()
            self.cloud_panel.set_cloud(None)
            self.bev = None
        if self._message.scene() is not None:
            self._message.scene().removeItem(self._message)
        self.team.item_opened(item_id)
        self.editor.open_item(item)
        self.items.show_item(item_id)
        self._record_activity(item_id)
        self._update_status()
        self._save_place()
        self._prefetch_neighbours()

    def _on_media_fetched(self, item_id: int) -> None:
        if item_id == self._downloading:
            self.statusBar().clearMessage()
            self._fetched = item_id
            self.open_item(item_id)

    def _on_media_failed(self, item_id: int, message: str) -> None:
        if item_id == self._downloading:
            self._downloading = None
            self._on_adapter_refused(message)

    def mark_item(self, status: str | None) -> None:
        """Mark the open item (done / verified empty / cleared); a mark moves on to the next
        item of the batch not marked yet."""
        if self.item is None:
            return
        item_id = int(self.item.id or 0)
        batch = self.project.store.batch_for_item(item_id)
        try:
            self.project.mark_item(item_id, status)
        except AnnotatorError as exc:
            self._on_adapter_refused(str(exc))
            return
        self.items.model.refresh_counts(item_id)
        if status is None or batch is None:
            self._update_status()
            return
        following = self.project.next_not_done(int(batch.id or 0), item_id)
        if following is None:
            self.statusBar().showMessage(self.tr("Every item of batch %s is marked: submit it "
                                                 "with Ctrl+Return") % batch.name, 8000)
            self._update_status()
        else:
            self.open_item(following)

    def set_correcting(self, on: bool) -> None:
        """Correct mode: the reviewer's edits of a submitted batch are allowed and theirs."""
        self.project.correcting = on
        self.correct_action.setChecked(on)
        self._update_edit_tools()
        self.statusBar().showMessage(
            self.tr("Correct mode: your edits to this batch are recorded as yours") if on
            else self.tr("Review is read-only again"), 8000)

    def show_dashboard(self) -> None:
        """Progress, people, quality, batches and export: the lead's view of the project."""
        if self.project.user.role is not Role.LEAD:
            self._on_adapter_refused(self.tr("The dashboard is a lead's"))
            return
        dialog = Dashboard(self.project, self)
        dialog.finished.connect(lambda _: self._on_adapter_batches_changed())
        dialog.open()

    def show_history(self) -> None:
        batch = (self.project.store.batch_for_item(int(self.item.id or 0))
                 if self.item is not None else None)
        if batch is None:
            self._on_adapter_refused(self.tr("This item is in no batch"))
            return
        HistoryDialog(self.project, int(batch.id or 0), self).open()

    def show_comment(self, item_id: int, comment_id: int) -> None:
        if self.item is None or self.item.id != item_id:
            self.open_item(item_id)
        self.review.go_to(comment_id)

    def _record_activity(self, item_id: int | None = None) -> None:
        """Active time: every edit and every item opened is an event of this user."""
        target = item_id if item_id is not None else (
            int(self.item.id or 0) if self.item is not None else None)
        if target is None:
            return
        try:
            self.project.record_activity(target)
        except AnnotatorError as exc:
            self._on_adapter_refused(str(exc))

    def step(self, delta: int) -> None:
        model = self.items.model
        if self.item is None:
            target = model.item_at(0)
        else:
            target = model.item_at(model.row_of(int(self.item.id or 0)) + delta)
        if target is None:
            self.statusBar().showMessage(self.tr("No more items in this list"), 4000)
            return
        self.open_item(int(target.id or 0))

    def next_needing_work(self) -> None:
        model = self.items.model
        after = int(self.item.id or 0) if self.item else 0
        found = self.project.store.next_unannotated(after, model.batch_id, model.batch_state)
        if found is None:
            self.statusBar().showMessage(self.tr("Every item in this list has shapes"), 4000)
        else:
            self.open_item(found)

    def _prefetch_neighbours(self) -> None:
        model = self.items.model
        if self.item is None:
            return
        row = model.row_of(int(self.item.id or 0))
        size = (self.canvas.viewport().width(), self.canvas.viewport().height())
        for neighbour in (model.item_at(row + 1), model.item_at(row - 1)):
            if neighbour is not None and neighbour.kind == "image" and \
                    self.project.media_ready(neighbour):
                self.loader.prefetch(str(self.project.resolve(neighbour)), size)
        # Team mode: the next files of the batch come into the cache meanwhile.
        following = (model.item_at(row + step) for step in range(1, 6))
        self.project.prefetch([item for item in following if item is not None])

    # -- point-cloud tiles -------------------------------------------------------------------

    def _load_cloud(self, item: Item) -> None:
        self.cloud_panel.show()
        if not self._split_set:
            # The first tile: the bird's-eye view gets three fifths (the user's split stays).
            self._split_set = True
            width = max(self.central.width(), 500)
            self.central.setSizes([width * 3 // 5, width - width * 3 // 5])
        self.cloud_panel.set_cloud(None)
        self.bev = None
        self.statusBar().showMessage(self.tr("Reading %s … (Esc cancels)") % item.path)
        self.cloud_loader.request(self.project.resolve(item))

    def _on_cloud_progress(self, path: str, done: int, total: int) -> None:
        if total > 0:
            self.statusBar().showMessage(self.tr("Reading %s: %d %% (Esc cancels)") % (
                path.rsplit("/", 1)[-1], round(100 * done / total)))

    def _on_cloud_loaded(self, loaded: LoadedCloud) -> None:
        item = self.item
        if item is None or item.kind != "pointcloud" or \
                str(self.project.media_path(item)) != loaded.path:
            return
        cloud = loaded.cloud
        frame = CloudFrame(float(cloud.origin[0]), float(cloud.origin[1]))
        self.bev = BevLayer(loaded.bev, frame)
        self.bev.set_mode(str(self.cloud_panel.mode.currentData()))
        self.editor.show_cloud(cloud, frame, self.bev, self.bev.boundingRect())
        self.problems.refresh_marks()
        self.cloud_panel.set_cloud(cloud)
        self._update_cloud_panel()
        self.statusBar().showMessage(self.tr("%s: %d points") % (item.path, len(cloud)), 6000)

    def _on_cloud_failed(self, path: str, message: str) -> None:
        if self.item is not None and str(self.project.media_path(self.item)) == path:
            self._on_editor_image_failed(message)

    def _update_cloud_panel(self) -> None:
        if self.item is None or self.item.kind != "pointcloud" or self.editor.frame is None:
            return
        self.cloud_panel.show_annotations(self.editor.annotations(), self.editor.selection,
                                          self.editor.color_of)

    def _on_cuboid_edited(self, annotation_id: int, cuboid: object, gesture: str) -> None:
        stored = next((a for a in self.editor.annotations() if a.id == annotation_id), None)
        if stored is not None and cuboid is not None:
            self.editor.push(set_geometry(stored, cuboid, merge_key=gesture,  # type: ignore[arg-type]
                                          label="Fit cuboid"))

    def _on_colour_mode(self, mode: str) -> None:
        if self.bev is not None:
            self.bev.set_mode(mode)

    def _copy_from_previous(self) -> None:
        if self.item is None:
            return
        model = self.items.model
        self.editor.copy_from_previous(model.item_at(model.row_of(int(self.item.id or 0)) - 1))

    def _pick_class(self, name: str) -> None:
        self.editor.set_class(name)
        if self.editor.selection:
            self.editor.change_class(name)

    def show_problem(self, item_id: int, annotation_id: int) -> None:
        if self.item is None or self.item.id != item_id:
            self.open_item(item_id)
        found = [f for f in self.problems.findings.get(item_id, [])
                 if (f.annotation_id or 0) == annotation_id]
        if found:
            self.problems.go_to(found[0])

    def step_problem(self, delta: int) -> None:
        """Go to the next (or previous) finding of the batch, across items."""
        ordered = [f for item_id in sorted(self.problems.findings)
                   for f in self.problems.findings[item_id]]
        if not ordered:
            self.statusBar().showMessage(self.tr("No problems"), 4000)
            return
        current = (int(self.item.id or 0) if self.item else 0,
                   self.editor.selection[0] if self.editor.selection else 0)
        keys = [(f.item_id, f.annotation_id or 0) for f in ordered]
        if delta > 0:
            index = next((i for i, k in enumerate(keys) if k > current), 0)
        else:
            index = next((i for i in reversed(range(len(keys))) if keys[i] < current),
                         len(keys) - 1)
        self.show_problem(*keys[index])

    def _batch(self, action: str) -> None:
        if self.item is None:
            return
        batch = self.project.store.batch_for_item(int(self.item.id or 0))
        if batch is None:
            self._on_adapter_refused(self.tr("This item is in no batch"))
            return
        acknowledge = False
        comment = ""
        if action in ("reject", "reopen"):
            title = (self.tr("Reject batch %s") if action == "reject"
                     else self.tr("Reopen batch %s")) % batch.name
            comment, ok = QInputDialog.getMultiLineText(
                self, title, self.tr("What should the annotator know? (kept in the history)"))
            if not ok:
                return
            if not comment.strip() and action == "reject":
                self._on_adapter_refused(self.tr("A rejection needs a summary for the "
                                                 "annotator"))
                return
        if action == "accept":
            answer = QMessageBox.question(self, self.tr("Accept batch?"), self.tr(
                "Accept batch %s? Its work then counts as delivered.") % batch.name)
            if answer != QMessageBox.StandardButton.Yes:
                return
        if action == "submit":
            try:
                findings = self.project.validate(batch.id)
            except AnnotatorError as exc:
                self._on_adapter_refused(str(exc))
                return
            errors = sum(f.severity == "error" for f in findings)
            warnings = len(findings) - errors
            if errors:
                self.problems_dock.show()
                self.problems_dock.raise_()
                self._on_adapter_refused(self.tr(
                    "Batch %s has %d error(s); fix them before submitting (F8 goes to the "
                    "next one)") % (batch.name, errors))
                return
            if warnings:
                answer = QMessageBox.question(
                    self, self.tr("Submit with warnings?"),
                    self.tr("Batch %s: validation reports %d warning(s). Submit anyway?")
                    % (batch.name, warnings))
                if answer != QMessageBox.StandardButton.Yes:
                    self.problems_dock.show()
                    return
                acknowledge = True
        done = self.adapter.batch_action(int(batch.id or 0), action, comment.strip(),
                                         acknowledge_warnings=acknowledge)
        if done is not None:
            self.statusBar().showMessage(self.tr("Batch %s is now %s") % (
                done.name, done.state.value), 6000)

    # -- status, messages, settings -------------------------------------------------------

    def _update_batch_actions(self) -> None:
        """Offer the batch moves the workflow rules allow this user now, grey the rest."""
        batch = (self.project.store.batch_for_item(int(self.item.id or 0))
                 if self.item is not None else None)
        user = self.project.store.get_user(self.project.user.name) or self.project.user
        for action, qaction in self.batch_actions.items():
            allowed = False
            if batch is not None:
                try:
                    # A stand-in comment: a reject needs one, which the dialog asks for.
                    transition(batch, action, user, "", "…")
                    allowed = True
                except AnnotatorError:
                    allowed = False
            qaction.setEnabled(allowed)

    def _update_edit_tools(self) -> None:
        """Drawing tools only where this user may edit (the store refuses the rest anyway)."""
        batch = (self.project.store.batch_for_item(int(self.item.id or 0))
                 if self.item is not None else None)
        user = self.project.store.get_user(self.project.user.name) or self.project.user
        editable = self.item is not None and can_edit(batch, user, self.project.correcting)
        for name, action in self.tool_actions.items():
            if name != "select":
                action.setEnabled(editable)
        if not editable and self.editor.tool.name != "select":
            self.editor.set_tool("select")
        self.canvas.setToolTip("" if editable else self.tr(
            "Read-only here: %s") % self._why_read_only(batch, user))

    def _why_read_only(self, batch: Batch | None, user: User) -> str:
        try:
            check_edit(batch, user, self.project.correcting)
        except AnnotatorError as exc:
            return str(exc)
        return ""

    def _update_status(self) -> None:
        self._update_batch_actions()
        self._update_edit_tools()
        if self.item is None:
            return
        model = self.items.model
        row = model.row_of(int(self.item.id or 0))
        self.position_label.setText(self.tr("Item %d / %d") % (row + 1, model.rowCount()))
        batch = self.project.store.batch_for_item(int(self.item.id or 0))
        self.batch_label.setText(self.tr("Batch %s: %s") % (batch.name, batch.state.value)
                                 if batch else self.tr("No batch"))
        item_id = int(self.item.id or 0)
        mark = self.project.store.item_marks([item_id]).get(item_id) if batch else None
        words = {"done": self.tr("done"), "verified_empty": self.tr("verified empty")}
        self.position_label.setText(self.position_label.text() + (
            f" · {words[mark]}" if mark in words else ""))

    def _update_undo_actions(self) -> None:
        undo, redo = self.project.stack.undo_label(), self.project.stack.redo_label()
        self.undo_action.setText(self.tr("Undo %s") % undo if undo else self.tr("Undo"))
        self.redo_action.setText(self.tr("Redo %s") % redo if redo else self.tr("Redo"))
        self.undo_action.setEnabled(undo is not None)
        self.redo_action.setEnabled(redo is not None)

    def _on_adapter_refused(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)

    def _on_adapter_batches_changed(self) -> None:
        self.items.reload_batches()
        self._update_status()

    def _on_editor_image_failed(self, message: str) -> None:
        self._message.setText(self.tr("This image cannot be shown:\n%s\n\n"
                                      "Press D for the next item.") % message)
        self.canvas.canvas_scene.addItem(self._message)
        self._message.setPos(0, 0)
        self.statusBar().showMessage(message, 15_000)

    def _set_setting(self, key: str, value: object) -> None:
        self.settings.setValue(key, value)
        self._apply_style_settings()

    def _ask_number(self, key: str, title: str, low: int, high: int) -> None:
        current = int(float(self.settings.value(key, getattr(Style, key))))  # type: ignore[arg-type]
        value, ok = QInputDialog.getInt(self, title, title, current, low, high)
        if ok:
            self._set_setting(key, value)

    def _apply_style_settings(self) -> None:
        Style.line_width = float(self.settings.value("line_width", 2.0))  # type: ignore[arg-type]
        Style.vertex_size = float(self.settings.value("vertex_size", 7.0))  # type: ignore[arg-type]
        scale = int(self.settings.value("ui_scale", 100))  # type: ignore[call-overload]
        app = QApplication.instance()
        if isinstance(app, QApplication):
            base = app.property("annotator_base_point_size")
            if base is None:
                base = app.font().pointSizeF()
                app.setProperty("annotator_base_point_size", base)
            font = QFont(app.font())
            font.setPointSizeF(float(base) * scale / 100)
            app.setFont(font)
        scene = self.canvas.canvas_scene
        for shape in scene.shapes.values():
            shape.set_view_scale(shape.view_scale)
        scene.layer.prepareGeometryChange()
        scene.layer.update()

    def _place_key(self) -> str:
        return f"projects/{self.project.folder.as_posix().replace('/', '|')}"

    def _save_place(self) -> None:
        if self.item is not None:
            self.settings.setValue(f"{self._place_key()}/item", int(self.item.id or 0))
            self.settings.setValue(f"{self._place_key()}/selection",
                                   ",".join(str(i) for i in self.editor.selection))

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        batch = self._my_batch()
        if batch is not None:
            self.items.set_batch(batch)
        saved = self.settings.value(f"{self._place_key()}/item")
        item_id = int(str(saved)) if saved not in (None, "") else None
        self._open_first(item_id)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            QTimer.singleShot(0, self.editor.reset_view)  # the viewport has its real size now

    def _my_batch(self) -> int | None:
        """The batch the user's queue starts with: their own work, or the next to review."""
        for batch, group in batch_queue(self.project.store.list_batches(), self.project.user):
            if group in ("mine", "review"):
                return batch.id
        return None

    def _open_first(self, item_id: int | None) -> None:
        if item_id is not None:
            try:
                self.project.store.get_item(item_id)
            except AnnotatorError:
                item_id = None
        if item_id is None:
            first = self.items.model.item_at(0)
            item_id = int(first.id or 0) if first else None
        if item_id is None:
            return
        # Read the saved selection first: opening the item saves an empty one.
        saved = str(self.settings.value(f"{self._place_key()}/selection", "") or "")
        wanted = [int(x) for x in saved.split(",") if x.isdigit()]
        self.open_item(item_id)
        self.editor.select(wanted)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self._save_place()
        self.settings.sync()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.assists.shutdown()
        self.loader.close()
        self.cloud_loader.close()
        self.items.model.close()
        self.media.close()
        super().closeEvent(event)
