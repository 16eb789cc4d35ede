"""The editing session on one item: selection, current class, tool, clipboard.

This is view state only (what is selected, which tool is active).  Every
change to annotations goes through :class:`ProjectAdapter.push` as a command;
the canvas redraws from the store when the adapter says the item changed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtWidgets import QGraphicsItem

from annotator.commands import (
    AddAnnotations,
    ChangeAnnotations,
    Command,
    CompositeCommand,
    DeleteAnnotations,
    change_attributes,
    change_class,
    set_flags,
    set_geometry,
    translate,
)
from annotator.errors import AnnotatorError
from annotator.geometry.cuboid import fit_cuboid, ground_height, points_in_cuboid
from annotator.media.pointcloud import PointCloud
from annotator.media.pyramid import ImageSource
from annotator.model import Annotation, Geometry, Item, LabelSchema
from annotator.shapes import Cuboid, Polygon, Polyline, RotatedBox
from annotator.ui.adapter import ProjectAdapter
from annotator.ui.canvas import CanvasView, ImageLayer, ShapeItem, shape_path
from annotator.ui.cloud_frame import NUDGE_METRES, CloudFrame
from annotator.ui.map_editing import KINDS_3D_OF, MapEditing
from annotator.ui.tiles import TileLoader
from annotator.ui.tools import TOOLS, Tool

__all__ = ["DEFAULT_HEIGHT", "Editor"]

#: Height in metres of a cuboid drawn where there are no points to fit.
DEFAULT_HEIGHT = 1.5


class Editor(QObject):
    """Owns the tools and applies their results to the current item."""

    selectionChanged = Signal(list)
    classChanged = Signal(str)
    toolChanged = Signal(str)
    itemOpened = Signal(int)
    statusMessage = Signal(str)
    imageFailed = Signal(str)
    #: A point-cloud item was opened: its tile is wanted (the workspace loads it).
    cloudWanted = Signal(object)

    def __init__(self, adapter: ProjectAdapter, view: CanvasView, loader: TileLoader) -> None:
        super().__init__(view)
        self.adapter = adapter
        self.view = view
        self.scene = view.canvas_scene
        self.loader = loader
        self.item: Item | None = None
        self.selection: list[int] = []
        self.selected_vertex: tuple[int, int] | None = None
        self.current_class: str = self.schema.classes[0].name
        self.hidden_classes: set[str] = set()
        self.locked_classes: set[str] = set()
        self.clipboard: list[Annotation] = []
        self.tools: dict[str, Tool] = {name: cls(self) for name, cls in TOOLS.items()}
        self.tool: Tool = self.tools["select"]
        self.last_drawing: tuple[str, str] | None = None
        #: The bird's-eye scene of the open point-cloud tile, once it is loaded.
        self.frame: CloudFrame | None = None
        self.cloud: PointCloud | None = None
        self._stored: dict[int, Annotation] = {}
        #: heights, snapping and lanelets of map features on point-cloud tiles
        self.maps = MapEditing(self)
        #: Moves a clicked polygon/polyline vertex on an image (edge snapping), when set.
        self.vertex_snapper: Callable[[QPointF], QPointF] | None = None
        self.view.tool_handler = self
        adapter.annotationsChanged.connect(self._on_adapter_annotations_changed)

    @property
    def schema(self) -> LabelSchema:
        return self.adapter.project.schema

    # -- the canvas calls these (the active tool does the work) -------------------

    def press(self, pos: QPointF, event: object) -> bool:
        return self.item is not None and self.tool.press(pos, event)  # type: ignore[arg-type]

    def move(self, pos: QPointF, event: object) -> bool:
        return self.item is not None and self.tool.move(pos, event)  # type: ignore[arg-type]

    def release(self, pos: QPointF, event: object) -> bool:
        return self.item is not None and self.tool.release(pos, event)  # type: ignore[arg-type]

    def double_click(self, pos: QPointF, event: object) -> bool:
        return self.item is not None and self.tool.double_click(pos, event)  # type: ignore[arg-type]

    def key(self, event: object) -> bool:
        return self.item is not None and self.tool.key(event)  # type: ignore[arg-type]

    def wants_key(self, event: object) -> bool:
        return self.item is not None and self.tool.wants_key(event)  # type: ignore[arg-type]

    # -- items -------------------------------------------------------------------------

    def open_item(self, item: Item) -> None:
        self.tool.cancel()
        self.item = item
        self.selection = []
        self.selected_vertex = None
        self.scene.clear_shapes()
        self.frame, self.cloud = None, None
        self._stored = {}
        self.maps.tile_opened()
        self.scene.set_backdrop(None, None)
        self.view.use_metres(item.kind == "pointcloud")
        if item.kind == "pointcloud":
            self.scene.set_image(None, 1, 1)
            self.refresh()
            self.selectionChanged.emit([])
            self.itemOpened.emit(int(item.id or 0))
            self.cloudWanted.emit(item)
            return
        path = str(self.adapter.project.resolve(item))
        try:
            source = self.loader.source(path)
        except AnnotatorError as exc:
            self.scene.set_image(None, item.width or 1, item.height or 1)
            self.imageFailed.emit(str(exc))
        else:
            self.scene.set_image(ImageLayer(source, self.loader), source.width, source.height)
        self.refresh()
        self.reset_view()
        self.selectionChanged.emit([])
        self.itemOpened.emit(int(item.id or 0))

    def show_cloud(self, cloud: PointCloud, frame: CloudFrame, backdrop: QGraphicsItem,
                   rect: QRectF) -> None:
        """The open point-cloud tile is loaded: show its bird's-eye view and shapes."""
        self.frame, self.cloud = frame, cloud
        self.maps.tile_opened()
        self.scene.set_backdrop(backdrop, rect)
        self.refresh()
        self.reset_view()

    def reset_view(self) -> None:
        """The first view of an item: fit, unless fitting would decode a huge file."""
        layer = self.scene.image
        if layer is not None and self._fit_is_costly(layer.source):
            # Fit would decode the whole file to build its overview; open at
            # 1:1 on the centre instead (F still fits, building it in the background).
            self.view.actual_size()
            self.view.centerOn(layer.source.width / 2, layer.source.height / 2)
            self.status(self.tr("Large image without overviews: shown at 1:1; press F to fit"))
        else:
            self.view.fit()

    def _fit_is_costly(self, source: ImageSource) -> bool:
        view = self.view.viewport().rect()
        scale = min(view.width() / source.width, view.height() / source.height)
        level = source.level_for_scale(min(scale, 1.0))
        if level == 0 or source.storage == "memory" or level in source.stored_levels:
            return False
        columns, rows = source.tile_grid(0)
        return columns * rows > 1024

    def refresh(self) -> None:
        if self.item is None:
            return
        annotations = self.adapter.annotations(int(self.item.id or 0))
        if self.item.kind == "pointcloud":
            frame = self.frame
            self._stored = {int(a.id or 0): a for a in annotations}
            annotations = ([] if frame is None else
                           [frame.to_scene(a) for a in annotations if frame.shows(a)])
        self.scene.set_shapes(annotations, self.color_of)
        for annotation_id, shape in self.scene.shapes.items():
            self.scene.set_shown(annotation_id, not shape.annotation.hidden
                                 and shape.annotation.label not in self.hidden_classes)
        self.scene.set_selection(set(self.selection))
        kept = [i for i in self.selection if i in self.scene.shapes]
        if kept != self.selection:
            self.selection = kept
            self.selectionChanged.emit(list(kept))

    def _on_adapter_annotations_changed(self, item_id: int) -> None:
        if self.item is not None and item_id == self.item.id:
            self.refresh()

    def annotations(self) -> list[Annotation]:
        """The shapes of the open item, as stored (cuboids in world coordinates)."""
        return [self.stored(s.annotation) for s in sorted(
            self.scene.shapes.values(), key=lambda s: (s.zValue(), s.annotation_id))]

    @property
    def tile_shapes(self) -> dict[int, Annotation]:
        """The open tile's annotations as stored (world coordinates), by id; empty on images."""
        return self._stored

    def stored(self, shown: Annotation) -> Annotation:
        """The stored form of a shape the canvas shows (a cuboid for its footprint)."""
        if self.frame is None:
            return shown
        return self._stored.get(int(shown.id or 0), shown)

    # -- classes, colours, tools --------------------------------------------------------

    def color_of(self, label: str) -> str:
        return self.schema.get(label).color if label in self.schema else "#999999"

    def current_color(self) -> str:
        return self.color_of(self.current_class)

    def set_class(self, name: str) -> None:
        if name in self.schema and name != self.current_class:
            self.current_class = name
            self.classChanged.emit(name)

    def set_tool(self, name: str) -> None:
        self.tool.cancel()
        self.tool = self.tools[name]
        if name == "lanelet" and "lanelet" in self.schema:
            self.set_class("lanelet")
        if name != "select" and self.tool.kind:
            self.last_drawing = (name, self.current_class)
            allowed = self.schema.get(self.current_class).kinds
            on_cloud = self.item is not None and self.item.kind == "pointcloud"
            if self.tool.kind not in allowed and not (
                    on_cloud and KINDS_3D_OF.get(self.tool.kind) in allowed):
                self.status(self.tr("Class %s does not allow %s; pick another class") % (
                    self.current_class, self.tool.kind.replace("_", " ")))
        self.toolChanged.emit(name)

    def repeat_last(self) -> None:
        """CVAT's N: the last drawing tool again, with the class it drew."""
        if self.last_drawing is None:
            self.status(self.tr("Nothing drawn yet to repeat"))
            return
        tool, label = self.last_drawing
        self.set_class(label)
        self.set_tool(tool)

    def is_locked(self, shape: ShapeItem) -> bool:
        return shape.annotation.locked or shape.annotation.label in self.locked_classes

    def is_editable(self, shape: ShapeItem) -> bool:
        """Shapes the mouse and keys may change: shown and not locked."""
        return shape.shown and not self.is_locked(shape)

    def status(self, message: str) -> None:
        self.statusMessage.emit(message)

    # -- selection -------------------------------------------------------------------------

    def select(self, ids: list[int]) -> None:
        ids = [i for i in ids if i in self.scene.shapes]
        if ids == self.selection:
            return
        self.selection = ids
        self.selected_vertex = None
        self.scene.set_selection(set(ids))
        self.selectionChanged.emit(list(ids))

    def toggle(self, annotation_id: int) -> None:
        ids = list(self.selection)
        if annotation_id in ids:
            ids.remove(annotation_id)
        else:
            ids.append(annotation_id)
        self.select(ids)

    def selected(self, editable: bool = False) -> list[Annotation]:
        shapes = [self.scene.shapes[i] for i in self.selection if i in self.scene.shapes]
        return [self.stored(s.annotation) for s in shapes if not editable or self.is_editable(s)]

    def zoom_to_selection(self) -> None:
        shapes = [self.scene.shapes[i] for i in self.selection if i in self.scene.shapes]
        if shapes:
            rect = shapes[0].path.boundingRect()
            for shape in shapes[1:]:
                rect = rect.united(shape.path.boundingRect())
            self.view.zoom_to(rect)

    # -- edits ------------------------------------------------------------------------------

    def clamp(self, pos: QPointF) -> QPointF:
        rect = self.scene.sceneRect()
        return QPointF(min(max(pos.x(), rect.left()), rect.right()),
                       min(max(pos.y(), rect.top()), rect.bottom()))

    def snap(self, pos: QPointF, exclude: int | None = None) -> QPointF:
        """``pos``, snapped onto a map feature when drawing or moving map lines on a tile."""
        if self.frame is None or self.tool.name not in ("polyline", "polygon", "select"):
            return pos
        return self.maps.snap(pos, exclude)

    def snap_vertex(self, pos: QPointF) -> QPointF:
        """A clicked vertex: onto a map feature on a tile, onto an image edge when snapping."""
        if (self.frame is None and self.vertex_snapper is not None
                and self.tool.name in ("polygon", "polyline")):
            return self.vertex_snapper(pos)
        return self.snap(pos)

    def push(self, command: Command) -> Command | None:
        if self.frame is not None:
            command = self.maps.with_dependents(self._to_store(command))
            if isinstance(command, CompositeCommand) and not command.commands:
                self.refresh()  # nothing changes (a lanelet follows its boundaries)
                return None
        done = self.adapter.push(command)
        if done is None:
            self.refresh()  # drop any preview of the refused edit
        return done

    def _to_store(self, command: Command) -> Command:
        """A command made on footprints in the bird's-eye view, made on the stored cuboids."""
        frame = self.frame
        assert frame is not None
        if isinstance(command, ChangeAnnotations):
            before = [self._stored.get(int(a.id or 0), a) for a in command.before]
            after = [frame.to_store(a, self._stored.get(int(a.id or 0)), self.maps.heights)
                     for a in command.after]
            return ChangeAnnotations(before, after, command.label, command.merge_key)
        if isinstance(command, DeleteAnnotations):
            return DeleteAnnotations([self._stored.get(int(a.id or 0), a)
                                      for a in command.annotations], command.label)
        if isinstance(command, CompositeCommand):
            return CompositeCommand([self._to_store(c) for c in command.commands],
                                    command.label)
        return command

    def add_shape(self, geometry: Geometry) -> None:
        if self.item is None:
            return
        label_class = self.schema.get(self.current_class)
        on_cloud = self.item.kind == "pointcloud" and geometry.dim == 2
        kind = KINDS_3D_OF.get(geometry.kind, geometry.kind) if on_cloud else geometry.kind
        if on_cloud and (kind == geometry.kind or self.frame is None or self.cloud is None):
            self.status(self.tr("On a point-cloud tile, draw cuboids (U), map lines (L), "
                                "areas (P) and points (T) in the bird's-eye view"))
            return
        if not label_class.allows(kind):
            self.status(self.tr("Class %s does not allow %s shapes") % (
                label_class.name, kind.replace("_", " ")))
            return
        if on_cloud:
            try:
                geometry = self.maps.to_3d(geometry)
            except AnnotatorError as exc:
                self.status(str(exc))
                return
        annotation = Annotation(None, int(self.item.id or 0), label_class.name, geometry,
                                label_class.default_attributes(), self.adapter.project.user.name)
        done = self.push(AddAnnotations([annotation]))
        if isinstance(done, AddAnnotations):
            self.last_drawing = (self.tool.name, label_class.name)
            self.select([int(a.id or 0) for a in done.annotations])

    def add_cuboid(self, footprint: RotatedBox, free_heading: bool) -> None:
        """A cuboid from a footprint drawn in the bird's-eye view, fitted to the points.

        ``free_heading``: the footprint was dragged axis-aligned, so the fit
        finds the heading; otherwise it stays near the drawn one.
        """
        frame, cloud = self.frame, self.cloud
        if self.item is None:
            return
        if frame is None or cloud is None:
            self.status(self.tr("Cuboids are drawn in the bird's-eye view of a point-cloud tile"))
            return
        if footprint.width < 0.05 or footprint.height < 0.05:
            self.status(self.tr("Drag round an object, or click two corners and a side"))
            return
        x, y = frame.world_xy(footprint.cx, footprint.cy)
        fitted = _fit(cloud, (x, y), footprint.width, footprint.height, -footprint.angle,
                      free_heading)
        if fitted is None:
            ground = ground_height(cloud, x, y)
            if ground is None:
                self.status(self.tr("No points there: draw the cuboid round an object"))
                return
            fitted = Cuboid(np.array([x, y, ground + DEFAULT_HEIGHT / 2]),
                            np.array([footprint.width, footprint.height, DEFAULT_HEIGHT]),
                            -footprint.angle)
            self.status(self.tr("No points above the ground there: the cuboid stands on the "
                                "ground, %.1f m high") % DEFAULT_HEIGHT)
        self.add_shape(fitted)

    def preview(self, shape: ShapeItem, geometry: Geometry) -> None:
        """Show a shape with ``geometry`` while a drag is in progress (not stored)."""
        shape.prepareGeometryChange()
        shape.path = shape_path(geometry)
        shape.update()

    def delete(self) -> None:
        if self.selected_vertex is not None:
            annotation_id, index = self.selected_vertex
            shape = self.scene.shapes.get(annotation_id)
            if shape is not None and self._delete_vertex(shape, index):
                return
        shapes = self.selected(editable=True)
        if shapes:
            self.push(DeleteAnnotations(shapes))

    def _delete_vertex(self, shape: ShapeItem, index: int) -> bool:
        geometry = shape.annotation.geometry
        self.selected_vertex = None
        if shape.annotation.kind not in ("polygon", "polyline"):
            return False
        vertices = np.delete(geometry.vertices, index, axis=0)
        try:
            if shape.annotation.kind == "polygon":
                shell_size = len(geometry.shell)  # type: ignore[attr-defined]
                if index >= shell_size:
                    return False
                rebuilt: Geometry = Polygon(vertices[:shell_size - 1],
                                            geometry.holes)  # type: ignore[attr-defined]
            else:
                rebuilt = Polyline(vertices)
        except AnnotatorError as exc:
            self.status(str(exc))
            return True
        self.push(set_geometry(shape.annotation, rebuilt, label="Delete vertex"))
        return True

    def nudge(self, dx: float, dy: float) -> None:
        """Move the selection by ``dx, dy`` pixels (in the bird's-eye view: 5 cm steps)."""
        shapes = self.selected(editable=True)
        if shapes:
            key = "nudge:" + ",".join(str(a.id) for a in shapes)
            offset = ([dx * NUDGE_METRES, -dy * NUDGE_METRES] if self.frame is not None
                      else [dx, dy])
            self.push(translate(shapes, offset, merge_key=key))

    def rotate(self, step: float) -> None:
        """Turn the selected rotated boxes and cuboids by ``step`` radians, counter-clockwise
        as seen on the screen (consecutive presses are one undo step)."""
        shapes = [a for a in self.selected(editable=True)
                  if isinstance(a.geometry, RotatedBox | Cuboid)]
        if not shapes:
            return
        after = []
        for annotation in shapes:
            geometry = annotation.geometry
            turned: Geometry
            if isinstance(geometry, RotatedBox):
                turned = dataclasses.replace(geometry, angle=geometry.angle - step)
            else:
                assert isinstance(geometry, Cuboid)
                turned = Cuboid(geometry.center, geometry.size, geometry.yaw + step)
            after.append(dataclasses.replace(annotation, geometry=turned))
        key = "rotate:" + ",".join(str(a.id) for a in shapes)
        self.push(ChangeAnnotations(shapes, after, f"Rotate {len(shapes)} shape(s)", key))

    def copy(self) -> None:
        self.clipboard = self.selected()
        if self.clipboard:
            self.status(self.tr("Copied %d shape(s)") % len(self.clipboard))

    def paste(self, offset: float = 0.0) -> None:
        if self.item is None or not self.clipboard:
            return
        same_item = all(a.item_id == self.item.id for a in self.clipboard)
        shift = offset if same_item else 0.0
        step = ([shift * NUDGE_METRES, -shift * NUDGE_METRES] if self.frame is not None
                else [shift, shift])
        fresh = [dataclasses.replace(a, id=None, item_id=int(self.item.id or 0),
                                     geometry=a.geometry.translated(step),
                                     author=self.adapter.project.user.name, created_at="",
                                     hidden=False, locked=False)
                 for a in self.clipboard]
        done = self.push(AddAnnotations(fresh, label=f"Paste {len(fresh)} shape(s)"))
        if isinstance(done, AddAnnotations):
            self.select([int(a.id or 0) for a in done.annotations])

    def duplicate(self) -> None:
        saved = self.clipboard
        self.copy()
        self.paste(offset=10.0)
        self.clipboard = saved

    def change_class(self, name: str) -> None:
        shapes = self.selected(editable=True)
        if not shapes:
            return
        target = self.schema.get(name)
        refused = [a for a in shapes if not target.allows(a.kind)]
        if refused:
            self.status(self.tr("Class %s does not allow %s shapes") % (
                name, refused[0].kind.replace("_", " ")))
            return
        self.push(change_class(shapes, name))

    def set_attribute(self, name: str, value: object) -> None:
        shapes = self.selected(editable=True)
        if shapes and any(a.attributes.get(name) != value for a in shapes):
            self.push(change_attributes(shapes, {name: value}))

    def toggle_hidden(self) -> None:
        shapes = self.selected()
        if shapes:
            self.push(set_flags(shapes, hidden=not shapes[0].hidden))

    def toggle_locked(self) -> None:
        shapes = self.selected()
        if shapes:
            self.push(set_flags(shapes, locked=not shapes[0].locked))

    def show_all(self) -> None:
        hidden = [s.annotation for s in self.scene.shapes.values() if s.annotation.hidden]
        if hidden:
            self.push(set_flags(hidden, hidden=False))

    def restack(self, to_front: bool) -> None:
        shapes = self.selected(editable=True)
        if not shapes:
            return
        zs = [a.z for a in self.annotations()]
        z = (max(zs) + 1) if to_front else (min(zs) - 1)
        self.push(set_flags(shapes, z=z))

    def copy_from_previous(self, previous: Item | None) -> None:
        if self.item is None or previous is None:
            return
        source = self.adapter.annotations(int(previous.id or 0))
        if not source:
            self.status(self.tr("The previous item has no shapes to copy"))
            return
        fresh = [dataclasses.replace(a, id=None, item_id=int(self.item.id or 0),
                                     author=self.adapter.project.user.name, created_at="")
                 for a in source]
        done = self.push(AddAnnotations(fresh, label=f"Copy {len(fresh)} shape(s) from previous"))
        if isinstance(done, AddAnnotations):
            self.select([int(a.id or 0) for a in done.annotations])


