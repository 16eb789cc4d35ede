"""CVAT for images 1.1: the export, rotation as CVAT draws it, files as CVAT writes them."""

from __future__ import annotations

import math
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, cvat
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Box, Point, Polygon, Polyline, RotatedBox

# As CVAT 2.x exports a task: two decimals, rotation only when non-zero, a track
# from video mode, shapes we cannot hold, and an image without shapes.
CVAT_EXPORT = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>42</id>
      <name>streets</name>
      <size>3</size>
      <mode>annotation</mode>
      <overlap>0</overlap>
      <labels>
        <label>
          <name>car</name>
          <color>#fa3253</color>
          <type>any</type>
          <attributes>
            <attribute>
              <name>color</name>
              <mutable>False</mutable>
              <input_type>select</input_type>
              <default_value>white</default_value>
              <values>white
red</values>
            </attribute>
          </attributes>
        </label>
      </labels>
      <segments>
        <segment><id>7</id><start>0</start><stop>2</stop><url>http://x/api/jobs/7</url></segment>
      </segments>
      <owner><username>admin</username><email/></owner>
    </task>
    <dumped>2024-05-02 10:00:00.000000+00:00</dumped>
  </meta>
  <image id="0" name="frames/street 01.jpg" width="640" height="480">
    <box label="car" source="manual" occluded="1" xtl="10.25" ytl="20.50" xbr="110.75"
         ybr="80.13" z_order="0">
      <attribute name="color">red</attribute>
    </box>
    <box label="car" source="manual" occluded="0" xtl="460.00" ytl="280.00" xbr="540.00"
         ybr="320.00" rotation="359.30" z_order="1">
    </box>
    <polygon label="pedestrian" source="manual" occluded="0"
             points="200.00,100.00;260.50,100.00;250.00,180.25" z_order="0">
    </polygon>
    <polyline label="lane_line" source="manual" occluded="0" points="0.00,470.00;320.00,300.00"
              z_order="0">
    </polyline>
    <points label="sign" source="manual" occluded="0" points="600.50,50.25;10.00,20.00"
            z_order="0">
    </points>
    <ellipse label="sign" source="manual" occluded="0" cx="5" cy="5" rx="2" ry="2" z_order="0">
    </ellipse>
    <mask label="car" source="manual" occluded="0" rle="3, 4, 5" left="1" top="1" width="3"
          height="4" z_order="0">
    </mask>
    <tag label="car" source="manual"></tag>
  </image>
  <image id="1" name="frames/empty.jpg" width="640" height="480">
  </image>
  <track id="0" label="car" source="manual">
    <box frame="0" keyframe="1" outside="0" occluded="0" xtl="1" ytl="1" xbr="5" ybr="5"
         z_order="0"></box>
  </track>
</annotations>
"""


def _write(view: ProjectView, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    cvat.write(view, out)
    return out


def _single(format_schema: LabelSchema, *annotations: Annotation) -> ProjectView:
    item = Item(1, "a.jpg", "image", "jpeg", "0" * 64, 1, width=100, height=100)
    return ProjectView.from_items(format_schema, [ExportItem(item, "a.jpg", annotations)])


def _cvat_corners(box: ET.Element) -> np.ndarray:
    """CVAT's own RotatedBoxesToPolygons: corners of a box turned by ``rotation`` degrees."""
    x0, y0, x1, y1 = (float(box.get(k, "")) for k in ("xtl", "ytl", "xbr", "ybr"))
    angle = math.radians(float(box.get("rotation", "0")))
    cx, cy = x0 + (x1 - x0) / 2, y0 + (y1 - y0) / 2
    return np.array([
        [cx + math.cos(angle) * (x - cx) - math.sin(angle) * (y - cy),
         cy + math.sin(angle) * (x - cx) + math.cos(angle) * (y - cy)]
        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))])


def test_export_holds_meta_images_and_shapes(sample_view: ProjectView, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = cvat.write(sample_view, out)
    assert report.files == ["annotations.xml"]
    text = (out / "annotations.xml").read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n'
                           "  <version>1.1</version>\n  <meta>\n    <task>\n")
    root = ET.fromstring(text.encode())
    assert root.findtext("version") == "1.1"
    labels = root.findall("meta/task/labels/label")
    assert [label.findtext("name") for label in labels] == list(sample_view.schema.names)
    car = labels[1]
    assert [(a.findtext("name"), a.findtext("mutable"), a.findtext("input_type"),
             a.findtext("default_value"), a.findtext("values"))
            for a in car.findall("attributes/attribute")] == [
        ("occluded", "False", "checkbox", "false", "false"),
        ("color", "False", "select", "white", "white\nred")]
    images = root.findall("image")
    assert [(i.get("id"), i.get("name"), i.get("width"), i.get("height")) for i in images] == [
        ("0", "media/street 01.jpg", "640", "480"), ("1", "media/sub/rotated.jpg", "480", "640"),
        ("2", "media/empty.jpg", "320", "240")]
    assert [child.tag for child in images[0]] == ["box", "polygon", "box", "polyline", "points"]
    box = images[0][0]
    assert {k: box.get(k) for k in ("label", "occluded", "xtl", "ytl", "xbr", "ybr")} == {
        "label": "car", "occluded": "1", "xtl": "10.25", "ytl": "20.5", "xbr": "110.75",
        "ybr": "80.125"}
    assert box.get("rotation") is None
    assert {a.get("name"): a.text for a in box.findall("attribute")} == {
        "color": "red", "occluded": "true"}
    assert images[0][1].get("points") == "200,100;260.5,100;250,180.25;205,175"
    assert images[0][4].get("points") == "600.5,50.25"
    assert len(images[2]) == 0
    assert [s.reason for s in report.skipped] == ["CVAT polygons have no holes"]


