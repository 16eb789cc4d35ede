"""labelme JSON: one file per image, beside where the image would be.

``media/sub/a.jpg`` is written as ``media/sub/a.json`` in labelme 5.x layout:
``imagePath`` is the image's base name (relative to the JSON file, as labelme
writes it), ``imageData`` is null, and each shape carries ``label``,
``points``, ``shape_type``, ``group_id``, ``description``, ``flags``,
``mask`` and the X-AnyLabeling ``attributes`` object holding our attributes.

Kinds: a box is a ``rectangle`` (two corners); a polygon a ``polygon``; a
polyline a ``linestrip`` (a two-point one a ``line``); a point a ``point``; a
rotated box X-AnyLabeling's ``rotation`` shape, the four corners in our vertex
order (the first edge runs along the width) plus ``direction``, the angle in
radians in [0, 2π), which is how X-AnyLabeling computes it from the corners.
Polygons with holes are skipped: labelme has no holes and no convention for
them (``group_id`` groups the parts of one object, it does not cut holes).

Reading takes labelme 3.x to 5.x and X-AnyLabeling files: missing fields get
labelme's defaults (``shape_type`` polygon), ``imageData`` is never decoded,
X-AnyLabeling's four-point rectangles are read by their bounds, and ``circle``,
``mask`` and other shapes we cannot hold become problem notes.  Attributes are
the shape's bool ``flags`` merged with its ``attributes`` (which win).

>>> _output_name("media/street 01.jpg")
'media/street 01.json'
"""

from __future__ import annotations

import json
import math
import posixpath
from collections import Counter
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from annotator.errors import FormatError, GeometryError
from annotator.formats.base import (
    MAX_INPUT_BYTES,
    ExportItem,
    FormatSpec,
    ImportContext,
    ImportedImage,
    ImportedShape,
    ImportResult,
    ProjectView,
    Report,
    attributes_json,
    check_labels,
    finite,
    read_json,
    safe_name,
    typed_attribute,
)
from annotator.model import Annotation, Geometry, LabelSchema
from annotator.shapes import Box, FloatArray, Point, Polygon, Polyline, RotatedBox

__all__ = ["FORMAT", "LABELME_VERSION", "detect", "read", "write"]

LABELME_VERSION = "5.5.0"

#: A ``rotation`` shape whose corners are further than this (pixels) from a
#: true rectangle is read as the polygon it is.
RECTANGLE_TOLERANCE = 0.01


#: The shape types a reader takes; others (circle, mask, cuboid...) are problem notes.
SHAPE_TYPES = frozenset({"rectangle", "polygon", "linestrip", "line", "point", "points",
                         "rotation"})


def _output_name(file_name: str) -> str:
    return str(PurePosixPath(file_name).with_suffix(".json"))


# -- write -----------------------------------------------------------------------------------


def _points(array: Any) -> list[list[float]]:
    return [[float(x), float(y)] for x, y in np.asarray(array).tolist()]


def _shape_of(annotation: Annotation) -> dict[str, Any] | str:
    """The labelme shape for an annotation, or the reason it cannot be one."""
    geometry = annotation.geometry
    extra: dict[str, Any] = {}
    if isinstance(geometry, Box):
        shape_type, points = "rectangle", _points(geometry.corners)
    elif isinstance(geometry, RotatedBox):
        shape_type, points = "rotation", _points(geometry.vertices)
        extra["direction"] = geometry.angle % (2 * math.pi)
    elif isinstance(geometry, Polygon):
        if geometry.holes:
            return "labelme polygons have no holes"
        shape_type, points = "polygon", _points(geometry.shell)
    elif isinstance(geometry, Point):
        shape_type, points = "point", _points(geometry.points)
    elif isinstance(geometry, Polyline):
        points = _points(geometry.points)
        shape_type = "line" if len(points) == 2 else "linestrip"
    else:
        return f"labelme holds no {annotation.kind}"
    return {"label": annotation.label, "points": points, "group_id": None,
            "description": "", "shape_type": shape_type, "flags": {}, "mask": None,
            **extra, "attributes": attributes_json(annotation.attributes)}


