"""Hostile and broken input to the VOC, CVAT and labelme readers.

Every refusal is a :class:`FormatError` whose message is one line naming the
file; nothing expands entities, reads outside files, or reads a huge file.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, cvat, labelme, voc
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Box

#: Where each format's reader looks inside an import folder.
PLACES: dict[str, tuple[ModuleType, str]] = {
    "voc": (voc, "Annotations/a.xml"),
    "cvat": (cvat, "annotations.xml"),
    "labelme": (labelme, "a.json"),
}
XML = ["voc", "cvat"]
ROOTS = {"voc": "annotation", "cvat": "annotations"}


def _place(tmp_path: Path, format_id: str, content: str) -> tuple[ModuleType, Path, Path]:
    module, relative = PLACES[format_id]
    folder = tmp_path / "in"
    file = folder / relative
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(content, encoding="utf-8")
    return module, folder, file


def _refused(module: ModuleType, folder: Path, file: Path, schema: LabelSchema,
             pattern: str) -> str:
    with pytest.raises(FormatError) as info:
        module.read(folder, ImportContext(schema))
    message = str(info.value)
    assert "\n" not in message
    assert str(file) in message
    assert re.search(pattern, message), message
    return message


def _voc(obj: str = "", filename: str = "a.jpg", size: str = "<width>9</width>"
         "<height>9</height>") -> str:
    return (f"<annotation><filename>{filename}</filename><size>{size}</size>"
            f"{obj}</annotation>")


def _voc_box(xmin: str = "1", ymin: str = "1", xmax: str = "5", ymax: str = "5") -> str:
    return _voc(f"<object><name>car</name><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
                f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>")


def _cvat(shape: str = "", name: str = "a.jpg", size: str = 'width="9" height="9"') -> str:
    return (f'<annotations><version>1.1</version><image id="0" name="{name}" {size}>'
            f"{shape}</image></annotations>")


def _labelme(points: str = "[[1, 1], [5, 5]]", image_path: str = '"a.jpg"',
             extra: str = "") -> str:
    return ('{"version": "5.5.0", "shapes": [{"label": "car", "points": ' + points +
            ', "shape_type": "rectangle"}], "imagePath": ' + image_path + extra + "}")


# -- entities and DTDs -----------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ROOT><filename>&lol9;</filename></ROOT>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ROOT><filename>&xxe;</filename></ROOT>
"""


@pytest.mark.parametrize("format_id", XML)
@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY],
                         ids=["billion-laughs", "external-entity"])
def test_entities_and_dtds_are_refused(format_id: str, document: str, tmp_path: Path,
                                       format_schema: LabelSchema) -> None:
    module, folder, file = _place(tmp_path, format_id,
                                  document.replace("ROOT", ROOTS[format_id]))
    assert not module.detect(folder)
    _refused(module, folder, file, format_schema, "XML refused .*DTDs and entities")


# -- malformed files -------------------------------------------------------------------------


@pytest.mark.parametrize("format_id", XML)
def test_malformed_xml_names_file_line_and_column(format_id: str, tmp_path: Path,
                                                  format_schema: LabelSchema) -> None:
    root = ROOTS[format_id]
    module, folder, file = _place(tmp_path, format_id, f"<{root}>\n<image>\n<x></y>\n</{root}>")
    _refused(module, folder, file, format_schema, r":3:\d+: not valid XML")


def test_malformed_json_names_file_and_line(tmp_path: Path, format_schema: LabelSchema) -> None:
    module, folder, file = _place(tmp_path, "labelme", '{\n  "shapes": [\n  ,]\n}')
    assert not module.detect(folder)
    _refused(module, folder, file, format_schema, r":3:\d+: not valid JSON")


def test_deeply_nested_json_is_refused(tmp_path: Path, format_schema: LabelSchema) -> None:
    module, folder, file = _place(tmp_path, "labelme", "[" * 200_000 + "]" * 200_000)
    _refused(module, folder, file, format_schema, "not valid JSON")


def test_truncated_json_is_refused(tmp_path: Path, format_schema: LabelSchema) -> None:
    module, folder, file = _place(tmp_path, "labelme", _labelme()[:40])
    _refused(module, folder, file, format_schema, r":1:\d+: not valid JSON")


# -- wrong types -----------------------------------------------------------------------------