@pytest.mark.parametrize("angle", [0.5, -0.5, 3.0, 0.0])
def test_rotated_boxes_are_drawn_by_cvat_where_we_draw_them(format_schema: LabelSchema,
                                                            tmp_path: Path,
                                                            angle: float) -> None:
    rotated = RotatedBox(500, 300, 80, 40, angle)
    out = _write(_single(format_schema, Annotation(1, 1, "car", rotated)), tmp_path)
    box = ET.parse(out / "annotations.xml").getroot().find("image/box")
    assert box is not None
    assert 0 <= float(box.get("rotation", "")) < 360
    assert np.allclose(_cvat_corners(box), rotated.vertices, atol=1e-9)
    back = cvat.read(out, ImportContext(format_schema)).images[0].shapes[0].geometry
    assert isinstance(back, RotatedBox)
    assert back.to_json()["coords"] == pytest.approx(rotated.to_json()["coords"], abs=1e-12)


def test_a_cvat_export_reads_with_notes_for_what_we_cannot_hold(format_schema: LabelSchema,
                                                                tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_text(CVAT_EXPORT, encoding="utf-8")
    assert cvat.detect(tmp_path)
    result = cvat.read(tmp_path, ImportContext(format_schema))
    first, empty = result.images
    assert (first.file_name, first.width, first.height) == ("frames/street 01.jpg", 640, 480)
    assert (empty.file_name, empty.shapes) == ("frames/empty.jpg", [])
    shapes = [(s.label, s.geometry) for s in first.shapes]
    assert shapes[0] == ("car", Box.from_corners(10.25, 20.5, 110.75, 80.13))
    rotated = shapes[1][1]
    assert isinstance(rotated, RotatedBox)
    assert rotated.angle == pytest.approx(math.radians(-0.7))
    assert shapes[2:] == [
        ("pedestrian", Polygon([[200, 100], [260.5, 100], [250, 180.25]])),
        ("lane_line", Polyline([[0, 470], [320, 300]])),
        ("sign", Point.at(600.5, 50.25)),
        ("sign", Point.at(10, 20)),
    ]
    # The occluded flag gives the class's bool attribute; <attribute> children typed.
    assert dict(first.shapes[0].attributes) == {"color": "red", "occluded": True}
    assert dict(first.shapes[1].attributes) == {}
    problems = "\n".join(result.problems)
    assert len(result.problems) == 5, problems
    for expected in ("2 points in one <points>", "1 <track>(s)", "1 <ellipse> element",
                     "1 <mask> element", "1 <tag> element"):
        assert expected in problems


def test_a_box_with_rotation_zero_stays_rotated(format_schema: LabelSchema,
                                                tmp_path: Path) -> None:
    path = tmp_path / "task.xml"
    path.write_text('<annotations><image id="0" name="a.jpg" width="9" height="9">'
                    '<box label="car" xtl="1" ytl="2" xbr="5" ybr="4" rotation="0.0"/>'
                    '<box label="car" xtl="1" ytl="2" xbr="5" ybr="4"/></image></annotations>',
                    encoding="utf-8")
    assert cvat.detect(path)
    rotated, plain = cvat.read(path, ImportContext(format_schema)).images[0].shapes
    assert rotated.geometry == RotatedBox(3, 3, 4, 2, 0)
    assert plain.geometry == Box.from_corners(1, 2, 5, 4)


def test_attributes_are_typed_by_the_project_schema(format_schema: LabelSchema,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text('<annotations><version>1.1</version><image id="0" name="a.jpg">'
                    '<box label="car" occluded="0" xtl="1" ytl="2" xbr="5" ybr="4">'
                    '<attribute name="occluded">false</attribute>'
                    '<attribute name="color">white</attribute>'
                    '<attribute name="note">3</attribute></box></image></annotations>',
                    encoding="utf-8")
    (image,) = cvat.read(tmp_path, ImportContext(format_schema)).images
    assert (image.width, image.height) == (None, None)
    assert dict(image.shapes[0].attributes) == {"occluded": False, "color": "white",
                                                "note": "3"}


def test_attributes_round_trip_equal(format_schema: LabelSchema, tmp_path: Path) -> None:
    annotation = Annotation(1, 1, "car", Polygon([[0, 0], [9, 0], [9, 9]]),
                            attributes={"occluded": False, "color": "red"})
    out = _write(_single(format_schema, annotation), tmp_path)
    shape = cvat.read(out, ImportContext(format_schema)).images[0].shapes[0]
    assert dict(shape.attributes) == {"occluded": False, "color": "red"}


def test_unknown_classes_are_refused(format_schema: LabelSchema, tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_text(CVAT_EXPORT.replace('label="pedestrian"',
                                                                  'label="cyclist"'),
                                              encoding="utf-8")
    with pytest.raises(FormatError, match=r"classes not in the schema: 'cyclist' \(first on "
                                          r"frames/street 01\.jpg\)"):
        cvat.read(tmp_path, ImportContext(format_schema))


def test_a_folder_without_annotations_xml_is_refused(format_schema: LabelSchema,
                                                     tmp_path: Path) -> None:
    assert not cvat.detect(tmp_path)
    with pytest.raises(FormatError, match=r"no annotations\.xml"):
        cvat.read(tmp_path, ImportContext(format_schema))


def test_voc_xml_is_not_cvat(format_schema: LabelSchema, tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text("<annotation><filename>a.jpg</filename></annotation>", encoding="utf-8")
    assert not cvat.detect(tmp_path)
    with pytest.raises(FormatError, match="not a CVAT file"):
        cvat.read(path, ImportContext(format_schema))
