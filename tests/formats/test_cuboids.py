"""The cuboids JSON: an exact float64 round trip, COCO-style tables, hostile input."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, coco, cuboids
from annotator.model import Annotation
from annotator.shapes import Cuboid
from tests.formats.cloud_view import cloud_item, cloud_schema, make_cloud_view
from tests.formats.conftest import context_for


def test_awkward_floats_come_back_bit_for_bit(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    item = cloud_item(1, "media/tile.laz", "EPSG:6677", (-12000.0, -35012.0, 39.495))
    annotations = []
    for index in range(300):
        center = rng.uniform(-1, 1, 3) * np.array([1e5, 1e5, 100.0]) + [-12000, -35000, 40]
        size = rng.uniform(0.01, 30.0, 3)
        yaw = float(rng.uniform(-50, 50))  # any float, not only [-pi, pi]
        annotations.append(Annotation(index + 1, 1, "car", Cuboid([center], [size], yaw),
                                      attributes={"occluded": bool(index % 2)}))
    annotations.append(Annotation(999, 1, "pedestrian",
                                  Cuboid([[0.1 + 0.2, 1 / 3, 2 ** -40]], [[5e-324, 1.0, 7.0]],
                                         math.pi), attributes={"height_m": 1 / 7}))
    view = ProjectView.from_items(cloud_schema(), [ExportItem(item, item.path,
                                                              tuple(annotations))])
    cuboids.write(view, tmp_path)
    result = cuboids.read(tmp_path, context_for(view))
    got = result.images[0].shapes
    assert len(got) == len(annotations)
    for shape, annotation in zip(got, annotations, strict=True):
        assert isinstance(shape.geometry, Cuboid) and isinstance(annotation.geometry, Cuboid)
        assert shape.geometry.center.tobytes() == annotation.geometry.center.tobytes()
        assert shape.geometry.size.tobytes() == annotation.geometry.size.tobytes()
        assert shape.geometry.yaw == annotation.geometry.yaw
        assert shape.attributes == annotation.attributes


def test_the_tables_look_like_coco(tmp_path: Path) -> None:
    report = cuboids.write(make_cloud_view(), tmp_path)
    data = json.loads((tmp_path / "cuboids.json").read_text())
    assert data["format"] == "annotator-cuboids" and data["version"] == 1
    assert [c["name"] for c in data["categories"]] == list(cloud_schema().names)
    assert [c["id"] for c in data["categories"]] == [1, 2, 3, 4, 5]
    assert [i["file_name"] for i in data["items"]] == ["media/tile 01.laz",
                                                       "media/sub/scan.pcd", "media/empty.bin"]
    assert data["items"][0]["crs"] == "EPSG:6677"
    assert data["items"][0]["origin"] == [40000.0, -120000.0, 20.0]
    first = data["cuboids"][0]
    assert first == {"id": 1, "item_id": 1, "category_id": 2,
                     "bbox3d": {"center": [40012.25, -119987.5, 21.75], "size": [4.5, 1.8, 1.5],
                                "yaw": 0.5},
                     "attributes": {"color": "red", "occluded": True, "truncated": False}}
    assert [c["id"] for c in data["cuboids"]] == [1, 2, 3, 4, 5]
    assert {s.kind for s in report.skipped} == {"polyline3d", "point3d"}
    assert not coco.detect(tmp_path) and not coco.detect(tmp_path / "cuboids.json")


# -- hostile input ---------------------------------------------------------------------------


def _file(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "annotator-cuboids", "version": 1,
        "categories": [{"id": 1, "name": "car"}],
        "items": [{"id": 1, "file_name": "media/sub/scan.pcd"}],
        "cuboids": [{"id": 1, "item_id": 1, "category_id": 1,
                     "bbox3d": {"center": [1, 2, 3], "size": [4, 2, 1], "yaw": 0.5}}]}
    data.update(changes)
    return data


def _box(**bbox3d: Any) -> list[dict[str, Any]]:
    box = {"center": [1, 2, 3], "size": [4, 2, 1], "yaw": 0.5, **bbox3d}
    return [{"id": 1, "item_id": 1, "category_id": 1, "bbox3d": box}]


HOSTILE: list[tuple[Any, str]] = [
    ('{"format": "annotator-cuboids", ', r"cuboids\.json:1:\d+: not valid JSON"),
    ({"images": [], "annotations": []}, "not an annotator cuboids file"),
    (_file(version=2), "version 2"),
    (_file(items={}), "'items' must be a list"),
    (_file(items=[7]), r"items\[0\] is not a JSON object"),
    (_file(items=[{"id": "1", "file_name": "a.pcd"}]), "'id' '1' is not an id"),
    (_file(items=[{"id": 1, "file_name": "a.pcd"}, {"id": 1, "file_name": "b.pcd"}]),
     "id 1 is used twice"),
    (_file(items=[{"id": 1, "file_name": "../../etc/passwd"}]), "leaves the images folder"),
    (_file(items=[{"id": 1, "file_name": "/etc/passwd"}]), "is absolute"),
    (_file(items=[{"id": 1, "file_name": None}]), "is not a name"),
    (_file(cuboids=[{"id": 1, "item_id": 5, "category_id": 1}]), "item_id 5 is not among"),
    (_file(cuboids=[{"id": 1, "item_id": 1, "category_id": 9}]), "category_id 9 is not among"),
    (_file(cuboids=[{"id": 1, "item_id": 1, "category_id": 1}]), "'bbox3d' must be an object"),
    (_file(cuboids=_box(center=[1, 2])), "expected 3 numbers"),
    (_file(cuboids=_box(center=[1, "2", 3])), "'2' is not a number"),
    (_file(cuboids=_box(size=[4, 2, -1])), "size must not be negative"),
    (_file(cuboids=_box(yaw=True)), "yaw: True is not a number"),
    (_file(cuboids=_box(center=[1, 1e300, 3])), "not a usable coordinate"),
    (_file(cuboids=_box(center=[1, 10**400, 3])), "not a usable coordinate"),
    (json.dumps(_file(cuboids=_box(yaw=1.0))).replace('"yaw": 1.0', '"yaw": NaN'),
     "not valid JSON"),
    (json.dumps(_file(cuboids=_box(yaw=1.0))).replace('"yaw": 1.0', '"yaw": 1e400'),
     "not a usable coordinate"),
    (_file(cuboids=[{**_box()[0], "attributes": {"occluded": [1, 2]}}]),
     "is not a string, a usable number"),
    (_file(cuboids=[{**_box()[0], "attributes": {"occluded": "perhaps"}}]),
     "not true or false"),
    (_file(cuboids=[{**_box()[0], "attributes": []}]), "'attributes' must be a JSON object"),
    (_file(categories=[{"id": 1, "name": "zebra"}]), "classes not in the schema: 'zebra'"),
]


@pytest.mark.parametrize(("document", "pattern"), HOSTILE)
def test_hostile_files_are_refused_in_one_line(tmp_path: Path, document: Any,
                                               pattern: str) -> None:
    file = tmp_path / "cuboids.json"
    file.write_text(document if isinstance(document, str) else json.dumps(document))
    with pytest.raises(FormatError, match=pattern) as info:
        cuboids.read(tmp_path, context_for(make_cloud_view()))
    message = str(info.value)
    assert "\n" not in message and str(tmp_path) in message


def test_a_good_file_of_the_same_shape_is_read(tmp_path: Path) -> None:
    (tmp_path / "cuboids.json").write_text(json.dumps(_file()))
    result = cuboids.read(tmp_path, context_for(make_cloud_view()))
    assert result.images[0].shapes[0].geometry == Cuboid([[1, 2, 3]], [[4, 2, 1]], 0.5)


def test_a_2_gb_file_is_refused_by_its_size(tmp_path: Path) -> None:
    with (tmp_path / "cuboids.json").open("wb") as handle:
        handle.truncate(2 * 1024**3)
    assert not cuboids.detect(tmp_path)
    with pytest.raises(FormatError, match="2,147,483,648 bytes is more than"):
        cuboids.read(tmp_path, ImportContext(cloud_schema()))


def test_a_folder_without_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"no cuboids\.json here"):
        cuboids.read(tmp_path, ImportContext(cloud_schema()))


def test_attributes_json_cannot_hold_are_refused_on_export(tmp_path: Path) -> None:
    item = cloud_item(1, "a.pcd")
    annotation = Annotation(1, 1, "car", Cuboid([[1, 1, 1]], [[1, 1, 1]], 0.0),
                            attributes={"score": math.inf})
    view = ProjectView.from_items(cloud_schema(), [ExportItem(item, "a.pcd", (annotation,))])
    with pytest.raises(FormatError, match="not plain JSON values"):
        cuboids.write(view, tmp_path)