def _fit(cloud: PointCloud, centre: tuple[float, float], length: float, width: float,
         yaw: float, free_heading: bool) -> Cuboid | None:
    """The fitted cuboid of the object in a drawn footprint; the length runs along the
    longer side.

    With a free heading (an axis-aligned drag round an object at any angle),
    the heading comes first from the smallest rectangle round the object's
    points (above the ground, inside the drag), then the fit refines it.
    """
    if not free_heading:
        return fit_cuboid(cloud, centre, length, width, yaw)
    upright = fit_cuboid(cloud, centre, length, width, yaw, refine_yaw=False)
    if upright is None:
        return None
    inside = cloud.world(points_in_cuboid(cloud, upright))
    bottom = float(upright.center[0, 2] - upright.size[0, 2] / 2)
    above = inside[inside[:, 2] > bottom + 0.2]
    if len(above) < 20:
        return upright
    origin = above[:, :2].mean(axis=0)
    (cx, cy), (w, h), angle = cv2.minAreaRect((above[:, :2] - origin).astype(np.float32))
    heading = math.radians(angle) if w >= h else math.radians(angle) + math.pi / 2
    side_a, side_b = max(w, h), min(w, h)
    fitted = fit_cuboid(cloud, (float(cx + origin[0]), float(cy + origin[1])), side_a, side_b,
                        heading)
    if fitted is None:
        return upright
    size = fitted.size[0]
    if size[1] > size[0]:
        fitted = Cuboid(fitted.center, np.array([size[1], size[0], size[2]]),
                        fitted.yaw + math.pi / 2)
    return fitted
