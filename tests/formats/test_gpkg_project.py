"""GeoPackage through the project: export a deliverable, import it into a fresh project,
and the lanelets link the new boundary annotations (sample LAZ tile, EPSG:6677)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from annotator.commands import AddAnnotations
from annotator.exchange import export, import_annotations
from annotator.geometry.mapnet import lanelet_links, lanelet_polygon, network
from annotator.model import Annotation
from annotator.project import Project
from annotator.shapes import Point3D, Polyline3D
from tests.cli.conftest import cloud_project, cloud_template  # noqa: F401 - fixtures

#: on the sample tile, about 12 km west and 35 km south of the CRS origin
LEFT = np.array([[-11985.25, -34998.0, 40.3125], [-11965.0, -34997.5, 40.5]])
RIGHT = LEFT - [0.0, 3.5, 0.0]
OTHER = RIGHT - [0.0, 3.5, 0.0]


def draw(folder: Path) -> None:
    solid = {"line_type": "solid", "line_color": "white"}
    dashed = {"line_type": "dashed", "line_color": "yellow"}
    forward = {"subtype": "road", "speed_limit": 50.0, "location": "urban", "one_way": True}
    backward = {"subtype": "road", "location": "nonurban", "one_way": False}
    with Project.open(folder, "lead") as project:
        lines = project.stack.push(AddAnnotations([
            Annotation(None, 2, "lane_line", Polyline3D(LEFT), solid),
            Annotation(None, 2, "lane_line", Polyline3D(RIGHT), dashed),
            Annotation(None, 2, "road_edge", Polyline3D(OTHER), {"edge_type": "curb"}),
            Annotation(None, 2, "stop_line", Polyline3D(np.array([LEFT[1], OTHER[1]])))]))
        left, middle, edge, stop = (int(a.id or 0) for a in lines.written())
        project.stack.push(AddAnnotations([
            Annotation(None, 2, "lanelet", lanelet_polygon(LEFT, RIGHT), forward,
                       links=lanelet_links(left, middle)),
            Annotation(None, 2, "lanelet", lanelet_polygon(OTHER[::-1], RIGHT[::-1]), backward,
                       links=lanelet_links(edge, middle, True, True)),
            Annotation(None, 2, "traffic_sign", Point3D([LEFT[1] + [0.5, 1.0, 2.0]]),
                       {"sign_type": "stop", "sign_code": "330"}, links={"stop_line": stop}),
        ]))


def maps(folder: Path) -> list[Annotation]:
    with Project.open(folder, "lead") as project:
        return [a for a in project.store.annotations_for_item(2) if a.kind != "cuboid"]


def test_a_deliverable_imports_into_a_fresh_project_with_its_network(
        cloud_project: Path, cloud_template: Path, tmp_path: Path) -> None:  # noqa: F811
    draw(cloud_project)
    with Project.open(cloud_project, "lead") as project:
        delivery = export(project, "gpkg", tmp_path / "delivery")
    assert "map.gpkg" in delivery.report.files
    fresh = tmp_path / "fresh"
    shutil.copytree(cloud_template, fresh)
    with Project.open(fresh, "lead") as project:
        summary = import_annotations(project, "gpkg", delivery.out / "map.gpkg")
    assert summary.total == 7

    before, after = maps(cloud_project), maps(fresh)
    assert len(after) == len(before) == 7
    old = {a.id: a for a in before}
    new = {a.id: a for a in after}

    def signature(a: Annotation, ids: dict[int | None, Annotation]) -> tuple[object, ...]:
        links = tuple(sorted((name, ids[abs(target)].label, target < 0)
                             for name, target in a.links.items()))
        vertices = np.asarray(a.geometry.vertices).round(9).tobytes()
        return a.label, vertices, tuple(sorted(a.attributes.items())), links

    assert sorted(signature(a, old) for a in before) == sorted(signature(a, new) for a in after)
    imported = network(after)
    assert len(imported.lanelets) == 2 and not imported.broken
    (reversed_one,) = [v for v in imported.lanelets if v.reverse_left]
    assert new[reversed_one.left_id].label == "road_edge"
    assert new[reversed_one.right_id].attributes["line_type"] == "dashed"
