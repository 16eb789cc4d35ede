from __future__ import annotations

import json

import numpy as np
import pytest

from annotator.commands import (
    AddAnnotations,
    CompositeCommand,
    DeleteAnnotations,
    command_from_payload,
    set_geometry,
)
from annotator.errors import PermissionDenied, SchemaError
from annotator.model import Annotation, Box, Point, Polygon
from annotator.project import Project


def _box(x: float = 0.0, item: int = 1) -> Annotation:
    return Annotation(None, item, "car", Box.from_corners(x, 0, x + 10, 10), {"occluded": False})


def _state(project: Project) -> list[dict]:
    return [{k: v for k, v in a.content_json().items() if k != "created_at"}
            for a in project.store.annotations_for_item(1)]


def test_change_add_and_delete_in_one_undo_step(project: Project) -> None:
    project.stack.push(AddAnnotations([_box(), _box(x=20)]))
    first, second = project.store.annotations_for_item(1)
    before = _state(project)
    triangle = Polygon(np.array([[0.0, 0], [5, 0], [5, 5]]))
    command = CompositeCommand([
        set_geometry(first, Box.from_corners(1, 1, 9, 9)),
        AddAnnotations([Annotation(None, 1, "car", triangle, {"occluded": True})]),
        DeleteAnnotations([second]),
    ], "Rework two boxes")
    assert command.item_ids() == {1}
    project.stack.push(command)
    after = _state(project)
    assert len(after) == 2 and project.stack.undo_label() == "Rework two boxes"
    project.stack.undo()
    assert _state(project) == before
    project.stack.redo()
    assert _state(project) == after


def test_payload_round_trip_keeps_parts_and_ids(project: Project) -> None:
    project.stack.push(AddAnnotations([_box()]))
    (stored,) = project.store.annotations_for_item(1)
    command = CompositeCommand([set_geometry(stored, Box.from_corners(2, 2, 8, 8)),
                                AddAnnotations([_box(x=30)])], "Split")
    project.stack.push(command)
    again = command_from_payload(json.dumps(command.to_payload()))
    assert isinstance(again, CompositeCommand)
    assert again.to_payload() == command.to_payload()
    assert [type(c).__name__ for c in again.commands] == ["ChangeAnnotations", "AddAnnotations"]
    nested = CompositeCommand([command], "Nested")
    assert command_from_payload(json.dumps(nested.to_payload())).to_payload() == \
        nested.to_payload()


def test_a_failing_part_rolls_the_whole_step_back(project: Project) -> None:
    project.stack.push(AddAnnotations([_box()]))
    before = _state(project)
    command = CompositeCommand([AddAnnotations([_box(x=40)]),
                                AddAnnotations([Annotation(None, 1, "sign", Box.from_corners(
                                    0, 0, 2, 2))])], "Bad")
    with pytest.raises(SchemaError, match="does not allow box"):
        project.stack.push(command)
    assert _state(project) == before
    assert project.stack.undo_label() == "Add box"


def test_permissions_cover_every_part(project: Project) -> None:
    project.create_batch("b", [1])
    project.batch_action("b", "assign", assignee="ann")
    with Project.open(project.location, "ann") as ann:
        ann.batch_action("b", "start")
        ann.stack.push(CompositeCommand([AddAnnotations([_box(item=1)])], "Mine"))
        with pytest.raises(PermissionDenied):
            ann.stack.push(CompositeCommand([AddAnnotations([_box(item=1)]),
                                             AddAnnotations([_box(item=2)])], "Reach"))
        assert ann.store.count_annotations() == 1


def test_empty_composite_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CompositeCommand([], "Nothing")
    assert CompositeCommand([AddAnnotations([Annotation(None, 1, "sign", Point.at(1, 1))])],
                            "One").written()[0].label == "sign"
