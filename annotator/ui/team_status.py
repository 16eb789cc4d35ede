"""Team mode in the window: working on while offline, and coming back.

For a project on a server, :class:`TeamStatus` turns on the project's
working copy (:meth:`~annotator.project.Project.enable_offline`), copies
each batch whose item opens, and shows "offline — N edits waiting" in the
status bar while the server is away.  Every five seconds a worker thread
asks the server for a connection (never the GUI thread: an unreachable
host takes seconds to time out); when it answers, the journal is replayed
and any edit that met someone else's change is shown with both versions
(:class:`~annotator.ui.conflicts.ConflictDialog`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QLabel

from annotator.errors import AnnotatorError, ConflictError
from annotator.offline import ReplayReport
from annotator.store import is_team_url
from annotator.ui.assist_jobs import Job
from annotator.ui.conflicts import ConflictDialog

if TYPE_CHECKING:
    from annotator.ui.main_window import MainWindow

__all__ = ["TeamStatus"]

#: How often an offline client asks whether the server is back.
PROBE_MS = 5000


class _Answer(QObject):
    answered = Signal(bool)


class TeamStatus(QObject):
    """The offline label, the reconnect probe, the replay and the conflict dialog."""

    #: emitted after the project went back online and replayed (the report)
    replayed = Signal(object)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.project = window.project
        self.label = QLabel()
        self.label.setObjectName("offlineLabel")
        self.label.setAccessibleName(self.tr("Connection to the server"))
        self.label.setStyleSheet("QLabel { color: #b35900; font-weight: bold; }")
        self.label.hide()
        self.active = False
        self.dialog: ConflictDialog | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(PROBE_MS)
        self._timer.timeout.connect(self.probe)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._probing = False
        self._answer = _Answer()
        self._answer.answered.connect(self._on_answer)
        if not is_team_url(self.project.location):
            return
        try:
            self.project.enable_offline()
        except AnnotatorError as exc:
            window.statusBar().showMessage(
                self.tr("Working offline is not possible on this computer: %s") % exc, 15_000)
            return
        self.active = True
        window.statusBar().addPermanentWidget(self.label)
        self.project.on_offline_change(self._on_offline_change)
        window.adapter.stackChanged.connect(self.update_label)
        window.adapter.conflicted.connect(self.show_conflict)
        if self.project.offline:
            self._on_offline_change(True)

    # -- following the open batch ----------------------------------------------------

    def item_opened(self, item_id: int) -> None:
        if not self.active or self.project.offline:
            return
        try:
            batch = self.project.store.batch_for_item(item_id)
        except AnnotatorError:
            return
        if batch is not None:
            self.project.follow_batch(int(batch.id or 0))

    # -- offline and back --------------------------------------------------------------

    def update_label(self) -> None:
        if not self.active:
            return
        waiting = self.project.pending_edits()
        if self.project.offline:
            self.label.setText(self.tr("offline — 1 edit waiting") if waiting == 1 else
                               self.tr("offline — %d edits waiting") % waiting)
            self.label.show()
        elif waiting:
            self.label.setText(self.tr("%d edits waiting to be sent") % waiting)
            self.label.show()
        else:
            self.label.hide()

    def _on_offline_change(self, offline: bool) -> None:
        if offline:
            self._timer.start()
            self.window.statusBar().showMessage(self.tr(
                "The server cannot be reached: working offline. Your edits are kept on this "
                "computer and sent when it answers again."), 15_000)
        else:
            self._timer.stop()
        self.update_label()

    def probe(self) -> None:
        """Ask, off the GUI thread, whether the server takes a connection."""
        if self._probing or not self.project.offline:
            return
        self._probing = True
        project, answer = self.project, self._answer
        self._pool.start(Job(lambda: answer.answered.emit(project.server_answers())))

    def _on_answer(self, answers: bool) -> None:
        self._probing = False
        if answers:
            self.reconnect()

    def reconnect(self) -> ReplayReport | None:
        """Replay the journal now if the server answers; what it did, or None."""
        try:
            report = self.project.try_online()
        except AnnotatorError as exc:
            self.window.statusBar().showMessage(str(exc), 15_000)
            return None
        if report is None:
            self.update_label()
            return None
        sent = report.sent + report.already_there
        self.window.statusBar().showMessage(self.tr("Back online: %d edits sent") % sent, 10_000)
        self._refresh_window()
        if report.problems:
            self._show([(p.label, p.error) for p in report.problems])
        self.update_label()
        self.replayed.emit(report)
        return report

    def _refresh_window(self) -> None:
        window = self.window
        window.items.reload_batches()
        item = window.item
        if item is not None and item.id is not None:
            window.adapter.annotationsChanged.emit(int(item.id))
        window.adapter.stackChanged.emit()

    # -- conflicts -----------------------------------------------------------------------

    def show_conflict(self, error: ConflictError) -> None:
        self._show([(error.args[0] if error.args else "", error)])

    def _show(self, problems: list[tuple[str, AnnotatorError]]) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = ConflictDialog(problems, self.window.adapter.push, self.window)
        self.dialog.open()