WRONG_TYPES = [
    ("voc", _voc_box(xmin="abc"), r"object 0: <xmin>: 'abc' is not a number"),
    ("voc", _voc_box(ymax=""), r"object 0: <ymax>: missing"),
    ("voc", _voc(size="<width>wide</width>"), r"<size><width>: 'wide' is not a number"),
    ("voc", _voc(size="<width>9.5</width>"), r"<size><width> '9.5' is not a pixel count"),
    ("voc", _voc("<object><bndbox/></object>"), r"object 0: <name>: missing"),
    ("cvat", _cvat(size='width="abc"'), r"image 0: width: 'abc' is not a number"),
    ("cvat", _cvat('<box label="car" xtl="1" ytl="1" xbr="5"/>'), r"<box> 0: ybr: None is not"),
    ("cvat", _cvat('<polygon label="car" points="1,2;3"/>'), r"point 1 '3' is not x,y"),
    ("cvat", _cvat('<polygon label="car" points="1,2;3,4"/>'), r"<polygon> 0: polygon: needs"),
    ("cvat", _cvat('<box xtl="1" ytl="1" xbr="5" ybr="5"/>'), r"<box> 0: no label"),
    ("cvat", _cvat('<points label="car" points=""/>'), r"<points> 0: no points"),
    ("cvat", "<annotations><image id='0'/></annotations>", r"file name None is not a name"),
    ("labelme", '{"shapes": "many", "imagePath": "a.jpg"}', r"'shapes' is str, not a list"),
    ("labelme", _labelme(points='"abc"'), r"shape 0: 'points' is str"),
    ("labelme", _labelme(points="[[1, 1], [5]]"), r"shape 0: point 1 is \[5\], not \[x, y\]"),
    ("labelme", _labelme(points='[[1, 1], [5, "5"]]'), r"point 1 is \[5, '5'\]"),
    ("labelme", _labelme(points="[[1, 1], [5, true]]"), r"point 1 is \[5, True\]"),
    ("labelme", _labelme(points="[[1, 1], [2, 2], [5, 5]]"), r"rectangle has 2 \(or 4\)"),
    ("labelme", _labelme(extra=', "imageWidth": "big"'), r"imageWidth 'big' is not a pixel"),
    ("labelme", _labelme(image_path="7"), r"imagePath 7 is not a file name"),
    ("labelme", '{"shapes": [7], "imagePath": "a.jpg"}', r"shape 0: is int, not an object"),
    ("labelme", '{"shapes": [{"label": 5, "points": []}], "imagePath": "a.jpg"}',
     r"shape 0: label 5 is not a class name"),
    ("labelme", _labelme().replace('"rectangle"', '"rectangle", "attributes": [1]'),
     r"shape 0: 'attributes' is list, not an object"),
]


@pytest.mark.parametrize(("format_id", "content", "pattern"), WRONG_TYPES)
def test_wrong_types_are_refused_with_the_place(format_id: str, content: str, pattern: str,
                                                tmp_path: Path,
                                                format_schema: LabelSchema) -> None:
    module, folder, file = _place(tmp_path, format_id, content)
    _refused(module, folder, file, format_schema, pattern)


def test_a_single_json_file_that_is_not_labelme_is_refused(tmp_path: Path,
                                                           format_schema: LabelSchema) -> None:
    module, _, file = _place(tmp_path, "labelme", "[1, 2, 3]")
    _refused(module, file, file, format_schema, "not a labelme file")


# -- names that leave the images folder ------------------------------------------------------

NAMES = [
    ("voc", _voc(filename="../../etc/passwd"), "leaves the images folder"),
    ("voc", _voc(filename="/etc/passwd"), "is absolute"),
    ("voc", _voc().replace("<filename>", "<folder>../..</folder><filename>"),
     "leaves the images folder"),
    ("cvat", _cvat(name="../secret.jpg"), "leaves the images folder"),
    ("cvat", _cvat(name="/etc/passwd"), "is absolute"),
    ("cvat", _cvat(name="C:\\Windows\\a.jpg"), "is absolute"),
    ("cvat", _cvat(name="a/../../b.jpg"), "leaves the images folder"),
    ("labelme", _labelme(image_path='"../../etc/passwd"'), "leaves the images folder"),
    ("labelme", _labelme(image_path='"/etc/passwd"'), "is absolute"),
    ("labelme", _labelme(image_path='"C:\\\\Users\\\\a.jpg"'), "is absolute"),
    ("labelme", _labelme(image_path='"a\\u0000.jpg"'), "holds a NUL byte"),
]


@pytest.mark.parametrize(("format_id", "content", "pattern"), NAMES)
def test_names_outside_the_images_folder_are_refused(format_id: str, content: str,
                                                     pattern: str, tmp_path: Path,
                                                     format_schema: LabelSchema) -> None:
    module, folder, file = _place(tmp_path, format_id, content)
    _refused(module, folder, file, format_schema, pattern)


