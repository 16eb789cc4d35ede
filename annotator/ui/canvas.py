"""The canvas: a QGraphicsView over a tiled image and one item per shape.

The image is painted tile by tile at the pyramid level the zoom needs, so a
40,000 px image costs only the tiles on screen.  Shapes are QGraphicsItems
indexed by the scene's BSP tree: shapes outside the view are never painted,
and editing one repaints only its rectangle.  Widths of lines and vertex
handles are in screen pixels, whatever the zoom.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from annotator.media.pyramid import ImageSource
from annotator.model import Annotation, Geometry
from annotator.shapes import Box, Point, Polygon, Polyline, RotatedBox
from annotator.ui.tiles import TileLoader

__all__ = [
    "CanvasScene", "CanvasView", "DraftItem", "ImageLayer", "ShapeItem", "ShapeLayer",
    "shape_path",
]

MIN_SCALE, MAX_SCALE = 1 / 256, 64.0
_NO_BRUSH = QBrush()


class Style:
    """Line width and vertex size in screen pixels; set from the View menu."""

    line_width = 2.0
    vertex_size = 7.0


def _points(array: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in array[:, :2]])


def shape_path(geometry: Geometry) -> QPainterPath:
    """The outline of a 2D shape in image pixels."""
    path = QPainterPath()
    if isinstance(geometry, Box):
        (x0, y0), (x1, y1) = geometry.corners
        path.addRect(QRectF(x0, y0, x1 - x0, y1 - y0))
    elif isinstance(geometry, RotatedBox):
        corners = geometry.vertices
        path.addPolygon(_points(corners))
        path.closeSubpath()
        # The heading: from the centre to the middle of the front side (a cuboid's +x).
        front = (corners[1] + corners[2]) / 2
        path.moveTo(geometry.cx, geometry.cy)
        path.lineTo(float(front[0]), float(front[1]))
    elif isinstance(geometry, Polygon):
        path.setFillRule(Qt.FillRule.OddEvenFill)
        for ring in (geometry.shell, *geometry.holes):
            path.addPolygon(_points(ring))
            path.closeSubpath()
    elif isinstance(geometry, Polyline):
        path.addPolygon(_points(geometry.points))
    elif isinstance(geometry, Point):
        x, y = geometry.points[0]
        path.addEllipse(QPointF(float(x), float(y)), 0.01, 0.01)
    return path


#: Colours of the changes a reviewer sees (Okabe-Ito green and blue).
CHANGE_COLORS = {"added": "#009e73", "changed": "#0072b2"}


class ImageLayer(QGraphicsItem):
    """Paints the visible tiles of an image source at the level the zoom needs."""

    def __init__(self, source: ImageSource, loader: TileLoader) -> None:
        super().__init__()
        self.source = source
        self.loader = loader
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setZValue(-1_000_000)
        self.missing = 0  # tiles requested but not yet painted, after the last paint

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.source.width, self.source.height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        scale = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        level = self.source.level_for_scale(scale)
        exposed = option.exposedRect.intersected(self.boundingRect())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1.0)
        self.missing = 0
        for col, row in self._tiles(level, exposed):
            if not self._draw(painter, level, col, row):
                self.missing += 1
                self.loader.request(self.source, level, col, row)

    def _tiles(self, level: int, rect: QRectF) -> list[tuple[int, int]]:
        span = self.source.tile_size * 2**level
        cols, rows = self.source.tile_grid(level)
        c0, c1 = max(0, int(rect.left() // span)), min(cols - 1, int(rect.right() // span))
        r0, r1 = max(0, int(rect.top() // span)), min(rows - 1, int(rect.bottom() // span))
        return [(c, r) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def _draw(self, painter: QPainter, level: int, col: int, row: int) -> bool:
        """Draw the tile, or the best coarser one already decoded; True if exact."""
        for coarser in range(level, self.source.levels):
            shift = coarser - level
            c, r = col >> shift, row >> shift
            image = self.loader.cache.get((self.source.path, coarser, c, r))
            if image is None:
                continue
            span = self.source.tile_size * 2**coarser
            target = QRectF(c * span, r * span, image.width() * 2**coarser,
                            image.height() * 2**coarser)
            if shift == 0:
                painter.drawImage(target, image)
                return True
            # Only the part of the coarse tile that covers this tile.
            fine = self.source.tile_size * 2**level
            want = QRectF(col * fine, row * fine, fine, fine).intersected(target)
            sx = (want.left() - target.left()) / 2**coarser
            sy = (want.top() - target.top()) / 2**coarser
            source_rect = QRectF(sx, sy, want.width() / 2**coarser, want.height() / 2**coarser)
            painter.drawImage(want, image, source_rect)
            return False
        return False


class ShapeItem(QGraphicsItem):
    """One annotation on the canvas; its look follows the class colour."""

    def __init__(self, annotation: Annotation, color: str) -> None:
        super().__init__()
        self.annotation = annotation
        self.color = QColor(color)
        self.path = shape_path(annotation.geometry)
        self.closed = annotation.kind in ("box", "rotated_box", "polygon")
        self.is_point = annotation.kind == "point"
        self.view_scale = 1.0
        self.selected = False
        #: "added" or "changed" since the batch's previous submission (shown to reviewers)
        self.change: str | None = None
        self._handles: QPolygonF | None = None
        self.setZValue(1000 + annotation.z)
        self.shown = not annotation.hidden

    @property
    def annotation_id(self) -> int:
        return int(self.annotation.id or 0)

    def set_view_scale(self, scale: float) -> None:
        if self.scene() is not None:
            self.prepareGeometryChange()
        self.view_scale = scale

    def outline_rect(self) -> QRectF:
        return self.path.boundingRect()

    def _margin(self) -> float:
        return (Style.vertex_size + Style.line_width * 2 + 2) / self.view_scale

    def boundingRect(self) -> QRectF:
        m = self._margin()
        return self.path.boundingRect().adjusted(-m, -m, m, m)

    def shape(self) -> QPainterPath:
        """The fill plus a band along the outline, so a click on the edge hits."""
        stroker = QPainterPathStroker()
        stroker.setWidth(max(Style.vertex_size, 6.0) / self.view_scale)
        return stroker.createStroke(self.path) + self.path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        self.draw(painter, QStyleOptionGraphicsItem.levelOfDetailFromTransform(
            painter.worldTransform()))

    def draw(self, painter: QPainter, scale: float) -> None:
        """Paint this shape; also used by :class:`ShapeLayer` for unselected shapes."""
        width = Style.line_width * (1.8 if self.selected else 1.0)
        if self.selected:
            # A white halo under a dashed line: selection never relies on colour alone.
            halo = QPen(QColor(255, 255, 255, 220), width + 2)
            halo.setCosmetic(True)
            painter.setPen(halo)
            painter.drawPath(self.path)
        pen = QPen(self.color, width)
        pen.setCosmetic(True)
        if self.selected:
            pen.setStyle(Qt.PenStyle.DashLine)
        if self.annotation.locked:
            pen.setStyle(Qt.PenStyle.DotLine)
        painter.setPen(pen)
        fill = QColor(self.color)
        fill.setAlpha(90 if self.selected else 45)
        painter.setBrush(QBrush(fill) if self.closed else _NO_BRUSH)
        painter.drawPath(self.path)
        if self.is_point or self.selected:
            self._paint_vertices(painter, scale)
        if self.change is not None:
            # A dashed frame round what the resubmission added (green) or changed (blue);
            # the dash, not only the colour, tells it from the shape's own outline.
            margin = 4 / max(scale, 1e-9)
            frame = self.path.boundingRect().adjusted(-margin, -margin, margin, margin)
            painter.setBrush(_NO_BRUSH)
            for pen in (QPen(QColor(255, 255, 255, 230), 4.0),   # a halo on any background
                        QPen(QColor(CHANGE_COLORS[self.change]), 2.0, Qt.PenStyle.DashLine)):
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawRect(frame)

    def _paint_vertices(self, painter: QPainter, scale: float) -> None:
        if self.is_point:
            size = Style.vertex_size / max(scale, 1e-9)
            x, y = self.annotation.geometry.vertices[0, :2]
            painter.setPen(QPen(QColor("black"), 0))
            painter.setBrush(QBrush(self.color))
            painter.drawEllipse(QRectF(x - size / 2, y - size / 2, size, size))
            return
        # One call per colour, whatever the vertex count: a 20,000-vertex
        # polygon stays fluid while selected.
        if self._handles is None:
            self._handles = _points(self.annotation.geometry.vertices)
        for color, extra in ((QColor("black"), 2.0), (QColor("white"), 0.0)):
            pen = QPen(color, Style.vertex_size + extra, Qt.PenStyle.SolidLine,
                       Qt.PenCapStyle.SquareCap)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPoints(self._handles)

    def vertex_at(self, pos: QPointF) -> int | None:
        """Index of the vertex under ``pos`` (within the handle size), if any."""
        vertices = self.annotation.geometry.vertices[:, :2]
        reach = Style.vertex_size / self.view_scale
        distances = np.hypot(vertices[:, 0] - pos.x(), vertices[:, 1] - pos.y())
        index = int(np.argmin(distances))
        return index if distances[index] <= reach else None

    def edge_at(self, pos: QPointF) -> int | None:
        """Index of the vertex an inserted point should follow, if ``pos`` is on an edge."""
        if self.annotation.kind not in ("polygon", "polyline"):
            return None
        geometry = self.annotation.geometry
        vertices = geometry.vertices[:, :2]
        count = len(geometry.shell) if isinstance(geometry, Polygon) else len(vertices)
        ring = vertices[:count]
        ends = np.roll(ring, -1, axis=0) if self.annotation.kind == "polygon" else ring[1:]
        starts = ring if self.annotation.kind == "polygon" else ring[:-1]
        p = np.array([pos.x(), pos.y()])
        d = ends - starts
        length = (d**2).sum(axis=1)
        t = np.clip(((p - starts) * d).sum(axis=1) / np.where(length == 0, 1, length), 0, 1)
        nearest = starts + d * t[:, None]
        distances = np.hypot(*(nearest - p).T)
        index = int(np.argmin(distances))
        return index if distances[index] <= Style.vertex_size / self.view_scale else None


class DraftItem(QGraphicsItem):
    """The shape being drawn (view state only; nothing is stored until it is done)."""

    def __init__(self) -> None:
        super().__init__()
        self.points: list[QPointF] = []
        self.tip: QPointF | None = None  # follows the mouse while drawing
        self.closed = False
        self.color = QColor("#0072b2")
        self.view_scale = 1.0
        self.setZValue(2_000_000)

    def set(self, points: list[QPointF], cursor: QPointF | None, closed: bool,
            color: str) -> None:
        self.prepareGeometryChange()
        self.points, self.tip, self.closed = list(points), cursor, closed
        self.color = QColor(color)

    def _all(self) -> list[QPointF]:
        return self.points + ([self.tip] if self.tip is not None else [])

    def boundingRect(self) -> QRectF:
        points = self._all()
        if not points:
            return QRectF()
        m = 20 / self.view_scale
        return QPolygonF(points).boundingRect().adjusted(-m, -m, m, m)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        points = self._all()
        if not points:
            return
        pen = QPen(self.color, Style.line_width)
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        polygon = QPolygonF(points)
        if self.closed:
            painter.drawPolygon(polygon)
        else:
            painter.drawPolyline(polygon)
        scale = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        size = Style.vertex_size / max(scale, 1e-9)
        painter.setBrush(QBrush(QColor("white")))
        for point in self.points:
            painter.drawRect(QRectF(point.x() - size / 2, point.y() - size / 2, size, size))


class ShapeLayer(QGraphicsItem):
    """Every unselected, visible shape, painted as one cached layer.

    Qt keeps the layer as a pixmap at the current zoom (DeviceCoordinateCache)
    and re-renders only the rectangles :meth:`invalidate` names, so a repaint
    of 10,000 shapes is one blit and an edit re-draws only its neighbourhood.
    The shapes to draw in a rectangle come from a bounding-box index.
    """

    def __init__(self, scene: CanvasScene) -> None:
        super().__init__()
        self.canvas = scene
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.setZValue(0)
        self.ids: list[int] = []
        self.boxes = np.zeros((0, 4))
        self.bounds = QRectF()

    def rebuild(self) -> None:
        """Re-index the shapes (after they were added, removed or changed)."""
        shapes = self.canvas.shapes
        self.ids = sorted(shapes, key=lambda i: (shapes[i].zValue(), i))
        boxes = [shapes[i].outline_rect() for i in self.ids]
        self.boxes = np.array([[b.left(), b.top(), b.right(), b.bottom()] for b in boxes]
                              ).reshape(-1, 4)
        bounds = QRectF(self.canvas.sceneRect())
        if len(self.boxes):
            low, high = self.boxes[:, :2].min(axis=0), self.boxes[:, 2:].max(axis=0)
            bounds = bounds.united(QRectF(low[0], low[1], high[0] - low[0], high[1] - low[1]))
        if bounds != self.bounds:
            self.prepareGeometryChange()
            self.bounds = bounds

    def margin(self) -> float:
        return (Style.vertex_size + Style.line_width * 2 + 2) / max(self.canvas.view_scale, 1e-9)

    def boundingRect(self) -> QRectF:
        m = self.margin()
        return self.bounds.adjusted(-m, -m, m, m)

    def invalidate(self, rect: QRectF) -> None:
        m = self.margin()
        self.update(rect.adjusted(-m, -m, m, m))

    def ids_in(self, rect: QRectF) -> list[int]:
        if not len(self.boxes):
            return []
        m = self.margin()
        b = self.boxes
        hit = ((b[:, 0] <= rect.right() + m) & (b[:, 2] >= rect.left() - m)
               & (b[:, 1] <= rect.bottom() + m) & (b[:, 3] >= rect.top() - m))
        return [self.ids[i] for i in np.flatnonzero(hit)]

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        scale = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        shapes = self.canvas.shapes
        for annotation_id in self.ids_in(option.exposedRect):
            shape = shapes.get(annotation_id)
            if shape is not None and shape.shown and not shape.selected:
                shape.draw(painter, scale)


class CanvasScene(QGraphicsScene):
    """The image layer, the shape layer, selected shapes on top, and the tool's draft."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: ImageLayer | None = None
        #: What lies under the shapes when there is no image (the bird's-eye raster).
        self.backdrop: QGraphicsItem | None = None
        self.shapes: dict[int, ShapeItem] = {}
        self.layer = ShapeLayer(self)
        self.addItem(self.layer)
        self.draft = DraftItem()
        self.addItem(self.draft)
        self.view_scale = 1.0
        self.changes: dict[int, str] = {}

    def set_image(self, layer: ImageLayer | None, width: int, height: int) -> None:
        if self.image is not None:
            self.removeItem(self.image)
        self.image = layer
        if layer is not None:
            self.addItem(layer)
        self.setSceneRect(QRectF(0, 0, max(width, 1), max(height, 1)))

    def set_backdrop(self, item: QGraphicsItem | None, rect: QRectF | None) -> None:
        """Show ``item`` under the shapes instead of an image; ``rect`` is the scene's extent."""
        if self.backdrop is not None and self.backdrop.scene() is self:
            self.removeItem(self.backdrop)
        self.backdrop = item
        if item is not None:
            item.setZValue(-1)
            self.addItem(item)
        if rect is not None:
            self.setSceneRect(rect)

    def image_missing(self) -> bool:
        """Whether the last paint still lacked some exact tiles."""
        return self.image is not None and self.image.missing > 0

    def clear_shapes(self) -> None:
        for shape in self.shapes.values():
            if shape.scene() is self:
                self.removeItem(shape)
        self.shapes.clear()
        self.layer.rebuild()
        self.layer.update()

    def set_shapes(self, annotations: list[Annotation], color_of: Callable[[str], str]) -> None:
        """Make the shapes match ``annotations``, re-drawing only what changed."""
        wanted = {int(a.id or 0): a for a in annotations}
        dirty: list[QRectF] = []
        for annotation_id in list(self.shapes):
            if annotation_id not in wanted:
                old = self.shapes.pop(annotation_id)
                dirty.append(old.outline_rect())
                if old.scene() is self:
                    self.removeItem(old)
        for annotation_id, annotation in wanted.items():
            current = self.shapes.get(annotation_id)
            if current is not None and current.annotation.revision == annotation.revision and \
                    current.annotation.same_content(annotation):
                continue
            item = ShapeItem(annotation, color_of(annotation.label))
            item.view_scale = self.view_scale
            item.change = self.changes.get(annotation_id)
            if current is not None:
                dirty.append(current.outline_rect())
                item.selected = current.selected
                if current.scene() is self:
                    self.removeItem(current)
                    self.addItem(item)
            dirty.append(item.outline_rect())
            self.shapes[annotation_id] = item
        if dirty:
            self.layer.rebuild()
            for rect in dirty:
                self.layer.invalidate(rect)

    def set_changes(self, changes: dict[int, str]) -> None:
        """Mark shapes "added" or "changed" (annotation id -> kind); others are unmarked."""
        self.changes = dict(changes)
        for annotation_id, shape in self.shapes.items():
            shape.change = self.changes.get(annotation_id)
            shape.update()
        self.layer.update()

    def set_selection(self, ids: set[int]) -> None:
        """Lift selected shapes out of the cached layer into live items on top."""
        for annotation_id, shape in self.shapes.items():
            selected = annotation_id in ids
            if selected == shape.selected:
                continue
            shape.selected = selected
            if selected and shape.shown:
                self.addItem(shape)
            elif shape.scene() is self:
                self.removeItem(shape)
            self.layer.invalidate(shape.outline_rect())

    def set_shown(self, annotation_id: int, shown: bool) -> None:
        shape = self.shapes[annotation_id]
        if shape.shown == shown:
            return
        shape.shown = shown
        if shape.selected:
            if shown and shape.scene() is not self:
                self.addItem(shape)
            elif not shown and shape.scene() is self:
                self.removeItem(shape)
        self.layer.invalidate(shape.outline_rect())

    def set_view_scale(self, scale: float) -> None:
        if math.isclose(scale, self.view_scale):
            return
        self.view_scale = scale
        self.draft.view_scale = scale
        self.layer.prepareGeometryChange()
        for item in self.shapes.values():
            item.set_view_scale(scale)

    def shape_at(self, pos: QPointF, editable_only: bool = False) -> ShapeItem | None:
        """The topmost shown shape under ``pos``; lines and points first (they cannot be
        clicked anywhere else, unlike the inside of an area round them), then selected
        shapes, then the one on top."""
        probe = QRectF(pos.x(), pos.y(), 0, 0)
        hits = [self.shapes[i] for i in self.layer.ids_in(probe)]
        hits = [s for s in hits if s.shown and s.contains(pos)]
        if editable_only:
            hits = [s for s in hits if not s.annotation.locked]
        hits.sort(key=lambda s: (s.annotation.kind in _THIN, s.selected, s.zValue()),
                  reverse=True)
        return hits[0] if hits else None


