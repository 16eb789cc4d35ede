"""The QA workflow's data layer: item marks, review comments, changes since a
submission, active time with a fake clock, the dashboard figures and batch cutting.

Every test works on a real project on disk, as three people with their own
:class:`Project` objects, the way three copies of the app would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator.commands import AddAnnotations, DeleteAnnotations, translate
from annotator.errors import PermissionDenied, StoreError, WorkflowError
from annotator.model import Annotation, BatchState, Box, LabelSchema, Role
from annotator.project import Project
from annotator.store import CURRENT_VERSION, create_project, open_project
from tests.conftest import make_images


class FakeClock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def team(project: Project) -> Iterator[tuple[Project, Project, Project]]:
    """(lead, annotator 'ann', reviewer 'rev') on one project; batch 'b1' over items 1-3,
    assigned to ann and rev, started by ann."""
    project.set_role("ann", Role.ANNOTATOR)
    project.set_role("rev", Role.REVIEWER)
    project.create_batch("b1", [1, 2, 3])
    project.batch_action("b1", "assign", assignee="ann", reviewer="rev")
    ann = Project.open(project.location, "ann")
    rev = Project.open(project.location, "rev")
    ann.batch_action("b1", "start")
    yield project, ann, rev
    ann.close()
    rev.close()


def _box(item: int, x: float = 0.0, author: str = "ann") -> Annotation:
    return Annotation(None, item, "car", Box.from_corners(x, 0, x + 10, 10), {"occluded": False},
                      author=author)


# -- 1. item status ------------------------------------------------------------------------


def test_marks_are_stored_and_next_not_done_skips_them(team) -> None:
    _lead, ann, _rev = team
    ann.stack.push(AddAnnotations([_box(1)]))
    assert ann.next_not_done("b1") == 1
    ann.mark_item(1, "done")
    ann.mark_item(2, "verified_empty")
    assert ann.item_statuses("b1") == {1: "done", 2: "verified_empty", 3: None}
    assert ann.next_not_done("b1", after=1) == 3
    assert ann.next_not_done("b1", after=3) == 3  # wraps around to the only one left
    ann.mark_item(3, "done")
    assert ann.next_not_done("b1") is None
    ann.mark_item(3, None)
    assert ann.item_statuses("b1")[3] is None
    # a fresh connection sees the same: it is stored, not kept in memory
    with Project.open(ann.location, "rev") as other:
        assert other.item_statuses("b1") == {1: "done", 2: "verified_empty", 3: None}


def test_verified_empty_is_refused_with_shapes_and_cleared_by_a_new_shape(team) -> None:
    _lead, ann, _rev = team
    ann.stack.push(AddAnnotations([_box(1)]))
    with pytest.raises(StoreError, match="has 1 annotation"):
        ann.mark_item(1, "verified_empty")
    ann.mark_item(2, "verified_empty")
    ann.stack.push(AddAnnotations([_box(2)]))
    assert ann.item_statuses("b1")[2] is None
    # a 'done' mark survives new shapes
    ann.mark_item(1, "done")
    ann.stack.push(AddAnnotations([_box(1, 20)]))
    assert ann.item_statuses("b1")[1] == "done"


def test_only_the_assignee_marks_and_only_in_progress(team) -> None:
    lead, ann, rev = team
    with pytest.raises(PermissionDenied, match="assigned to ann"):
        rev.mark_item(1, "done")
    with pytest.raises(StoreError, match="unknown item status"):
        ann.mark_item(1, "finished")
    ann.batch_action("b1", "submit")
    with pytest.raises(WorkflowError, match="while it is submitted"):
        ann.mark_item(1, "done")
    lead.create_batch("b2", lead.unbatched_item_ids() or _more_items(lead, 1))
    with pytest.raises(PermissionDenied, match="assigned to nobody"):
        ann.mark_item(4, "done")


def _more_items(project: Project, count: int) -> list[int]:
    report = project.import_media(make_images(project.folder / "more", count))
    return report.added


# -- 2. review comments ----------------------------------------------------------------


def test_comment_reject_resolve_resubmit_accept(team) -> None:
    lead, ann, rev = team
    shape = ann.stack.push(AddAnnotations([_box(1)])).written()[0]
    with pytest.raises(WorkflowError, match="while it is in_progress"):
        rev.add_comment("b1", 1, "too early")
    ann.batch_action("b1", "submit")
    with pytest.raises(PermissionDenied, match="only a reviewer or lead"):
        ann.add_comment("b1", 1, "self-review")
    pinned = rev.add_comment("b1", 1, "box too loose", annotation_id=shape.id)
    spot = rev.add_comment("b1", 2, "missed a car here", position=(12.5, 30))
    assert (pinned.annotation_id, pinned.position, pinned.author) == (shape.id, None, "rev")
    assert spot.position == (12.5, 30.0)
    with pytest.raises(StoreError, match="not on item 2"):
        rev.add_comment("b1", 2, "wrong pin", annotation_id=shape.id)
    with pytest.raises(StoreError, match="not in batch"):
        lead.add_comment("b1", 99, "no such item")
    with pytest.raises(WorkflowError, match="without a comment"):
        rev.batch_action("b1", "reject")
    rev.batch_action("b1", "reject", "two issues, see pins")
    with pytest.raises(PermissionDenied, match="assigned to ann"):
        rev.resolve_comment(int(pinned.id or 0))
    done = ann.resolve_comment(int(pinned.id or 0))
    assert (done.resolved, done.resolved_by) == (True, "ann") and done.resolved_at
    with pytest.raises(StoreError, match="already resolved by ann"):
        ann.resolve_comment(int(pinned.id or 0))
    assert [c.id for c in ann.comments("b1", unresolved_only=True)] == [spot.id]
    ann.batch_action("b1", "start")
    ann.resolve_comment(int(spot.id or 0))
    ann.batch_action("b1", "submit")
    with pytest.raises(WorkflowError, match="while it is submitted"):
        ann.resolve_comment(int(spot.id or 0))
    rev.batch_action("b1", "accept", "fine now")
    assert [(c.text, c.resolved) for c in rev.comments("b1")] == [
        ("box too loose", True), ("missed a car here", True)]
    actions = [h.action for h in lead.store.batch_history(1)]
    assert actions == ["create", "assign", "start", "submit", "reject", "start", "submit",
                       "accept"]


def test_another_reviewer_may_not_comment(team) -> None:
    lead, ann, _rev = team
    lead.set_role("rex", Role.REVIEWER)
    ann.batch_action("b1", "submit")
    with Project.open(lead.location, "rex") as rex, pytest.raises(PermissionDenied,
                                                               match="its reviewer is rev"):
        rex.add_comment("b1", 1, "not mine")


# -- 3. changes since the last submission -------------------------------------------------


def test_changes_since_submission_through_the_command_stack(team) -> None:
    _lead, ann, rev = team
    kept, moved, gone = ann.stack.push(
        AddAnnotations([_box(1), _box(1, 20), _box(2)])).written()
    ann.batch_action("b1", "submit")
    assert rev.changes_since_submission("b1") == {}  # first submission: no base
    rev.batch_action("b1", "reject", "fix item 1")
    ann.batch_action("b1", "start")
    ann.stack.push(translate([moved], (3, 0)))
    ann.stack.push(DeleteAnnotations([gone]))
    new = ann.stack.push(AddAnnotations([_box(3)])).written()[0]
    expected = {
        1: {"added": [], "changed": [moved.id], "deleted": []},
        2: {"added": [], "changed": [], "deleted": [gone.id]},
        3: {"added": [new.id], "changed": [], "deleted": []},
    }
    assert ann.changes_since_submission("b1") == expected
    ann.batch_action("b1", "submit")
    assert rev.changes_since_submission("b1") == expected  # what the reviewer sees
    assert all(kept.id not in ids for entry in expected.values() for ids in entry.values())
    # undoing a move is a change too (the revision went up), and shows as one
    rev.batch_action("b1", "reject", "again")
    ann.batch_action("b1", "start")
    assert ann.changes_since_submission("b1") == {}
    ann.stack.undo()  # undo the add on item 3
    assert ann.changes_since_submission("b1") == {
        3: {"added": [], "changed": [], "deleted": [new.id]}}


# -- 4. active time ---------------------------------------------------------------------


def test_active_time_with_a_fake_clock_skips_idle_gaps(team) -> None:
    _lead, ann, rev = team
    clock = FakeClock()
    ann.clock = clock
    assert ann.record_activity(1) == 0  # the first event only starts the clock
    clock.tick(30)
    assert ann.record_activity(1) == 30
    clock.tick(50)
    assert ann.record_activity(2) == 50  # credited to item 1, in focus until now
    clock.tick(121)
    assert ann.record_activity(2) == 0  # over two minutes: idle
    clock.tick(120)
    assert ann.record_activity(3) == 120  # exactly two minutes still counts
    clock.tick(-5)
    assert ann.record_activity(3) == 0  # a clock set back counts nothing
    assert ann.active_seconds(user="ann", item=1) == 80
    assert ann.active_seconds(user="ann", item=2) == 120
    assert ann.active_seconds(batch="b1") == 200
    rev.record_activity(1, at=clock.now)
    rev.record_activity(1, at=clock.now + 10)
    assert rev.active_seconds(user="rev") == 10
    assert rev.active_seconds(batch="b1") == 210
    assert rev.active_seconds() == 210


def test_active_time_survives_a_reopen(team) -> None:
    _lead, ann, _rev = team
    ann.record_activity(1, at=100.0)
    ann.close()
    with Project.open(_lead.location, "ann") as again:
        assert again.record_activity(1, at=160.0) == 60
        assert again.active_seconds(user="ann") == 60


# -- 5. figures --------------------------------------------------------------------------


def test_stats_figures(team) -> None:
    lead, ann, rev = team
    clock = FakeClock()
    ann.clock = clock
    ann.record_activity(1)
    ann.stack.push(AddAnnotations([_box(1), _box(1, 20)]))
    clock.tick(90)
    ann.record_activity(2)
    clock.tick(90)
    ann.record_activity(3)
    for item in (1, 2, 3):
        ann.mark_item(item, "done")
    ann.batch_action("b1", "submit")
    rev.batch_action("b1", "reject", "car boxes too loose")
    ann.batch_action("b1", "start")
    ann.batch_action("b1", "submit")
    rev.batch_action("b1", "accept")
    stats = lead.stats()
    assert stats["people"]["ann"] == {
        "items": 3, "shapes": 2, "active_seconds": 180.0, "first_pass_acceptance": 0.0,
        "items_per_active_hour": 60.0, "shapes_per_active_hour": 40.0,
    }
    assert stats["batches_by_state"]["accepted"] == {"batches": 1, "items": 3, "done": 3}
    assert stats["batches_by_state"]["rejected"] == {"batches": 0, "items": 0, "done": 0}
    assert [r["comment"] for r in stats["rejection_reasons"]] == ["car boxes too loose"]
    assert stats["shapes_per_class"] == {"car": 2, "truck": 0, "lane_line": 0, "sign": 0}
    assert stats["throughput"]["ann"]["items_per_active_hour"] == 60.0
    assert stats["batch_progress"][0]["done"] == 3
    assert stats["batch_progress"][0]["active_seconds"] == 180.0


def test_first_pass_acceptance_and_rejected_progress(project: Project) -> None:
    _more_items(project, 3)
    project.set_role("ann", Role.ANNOTATOR)
    for name, ids in (("p1", [1, 2]), ("p2", [3, 4]), ("p3", [5, 6])):
        project.create_batch(name, ids)
        project.batch_action(name, "assign", assignee="ann")
    with Project.open(project.location, "ann") as ann:
        for name in ("p1", "p2", "p3"):
            ann.batch_action(name, "start")
        ann.mark_item(3, "done")
        for name in ("p1", "p2", "p3"):
            ann.batch_action(name, "submit")
    project.batch_action("p1", "accept")
    project.batch_action("p2", "reject", "missing cars")
    stats = project.stats()
    assert stats["people"]["ann"]["first_pass_acceptance"] == 0.5  # p3 is undecided
    assert stats["batches_by_state"]["rejected"] == {"batches": 1, "items": 2, "done": 1}


# -- 6. batch creation helpers ------------------------------------------------------------


def test_create_batches_by_size_folder_and_sample(tmp_path: Path, schema: LabelSchema) -> None:
    with Project.create(tmp_path / "p", schema, "lead") as lead:
        lead.import_media(make_images(tmp_path / "p" / "day1", 5))
        lead.import_media(make_images(tmp_path / "p" / "day2", 3))
        by_size = lead.create_batches("s", size=2, item_ids=[1, 2, 3, 4, 5])
        assert [(b.name, b.items) for b in by_size] == [("s-001", 2), ("s-002", 2),
                                                        ("s-003", 1)]
        by_folder = lead.create_batches("f")
        assert [(b.name, b.items) for b in by_folder] == [("f", 3)]  # only day2 is left
    with Project.create(tmp_path / "q", schema, "lead") as lead:
        lead.import_media(make_images(tmp_path / "q" / "day1", 5))
        lead.import_media(make_images(tmp_path / "q" / "day2", 3))
        assert [(b.name, b.items) for b in lead.create_batches("f", by_folder=True)] == [
            ("f-day1", 5), ("f-day2", 3)]
    picks = []
    for name in ("r1", "r2"):
        with Project.create(tmp_path / name, schema, "lead") as lead:
            lead.import_media(make_images(tmp_path / name / "m", 20))
            batch = lead.create_batches("sample", sample=4, seed=7)[0]
            picks.append(lead.store.batch_item_ids(int(batch.id or 0)))
            with pytest.raises(StoreError, match="cannot sample 17"):
                lead.create_batches("more", sample=17)
    assert picks[0] == picks[1] and len(picks[0]) == 4 and picks[0] != [1, 2, 3, 4]


def test_only_a_lead_cuts_batches_and_a_refusal_makes_none(team) -> None:
    lead, ann, _rev = team
    with pytest.raises(PermissionDenied, match="only a lead"):
        ann.create_batches("x", size=1)
    _more_items(lead, 3)
    lead.create_batch("x-002", [6])
    with pytest.raises(StoreError, match="exists already"):
        lead.create_batches("x", size=1)
    assert [b.name for b in lead.store.list_batches()] == ["b1", "x-002"]


# -- the migration -----------------------------------------------------------------------------


def test_a_v2_project_migrates_to_v3_after_a_backup(tmp_path: Path, schema: LabelSchema) -> None:
    folder = tmp_path / "old"
    create_project(folder, schema, lead="lead", version=2).close()
    with open_project(folder) as store:
        assert store.version() == CURRENT_VERSION == 5
        assert store.migrated_from == 2 and store.backup_path
    copy = sqlite3.connect(str(next(folder.glob("*.bak"))))
    assert copy.execute("SELECT value FROM meta WHERE key='store_version'").fetchone()[0] == "2"
    copy.close()
    with Project.open(folder, "lead") as lead:
        lead.import_media(make_images(folder / "m", 1))
        lead.create_batch("b", [1])
        lead.batch_action("b", "assign", assignee="lead")
        lead.batch_action("b", "start")
        lead.mark_item(1, "verified_empty")
        assert lead.item_statuses("b") == {1: "verified_empty"}
        assert lead.store.get_batch("b").state is BatchState.IN_PROGRESS


def test_rules_use_the_role_as_stored_now(team) -> None:
    """A reviewer demoted by the lead after opening the project is refused at once."""
    lead, ann, rev = team
    ann.batch_action("b1", "submit")
    lead.set_role("rev", Role.ANNOTATOR)
    with pytest.raises(PermissionDenied, match="only a reviewer or lead"):
        rev.add_comment("b1", 1, "still reviewing?")
    assert lead.comments("b1") == []
    with pytest.raises(StoreError, match="no item with id 42"):
        ann.mark_item(42, "done")
