"""Image tiles for the canvas: a shared QImage cache and a background loader.

The media layer decodes tiles as numpy arrays (:mod:`annotator.media.pyramid`);
here they become QImages, off the GUI thread, kept within a byte budget.
Prefetching the next item fills the same cache, so switching items paints
from memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from annotator.errors import AnnotatorError
from annotator.media.pyramid import ImageSource, open_image

__all__ = ["TileCache", "TileKey", "TileLoader", "to_qimage"]

TileKey = tuple[str, int, int, int]  # path, level, column, row


def to_qimage(tile: np.ndarray) -> QImage:
    """An RGBA uint8 array as a QImage that owns its pixels."""
    height, width = tile.shape[:2]
    data = np.ascontiguousarray(tile)
    image = QImage(data.data, width, height, data.strides[0], QImage.Format.Format_RGBA8888)
    return image.copy()


class TileCache:
    """Thread-safe LRU of QImages by byte size."""

    def __init__(self, budget: int = 256 * 2**20) -> None:
        self.budget = budget
        self._images: OrderedDict[TileKey, QImage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: TileKey) -> QImage | None:
        with self._lock:
            image = self._images.get(key)
            if image is not None:
                self._images.move_to_end(key)
            return image

    def put(self, key: TileKey, image: QImage) -> None:
        with self._lock:
            if key in self._images:
                return
            self._images[key] = image
            self._bytes += image.sizeInBytes()
            while self._bytes > self.budget and len(self._images) > 1:
                _, old = self._images.popitem(last=False)
                self._bytes -= old.sizeInBytes()

    @property
    def used(self) -> int:
        return self._bytes


class _Emitter(QObject):
    ready = Signal(object)
    failed = Signal(str, str)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self.work = work

    def run(self) -> None:
        self.work()


class TileLoader(QObject):
    """Opens image sources and decodes tiles on worker threads.

    ``tileReady(key)`` is emitted on the GUI thread once a tile is in the
    cache; ``sourceFailed(path, message)`` when a file cannot be read.
    """

    tileReady = Signal(object)
    sourceFailed = Signal(str, str)

    def __init__(self, cache: TileCache | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache or TileCache()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._emitter = _Emitter()
        self._emitter.ready.connect(self.tileReady)
        self._emitter.failed.connect(self.sourceFailed)
        self._pending: set[TileKey] = set()
        self._sources: OrderedDict[str, ImageSource] = OrderedDict()
        self._lock = threading.Lock()

    def source(self, path: str) -> ImageSource:
        """The open source of ``path`` (opened now if needed; raises MediaError)."""
        with self._lock:
            found = self._sources.get(path)
            if found is not None:
                self._sources.move_to_end(path)
                return found
        opened = open_image(path)
        with self._lock:
            self._sources[path] = opened
            while len(self._sources) > 6:  # current, neighbours, a little history
                _, old = self._sources.popitem(last=False)
                old.close()
        return opened

    def request(self, source: ImageSource, level: int, col: int, row: int) -> None:
        key = (source.path, level, col, row)
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)

        def work() -> None:
            try:
                self.cache.put(key, to_qimage(source.read_tile(level, col, row)))
            except AnnotatorError as exc:
                self._emitter.failed.emit(source.path, str(exc))
            except ValueError as exc:  # a source closed while its tile was queued
                self._emitter.failed.emit(source.path, str(exc))
            finally:
                with self._lock:
                    self._pending.discard(key)
            self._emitter.ready.emit(key)

        self.pool.start(_Job(work))

    def prefetch(self, path: str, view_size: tuple[int, int]) -> None:
        """Open ``path`` and decode its tiles at the fit-to-view level, in the background."""

        def work() -> None:
            try:
                source = self.source(path)
                width, height = view_size
                scale = min(width / max(source.width, 1), height / max(source.height, 1))
                level = source.level_for_scale(min(scale, 1.0))
                cols, rows = source.tile_grid(level)
                if cols * rows > 64:
                    return  # a huge image: its visible tiles load on demand
                for row in range(rows):
                    for col in range(cols):
                        key = (path, level, col, row)
                        if self.cache.get(key) is None:
                            self.cache.put(key, to_qimage(source.read_tile(level, col, row)))
            except (AnnotatorError, ValueError):
                pass  # shown as a message when the user opens the item

        self.pool.start(_Job(work))

    def idle(self) -> bool:
        with self._lock:
            return not self._pending and self.pool.activeThreadCount() == 0

    def wait(self, msecs: int = 10_000) -> bool:
        return bool(self.pool.waitForDone(msecs))

    def close(self) -> None:
        self.pool.waitForDone(5_000)
        with self._lock:
            for source in self._sources.values():
                source.close()
            self._sources.clear()
