"""The point-cloud workspace, driven like a user: open a tile, box a car, fit, edit.

The tile is generated: a sloped, noisy ground 40 km from the origin of its
coordinate system with a car-sized box of points on it, turned 25°, so the
test knows the box the fit must find.  Everything goes through real mouse
and key events on the bird's-eye view, the cuboid views and the 3D view.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGraphicsView, QMainWindow

from annotator.media.pcd import write_pcd
from annotator.media.pointcloud import PointCloud
from annotator.project import Project
from annotator.schema import load_schema
from annotator.shapes import Cuboid
from tests.ui.helpers import LEFT, NO_MOD, SCHEMA, settle

ORIGIN = np.array([40_000.0, -120_000.0, 30.0])
#: The car: centre (x, y) from the origin, length, width, height, heading.
CAR = (3.0, 2.0, 4.5, 1.8, 1.5, math.radians(25.0))
SLOPE = (0.03, -0.02)


def ground_z(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return SLOPE[0] * x + SLOPE[1] * y


def make_tile(path: Path, seed: int = 0) -> None:
    """A 30 x 30 m tile: noisy sloped ground, and the car's sides and roof as points."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(-15, 15, 0.1), np.arange(-15, 15, 0.1))
    gx, gy = gx.ravel(), gy.ravel()
    cx, cy, length, width, height, yaw = CAR
    c, s = math.cos(yaw), math.sin(yaw)
    along = c * (gx - cx) + s * (gy - cy)
    across = -s * (gx - cx) + c * (gy - cy)
    under = (np.abs(along) < length / 2) & (np.abs(across) < width / 2)
    gx, gy = gx[~under], gy[~under]
    ground = np.stack([gx, gy, ground_z(gx, gy) + rng.normal(0, 0.01, len(gx))], axis=1)
    faces = []
    step = 0.05
    u = np.arange(-length / 2, length / 2 + 1e-9, step)
    v = np.arange(-width / 2, width / 2 + 1e-9, step)
    h = np.arange(0.25, height + 1e-9, step)
    for a, b in ((u, h), (v, h)):
        aa, bb = np.meshgrid(a, b)
        half = width / 2 if a is u else length / 2
        for sign in (-1, 1):
            if a is u:
                faces.append(np.stack([aa.ravel(), np.full(aa.size, sign * half), bb.ravel()], 1))
            else:
                faces.append(np.stack([np.full(aa.size, sign * half), aa.ravel(), bb.ravel()], 1))
    uu, vv = np.meshgrid(u, v)
    faces.append(np.stack([uu.ravel(), vv.ravel(), np.full(uu.size, height)], 1))
    body = np.concatenate(faces)
    body_x = cx + c * body[:, 0] - s * body[:, 1]
    body_y = cy + s * body[:, 0] + c * body[:, 1]
    body_z = ground_z(np.array([cx]), np.array([cy]))[0] + body[:, 2]
    car = np.stack([body_x, body_y, body_z], axis=1)
    xyz = np.concatenate([ground, car]).astype(np.float32)
    intensity = np.full(len(xyz), 20, dtype=np.uint16)
    write_pcd(path, PointCloud(ORIGIN.copy(), xyz, {"intensity": intensity}, "pcd", "binary"),
              "binary")


@pytest.fixture
def cloud_project(tmp_path: Path, settings_dir: Path) -> tuple[Path, int]:
    folder = tmp_path / "proj"
    tile = tmp_path / "tile.pcd"
    make_tile(tile)
    lead = Project.create(folder, load_schema(SCHEMA), user="lead")
    try:
        ids = lead.import_media([tile]).added
        lead.create_batch("clouds", ids)
        lead.batch_action("clouds", "assign", assignee="ann")
    finally:
        lead.close()
    with Project.open(folder, "ann") as ann:
        ann.batch_action("clouds", "start")
    return folder, ids[0]


@pytest.fixture
def cloud_window(qtbot, open_ui: Callable[..., QMainWindow],
                 cloud_project: tuple[Path, int]) -> QMainWindow:
    folder, item_id = cloud_project
    window = open_ui(folder)
    window.open_item(item_id)
    qtbot.waitUntil(lambda: window.editor.frame is not None, timeout=20_000)
    window.canvas.setFocus()
    settle()
    return window


