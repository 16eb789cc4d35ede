"""Assists in the main window, driven by keys and the mouse.

The assists are tiny plugins written by the test and registered through real
entry points (a ``*.dist-info`` on ``sys.path``), so the window finds them as
it finds installed ones.  The project holds two images with a white rectangle
on a dark ground; the second has it 6 px further right.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDoubleSpinBox, QMenu

from annotator.plugins import discover
from annotator.project import Project
from annotator.schema import load_schema
from annotator.ui.assist_settings import AssistSettingsDialog
from tests.plugin_dists import plugin_site
from tests.ui.helpers import (
    SCHEMA,
    box_corners,
    click,
    close_to,
    drag,
    draw_box,
    press_key,
    settle,
    shapes,
)
from tests.ui.test_cloud_workspace import ORIGIN, drag_rect, make_tile, zoom_on_car

RECT = (120, 80, 240, 180)  # x0, y0, x1, y1 of the white rectangle on the first image
SHIFT = 6

ASSISTS = """
    import time

    import numpy as np

    from annotator.errors import Cancelled
    from annotator.plugins import Proposal, SettingSpec
    from annotator.shapes import Box, Point, Polygon

    class Outline:
        '''Box to polygon: the bright pixels inside the box, as their bounding polygon.'''
        id, title, media, prompt = "outline", "Outline bright pixels", "image", "box"
        settings = {"threshold": SettingSpec("float", 128.0, 0.0, 255.0, "brightness")}

        def propose(self, request):
            import threading
            if threading.current_thread() is threading.main_thread():
                raise RuntimeError("ran on the GUI thread")
            image = request.image
            if image is None or image.shape != (request.item.height, request.item.width, 3):
                raise ValueError("no image or a wrong one")
            x0, y0, x1, y1 = (int(round(v)) for v in request.prompt.box)
            bright = image[y0:y1, x0:x1].mean(axis=2) > request.settings["threshold"]
            ys, xs = np.nonzero(bright)
            if not len(xs):
                return []
            a, b = x0 + xs.min(), x0 + xs.max() + 1
            c, d = y0 + ys.min(), y0 + ys.max() + 1
            image[y0:y1, x0:x1] = 0  # as cv2.floodFill would: the next run must not see it
            return [Proposal(request.label, Polygon([[a, c], [b, c], [b, d], [a, d]]))]

    class Raising:
        id, title, media, prompt, settings = "raising", "Always fails", "image", "none", {}

        def propose(self, request):
            raise RuntimeError("model file is corrupt")

    class Slow:
        id, title, media, prompt, settings = "slow", "Slow", "image", "none", {}

        def propose(self, request):
            for step in range(500):
                if not request.progress(step / 500):
                    raise Cancelled("stopped")
                time.sleep(0.02)
            return [Proposal(request.label, Box.from_corners(1, 1, 9, 9))]

    class Track:
        '''The selected shapes on the next item, moved to where the bright pixels went.'''
        id, title, media, prompt, settings = "track", "Track", "image", "selection", {}

        def propose(self, request):
            def centre(image):
                ys, xs = np.nonzero(image.mean(axis=2) > 128)
                return np.array([xs.mean(), ys.mean()])
            shift = centre(request.next_image) - centre(request.image)
            chosen = [a for a in request.annotations if a.id in request.selected]
            return [Proposal(a.label, a.geometry.translated(shift), item_id=request.next_item.id)
                    for a in chosen]

    class EdgeSnap:
        '''The strongest brightness step within 8 px of the click.'''
        id, title, media, prompt, settings = "edge_snap", "Edge snap", "image", "click", {}

        def propose(self, request):
            grey = request.image.mean(axis=2)
            gy, gx = np.gradient(grey)
            strength = np.hypot(gx, gy)
            x, y = (int(round(v)) for v in request.prompt.points[0])
            y0, x0 = max(y - 8, 0), max(x - 8, 0)
            window = strength[y0:y + 9, x0:x + 9]
            if window.max() < 50:
                return []
            row, col = np.unravel_index(np.argmax(window), window.shape)
            return [Proposal(request.label, Point.at(x0 + col, y0 + row))]

    class Clicks:
        '''The box spanning the foreground clicks; background clicks must come marked 0.'''
        id, title, media, prompt, settings = "clicks", "Clicks to box", "image", "click", {}

        def propose(self, request):
            points, labels = request.prompt.points, request.prompt.labels
            if labels.tolist().count(0) != 1:
                raise ValueError(f"expected one background click, got labels {labels.tolist()}")
            fore = points[labels == 1]
            (x0, y0), (x1, y1) = fore.min(axis=0), fore.max(axis=0)
            return [Proposal(request.label, Box.from_corners(x0, y0, x1, y1))]

    class Pair:
        id, title, media, prompt, settings = "pair", "Two boxes", "image", "none", {}

        def propose(self, request):
            return [Proposal(request.label, Box.from_corners(20, 20, 80, 80)),
                    Proposal(request.label, Box.from_corners(200, 150, 300, 250))]

    class Bright:
        '''The box round every bright pixel of the image as the editor hands it over.'''
        id, title, media, prompt, settings = "bright", "Bright pixels", "image", "none", {}

        def propose(self, request):
            ys, xs = np.nonzero(request.image.mean(axis=2) > 128)
            return [Proposal(request.label, Box.from_corners(xs.min(), ys.min(),
                                                              xs.max() + 1, ys.max() + 1))]

    class BoxCube:
        '''A dragged box on a tile (world metres) to a cuboid standing on the origin's z.'''
        id, title, media, prompt, settings = "boxcube", "Box to cuboid", "pointcloud", "box", {}

        def propose(self, request):
            from annotator.shapes import Cuboid
            x0, y0, x1, y1 = request.prompt.box
            centre = [(x0 + x1) / 2, (y0 + y1) / 2, float(request.cloud.origin[2])]
            return [Proposal(request.label, Cuboid(np.array(centre),
                                                   np.array([x1 - x0, y1 - y0, 1.5]), 0.0))]

    class NoPropose:
        id, title, media, prompt, settings = "nopropose", "Lacks propose", "image", "box", {}
