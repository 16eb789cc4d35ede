"""The bird's-eye raster under the shapes: tiles rendered off the GUI thread, cached.

Scene units are metres from the cloud's origin with y down the screen (see
:mod:`annotator.ui.cloud_frame`).  The layer picks the level whose metres
per pixel match the zoom, asks :class:`annotator.media.bev.BevRenderer` for
256 x 256 tiles of it on a worker thread, and meanwhile paints the nearest
coarser tile it already has, so panning and zooming never wait for numpy.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from annotator.media.bev import BevRenderer
from annotator.ui.cloud_frame import CloudFrame

__all__ = ["BevLayer"]

TILE = 256
#: Metres per pixel at level 0 (the finest): 1 cm.
FINEST = 0.01
#: Rendered tiles kept (256 x 256 RGBA: 256 KiB each).
KEEP_TILES = 384
Key = tuple[str, int, int, int]            # mode, level, column, row


class _Signals(QObject):
    ready = Signal(object)                 # Key


class BevLayer(QGraphicsItem):
    """Paints the bird's-eye raster of one tile at the level the zoom asks for."""

    def __init__(self, renderer: BevRenderer, frame: CloudFrame) -> None:
        super().__init__()
        self.renderer = renderer
        cloud = renderer.cloud
        low, high = cloud.local_bounds()
        # Scene position of the cloud's local origin (the frame may sit elsewhere).
        self.dx = float(cloud.origin[0]) - frame.ox
        self.dy = float(cloud.origin[1]) - frame.oy
        self.x0, self.y1 = float(low[0]), float(high[1])
        self.span = max(float(high[0] - low[0]), float(high[1] - low[1]), 1.0)
        self.levels = max(math.ceil(math.log2(self.span / (TILE * FINEST))), 0)
        # Pixels much finer than the spacing of the points show scattered dots: the
        # finest level used has pixels about as large as that spacing.
        area = max(float(high[0] - low[0]) * float(high[1] - low[1]), 1e-6)
        spacing = math.sqrt(area / max(len(cloud), 1))
        self.finest = min(max(math.floor(math.log2(max(spacing / FINEST, 1.0))), 0),
                          self.levels)
        self.mode = "height"
        self._rect = QRectF(self.x0 + self.dx, -(self.y1 + self.dy),
                            float(high[0] - low[0]), float(high[1] - low[1])
                            ).adjusted(-2, -2, 2, 2)
        self._tiles: OrderedDict[Key, QImage] = OrderedDict()
        self._pending: set[Key] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bev")
        self._signals = _Signals()
        self._signals.ready.connect(self._on_ready)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.update()

    # -- tiles ----------------------------------------------------------------------------

    def metres_per_pixel(self, level: int) -> float:
        return FINEST * 2.0**level

    def level_for(self, scale: float) -> int:
        """The level whose pixels are no larger than the screen's at ``scale`` px per metre."""
        wanted = 1.0 / max(scale, 1e-9)
        return min(max(math.floor(math.log2(max(wanted / FINEST, 1.0))), self.finest),
                   self.levels)

    def tile_rect(self, level: int, col: int, row: int) -> QRectF:
        """Scene rectangle of a tile (columns from the left edge, rows from the top)."""
        size = TILE * self.metres_per_pixel(level)
        return QRectF(self.x0 + self.dx + col * size, -(self.y1 + self.dy) + row * size,
                      size, size)

    def tiles_in(self, level: int, rect: QRectF) -> list[tuple[int, int]]:
        size = TILE * self.metres_per_pixel(level)
        left = rect.left() - (self.x0 + self.dx)
        top = rect.top() + (self.y1 + self.dy)
        extent = self._rect
        right = min(rect.right(), extent.right()) - (self.x0 + self.dx)
        bottom = min(rect.bottom(), extent.bottom()) + (self.y1 + self.dy)
        cols = range(max(int(left // size), 0), int(right // size) + 1)
        rows = range(max(int(top // size), 0), int(bottom // size) + 1)
        return [(c, r) for r in rows for c in cols]

    def tile(self, key: Key) -> QImage | None:
        """The rendered tile, or None (its rendering is then under way)."""
        with self._lock:
            image = self._tiles.get(key)
            if image is not None:
                self._tiles.move_to_end(key)
                return image
            if key not in self._pending:
                self._pending.add(key)
                self._pool.submit(self._render, key)
        return None

    def _render(self, key: Key) -> None:
        mode, level, col, row = key
        size = TILE * self.metres_per_pixel(level)
        x0 = self.x0 + col * size
        y1 = self.y1 - row * size
        try:
            pixels = np.ascontiguousarray(
                self.renderer.render(x0, y1 - size, x0 + size, y1, TILE, TILE, mode=mode))
            image = QImage(pixels.data, TILE, TILE, 4 * TILE,
                           QImage.Format.Format_RGBA8888).copy()
        finally:
            with self._lock:
                self._pending.discard(key)
        with self._lock:
            self._tiles[key] = image
            while len(self._tiles) > KEEP_TILES:
                self._tiles.popitem(last=False)
        self._signals.ready.emit(key)

    def _on_ready(self, key: Key) -> None:
        _, level, col, row = key
        self.update(self.tile_rect(level, col, row))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- painting ----------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        scale = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        level = self.level_for(scale)
        exposed = option.exposedRect.intersected(self._rect)
        # Magnified raster pixels stay crisp squares, as in the image canvas.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform,
                              self.metres_per_pixel(level) * scale < 1.0)
        for col, row in self.tiles_in(level, exposed):
            image = self.tile((self.mode, level, col, row))
            target = self.tile_rect(level, col, row)
            if image is not None:
                painter.drawImage(target, image)
                continue
            self._paint_coarser(painter, level, col, row, target)

    def _paint_coarser(self, painter: QPainter, level: int, col: int, row: int,
                       target: QRectF) -> None:
        """Stand in for a tile being rendered with the part of a coarser one we have."""
        for up in range(1, 5):
            coarse = level + up
            if coarse > self.levels:
                return
            with self._lock:
                image = self._tiles.get((self.mode, coarse, col >> up, row >> up))
            if image is None:
                continue
            part = TILE >> up
            source = QRectF((col % (1 << up)) * part, (row % (1 << up)) * part, part, part)
            painter.drawImage(target, image, source)
            return
