"""Map features in the bird's-eye view: heights, snapping, lanelets.

The editor hands drawing and editing of map features (``polyline3d``,
``polygon3d``, ``point3d`` in world coordinates) to :class:`MapEditing`:

* **Heights.**  A line drawn in 2D follows the ground of the tile
  (:func:`annotator.geometry.lift.follow_ground`: densified, lifted, thinned
  to what the surface needs); a moved vertex gets the ground under its new
  spot, or keeps its height while heights are locked (G).  PageUp/PageDown
  raise or lower the selected vertex (or the selected features) by 1 cm,
  Shift by 10 cm.
* **Snapping.**  A click within the snap radius of another feature's vertex
  lands on it exactly (height included), else on its edge: a line that
  continues another shares its end point, which is how lanes connect.  The
  radius is the schema's ``snap_tolerance``, and at least 8 screen pixels
  so it can be hit with a mouse at any zoom.  Features of the neighbouring
  tiles (items whose tile origin is near) snap too, so lines join at seams.
* **Lanelets.**  The lanelet tool (K) takes two clicks on lines: the left
  boundary, then the right.  Their directions are checked and fixed
  (:func:`annotator.geometry.mapnet.orient_boundaries`) and the lanelet is
  stored with links to both; when a boundary changes, the lanelet's area
  follows in the same command (one undo step), and deleting a boundary
  deletes the lanelets on it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPointF

from annotator.commands import (
    AddAnnotations,
    ChangeAnnotations,
    Command,
    CompositeCommand,
    DeleteAnnotations,
)
from annotator.errors import AnnotatorError, GeometryError
from annotator.geometry.lift import follow_ground, ground_heights
from annotator.geometry.mapnet import (
    LANELET,
    LEFT,
    RIGHT,
    STOP_LINE,
    boundary_ref,
    is_lanelet,
    lanelet_links,
    lanelet_polygon,
    orient_boundaries,
    snap,
)
from annotator.model import Annotation, Geometry, Item
from annotator.shapes import Point, Point3D, Polygon, Polygon3D, Polyline, Polyline3D
from annotator.ui.cloud_frame import Heights, pin_key

if TYPE_CHECKING:
    from annotator.ui.editor import Editor

__all__ = ["HEIGHT_STEP", "KINDS_3D_OF", "MapEditing"]

#: Metres one PageUp/PageDown moves a height (Shift: ten times).
HEIGHT_STEP = 0.01
#: Screen pixels the snap radius is at least.
SNAP_PIXELS = 8.0
#: Metres between tile origins within which a tile's features snap as neighbours.
NEIGHBOUR_REACH = 400.0
#: Metres beyond a tile's points within which a neighbour's feature may be snapped to.
SEAM_REACH = 5.0
#: The 3D kind a 2D drawing tool makes on a point-cloud tile.
KINDS_3D_OF = {"polyline": "polyline3d", "polygon": "polygon3d", "point": "point3d"}


class MapEditing(QObject):
    """Heights, snapping and lanelets for the editor of a point-cloud tile."""

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.heights = Heights()
        self._neighbours: list[Annotation] = []

    # -- the tile ---------------------------------------------------------------------------

    def tile_opened(self) -> None:
        """A tile was loaded (or closed): heights come from its ground from now on."""
        editor = self.editor
        cloud = editor.cloud
        self.heights.pinned.clear()
        self.heights.ground = (None if cloud is None
                               else lambda xy: ground_heights(cloud, xy))
        self._neighbours = self._neighbour_features()

    def neighbours(self) -> list[Annotation]:
        """The neighbouring tiles' map lines and areas near the open tile."""
        return list(self._neighbours)

    def _neighbour_features(self) -> list[Annotation]:
        """Map lines and areas of other tiles that come within reach of this one.

        Candidates are the tiles whose origin lies within :data:`NEIGHBOUR_REACH`
        of this tile's, and, where origins are unknown (PCD headers carry no
        bounds), the tiles of the same batch; of their features, those with a
        vertex within :data:`SEAM_REACH` of this tile's points are kept.
        """
        editor = self.editor
        item, cloud = editor.item, editor.cloud
        if item is None or cloud is None or not len(cloud.xyz):
            return []
        store = editor.adapter.project.store
        near: list[Item] = []
        if item.origin is not None:
            for page in store.iter_items(kind="pointcloud"):
                near.extend(other for other in page if other.id != item.id
                            and other.origin is not None
                            and abs(other.origin[0] - item.origin[0]) <= NEIGHBOUR_REACH
                            and abs(other.origin[1] - item.origin[1]) <= NEIGHBOUR_REACH)
        else:
            batch = store.batch_for_item(int(item.id or 0))
            if batch is not None:
                for page in store.iter_items(batch_id=int(batch.id or 0), kind="pointcloud"):
                    near.extend(other for other in page if other.id != item.id)
        corner_low, corner_high = cloud.bounds()
        low, high = corner_low[:2] - SEAM_REACH, corner_high[:2] + SEAM_REACH
        found: list[Annotation] = []
        for other in near:
            for annotation in editor.adapter.annotations(int(other.id or 0)):
                if not isinstance(annotation.geometry, Polyline3D | Polygon3D) or \
                        is_lanelet(annotation):
                    continue
                xy = annotation.geometry.vertices[:, :2]
                if ((xy >= low) & (xy <= high)).all(axis=1).any():
                    found.append(annotation)
        return found

    # -- heights ------------------------------------------------------------------------------

    def to_3d(self, geometry: Geometry) -> Geometry:
        """A 2D shape drawn in the bird's-eye view as the map feature it stands for."""
        editor = self.editor
        frame, cloud = editor.frame, editor.cloud
        assert frame is not None and cloud is not None
        if type(geometry) is Point:
            xy = frame.world_points(geometry.points)
            z = self._pins(xy)
            if np.isnan(z[0]) and self.heights.ground is not None:
                z = self.heights.ground(xy)
            if np.isnan(z[0]):
                raise GeometryError("no ground points there: put the point on the tile, "
                                    "then set its height")
            return Point3D(np.column_stack((xy, z)))
        if type(geometry) is Polyline:
            xy = frame.world_points(geometry.points)
            return Polyline3D(follow_ground(cloud, xy, self._pins(xy)))
        if type(geometry) is Polygon:
            shell = frame.world_points(geometry.shell)
            ring = follow_ground(cloud, shell, self._pins(shell), closed=True)
            holes = tuple(follow_ground(cloud, frame.world_points(h),
                                        self._pins(frame.world_points(h)), closed=True)
                          for h in geometry.holes)
            return Polygon3D(ring, holes)
        raise AnnotatorError(f"{geometry.kind} has no map-feature form")

    def _pins(self, xy: np.ndarray) -> np.ndarray:
        pinned = self.heights.pinned
        return np.array([pinned.get(pin_key(float(x), float(y)), np.nan) for x, y in xy])

    def set_heights_locked(self, locked: bool) -> None:
        self.heights.locked = locked
        self.editor.status(self.tr("Moved vertices keep their heights") if locked else
                           self.tr("Moved vertices take the ground's height"))

    def set_height(self, annotation_id: int, index: int, z: float) -> None:
        """Vertex ``index`` of feature ``annotation_id`` at height ``z`` (the profile view)."""
        stored = self.editor.tile_shapes.get(annotation_id)
        if stored is None or not _is_feature(stored):
            return
        vertices = stored.geometry.vertices.copy()
        if not 0 <= index < len(vertices):
            return
        vertices[index, 2] = z
        self.editor.push(ChangeAnnotations([stored], [_with_vertices(stored, vertices)],
                                           "Set height"))
        self.editor.status(self.tr("Height %.2f m") % z)

    def step_height(self, dz: float) -> None:
        """Raise (or lower) the selected vertex, else every vertex of the selected features."""
        editor = self.editor
        if editor.frame is None:
            return
        changed: list[tuple[Annotation, Annotation]] = []
        if editor.selected_vertex is not None:
            annotation_id, index = editor.selected_vertex
            stored = editor.tile_shapes.get(annotation_id)
            if stored is not None and _is_feature(stored):
                vertices = stored.geometry.vertices.copy()
                if index < len(vertices):
                    vertices[index, 2] += dz
                    changed.append((stored, _with_vertices(stored, vertices)))
        else:
            for stored in editor.selected(editable=True):
                if _is_feature(stored):
                    vertices = stored.geometry.vertices.copy()
                    vertices[:, 2] += dz
                    changed.append((stored, _with_vertices(stored, vertices)))
        if not changed:
            editor.status(self.tr("Select a map feature, or one of its vertices, to change "
                                  "its height"))
            return
        key = "height:" + ",".join(str(a.id) for a, _ in changed)
        editor.push(ChangeAnnotations([a for a, _ in changed], [b for _, b in changed],
                                      f"Height of {len(changed)} feature(s)", key))
        z = changed[0][1].geometry.vertices[:, 2]
        editor.status(self.tr("Height %.2f m") % float(
            z[editor.selected_vertex[1]] if editor.selected_vertex else z.mean()))

    # -- snapping -----------------------------------------------------------------------------

    def snap(self, pos: QPointF, exclude: int | None = None) -> QPointF:
        """``pos`` snapped onto a nearby feature's vertex or edge (its height pinned)."""
        editor = self.editor
        frame = editor.frame
        if frame is None:
            return pos
        lines = []
        for annotation in [*editor.tile_shapes.values(), *self._neighbours]:
            if annotation.id == exclude or is_lanelet(annotation) or annotation.hidden:
                continue
            geometry = annotation.geometry
            if isinstance(geometry, Polygon3D):
                for ring in (geometry.shell, *geometry.holes):
                    lines.append(np.concatenate([ring, ring[:1]]))
            elif isinstance(geometry, Polyline3D | Point3D):
                lines.append(geometry.vertices)
        if not lines:
            return pos
        scale = editor.scene.view_scale or 1.0
        reach = max(editor.schema.rules.snap_tolerance, SNAP_PIXELS / scale)
        wx, wy = frame.world_xy(pos.x(), pos.y())
        hit = snap(np.array([wx, wy]), lines, reach)
        if hit.kind == "none":
            return pos
        x, y, z = (float(v) for v in hit.point)
        self.heights.pinned[pin_key(x, y)] = z
        sx, sy = frame.scene_xy(x, y)
        return QPointF(sx, sy)

    # -- lanelets ------------------------------------------------------------------------------

    def line_at(self, pos: QPointF) -> Annotation | None:
        """The stored map line under ``pos`` in the bird's-eye view."""
        editor = self.editor
        reach = SNAP_PIXELS / (editor.scene.view_scale or 1.0)
        best: tuple[float, Annotation] | None = None
        frame = editor.frame
        if frame is None:
            return None
        spot = np.array(frame.world_xy(pos.x(), pos.y()))
        for annotation in editor.tile_shapes.values():
            if not isinstance(annotation.geometry, Polyline3D) or annotation.hidden:
                continue
            hit = snap(spot, [annotation.geometry.vertices], reach)
            if hit.kind == "none":
                continue
            distance = float(np.hypot(*(hit.point[:2] - spot)))
            if best is None or distance < best[0]:
                best = (distance, annotation)
        return None if best is None else best[1]

    def make_lanelet(self, left: Annotation, right: Annotation) -> None:
        """Store a lanelet between two boundary lines (directions checked and fixed)."""
        editor = self.editor
        if editor.item is None:
            return
        if left.id == right.id:
            editor.status(self.tr("Pick two different lines: the left boundary, then the "
                                  "right"))
            return
        label = "lanelet" if "lanelet" in editor.schema else editor.current_class
        label_class = editor.schema.get(label)
        if not label_class.allows("polygon3d"):
            editor.status(self.tr("Class %s does not allow lanelets (polygon3d)") % label)
            return
        orientation = orient_boundaries(left.geometry.vertices, right.geometry.vertices)
        a, b = orientation.apply(left.geometry.vertices, right.geometry.vertices)
        try:
            area = lanelet_polygon(a, b)
        except AnnotatorError as exc:
            editor.status(str(exc))
            return
        links = lanelet_links(int(left.id or 0), int(right.id or 0),
                              orientation.reverse_left, orientation.reverse_right)
        lanelet = Annotation(None, int(editor.item.id or 0), label, area,
                             label_class.default_attributes(),
                             editor.adapter.project.user.name, links=links, z=-1)
        done = editor.push(AddAnnotations([lanelet], label="Add lanelet"))
        if isinstance(done, AddAnnotations):
            editor.select([int(a.id or 0) for a in done.annotations])
            turned = orientation.reverse_left and orientation.reverse_right
            editor.status(self.tr("Lanelet added; its direction was turned to keep the left "
                                  "line on the left") if turned else self.tr("Lanelet added"))

    def link_selection(self) -> None:
        """Link the selected sign or light to the selected stop line and/or lanelet.

        Select a ``traffic_sign`` / ``traffic_light`` point and, with Shift, the
        stop line it governs (and, optionally, a lanelet it applies to), then
        press Ctrl+K: the sign's links name them (Lanelet2's ``ref_line`` and
        the lanelet whose regulatory element it becomes).  With only a sign
        selected, its links are cleared.
        """
        editor = self.editor
        chosen = editor.selected(editable=True)
        signs = [a for a in chosen if isinstance(a.geometry, Point3D)]
        if len(signs) != 1:
            editor.status(self.tr("Select one sign or light (a 3D point), and with Shift its "
                                  "stop line or lanelet"))
            return
        sign = signs[0]
        lines = [a for a in chosen if isinstance(a.geometry, Polyline3D)]
        lanelets = [a for a in chosen if is_lanelet(a)]
        if len(lines) > 1 or len(lanelets) > 1:
            editor.status(self.tr("Select at most one stop line and one lanelet with the sign"))
            return
        links = {k: v for k, v in sign.links.items() if k not in (STOP_LINE, LANELET)}
        if lines:
            links[STOP_LINE] = int(lines[0].id or 0)
        if lanelets:
            links[LANELET] = int(lanelets[0].id or 0)
        if links == dict(sign.links):
            return
        editor.push(ChangeAnnotations([sign], [dataclasses.replace(sign, links=links)],
                                      "Link sign" if len(links) else "Unlink sign"))
        editor.status(self.tr("Sign linked") if (lines or lanelets) else
                      self.tr("Sign unlinked"))

    def with_dependents(self, command: Command) -> Command:
        """``command`` (already in store form) plus what lanelets on its lines need."""
        editor = self.editor
        stored = editor.tile_shapes
        lanelets = [a for a in stored.values() if is_lanelet(a)]
        linked = any(STOP_LINE in a.links or LANELET in a.links for a in stored.values())
        if not lanelets and not linked:
            return command
        if isinstance(command, DeleteAnnotations):
            gone = {int(a.id or 0) for a in command.annotations}
            extra = [a for a in lanelets if a.id not in gone and (
                boundary_ref(a.links, LEFT)[0] in gone or boundary_ref(a.links, RIGHT)[0] in gone)]
            gone |= {int(a.id or 0) for a in extra}
            signs = [a for a in stored.values() if a.id not in gone and any(
                a.links.get(key) in gone for key in (STOP_LINE, LANELET))]
            if not extra and not signs:
                return command
            deleted: Command = DeleteAnnotations([*command.annotations, *extra], command.label)
            if not signs:
                return deleted
            unlinked = [dataclasses.replace(a, links={k: v for k, v in a.links.items()
                                                      if v not in gone})
                        for a in signs]
            return CompositeCommand([deleted, ChangeAnnotations(signs, unlinked, "Unlink sign")],
                                    command.label)
        if isinstance(command, ChangeAnnotations):
            after = {int(a.id or 0): a for a in command.after}
            geometry = {i: a.geometry for i, a in stored.items()}
            geometry.update({i: a.geometry for i, a in after.items()})
            befores, afters = list(command.before), []
            for annotation in command.after:
                if is_lanelet(annotation):
                    annotation = _refit(annotation, geometry) or annotation
                afters.append(annotation)
            touched = set(after)
            for lanelet in lanelets:
                if lanelet.id in after:
                    continue
                left, right = boundary_ref(lanelet.links, LEFT)[0], boundary_ref(
                    lanelet.links, RIGHT)[0]
                if left in touched or right in touched:
                    refit = _refit(lanelet, geometry)
                    if refit is not None:
                        befores.append(lanelet)
                        afters.append(refit)
            pairs = [(b, a) for b, a in zip(befores, afters, strict=True)
                     if not b.same_content(a)]
            if not pairs:
                return CompositeCommand([], command.label)
            return ChangeAnnotations([b for b, _ in pairs], [a for _, a in pairs],
                                     command.label, command.merge_key)
        if isinstance(command, CompositeCommand):
            return CompositeCommand([self.with_dependents(c) for c in command.commands],
                                    command.label)
        return command


def _refit(lanelet: Annotation, geometry: dict[int, Geometry]) -> Annotation | None:
    """``lanelet`` with its area rebuilt from its boundaries (None: a boundary is not here)."""
    lines = []
    for side in (LEFT, RIGHT):
        ref, reverse = boundary_ref(lanelet.links, side)
        line = geometry.get(ref)
        if not isinstance(line, Polyline3D):
            return None
        lines.append(line.vertices[::-1] if reverse else line.vertices)
    try:
        return dataclasses.replace(lanelet, geometry=lanelet_polygon(lines[0], lines[1]))
    except AnnotatorError:
        return None


def _is_feature(annotation: Annotation) -> bool:
    return (isinstance(annotation.geometry, Polyline3D | Polygon3D | Point3D)
            and not is_lanelet(annotation))


def _with_vertices(annotation: Annotation, vertices: np.ndarray) -> Annotation:
    return dataclasses.replace(annotation, geometry=annotation.geometry.with_vertices(vertices))
