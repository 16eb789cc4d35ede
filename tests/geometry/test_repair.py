from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import shapely

from annotator.commands import (
    ChangeAnnotations,
    Command,
    CompositeCommand,
    command_from_payload,
)
from annotator.errors import GeometryError
from annotator.geometry import (
    REPAIRS,
    Finding,
    clip_to_image,
    drop_duplicate_vertices,
    make_valid,
    repair,
    repairs_for,
    validate_annotations,
)
from annotator.model import (
    Annotation,
    Box,
    Geometry,
    Item,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from annotator.project import Project

# The test project's images are 64 x 48 (tests/conftest.py).
BOW_TIE = Polygon(np.array([[4.0, 4], [40, 40], [40, 4], [4, 40]]))
# A bow-tie with lobes of 200/3 and 800/3 square pixels, crossing at (40/3, 40/3).
UNEVEN = Polygon(np.array([[0.0, 0], [40, 40], [40, 20], [0, 10]]))


def _contents(project: Project, item: int = 1) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.content_json().items() if k != "created_at"}
            for a in project.store.annotations_for_item(item)]


def _add(project: Project, geometry: Geometry, label: str = "car") -> Annotation:
    from annotator.commands import AddAnnotations

    attributes = {"occluded": True} if label == "car" else {}
    project.stack.push(AddAnnotations([Annotation(None, 1, label, geometry, attributes)]))
    return project.store.annotations_for_item(1)[-1]


def _rules(project: Project, item_id: int = 1) -> set[str]:
    item = project.store.get_item(item_id)
    found = validate_annotations(project.schema, item, project.store.annotations_for_item(1))
    return {f.rule for f in found}


def _round_trip(command: Command) -> Command:
    return command_from_payload(json.dumps(command.to_payload()))


def _check_undo_redo(project: Project, command: Command, rule: str) -> None:
    """Applied through the stack the repair fixes ``rule``; undo and redo are exact."""
    before = _contents(project)
    assert rule in _rules(project)
    project.stack.push(command)
    after = _contents(project)
    assert rule not in _rules(project)
    assert project.stack.undo_label() == command.label
    project.stack.undo()
    assert _contents(project) == before
    project.stack.redo()
    assert _contents(project) == after
    # The undo history is read back from the store after reopening.
    folder = project.folder
    project.close()
    with Project.open(folder, "lead") as again:
        assert again.stack.undo_label() == command.label
        again.stack.undo()
        assert _contents(again) == before
        again.stack.redo()
        assert _contents(again) == after


# -- make valid ----------------------------------------------------------------------------


def test_keep_largest_part(project: Project) -> None:
    stored = _add(project, UNEVEN)
    command = make_valid(stored, "largest")
    assert command is not None
    assert command.label == f"Repair polygon #{stored.id} (keep largest part)"
    assert isinstance(_round_trip(command), ChangeAnnotations)
    _check_undo_redo(project, command, "polygon_invalid")


def test_keep_largest_part_keeps_the_larger_lobe(project: Project) -> None:
    command = make_valid(_add(project, UNEVEN), "largest")
    project.stack.push(command)
    (fixed,) = project.store.annotations_for_item(1)
    assert shapely.Polygon(fixed.geometry.vertices).area == pytest.approx(800 / 3)
    assert fixed.attributes == {"occluded": True}


def test_split_into_parts_is_one_undo_step(project: Project) -> None:
    stored = _add(project, BOW_TIE)
    command = make_valid(stored, "split")
    assert isinstance(command, CompositeCommand)
    assert command.label == f"Repair polygon #{stored.id} (split into 2 parts)"
    _check_undo_redo(project, command, "polygon_invalid")


def test_split_parts_share_class_and_attributes(project: Project) -> None:
    stored = _add(project, BOW_TIE)
    project.stack.push(make_valid(stored, "split"))
    parts = project.store.annotations_for_item(1)
    assert [p.label for p in parts] == ["car", "car"]
    assert [dict(p.attributes) for p in parts] == [{"occluded": True}] * 2
    assert parts[0].id == stored.id
    areas = sorted(shapely.Polygon(p.geometry.vertices).area for p in parts)
    assert areas == pytest.approx([324.0, 324.0])


