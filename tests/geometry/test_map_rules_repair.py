"""The map repairs on a real project: connect a loose end, swap or reverse a lanelet.

The generated road (tests/geometry/map_road.py) is stored in a project with
two real PCD tiles; each repair goes through the project's command stack,
fixes its finding, and undoes and redoes exactly (also after reopening).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from annotator.commands import AddAnnotations, Command, command_from_payload
from annotator.errors import GeometryError
from annotator.geometry import (
    REPAIRS,
    Finding,
    connect_end,
    repair,
    repairs_for,
    reverse_lanelet,
    swap_lanelet_sides,
)
from annotator.geometry.mapnet import lanelet_polygon, point_key
from annotator.media.pcd import write_pcd
from annotator.media.pointcloud import PointCloud
from annotator.model import Annotation
from annotator.project import Project
from tests.geometry.map_road import SCHEMA, Road, two_lane_road, world


def _tile(path: Path, x0: float) -> Path:
    rng = np.random.default_rng(int(x0))
    local = np.column_stack([rng.uniform(0, 20, 500), rng.uniform(-5, 5, 500),
                             rng.uniform(-0.05, 0.05, 500)]).astype(np.float32)
    cloud = PointCloud(np.array(world(x0, 0.0)), local, {}, "pcd", "binary")
    write_pcd(path, cloud, "binary")
    return path


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[Callable[[Road], Project]]:
    opened: list[Project] = []

    def make(road: Road) -> Project:
        folder = tmp_path / "proj"
        media = folder / "media"
        media.mkdir(parents=True)
        project = Project.create(folder, SCHEMA, user="lead")
        opened.append(project)
        project.import_media([_tile(media / "tile_1.pcd", 0.0)])
        project.import_media([_tile(media / "tile_2.pcd", 20.0)])
        assert [(i.id, i.kind) for i, _ in project.entries()] == [
            (1, "pointcloud"), (2, "pointcloud")]
        project.stack.push(AddAnnotations(list(road.shapes.values())))
        return project

    yield make
    for project in opened:
        project.close()


def _everything(project: Project) -> list[Annotation]:
    return [a for _, shapes in project.entries() for a in shapes]


def _contents(project: Project) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.content_json().items() if k != "created_at"}
            for a in _everything(project)]


def _fix(project: Project, name: str) -> Command:
    """Repair ``name`` for the one finding there is, pushed; checks undo and redo."""
    (finding,) = project.validate()
    assert name in repairs_for(finding)
    annotation = project.store.get_annotation(finding.annotation_id or 0)
    item = project.store.get_item(finding.item_id)
    assert annotation is not None
    command = repair(annotation, name, item, _everything(project), project.schema.rules)
    assert command is not None
    assert command_from_payload(json.dumps(command.to_payload())).label == command.label
    before = _contents(project)
    project.stack.push(command)
    after = _contents(project)
    assert project.validate() == []
    project.stack.undo()
    assert _contents(project) == before
    assert [f.rule for f in project.validate()] == [finding.rule]
    project.stack.redo()
    assert _contents(project) == after
    return command


def _line(project: Project, road: Road, name: str) -> np.ndarray:
    annotation = project.store.get_annotation(road.id(name))
    assert annotation is not None
    return np.asarray(annotation.geometry.vertices)


def _lanelet(project: Project, road: Road, name: str) -> Annotation:
    annotation = project.store.get_annotation(road.id(name))
    assert annotation is not None
    return annotation


def test_the_map_repairs_are_offered() -> None:
    assert repairs_for(Finding(1, 5, "map_dangling_end", "warning", "...")) == ["connect_end"]
    assert repairs_for(Finding(1, 7, "lanelet_swapped", "error", "...")) == [
        "swap_lanelet_sides", "reverse_lanelet"]
    assert repairs_for(Finding(1, 7, "lanelet_width", "warning", "...")) == []
    assert {"connect_end", "swap_lanelet_sides", "reverse_lanelet"} <= set(REPAIRS)


def test_connect_end_shares_the_point_at_the_seam(make_project: Callable[[Road], Project]
                                                  ) -> None:
    road = two_lane_road()
    road.move("centre2", 0, dx=0.05, dy=0.02, dz=0.01)
    project = make_project(road)
    command = _fix(project, "connect_end")
    assert command.label == f"Repair polyline3d #{road.id('centre2')} (connect its loose end)"
    start, end = _line(project, road, "centre2")[0], _line(project, road, "centre1")[-1]
    assert point_key(start) == point_key(end) and (start == end).all()
    # the lanelets on the moved line got their area drawn again, in the same step
    for name, left, right in (("east2", "centre2", "south2"), ("west2", "centre2", "north2")):
        lanelet = _lanelet(project, road, name)
        a, b = _line(project, road, left), _line(project, road, right)
        expected = lanelet_polygon(a, b) if name == "east2" else lanelet_polygon(a[::-1],
                                                                                 b[::-1])
        assert lanelet.geometry == expected
    # and the history survives reopening
    folder = project.folder
    project.close()
    with Project.open(folder, "lead") as again:
        assert again.stack.undo_label() == command.label
        again.stack.undo()
        assert [f.rule for f in again.validate()] == ["map_dangling_end"]


def test_connect_end_lands_on_an_edge_at_its_height(make_project: Callable[[Road], Project]
                                                   ) -> None:
    road = two_lane_road()
    road.line("spur", 1, "road_edge", [world(7, -3.55, 0.3), world(7, -8)], edge_type="curb")
    project = make_project(road)
    _fix(project, "connect_end")
    assert _line(project, road, "spur")[0] == pytest.approx(world(7, -3.5), abs=1e-9)


def test_connect_end_with_nothing_to_do() -> None:
    road = two_lane_road()
    everything = list(road.shapes.values())
    assert connect_end(road.shapes["centre2"], everything) is None
    with pytest.raises(GeometryError, match="only the ends of 3D map lines"):
        connect_end(road.shapes["east1"], everything)


def test_swap_lanelet_sides(make_project: Callable[[Road], Project]) -> None:
    road = two_lane_road()
    road.relink("east1", left=road.id("south1"), right=road.id("centre1"))
    project = make_project(road)
    command = _fix(project, "swap_lanelet_sides")
    assert command.label == f"Repair polygon3d #{road.id('east1')} (swap its sides)"
    fixed = _lanelet(project, road, "east1")
    assert dict(fixed.links) == {"left": road.id("centre1"), "right": road.id("south1")}
    assert fixed.geometry == lanelet_polygon(_line(project, road, "centre1"),
                                             _line(project, road, "south1"))


def test_reverse_a_swapped_lanelet(make_project: Callable[[Road], Project]) -> None:
    road = two_lane_road()
    road.relink("east1", left=road.id("south1"), right=road.id("centre1"))
    project = make_project(road)
    _fix(project, "reverse_lanelet")
    fixed = _lanelet(project, road, "east1")
    # the same lines on the same sides, travelled the other way (westward)
    assert dict(fixed.links) == {"left": -road.id("south1"), "right": -road.id("centre1")}
    assert fixed.geometry == lanelet_polygon(_line(project, road, "south1")[::-1],
                                             _line(project, road, "centre1")[::-1])


def test_reverse_turns_a_right_boundary_running_against(
        make_project: Callable[[Road], Project]) -> None:
    road = two_lane_road()
    road.relink("east1", right=-road.id("south1"))
    project = make_project(road)
    _fix(project, "reverse_lanelet")
    assert dict(_lanelet(project, road, "east1").links) == {
        "left": road.id("centre1"), "right": road.id("south1")}


def test_lanelet_repairs_refuse_what_they_cannot_fix() -> None:
    road = two_lane_road()
    everything = list(road.shapes.values())
    assert reverse_lanelet(road.shapes["east1"], everything) is None   # right already
    road.line("spur", 1, "lane_line", [world(0, -3.5), world(20, 1)], line_type="solid")
    road.relink("east1", right=road.id("spur"))
    everything = list(road.shapes.values())
    with pytest.raises(GeometryError, match=r"cross at \(-11984\.444, -35000\.000\)"):
        swap_lanelet_sides(road.shapes["east1"], everything)
    with pytest.raises(GeometryError, match="is no lanelet"):
        reverse_lanelet(road.shapes["centre1"], everything)
    with pytest.raises(GeometryError, match="not a 3D polyline among the annotations"):
        reverse_lanelet(road.shapes["east1"], [road.shapes["east1"]])
    with pytest.raises(GeometryError, match="needs the map annotations around it"):
        repair(road.shapes["east1"], "swap_lanelet_sides", road.entries()[0][0])
