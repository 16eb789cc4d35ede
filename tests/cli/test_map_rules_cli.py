"""``annotator validate`` reports the map rules on a point-cloud project."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from annotator.commands import AddAnnotations
from annotator.project import Project
from tests.geometry.map_road import Road, spot, two_lane_road


def _store(folder: Path, road: Road) -> None:
    """The road's shapes, all on the LAZ tile (item 2 of the cloud project)."""
    with Project.open(folder, "lead") as project:
        assert project.store.get_item(2).kind == "pointcloud"
        project.stack.push(AddAnnotations(
            [dataclasses.replace(a, item_id=2) for a in road.shapes.values()]))


def test_validate_json_reports_a_dangling_end(run, cloud_project: Path) -> None:
    road = two_lane_road()
    road.move("centre2", 0, dx=0.05, dy=0.02)
    _store(cloud_project, road)
    result = run("validate", cloud_project, "--json")
    assert result.returncode == 0, result.stderr        # a warning fails nothing
    records = json.loads(result.stdout)
    assert len(records) == 1
    (record,) = records
    assert record["item"] == 2 and record["annotation"] == road.id("centre2")
    assert (record["rule"], record["severity"]) == ("map_dangling_end", "warning")
    assert record["location"] == list(spot(20.05, 0.02))
    assert record["message"].startswith("polyline3d #5 (lane_line): its start at ")
    text = run("validate", cloud_project)
    assert "[map_dangling_end]" in text.stdout and "0 error(s), 1 warning(s)" in text.stdout


def test_validate_fails_on_a_swapped_lanelet(run, cloud_project: Path) -> None:
    road = two_lane_road()
    road.relink("east1", left=road.id("south1"), right=road.id("centre1"))
    _store(cloud_project, road)
    result = run("validate", cloud_project, "--json")
    assert result.returncode == 1
    assert [(r["rule"], r["annotation"]) for r in json.loads(result.stdout)] == [
        ("lanelet_swapped", road.id("east1"))]