def test_split_survives_the_persistent_stack_with_fixed_ids(project: Project) -> None:
    stored = _add(project, BOW_TIE)
    project.stack.push(make_valid(stored, "split"))
    ids = [a.id for a in project.store.annotations_for_item(1)]
    project.stack.undo()
    project.stack.redo()
    assert [a.id for a in project.store.annotations_for_item(1)] == ids


def test_make_valid_leaves_valid_polygons_alone() -> None:
    square = Polygon(np.array([[0.0, 0], [10, 0], [10, 10], [0, 10]]))
    assert make_valid(Annotation(1, 1, "car", square), "largest") is None
    with pytest.raises(GeometryError, match="only polygons"):
        make_valid(Annotation(1, 1, "car", Box.from_corners(0, 0, 1, 1)), "largest")
    with pytest.raises(ValueError, match="mode"):
        make_valid(Annotation(1, 1, "car", BOW_TIE), "biggest")


def test_make_valid_of_a_shape_without_area() -> None:
    flat = Polygon(np.array([[0.0, 0], [10, 0], [5, 0]]))
    with pytest.raises(GeometryError, match="nothing of it has an area"):
        make_valid(Annotation(3, 1, "car", flat), "largest")


def test_hole_outside_shell_keeps_the_shell() -> None:
    holed = Polygon(np.array([[0.0, 0], [20, 0], [20, 20], [0, 20]]),
                    (np.array([[30.0, 30], [35, 30], [35, 35]]),))
    command = make_valid(Annotation(1, 1, "car", holed), "largest")
    assert isinstance(command, ChangeAnnotations)
    assert shapely.Polygon(command.after[0].geometry.vertices).area == pytest.approx(400.0)


# -- clip to the image ----------------------------------------------------------------------


def test_clip_box(project: Project) -> None:
    stored = _add(project, Box.from_corners(-10, 10, 30, 60))
    command = clip_to_image(stored, 64, 48)
    assert command is not None
    assert command.label == f"Repair box #{stored.id} (clip to the image)"
    _check_undo_redo(project, command, "outside_image")
    with Project.open(project.folder, "lead") as again:
        (box,) = again.store.annotations_for_item(1)
        assert box.geometry == Box.from_corners(0, 10, 30, 48)


def test_clip_polygon_keeps_the_largest_part_inside(project: Project) -> None:
    # A U whose arms reach into the image from below: two parts inside.
    u_shape = Polygon(np.array([[10.0, 40], [20, 40], [20, 60], [40, 60], [40, 30], [50, 30],
                                [50, 70], [10, 70]]))
    stored = _add(project, u_shape)
    command = clip_to_image(stored, 64, 48)
    assert isinstance(command, ChangeAnnotations)
    clipped = shapely.Polygon(command.after[0].geometry.vertices)
    assert clipped.area == pytest.approx(180.0)       # the right arm, 10 x 18
    _check_undo_redo(project, command, "outside_image")


def test_clip_polyline(project: Project) -> None:
    stored = _add(project, Polyline(np.array([[10.0, 10], [100, 10]])), label="lane_line")
    command = clip_to_image(stored, 64, 48)
    assert isinstance(command, ChangeAnnotations)
    assert command.after[0].geometry.vertices.tolist() == [[10.0, 10.0], [64.0, 10.0]]
    _check_undo_redo(project, command, "outside_image")


def test_clip_does_nothing_inside_and_refuses_what_it_cannot_clip() -> None:
    inside = Annotation(1, 1, "car", Box.from_corners(0, 0, 64, 48))
    assert clip_to_image(inside, 64, 48) is None
    with pytest.raises(GeometryError, match="wholly outside"):
        clip_to_image(Annotation(2, 1, "car", Box.from_corners(70, 0, 80, 10)), 64, 48)
    with pytest.raises(GeometryError, match="wholly outside"):
        clip_to_image(Annotation(3, 1, "car", Polygon(np.array([[70.0, 0], [80, 0], [80, 9]]))),
                      64, 48)
    with pytest.raises(GeometryError, match="point #4 lies outside"):
        clip_to_image(Annotation(4, 1, "sign", Point.at(-1, 5)), 64, 48)
    with pytest.raises(GeometryError, match="stay a rotated box"):
        clip_to_image(Annotation(5, 1, "car", RotatedBox(60, 20, 20, 10, 0.3)), 64, 48)