_THIN = frozenset({"polyline", "point"})


class CanvasView(QGraphicsView):
    """Zoom (wheel, keys, fit, 1:1) and pan (space-drag, middle button); tools get the rest."""

    zoomChanged = Signal(float)
    cursorMoved = Signal(QPointF)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.setAccessibleName(self.tr("Image canvas"))
        self.canvas_scene = CanvasScene(self)
        self.setScene(self.canvas_scene)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(QColor("#2b2b2b"))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.tool_handler: object | None = None
        self._space = False
        self._pan_from: QPointF | None = None
        #: Zoom limits and the zoom-to-shape cap, in screen pixels per scene unit
        #: (an image pixel; a metre in the bird's-eye view, see :meth:`use_metres`).
        self.max_scale = MAX_SCALE
        self.zoom_cap = 8.0
        self.empty_margin = 50.0

    def use_metres(self, metres: bool) -> None:
        """Scene units are metres (bird's-eye view) or image pixels."""
        self.max_scale, self.zoom_cap, self.empty_margin = (
            (1000.0, 250.0, 5.0) if metres else (MAX_SCALE, 8.0, 50.0))
        self.setAccessibleName(self.tr("Bird's-eye view") if metres else self.tr("Image canvas"))
        # One canvas, two roles: found as ``bevView`` while it shows a point-cloud tile.
        self.setObjectName("bevView" if metres else "canvas")

    # -- zoom ------------------------------------------------------------------

    @property
    def scale_factor(self) -> float:
        return float(self.transform().m11())

    def set_scale(self, scale: float) -> None:
        scale = min(max(scale, MIN_SCALE), self.max_scale)
        factor = scale / self.scale_factor
        if not math.isclose(factor, 1.0):
            self.scale(factor, factor)
        self.canvas_scene.set_view_scale(self.scale_factor)
        self.zoomChanged.emit(self.scale_factor)

    def zoom_by(self, factor: float) -> None:
        self.set_scale(self.scale_factor * factor)

    def fit(self) -> None:
        rect = self.sceneRect()
        view = self.viewport().rect()
        if rect.isEmpty() or view.isEmpty():
            return
        scale = min(view.width() / rect.width(), view.height() / rect.height()) * 0.98
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.set_scale(scale)
        self.centerOn(rect.center())
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)

    def actual_size(self) -> None:
        self.set_scale(1.0)

    def zoom_to(self, rect: QRectF) -> None:
        view = self.viewport().rect()
        if rect.isEmpty():
            margin = self.empty_margin
            rect = rect.adjusted(-margin, -margin, margin, margin)
        scale = min(view.width() / rect.width(), view.height() / rect.height()) * 0.6
        self.set_scale(min(scale, self.zoom_cap))
        self.centerOn(rect.center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25**steps)
        event.accept()

    # -- pan and tool dispatch ------------------------------------------------------

    def _scene_pos(self, event: QMouseEvent) -> QPointF:
        return self.mapToScene(event.position().toPoint())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        tool = self.tool_handler
        if tool is not None and tool.press(self._scene_pos(event), event):  # type: ignore[attr-defined]
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))
            return
        pos = self._scene_pos(event)
        self.cursorMoved.emit(pos)
        tool = self.tool_handler
        if tool is not None and tool.move(pos, event):  # type: ignore[attr-defined]
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (
                Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        tool = self.tool_handler
        if tool is not None and tool.release(self._scene_pos(event), event):  # type: ignore[attr-defined]
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        tool = self.tool_handler
        if tool is not None and tool.double_click(self._scene_pos(event), event):  # type: ignore[attr-defined]
            return
        super().mouseDoubleClickEvent(event)

    def event(self, event: QEvent) -> bool:
        # A key the tool wants now (Backspace while drawing) goes to the tool, not to
        # the window shortcut bound to it (Backspace deletes the selection).
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            tool = self.tool_handler
            if tool is not None and tool.wants_key(event):  # type: ignore[attr-defined]
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        tool = self.tool_handler
        if tool is not None and tool.key(event):  # type: ignore[attr-defined]
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)
