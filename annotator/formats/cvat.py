"""CVAT for images 1.1: one ``annotations.xml`` for the whole export.

The file holds ``<version>1.1</version>``, a ``<meta>`` with the schema's
labels and their attributes (bool as ``checkbox``, enum as ``select``, int as
``number`` over the 32-bit range in steps of 1, float and text as ``text``:
CVAT's numbers are stepped, so a float would not fit), then one ``<image>``
per item, in order and with an ``id`` counting from 0.  Items without shapes
keep their empty ``<image>``.

Shapes: ``<box>``, ``<polygon>`` and ``<polyline>`` (points as
``x1,y1;x2,y2``) and ``<points>`` (one element per point).  Attributes are
``<attribute name="...">`` children; a bool attribute named ``occluded`` also
sets the shape's ``occluded`` flag, and a file whose shapes carry only the
flag gives that attribute on import.  Polygons with holes are skipped: CVAT
polygons have none.

Rotated boxes are written the way CVAT writes them: ``xtl ytl xbr ybr`` is the
box before rotation and ``rotation`` turns it about its centre by that many
degrees, with the matrix ``[[cos, -sin], [sin, cos]]`` applied to the corners'
offsets from the centre (CVAT's own ``RotatedBoxesToPolygons``).  In image
coordinates (y down) that is clockwise on screen, and it is exactly our
``RotatedBox.angle``, so ``rotation = degrees(angle) mod 360``; reading
gives the angle back in (-π, π].  A rotated box always carries
``rotation`` (``0`` included), so it comes back as a rotated box; a CVAT box
without the attribute is a plain box.

Coordinates are written with the shortest text that reads back to the same
float64 (CVAT itself writes two decimals).  Reading takes files made by CVAT:
``<track>`` (video annotation), ``<mask>``, ``<ellipse>``, ``<cuboid>``,
``<skeleton>`` and ``<tag>`` become problem notes.

>>> round(_angle("331.35211024345884"), 12)
-0.5
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as ET

import numpy as np

from annotator.errors import FormatError, GeometryError
from annotator.formats.base import (
    ExportItem,
    FormatSpec,
    ImportContext,
    ImportedImage,
    ImportedShape,
    ImportResult,
    ProjectView,
    Report,
    attribute_text,
    check_labels,
    finite,
    read_xml,
    safe_name,
    typed_attribute,
)
from annotator.model import Annotation, AttributeSpec, Geometry, LabelSchema
from annotator.shapes import Box, Point, Polygon, Polyline, RotatedBox

__all__ = ["FORMAT", "detect", "read", "write"]

FILE_NAME = "annotations.xml"
SHAPE_TAGS = ("box", "polygon", "polyline", "points")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_INPUT_TYPES = {"bool": "checkbox", "enum": "select", "int": "number", "float": "text",
                "text": "text"}


def _number(value: float) -> str:
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _text(value: str, where: str) -> str:
    if _NOT_XML.search(value):
        raise FormatError(f"{where}: {value!r} holds a control character XML cannot hold")
    return value


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         attrib: dict[str, str] | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag, attrib or {})
    if text is not None:
        child.text = text
    return child


# -- write -----------------------------------------------------------------------------------


def _attribute_meta(parent: ET.Element, spec: AttributeSpec) -> None:
    element = _sub(parent, "attribute")
    _sub(element, "name", spec.name)
    _sub(element, "mutable", "False")
    _sub(element, "input_type", _INPUT_TYPES.get(spec.type, "text"))
    if spec.type == "bool":
        default = attribute_text(bool(spec.default))
        values = default
    elif spec.type == "enum":
        default = str(spec.default) if spec.default is not None else (
            spec.values[0] if spec.values else "")
        values = "\n".join(spec.values)
    elif spec.type == "int":
        default = str(spec.default if spec.default is not None else 0)
        values = "-2147483648\n2147483647\n1"
    else:
        default = "" if spec.default is None else attribute_text(spec.default)
        values = ""
    _sub(element, "default_value", default)
    _sub(element, "values", values)


def _meta(view: ProjectView) -> ET.Element:
    meta = ET.Element("meta")
    task = _sub(meta, "task")
    _sub(task, "name", _text(view.schema.name, "cvat export"))
    _sub(task, "size", str(view.count))
    _sub(task, "mode", "annotation")
    labels = _sub(task, "labels")
    for label_class in view.schema.classes:
        label = _sub(labels, "label")
        _sub(label, "name", _text(label_class.name, "cvat export"))
        _sub(label, "color", label_class.color)
        _sub(label, "type", "any")
        attributes = _sub(label, "attributes")
        for spec in label_class.attributes:
            _attribute_meta(attributes, spec)
    return meta


def _points_text(array: Any) -> str:
    return ";".join(f"{_number(x)},{_number(y)}" for x, y in array.tolist())


def _shape(annotation: Annotation) -> tuple[str, dict[str, str]] | str:
    """The element name and geometry attributes of a shape, or why it cannot be one."""
    geometry = annotation.geometry
    if isinstance(geometry, Box):
        (x0, y0), (x1, y1) = geometry.corners.tolist()
        return "box", {"xtl": _number(x0), "ytl": _number(y0), "xbr": _number(x1),
                       "ybr": _number(y1)}
    if isinstance(geometry, RotatedBox):
        hw, hh = geometry.width / 2, geometry.height / 2
        return "box", {"xtl": _number(geometry.cx - hw), "ytl": _number(geometry.cy - hh),
                       "xbr": _number(geometry.cx + hw), "ybr": _number(geometry.cy + hh),
                       "rotation": _number(math.degrees(geometry.angle) % 360.0)}
    if isinstance(geometry, Polygon):
        if geometry.holes:
            return "CVAT polygons have no holes"
        return "polygon", {"points": _points_text(geometry.shell)}
    if isinstance(geometry, Point):
        return "points", {"points": _points_text(geometry.points)}
    if isinstance(geometry, Polyline):
        return "polyline", {"points": _points_text(geometry.points)}
    return f"CVAT for images holds no {annotation.kind}"


def _image(index: int, export_item: ExportItem, report: Report) -> ET.Element:
    name = safe_name(export_item.file_name, "cvat export")
    where = f"cvat export: {name}"
    image = ET.Element("image", {"id": str(index), "name": _text(name, where),
                                 "width": str(export_item.width),
                                 "height": str(export_item.height)})
    for annotation in export_item.annotations:
        shape = _shape(annotation)
        if isinstance(shape, str):
            report.skip(export_item, annotation, shape)
            continue
        tag, geometry = shape
        occluded = "1" if annotation.attributes.get("occluded") is True else "0"
        element = _sub(image, tag, attrib={
            "label": _text(annotation.label, where), "source": "manual",
            "occluded": occluded, **geometry, "z_order": str(annotation.z)})
        for key, value in sorted(annotation.attributes.items()):
            if value is not None:
                _sub(element, "attribute", _text(attribute_text(value), where),
                     {"name": _text(str(key), where)})
        report.wrote(annotation)
    return image


def _put(handle: IO[str], element: ET.Element) -> None:
    """One child of the root, indented as ``ET.indent`` would indent the whole tree."""
    ET.indent(element, space="  ", level=1)
    handle.write("  " + ET.tostring(element, encoding="unicode") + "\n")


def write(view: ProjectView, out: Path) -> Report:
    """Write ``annotations.xml`` into ``out``, one ``<image>`` at a time."""
    report = Report("cvat")
    with (out / FILE_NAME).open("w", encoding="utf-8", newline="\n") as handle:
        handle.write('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n')
        version = ET.Element("version")
        version.text = "1.1"
        _put(handle, version)
        _put(handle, _meta(view))
        for index, export_item in enumerate(view.items()):
            _put(handle, _image(index, export_item, report))
            report.images += 1
        handle.write("</annotations>\n")
    report.files.append(FILE_NAME)
    return report


# -- read ------------------------------------------------------------------------------------


def _angle(text: str, where: str = "rotation") -> float:
    """CVAT's rotation (degrees) as our angle in radians, in (-π, π]."""
    angle = math.radians(finite(text, where) % 360.0)
    return angle - 2 * math.pi if angle > math.pi else angle


