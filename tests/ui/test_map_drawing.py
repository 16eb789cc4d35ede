"""Map features in the bird's-eye view, driven like a user: lines that follow the ground,
snapping, lanelets from two picked lines, heights changed with keys.

The tile is the sloped ground of ``test_cloud_workspace`` (3 % up east, 2 % down
north, 40 km from its CRS origin), so every height is known.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QMainWindow

from annotator.geometry.mapnet import is_lanelet, network
from annotator.model import Annotation
from annotator.shapes import Point3D, Polygon3D, Polyline3D
from tests.ui.helpers import LEFT, NO_MOD, settle
from tests.ui.test_cloud_workspace import ORIGIN, cloud_project, ground_z, scene_of

__all__ = ["cloud_project"]


@pytest.fixture
def map_window(qtbot, open_ui: Callable[..., QMainWindow],
               cloud_project: tuple[Path, int]) -> QMainWindow:
    folder, item_id = cloud_project
    window = open_ui(folder)
    window.open_item(item_id)
    qtbot.waitUntil(lambda: window.editor.frame is not None, timeout=20_000)
    window.canvas.setFocus()
    settle()
    return window


def stored(window: QMainWindow) -> list[Annotation]:
    return window.project.store.annotations_for_item(int(window.item.id))


def click(qtbot, window: QMainWindow, x: float, y: float) -> None:
    """A click at tile-local (x, y) metres of the open tile."""
    frame = window.editor.frame
    pos = window.canvas.mapFromScene(QPointF(*frame.scene_xy(frame.ox + x, frame.oy + y)))
    qtbot.mouseMove(window.canvas.viewport(), pos)
    qtbot.mouseClick(window.canvas.viewport(), LEFT, NO_MOD, pos)


def draw_line(qtbot, window: QMainWindow, label: str, points: list[tuple[float, float]]
              ) -> Annotation:
    before = {a.id for a in stored(window)}
    window.editor.set_class(label)
    qtbot.keyClick(window.canvas, "l")
    for x, y in points:
        click(qtbot, window, x, y)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    settle()
    new = [a for a in stored(window) if a.id not in before]
    assert len(new) == 1, window.statusBar().currentMessage()
    return new[0]


def surface(xyz: np.ndarray) -> np.ndarray:
    """The generated ground's height under world vertices."""
    return ORIGIN[2] + ground_z(xyz[:, 0] - ORIGIN[0], xyz[:, 1] - ORIGIN[1])


def test_a_lane_line_drawn_in_2d_lies_on_the_sloped_ground(qtbot, map_window):
    line = draw_line(qtbot, map_window, "lane_line", [(-10, -5), (0, -4), (10, -5)])
    assert isinstance(line.geometry, Polyline3D)
    xyz = line.geometry.vertices
    assert np.abs(xyz[:, 2] - surface(xyz)).max() < 0.02
    # on an even slope the drawn vertices suffice: nothing is inserted
    assert len(xyz) == 3
    # stored in world coordinates, 40 km out, at full precision
    assert abs(xyz[0, 0] - (ORIGIN[0] - 10)) < 0.5 and xyz[0, 0] > 30_000


def test_an_area_and_a_sign_take_their_heights_from_the_ground(qtbot, map_window):
    window = map_window
    window.editor.set_class("crosswalk")
    qtbot.keyClick(window.canvas, "p")
    for x, y in ((-6, 6), (-2, 6), (-2, 10), (-6, 10)):
        click(qtbot, window, x, y)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    window.editor.set_class("traffic_sign")
    qtbot.keyClick(window.canvas, "t")
    click(qtbot, window, 8, 8)
    settle()
    shapes = {a.label: a.geometry for a in stored(window)}
    assert isinstance(shapes["crosswalk"], Polygon3D)
    assert isinstance(shapes["traffic_sign"], Point3D)
    for geometry in shapes.values():
        xyz = geometry.vertices
        assert np.abs(xyz[:, 2] - surface(xyz)).max() < 0.02


def test_a_line_started_near_another_ones_end_shares_that_point(qtbot, map_window):
    first = draw_line(qtbot, map_window, "lane_line", [(-10, -5), (0, -5)])
    end = first.geometry.vertices[-1]
    # 0.15 m off the end: inside the snap radius (8 px at this zoom)
    second = draw_line(qtbot, map_window, "lane_line", [(0.12, -5.1), (10, -5)])
    assert np.array_equal(second.geometry.vertices[0], end)
    # and off by a metre it does not snap
    third = draw_line(qtbot, map_window, "lane_line", [(1.0, 3.0), (10, 3.0)])
    assert not np.array_equal(third.geometry.vertices[0], end)