def scene_of(window: QMainWindow, x: float, y: float) -> QPointF:
    """Scene position of tile-local (x, y) metres."""
    sx, sy = window.editor.frame.scene_xy(ORIGIN[0] + x, ORIGIN[1] + y)
    return QPointF(sx, sy)


def cuboids(window: QMainWindow) -> list[Cuboid]:
    found = window.project.store.annotations_for_item(int(window.item.id))
    return [a.geometry for a in found if isinstance(a.geometry, Cuboid)]


def drag_rect(qtbot, window: QMainWindow, x0: float, y0: float, x1: float, y1: float) -> None:
    """A left drag on the bird's-eye view between two tile-local points."""
    viewport = window.canvas.viewport()
    start = window.canvas.mapFromScene(scene_of(window, x0, y0))
    end = window.canvas.mapFromScene(scene_of(window, x1, y1))
    qtbot.mousePress(viewport, LEFT, NO_MOD, start)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, start + (end - start) * (k / 5))
    qtbot.mouseRelease(viewport, LEFT, NO_MOD, end)
    settle()


def zoom_on_car(window: QMainWindow) -> None:
    cx, cy = CAR[:2]
    from PySide6.QtCore import QRectF
    window.canvas.zoom_to(QRectF(scene_of(window, cx - 5, cy + 5), scene_of(window, cx + 5,
                                                                              cy - 5)))
    settle()


def draw_car(qtbot, window: QMainWindow) -> Cuboid:
    zoom_on_car(window)
    qtbot.keyClick(window.canvas, "u")
    assert window.editor.tool.name == "cuboid"
    cx, cy = CAR[:2]
    drag_rect(qtbot, window, cx - 3.0, cy + 2.3, cx + 3.0, cy - 2.3)
    found = cuboids(window)
    assert len(found) == 1, window.statusBar().currentMessage()
    return found[0]


def test_tile_opens_in_the_birds_eye_view_with_the_3d_view_beside(cloud_window):
    window = cloud_window
    assert window.findChild(QGraphicsView, "bevView") is window.canvas
    assert window.cloud_panel.isVisible()
    assert window.canvas.canvas_scene.backdrop is not None
    view = window.cloud_panel.view3d
    assert view.objectName() == "pointCloudView"
    assert window.editor.cloud is not None and len(window.editor.cloud) > 80_000
    # The frame sits on the cloud's own origin: scene metres stay small numbers.
    assert abs(window.editor.frame.ox - ORIGIN[0]) < 1e3


def test_drag_round_a_car_fits_its_box(qtbot, cloud_window):
    cuboid = draw_car(qtbot, cloud_window)
    cx, cy, length, width, height, yaw = CAR
    centre = cuboid.center[0] - ORIGIN
    ground = ground_z(np.array([cx]), np.array([cy]))[0]
    assert np.hypot(centre[0] - cx, centre[1] - cy) < 0.05
    assert abs(cuboid.size[0, 0] - length) < 0.08 and abs(cuboid.size[0, 1] - width) < 0.08
    # From the local ground (the car's points start 0.25 m up) to the roof.
    assert abs((centre[2] + cuboid.size[0, 2] / 2) - (ground + height)) < 0.05
    assert abs(centre[2] - cuboid.size[0, 2] / 2 - ground) < 0.08
    # The drag was axis-aligned; the heading came from the points (mod 180°).
    turn = math.remainder(cuboid.yaw - yaw, math.pi)
    assert abs(math.degrees(turn)) < 1.5


def test_nudge_turn_and_undo_in_metres(qtbot, cloud_window):
    window = cloud_window
    first = draw_car(qtbot, window)
    qtbot.keyClick(window.canvas, "s")
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Up)
    moved = cuboids(window)[0]
    assert np.allclose(moved.center[0, :2] - first.center[0, :2], [0.05, 0.05], atol=1e-9)
    assert moved.center[0, 2] == first.center[0, 2]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Comma)
    turned = cuboids(window)[0]
    assert math.isclose(turned.yaw - first.yaw, math.radians(1.0), abs_tol=1e-9)
    # Consecutive nudges are one step, the turn another.
    for _ in range(2):
        qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert cuboids(window) == [first]


