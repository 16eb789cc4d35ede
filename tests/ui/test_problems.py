"""The Problems panel: live findings, click to go, repairs, and submit refused on errors."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTreeWidget

from annotator.commands import AddAnnotations
from annotator.model import Annotation, BatchState
from annotator.project import Project
from annotator.shapes import Polygon
from tests.ui.helpers import click, press_key, settle, shapes

BOW_TIE = [(50, 50), (150, 150), (150, 50), (50, 150)]


def rows(window) -> list[str]:
    tree = window.findChild(QTreeWidget, "problemList")
    found = []
    for index in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(index)
        found.extend(group.child(i).text(0) for i in range(group.childCount()))
    return found


def finding_row(window, rule: str):
    tree = window.findChild(QTreeWidget, "problemList")
    for index in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(index)
        for i in range(group.childCount()):
            child = group.child(i)
            if child.data(0, Qt.ItemDataRole.UserRole).rule == rule:
                return tree, child
    raise AssertionError(f"no {rule} row in {rows(window)}")


def test_a_self_intersecting_polygon_is_flagged_as_it_is_drawn(window, qtbot):
    assert rows(window) == []
    press_key(qtbot, window, "p")
    for x, y in BOW_TIE:
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Return)
    settle()
    (shape,) = shapes(window)
    assert shape.kind == "polygon"
    messages = rows(window)
    assert len(messages) == 1 and "self-intersection" in messages[0].lower(), messages
    # the canvas marks the crossing
    marks = window.problems.marks
    assert marks.scene() is window.canvas.canvas_scene
    (spot, severity), = marks.spots
    assert severity == "error"
    assert abs(spot.x() - 100) < 1.5 and abs(spot.y() - 100) < 1.5

    press_key(qtbot, window, "z", Qt.KeyboardModifier.ControlModifier)
    settle()
    assert shapes(window) == [] and rows(window) == [] and marks.spots == []


def test_clicking_a_problem_on_another_item_opens_it_and_selects_the_shape(window, setup,
                                                                          qtbot):
    other = setup.batch_items[2]
    with Project.open(setup.folder, "ann") as ann:
        ann.stack.push(AddAnnotations([Annotation(None, other, "crosswalk", Polygon(BOW_TIE))]))
    window.problems._reload_batch()  # another process edited: what "Validate" re-reads
    tree, row = finding_row(window, "polygon_invalid")
    tree.scrollToItem(row)
    rect = tree.visualItemRect(row)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    settle()
    assert int(window.item.id) == other
    (shape,) = shapes(window)
    assert window.editor.selection == [int(shape.id)]


def test_repair_from_the_panel_is_one_undoable_step(window, qtbot):
    press_key(qtbot, window, "p")
    for x, y in BOW_TIE:
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Return)
    settle()
    (before,) = shapes(window)
    _, row = finding_row(window, "polygon_invalid")
    window.problems.apply_repair(row.data(0, Qt.ItemDataRole.UserRole), "make_valid_largest")
    settle()
    (after,) = shapes(window)
    assert after.geometry != before.geometry
    assert [r for r in rows(window) if "self-intersection" in r.lower()] == []
    press_key(qtbot, window, "z", Qt.KeyboardModifier.ControlModifier)
    settle()
    (undone,) = shapes(window)
    assert undone.geometry == before.geometry


def test_submit_with_errors_is_refused_and_shows_the_problems(window, setup, qtbot,
                                                              monkeypatch):
    press_key(qtbot, window, "p")
    for x, y in BOW_TIE:
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Return)
    settle()
    window.findChild(type(window.undo_action), "action_batch_submit").trigger()
    settle()
    batch = window.project.store.get_batch("b1")
    assert batch.state is BatchState.IN_PROGRESS
    assert window.problems_dock.isVisible()
    assert "error" in window.statusBar().currentMessage()
    press_key(qtbot, window, "z", Qt.KeyboardModifier.ControlModifier)
    settle()
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.findChild(type(window.undo_action), "action_batch_submit").trigger()
    settle()
    assert window.project.store.get_batch("b1").state is BatchState.SUBMITTED