"""


def _image(path: Path, offset: int) -> Path:
    pixels = np.full((300, 400, 3), 30, dtype=np.uint8)
    x0, y0, x1, y1 = RECT
    pixels[y0:y1, x0 + offset:x1 + offset] = 235
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def folder(tmp_path: Path, settings_dir: Path) -> Path:
    """Two images in batch b1, assigned to 'ann' and started by her."""
    folder = tmp_path / "proj"
    lead = Project.create(folder, load_schema(SCHEMA), user="lead")
    try:
        files = [_image(folder / "media" / f"f{i}.png", i * SHIFT) for i in range(2)]
        ids = lead.import_media(files).added
        lead.create_batch("b1", ids)
        lead.batch_action("b1", "assign", assignee="ann")
    finally:
        lead.close()
    with Project.open(folder, "ann") as ann:
        ann.batch_action("b1", "start")
    return folder


@pytest.fixture
def window(tmp_path: Path, folder: Path, open_ui):
    with plugin_site(tmp_path / "site") as site:
        site.add("testassists", {"assists": ASSISTS}, {
            name: f"assists:{cls}" for name, cls in (
                ("outline", "Outline"), ("raising", "Raising"), ("slow", "Slow"),
                ("track", "Track"), ("edge_snap", "EdgeSnap"), ("nopropose", "NoPropose"),
                ("boxcube", "BoxCube"), ("clicks", "Clicks"), ("pair", "Pair"),
                ("bright", "Bright"),
                ("broken", "NotDefinedHere"))})
        discover(refresh=True)  # ours come first on sys.path: they shadow installed ones
        opened = open_ui(folder)
        _choose(opened, "outline")
        yield opened


def _choose(window, assist_id: str) -> None:
    """Pick an assist in the Assists menu."""
    action = window.findChild(QAction, f"assist_{assist_id}")
    assert action is not None and action.isEnabled()
    action.trigger()


def _box_prompt(qtbot, window) -> None:
    """I (the tool asks for a box), a drag round the rectangle, I again: the run starts."""
    press_key(qtbot, window, "i")
    assert "drag a box" in window.statusBar().currentMessage()
    drag(qtbot, window, (100, 60), (260, 200))
    press_key(qtbot, window, "i")


def _wait_for_drafts(qtbot, window) -> None:
    qtbot.waitUntil(lambda: bool(window.assists.proposals), timeout=10_000)


def test_box_assist_drafts_then_enter_accepts_as_one_undo_step(window, qtbot):
    _box_prompt(qtbot, window)
    _wait_for_drafts(qtbot, window)

    assert shapes(window) == []  # drafts are not stored
    assert len(window.assists.draft_layer.drafts) == 1
    assert "Enter accepts" in window.statusBar().currentMessage()
    press_key(qtbot, window, Qt.Key.Key_Return)

    (shape,) = shapes(window)
    assert (shape.kind, shape.label, shape.author) == ("polygon", "car", "ann")
    assert shape.attributes == {"occluded": False, "truncated": False}  # schema defaults
    corners = sorted(map(tuple, shape.geometry.vertices.tolist()))  # any ring orientation
    assert corners == [(120, 80), (120, 180), (240, 80), (240, 180)]
    assert window.editor.selection == [shape.id]
    assert window.assists.draft_layer.drafts == []
    assert window.undo_action.text().startswith("Undo Accept 1 proposal")

    press_key(qtbot, window, "z", Qt.KeyboardModifier.ControlModifier)
    assert shapes(window) == []
    press_key(qtbot, window, "z", Qt.KeyboardModifier.ControlModifier
              | Qt.KeyboardModifier.ShiftModifier)
    assert [s.id for s in shapes(window)] == [shape.id]


def test_esc_rejects_the_drafts(window, qtbot):
    _box_prompt(qtbot, window)
    _wait_for_drafts(qtbot, window)
    press_key(qtbot, window, Qt.Key.Key_Escape)

    assert window.assists.proposals == []
    assert window.assists.draft_layer.drafts == []
    assert "rejected" in window.statusBar().currentMessage()
    press_key(qtbot, window, Qt.Key.Key_Return)  # nothing left to accept
    assert shapes(window) == []

    # Again on the same box: the pixels the first run scribbled on were its own copy.
    _box_prompt(qtbot, window)
    _wait_for_drafts(qtbot, window)
    assert len(window.assists.proposals) == 1


def test_click_assist_takes_foreground_and_background_clicks(window, qtbot):
    _choose(window, "clicks")
    press_key(qtbot, window, "i")
    assert "click the object" in window.statusBar().currentMessage()
    click(qtbot, window, 100, 100)
    click(qtbot, window, 300, 250, Qt.KeyboardModifier.ShiftModifier)  # background
    click(qtbot, window, 150, 130)
    click(qtbot, window, 20, 20)
    press_key(qtbot, window, Qt.Key.Key_Backspace)  # drops the last click, deletes nothing
    press_key(qtbot, window, "i")
    _wait_for_drafts(qtbot, window)
    press_key(qtbot, window, Qt.Key.Key_Return)

    (shape,) = shapes(window)
    assert close_to(box_corners(shape), [100, 100, 150, 130])


def test_a_click_on_a_draft_drops_it_and_a_second_takes_it_back(window, qtbot):
    _choose(window, "pair")
    press_key(qtbot, window, "i")
    _wait_for_drafts(qtbot, window)
    click(qtbot, window, 50, 50)
    assert "1 of 2 proposal(s) kept" in window.statusBar().currentMessage()
    click(qtbot, window, 50, 50)
    assert "2 of 2 proposal(s) kept" in window.statusBar().currentMessage()
    click(qtbot, window, 50, 50)
    press_key(qtbot, window, Qt.Key.Key_Return)

    (kept,) = shapes(window)
    assert close_to(box_corners(kept), [200, 150, 300, 250])
    assert window.undo_action.text().startswith("Undo Accept 1 proposal")


def test_settings_are_kept_and_used(window, qtbot):
    window.findChild(QAction, "action_assist_settings").trigger()
    dialog = window.findChild(AssistSettingsDialog)
    assert dialog is not None and dialog.isVisible()
    spin = dialog.findChild(QDoubleSpinBox)
    spin.setValue(250.0)  # brighter than the rectangle: nothing is found
    dialog.accept()
    assert float(QSettings("Annotator", "Annotator").value("assists/outline/threshold")) == 250

    _box_prompt(qtbot, window)
    qtbot.waitUntil(lambda: "proposed nothing" in window.statusBar().currentMessage())
    assert window.assists.proposals == []


def test_a_failing_assist_shows_its_error_and_the_window_goes_on(window, qtbot):
    _choose(window, "raising")
    press_key(qtbot, window, "i")
    qtbot.waitUntil(lambda: "model file is corrupt" in window.statusBar().currentMessage(),
                    timeout=10_000)
    message = window.statusBar().currentMessage()
    assert message == "Assist failed: raising: RuntimeError: model file is corrupt"
    assert not window.assists.busy()

    draw_box(qtbot, window, 20, 20, 60, 50)  # the window still edits
    assert [s.kind for s in shapes(window)] == ["box"]


def test_broken_plugins_are_listed_disabled_with_their_error(window):
    broken = window.findChild(QAction, "assist_broken")
    assert not broken.isEnabled()
    assert "NotDefinedHere" in broken.toolTip()
    assert "has no propose" in window.findChild(QAction, "assist_nopropose").toolTip()
    assert window.findChild(QAction, "assist_outline").isChecked()  # the one chosen
    assert not window.findChild(QAction, "assist_track").isChecked()


def test_esc_cancels_a_running_assist(window, qtbot):
    _choose(window, "slow")
    press_key(qtbot, window, "i")
    progress = window.assists.progress_bar
    qtbot.waitUntil(lambda: progress.value() > 0, timeout=5_000)
    assert progress.isVisible() and window.assists.busy()

    press_key(qtbot, window, Qt.Key.Key_Escape)

    assert not window.assists.busy() and not progress.isVisible()
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.assists.pool.waitForDone(3_000)  # the worker noticed and stopped
    qtbot.wait(50)
    assert window.assists.proposals == [] and shapes(window) == []


def test_track_proposes_on_the_next_item_and_enter_goes_there(window, qtbot):
    first = int(window.item.id)
    draw_box(qtbot, window, *RECT)
    (box,) = shapes(window)
    press_key(qtbot, window, "s")
    _choose(window, "track")
    press_key(qtbot, window, "i")
    _wait_for_drafts(qtbot, window)
    assert "next item" in window.statusBar().currentMessage()
    press_key(qtbot, window, Qt.Key.Key_Enter)

    assert int(window.item.id) != first  # moved on to the tracked item
    (tracked,) = shapes(window)
    assert tracked.kind == "box"
    assert close_to(box_corners(tracked), np.add(box_corners(box), [SHIFT, 0, SHIFT, 0]),
                    tolerance=0.01)
    assert window.editor.selection == [tracked.id]  # ready for the next I


def test_edge_snapping_moves_clicked_vertices_onto_edges(window, qtbot):
    press_key(qtbot, window, "e", Qt.KeyboardModifier.ShiftModifier)
    assert window.findChild(QAction, "action_edge_snap").isChecked()
    assert window.assists.pool.waitForDone(5_000)  # the image is decoded for snapping
    press_key(qtbot, window, "p")
    x0, y0, x1, y1 = RECT
    for x, y in ((x0 + 4, y0 - 3), (x1 - 3, y0 + 4), (x1 + 3, y1 - 4)):
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Return)

    (polygon,) = shapes(window)
    for vx, vy in polygon.geometry.vertices:
        to_edge = min(abs(vx - x0), abs(vx - x1), abs(vy - y0), abs(vy - y1))
        assert to_edge <= 1.5, (vx, vy)

    press_key(qtbot, window, "e", Qt.KeyboardModifier.ShiftModifier)  # off: clicks stay put
    press_key(qtbot, window, "p")
    for x, y in ((20, 20), (60, 20), (60, 50)):
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Return)
    assert close_to(shapes(window)[1].geometry.vertices, [[20, 20], [60, 20], [60, 50]])


def test_on_a_tile_prompts_and_proposals_are_in_world_metres(window, qtbot, tmp_path):
    tile = tmp_path / "tile.pcd"
    make_tile(tile)
    with Project.open(window.project.folder, "lead") as lead:
        (tile_id,) = lead.import_media([tile]).added
        lead.create_batch("clouds", [tile_id])
        lead.batch_action("clouds", "assign", assignee="ann")
    with Project.open(window.project.folder, "ann") as ann:
        ann.batch_action("clouds", "start")
    window.open_item(tile_id)
    qtbot.waitUntil(lambda: window.editor.frame is not None, timeout=20_000)
    window.canvas.setFocus()
    settle()
    zoom_on_car(window)
    _choose(window, "boxcube")

    press_key(qtbot, window, "i")
    drag_rect(qtbot, window, 1.0, 3.0, 5.0, 1.0)  # tile-local metres
    press_key(qtbot, window, "i")
    _wait_for_drafts(qtbot, window)
    press_key(qtbot, window, Qt.Key.Key_Return)

    (cuboid,) = [a.geometry for a in shapes(window)]
    assert cuboid.kind == "cuboid"
    assert close_to(cuboid.center[0], np.add(ORIGIN, [3.0, 2.0, 0.0]), tolerance=0.05)
    assert close_to(cuboid.size[0], [4.0, 2.0, 1.5], tolerance=0.05)


def test_backspace_while_drawing_drops_the_last_vertex_not_the_selection(window, qtbot):
    # The canvas hands Backspace to a tool that wants it before the Delete shortcut.
    draw_box(qtbot, window, 20, 20, 60, 50)  # stored and selected
    press_key(qtbot, window, "p")
    for x, y in ((100, 100), (200, 100), (200, 200), (20, 280)):
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Backspace)
    press_key(qtbot, window, Qt.Key.Key_Return)

    box, polygon = shapes(window)
    assert box.kind == "box"
    assert close_to(sorted(map(tuple, polygon.geometry.vertices.tolist())),
                    [(100, 100), (200, 100), (200, 200)])


def test_no_assist_runs_where_the_user_may_not_edit(window, qtbot):
    batch = window.project.store.batch_for_item(int(window.item.id))
    assert window.adapter.batch_action(int(batch.id), "submit", acknowledge_warnings=True)
    press_key(qtbot, window, "i")
    assert window.statusBar().currentMessage().startswith("Read-only here")
    assert not window.assists.busy() and window.editor.tool.name == "select"


def test_the_assist_flow_speaks_japanese(tmp_path, folder, open_ui, qtbot):
    with plugin_site(tmp_path / "site") as site:
        site.add("testassists", {"assists": ASSISTS}, {"outline": "assists:Outline"})
        discover(refresh=True)
        window = open_ui(folder, language="ja")
        _choose(window, "outline")
        assert window.findChild(QMenu, "menuAssists").title() == "アシスト(&A)"
        press_key(qtbot, window, "i")
        assert "矩形をドラッグ" in window.statusBar().currentMessage()
        drag(qtbot, window, (100, 60), (260, 200))
        assert window.statusBar().currentMessage() == "I を押すとこの矩形でアシストを実行します"
        press_key(qtbot, window, "i")
        _wait_for_drafts(qtbot, window)
        assert window.statusBar().currentMessage().startswith("提案 1 件")


def test_an_assist_sees_the_image_upright_as_displayed(window, qtbot, tmp_path):
    # Stored 400 x 300 with a bright block at the top left, EXIF orientation 6
    # (turn 90° clockwise to show): shown 300 x 400 with the block at the top right.
    pixels = np.full((300, 400, 3), 20, dtype=np.uint8)
    pixels[0:50, 0:100] = 240
    path = window.project.folder / "media" / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(path, quality=95, exif=exif)
    with Project.open(window.project.folder, "lead") as lead:
        (turned,) = lead.import_media([path]).added
        lead.create_batch("turned", [turned])
        lead.batch_action("turned", "assign", assignee="ann")
    with Project.open(window.project.folder, "ann") as ann:
        ann.batch_action("turned", "start")
    window.open_item(turned)
    _choose(window, "bright")
    press_key(qtbot, window, "i")
    _wait_for_drafts(qtbot, window)
    press_key(qtbot, window, Qt.Key.Key_Return)

    (box,) = shapes(window)
    assert close_to(box_corners(box), [250, 0, 300, 100], tolerance=2)
