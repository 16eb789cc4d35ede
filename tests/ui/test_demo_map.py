"""The issue's "done when", end to end: the demo road tile mapped with the mouse and the
keyboard (lane lines, road edges, lanelets, a stop line, a crosswalk, a sign linked to its
stop line), every vertex at the road's height, and the lead's Lanelet2 export loading
cleanly in the lanelet2 library and routing.

The demo tile is ``sample_data/make_road_tile.py``'s road: x along it from the tile's west
end (-12000), y = -35000 on the centre line, 3.5 m lanes, a stop line at x + 31.55 and a
crosswalk from x + 34; road-surface points carry LAS class 11.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import yaml
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtWidgets import QMainWindow

from annotator.demo import build_demo
from annotator.geometry.mapnet import is_lanelet, network
from annotator.media.pointcloud import read_pointcloud
from tests.ui.helpers import LEFT, NO_MOD, settle

lanelet2 = pytest.importorskip("lanelet2")

X0, Y0 = -12_000.0, -35_000.0
ROAD_CLASS = 11


def at(window: QMainWindow, s: float, t: float) -> QPointF:
    frame = window.editor.frame
    return window.canvas.mapFromScene(QPointF(*frame.scene_xy(X0 + s, Y0 + t)))


def click(qtbot, window: QMainWindow, s: float, t: float, modifier=NO_MOD) -> None:
    qtbot.mouseMove(window.canvas.viewport(), at(window, s, t))
    qtbot.mouseClick(window.canvas.viewport(), LEFT, modifier, at(window, s, t))


def draw(qtbot, window: QMainWindow, key: str, label: str,
         points: list[tuple[float, float]]) -> int:
    window.editor.set_class(label)
    qtbot.keyClick(window.canvas, key)
    for s, t in points:
        click(qtbot, window, s, t)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    settle()
    assert window.editor.selection, window.statusBar().currentMessage()
    return window.editor.selection[0]


@pytest.fixture
def demo_window(qtbot, open_ui: Callable[..., QMainWindow], tmp_path: Path,
                monkeypatch) -> QMainWindow:
    monkeypatch.setenv("ANNOTATOR_USER", "lea")
    folder, _ = build_demo(tmp_path / "demo", user="lea", fresh=True)
    window = open_ui(folder, user="lea")
    tile = next(i for page in window.project.store.iter_items(kind="pointcloud")
                for i in page)
    window.open_item(int(tile.id))
    qtbot.waitUntil(lambda: window.editor.frame is not None, timeout=30_000)
    window.canvas.setFocus()
    a, b = window.editor.frame.scene_xy(X0 - 1, Y0 + 9), window.editor.frame.scene_xy(
        X0 + 41, Y0 - 9)
    window.canvas.zoom_to(QRectF(QPointF(*a), QPointF(*b)))
    settle()
    return window


def test_the_demo_tile_is_mapped_and_its_lanelet2_export_loads_and_routes(
        qtbot, demo_window: QMainWindow, tmp_path: Path) -> None:
    window = demo_window
    ends = [(1.0, 0.0), (20.0, 0.0), (39.0, 0.0)]

    def along(t: float) -> list[tuple[float, float]]:
        return [(s, t) for s, _ in ends]

    kinds = {}
    for name, label, t, attribute, value in (
            ("edge_l", "road_edge", 6.9, "edge_type", "curb"),
            ("dash_l", "lane_line", 3.5, "line_type", "dashed"),
            ("centre", "lane_line", 0.0, "line_type", "double_solid"),
            ("dash_r", "lane_line", -3.5, "line_type", "dashed"),
            ("edge_r", "road_edge", -6.9, "edge_type", "curb")):
        kinds[name] = draw(qtbot, window, "l", label, along(t))
        window.editor.set_attribute(attribute, value)     # the attribute panel's job
    edge_l, dash_l, centre, dash_r, edge_r = kinds.values()
    stop = draw(qtbot, window, "l", "stop_line", [(31.7, 0.35), (31.7, 6.6)])
    draw(qtbot, window, "p", "crosswalk", [(34.2, -6.5), (37.8, -6.5), (37.8, 6.5),
                                           (34.2, 6.5)])
    # the lanelets: left line first, then right; the -x lanes picked the same way
    qtbot.keyClick(window.canvas, "k")
    for left, right in ((3.5, 0.0), (6.9, 3.5), (-3.5, 0.0), (-6.9, -3.5)):
        click(qtbot, window, 10.0, left)
        click(qtbot, window, 10.0, right)
        settle()
    # the stop sign on its pole, linked to the stop line
    window.editor.set_class("traffic_sign")
    qtbot.keyClick(window.canvas, "t")
    click(qtbot, window, 30.0, 7.6)
    settle()
    sign = window.editor.selection[0]
    window.editor.set_attribute("sign_type", "stop")
    qtbot.keyClick(window.canvas, "s")
    click(qtbot, window, 30.0, 7.6)
    click(qtbot, window, 31.7, 5.2, Qt.KeyboardModifier.ShiftModifier)
    settle()
    qtbot.keyClick(window.canvas, "k", Qt.KeyboardModifier.ControlModifier)
    settle()

    stored = window.project.store.annotations_for_item(int(window.item.id))
    by_id = {a.id: a for a in stored}
    assert dict(by_id[sign].links) == {"stop_line": stop}
    net = network(stored)
    assert len(net.lanelets) == 4 and not net.broken
    for lane in net.lanelets:
        assert {lane.left_id, lane.right_id} <= {edge_l, dash_l, centre, dash_r, edge_r}

    # every map vertex on the road surface (LAS class 11) within 3 cm
    cloud = read_pointcloud(window.project.resolve(window.item))
    road = cloud.world(np.flatnonzero(cloud.fields["classification"] == ROAD_CLASS))
    for annotation in stored:
        if is_lanelet(annotation) or annotation.id == sign:
            continue
        for x, y, z in annotation.geometry.vertices:
            near = np.hypot(road[:, 0] - x, road[:, 1] - y) < 0.3
            if near.sum() >= 5:
                assert abs(z - np.median(road[near, 2])) < 0.03, annotation.label

    # the lead exports; the lanelet2 library loads it without errors and routes it
    out = tmp_path / "deliverable"
    folder = window.project.folder
    result = subprocess.run(
        [sys.executable, "-m", "annotator", "--user", "lea", "export",
         str(folder), "--format", "lanelet2", "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    from lanelet2.io import Origin
    from lanelet2.projection import UtmProjector

    info = yaml.safe_load((out / "map_projector_info.yaml").read_text())
    origin = Origin(info["map_origin"]["latitude"], info["map_origin"]["longitude"])
    lanelet_map, errors = lanelet2.io.loadRobust(str(out / "lanelet2_map.osm"),
                                                 UtmProjector(origin))
    assert errors == []
    rules = lanelet2.traffic_rules.create(lanelet2.traffic_rules.Locations.Germany,
                                          lanelet2.traffic_rules.Participants.Vehicle)
    graph = lanelet2.routing.RoutingGraph(lanelet_map, rules)
    assert graph.checkValidity() == []
    lanes = list(lanelet_map.laneletLayer)
    assert len(lanes) == 4
    # each inner lane has its outer neighbour to change into, across the dashed line
    changes = sum(1 for ll in lanes if graph.left(ll) is not None or graph.right(ll) is not None)
    assert changes == 4
    governed = [ll for ll in lanes if ll.regulatoryElements]
    assert governed, "the stop sign's regulatory element applies to the lane it stops"
