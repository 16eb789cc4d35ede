"""Team mode: an item's media file fetched off the GUI thread before it opens.

In a team project a file comes from the database into the local cache
(:meth:`annotator.project.Project.resolve`), which may take a while over a
slow link; the window asks :meth:`Project.media_ready` first and, when the
file is not on disk yet, hands the item to :class:`MediaFetcher` and opens
it when :attr:`MediaFetcher.fetched` arrives.  The fetch itself uses the
project's media connections, never the window's (a psycopg connection is
not for two threads at once).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, QThreadPool, Signal

from annotator.errors import AnnotatorError
from annotator.model import Item
from annotator.project import Project
from annotator.ui.assist_jobs import Job

__all__ = ["MediaFetcher"]


class MediaFetcher(QObject):
    """Fetches items' media files on a worker thread, one at a time, each once."""

    #: An item's file is on disk now (item id).
    fetched = Signal(int)
    #: An item's file could not be fetched (item id, one-line reason).
    failed = Signal(int, str)
    _done = Signal(int, str)

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pending: set[int] = set()
        # Emitted on the worker thread, delivered on this object's (the GUI) thread.
        self._done.connect(self._on_done)

    def fetch(self, item: Item) -> None:
        item_id = int(item.id or 0)
        if item_id not in self._pending:
            self._pending.add(item_id)
            self._pool.start(Job(partial(self._run, item)))

    def _run(self, item: Item) -> None:
        try:
            self.project.resolve(item)
        except AnnotatorError as exc:
            self._done.emit(int(item.id or 0), str(exc))
        else:
            self._done.emit(int(item.id or 0), "")

    def _on_done(self, item_id: int, message: str) -> None:
        self._pending.discard(item_id)
        if message:
            self.failed.emit(item_id, message)
        else:
            self.fetched.emit(item_id)

    def close(self) -> None:
        """Drop queued fetches and wait for the one under way."""
        self._pool.clear()
        self._pool.waitForDone()