def test_voc_ignores_an_absolute_path_element_for_folder_and_filename(
        tmp_path: Path, format_schema: LabelSchema) -> None:
    _, folder, _ = _place(tmp_path, "voc", _voc().replace("<filename>",
                                                          "<path>/etc/passwd</path><filename>"))
    assert voc.read(folder, ImportContext(format_schema)).images[0].file_name == "a.jpg"


# -- numbers that are not coordinates --------------------------------------------------------

NUMBERS = [
    ("voc", _voc_box(xmin="nan"), "'nan' is not a usable coordinate"),
    ("voc", _voc_box(ymin="1e300"), "'1e300' is not a usable coordinate"),
    ("voc", _voc_box(xmax="-inf"), "'-inf' is not a usable coordinate"),
    ("cvat", _cvat('<box label="car" xtl="NaN" ytl="1" xbr="5" ybr="5"/>'),
     "'NaN' is not a usable coordinate"),
    ("cvat", _cvat('<polyline label="car" points="1,2;1e300,4"/>'),
     "point 1: '1e300' is not a usable coordinate"),
    ("cvat", _cvat('<box label="car" xtl="1" ytl="1" xbr="5" ybr="5" rotation="inf"/>'),
     "rotation: 'inf' is not a usable coordinate"),
    ("labelme", _labelme(points="[[1, 1], [NaN, 5]]"), "NaN is not a number JSON allows"),
    ("labelme", _labelme(points="[[1, 1], [Infinity, 5]]"), "Infinity is not a number"),
    ("labelme", _labelme(points="[[1, 1], [1e300, 5]]"), "point 1: 1e+300 is not a usable"),
    ("labelme", _labelme(points="[[1, 1], [1e999, 5]]"), "point 1: inf is not a usable"),
]


@pytest.mark.parametrize(("format_id", "content", "pattern"), NUMBERS)
def test_nan_and_huge_numbers_are_refused(format_id: str, content: str, pattern: str,
                                          tmp_path: Path, format_schema: LabelSchema) -> None:
    module, folder, file = _place(tmp_path, format_id, content)
    _refused(module, folder, file, format_schema, re.escape(pattern))


# -- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("format_id", sorted(PLACES))
def test_a_2_gb_file_is_refused_by_its_size_before_reading(format_id: str, tmp_path: Path,
                                                           format_schema: LabelSchema) -> None:
    module, folder, file = _place(tmp_path, format_id, "")
    with file.open("r+b") as handle:
        handle.truncate(2 * 1024**3)  # sparse: takes no disk space
    assert not module.detect(folder)
    _refused(module, folder, file, format_schema, "2,147,483,648 bytes is more than")


def test_labelme_image_data_is_never_decoded(tmp_path: Path,
                                             format_schema: LabelSchema) -> None:
    _, folder, _ = _place(tmp_path, "labelme",
                          _labelme(extra=', "imageData": "%%% not base64 %%%"'))
    assert labelme.read(folder, ImportContext(format_schema)).shape_count == 1


# -- what an export cannot write -------------------------------------------------------------


@pytest.mark.parametrize("format_id", XML)
def test_control_characters_are_refused_on_xml_export(format_id: str, tmp_path: Path,
                                                      format_schema: LabelSchema) -> None:
    item = Item(1, "a.jpg", "image", "jpeg", "0" * 64, 1, width=9, height=9)
    annotation = Annotation(1, 1, "car", Box.from_corners(1, 1, 5, 5),
                            attributes={"color": "red\x01"})
    view = ProjectView.from_items(format_schema, [ExportItem(item, "a.jpg", (annotation,))])
    module = PLACES[format_id][0]
    with pytest.raises(FormatError, match="control character XML cannot hold"):
        module.write(view, tmp_path)


@pytest.mark.parametrize("format_id", sorted(PLACES))
@pytest.mark.parametrize("name", ["../escape.jpg", "/abs/a.jpg"])
def test_exports_never_write_outside_their_folder(format_id: str, name: str, tmp_path: Path,
                                                  format_schema: LabelSchema) -> None:
    item = Item(1, name, "image", "jpeg", "0" * 64, 1, width=9, height=9)
    view = ProjectView.from_items(format_schema, [ExportItem(item, name, ())])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FormatError, match="export"):
        PLACES[format_id][0].write(view, out)
    assert not (tmp_path / "escape.json").exists() and not (tmp_path / "escape.xml").exists()