def _document(export_item: ExportItem, report: Report) -> dict[str, Any]:
    shapes = []
    for annotation in export_item.annotations:
        shape = _shape_of(annotation)
        if isinstance(shape, str):
            report.skip(export_item, annotation, shape)
            continue
        shapes.append(shape)
        report.wrote(annotation)
    return {
        "version": LABELME_VERSION,
        "flags": {},
        "shapes": shapes,
        "imagePath": posixpath.basename(export_item.file_name),
        "imageData": None,
        "imageHeight": export_item.height,
        "imageWidth": export_item.width,
    }


def write(view: ProjectView, out: Path) -> Report:
    """Write one labelme JSON per item into ``out``, in the items' folders."""
    report = Report("labelme")
    written: dict[str, str] = {}
    for export_item in view.items():
        name = safe_name(export_item.file_name, "labelme export")
        relative = _output_name(name)
        if relative in written:
            raise FormatError(f"labelme export: {written[relative]!r} and {name!r} would both "
                              f"be written to {relative}; rename one of the images")
        written[relative] = name
        document = _document(export_item, report)
        try:
            text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise FormatError(f"labelme export: {name}: an attribute cannot be written as "
                              f"JSON ({exc})") from None
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
        report.files.append(relative)
        report.images += 1
    return report


# -- read ------------------------------------------------------------------------------------


def _coordinates(raw: Any, where: str) -> list[list[float]]:
    if not isinstance(raw, list):
        raise FormatError(f"{where}: 'points' is {type(raw).__name__}, not a list of [x, y]")
    points = []
    for index, point in enumerate(raw):
        if not isinstance(point, list | tuple) or len(point) != 2 or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in point):
            raise FormatError(f"{where}: point {index} is {point!r}, not [x, y]")
        points.append([finite(point[0], f"{where}: point {index}"),
                       finite(point[1], f"{where}: point {index}")])
    return points


def _rotated(array: FloatArray, where: str, problems: list[str]) -> Geometry:
    if len(array) != 4:
        raise GeometryError(f"a rotation shape has 4 points, not {len(array)}")
    box = RotatedBox(0, 0, 0, 0, 0).with_vertices(array)
    if float(np.abs(box.vertices - array).max()) > RECTANGLE_TOLERANCE:
        problems.append(f"{where}: the rotation shape is not a rectangle; read as a polygon")
        return Polygon(array)
    return box


def _geometries(shape_type: str, array: FloatArray, where: str,
                problems: list[str]) -> list[Geometry]:
    if shape_type == "rectangle":
        if len(array) not in (2, 4):
            raise GeometryError(f"a rectangle has 2 (or 4) points, not {len(array)}")
        return [Box(np.array([array.min(axis=0), array.max(axis=0)]))]
    if shape_type == "points":
        problems.append(f"{where}: {len(array)} points in one shape; read as one point each")
        return [Point(p.reshape(1, 2)) for p in array]
    if shape_type == "rotation":
        return [_rotated(array, where, problems)]
    kind = {"polygon": Polygon, "linestrip": Polyline, "line": Polyline, "point": Point}
    return [kind[shape_type](array)]