def _coordinate(element: ET.Element, key: str, where: str) -> float:
    return finite(element.get(key), f"{where}: {key}")


def _points(element: ET.Element, where: str) -> list[list[float]]:
    text = element.get("points")
    if text is None or not text.strip():
        raise FormatError(f"{where}: no points")
    points = []
    for index, pair in enumerate(text.strip().split(";")):
        parts = pair.split(",")
        if len(parts) != 2:
            raise FormatError(f"{where}: point {index} {pair!r} is not x,y")
        points.append([finite(parts[0].strip(), f"{where}: point {index}"),
                       finite(parts[1].strip(), f"{where}: point {index}")])
    return points


def _geometries(element: ET.Element, where: str, problems: list[str]) -> list[Geometry]:
    if element.tag == "box":
        x0, y0, x1, y1 = (_coordinate(element, k, where) for k in ("xtl", "ytl", "xbr", "ybr"))
        rotation = element.get("rotation")
        if rotation is None:
            return [Box.from_corners(x0, y0, x1, y1)]
        return [RotatedBox((x0 + x1) / 2, (y0 + y1) / 2, abs(x1 - x0), abs(y1 - y0),
                           _angle(rotation, f"{where}: rotation"))]
    points = np.array(_points(element, where), dtype=np.float64)
    if element.tag == "polygon":
        return [Polygon(points)]
    if element.tag == "polyline":
        return [Polyline(points)]
    if len(points) > 1:
        problems.append(f"{where}: {len(points)} points in one <points>; read as one each")
    return [Point(p.reshape(1, 2)) for p in points]


