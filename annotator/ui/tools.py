"""Drawing and editing tools: mouse and key gestures turned into commands.

A tool keeps only the gesture in progress (the draft); everything it makes is
handed to the editor as one command, committed at once.  Each tool is bound
to a QAction with a shortcut by the main window.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent

from annotator.commands import move_vertices, set_geometry, translate
from annotator.errors import AnnotatorError
from annotator.model import Geometry
from annotator.shapes import Box, Point, Polygon, Polyline, RotatedBox
from annotator.ui.canvas import ShapeItem

if TYPE_CHECKING:
    from annotator.ui.editor import Editor

__all__ = ["TOOLS", "BoxTool", "CuboidTool", "LaneletTool", "PointTool", "PolygonTool",
           "PolylineTool", "RotatedBoxTool", "SelectTool", "Tool"]

_LEFT = Qt.MouseButton.LeftButton

#: The tools speak through the editor's status line, so their texts are filed under its
#: translation context ("Editor"); ``self.editor.tr(...)`` would hide them from lupdate.


class Tool:
    """Base: ignores everything; subclasses handle what they need."""

    name = ""
    kind = ""  # the geometry kind a drawing tool makes

    def __init__(self, editor: Editor) -> None:
        self.editor = editor

    def press(self, pos: QPointF, event: QMouseEvent) -> bool:
        return False

    def move(self, pos: QPointF, event: QMouseEvent) -> bool:
        return False

    def release(self, pos: QPointF, event: QMouseEvent) -> bool:
        return False

    def double_click(self, pos: QPointF, event: QMouseEvent) -> bool:
        return False

    def key(self, event: QKeyEvent) -> bool:
        return False

    def wants_key(self, event: QKeyEvent) -> bool:
        """Whether :meth:`key` should get ``event`` before a window shortcut bound to it."""
        return False

    def cancel(self) -> None:
        """Drop the gesture in progress (Esc, tool or item change)."""

    def _draft(self, points: list[QPointF], cursor: QPointF | None, closed: bool) -> None:
        self.editor.scene.draft.set(points, cursor, closed, self.editor.current_color())

    def _finish(self, geometry: Geometry) -> None:
        self.editor.add_shape(geometry)


class _ClickTool(Tool):
    """Tools built from clicked vertices: polygon, polyline, rotated box."""

    closed = False
    minimum = 2
    maximum: int | None = None

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        self.points: list[QPointF] = []

    def press(self, pos: QPointF, event: QMouseEvent) -> bool:
        if event.button() != _LEFT:
            return False
        if self.closed and len(self.points) >= self.minimum and self._near_first(pos):
            self.complete()
            return True
        self.points.append(self.editor.snap_vertex(self.editor.clamp(pos)))
        if self.maximum is not None and len(self.points) >= self.maximum:
            self.complete()
        else:
            self._draft(self.points, pos, self.closed)
        return True

    def _near_first(self, pos: QPointF) -> bool:
        first = self.points[0]
        reach = 10 / self.editor.scene.view_scale
        return math.hypot(first.x() - pos.x(), first.y() - pos.y()) <= reach

    def move(self, pos: QPointF, event: QMouseEvent) -> bool:
        if self.points:
            self._draft(self.points, self.editor.snap(self.editor.clamp(pos)), self.closed)
            return True
        return False

    def double_click(self, pos: QPointF, event: QMouseEvent) -> bool:
        # The press of a double click already added this vertex; finish here.
        if self.points:
            self.complete()
            return True
        return False

    def wants_key(self, event: QKeyEvent) -> bool:
        return event.key() == Qt.Key.Key_Backspace and bool(self.points)

    def key(self, event: QKeyEvent) -> bool:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.points:
            self.complete()
            return True
        if event.key() == Qt.Key.Key_Backspace and self.points:
            self.points.pop()
            self._draft(self.points, None, self.closed)
            return True
        if event.key() == Qt.Key.Key_Escape and self.points:
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        self.points = []
        self._draft([], None, False)

    def complete(self) -> None:
        points = _dedupe(self.points)
        self.cancel()
        if len(points) < self.minimum:
            self.editor.status(QCoreApplication.translate(
                "Editor", "Too few points: a %s needs %d") % (
                self.kind.replace("_", " "), self.minimum))
            return
        self._finish(self.make(np.array([[p.x(), p.y()] for p in points])))

    def make(self, points: np.ndarray) -> Geometry:
        raise NotImplementedError


def _dedupe(points: list[QPointF]) -> list[QPointF]:
    kept: list[QPointF] = []
    for point in points:
        if not kept or (point - kept[-1]).manhattanLength() > 1e-9:
            kept.append(point)
    return kept


class PolygonTool(_ClickTool):
    name, kind, closed, minimum = "polygon", "polygon", True, 3

    def make(self, points: np.ndarray) -> Geometry:
        return Polygon(points)


class PolylineTool(_ClickTool):
    name, kind, minimum = "polyline", "polyline", 2

    def make(self, points: np.ndarray) -> Geometry:
        return Polyline(points)


class RotatedBoxTool(_ClickTool):
    """Two clicks set one edge (length and angle), a third sets the depth."""

    name, kind, minimum, maximum = "rotated_box", "rotated_box", 3, 3

    def _draft(self, points: list[QPointF], cursor: QPointF | None, closed: bool) -> None:
        if len(points) == 2 and cursor is not None:
            corners = self._corners(points[0], points[1], cursor)
            super()._draft(corners, None, True)
        else:
            super()._draft(points, cursor, closed)

    @staticmethod
    def _corners(a: QPointF, b: QPointF, c: QPointF) -> list[QPointF]:
        edge = np.array([b.x() - a.x(), b.y() - a.y()])
        normal = np.array([-edge[1], edge[0]]) / max(float(np.hypot(*edge)), 1e-9)
        depth = float(np.dot([c.x() - b.x(), c.y() - b.y()], normal))
        offset = QPointF(*(normal * depth))
        return [a, b, b + offset, a + offset]

    def make(self, points: np.ndarray) -> Geometry:
        a, b, c = (QPointF(*p) for p in points)
        corners = self._corners(a, b, c)
        array = np.array([[p.x(), p.y()] for p in corners])
        template = RotatedBox(0.0, 0.0, 1.0, 1.0, 0.0)
        return template.with_vertices(array)


class CuboidTool(RotatedBoxTool):
    """A cuboid from its footprint in the bird's-eye view, fitted to the points inside.

    Drag a rectangle round an object (the fit then finds its heading), or
    click like the rotated box tool: two clicks along one side set the
    heading, a third the width.  Height, z and a tight outline come from the
    points inside, above the local ground.
    """

    name, kind = "cuboid", "cuboid"

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        self.drag_from: QPointF | None = None
        self.dragging = False

    def press(self, pos: QPointF, event: QMouseEvent) -> bool:
        if event.button() == _LEFT and not self.points:
            self.drag_from, self.dragging = self.editor.clamp(pos), False
        return super().press(pos, event)

    def move(self, pos: QPointF, event: QMouseEvent) -> bool:
        start = self.drag_from
        # drag_from is set only between the press and release of the first corner.
        if start is not None and len(self.points) == 1:
            end = self.editor.clamp(pos)
            if (end - start).manhattanLength() * self.editor.scene.view_scale > 6:
                self.dragging = True
            if self.dragging:
                Tool._draft(self, [start, QPointF(end.x(), start.y()), end,
                                   QPointF(start.x(), end.y())], None, True)
                return True
        return super().move(pos, event)

    def release(self, pos: QPointF, event: QMouseEvent) -> bool:
        start, dragging = self.drag_from, self.dragging
        self.drag_from, self.dragging = None, False
        if event.button() != _LEFT or start is None or not dragging:
            return False
        end = self.editor.clamp(pos)
        self.cancel()
        footprint = RotatedBox((start.x() + end.x()) / 2, (start.y() + end.y()) / 2,
                               abs(end.x() - start.x()), abs(end.y() - start.y()), 0.0)
        self.editor.add_cuboid(footprint, free_heading=True)
        return True

    def cancel(self) -> None:
        self.drag_from, self.dragging = None, False
        super().cancel()

    def _finish(self, geometry: Geometry) -> None:
        assert isinstance(geometry, RotatedBox)
        self.editor.add_cuboid(geometry, free_heading=False)


class BoxTool(Tool):
    """Press, drag, release: one box."""

    name = kind = "box"

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        self.start: QPointF | None = None

    def press(self, pos: QPointF, event: QMouseEvent) -> bool:
        if event.button() != _LEFT:
            return False
        self.start = self.editor.clamp(pos)
        return True

    def move(self, pos: QPointF, event: QMouseEvent) -> bool:
        if self.start is None:
            return False
        end = self.editor.clamp(pos)
        corners = [self.start, QPointF(end.x(), self.start.y()), end,
                   QPointF(self.start.x(), end.y())]
        self._draft(corners, None, True)
        return True

    def release(self, pos: QPointF, event: QMouseEvent) -> bool:
        if self.start is None or event.button() != _LEFT:
            return False
        start, end = self.start, self.editor.clamp(pos)
        self.cancel()
        if abs(end.x() - start.x()) < 1 or abs(end.y() - start.y()) < 1:
            self.editor.status(QCoreApplication.translate(
                "Editor", "Drag to draw a box"))
            return True
        self._finish(Box.from_corners(start.x(), start.y(), end.x(), end.y()))
        return True

    def key(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Escape and self.start is not None:
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        self.start = None
        self._draft([], None, False)


class PointTool(Tool):
    name = kind = "point"

    def press(self, pos: QPointF, event: QMouseEvent) -> bool:
        if event.button() != _LEFT:
            return False
        point = self.editor.clamp(pos)
        self._finish(Point.at(point.x(), point.y()))
        return True


class SelectTool(Tool):
    """Select, move shapes, drag vertices, insert vertices on edges (double click)."""

    name = "select"

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        self.target: ShapeItem | None = None
        self.vertex: int | None = None
        self.origin: QPointF | None = None
        self.moved = False

    def press(self, pos: QPointF, event: QMouseEvent) -> bool:
        if event.button() != _LEFT:
            return False
        extend = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        scene = self.editor.scene
        for item in (scene.shapes.get(i) for i in self.editor.selection):
            if item is not None and self.editor.is_editable(item):
                vertex = item.vertex_at(pos)
                if vertex is not None and item.annotation.kind != "point":
                    self.target, self.vertex, self.origin = item, vertex, pos
                    self.editor.selected_vertex = (item.annotation_id, vertex)
                    return True
        item = scene.shape_at(pos)
        if item is None:
            if not extend:
                self.editor.select([])
            return True
        if extend:
            self.editor.toggle(item.annotation_id)
        elif item.annotation_id not in self.editor.selection:
            self.editor.select([item.annotation_id])
        if self.editor.is_editable(item):
            self.target, self.vertex, self.origin = item, None, pos
        self.editor.selected_vertex = None
        return True

    def move(self, pos: QPointF, event: QMouseEvent) -> bool:
        if self.target is None or self.origin is None:
            return False
        delta = pos - self.origin
        if not self.moved and delta.manhattanLength() * self.editor.scene.view_scale < 3:
            return True  # a click, not a drag yet
        self.moved = True
        if self.vertex is not None:
            try:
                preview = self.target.annotation.geometry.moved([self.vertex],
                                                               [delta.x(), delta.y()])
            except AnnotatorError:
                return True
            self.editor.preview(self.target, preview)
        else:
            for annotation_id in self.editor.selection:
                item = self.editor.scene.shapes.get(annotation_id)
                if item is not None and self.editor.is_editable(item):
                    item.setPos(delta)
        return True

    def release(self, pos: QPointF, event: QMouseEvent) -> bool:
        if self.target is None or self.origin is None:
            return False
        delta = pos - self.origin
        target, vertex, moved = self.target, self.vertex, self.moved
        self.target, self.vertex, self.origin, self.moved = None, None, None, False
        if not moved:
            return True
        gesture = f"drag:{uuid.uuid4().hex}"
        if vertex is not None:
            start = QPointF(*target.annotation.geometry.vertices[vertex, :2])
            delta = self.editor.snap(start + delta, exclude=target.annotation_id) - start
            self.editor.push(move_vertices(target.annotation, [vertex],
                                           [delta.x(), delta.y()], gesture))
        else:
            shapes = [self.editor.scene.shapes[i].annotation for i in self.editor.selection
                      if i in self.editor.scene.shapes
                      and self.editor.is_editable(self.editor.scene.shapes[i])]
            for i in self.editor.selection:
                if i in self.editor.scene.shapes:
                    self.editor.scene.shapes[i].setPos(0, 0)
            if shapes:
                self.editor.push(translate(shapes, [delta.x(), delta.y()], gesture))
        return True

    def double_click(self, pos: QPointF, event: QMouseEvent) -> bool:
        for annotation_id in self.editor.selection:
            item = self.editor.scene.shapes.get(annotation_id)
            if item is None or not self.editor.is_editable(item):
                continue
            after = item.edge_at(pos)
            if after is not None:
                geometry = item.annotation.geometry
                vertices = geometry.vertices[:, :2]
                count = len(geometry.shell) if isinstance(geometry, Polygon) else len(vertices)
                ring = np.insert(vertices[:count], after + 1, [pos.x(), pos.y()], axis=0)
                rebuilt: Geometry = (Polygon(ring, geometry.holes)
                                     if isinstance(geometry, Polygon) else Polyline(ring))
                self.editor.push(set_geometry(item.annotation, rebuilt, label="Insert vertex"))
                return True
        return False

    def cancel(self) -> None:
        if self.target is not None:
            for item in self.editor.scene.shapes.values():
                item.setPos(0, 0)
            self.editor.refresh()
        self.target, self.vertex, self.origin, self.moved = None, None, None, False


class LaneletTool(Tool):
    """A lanelet from two map lines: click the left boundary, then the right one."""

    name = "lanelet"
    kind = "polygon3d"

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        self.left: int | None = None

    def press(self, pos: QPointF, event: QMouseEvent) -> bool:
        if event.button() != _LEFT:
            return False
        maps = self.editor.maps
        line = maps.line_at(pos)
        if line is None:
            self.editor.status(QCoreApplication.translate(
                "Editor",
                "Click a lane boundary (a 3D line): the left one first, then the right"))
            return True
        if self.left is None:
            self.left = int(line.id or 0)
            self.editor.select([self.left])
            self.editor.status(QCoreApplication.translate(
                "Editor", "Left boundary picked; now click the right one (Esc: start again)"))
            return True
        left = self.editor.tile_shapes.get(self.left)
        self.left = None
        if left is not None:
            maps.make_lanelet(left, line)
        return True

    def key(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Escape and self.left is not None:
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        if self.left is not None:
            self.left = None
            self.editor.select([])


TOOLS: dict[str, type[Tool]] = {
    t.name: t for t in (SelectTool, BoxTool, RotatedBoxTool, PolygonTool, PolylineTool, PointTool,
                        CuboidTool, LaneletTool)
}
