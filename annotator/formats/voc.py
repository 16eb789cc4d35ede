"""Pascal VOC: one XML file per image, boxes only.

An export is the VOC layout: ``Annotations/<name>.xml`` for every image
(mirroring its folders: ``media/sub/a.jpg`` gives
``Annotations/media/sub/a.xml``), ``ImageSets/Main/default.txt`` listing the
image ids and ``labels.txt`` with the schema's classes in order.  Images
without objects still get a file, so "looked at, nothing there" survives.

Each file holds ``folder``, ``filename`` (the base name), a ``path`` with the
full relative name (so an import restores it; labelImg writes an absolute path
there, which an import ignores for ``folder/filename``), ``size`` and one
``object`` per box.  Flags ``truncated``, ``difficult`` and ``occluded`` come
from bool attributes of those names (1 when true, else 0).  All attributes,
flags included, also go under
``<attributes><attribute><name/><value/></attribute></attributes>`` as CVAT's
VOC export writes them: a 0 flag cannot tell "false" from "not set", the list
can, so a round trip gives equal attribute dicts.  On import the list wins; a
flag of 1 without an entry gives the class's bool attribute of that name.

Coordinates: the VOC devkit counts integer pixels from 1.  We write our
float64 coordinates unchanged and unrounded (shortest text that reads back to
the same float, integers without ``.0``) like CVAT and datumaro do, because
rounding would move every box edge by up to half a pixel on each round trip.
Readers that parse coordinates with ``int(text)`` instead of
``int(float(text))`` need integer boxes; snap them before export if so.

>>> _number(10.0), _number(10.25), _number(0.1)
('10', '10.25', '0.1')
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree as ET

from annotator.errors import FormatError
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
    text_of,
    typed_attribute,
)
from annotator.model import LabelSchema
from annotator.shapes import Box

__all__ = ["FORMAT", "detect", "read", "write"]

FLAGS = ("truncated", "difficult", "occluded")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _number(value: float) -> str:
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _text(value: str, where: str) -> str:
    if _NOT_XML.search(value):
        raise FormatError(f"{where}: {value!r} holds a control character XML cannot hold")
    return value


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


# -- write -----------------------------------------------------------------------------------


def _object(parent: ET.Element, export_item: ExportItem, label: str, box: Box,
            attributes: dict[str, Any]) -> None:
    where = f"voc export: {export_item.file_name}"
    element = _sub(parent, "object")
    _sub(element, "name", _text(label, where))
    _sub(element, "pose", "Unspecified")
    for flag in FLAGS:
        _sub(element, flag, "1" if attributes.get(flag) is True else "0")
    bndbox = _sub(element, "bndbox")
    (x0, y0), (x1, y1) = box.corners.tolist()
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), (x0, y0, x1, y1), strict=True):
        _sub(bndbox, tag, _number(value))
    held = {k: v for k, v in sorted(attributes.items()) if v is not None}
    if held:
        holder = _sub(element, "attributes")
        for name, value in held.items():
            attribute = _sub(holder, "attribute")
            _sub(attribute, "name", _text(str(name), where))
            _sub(attribute, "value", _text(attribute_text(value), where))


def _document(export_item: ExportItem, report: Report) -> ET.Element:
    name = export_item.file_name
    root = ET.Element("annotation")
    _sub(root, "folder", posixpath.dirname(name))
    _sub(root, "filename", _text(posixpath.basename(name), "voc export"))
    _sub(root, "path", _text(name, "voc export"))
    _sub(_sub(root, "source"), "database", "Unknown")
    size = _sub(root, "size")
    _sub(size, "width", str(export_item.width))
    _sub(size, "height", str(export_item.height))
    _sub(size, "depth", "3")
    _sub(root, "segmented", "0")
    for annotation in export_item.annotations:
        geometry = annotation.geometry
        if not isinstance(geometry, Box):
            reason = ("Pascal VOC holds axis-aligned boxes only" if annotation.kind ==
                      "rotated_box" else "Pascal VOC holds boxes only")
            report.skip(export_item, annotation, reason)
            continue
        _object(root, export_item, annotation.label, geometry, dict(annotation.attributes))
        report.wrote(annotation)
    return root


def _write_xml(root: ET.Element, target: Path) -> None:
    ET.indent(root, space="  ")
    target.parent.mkdir(parents=True, exist_ok=True)
    text = ET.tostring(root, encoding="unicode")
    target.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n{text}\n', encoding="utf-8")


def write(view: ProjectView, out: Path) -> Report:
    """Write one VOC XML per item, the image set and the class list into ``out``."""
    report = Report("voc")
    written: dict[str, str] = {}
    stems: list[str] = []
    (out / "Annotations").mkdir(parents=True, exist_ok=True)
    for export_item in view.items():
        name = safe_name(export_item.file_name, "voc export")
        stem = str(PurePosixPath(name).with_suffix(""))
        relative = f"Annotations/{stem}.xml"
        if relative in written:
            raise FormatError(f"voc export: {written[relative]!r} and {name!r} would both be "
                              f"written to {relative}; rename one of the images")
        written[relative] = name
        _write_xml(_document(export_item, report), out / relative)
        report.files.append(relative)
        report.images += 1
        stems.append(stem)
    sets = out / "ImageSets" / "Main"
    sets.mkdir(parents=True, exist_ok=True)
    (sets / "default.txt").write_text("".join(f"{s}\n" for s in stems), encoding="utf-8")
    (out / "labels.txt").write_text("".join(f"{n}\n" for n in view.schema.names),
                                    encoding="utf-8")
    report.files += ["ImageSets/Main/default.txt", "labels.txt"]
    return report


# -- read ------------------------------------------------------------------------------------


def _is_absolute(text: str) -> bool:
    text = text.replace("\\", "/")
    return text.startswith("/") or (len(text) > 1 and text[1] == ":")


def _image_name(root: ET.Element, where: str) -> str:
    path = root.findtext("path")
    if path and path.strip() and not _is_absolute(path.strip()):
        try:
            return safe_name(path.strip(), where)
        except FormatError:
            pass  # a path leaving the folder: fall back to folder/filename, checked below
    filename = text_of(root.find("filename"), f"{where}: <filename>")
    folder = (root.findtext("folder") or "").strip()
    if folder and not _is_absolute(folder):
        return safe_name(posixpath.join(folder.replace("\\", "/"), filename), where)
    return safe_name(filename, where)


def _size(root: ET.Element, tag: str, where: str) -> int | None:
    text = root.findtext(f"size/{tag}")
    if text is None or not text.strip():
        return None
    value = finite(text.strip(), f"{where}: <size><{tag}>")
    if not value.is_integer() or value < 0:
        raise FormatError(f"{where}: <size><{tag}> {text.strip()!r} is not a pixel count")
    return int(value) or None


def _box(element: ET.Element, where: str) -> Box:
    bndbox = element.find("bndbox")
    if bndbox is None:
        raise FormatError(f"{where}: no <bndbox>")
    x0, y0, x1, y1 = (finite(text_of(bndbox.find(tag), f"{where}: <{tag}>"), f"{where}: <{tag}>")
                      for tag in ("xmin", "ymin", "xmax", "ymax"))
    return Box.from_corners(x0, y0, x1, y1)  # finite numbers always make a box


def _attributes(element: ET.Element, label: str, schema: LabelSchema, where: str,
                dropped: Counter[str]) -> dict[str, Any]:
    known = schema.get(label) if label in schema else None
    values: dict[str, Any] = {}
    for attribute in element.findall("attributes/attribute"):
        name = text_of(attribute.find("name"), f"{where}: attribute <name>")
        text = attribute.findtext("value") or ""
        spec = known.attribute(name) if known else None
        values[name] = typed_attribute(spec, text.strip(), where)
    for flag in FLAGS:
        text = (element.findtext(flag) or "").strip()
        if flag in values or text in ("", "0"):
            continue  # a 0 flag says nothing an absent attribute does not
        spec = known.attribute(flag) if known else None
        if spec is not None and spec.type == "bool":
            values[flag] = typed_attribute(spec, text, where)
        else:
            dropped[flag] += 1
    return values


def _read_file(path: Path, context: ImportContext, result: ImportResult,
               dropped: Counter[str], in_folder: bool) -> None:
    shown = str(path)
    root = read_xml(path)
    if root.tag != "annotation":
        message = f"{shown}: not a Pascal VOC file (root <{root.tag}>, expected <annotation>)"
        if not in_folder:
            raise FormatError(message)
        result.problems.append(f"{message}; left out")
        return
    image = ImportedImage(_image_name(root, shown), _size(root, "width", shown),
                          _size(root, "height", shown))
    for index, element in enumerate(root.findall("object")):
        where = f"{shown}: object {index}"
        label = text_of(element.find("name"), f"{where}: <name>")
        if element.find("bndbox") is None:
            kind = element.findtext("type") or "no <bndbox>"
            result.problems.append(f"{where} ({label}): {kind.strip()} is not a box; skipped")
            continue
        box = _box(element, where)
        attributes = _attributes(element, label, context.schema, where, dropped)
        image.shapes.append(ImportedShape(label, box, attributes))
    result.images.append(image)


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FormatError(f"{path}: no such file or folder")
    folder = path / "Annotations"
    if folder.is_dir():
        return sorted(folder.rglob("*.xml"))
    found = sorted(path.rglob("*.xml"))
    if not found:
        raise FormatError(f"{path}: no Annotations folder and no .xml files; "
                          "not a Pascal VOC folder")
    return found


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a VOC folder (``Annotations/**/*.xml``), a folder of VOC XML files, or one file."""
    result = ImportResult("voc")
    dropped: Counter[str] = Counter()
    for file in _files(path):
        _read_file(file, context, result, dropped, in_folder=path.is_dir())
    for flag, count in sorted(dropped.items()):
        result.problems.append(f"{path}: {count} object(s) marked {flag}: their classes have no "
                               f"bool attribute {flag!r}, so the mark was not imported")
    check_labels(result, context.schema, path)
    return result


# -- detect ----------------------------------------------------------------------------------


def _root_tag(path: Path) -> str | None:
    """The root element's name, from the first bytes of the file only."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        with path.open("rb") as handle:
            for _, element in SafeET.iterparse(handle, events=("start",), forbid_dtd=True):
                return str(element.tag)
    except (DefusedXmlException, SafeET.ParseError, OSError):
        return None
    return None


def detect(path: Path) -> bool:
    """A VOC file, or a folder whose ``Annotations`` (or itself) holds VOC XML files."""
    if path.is_file():
        return path.suffix.lower() == ".xml" and _root_tag(path) == "annotation"
    if not path.is_dir():
        return False
    folder = path / "Annotations" if (path / "Annotations").is_dir() else path
    candidates = list(islice(folder.rglob("*.xml"), 3))
    return bool(candidates) and all(_root_tag(f) == "annotation" for f in candidates)


FORMAT = FormatSpec(
    id="voc",
    title="Pascal VOC (XML per image)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"box"}),
    extensions=(".xml",),
)