def test_dragging_the_footprint_moves_the_cuboid_keeping_height(qtbot, cloud_window):
    window = cloud_window
    first = draw_car(qtbot, window)
    qtbot.keyClick(window.canvas, "s")
    cx, cy = (first.center[0, :2] - ORIGIN[:2]).tolist()
    drag_rect(qtbot, window, cx, cy, cx + 1.0, cy - 0.5)
    moved = cuboids(window)[0]
    shift = moved.center[0] - first.center[0]
    assert np.allclose(shift[:2], [1.0, -0.5], atol=0.05)
    # The footprint round trip moves corners: sizes agree to float rounding.
    assert shift[2] == 0 and np.allclose(moved.size, first.size, rtol=0, atol=1e-9)
    assert math.isclose(moved.yaw, first.yaw, abs_tol=1e-9)


def test_side_view_drag_raises_the_roof(qtbot, cloud_window):
    window = cloud_window
    first = draw_car(qtbot, window)
    side = window.findChild(type(window.cloud_panel.cuboids.views["side"]), "cuboidSideView")
    assert side is not None and side.cuboid is not None
    a0, _b0, a1, b1 = side._corners(first)
    top = side.to_screen((a0 + a1) / 2, b1).toPoint()
    higher = side.to_screen((a0 + a1) / 2, b1 + 0.4).toPoint()
    qtbot.mousePress(side, LEFT, NO_MOD, top)
    qtbot.mouseMove(side, higher)
    qtbot.mouseRelease(side, LEFT, NO_MOD, higher)
    settle()
    raised = cuboids(window)[0]
    assert abs(raised.size[0, 2] - first.size[0, 2] - 0.4) < 0.05
    # The bottom stays on the ground: the centre rose by half of it.
    assert abs(raised.center[0, 2] - first.center[0, 2] - 0.2) < 0.03
    assert np.allclose(raised.center[0, :2], first.center[0, :2], atol=1e-9)


def test_click_in_the_3d_view_selects_the_cuboid(qtbot, cloud_window):
    window = cloud_window
    cuboid = draw_car(qtbot, window)
    window.editor.select([])
    view = window.cloud_panel.view3d
    view.look_at(cuboid.center[0], distance=20.0)
    settle()
    qtbot.wait(100)
    x, y = view.map_to_widget(cuboid.center)[0]
    qtbot.mouseClick(view, LEFT, NO_MOD, QPointF(x, y).toPoint())
    settle()
    annotation_id = int(window.project.store.annotations_for_item(int(window.item.id))[0].id)
    assert window.editor.selection == [annotation_id]
    assert view.selection() == {annotation_id}


def test_image_tools_are_refused_on_a_tile(qtbot, cloud_window):
    window = cloud_window
    zoom_on_car(window)
    qtbot.keyClick(window.canvas, "b")
    drag_rect(qtbot, window, -4, 4, -2, 2)
    assert window.project.store.annotations_for_item(int(window.item.id)) == []
    assert "cuboid" in window.statusBar().currentMessage().lower()


def test_a_broken_tile_says_why_in_the_view(qtbot, open_ui, cloud_project, tmp_path):
    folder, item_id = cloud_project
    (tmp_path / "tile.pcd").write_bytes(b"# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\n")
    window = open_ui(folder)
    window.open_item(item_id)
    qtbot.waitUntil(lambda: "tile.pcd" in window.statusBar().currentMessage()
                    and "Reading" not in window.statusBar().currentMessage(), timeout=20_000)
    assert window.editor.frame is None
    assert "cannot be shown" in window._message.text()
    assert window.canvas.objectName() == "bevView"


def test_cuboids_copy_to_the_next_tile(qtbot, open_ui, tmp_path, settings_dir):
    """Shift+V on the next tile copies the previous tile's cuboids, in world coordinates."""
    folder = tmp_path / "two"
    tiles = [tmp_path / "a.pcd", tmp_path / "b.pcd"]
    for seed, tile in enumerate(tiles):
        make_tile(tile, seed)
    lead = Project.create(folder, load_schema(SCHEMA), user="lead")
    try:
        ids = lead.import_media(tiles).added
    finally:
        lead.close()
    window = open_ui(folder, user="lead")
    window.open_item(ids[0])
    qtbot.waitUntil(lambda: window.editor.frame is not None, timeout=20_000)
    window.canvas.setFocus()
    first = draw_car(qtbot, window)
    qtbot.keyClick(window.canvas, "d")
    qtbot.waitUntil(lambda: window.item.id == ids[1] and window.editor.frame is not None,
                    timeout=20_000)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, "v", Qt.KeyboardModifier.ShiftModifier)
    copied = cuboids(window)
    assert copied == [first]
    assert window.editor.selection == [int(a.id) for a in
                                       window.project.store.annotations_for_item(ids[1])]