def _attributes(shape: dict[str, Any], label: str, schema: LabelSchema,
                where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    flags, attributes = shape.get("flags") or {}, shape.get("attributes") or {}
    for key, found in (("flags", flags), ("attributes", attributes)):
        if not isinstance(found, dict):
            raise FormatError(f"{where}: '{key}' is {type(found).__name__}, not an object")
    values.update({str(k): v for k, v in flags.items() if isinstance(v, bool)})
    values.update({str(k): v for k, v in attributes.items()})
    for name, value in values.items():
        if isinstance(value, dict | list):
            raise FormatError(f"{where}: attribute {name!r} is {type(value).__name__}, "
                              "not a value")
    known = schema.get(label) if label in schema else None
    return {name: typed_attribute(known.attribute(name) if known else None, value, where)
            for name, value in values.items()}


def _shapes(data: dict[str, Any], shown: str, schema: LabelSchema, image: ImportedImage,
            problems: list[str], unsupported: Counter[str]) -> None:
    shapes = data.get("shapes")
    if not isinstance(shapes, list):
        raise FormatError(f"{shown}: 'shapes' is {type(shapes).__name__}, not a list")
    for index, shape in enumerate(shapes):
        where = f"{shown}: shape {index}"
        if not isinstance(shape, dict):
            raise FormatError(f"{where}: is {type(shape).__name__}, not an object")
        label, shape_type = shape.get("label"), shape.get("shape_type") or "polygon"
        if not isinstance(label, str) or not label.strip():
            raise FormatError(f"{where}: label {label!r} is not a class name")
        if not isinstance(shape_type, str):
            raise FormatError(f"{where}: shape_type {shape_type!r} is not a name")
        if shape_type not in SHAPE_TYPES:
            unsupported[shape_type] += 1
            continue
        array = np.array(_coordinates(shape.get("points"), where), dtype=np.float64)
        try:
            geometries = _geometries(shape_type, array.reshape(-1, 2), where, problems)
        except GeometryError as exc:
            raise FormatError(f"{where}: {exc}") from None
        attributes = _attributes(shape, label, schema, where)
        image.shapes.extend(ImportedShape(label, g, attributes) for g in geometries)


def _size(data: dict[str, Any], key: str, shown: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (
            isinstance(value, float) and not value.is_integer()) or value > 1e9:
        raise FormatError(f"{shown}: {key} {value!r} is not a pixel count")
    return int(value) or None


def _image_name(data: dict[str, Any], folder: str, shown: str) -> str:
    image_path = data.get("imagePath")
    if not isinstance(image_path, str) or not image_path.strip():
        raise FormatError(f"{shown}: imagePath {image_path!r} is not a file name")
    text = image_path.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return safe_name(image_path, shown)  # refuses it: absolute
    return safe_name(posixpath.join(folder, text) if folder else text, shown)


def _read_file(path: Path, data: Any, folder: str, context: ImportContext,
               result: ImportResult, unsupported: Counter[str]) -> None:
    shown = str(path)
    if not isinstance(data, dict) or "shapes" not in data:
        raise FormatError(f"{shown}: not a labelme file (no 'shapes')")
    image = ImportedImage(_image_name(data, folder, shown), _size(data, "imageWidth", shown),
                          _size(data, "imageHeight", shown))
    _shapes(data, shown, context.schema, image, result.problems, unsupported)
    result.images.append(image)


def _is_labelme(data: Any) -> bool:
    return isinstance(data, dict) and "shapes" in data and "imagePath" in data


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read one labelme JSON file, or every labelme JSON under a folder.

    In a folder, JSON files that are not labelme files (no ``shapes`` and
    ``imagePath``) are listed as problems and left out.
    """
    result = ImportResult("labelme")
    unsupported: Counter[str] = Counter()
    if path.is_file():
        _read_file(path, read_json(path), "", context, result, unsupported)
    elif path.is_dir():
        for file in sorted(path.rglob("*.json")):
            folder = file.parent.relative_to(path).as_posix()
            data = read_json(file)
            if not _is_labelme(data):
                result.problems.append(f"{file}: not a labelme file (no 'shapes' and "
                                       "'imagePath'); left out")
                continue
            _read_file(file, data, "" if folder == "." else folder, context, result,
                       unsupported)
    else:
        raise FormatError(f"{path}: no such file or folder")
    for shape_type, count in sorted(unsupported.items()):
        result.problems.append(f"{path}: {count} {shape_type!r} shape(s) skipped: "
                               "not a kind the project holds")
    check_labels(result, context.schema, path)
    return result


# -- detect ----------------------------------------------------------------------------------

#: detect looks at this many JSON files, skipping any larger than DETECT_BYTES.
DETECT_FILES = 5
DETECT_BYTES = min(MAX_INPUT_BYTES, 64 << 20)


def _looks_like_labelme(path: Path) -> bool:
    try:
        if path.stat().st_size > DETECT_BYTES:
            return False
        return _is_labelme(read_json(path))
    except (FormatError, OSError):
        return False


def detect(path: Path) -> bool:
    """A labelme JSON file, or a folder holding some (the first few JSON files decide)."""
    if path.is_file():
        return path.suffix.lower() == ".json" and _looks_like_labelme(path)
    if not path.is_dir():
        return False
    return any(_looks_like_labelme(f) for f in islice(path.rglob("*.json"), DETECT_FILES))


FORMAT = FormatSpec(
    id="labelme",
    title="labelme JSON (file per image)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"box", "polygon", "polyline", "point", "rotated_box"}),
    extensions=(".json",),
)
