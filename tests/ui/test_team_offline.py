"""The app on a team project whose connection drops: it works on, says so, and catches up.

A real PostgreSQL server is reached through a TCP relay the test cuts
(tests/net_cut.py); shapes are drawn with real mouse events.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton

from annotator.commands import ChangeAnnotations, translate
from annotator.project import Project
from annotator.schema import load_schema
from tests.conftest import make_images
from tests.core.conftest import PgServer, pg_server  # noqa: F401 - the server fixture
from tests.net_cut import NetCut
from tests.ui.helpers import SCHEMA, draw_box, settle, shapes


@pytest.fixture
def team_url(pg_server: PgServer, tmp_path: Path,  # noqa: F811 - the imported fixture
             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ANNOTATOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    database = pg_server.new_database()
    with Project.create(pg_server.url(database), load_schema(SCHEMA), user="lead") as lead:
        lead.import_media(make_images(tmp_path / "media", 2, (400, 300)))
        lead.create_batch("b1", [1, 2])
        lead.batch_action("b1", "assign", assignee="ann")
    with Project.open(pg_server.url(database), "ann") as ann:
        ann.batch_action("b1", "start")
    relay = NetCut(pg_server.port)
    yield f"postgresql://postgres@127.0.0.1:{relay.port}/{database}?sslmode=disable", \
        pg_server.url(database), relay
    relay.close()


def _on_first_item(qtbot, window: QMainWindow) -> QMainWindow:
    window.open_item(1)
    # the file comes from the server into the cache first, off the GUI thread
    qtbot.waitUntil(lambda: window.item is not None and window.item.id == 1, timeout=15_000)
    window.canvas.fit()
    settle()
    return window


def test_the_app_works_on_offline_and_replays_with_conflicts_shown(
        qtbot, open_ui: Callable[..., QMainWindow], team_url, tmp_path: Path) -> None:
    url, direct, relay = team_url
    window = _on_first_item(qtbot, open_ui(url))
    label = window.findChild(QLabel, "offlineLabel")
    assert label is not None and not label.isVisible()
    draw_box(qtbot, window, 20, 20, 120, 100)
    first = window.project.store.annotations_for_item(1)
    assert len(first) == 1 and first[0].id is not None

    relay.cut()
    draw_box(qtbot, window, 200, 150, 300, 250)  # the server is gone: kept offline
    assert window.project.offline
    window.adapter.push(translate(first, (30.0, 0.0)))  # and ann moves her first box
    settle()
    assert label.isVisible() and label.text() == "offline — 2 edits waiting"
    assert len(shapes(window)) == 2  # the working copy shows the work
    window.grab().save(str(tmp_path / "offline.png"))

    # meanwhile the lead, on the server, marks that first box occluded
    with Project.open(direct, "lead") as lead:
        stored = lead.store.get_annotation(int(first[0].id))
        assert stored is not None
        lead.push(ChangeAnnotations([stored], [dataclasses.replace(
            stored, attributes={**stored.attributes, "occluded": True})], "Occluded"))

    relay.restore()
    window.team.probe()  # what the five-second timer does, off the GUI thread
    qtbot.waitUntil(lambda: not window.project.offline, timeout=15_000)
    assert not label.isVisible()
    dialog = window.team.dialog
    assert dialog is not None and dialog.isVisible()
    yours = dialog.findChild(QLabel, "conflictYours")
    theirs = dialog.findChild(QLabel, "conflictTheirs")
    assert yours is not None and theirs is not None
    assert "occluded=false" in yours.text() and "occluded=true" in theirs.text()
    dialog.grab().save(str(tmp_path / "conflict.png"))
    # ann decides her version wins: one click, an ordinary undoable edit
    use = dialog.findChild(QPushButton, "useMine")
    assert use is not None
    qtbot.mouseClick(use, Qt.MouseButton.LeftButton)
    with Project.open(direct, "lead") as lead:
        stored_now = lead.store.annotations_for_item(1)
        assert len(stored_now) == 2
        moved = next(a for a in stored_now if a.id == first[0].id)
        assert moved.attributes["occluded"] is False
        assert moved.geometry.vertices[0][0] == pytest.approx(
            first[0].geometry.vertices[0][0] + 30.0)
    assert not use.isEnabled()
    dialog.close()


def test_a_live_conflict_opens_the_dialog_and_the_app_starts_offline_from_its_copy(
        qtbot, open_ui: Callable[..., QMainWindow], team_url) -> None:
    url, direct, relay = team_url
    window = _on_first_item(qtbot, open_ui(url))
    draw_box(qtbot, window, 20, 20, 120, 100)
    (mine,) = shapes(window)
    # the lead moves it on the server; ann's screen still shows where it was
    with Project.open(direct, "lead") as lead:
        stored = lead.store.get_annotation(int(mine.id or 0))
        assert stored is not None
        moved = lead.push(translate([stored], (0.0, 40.0))).after[0]  # type: ignore[attr-defined]
    window.adapter.push(translate([mine], (10.0, 0.0)))
    dialog = window.team.dialog
    assert dialog is not None and dialog.isVisible()
    theirs = dialog.findChild(QLabel, "conflictTheirs")
    yours = dialog.findChild(QLabel, "conflictYours")
    assert theirs is not None and yours is not None
    assert "y 59.8" in theirs.text() and "y 19.8" in yours.text()
    dialog.close()
    with Project.open(direct, "lead") as lead:  # nothing was written over the lead's move
        now = lead.store.get_annotation(int(mine.id or 0))
        assert now is not None and now.geometry.to_json() == moved.geometry.to_json()
    window.close()

    # the server is away when the app starts again: it opens ann's working copy
    relay.cut()
    again = open_ui(url)
    label = again.findChild(QLabel, "offlineLabel")
    assert again.project.offline and label is not None and label.isVisible()
    assert label.text() == "offline — 0 edits waiting"
    assert len(again.project.store.annotations_for_item(1)) == 1