def _attributes(element: ET.Element, label: str, schema: LabelSchema,
                where: str) -> dict[str, Any]:
    known = schema.get(label) if label in schema else None
    values: dict[str, Any] = {}
    for child in element.findall("attribute"):
        name = child.get("name")
        if not name:
            raise FormatError(f"{where}: <attribute> without a name")
        spec = known.attribute(name) if known else None
        values[name] = typed_attribute(spec, (child.text or "").strip(), where)
    spec = known.attribute("occluded") if known else None
    if "occluded" not in values and spec is not None and spec.type == "bool" and (
            element.get("occluded") == "1"):
        values["occluded"] = True
    return values


def _size(element: ET.Element, key: str, where: str) -> int | None:
    text = element.get(key)
    if text is None or not text.strip():
        return None
    value = finite(text, f"{where}: {key}")
    if not value.is_integer() or value < 0:
        raise FormatError(f"{where}: {key} {text!r} is not a pixel count")
    return int(value) or None


def _read_image(element: ET.Element, index: int, shown: str, schema: LabelSchema,
                result: ImportResult, unsupported: Counter[str]) -> None:
    where = f"{shown}: image {index}"
    image = ImportedImage(safe_name(element.get("name"), where), _size(element, "width", where),
                          _size(element, "height", where))
    for number, child in enumerate(element):
        if child.tag not in SHAPE_TAGS:
            unsupported[f"<{child.tag}>"] += 1
            continue
        place = f"{where} ({image.file_name}), <{child.tag}> {number}"
        label = child.get("label")
        if not label:
            raise FormatError(f"{place}: no label")
        try:
            geometries = _geometries(child, place, result.problems)
        except GeometryError as exc:
            raise FormatError(f"{place}: {exc}") from None
        attributes = _attributes(child, label, schema, place)
        image.shapes.extend(ImportedShape(label, g, attributes) for g in geometries)
    result.images.append(image)


def _source(path: Path) -> Path:
    if path.is_dir():
        if not (path / FILE_NAME).is_file():
            raise FormatError(f"{path}: no {FILE_NAME}; not a CVAT for images export")
        return path / FILE_NAME
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    return path


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a CVAT for images 1.1 ``annotations.xml`` (or a folder holding one)."""
    file = _source(path)
    root = read_xml(file)
    if root.tag != "annotations":
        raise FormatError(f"{file}: not a CVAT file (root <{root.tag}>, expected <annotations>)")
    result = ImportResult("cvat")
    version = (root.findtext("version") or "").strip()
    if version and version != "1.1":
        result.problems.append(f"{file}: CVAT format version {version}; read as 1.1")
    unsupported: Counter[str] = Counter()
    for index, element in enumerate(root.findall("image")):
        _read_image(element, index, str(file), context.schema, result, unsupported)
    tracks = len(root.findall("track"))
    if tracks:
        result.problems.append(f"{file}: {tracks} <track>(s) of video annotation skipped; "
                               "export the task as CVAT for images")
    for tag, count in sorted(unsupported.items()):
        result.problems.append(f"{file}: {count} {tag} element(s) skipped: "
                               "not a kind the project holds")
    check_labels(result, context.schema, file)
    return result


# -- detect ----------------------------------------------------------------------------------

#: detect stops reading after this many XML events (the <meta> of a big task is long).
DETECT_EVENTS = 100_000


def _looks_like_cvat(path: Path) -> bool:
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    depth = 0
    try:
        with path.open("rb") as handle:
            events = SafeET.iterparse(handle, events=("start", "end"), forbid_dtd=True)
            for count, (event, element) in enumerate(events):
                if event == "start":
                    depth += 1
                    if (depth == 1 and element.tag != "annotations") or count > DETECT_EVENTS:
                        return False
                    if depth == 2 and element.tag == "image":
                        return True
                    continue
                if depth == 2 and element.tag == "version" and (
                        (element.text or "").strip() == "1.1"):
                    return True
                depth -= 1
    except (DefusedXmlException, SafeET.ParseError, OSError):
        return False
    return False


def detect(path: Path) -> bool:
    """``annotations.xml`` or an XML file: root ``<annotations>``, version 1.1 or images."""
    if path.is_dir():
        path = path / FILE_NAME
        if not path.is_file():
            return False
    elif not (path.is_file() and path.suffix.lower() == ".xml"):
        return False
    return _looks_like_cvat(path)


FORMAT = FormatSpec(
    id="cvat",
    title="CVAT for images 1.1 (XML)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"box", "rotated_box", "polygon", "polyline", "point"}),
    extensions=(".xml",),
)