def _ascii_tile(path: Path, points: int) -> None:
    """A slow-to-read tile (ascii parses a block at a time), to cancel mid-read."""
    xyz = np.random.default_rng(1).uniform(-50, 50, (points, 3)).astype(np.float32)
    write_pcd(path, PointCloud(np.zeros(3), xyz, {}, "pcd", "ascii"), "ascii")


def test_loader_cancel_delivers_nothing_and_the_last_request_wins(qtbot, tmp_path):
    from annotator.ui.cloud_workspace import CloudLoader

    slow, small = tmp_path / "slow.pcd", tmp_path / "small.pcd"
    _ascii_tile(slow, 1_500_000)
    make_tile(small)
    loader = CloudLoader()
    delivered: list[str] = []
    seen: list[int] = []
    loader.loaded.connect(lambda loaded: delivered.append(Path(loaded.path).name))
    loader.progress.connect(lambda _path, done, _total: seen.append(done))
    try:
        loader.request(slow)
        qtbot.waitUntil(lambda: len(seen) > 0, timeout=10_000)
        loader.cancel()
        qtbot.waitUntil(lambda: not loader.busy(), timeout=10_000)
        settle()
        assert delivered == []
        assert max(seen) < 1_500_000        # the read stopped part way, not at the end
        seen.clear()
        # Asking for one tile and then another: only the second arrives.
        loader.request(slow)
        loader.request(small)
        qtbot.waitUntil(lambda: delivered == ["small.pcd"], timeout=20_000)
        qtbot.waitUntil(lambda: not loader.busy(), timeout=20_000)
        settle()
        assert delivered == ["small.pcd"]
        # Read lately: the same tile again comes from memory at once.
        loader.request(small)
        assert delivered == ["small.pcd", "small.pcd"]
    finally:
        loader.close()


def test_top_view_handle_turns_and_front_view_widens(qtbot, cloud_window):
    window = cloud_window
    first = draw_car(qtbot, window)
    views = window.cloud_panel.cuboids.views
    top, front = views["top"], views["front"]
    assert top.objectName() == "cuboidTopView" and front.objectName() == "cuboidFrontView"
    # Drag the handle a quarter turn round the centre: the heading follows the cursor.
    handle = top._rotate_handle(first).toPoint()
    centre = top.to_screen(*top._centre(first))
    reach = handle.x() - centre.x()
    target = QPointF(centre.x() + reach * math.cos(math.radians(30)),
                     centre.y() - reach * math.sin(math.radians(30))).toPoint()
    qtbot.mousePress(top, LEFT, NO_MOD, handle)
    qtbot.mouseMove(top, target)
    qtbot.mouseRelease(top, LEFT, NO_MOD, target)
    settle()
    turned = cuboids(window)[0]
    assert abs(math.degrees(math.remainder(turned.yaw - first.yaw, 2 * math.pi)) - 30) < 2
    assert np.array_equal(turned.size, first.size)
    # Drag the front view's right side outwards: only the width grows, to one side.
    _a0, b0, a1, b1 = front._corners(turned)
    side = front.to_screen(a1, (b0 + b1) / 2).toPoint()
    out = front.to_screen(a1 + 0.3, (b0 + b1) / 2).toPoint()
    qtbot.mousePress(front, LEFT, NO_MOD, side)
    qtbot.mouseMove(front, out)
    qtbot.mouseRelease(front, LEFT, NO_MOD, out)
    settle()
    wider = cuboids(window)[0]
    assert abs(wider.size[0, 1] - turned.size[0, 1] - 0.3) < 0.03
    assert wider.size[0, 0] == turned.size[0, 0] and wider.size[0, 2] == turned.size[0, 2]
    assert abs(np.hypot(*(wider.center[0, :2] - turned.center[0, :2])) - 0.15) < 0.02
