"""labelme JSON: what an export holds, and files as labelme 3.x/5.x and X-AnyLabeling write them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, labelme
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Box, Point, Polygon, Polyline, RotatedBox

LABELME_5 = {
    "version": "5.4.1",
    "flags": {},
    "shapes": [
        {"label": "car", "points": [[10.5, 20.0], [110.0, 80.25]], "group_id": None,
         "description": "", "shape_type": "rectangle", "flags": {"occluded": True},
         "mask": None},
        {"label": "pedestrian", "points": [[1, 1], [50, 1], [30, 40]], "group_id": 1,
         "description": "walking", "shape_type": "polygon", "flags": {}, "mask": None},
        {"label": "lane_line", "points": [[0, 0], [5, 5]], "group_id": None,
         "description": "", "shape_type": "line", "flags": {}, "mask": None},
        {"label": "sign", "points": [[3, 4]], "group_id": None, "description": "",
         "shape_type": "point", "flags": {}, "mask": None},
        {"label": "car", "points": [[5, 5], [9, 5]], "group_id": None, "description": "",
         "shape_type": "circle", "flags": {}, "mask": None},
        {"label": "car", "points": [[5, 5], [9, 9]], "group_id": None, "description": "",
         "shape_type": "mask", "flags": {}, "mask": "iVBORw0KGgo="},
    ],
    "imagePath": "street.jpg",
    "imageData": None,
    "imageHeight": 480,
    "imageWidth": 640,
}

LABELME_3 = {
    "flags": {},
    "shapes": [
        {"label": "pedestrian", "line_color": None, "fill_color": None,
         "points": [[10, 10], [20, 10], [20, 30]]},
    ],
    "lineColor": [0, 255, 0, 128],
    "fillColor": [255, 0, 0, 128],
    "imagePath": "..\\images\\old.jpg",
    "imageData": "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U",
}


def _dump(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _write(view: ProjectView, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    labelme.write(view, out)
    return out


def _one(format_schema: LabelSchema, tmp_path: Path, annotation: Annotation) -> Any:
    item = Item(1, "a.jpg", "image", "jpeg", "0" * 64, 1, width=100, height=100)
    return ProjectView.from_items(format_schema, [ExportItem(item, "a.jpg", (annotation,))])


def test_export_is_one_labelme_5_file_per_image_beside_it(sample_view: ProjectView,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = labelme.write(sample_view, out)
    assert sorted(report.files) == ["media/empty.json", "media/street 01.json",
                                    "media/sub/rotated.json"]
    data = json.loads((out / "media/street 01.json").read_text(encoding="utf-8"))
    assert list(data) == ["version", "flags", "shapes", "imagePath", "imageData",
                          "imageHeight", "imageWidth"]
    assert (data["version"], data["imagePath"], data["imageData"]) == (
        "5.5.0", "street 01.jpg", None)
    assert (data["imageWidth"], data["imageHeight"]) == (640, 480)
    assert [s["shape_type"] for s in data["shapes"]] == [
        "rectangle", "polygon", "rotation", "linestrip", "point"]
    box = data["shapes"][0]
    assert set(box) == {"label", "points", "group_id", "description", "shape_type", "flags",
                        "mask", "attributes"}
    assert box["points"] == [[10.25, 20.5], [110.75, 80.125]]
    assert box["attributes"] == {"color": "red", "occluded": True}
    assert box["flags"] == {} and box["group_id"] is None and box["mask"] is None
    rotation = data["shapes"][2]
    assert len(rotation["points"]) == 4 and rotation["direction"] == 0.5
    assert [s.reason for s in report.skipped] == ["labelme polygons have no holes"]
    empty = json.loads((out / "media/empty.json").read_text(encoding="utf-8"))
    assert empty["shapes"] == []


def test_a_two_point_polyline_is_a_line(format_schema: LabelSchema, tmp_path: Path) -> None:
    line = Polyline([[0, 0], [3.5, 4]])
    out = _write(_one(format_schema, tmp_path, Annotation(1, 1, "lane_line", line)), tmp_path)
    shape = json.loads((out / "a.json").read_text(encoding="utf-8"))["shapes"][0]
    assert shape["shape_type"] == "line"
    assert labelme.read(out, ImportContext(format_schema)).images[0].shapes[0].geometry == line


@pytest.mark.parametrize("angle", [0.0, 0.5, -0.5, 2.0, -3.0])
def test_rotation_shapes_round_trip_with_x_anylabeling_direction(
        format_schema: LabelSchema, tmp_path: Path, angle: float) -> None:
    box = RotatedBox(50.5, 40.25, 30, 10, angle)
    out = _write(_one(format_schema, tmp_path, Annotation(1, 1, "car", box)), tmp_path)
    shape = json.loads((out / "a.json").read_text(encoding="utf-8"))["shapes"][0]
    # X-AnyLabeling: direction is the first edge's angle, in [0, 2π).
    (x0, y0), (x1, y1) = shape["points"][:2]
    assert shape["direction"] == pytest.approx(math.atan2(y1 - y0, x1 - x0) % (2 * math.pi))
    assert 0 <= shape["direction"] < 2 * math.pi
    back = labelme.read(out, ImportContext(format_schema)).images[0].shapes[0].geometry
    assert isinstance(back, RotatedBox)
    assert np.allclose(back.vertices, box.vertices, atol=1e-9)
    assert (back.width, back.height) == pytest.approx((30, 10))


def test_labelme_5_file_reads_with_flags_and_notes_for_circles_and_masks(
        format_schema: LabelSchema, tmp_path: Path) -> None:
    path = _dump(tmp_path / "media" / "street.json", LABELME_5)
    assert labelme.detect(tmp_path)
    result = labelme.read(tmp_path, ImportContext(format_schema))
    (image,) = result.images
    assert (image.file_name, image.width, image.height) == ("media/street.jpg", 640, 480)
    kinds = [(s.label, s.geometry) for s in image.shapes]
    assert kinds == [
        ("car", Box.from_corners(10.5, 20, 110, 80.25)),
        ("pedestrian", Polygon([[1, 1], [50, 1], [30, 40]])),
        ("lane_line", Polyline([[0, 0], [5, 5]])),
        ("sign", Point.at(3, 4)),
    ]
    assert dict(image.shapes[0].attributes) == {"occluded": True}
    assert len(result.problems) == 2
    assert any("1 'circle' shape(s) skipped" in p for p in result.problems)
    assert any("1 'mask' shape(s) skipped" in p for p in result.problems)
    # A single file reads the same; its image is beside it.
    assert labelme.read(path, ImportContext(format_schema)).images[0].file_name == "street.jpg"


def test_labelme_3_file_with_image_data_and_windows_path(format_schema: LabelSchema,
                                                         tmp_path: Path) -> None:
    _dump(tmp_path / "labels" / "old.json", LABELME_3)
    result = labelme.read(tmp_path, ImportContext(format_schema))
    (image,) = result.images
    assert (image.file_name, image.width, image.height) == ("images/old.jpg", None, None)
    assert image.shapes[0].geometry == Polygon([[10, 10], [20, 10], [20, 30]])


def test_x_anylabeling_file_with_attributes_and_four_point_rectangles(
        format_schema: LabelSchema, tmp_path: Path) -> None:
    box = RotatedBox(100, 100, 40, 20, 0.3)
    data = {
        "version": "2.4.4", "flags": {}, "imagePath": "a.jpg", "imageData": None,
        "imageHeight": 200, "imageWidth": 200, "description": "",
        "shapes": [
            {"label": "car", "score": None, "points": box.vertices.tolist(), "group_id": None,
             "description": "", "difficult": False, "shape_type": "rotation", "flags": {},
             "attributes": {"color": "red", "occluded": "true"}, "kie_linking": [],
             "direction": 0.3},
            {"label": "car", "score": 0.9,
             "points": [[10, 10], [60, 10], [60, 30], [10, 30]], "group_id": None,
             "description": "", "difficult": False, "shape_type": "rectangle",
             "flags": {"occluded": False}, "attributes": {}, "kie_linking": []},
            {"label": "sign", "points": [[1, 2], [3, 4]], "shape_type": "points"},
        ],
    }
    _dump(tmp_path / "a.json", data)
    result = labelme.read(tmp_path, ImportContext(format_schema))
    rotated, rectangle, *points = result.images[0].shapes
    assert isinstance(rotated.geometry, RotatedBox)
    assert rotated.geometry.angle == pytest.approx(0.3)
    assert dict(rotated.attributes) == {"color": "red", "occluded": True}
    assert rectangle.geometry == Box.from_corners(10, 10, 60, 30)
    assert dict(rectangle.attributes) == {"occluded": False}
    assert [p.geometry for p in points] == [Point.at(1, 2), Point.at(3, 4)]
    assert any("2 points in one shape" in p for p in result.problems)


def test_a_rotation_that_is_not_a_rectangle_reads_as_a_polygon(format_schema: LabelSchema,
                                                               tmp_path: Path) -> None:
    quad = [[0, 0], [10, 0], [12, 8], [0, 5]]
    _dump(tmp_path / "a.json", {"shapes": [{"label": "car", "points": quad,
                                            "shape_type": "rotation", "direction": 0}],
                                "imagePath": "a.jpg"})
    result = labelme.read(tmp_path, ImportContext(format_schema))
    assert result.images[0].shapes[0].geometry == Polygon(quad)
    assert any("not a rectangle" in p for p in result.problems)


def test_image_path_is_relative_to_the_json_folder(format_schema: LabelSchema,
                                                   tmp_path: Path) -> None:
    _dump(tmp_path / "labels" / "sub" / "a.json",
          {"shapes": [], "imagePath": "../../images/a b.jpg"})
    assert labelme.read(tmp_path, ImportContext(format_schema)).images[0].file_name == (
        "images/a b.jpg")


def test_other_json_in_the_folder_is_left_out_with_a_note(format_schema: LabelSchema,
                                                          tmp_path: Path) -> None:
    _dump(tmp_path / "a.json", {"shapes": [], "imagePath": "a.jpg"})
    _dump(tmp_path / "classes.json", {"names": ["car"]})
    result = labelme.read(tmp_path, ImportContext(format_schema))
    assert [i.file_name for i in result.images] == ["a.jpg"]
    assert any("classes.json: not a labelme file" in p for p in result.problems)


def test_detect_needs_shapes_and_image_path(tmp_path: Path) -> None:
    assert not labelme.detect(tmp_path)
    _dump(tmp_path / "coco.json", {"images": [], "annotations": []})
    assert not labelme.detect(tmp_path)
    _dump(tmp_path / "x" / "a.json", {"shapes": [], "imagePath": "a.jpg"})
    assert labelme.detect(tmp_path)


def test_unknown_classes_are_refused(format_schema: LabelSchema, tmp_path: Path) -> None:
    data = json.loads(json.dumps(LABELME_5))
    data["shapes"] = [dict(data["shapes"][0], label="bus")]
    _dump(tmp_path / "a.json", data)
    with pytest.raises(FormatError, match="classes not in the schema: 'bus'"):
        labelme.read(tmp_path, ImportContext(format_schema))


def test_wrongly_typed_attributes_are_refused(format_schema: LabelSchema,
                                              tmp_path: Path) -> None:
    shape = {"label": "car", "points": [[0, 0], [1, 1]], "shape_type": "rectangle",
             "attributes": {"occluded": "maybe"}}
    path = _dump(tmp_path / "a.json", {"shapes": [shape], "imagePath": "a.jpg"})
    with pytest.raises(FormatError, match=r"a\.json: shape 0: attribute 'occluded' is 'maybe'"):
        labelme.read(path, ImportContext(format_schema))


def test_two_images_writing_one_json_are_refused(format_schema: LabelSchema,
                                                 tmp_path: Path) -> None:
    items = [ExportItem(Item(i, n, "image", "jpeg", "0" * 64, 1, width=9, height=9), n, ())
             for i, n in ((1, "m/a.jpg"), (2, "m/a.png"))]
    with pytest.raises(FormatError, match=r"would both be written to m/a\.json"):
        _write(ProjectView.from_items(format_schema, items), tmp_path)