def test_a_lanelet_from_two_lines_fixes_the_direction_and_follows_edits(qtbot, map_window):
    window = map_window
    left = draw_line(qtbot, window, "lane_line", [(-10, 1.75), (10, 1.75)])
    # the right boundary drawn the other way round
    right = draw_line(qtbot, window, "road_edge", [(10, -1.75), (-10, -1.75)])
    qtbot.keyClick(window.canvas, "k")
    assert window.editor.tool.name == "lanelet"
    click(qtbot, window, 0, 1.75)
    click(qtbot, window, 0, -1.75)
    settle()
    lanelets = [a for a in stored(window) if is_lanelet(a)]
    assert len(lanelets) == 1, window.statusBar().currentMessage()
    lanelet = lanelets[0]
    assert lanelet.label == "lanelet"
    assert dict(lanelet.links) == {"left": left.id, "right": -right.id}
    net = network(stored(window))
    view = net.lanelets[0]
    assert view.left[0, 0] < view.left[-1, 0] and view.right[0, 0] < view.right[-1, 0]
    width = np.hypot(*(view.left[0, :2] - view.right[0, :2]))
    assert abs(width - 3.5) < 0.15  # clicks land on whole pixels (~4 cm here)

    # dragging the left line's end moves the lanelet's area with it, in one undo step
    window.canvas.zoom_to(QRectF(scene_of(window, 2, 5), scene_of(window, 12, -5)))
    settle()
    qtbot.keyClick(window.canvas, "s")
    click(qtbot, window, 5, 1.75)
    settle()
    assert window.editor.selection == [left.id]
    viewport = window.canvas.viewport()
    start = window.canvas.mapFromScene(scene_of(window, 10, 1.75))
    end = window.canvas.mapFromScene(scene_of(window, 10, 3.0))
    qtbot.mousePress(viewport, LEFT, NO_MOD, start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, start + (end - start) * (k / 5))
    qtbot.mouseRelease(viewport, LEFT, NO_MOD, end)
    settle()
    line_now = next(a for a in stored(window) if a.id == left.id).geometry.vertices
    assert line_now[-1, 1] - ORIGIN[1] == pytest.approx(3.0, abs=0.1), line_now
    moved = next(a for a in stored(window) if is_lanelet(a))
    corner = moved.geometry.vertices[1]
    assert corner[1] - ORIGIN[1] == pytest.approx(3.0, abs=0.1)
    # its new height is the ground's at its new spot
    assert abs(corner[2] - surface(corner[None])[0]) < 0.02
    qtbot.keyClick(window.canvas, "z", Qt.KeyboardModifier.ControlModifier)
    settle()
    back = next(a for a in stored(window) if is_lanelet(a))
    assert np.array_equal(back.geometry.vertices, lanelet.geometry.vertices)

    # deleting a boundary deletes the lanelet on it; undo brings both back
    window.editor.select([right.id])
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    settle()
    assert not any(is_lanelet(a) for a in stored(window))
    qtbot.keyClick(window.canvas, "z", Qt.KeyboardModifier.ControlModifier)
    settle()
    assert sum(is_lanelet(a) for a in stored(window)) == 1


def test_heights_are_raised_with_keys_and_kept_when_locked(qtbot, map_window):
    window = map_window
    line = draw_line(qtbot, window, "lane_line", [(-10, -5), (10, -5)])
    window.editor.select([line.id])
    up = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(window.canvas, Qt.Key.Key_Up, up)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Up, up | Qt.KeyboardModifier.ShiftModifier)
    settle()
    raised = next(a for a in stored(window) if a.id == line.id).geometry.vertices
    assert np.allclose(raised[:, 2] - line.geometry.vertices[:, 2], 0.11)
    # locked (G): a moved vertex keeps its raised height instead of the ground's
    qtbot.keyClick(window.canvas, "g")
    qtbot.keyClick(window.canvas, "s")
    viewport = window.canvas.viewport()
    start = window.canvas.mapFromScene(scene_of(window, 10, -5))
    end = window.canvas.mapFromScene(scene_of(window, 12, -7))
    qtbot.mousePress(viewport, LEFT, NO_MOD, start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, start + (end - start) * (k / 5))
    qtbot.mouseRelease(viewport, LEFT, NO_MOD, end)
    settle()
    after = next(a for a in stored(window) if a.id == line.id).geometry.vertices
    assert after[1, 0] - ORIGIN[0] == pytest.approx(12, abs=0.1)
    assert after[1, 2] == pytest.approx(raised[1, 2], abs=1e-9)


