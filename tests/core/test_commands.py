from __future__ import annotations

import numpy as np
import pytest

from annotator.commands import (
    AddAnnotations,
    ChangeAnnotations,
    DeleteAnnotations,
    change_attributes,
    change_class,
    move_vertices,
    set_flags,
    translate,
)
from annotator.errors import ConflictError, PermissionDenied, SchemaError
from annotator.model import Annotation, Box, Point, Polygon, Polyline
from annotator.project import Project


def _box(item: int = 1, x: float = 0.0) -> Annotation:
    return Annotation(None, item, "car", Box.from_corners(x, 0, x + 10, 10), {"occluded": False})


def _contents(project: Project, item: int = 1) -> list[dict]:
    return [
        {k: v for k, v in a.content_json().items() if k != "created_at"}
        for a in project.store.annotations_for_item(item)
    ]


def test_add_undo_redo_keeps_ids(project: Project) -> None:
    added = project.stack.push(AddAnnotations([_box(), _box(x=20)]))
    ids = [a.id for a in added.annotations]
    assert project.stack.undo_label() == "Add 2 boxes"
    project.stack.undo()
    assert project.store.annotations_for_item(1) == []
    assert project.stack.redo_label() == "Add 2 boxes"
    project.stack.redo()
    assert [a.id for a in project.store.annotations_for_item(1)] == ids


def test_delete_then_undo_restores_the_same_shape(project: Project) -> None:
    project.stack.push(AddAnnotations([_box()]))
    stored = project.store.annotations_for_item(1)
    before = _contents(project)
    project.stack.push(DeleteAnnotations(stored))
    assert project.store.annotations_for_item(1) == []
    project.stack.undo()
    assert _contents(project) == before


def test_every_edit_kind_round_trips_through_undo(project: Project) -> None:
    project.stack.push(AddAnnotations([
        _box(),
        Annotation(None, 1, "car", Polygon(np.array([[0, 0], [10, 0], [10, 10], [0, 10]]))),
        Annotation(None, 1, "lane_line", Polyline(np.array([[0, 0], [5, 5]]))),
    ]))
    snapshots = [_contents(project)]
    current = lambda: project.store.annotations_for_item(1)  # noqa: E731
    edits = [
        lambda: change_class([current()[0]], "truck"),
        lambda: change_attributes([current()[0]], {"occluded": True}),
        lambda: move_vertices(current()[1], [0, 2], [1.5, -2.5]),
        lambda: translate(current(), [3.0, 4.0]),
        lambda: set_flags([current()[2]], hidden=True, locked=True, z=5),
    ]
    for make in edits:
        project.stack.push(make())
        snapshots.append(_contents(project))
    assert snapshots[-1] != snapshots[0]
    for expected in reversed(snapshots[:-1]):
        project.stack.undo()
        assert _contents(project) == expected
    assert project.stack.undo().label == "Add 3 shapes"
    assert project.stack.undo() is None
    assert _contents(project) == []
    project.stack.redo()
    for expected in snapshots[1:]:
        project.stack.redo()
        assert _contents(project) == expected
    assert project.stack.redo() is None


def test_a_drag_is_one_undo_step(project: Project) -> None:
    project.stack.push(AddAnnotations([
        Annotation(None, 1, "car", Polygon(np.array([[0, 0], [10, 0], [10, 10]])))]))
    original = project.store.annotations_for_item(1)[0]
    for _ in range(20):
        shape = project.store.annotations_for_item(1)[0]
        project.stack.push(move_vertices(shape, [1], [0.5, 0.25], merge_key="drag-1"))
    moved = project.store.annotations_for_item(1)[0]
    assert moved.geometry.vertices[1].tolist() == [20.0, 5.0]
    assert project.store.count_edits("lead") == 2  # the add and one merged drag
    project.stack.undo()
    assert project.store.annotations_for_item(1)[0].same_content(original)
    # a second gesture is its own step
    project.stack.redo()
    shape = project.store.annotations_for_item(1)[0]
    project.stack.push(move_vertices(shape, [1], [1, 1], merge_key="drag-2"))
    assert project.store.count_edits("lead") == 3


def test_new_edit_after_undo_drops_the_redo_branch(project: Project) -> None:
    project.stack.push(AddAnnotations([_box()]))
    project.stack.push(AddAnnotations([_box(x=30)]))
    project.stack.undo()
    project.stack.push(AddAnnotations([_box(x=60)]))
    assert project.stack.redo() is None
    xs = sorted(a.geometry.vertices[0, 0] for a in project.store.annotations_for_item(1))
    assert xs == [0.0, 60.0]


