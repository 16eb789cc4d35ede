"""Review in the app: a reviewer pins comments, the annotator sees the pins, resolves them,
marks items done, and the app counts her active time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMainWindow

from annotator.commands import AddAnnotations
from annotator.model import Annotation, Role
from annotator.project import Project
from annotator.shapes import Box
from tests.ui.helpers import BATCH, LEFT, NO_MOD, Setup, at, build_project, settle

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def submitted(tmp_path: Path, settings_dir: Path) -> Setup:
    """Batch b1 with one car box on its first item, submitted by ann; rev reviews it."""
    setup = build_project(tmp_path)
    with Project.open(setup.folder, "lead") as lead:
        lead.set_role("rev", Role.REVIEWER)
        lead.batch_action(BATCH, "assign", assignee="ann", reviewer="rev")
    with Project.open(setup.folder, "ann") as ann:
        ann.stack.push(AddAnnotations([Annotation(None, setup.batch_items[0], "car",
                                                  Box.from_corners(40, 40, 160, 120))]))
        ann.batch_action(BATCH, "submit")
    return setup


def answer_dialog(text: str) -> None:
    """Type ``text`` into the next text dialog and press OK (it opens modally)."""
    def fill() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QInputDialog) and widget.isVisible():
                widget.setTextValue(text)
                widget.accept()
                return
        QTimer.singleShot(20, fill)
    QTimer.singleShot(20, fill)


def pin(qtbot, window: QMainWindow, x: float, y: float, text: str) -> None:
    qtbot.mouseClick(window.review.pin_button, LEFT)
    answer_dialog(text)
    qtbot.mouseClick(window.canvas.viewport(), LEFT, NO_MOD, at(window, x, y))
    settle()


def test_reviewer_pins_to_a_shape_and_a_spot_annotator_resolves(
        qtbot, open_ui: Callable[..., QMainWindow], submitted: Setup) -> None:
    first = submitted.batch_items[0]
    window = open_ui(submitted.folder, user="rev")
    window.open_item(first)
    settle()
    window.canvas.fit()
    settle()
    assert window.review.objectName() == "reviewPanel"
    assert window.review.pin_button.isEnabled()
    pin(qtbot, window, 100, 80, "the box misses the mirror")
    pin(qtbot, window, 300, 250, "a car is missing here")
    comments = window.project.comments(BATCH)
    assert [c.text for c in comments] == ["the box misses the mirror", "a car is missing here"]
    box_id = int(window.project.store.annotations_for_item(first)[0].id)
    assert comments[0].annotation_id == box_id and comments[0].position is None
    assert comments[1].annotation_id is None
    assert abs(comments[1].position[0] - 300) < 2 and abs(comments[1].position[1] - 250) < 2
    assert window.review.list.count() == 2
    assert [number for _, number, _ in window.review.pins.pins] == [1, 2]
    window.project.batch_action(BATCH, "reject", comment="two things to fix")
    window.close()

    window = open_ui(submitted.folder, user="ann")
    window.open_item(first)
    settle()
    review = window.review
    assert not review.pin_button.isEnabled()          # annotators do not pin
    assert review.summary.text() == "2 open, 0 resolved"
    assert len(review.pins.pins) == 2
    rect = review.list.visualItemRect(review.list.item(0))
    qtbot.mouseClick(review.list.viewport(), LEFT, pos=rect.center())
    settle()
    assert window.editor.selection == [box_id]        # the comment's shape, selected
    window.project.batch_action(BATCH, "start")
    settle()
    review.list.setCurrentRow(0)
    assert review.resolve_button.isEnabled()
    qtbot.mouseClick(review.resolve_button, LEFT)
    settle()
    stored = window.project.comments(BATCH)
    assert [c.resolved for c in stored] == [True, False]
    assert review.summary.text() == "1 open, 1 resolved"


def test_marks_move_on_and_time_is_counted(qtbot, open_ui: Callable[..., QMainWindow],
                                           setup: Setup) -> None:
    window = open_ui(setup.folder)
    first, second = setup.batch_items[:2]
    window.open_item(first)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, "e", CTRL_SHIFT)
    settle()
    assert window.project.item_statuses(BATCH)[first] == "verified_empty"
    assert int(window.item.id) == second              # on to the next item not marked
    assert "verified empty" not in window.position_label.text()
    qtbot.wait(300)
    qtbot.keyClick(window.canvas, "d", CTRL_SHIFT)
    settle()
    statuses = window.project.item_statuses(BATCH)
    assert statuses[second] == "done"
    model = window.items.model
    texts = [model.data(model.index(r), Qt.ItemDataRole.DisplayRole) for r in range(2)]
    assert texts[0].endswith("∅") and texts[1].endswith("✓")
    # Time between opening the second item and marking it counts, for ann, on it.
    assert window.project.active_seconds(user="ann", item=second) >= 0.25


def test_each_role_sees_its_queue_first(qtbot, open_ui: Callable[..., QMainWindow],
                                        submitted: Setup) -> None:
    from annotator.ui.panels import batch_queue

    with Project.open(submitted.folder, "lead") as lead:
        others = lead.create_batches("more", size=1)
        lead.batch_action(others[0].name, "assign", assignee="ann")
        batches = lead.store.list_batches()
        users = {name: lead.store.ensure_user(name, role) for name, role in
                 (("ann", Role.ANNOTATOR), ("rev", Role.REVIEWER), ("lead", Role.LEAD))}
    # ann: her open batch is hers to do; the submitted one is out of her hands.
    mine = batch_queue(batches, users["ann"])
    assert [(b.name, g) for b, g in mine] == [(others[0].name, "mine"), (BATCH, "")]
    first, group = batch_queue(batches, users["rev"])[0]
    assert (first.name, group) == (BATCH, "review")
    assert [b.name for b, _ in batch_queue(batches, users["lead"])] == [b.name for b in batches]
    # The reviewer's window opens on the batch to review.
    window = open_ui(submitted.folder, user="rev")
    combo = window.items.batch_combo
    assert combo.currentText().startswith("To review: " + BATCH)


def test_reviewer_sees_what_the_resubmission_added_and_changed(
        qtbot, open_ui: Callable[..., QMainWindow], submitted: Setup) -> None:
    from annotator.commands import DeleteAnnotations, translate

    first = submitted.batch_items[0]
    with Project.open(submitted.folder, "rev") as rev:
        rev.batch_action(BATCH, "reject", comment="more cars")
    with Project.open(submitted.folder, "ann") as ann:
        ann.batch_action(BATCH, "start")
        (box,) = ann.store.annotations_for_item(first)
        ann.stack.push(translate([box], [5, 0]))
        ann.stack.push(AddAnnotations([Annotation(None, first, "car",
                                                  Box.from_corners(200, 150, 260, 200)),
                                       Annotation(None, first, "car",
                                                  Box.from_corners(10, 200, 60, 260))]))
        doomed = ann.store.annotations_for_item(first)[-1]
        ann.stack.push(DeleteAnnotations([doomed]))
        ann.batch_action(BATCH, "submit")
        added = [a.id for a in ann.store.annotations_for_item(first) if a.id != box.id]
    window = open_ui(submitted.folder, user="rev")
    window.open_item(first)
    settle()
    shapes = window.canvas.canvas_scene.shapes
    assert shapes[int(box.id)].change == "changed"
    assert [shapes[int(i)].change for i in added] == ["added"]
    text = window.review.changes_label.text()
    assert "1 added" in text and "1 changed" in text and "0 deleted" in text
    # Another item of the batch, untouched: nothing framed.
    window.open_item(submitted.batch_items[1])
    settle()
    assert all(s.change is None for s in window.canvas.canvas_scene.shapes.values())


def test_history_lists_transitions_and_comments_read_only(
        qtbot, open_ui: Callable[..., QMainWindow], submitted: Setup) -> None:
    from PySide6.QtWidgets import QAbstractItemView, QTableWidget

    first = submitted.batch_items[0]
    with Project.open(submitted.folder, "rev") as rev:
        rev.add_comment(BATCH, first, "mirror missing", position=(5, 5))
        time.sleep(0.005)   # times are to the millisecond: keep the two apart
        rev.batch_action(BATCH, "reject", comment="fix the mirror")
    window = open_ui(submitted.folder, user="lead")
    window.open_item(first)
    qtbot.keyClick(window.canvas, "h", Qt.KeyboardModifier.ControlModifier)
    settle()
    dialog = next(w for w in QApplication.topLevelWidgets()
                  if w.objectName() == "batchHistory")
    table = dialog.findChild(QTableWidget, "batchHistoryTable")
    actions = [table.item(r, 2).text() for r in range(table.rowCount())]
    assert actions[-2:] == ["comment", "reject"]
    assert "submit" in actions and "assign" in actions
    assert "fix the mirror" in table.item(table.rowCount() - 1, 3).text()
    assert table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    dialog.close()


def test_correct_mode_lets_the_reviewer_move_a_shape(
        qtbot, open_ui: Callable[..., QMainWindow], submitted: Setup) -> None:
    from tests.ui.helpers import drag

    first = submitted.batch_items[0]
    window = open_ui(submitted.folder, user="rev")
    window.open_item(first)
    settle()
    window.canvas.fit()
    settle()
    (box,) = window.project.store.annotations_for_item(first)
    assert not window.tool_actions["box"].isEnabled()              # read-only review
    assert "correct mode" in window.canvas.toolTip()
    drag(qtbot, window, (100, 80), (120, 80))
    assert window.project.store.get_annotation(int(box.id)).same_content(box)   # read-only
    assert "correct mode" in window.statusBar().currentMessage()
    qtbot.keyClick(window.canvas, "k", CTRL_SHIFT)
    assert window.correct_action.isChecked() and window.project.correcting
    assert window.tool_actions["box"].isEnabled() and window.canvas.toolTip() == ""
    drag(qtbot, window, (100, 80), (120, 80))
    moved = window.project.store.get_annotation(int(box.id))
    assert abs(moved.geometry.corners[0][0] - 60) < 1.5


def test_batch_moves_offered_by_the_rules_reject_needs_a_summary(
        qtbot, open_ui: Callable[..., QMainWindow], submitted: Setup) -> None:
    window = open_ui(submitted.folder, user="rev")
    window.open_item(submitted.batch_items[0])
    settle()
    offered = {name for name, action in window.batch_actions.items() if action.isEnabled()}
    assert offered == {"accept", "reject"}
    answer_dialog("the second car is missing")
    window.batch_actions["reject"].trigger()
    settle()
    batch = window.project.store.get_batch(BATCH)
    assert batch.state.value == "rejected"
    assert window.project.store.batch_history(batch.id)[-1].comment == \
        "the second car is missing"
    assert {n for n, a in window.batch_actions.items() if a.isEnabled()} == set()
    window.close()
    window = open_ui(submitted.folder, user="ann")
    window.open_item(submitted.batch_items[0])
    settle()
    assert {n for n, a in window.batch_actions.items() if a.isEnabled()} == {"start"}


def test_only_a_lead_opens_the_dashboard(qtbot, open_ui: Callable[..., QMainWindow],
                                         submitted: Setup) -> None:
    window = open_ui(submitted.folder, user="rev")
    action = window.findChild(type(window.correct_action), "action_dashboard")
    assert not action.isEnabled()
    window.close()
    window = open_ui(submitted.folder, user="lead")
    action = window.findChild(type(window.correct_action), "action_dashboard")
    assert action.isEnabled()
    action.trigger()
    settle()
    dialog = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "leadDashboard")
    assert dialog.isVisible()
    dialog.close()
