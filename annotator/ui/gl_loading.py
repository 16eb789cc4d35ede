"""Arranging a point cloud for upload on a worker thread, so the window stays live.

Shuffling and sorting 20 million points by cell takes seconds on a laptop;
:class:`CloudLoader` runs :meth:`PreparedCloud.arrange` on one worker thread
(numpy releases the interpreter lock for the heavy parts) and says
:attr:`CloudLoader.ready` on the GUI thread when it is done.  Only the newest
request counts: a tile opened while another is being arranged replaces it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal, Slot

from annotator.ui.gl_cloud import Arranged, PreparedCloud

__all__ = ["CloudLoader"]

#: One worker for every view: arranging is memory-bound, two at once only compete.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pointcloud-arrange")


class CloudLoader(QObject):
    """Arranges one cloud at a time on the worker; the newest request wins."""

    ready = Signal()
    #: From the worker thread (a queued connection brings it to the GUI thread).
    _finished = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._serial = 0
        self._job: Future[Arranged] | None = None
        self._finished.connect(self._on_finished)

    def start(self, prepared: PreparedCloud | None, limit: int) -> None:
        """Arrange at most ``limit`` points of ``prepared`` (None: forget any job)."""
        self._serial += 1
        self._job = None
        if prepared is None:
            return
        serial, finished = self._serial, self._finished

        def done(_: Future[Arranged]) -> None:
            try:
                finished.emit(serial)
            except RuntimeError:
                pass  # the view was deleted while its tile was being arranged

        job = _POOL.submit(prepared.arrange, limit)
        self._job = job
        job.add_done_callback(done)

    def busy(self) -> bool:
        """A job is running (its result not ready yet)."""
        return self._job is not None and not self._job.done()

    def has_job(self) -> bool:
        """A job was started and its result not taken yet."""
        return self._job is not None

    def take(self) -> Arranged | None:
        """The arranged cloud once ready (then forgotten); None while busy or idle.

        Raises what the worker raised (MemoryError, say).
        """
        if self._job is None or not self._job.done():
            return None
        job, self._job = self._job, None
        return job.result()

    @Slot(int)
    def _on_finished(self, serial: int) -> None:
        if serial == self._serial:
            self.ready.emit()
