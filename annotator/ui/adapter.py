"""The thin Qt face of a :class:`~annotator.project.Project`.

Widgets never write to the store themselves: they ask the adapter to push a
command, and redraw when it signals that something changed.  State lives in
the store; the adapter only turns the command stack's callbacks into signals.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from annotator.commands import Command
from annotator.errors import AnnotatorError, ConflictError
from annotator.model import Annotation, Batch, Item
from annotator.project import Project

__all__ = ["ProjectAdapter"]


class ProjectAdapter(QObject):
    """Signals for what the project's store holds; slots that edit it."""

    #: item id whose annotations changed (push, undo or redo)
    annotationsChanged = Signal(int)
    #: the undo/redo labels may have changed
    stackChanged = Signal()
    #: a batch moved or was assigned
    batchesChanged = Signal()
    #: a one-line message for the user after a refused action
    refused = Signal(str)
    #: an edit met someone else's change to the same shape (the ConflictError,
    #: carrying both versions); ``refused`` is emitted too
    conflicted = Signal(object)

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        project.stack.subscribe(self._on_stack_event)

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.project.store

    def _on_stack_event(self, event: str, command: Command) -> None:
        for item_id in sorted(command.item_ids()):
            self.annotationsChanged.emit(item_id)
        self.stackChanged.emit()

    # -- edits: each is one committed command, refused ones say why ---------------

    # Through the project, not its stack: in team mode it journals an edit
    # when the server is away, and sends each edit once.
    def push(self, command: Command) -> Command | None:
        try:
            return self.project.push(command)
        except AnnotatorError as exc:
            self._refuse(exc)
            return None

    def undo(self) -> Command | None:
        try:
            return self.project.undo()
        except AnnotatorError as exc:
            self._refuse(exc)
            return None

    def redo(self) -> Command | None:
        try:
            return self.project.redo()
        except AnnotatorError as exc:
            self._refuse(exc)
            return None

    def _refuse(self, exc: AnnotatorError) -> None:
        self.refused.emit(str(exc))
        if isinstance(exc, ConflictError) and (exc.mine is not None or exc.theirs is not None):
            self.conflicted.emit(exc)

    def batch_action(self, batch_id: int, action: str, comment: str = "",
                     acknowledge_warnings: bool = False) -> Batch | None:
        try:
            batch = self.project.batch_action(batch_id, action, comment,
                                              acknowledge_warnings=acknowledge_warnings)
        except AnnotatorError as exc:
            self.refused.emit(str(exc))
            return None
        self.batchesChanged.emit()
        return batch

    # -- reads ------------------------------------------------------------------------

    def annotations(self, item_id: int) -> list[Annotation]:
        return self.project.store.annotations_for_item(item_id)

    def item(self, item_id: int) -> Item:
        return self.project.store.get_item(item_id)