def test_lines_join_across_a_tile_seam(qtbot, open_ui, tmp_path, settings_dir):
    """A lane line ending at the east edge of one tile is continued on the next tile:
    the new line's first vertex snaps onto the neighbour tile's end point, exactly."""
    from annotator.media.pcd import write_pcd
    from annotator.media.pointcloud import read_pointcloud
    from annotator.project import Project
    from annotator.schema import load_schema
    from tests.ui.helpers import SCHEMA
    from tests.ui.test_cloud_workspace import make_tile

    west, east = tmp_path / "west.pcd", tmp_path / "east.pcd"
    make_tile(west)
    cloud = read_pointcloud(west)
    cloud.origin[0] += 30.0            # the next tile east: same ground plane shifted
    cloud.xyz[:, 2] += np.float32(0.03 * 30.0)
    write_pcd(east, cloud, "binary")
    folder = tmp_path / "seam"
    lead = Project.create(folder, load_schema(SCHEMA), user="lead")
    try:
        ids = lead.import_media([west, east]).added
        lead.create_batch("clouds", ids)
        lead.batch_action("clouds", "assign", assignee="ann")
    finally:
        lead.close()
    with Project.open(folder, "ann") as ann:
        ann.batch_action("clouds", "start")
    window = open_ui(folder)
    window.open_item(ids[0])
    qtbot.waitUntil(lambda: window.editor.frame is not None, timeout=20_000)
    window.canvas.setFocus()
    settle()
    first = draw_line(qtbot, window, "lane_line", [(-5, -5), (14.5, -5)])
    end = first.geometry.vertices[-1]
    window.open_item(ids[1])
    qtbot.waitUntil(lambda: window.editor.frame is not None and window.item.id == ids[1],
                    timeout=20_000)
    window.canvas.setFocus()
    settle()
    # on the east tile, local x = world x - (ORIGIN x + 30): the seam is at local -15.5
    second = draw_line(qtbot, window, "lane_line", [(-15.4, -5.05), (0, -5)])
    assert second.item_id == ids[1]
    assert np.array_equal(second.geometry.vertices[0], end)


def test_a_sign_is_linked_to_its_stop_line_with_ctrl_k(qtbot, map_window):
    window = map_window
    stop = draw_line(qtbot, window, "stop_line", [(5, -6), (5, 0)])
    window.editor.set_class("traffic_sign")
    qtbot.keyClick(window.canvas, "t")
    click(qtbot, window, 4, -7)
    settle()
    sign = next(a for a in stored(window) if a.label == "traffic_sign")
    qtbot.keyClick(window.canvas, "s")
    click(qtbot, window, 4, -7)
    shift = Qt.KeyboardModifier.ShiftModifier
    pos = window.canvas.mapFromScene(scene_of(window, 5, -3))
    qtbot.mouseClick(window.canvas.viewport(), LEFT, shift, pos)
    settle()
    assert set(window.editor.selection) == {sign.id, stop.id}
    qtbot.keyClick(window.canvas, "k", Qt.KeyboardModifier.ControlModifier)
    settle()
    linked = next(a for a in stored(window) if a.id == sign.id)
    assert dict(linked.links) == {"stop_line": stop.id}
    # deleting the stop line drops the link with it, in one undo step
    window.editor.select([stop.id])
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    settle()
    assert dict(next(a for a in stored(window) if a.id == sign.id).links) == {}
    qtbot.keyClick(window.canvas, "z", Qt.KeyboardModifier.ControlModifier)
    settle()
    assert dict(next(a for a in stored(window) if a.id == sign.id).links) == {"stop_line": stop.id}


def test_the_profile_view_shows_the_ground_and_drags_a_height(qtbot, map_window):
    window = map_window
    line = draw_line(qtbot, window, "lane_line", [(-10, -5), (0, -5), (10, -5)])
    window.editor.select([line.id])
    settle()
    profile = window.cloud_panel.profile
    assert profile.isVisible() and not window.cloud_panel.cuboids.isVisible()
    assert profile.annotation_id == line.id
    # the ground points beneath: about the line's own heights
    points = profile._points
    assert len(points) > 1000
    assert abs(np.median(points[:, 1]) - line.geometry.vertices[:, 2].mean()) < 0.1
    image = profile.grab().toImage()
    assert not image.isNull()
    # drag the middle vertex 30 cm up
    start = profile.vertex_screen(1)
    target = profile.to_screen(float(profile._along[1]), line.geometry.vertices[1, 2] + 0.3)
    qtbot.mousePress(profile, LEFT, NO_MOD, start.toPoint())
    for k in range(1, 5):
        qtbot.mouseMove(profile, (start + (target - start) * (k / 4)).toPoint())
    qtbot.mouseRelease(profile, LEFT, NO_MOD, target.toPoint())
    settle()
    after = next(a for a in stored(window) if a.id == line.id).geometry.vertices
    assert after[1, 2] - line.geometry.vertices[1, 2] == pytest.approx(0.3, abs=0.03)
    assert np.array_equal(after[[0, 2]], line.geometry.vertices[[0, 2]])
    qtbot.keyClick(window.canvas, "z", Qt.KeyboardModifier.ControlModifier)
    settle()
    back = next(a for a in stored(window) if a.id == line.id).geometry.vertices
    assert np.array_equal(back, line.geometry.vertices)
    # selecting nothing brings the cuboid projections back
    window.editor.select([])
    settle()
    assert not profile.isVisible() and window.cloud_panel.cuboids.isVisible()
