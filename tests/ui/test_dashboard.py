"""The lead dashboard on a real project: its figures are Project.stats(), its actions
reach the store, and its export writes a deliverable."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QProgressBar

from annotator.commands import AddAnnotations
from annotator.model import Annotation, BatchState, Role
from annotator.project import Project
from annotator.shapes import Box
from annotator.ui.dashboard import Dashboard
from tests.conftest import make_images
from tests.ui.helpers import BATCH, LEFT, Setup, build_project

ACCEPTED = "b2"
REASON = "boxes too loose on the parked cars"


@pytest.fixture
def loop(tmp_path: Path, settings_dir: Path) -> Setup:
    """b1 (4 images) rejected with a reason; b2 (the fifth image) accepted; ann worked
    100 active seconds and drew a box on each batch."""
    setup = build_project(tmp_path)
    with Project.open(setup.folder, "lead") as lead:
        lead.set_role("rev", Role.REVIEWER)
        lead.batch_action(BATCH, "assign", assignee="ann", reviewer="rev")
        lead.create_batch(ACCEPTED, setup.other_items)
        lead.batch_action(ACCEPTED, "assign", assignee="ann", reviewer="rev")
    with Project.open(setup.folder, "ann") as ann:
        first, other = setup.batch_items[0], setup.other_items[0]
        ann.record_activity(first, at=1000.0)
        ann.stack.push(AddAnnotations([Annotation(None, first, "car",
                                                  Box.from_corners(40, 40, 160, 120),
                                                  author="ann")]))
        ann.mark_item(first, "done")
        ann.record_activity(first, at=1060.0)
        ann.batch_action(BATCH, "submit", acknowledge_warnings=True)
        ann.batch_action(ACCEPTED, "start")
        ann.stack.push(AddAnnotations([Annotation(None, other, "car",
                                                  Box.from_corners(10, 10, 90, 80),
                                                  author="ann")]))
        ann.mark_item(other, "done")
        ann.record_activity(other, at=1100.0)
        ann.batch_action(ACCEPTED, "submit", acknowledge_warnings=True)
    with Project.open(setup.folder, "rev") as rev:
        rev.batch_action(BATCH, "reject", comment=REASON)
        rev.batch_action(ACCEPTED, "accept", comment="fine")
    return setup


def open_dashboard(qtbot, folder: Path, user: str = "lead") -> Iterator[Dashboard]:
    project = Project.open(folder, user)
    dialog = Dashboard(project)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    try:
        yield dialog
    finally:
        dialog.close()
        project.close()


@pytest.fixture
def dashboard(qtbot, loop: Setup) -> Iterator[Dashboard]:
    yield from open_dashboard(qtbot, loop.folder)


def table_rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())
             if table.item(r, c) is not None] for r in range(table.rowCount())]


def test_figures_shown_are_the_project_figures(dashboard: Dashboard) -> None:
    stats = dashboard.project.stats()
    by_state = stats["batches_by_state"]
    assert by_state[BatchState.REJECTED]["batches"] == 1   # the fixture is what we think
    assert by_state[BatchState.ACCEPTED]["done"] == 1
    # (time is credited to the item in focus before each event: all of it to b1)
    # Progress: one bar per state with the store's counts, one row per batch.
    chart = {row.label: (row.batches, row.items, row.done) for row in dashboard.state_chart.rows}
    assert chart == {dashboard.state_label(s): (f["batches"], f["items"], f["done"])
                     for s, f in by_state.items()}
    table = dashboard.progress_table
    assert table.rowCount() == len(stats["batch_progress"])
    for row, batch in enumerate(stats["batch_progress"]):
        assert table.item(row, 0).text() == batch["name"]
        assert table.item(row, 1).text() == dashboard.state_label(batch["state"])
        assert table.item(row, 3).text() == f"{batch['active_seconds'] / 3600:.2f}"
        bar = table.cellWidget(row, 4)
        assert isinstance(bar, QProgressBar)
        assert (bar.value(), bar.maximum()) == (batch["done"], batch["items"])
    # People: every figure of every person.
    people = stats["people"]
    assert people["ann"]["active_seconds"] == 100.0
    assert [b["active_seconds"] for b in stats["batch_progress"]] == [100.0, 0.0]
    expected = []
    for name, p in sorted(people.items()):
        accept = p["first_pass_acceptance"]
        expected.append([name, str(p["items"]), str(p["shapes"]),
                         f"{p['active_seconds'] / 3600:.2f}",
                         "—" if p["items_per_active_hour"] is None
                         else f"{p['items_per_active_hour']:.2f}",
                         "—" if p["shapes_per_active_hour"] is None
                         else f"{p['shapes_per_active_hour']:.2f}",
                         "—" if accept is None else f"{accept * 100:.0f} %"])
    assert table_rows(dashboard.people_table) == expected
    assert ["ann", "2", "2", "0.03", "72.00", "72.00", "50 %"] in expected
    assert dashboard.people_chart.rows == [
        (n, p["shapes_per_active_hour"]) for n, p in sorted(people.items())
        if p["shapes_per_active_hour"] is not None]
    # Quality: the reasons and the shapes per class.
    reasons = [dashboard.reasons_list.item(i).text()
               for i in range(dashboard.reasons_list.count())]
    assert len(reasons) == len(stats["rejection_reasons"]) == 1
    assert reasons[0].startswith(f"{BATCH} — rev, ") and reasons[0].endswith(f" UTC: {REASON}")
    assert dashboard.class_chart.rows == [(n, float(c))
                                          for n, c in stats["shapes_per_class"].items()]
    assert dict(dashboard.class_chart.rows)["car"] == 2.0
    for index in range(dashboard.tabs.count()):
        dashboard.tabs.setCurrentIndex(index)
        dashboard.grab().save(f"/tmp/dashboard-{index}.png")
    dashboard.tabs.setCurrentIndex(0)
    dashboard.grab().save("/tmp/dashboard.png")


def test_a_rejected_batch_is_shown_and_counted(dashboard: Dashboard) -> None:
    rows = [r[:3] for r in table_rows(dashboard.progress_table)]
    assert [BATCH, "rejected", "ann"] in rows
    rejected = [r for r in dashboard.state_chart.rows if r.label == "rejected"]
    assert [(r.batches, r.items, r.done) for r in rejected] == [(1, 4, 1)]
    assert "rejected: 1" in dashboard.summary_label.text()


def test_creating_batches_by_size_makes_them_in_the_store(qtbot, setup: Setup) -> None:
    with Project.open(setup.folder, "lead") as lead:
        lead.import_media(make_images(setup.folder / "media" / "more", 4))
    for dialog in open_dashboard(qtbot, setup.folder):
        assert dialog.unbatched_label.text() == "5 item(s) in no batch"
        dialog.batch_name.setText("extra")
        dialog.batch_mode.setCurrentIndex(dialog.batch_mode.findData("size"))
        dialog.batch_size.setValue(2)
        qtbot.mouseClick(dialog.create_button, LEFT)
        made = {b.name: b.items for b in dialog.project.store.list_batches()}
        assert made == {BATCH: 4, "extra-001": 2, "extra-002": 2, "extra-003": 1}
        assert dialog.project.unbatched_item_ids() == []
        assert [r[0] for r in table_rows(dialog.batch_table)] == list(made)
        assert not dialog.create_button.isEnabled()
        assert dialog.progress_table.rowCount() == 4


def test_a_random_sample_with_a_seed_is_the_projects_draw(qtbot, setup: Setup) -> None:
    with Project.open(setup.folder, "lead") as lead:
        lead.import_media(make_images(setup.folder / "media" / "more", 5))
        unbatched = lead.unbatched_item_ids()
    for dialog in open_dashboard(qtbot, setup.folder):
        dialog.batch_name.setText("spot")
        dialog.batch_mode.setCurrentIndex(dialog.batch_mode.findData("sample"))
        assert dialog.sample_seed.isEnabled() and dialog.sample_size.isEnabled()
        dialog.sample_size.setValue(3)
        dialog.batch_size.setValue(10)
        dialog.sample_seed.setValue(7)
        qtbot.mouseClick(dialog.create_button, LEFT)
        assert dialog.error_box is None
        store = dialog.project.store
        spot = store.get_batch("spot")
        drawn = [i.id for page in store.iter_items(spot.id) for i in page]
        assert drawn == sorted(random.Random(7).sample(unbatched, 3))
        assert len(dialog.project.unbatched_item_ids()) == len(unbatched) - 3


def test_assigning_and_reopening_through_the_dashboard(qtbot, dashboard: Dashboard) -> None:
    store = dashboard.project.store
    assert not dashboard.assign_button.isEnabled()       # nothing selected yet
    dashboard.select_batch(BATCH)
    assert (dashboard.assignee_combo.currentText(), dashboard.reviewer_combo.currentText()) == (
        "ann", "rev")                                    # the batch's people, to edit
    dashboard.assignee_combo.setEditText("bob")
    dashboard.reviewer_combo.setEditText("rev")
    qtbot.mouseClick(dashboard.assign_button, LEFT)
    assert dashboard.error_box is None
    batch = store.get_batch(BATCH)
    assert (batch.assignee, batch.reviewer) == ("bob", "rev")
    assert [BATCH, "rejected", "bob"] in [r[:3] for r in table_rows(dashboard.progress_table)]
    # A refusal of the store is one line in a message box, and changes nothing.
    dashboard.select_batch(BATCH)
    dashboard.assignee_combo.setEditText("")
    dashboard.reviewer_combo.setEditText("ann")
    qtbot.mouseClick(dashboard.assign_button, LEFT)
    assert dashboard.error_box is not None and dashboard.error_box.isVisible()
    assert "ann is an annotator" in dashboard.error_box.text()
    assert "\n" not in dashboard.error_box.text()
    dashboard.error_box.close()
    assert store.get_batch(BATCH).reviewer == "rev"
    # Reopen the accepted batch with a comment.
    dashboard.select_batch(ACCEPTED)
    dashboard.reopen_comment.setText("client found a missed car")
    qtbot.mouseClick(dashboard.reopen_button, LEFT)
    assert store.get_batch(ACCEPTED).state is BatchState.IN_PROGRESS
    last = store.all_history()[-1][1]
    assert (last.action, last.user, last.comment) == ("reopen", "lead",
                                                      "client found a missed car")
    assert [ACCEPTED, "in progress", "ann"] in [r[:3] for r in
                                                table_rows(dashboard.progress_table)]


def test_an_annotator_is_refused_batch_creation(qtbot, setup: Setup) -> None:
    for dialog in open_dashboard(qtbot, setup.folder, user="ann"):
        qtbot.mouseClick(dialog.create_button, LEFT)
        assert dialog.error_box is not None
        assert "lead" in dialog.error_box.text()
        dialog.error_box.close()
        assert [b.name for b in dialog.project.store.list_batches()] == [BATCH]


def test_export_of_accepted_work_writes_a_deliverable(qtbot, dashboard: Dashboard,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "delivery"
    dashboard.format_combo.setCurrentIndex(dashboard.format_combo.findData("coco"))
    assert dashboard.accepted_only.isChecked()
    dashboard.out_edit.setText(str(out))
    qtbot.mouseClick(dashboard.export_button, LEFT)
    assert not dashboard.export_button.isEnabled()
    qtbot.waitUntil(lambda: not dashboard.exporting(), timeout=20_000)
    assert dashboard.export_button.isEnabled()
    assert (out / "manifest.json").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["selection"]["accepted_only"] is True
    delivery = dashboard.last_delivery
    assert delivery is not None and delivery.report.images == 1      # b2 only
    assert sum(delivery.report.written.values()) == 1
    assert dashboard.export_result.text() == (
        f"Wrote 1 annotation(s) on 1 item(s) to {delivery.out}")


def test_export_into_a_used_folder_says_why_in_one_line(qtbot, dashboard: Dashboard,
                                                        tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("someone else's file")
    dashboard.out_edit.setText(str(used))
    qtbot.mouseClick(dashboard.export_button, LEFT)
    qtbot.waitUntil(lambda: not dashboard.exporting(), timeout=20_000)
    text = dashboard.export_result.text()
    assert text.startswith("Export failed: ") and "\n" not in text
    assert sorted(p.name for p in used.iterdir()) == ["keep.txt"]
    assert dashboard.export_button.isEnabled()
    assert dashboard.last_delivery is None


def test_batches_by_folder_make_one_batch_per_folder(qtbot, setup: Setup) -> None:
    with Project.open(setup.folder, "lead") as lead:
        lead.import_media(make_images(setup.folder / "media" / "more", 2))
    for dialog in open_dashboard(qtbot, setup.folder):
        dialog.batch_name.setText("site")
        dialog.batch_mode.setCurrentIndex(dialog.batch_mode.findData("folder"))
        assert not dialog.batch_size.isEnabled()
        qtbot.mouseClick(dialog.create_button, LEFT)
        assert dialog.error_box is None
        made = {b.name: b.items for b in dialog.project.store.list_batches()}
        assert made == {BATCH: 4, "site-s4": 1, "site-more": 2}


def test_cancelled_export_leaves_nothing(qtbot, dashboard: Dashboard, tmp_path: Path) -> None:
    out = tmp_path / "never"
    dashboard.out_edit.setText(str(out))
    dashboard.start_export()
    assert dashboard.cancel_button.isEnabled()
    # The worker is still opening its own connection to the project: this comes first.
    qtbot.mouseClick(dashboard.cancel_button, LEFT)
    qtbot.waitUntil(lambda: not dashboard.exporting(), timeout=20_000)
    assert dashboard.export_result.text() == "Export failed: cancelled; nothing was written"
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []
    assert not dashboard.cancel_button.isEnabled() and dashboard.export_button.isEnabled()