# -- duplicate vertices ------------------------------------------------------------------------


def test_drop_duplicate_vertices(project: Project) -> None:
    doubled = Polygon(np.array([[0.0, 0], [0, 0], [20, 0], [20, 20], [20, 20], [0, 20], [0, 0]]))
    stored = _add(project, doubled)
    command = drop_duplicate_vertices(stored)
    assert command is not None
    assert command.label == f"Repair polygon #{stored.id} (drop 3 duplicate vertices)"
    _check_undo_redo(project, command, "duplicate_vertices")


def test_drop_duplicate_vertices_of_a_polyline(project: Project) -> None:
    stored = _add(project, Polyline(np.array([[1.0, 1], [5, 5], [5, 5], [9, 1]])),
                  label="lane_line")
    command = drop_duplicate_vertices(stored)
    assert isinstance(command, ChangeAnnotations)
    assert command.after[0].geometry.vertices.tolist() == [[1, 1], [5, 5], [9, 1]]
    assert command.label.endswith("(drop 1 duplicate vertex)")
    _check_undo_redo(project, command, "duplicate_vertices")


def test_nothing_to_drop_or_too_little_left() -> None:
    square = Polygon(np.array([[0.0, 0], [10, 0], [10, 10], [0, 10]]))
    assert drop_duplicate_vertices(Annotation(1, 1, "car", square)) is None
    assert drop_duplicate_vertices(Annotation(1, 1, "car", Box.from_corners(0, 0, 1, 1))) is None
    flat = Polygon(np.array([[0.0, 0], [0, 0], [5, 5], [5, 5]]))
    with pytest.raises(GeometryError, match="too few"):
        drop_duplicate_vertices(Annotation(2, 1, "car", flat))


# -- choosing a repair ------------------------------------------------------------------------


def _finding(rule: str, severity: str = "error", annotation: int | None = 3) -> Finding:
    return Finding(1, annotation, rule, severity, "...", None)


def test_repairs_for_each_rule() -> None:
    assert repairs_for(_finding("polygon_invalid")) == ["make_valid_largest", "make_valid_split"]
    assert repairs_for(_finding("outside_image", "warning")) == ["clip_to_image"]
    assert repairs_for(_finding("outside_image", "error")) == []       # nothing left to keep
    assert repairs_for(_finding("duplicate_vertices", "warning")) == ["drop_duplicate_vertices"]
    assert repairs_for(_finding("unknown_class")) == []
    assert repairs_for(_finding("polygon_invalid", annotation=None)) == []
    names = {name for rule in ("polygon_invalid", "outside_image", "duplicate_vertices",
                               "map_dangling_end", "lanelet_swapped")
             for name in repairs_for(_finding(rule, "warning"))}
    assert names == set(REPAIRS)


def test_repair_dispatches_by_name() -> None:
    item = Item(1, "a.png", "image", "png", "", 0, width=64, height=48)
    bow_tie = Annotation(3, 1, "car", BOW_TIE)
    split = repair(bow_tie, "make_valid_split", item)
    largest = repair(bow_tie, "make_valid_largest", item)
    assert split is not None and split.label.endswith("(split into 2 parts)")
    assert largest is not None and largest.label.endswith("(keep largest part)")
    box = Annotation(4, 1, "car", Box.from_corners(-1, 0, 5, 5))
    clipped = repair(box, "clip_to_image", item)
    assert isinstance(clipped, ChangeAnnotations)
    assert repair(box, "drop_duplicate_vertices", item) is None
    with pytest.raises(ValueError, match="unknown repair"):
        repair(box, "paint_it_black", item)
    cloud = Item(2, "a.pcd", "pointcloud", "pcd", "", 0)
    with pytest.raises(GeometryError, match="image size is unknown"):
        repair(box, "clip_to_image", cloud)
