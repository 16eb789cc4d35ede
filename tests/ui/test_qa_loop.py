"""The whole QA loop in the app, three people, real mouse and key events.

The lead cuts and assigns a batch in the dashboard; the annotator draws, is
refused at submit while a shape is invalid, fixes it and submits; the
reviewer pins a comment and rejects; the annotator resolves it and
resubmits; the reviewer sees the change and accepts; the lead exports the
accepted work from the dashboard.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from annotator.model import BatchState, Role
from annotator.project import Project
from annotator.schema import load_schema
from tests.conftest import make_images
from tests.ui.helpers import LEFT, SCHEMA, click, drag, draw_box, press_key, settle
from tests.ui.test_review import answer_dialog, pin

SUBMIT = Qt.KeyboardModifier.ControlModifier


def answer_yes() -> None:
    """Press Yes in the next question box (it opens modally)."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            widget.button(QMessageBox.StandardButton.Yes).click()
            return
    QTimer.singleShot(20, answer_yes)


def dashboard_of(window: QMainWindow):  # type: ignore[no-untyped-def]
    window.findChild(type(window.correct_action), "action_dashboard").trigger()
    settle()
    return next(w for w in QApplication.topLevelWidgets() if w.objectName() == "leadDashboard")


def test_lead_annotator_reviewer_run_a_batch_through_the_loop(
        qtbot, open_ui: Callable[..., QMainWindow], tmp_path: Path, settings_dir: Path) -> None:
    folder = tmp_path / "loop"
    with Project.create(folder, load_schema(SCHEMA), user="lead") as lead:
        lead.import_media(make_images(folder / "media", 2, (400, 300)))
        lead.set_role("ann", Role.ANNOTATOR)
        lead.set_role("rev", Role.REVIEWER)

    # The lead cuts a batch and assigns it in the dashboard.
    window = open_ui(folder, user="lead")
    dashboard = dashboard_of(window)
    dashboard.batch_name.setText("street")
    dashboard.batch_mode.setCurrentIndex(dashboard.batch_mode.findData("size"))
    dashboard.batch_size.setValue(10)
    qtbot.mouseClick(dashboard.create_button, LEFT)
    dashboard.select_batch("street")
    dashboard.assignee_combo.setEditText("ann")
    dashboard.reviewer_combo.setEditText("rev")
    qtbot.mouseClick(dashboard.assign_button, LEFT)
    dashboard.close()
    batch = window.project.store.get_batch("street")
    assert (batch.assignee, batch.reviewer, batch.items) == ("ann", "rev", 2)
    window.close()

    # The annotator starts, draws a box too small to be valid, and is refused at submit.
    window = open_ui(folder, user="ann")
    assert window.items.batch_combo.currentText().startswith("My batch: street")
    window.batch_actions["start"].trigger()
    settle()
    first = int(window.item.id)
    window.canvas.fit()
    settle()
    window.labels.list.setCurrentRow(0)                            # car
    press_key(qtbot, window, "p")
    for x, y in ((100, 100), (200, 200), (200, 100), (100, 200)):  # a bow-tie
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Return)
    settle()
    press_key(qtbot, window, Qt.Key.Key_Return, SUBMIT)
    settle()
    assert window.project.store.get_batch("street").state is BatchState.IN_PROGRESS
    assert "error" in window.statusBar().currentMessage()
    # Fix it: undo the bow-tie, draw a proper box instead, mark the other item empty.
    press_key(qtbot, window, "z", Qt.KeyboardModifier.ControlModifier)
    draw_box(qtbot, window, 60, 60, 220, 180)
    press_key(qtbot, window, "d", Qt.KeyboardModifier.ControlModifier
              | Qt.KeyboardModifier.ShiftModifier)
    press_key(qtbot, window, "e", Qt.KeyboardModifier.ControlModifier
              | Qt.KeyboardModifier.ShiftModifier)
    press_key(qtbot, window, Qt.Key.Key_Return, SUBMIT)
    settle()
    assert window.project.store.get_batch("street").state is BatchState.SUBMITTED
    window.close()

    # The reviewer pins a comment on the box and rejects with a summary.
    window = open_ui(folder, user="rev")
    assert window.items.batch_combo.currentText().startswith("To review: street")
    window.open_item(first)
    settle()
    window.canvas.fit()
    settle()
    pin(qtbot, window, 140, 120, "the box cuts the bumper")
    answer_dialog("one box to widen")
    window.batch_actions["reject"].trigger()
    settle()
    assert window.project.store.get_batch("street").state is BatchState.REJECTED
    window.close()

    # The annotator sees the pin, fixes the box, resolves the comment, resubmits.
    window = open_ui(folder, user="ann")
    assert window.items.batch_combo.currentText().startswith("My batch: street")
    window.open_item(first)
    settle()
    window.canvas.fit()
    settle()
    assert window.review.summary.text() == "1 open, 0 resolved"
    window.batch_actions["start"].trigger()
    settle()
    press_key(qtbot, window, "s")
    click(qtbot, window, 140, 120)
    drag(qtbot, window, (219, 179), (239, 179))        # the bottom-right corner, wider
    (box,) = window.project.store.annotations_for_item(first)
    assert abs(box.geometry.corners[1][0] - 240) < 1.5
    window.review.list.setCurrentRow(0)
    qtbot.mouseClick(window.review.resolve_button, LEFT)
    press_key(qtbot, window, Qt.Key.Key_Return, SUBMIT)
    settle()
    assert window.project.store.get_batch("street").state is BatchState.SUBMITTED
    window.close()

    # The reviewer sees what changed and accepts.
    window = open_ui(folder, user="rev")
    window.open_item(first)
    settle()
    assert window.canvas.canvas_scene.shapes[int(box.id)].change == "changed"
    QTimer.singleShot(20, answer_yes)
    window.batch_actions["accept"].trigger()
    settle()
    assert window.project.store.get_batch("street").state is BatchState.ACCEPTED
    actions = [e.action for e in window.project.store.batch_history(batch.id)]
    assert actions == ["create", "assign", "start", "submit", "reject", "start", "submit",
                       "accept"]
    window.close()

    # The lead exports the accepted work from the dashboard.
    window = open_ui(folder, user="lead")
    dashboard = dashboard_of(window)
    out = tmp_path / "delivery"
    dashboard.format_combo.setCurrentIndex(dashboard.format_combo.findData("coco"))
    dashboard.accepted_only.setChecked(True)
    dashboard.out_edit.setText(str(out))
    qtbot.mouseClick(dashboard.export_button, LEFT)
    qtbot.waitUntil(lambda: not dashboard.exporting(), timeout=20_000)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["selection"]["accepted_only"] is True
    assert dashboard.last_delivery is not None
    assert sum(dashboard.last_delivery.report.written.values()) == 1
    assert dashboard.last_delivery.report.images == 2
    stats = window.project.stats()
    assert stats["people"]["ann"]["first_pass_acceptance"] == 0.0
    dashboard.close()
