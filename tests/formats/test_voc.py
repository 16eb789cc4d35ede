"""Pascal VOC: what an export holds, and files as labelImg and CVAT write them."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, Report, voc
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Box

LABELIMG = """<annotation>
\t<folder>images</folder>
\t<filename>000001.jpg</filename>
\t<path>/home/ann/data/images/000001.jpg</path>
\t<source>
\t\t<database>Unknown</database>
\t</source>
\t<size>
\t\t<width>353</width>
\t\t<height>500</height>
\t\t<depth>3</depth>
\t</size>
\t<segmented>0</segmented>
\t<object>
\t\t<name>car</name>
\t\t<pose>Unspecified</pose>
\t\t<truncated>1</truncated>
\t\t<difficult>0</difficult>
\t\t<bndbox>
\t\t\t<xmin>48</xmin>
\t\t\t<ymin>240</ymin>
\t\t\t<xmax>195</xmax>
\t\t\t<ymax>371</ymax>
\t\t</bndbox>
\t</object>
\t<object>
\t\t<name>pedestrian</name>
\t\t<pose>Left</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>1</difficult>
\t\t<bndbox>
\t\t\t<xmin>8</xmin>
\t\t\t<ymin>12</ymin>
\t\t\t<xmax>352</xmax>
\t\t\t<ymax>498</ymax>
\t\t</bndbox>
\t</object>
</annotation>
"""


def _write(view: ProjectView, tmp_path: Path) -> tuple[Path, Report]:
    out = tmp_path / "out"
    out.mkdir()
    return out, voc.write(view, out)


def test_export_mirrors_folders_and_lists_ids_and_classes(sample_view: ProjectView,
                                                          tmp_path: Path) -> None:
    out, report = _write(sample_view, tmp_path)
    assert sorted(report.files) == [
        "Annotations/media/empty.xml", "Annotations/media/street 01.xml",
        "Annotations/media/sub/rotated.xml", "ImageSets/Main/default.txt", "labels.txt"]
    ids = (out / "ImageSets/Main/default.txt").read_text(encoding="utf-8").splitlines()
    assert ids == ["media/street 01", "media/sub/rotated", "media/empty"]
    labels = (out / "labels.txt").read_text(encoding="utf-8").splitlines()
    assert labels == list(sample_view.schema.names)
    empty = ET.parse(out / "Annotations/media/empty.xml").getroot()
    assert empty.findall("object") == []
    assert empty.findtext("size/width") == "320"


def test_xml_holds_voc_fields_exact_coordinates_and_attributes(sample_view: ProjectView,
                                                               tmp_path: Path) -> None:
    out, report = _write(sample_view, tmp_path)
    text = (out / "Annotations/media/street 01.xml").read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<annotation>\n  <folder>')
    root = ET.fromstring(text.encode())
    assert root.findtext("folder") == "media"
    assert root.findtext("filename") == "street 01.jpg"
    assert root.findtext("path") == "media/street 01.jpg"
    assert [root.findtext(f"size/{t}") for t in ("width", "height", "depth")] == [
        "640", "480", "3"]
    assert root.findtext("segmented") == "0"
    (car,) = root.findall("object")
    assert car.findtext("name") == "car"
    assert car.findtext("pose") == "Unspecified"
    assert [car.findtext(f) for f in ("truncated", "difficult", "occluded")] == ["0", "0", "1"]
    assert [car.findtext(f"bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")] == [
        "10.25", "20.5", "110.75", "80.125"]
    assert [(a.findtext("name"), a.findtext("value"))
            for a in car.findall("attributes/attribute")] == [("color", "red"),
                                                              ("occluded", "true")]
    reasons = {s.annotation_id: s.reason for s in report.skipped}
    assert reasons[12] == "Pascal VOC holds boxes only"
    assert reasons[13] == "Pascal VOC holds axis-aligned boxes only"


def test_float64_coordinates_come_back_bit_for_bit(format_schema: LabelSchema,
                                                   tmp_path: Path) -> None:
    item = Item(1, "a.jpg", "image", "jpeg", "0" * 64, 1, width=100, height=100)
    box = Box.from_corners(0.1, 1 / 3, 2 / 3 + 10, 99.99999999999999)
    view = ProjectView.from_items(format_schema, [
        ExportItem(item, "a.jpg", (Annotation(1, 1, "sign", box),))])
    out, _ = _write(view, tmp_path)
    (image,) = voc.read(out, ImportContext(format_schema)).images
    assert image.shapes[0].geometry == box


def test_labelimg_file_reads_with_folder_and_flags(format_schema: LabelSchema,
                                                   tmp_path: Path) -> None:
    """labelImg: integer pixels, an absolute <path>, flags for classes without them."""
    path = tmp_path / "000001.xml"
    path.write_text(LABELIMG, encoding="utf-8")
    assert voc.detect(path)
    result = voc.read(path, ImportContext(format_schema))
    (image,) = result.images
    assert (image.file_name, image.width, image.height) == ("images/000001.jpg", 353, 500)
    car, pedestrian = image.shapes
    assert car.geometry == Box.from_corners(48, 240, 195, 371)
    assert dict(car.attributes) == {}
    assert dict(pedestrian.attributes) == {}
    assert len(result.problems) == 2
    assert any("1 object(s) marked difficult" in p for p in result.problems)
    assert any("1 object(s) marked truncated" in p for p in result.problems)


def test_a_folder_of_labelimg_files_beside_the_images_reads(format_schema: LabelSchema,
                                                            tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "000001.xml").write_text(LABELIMG, encoding="utf-8")
    assert voc.detect(tmp_path)
    assert voc.read(tmp_path, ImportContext(format_schema)).shape_count == 2


def test_occluded_flag_becomes_the_bool_attribute_of_the_class(format_schema: LabelSchema,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(LABELIMG.replace("<truncated>1</truncated>",
                                     "<truncated>0</truncated><occluded>1</occluded>"),
                    encoding="utf-8")
    car = voc.read(path, ImportContext(format_schema)).images[0].shapes[0]
    assert dict(car.attributes) == {"occluded": True}


@pytest.mark.parametrize("attributes", [{}, {"occluded": False}, {"occluded": True},
                                        {"color": "white", "occluded": False}])
def test_attributes_round_trip_equal(format_schema: LabelSchema, tmp_path: Path,
                                     attributes: dict[str, object]) -> None:
    item = Item(1, "a.jpg", "image", "jpeg", "0" * 64, 1, width=100, height=100)
    annotation = Annotation(1, 1, "car", Box.from_corners(1, 2, 3, 4), attributes=attributes)
    out, _ = _write(ProjectView.from_items(format_schema, [
        ExportItem(item, "a.jpg", (annotation,))]), tmp_path)
    shape = voc.read(out, ImportContext(format_schema)).images[0].shapes[0]
    assert dict(shape.attributes) == attributes


def test_attributes_are_typed_by_the_schema(format_schema: LabelSchema, tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(LABELIMG.replace(
        "<pose>Unspecified</pose>",
        "<attributes><attribute><name>occluded</name><value>true</value></attribute>"
        "<attribute><name>color</name><value>white</value></attribute></attributes>"),
        encoding="utf-8")
    car = voc.read(path, ImportContext(format_schema)).images[0].shapes[0]
    assert dict(car.attributes) == {"occluded": True, "color": "white"}


def test_relative_path_element_wins_over_folder(format_schema: LabelSchema,
                                                tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(LABELIMG.replace("/home/ann/data/images/000001.jpg", "media/x/000001.jpg"),
                    encoding="utf-8")
    assert voc.read(path, ImportContext(format_schema)).images[0].file_name == (
        "media/x/000001.jpg")


def test_an_object_without_bndbox_is_a_problem_not_an_error(format_schema: LabelSchema,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(LABELIMG.replace(
        "<segmented>0</segmented>",
        "<segmented>0</segmented><object><type>robndbox</type><name>car</name><robndbox>"
        "<cx>1</cx><cy>1</cy><w>1</w><h>1</h><angle>0.1</angle></robndbox></object>"),
        encoding="utf-8")
    result = voc.read(path, ImportContext(format_schema))
    assert result.shape_count == 2
    assert any("robndbox is not a box" in p for p in result.problems)


def test_unknown_classes_are_refused_by_name(format_schema: LabelSchema,
                                             tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(LABELIMG.replace("<name>car</name>", "<name>bus</name>"), encoding="utf-8")
    with pytest.raises(FormatError, match=r"classes not in the schema: 'bus' \(first on "
                                          r"images/000001.jpg\)"):
        voc.read(path, ImportContext(format_schema))


def test_two_images_writing_one_xml_are_refused(format_schema: LabelSchema,
                                                tmp_path: Path) -> None:
    items = [ExportItem(Item(i, n, "image", "jpeg", "0" * 64, 1, width=9, height=9), n, ())
             for i, n in ((1, "a.jpg"), (2, "a.png"))]
    with pytest.raises(FormatError, match=r"would both be written to Annotations/a\.xml"):
        _write(ProjectView.from_items(format_schema, items), tmp_path)


def test_a_folder_without_voc_files_is_refused(format_schema: LabelSchema,
                                               tmp_path: Path) -> None:
    assert not voc.detect(tmp_path)
    with pytest.raises(FormatError, match="not a Pascal VOC folder"):
        voc.read(tmp_path, ImportContext(format_schema))


def test_other_xml_is_not_voc(format_schema: LabelSchema, tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text("<annotations><version>1.1</version></annotations>", encoding="utf-8")
    assert not voc.detect(path)
    with pytest.raises(FormatError, match="not a Pascal VOC file"):
        voc.read(path, ImportContext(format_schema))
    # In a folder, other XML files are left out with a note.
    (tmp_path / "b.xml").write_text(LABELIMG, encoding="utf-8")
    result = voc.read(tmp_path, ImportContext(format_schema))
    assert result.shape_count == 2
    assert any("a.xml: not a Pascal VOC file" in p for p in result.problems)
