"""GeoJSON lanelets link their boundary Features by id, and the links come back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from annotator.errors import FormatError
from annotator.exchange import export as deliver
from annotator.exchange import import_annotations
from annotator.formats import ImportContext
from annotator.formats.geojson import FILE, read, write
from annotator.geometry.mapnet import network
from annotator.project import Project
from tests.cli.conftest import cloud_project, cloud_template  # noqa: F401 - fixtures
from tests.formats.test_gpkg import context, map_schema, view
from tests.formats.test_gpkg_project import draw, maps


def test_lanelets_and_signs_write_their_links(tmp_path: Path) -> None:
    write(view(), tmp_path)
    features = {f["id"]: f["properties"] for f in
                json.loads((tmp_path / FILE).read_text())["features"]}
    assert features[7]["links"] == {"left": 1, "right": 2}
    assert features[8]["links"] == {"left": -3, "right": -2}
    assert features[6]["links"] == {"lanelet": 7, "stop_line": 4}
    assert "links" not in features[1]


def test_links_come_back_as_import_links(tmp_path: Path) -> None:
    write(view(), tmp_path)
    shapes = {s.key: s for image in read(tmp_path, context()).images for s in image.shapes}
    assert dict(shapes["7"].links) == {"left": "1", "right": "2"}
    assert dict(shapes["8"].links) == {"left": "-3", "right": "-2"}
    assert dict(shapes["6"].links) == {"lanelet": "7", "stop_line": "4"}
    assert not shapes["1"].links


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    line = {"type": "LineString", "coordinates": [[139.77, 36.28, 40.0], [139.771, 36.28, 40.1]]}
    return {"type": "FeatureCollection", "tile": "tiles/road 01.laz", "features": [
        {"type": "Feature", "geometry": line, "properties": p} for p in features]}


def test_ids_numbered_twice_are_no_keys_unless_linked(tmp_path: Path) -> None:
    path = tmp_path / "twice.geojson"
    path.write_text(json.dumps(collection({"class": "lane_line", "id": 1},
                                          {"class": "road_edge", "id": 1})))
    result = read(path, ImportContext(map_schema()))
    assert [s.key for image in result.images for s in image.shapes] == [None, None]
    path.write_text(json.dumps(collection({"class": "lane_line", "id": 1},
                                          {"class": "road_edge", "id": 1},
                                          {"class": "stop_line", "id": 2,
                                           "links": {"stop_line": 1}})))
    with pytest.raises(FormatError, match="several features have id 1, and a link names it"):
        read(path, ImportContext(map_schema()))


def test_links_that_are_not_ids_are_dropped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "odd.geojson"
    path.write_text(json.dumps(collection({"class": "lane_line", "links": "see web"},
                                          {"class": "lane_line", "links": {"left": 1.5}})))
    result = read(path, ImportContext(map_schema()))
    assert all(not s.links for image in result.images for s in image.shapes)
    assert any("'links'" in problem and "2 feature(s)" in problem
               for problem in result.problems)


def test_a_deliverable_imports_into_a_fresh_project_with_its_network(
        cloud_project: Path, cloud_template: Path, tmp_path: Path) -> None:  # noqa: F811
    draw(cloud_project)
    with Project.open(cloud_project, "lead") as project:
        delivery = deliver(project, "geojson", tmp_path / "delivery")
    fresh = tmp_path / "fresh"
    shutil.copytree(cloud_template, fresh)
    with Project.open(fresh, "lead") as project:
        assert import_annotations(project, "geojson", delivery.out / FILE).total == 7
    before, after = network(maps(cloud_project)), network(maps(fresh))
    assert len(after.lanelets) == len(before.lanelets) == 2 and not after.broken
    for old, new in zip(sorted(before.lanelets, key=lambda v: v.reverse_left),
                        sorted(after.lanelets, key=lambda v: v.reverse_left), strict=True):
        assert (old.reverse_left, old.reverse_right) == (new.reverse_left, new.reverse_right)
        assert np.abs(old.left - new.left).max() < 1e-6
        assert np.abs(old.right - new.right).max() < 1e-6


def test_a_link_to_a_feature_the_file_lacks_is_dropped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "half.geojson"
    path.write_text(json.dumps(collection({"class": "lane_line", "id": 1},
                                          {"class": "stop_line", "id": 2},
                                          {"class": "lanelet", "id": 3,
                                           "links": {"left": 1, "right": -42}})))
    result = read(path, ImportContext(map_schema()))
    shapes = {s.key: s for image in result.images for s in image.shapes}
    assert dict(shapes["3"].links) == {"left": "1"}
    assert any("does not hold (id 42)" in problem for problem in result.problems)
