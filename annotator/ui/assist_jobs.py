"""Assist runs off the GUI thread: the whole image decoded for an assist, and the job.

:class:`AssistJob` decodes the pixels an assist needs (cached in an
:class:`ImageCache`, shared with edge snapping), calls
:func:`annotator.plugins.run` and reports through :class:`JobSignals`, whose
slots run on the GUI thread.  Every outcome is a signal carrying the job's
token, so the controller drops the answers of jobs it has given up on.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QRunnable, Signal

from annotator.errors import AnnotatorError, Cancelled, MediaError
from annotator.media.pyramid import ImageSource
from annotator.plugins import Assist, AssistRequest, run

__all__ = ["MAX_ASSIST_PIXELS", "AssistJob", "ImageCache", "Job", "JobSignals", "Sources",
           "prefetch", "read_rgb"]

#: Images above this many pixels are not decoded whole for an assist (3 bytes each).
MAX_ASSIST_PIXELS = 200_000_000
_PROGRESS_INTERVAL = 0.05  # seconds between progress signals


def _never() -> bool:
    return False


def read_rgb(source: ImageSource, cancelled: Callable[[], bool] = _never
             ) -> npt.NDArray[np.uint8]:
    """The whole image at full resolution as ``H x W x 3`` RGB, EXIF-rotated, tile by tile."""
    if source.width * source.height > MAX_ASSIST_PIXELS:
        raise MediaError(f"{source.path}: {source.width} x {source.height} pixels is too large "
                         f"for an assist (at most {MAX_ASSIST_PIXELS // 1_000_000} megapixels)")
    out = np.empty((source.height, source.width, 3), dtype=np.uint8)
    columns, rows = source.tile_grid(0)
    size = source.tile_size
    for row in range(rows):
        if cancelled():
            raise Cancelled("reading the image was cancelled")
        for col in range(columns):
            tile = source.read_tile(0, col, row)
            out[row * size: row * size + tile.shape[0],
                col * size: col * size + tile.shape[1]] = tile[..., :3]
    out.setflags(write=False)
    return out


class ImageCache:
    """The decoded images assists last used (the open item and the next), shared by threads."""

    def __init__(self, keep: int = 2) -> None:
        self._lock = threading.Lock()
        self._images: OrderedDict[str, npt.NDArray[np.uint8]] = OrderedDict()
        self._keep = keep

    def peek(self, path: str) -> npt.NDArray[np.uint8] | None:
        with self._lock:
            return self._images.get(path)

    def get(self, source: ImageSource, cancelled: Callable[[], bool] = _never
            ) -> npt.NDArray[np.uint8]:
        """The read-only pixels of ``source``, decoded now unless cached."""
        found = self.peek(source.path)
        if found is not None:
            return found
        image = read_rgb(source, cancelled)
        with self._lock:
            self._images[source.path] = image
            self._images.move_to_end(source.path)
            while len(self._images) > self._keep:
                self._images.popitem(last=False)
        return image

    def clear(self) -> None:
        with self._lock:
            self._images.clear()


def prefetch(images: ImageCache, source: ImageSource) -> None:
    """Decode ``source`` into ``images`` in the background (edge snapping wants it)."""
    try:
        images.get(source)
    except (AnnotatorError, Cancelled, ValueError, MemoryError):
        pass  # snapping then stays off for this image; opening it says why


class JobSignals(QObject):
    """What a job tells the GUI thread, each with the job's token."""

    progress = Signal(int, float)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)


class Job(QRunnable):
    """Any callable on a thread pool."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self.work = work

    def run(self) -> None:
        self.work()


class Sources(NamedTuple):
    """The images a run needs decoded: the item's, and the next item's (``track``)."""

    image: ImageSource | None
    next_image: ImageSource | None


class AssistJob(QRunnable):
    """One assist run: decode the pixels, :func:`~annotator.plugins.run`, report."""

    def __init__(self, token: int, assist: Assist, request: AssistRequest, sources: Sources,
                 images: ImageCache, signals: JobSignals, cancel: threading.Event) -> None:
        super().__init__()
        self.token, self.assist, self.request, self.sources = token, assist, request, sources
        self.images, self.signals, self.cancel = images, signals, cancel
        self._last = 0.0

    def progress(self, fraction: float) -> bool:
        now = time.monotonic()
        if now - self._last >= _PROGRESS_INTERVAL:
            self._last = now
            self.signals.progress.emit(self.token, float(fraction))
        return not self.cancel.is_set()

    def _pixels(self, source: ImageSource | None) -> npt.NDArray[np.uint8] | None:
        # Each run gets its own writable copy: OpenCV calls such as floodFill write
        # into their input, and the cached pixels must stay as read.
        return None if source is None else np.array(self.images.get(source, self.cancel.is_set))

    def run(self) -> None:
        signals, token = self.signals, self.token
        try:
            request = dataclasses.replace(
                self.request, image=self._pixels(self.sources.image),
                next_image=self._pixels(self.sources.next_image), progress=self.progress)
            proposals = run(self.assist, request)
        except Cancelled:
            signals.cancelled.emit(token)
        except AnnotatorError as exc:
            signals.failed.emit(token, str(exc))
        except Exception as exc:  # reading pixels ran out of memory, a Qt-side surprise ...
            signals.failed.emit(token, f"{self.assist.id}: {type(exc).__name__}: {exc}")
        else:
            signals.finished.emit(token, proposals)
