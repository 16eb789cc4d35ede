"""The lead dashboard: progress, people, quality, batch actions and export.

Every figure comes from :meth:`Project.stats` (the same figures as
``annotator stats --json``); every action goes through the Project API, so the
workflow rules and the store decide, and a refusal is shown as its one line.
Rejected batches are drawn and counted like every other state, never hidden.

The export runs on a worker thread with its own connection to the project,
with a progress bar fed by :func:`annotator.exchange.export`'s ``progress``
callback and a Cancel button: a cancelled export writes into a hidden folder
that is removed, so nothing half-written is left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError, Cancelled
from annotator.exchange import export
from annotator.formats import available
from annotator.formats.deliverable import Delivery
from annotator.model import BatchState, Role
from annotator.project import Project
from annotator.ui.charts import BarChart, StateChart, StateRow

STATE_COLOURS = {
    BatchState.OPEN: QColor(140, 140, 140),
    BatchState.IN_PROGRESS: QColor(52, 120, 200),
    BatchState.SUBMITTED: QColor(230, 150, 30),
    BatchState.ACCEPTED: QColor(50, 160, 80),
    BatchState.REJECTED: QColor(210, 60, 50),
}
DASH = "—"


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _cell(text: str) -> QTableWidgetItem:
    return QTableWidgetItem(text)


def _number(value: float | None, digits: int = 2) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


class _ExportThread(QThread):
    """Runs one export with its own connection to the project."""

    succeeded = Signal(object)
    failed = Signal(str)
    progressed = Signal(int, int)

    def __init__(self, folder: str, user: str, format_id: str, out: Path,
                 accepted_only: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder, self.user, self.format_id = folder, user, format_id
        self.out, self.accepted_only = out, accepted_only
        self.cancelled = False

    def _progress(self, done: int, total: int) -> bool:
        self.progressed.emit(done, total)
        return not self.cancelled

    def run(self) -> None:
        try:
            with Project.open(self.folder, self.user) as project:
                delivery = export(project, self.format_id, self.out,
                                  accepted_only=self.accepted_only, progress=self._progress)
        except Cancelled:
            self.failed.emit(self.tr("cancelled; nothing was written"))
        except AnnotatorError as exc:
            self.failed.emit(str(exc))
        except OSError as exc:
            self.failed.emit(f"{self.out}: {exc.strerror or exc}")
        else:
            self.succeeded.emit(delivery)


class Dashboard(QDialog):
    """The lead's view of the project: ``Dashboard(project, parent).exec()``."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadDashboard")
        self.setWindowTitle(self.tr("Lead dashboard"))
        self.project = project
        self.stats: dict[str, Any] = {}
        self.export_thread: _ExportThread | None = None
        self.last_delivery: Delivery | None = None
        self.error_box: QMessageBox | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self._progress_tab(), self.tr("Progress"))
        self.tabs.addTab(self._people_tab(), self.tr("People"))
        self.tabs.addTab(self._quality_tab(), self.tr("Quality"))
        self.tabs.addTab(self._batches_tab(), self.tr("Batches"))
        self.tabs.addTab(self._export_tab(), self.tr("Export"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.refresh_button = buttons.addButton(self.tr("Refresh"),
                                                QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button.clicked.connect(self.refresh)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.resize(900, 620)
        self.refresh()

    # -- labels ----------------------------------------------------------------------

    def state_label(self, state: str) -> str:
        labels = {
            BatchState.OPEN: self.tr("open"),
            BatchState.IN_PROGRESS: self.tr("in progress"),
            BatchState.SUBMITTED: self.tr("submitted"),
            BatchState.ACCEPTED: self.tr("accepted"),
            BatchState.REJECTED: self.tr("rejected"),
        }
        return labels.get(BatchState(state), state)

    # -- tabs ------------------------------------------------------------------------

    def _progress_tab(self) -> QWidget:
        page = QWidget()
        self.state_chart = StateChart()
        self.summary_label = QLabel()
        self.summary_label.setObjectName("progressSummary")
        self.summary_label.setWordWrap(True)
        self.progress_table = _table([self.tr("Batch"), self.tr("State"), self.tr("Assignee"),
                                      self.tr("Active hours"), self.tr("Items done")])
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(self.tr("Items by batch state (solid: done)")))
        layout.addWidget(self.state_chart)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.progress_table, 1)
        return page

    def _people_tab(self) -> QWidget:
        page = QWidget()
        self.people_table = _table([
            self.tr("Person"), self.tr("Items"), self.tr("Shapes"), self.tr("Active hours"),
            self.tr("Items/h"), self.tr("Shapes/h"), self.tr("First-pass acceptance")])
        self.people_chart = BarChart(QColor(52, 120, 200))
        layout = QVBoxLayout(page)
        layout.addWidget(self.people_table, 1)
        layout.addWidget(QLabel(self.tr("Shapes per active hour")))
        layout.addWidget(_scrolled(self.people_chart), 1)
        return page

    def _quality_tab(self) -> QWidget:
        page = QWidget()
        self.reasons_list = QListWidget()
        self.class_chart = BarChart(QColor(120, 90, 180))
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(self.tr("Rejection reasons")))
        layout.addWidget(self.reasons_list, 1)
        layout.addWidget(QLabel(self.tr("Shapes per class")))
        layout.addWidget(_scrolled(self.class_chart), 1)
        return page

    def _batches_tab(self) -> QWidget:
        page = QWidget()
        create = QGroupBox(self.tr("Create batches from unbatched items"))
        self.unbatched_label = QLabel()
        self.batch_name = QLineEdit("batch")
        self.batch_mode = QComboBox()
        self.batch_mode.addItem(self.tr("By size"), "size")
        self.batch_mode.addItem(self.tr("By folder"), "folder")
        self.batch_mode.addItem(self.tr("Random sample"), "sample")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1_000_000)
        self.batch_size.setValue(50)
        self.sample_size = QSpinBox()
        self.sample_size.setRange(1, 1_000_000)
        self.sample_size.setValue(10)
        self.sample_seed = QSpinBox()
        self.sample_seed.setRange(0, 2_000_000_000)
        self.create_button = QPushButton(self.tr("Create"))
        self.create_button.clicked.connect(self.create_batches)
        self.batch_mode.currentIndexChanged.connect(self._mode_changed)
        form = QFormLayout(create)
        form.addRow(self.unbatched_label)
        form.addRow(self.tr("Name"), self.batch_name)
        form.addRow(self.tr("Cut"), self.batch_mode)
        form.addRow(self.tr("Items per batch"), self.batch_size)
        form.addRow(self.tr("Sample size"), self.sample_size)
        form.addRow(self.tr("Seed"), self.sample_seed)
        form.addRow(self.create_button)

        self.batch_table = _table([self.tr("Batch"), self.tr("State"), self.tr("Assignee"),
                                   self.tr("Reviewer"), self.tr("Items")])
        self.batch_table.itemSelectionChanged.connect(self._batch_selected)
        act = QGroupBox(self.tr("Selected batch"))
        self.assignee_combo = QComboBox()
        self.assignee_combo.setEditable(True)
        self.reviewer_combo = QComboBox()
        self.reviewer_combo.setEditable(True)
        self.assign_button = QPushButton(self.tr("Assign"))
        self.assign_button.clicked.connect(self.assign)
        self.reopen_comment = QLineEdit()
        self.reopen_comment.setPlaceholderText(self.tr("Why it is reopened"))
        self.reopen_button = QPushButton(self.tr("Reopen"))
        self.reopen_button.clicked.connect(self.reopen)
        act_form = QFormLayout(act)
        act_form.addRow(self.tr("Annotator"), self.assignee_combo)
        act_form.addRow(self.tr("Reviewer"), self.reviewer_combo)
        act_form.addRow(self.assign_button)
        act_form.addRow(self.tr("Comment"), self.reopen_comment)
        act_form.addRow(self.reopen_button)

        side = QVBoxLayout()
        side.addWidget(create)
        side.addWidget(act)
        side.addStretch(1)
        layout = QHBoxLayout(page)
        layout.addWidget(self.batch_table, 1)
        layout.addLayout(side)
        self._mode_changed()
        return page

    def _export_tab(self) -> QWidget:
        page = QWidget()
        self.format_combo = QComboBox()
        for spec in available().values():
            self.format_combo.addItem(f"{spec.id} — {spec.title}", spec.id)
        self.accepted_only = QCheckBox(self.tr("Accepted batches only"))
        self.accepted_only.setChecked(True)
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText(self.tr("A new or empty folder"))
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._choose_folder)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        self.export_button = QPushButton(self.tr("Export"))
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton(self.tr("Cancel export"))
        self.cancel_button.setObjectName("exportCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.export_progress = QProgressBar()
        self.export_progress.setRange(0, 1)
        self.export_progress.setValue(0)
        self.export_progress.setTextVisible(False)
        self.export_result = QLabel()
        self.export_result.setObjectName("exportResult")
        self.export_result.setWordWrap(True)
        note = QLabel(self.tr("An export writes into a hidden folder and renames it at the "
                              "end: a cancelled or failed one leaves nothing half-written."))
        note.setWordWrap(True)
        form = QFormLayout(page)
        form.addRow(self.tr("Format"), self.format_combo)
        form.addRow(self.accepted_only)
        form.addRow(self.tr("Output folder"), out_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)
        form.addRow(self.export_progress)
        form.addRow(note)
        form.addRow(self.export_result)
        return page

    # -- figures ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the figures and batches again and redraw every tab."""
        self.stats = self.project.stats()
        self._fill_progress()
        self._fill_people()
        self._fill_quality()
        self._fill_batches()

    def _fill_progress(self) -> None:
        by_state: dict[str, dict[str, int]] = self.stats["batches_by_state"]
        rows = []
        parts = []
        for state in BatchState:
            figures = by_state.get(state.value, {"batches": 0, "items": 0, "done": 0})
            text = self.tr("%d batch(es), %d of %d item(s) done") % (
                figures["batches"], figures["done"], figures["items"])
            rows.append(StateRow(self.state_label(state.value), STATE_COLOURS[state],
                                 figures["batches"], figures["items"], figures["done"], text))
            parts.append(f"{self.state_label(state.value)}: {figures['batches']}")
        self.state_chart.set_rows(rows)
        self.summary_label.setText(self.tr("Batches by state: %s") % ", ".join(parts))
        progress: list[dict[str, Any]] = self.stats["batch_progress"]
        table = self.progress_table
        table.setRowCount(len(progress))
        for row, batch in enumerate(progress):
            table.setItem(row, 0, _cell(str(batch["name"])))
            state_cell = _cell(self.state_label(batch["state"]))
            state_cell.setForeground(STATE_COLOURS[BatchState(batch["state"])].darker(120))
            table.setItem(row, 1, state_cell)
            table.setItem(row, 2, _cell(batch["assignee"] or DASH))
            seconds = batch.get("active_seconds")
            table.setItem(row, 3, _cell(DASH if seconds is None else _number(seconds / 3600)))
            bar = QProgressBar()
            bar.setRange(0, max(int(batch["items"]), 1))
            bar.setValue(int(batch["done"]))
            bar.setFormat(f"{batch['done']} / {batch['items']}")
            table.setCellWidget(row, 4, bar)

    def _fill_people(self) -> None:
        people: dict[str, dict[str, Any]] = self.stats["people"]
        table = self.people_table
        table.setRowCount(len(people))
        chart: list[tuple[str, float]] = []
        texts: list[str] = []
        for row, (name, p) in enumerate(sorted(people.items())):
            accept = p["first_pass_acceptance"]
            shown = name or self.tr("(no name)")
            cells = [shown, str(p["items"]), str(p["shapes"]),
                     _number(p["active_seconds"] / 3600), _number(p["items_per_active_hour"]),
                     _number(p["shapes_per_active_hour"]),
                     DASH if accept is None else f"{accept * 100:.0f} %"]
            for column, text in enumerate(cells):
                table.setItem(row, column, _cell(text))
            if p["shapes_per_active_hour"] is not None:
                chart.append((shown, float(p["shapes_per_active_hour"])))
                texts.append(_number(p["shapes_per_active_hour"]))
        self.people_chart.set_rows(chart, texts, self.tr("No active time recorded yet"))

    def _fill_quality(self) -> None:
        self.reasons_list.clear()
        reasons: list[dict[str, Any]] = self.stats["rejection_reasons"]
        for reason in reasons:
            comment = reason["comment"] or self.tr("(no comment)")
            self.reasons_list.addItem(f"{reason['batch_name']} — {reason['user']}, "
                                      f"{_when(reason['at'])}: {comment}")
        if not reasons:
            self.reasons_list.addItem(self.tr("No batch has been rejected"))
        per_class: dict[str, int] = self.stats["shapes_per_class"]
        rows = [(name, float(count)) for name, count in per_class.items()]
        self.class_chart.set_rows(rows, [str(c) for c in per_class.values()],
                                  self.tr("No classes in the schema"))

    def _fill_batches(self) -> None:
        selected = self.selected_batch()
        batches = self.project.store.list_batches()
        table = self.batch_table
        table.blockSignals(True)
        table.setRowCount(len(batches))
        for row, batch in enumerate(batches):
            name = _cell(batch.name)
            name.setData(256, batch.id)
            table.setItem(row, 0, name)
            table.setItem(row, 1, _cell(self.state_label(batch.state.value)))
            table.setItem(row, 2, _cell(batch.assignee or DASH))
            table.setItem(row, 3, _cell(batch.reviewer or DASH))
            table.setItem(row, 4, _cell(str(batch.items)))
            if batch.id == selected:
                table.selectRow(row)
        table.blockSignals(False)
        users = self.project.store.list_users()
        for combo, names in (
                (self.assignee_combo, [u.name for u in users]),
                (self.reviewer_combo, [u.name for u in users if u.role is not Role.ANNOTATOR])):
            text = combo.currentText()
            combo.clear()
            combo.addItems(names)
            combo.setEditText(text)
        count = len(self.project.unbatched_item_ids())
        self.unbatched_label.setText(self.tr("%d item(s) in no batch") % count)
        self.create_button.setEnabled(count > 0)
        self._batch_selected()

    # -- lead actions ----------------------------------------------------------------

    def _mode_changed(self) -> None:
        mode = self.batch_mode.currentData()
        self.batch_size.setEnabled(mode in ("size", "sample"))
        self.sample_size.setEnabled(mode == "sample")
        self.sample_seed.setEnabled(mode == "sample")

    def selected_batch(self) -> int | None:
        rows = self.batch_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.batch_table.item(rows[0].row(), 0)
        return None if item is None else int(item.data(256))

    def select_batch(self, name: str) -> None:
        """Select the batch called ``name`` in the Batches tab."""
        for row in range(self.batch_table.rowCount()):
            item = self.batch_table.item(row, 0)
            if item is not None and item.text() == name:
                self.batch_table.selectRow(row)
                return
        raise KeyError(name)

    def _batch_selected(self) -> None:
        chosen = self.selected_batch()
        self.assign_button.setEnabled(chosen is not None)
        self.reopen_button.setEnabled(chosen is not None)
        if chosen is not None:
            batch = self.project.store.get_batch(chosen)
            self.assignee_combo.setEditText(batch.assignee or "")
            self.reviewer_combo.setEditText(batch.reviewer or "")

    def create_batches(self) -> None:
        mode = self.batch_mode.currentData()
        size = self.batch_size.value()
        self._act(lambda: self.project.create_batches(
            self.batch_name.text(),
            size=size if mode in ("size", "sample") else None,
            by_folder=mode == "folder",
            sample=self.sample_size.value() if mode == "sample" else None,
            seed=self.sample_seed.value() if mode == "sample" else None))

    def assign(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        assignee = self.assignee_combo.currentText().strip()
        reviewer = self.reviewer_combo.currentText().strip()
        self._act(lambda: self.project.batch_action(
            batch, "assign", assignee=assignee or None, reviewer=reviewer or None))

    def reopen(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        comment = self.reopen_comment.text().strip()
        self._act(lambda: self.project.batch_action(batch, "reopen", comment=comment))

    def _act(self, action: Any) -> None:
        """Run a Project call; a refusal is shown as its one line; the view is refreshed."""
        try:
            action()
        except AnnotatorError as exc:
            self.show_error(str(exc))
        self.refresh()

    def show_error(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Lead dashboard"), message,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("dashboardError")
        self.error_box = box
        box.open()

    # -- export ----------------------------------------------------------------------

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export into"),
                                                  self.out_edit.text())
        if folder:
            self.out_edit.setText(folder)

    def start_export(self) -> None:
        out = self.out_edit.text().strip()
        if not out:
            self.export_result.setText(self.tr("Choose an output folder first"))
            return
        format_id = str(self.format_combo.currentData())
        thread = _ExportThread(self.project.location, self.project.user.name, format_id,
                               Path(out), self.accepted_only.isChecked(), self)
        thread.succeeded.connect(self._exported)
        thread.failed.connect(self._export_failed)
        thread.finished.connect(self._export_finished)
        thread.progressed.connect(self._export_progressed)
        self.export_thread = thread
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.export_progress.setRange(0, 0)
        self.export_result.setText(self.tr("Exporting %s to %s…") % (format_id, out))
        thread.start()

    def _exported(self, delivery: Delivery) -> None:
        self.last_delivery = delivery
        report = delivery.report
        text = self.tr("Wrote %d annotation(s) on %d item(s) to %s") % (
            sum(report.written.values()), report.images, delivery.out)
        if report.skipped:
            text += "; " + self.tr("%d skipped (see report.json)") % len(report.skipped)
        if delivery.errors:
            text += "; " + self.tr("%d validation error(s) (see validation.html)") % (
                delivery.errors)
        self.export_result.setText(text)

    def _export_progressed(self, done: int, total: int) -> None:
        self.export_progress.setRange(0, max(total, 1))
        self.export_progress.setValue(min(done, total))

    def cancel_export(self) -> None:
        if self.export_thread is not None:
            self.export_thread.cancelled = True
            self.cancel_button.setEnabled(False)

    def _export_failed(self, message: str) -> None:
        self.export_result.setText(self.tr("Export failed: %s") % message)

    def _export_finished(self) -> None:
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.export_progress.setRange(0, 1)
        self.export_progress.setValue(1 if self.last_delivery is not None else 0)
        self.export_thread = None

    def exporting(self) -> bool:
        return self.export_thread is not None

    def done(self, result: int) -> None:
        # Closing the dialog cancels a running export and waits for it to clean up.
        if self.export_thread is not None:
            self.export_thread.cancelled = True
            self.export_thread.wait()
        super().done(result)


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


def _when(stamp: str) -> str:
    """``2026-11-27T04:05:43.321Z`` as ``2026-11-27 04:05 UTC`` (other stamps as they are)."""
    if len(stamp) >= 16 and stamp[10] == "T" and stamp.endswith("Z"):
        return f"{stamp[:10]} {stamp[11:16]} UTC"
    return stamp