def test_a_drag_after_undo_drops_the_redo_branch_and_starts_its_own_step(
        project: Project) -> None:
    project.stack.push(AddAnnotations([_box()]))
    project.stack.push(AddAnnotations([_box(x=30)]))
    project.stack.undo()
    shape = project.store.annotations_for_item(1)[0]
    project.stack.push(move_vertices(shape, [0], [1, 1], merge_key="drag-after-undo"))
    assert project.stack.redo() is None  # the undone add is gone for good
    states = [r[0] for r in project.store._all("SELECT state FROM edit_log ORDER BY seq")]
    assert states == ["done", "dropped", "done"]  # the add, the undone add, the drag
    assert project.stack.undo_label() is not None and "Move" in project.stack.undo_label()


def test_undo_history_survives_reopening(project: Project) -> None:
    project.stack.push(AddAnnotations([_box()]))
    shape = project.store.annotations_for_item(1)[0]
    project.stack.push(move_vertices(shape, [0], [2, 2]))
    location = project.location
    project.close()
    with Project.open(location, "lead") as again:
        assert again.stack.undo_label() == "Move vertex"
        again.stack.undo()
        assert again.store.annotations_for_item(1)[0].geometry == Box.from_corners(0, 0, 10, 10)
        again.stack.undo()
        assert again.store.annotations_for_item(1) == []


def test_each_user_has_their_own_stack(project: Project) -> None:
    project.create_batch("b", [1, 2])
    project.batch_action("b", "assign", assignee="ann")
    project.stack.push(AddAnnotations([_box(item=3)]))
    with Project.open(project.location, "ann") as ann:
        ann.batch_action("b", "start")
        ann.stack.push(AddAnnotations([_box(item=1)]))
        assert ann.stack.undo_label() == "Add box"
        ann.stack.undo()
    # the lead's own add is still theirs to undo
    assert project.stack.undo_label() == "Add box"
    assert project.store.annotations_for_item(3) != []


def test_conflicting_change_is_refused_not_overwritten(project: Project) -> None:
    project.stack.push(AddAnnotations([_box()]))
    stale = project.store.annotations_for_item(1)[0]
    project.stack.push(change_attributes([stale], {"occluded": True}))
    with pytest.raises(ConflictError, match="was changed since"):
        project.stack.push(move_vertices(stale, [0], [1, 1]))
    assert project.store.annotations_for_item(1)[0].attributes == {"occluded": True}
    assert project.stack.undo_label() == "Set occluded of box"


def test_schema_refuses_a_kind_the_class_does_not_allow(project: Project) -> None:
    with pytest.raises(SchemaError, match="'sign' does not allow box"):
        project.stack.push(AddAnnotations([
            Annotation(None, 1, "sign", Box.from_corners(0, 0, 5, 5))]))
    with pytest.raises(SchemaError, match="unknown class 'bus'"):
        project.stack.push(AddAnnotations([
            Annotation(None, 1, "bus", Point.at(1, 1))]))
    assert project.store.count_annotations() == 0
    assert project.stack.undo_label() is None


def test_annotators_edit_only_their_batch_in_progress(project: Project) -> None:
    project.create_batch("b", [1])
    project.batch_action("b", "assign", assignee="ann", reviewer="rev")
    with Project.open(project.location, "ann") as ann:
        with pytest.raises(PermissionDenied, match="start it first"):
            ann.stack.push(AddAnnotations([_box(item=1)]))
        with pytest.raises(PermissionDenied, match="outside any batch"):
            ann.stack.push(AddAnnotations([_box(item=2)]))
        ann.batch_action("b", "start")
        ann.stack.push(AddAnnotations([_box(item=1)]))
        ann.batch_action("b", "submit")
        # once submitted, even undo is refused: the reviewer is looking at it
        with pytest.raises(PermissionDenied, match="while it is submitted"):
            ann.stack.undo()
    with Project.open(project.location, "mallory") as other:
        with pytest.raises(PermissionDenied, match="assigned to ann"):
            other.stack.push(AddAnnotations([_box(item=1)]))
    assert project.store.count_annotations() == 1


def test_listeners_hear_each_committed_step(project: Project) -> None:
    heard: list[tuple[str, str]] = []
    project.stack.subscribe(lambda event, command: heard.append((event, command.label)))
    project.stack.push(AddAnnotations([_box()]))
    project.stack.undo()
    project.stack.redo()
    assert heard == [("push", "Add box"), ("undo", "Add box"), ("redo", "Add box")]


def test_change_requires_matching_ids() -> None:
    a = _box()
    with pytest.raises(ValueError):
        ChangeAnnotations([a], [a], "x")  # ids are None: not stored yet
