"""Our own cuboid JSON ("COCO-3D style"): one ``cuboids.json``, exact float64 round trip.

The layout follows COCO instances (tables linked by ids), with point-cloud
tiles in place of images::

    {"format": "annotator-cuboids", "version": 1,
     "info": {"schema": "road-scenes", "tool": "annotator 0.1.0"},
     "categories": [{"id": 1, "name": "car", "supercategory": ""}, ...],
     "items": [{"id": 1, "file_name": "media/t.laz", "kind": "pointcloud",
                "points": 142169, "crs": "EPSG:6677", "origin": [x, y, z]}, ...],
     "cuboids": [{"id": 1, "item_id": 1, "category_id": 1,
                  "bbox3d": {"center": [x, y, z], "size": [l, w, h], "yaw": a},
                  "attributes": {"occluded": false}}, ...]}

``center`` is in the tile's own frame (as stored, float64), ``size`` is
length (along the heading), width, height, and ``yaw`` is radians about +z.
Categories are the schema's classes in order (ids from 1, as in COCO), all
of them, used or not.  Every float is written as the shortest text that
reads back to the same float64, so an import gives back exactly what was
exported.  The box table is called ``cuboids``, not ``annotations``, and the
tile table ``items``, not ``images``: a COCO reader should not take this file
for its own (it would find no images and no polygons in it).

>>> import tempfile
>>> from annotator.model import Annotation, Item, LabelClass, LabelSchema
>>> from annotator.shapes import Cuboid
>>> schema = LabelSchema("s", (LabelClass("car", "#e69f00", ("cuboid",)),))
>>> item = Item(1, "t.pcd", "pointcloud", "pcd", "", 0, points=10)
>>> box = Annotation(1, 1, "car", Cuboid([[40000.1, -120000.2, 3.3]], [[4.5, 1.8, 1.5]], 0.1))
>>> view = ProjectView.from_items(schema, [ExportItem(item, "t.pcd", (box,))])
>>> out = Path(tempfile.mkdtemp())
>>> write(view, out).files
['cuboids.json']
>>> read(out, ImportContext(schema)).images[0].shapes[0].geometry == box.geometry
True
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annotator import __version__
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
    attributes_json,
    check_labels,
    head_of,
    read_json,
    safe_name,
    typed_attribute,
)
from annotator.formats.clouds import cuboid_from, cuboid_or_skip, json_number
from annotator.model import LabelSchema

__all__ = ["FILE", "FORMAT", "MARK", "detect", "read", "write"]

FILE = "cuboids.json"
MARK = "annotator-cuboids"
VERSION = 1
_SNIFF = re.compile(rb'^\{\s*"format"\s*:\s*"annotator-cuboids"')
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False,
                           separators=(",", ":")).encode


# -- write -----------------------------------------------------------------------------------


def _item_entry(item_id: int, export_item: ExportItem) -> dict[str, Any]:
    item = export_item.item
    return {"id": item_id, "file_name": export_item.file_name, "kind": item.kind,
            "points": item.points, "crs": item.crs,
            "origin": list(item.origin) if item.origin is not None else None}


def _head(view: ProjectView) -> str:
    categories = ",\n".join(
        _ENCODE({"id": view.category_id(name), "name": name, "supercategory": ""})
        for name in view.schema.names)
    info = _ENCODE({"schema": view.schema.name, "tool": f"annotator {__version__}"})
    return (f'{{"format":"{MARK}","version":{VERSION},\n"info":{info},\n'
            f'"categories":[\n{categories}\n],\n"items":[')


def write(view: ProjectView, out: Path) -> Report:
    """Write ``cuboids.json``: tiles first, then the boxes (spooled to a temporary file)."""
    report = Report(FORMAT.id)
    categories = {name: view.category_id(name) for name in view.schema.names}
    next_id = 1
    with (out / FILE).open("wb") as main, tempfile.TemporaryFile(dir=out) as tail:
        main.write(_head(view).encode("utf-8"))
        for item_id, export_item in enumerate(view.items(), 1):
            main.write((("\n" if item_id == 1 else ",\n") + _ENCODE(
                _item_entry(item_id, export_item))).encode("utf-8"))
            for annotation in export_item.annotations:
                cuboid = cuboid_or_skip(export_item, annotation, report, "The cuboids format")
                if cuboid is None:
                    continue
                category = categories.get(annotation.label)
                if category is None:
                    raise FormatError(f"cuboids export: {export_item.file_name}: annotation "
                                      f"{annotation.id}: class {annotation.label!r} is not in "
                                      "the schema")
                entry = {"id": next_id, "item_id": item_id, "category_id": category,
                         "bbox3d": {"center": cuboid.center[0].tolist(),
                                    "size": cuboid.size[0].tolist(), "yaw": cuboid.yaw},
                         "attributes": attributes_json(annotation.attributes)}
                try:
                    text = _ENCODE(entry)
                except (TypeError, ValueError) as exc:
                    raise FormatError(f"cuboids export: {export_item.file_name}: annotation "
                                      f"{annotation.id}: attributes are not plain JSON values "
                                      f"({exc})") from None
                tail.write((("\n" if next_id == 1 else ",\n") + text).encode("utf-8"))
                next_id += 1
                report.wrote(annotation)
            report.images += 1
        main.write(b'\n],\n"cuboids":[')
        tail.seek(0)
        shutil.copyfileobj(tail, main, 1 << 20)
        main.write(b"\n]}\n")
    report.files.append(FILE)
    return report


# -- read ------------------------------------------------------------------------------------


def _table(data: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    rows = data.get(key)
    if not isinstance(rows, list):
        raise FormatError(f"{where}: '{key}' must be a list")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise FormatError(f"{where}: {key}[{index}] is not a JSON object")
    return rows


def _id(row: Mapping[str, Any], key: str, where: str) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**53:
        raise FormatError(f"{where}: '{key}' {value!r} is not an id")
    return value


def _vector(value: Any, where: str) -> list[float]:
    if not isinstance(value, list) or len(value) != 3:
        raise FormatError(f"{where}: expected 3 numbers, got {value!r:.80}")
    return [json_number(v, where) for v in value]


def _ids(rows: list[dict[str, Any]], key: str, where: str) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for index, row in enumerate(rows):
        row_id = _id(row, "id", f"{where}: {key}[{index}]")
        if row_id in found:
            raise FormatError(f"{where}: {key}[{index}]: id {row_id} is used twice")
        found[row_id] = row
    return found


def _plain(value: Any) -> bool:
    """An attribute value: text, true/false, null, or a finite number below 1e15."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return abs(value) < 10**15
    return isinstance(value, float) and math.isfinite(value) and abs(value) < 1e15


def _shape(row: Mapping[str, Any], label: str, schema: LabelSchema, where: str,
           ) -> ImportedShape:
    box = row.get("bbox3d")
    if not isinstance(box, dict):
        raise FormatError(f"{where}: 'bbox3d' must be an object with center, size and yaw")
    center = _vector(box.get("center"), f"{where}: bbox3d.center")
    size = _vector(box.get("size"), f"{where}: bbox3d.size")
    yaw = json_number(box.get("yaw"), f"{where}: bbox3d.yaw")
    cuboid = cuboid_from(center, size, yaw, where)
    raw = row.get("attributes", {})
    if not isinstance(raw, dict):
        raise FormatError(f"{where}: 'attributes' must be a JSON object")
    label_class = schema.get(label) if label in schema else None
    attributes = {}
    for name, value in raw.items():
        place = f"{where}: attribute {name!r}"
        if not _plain(value):
            raise FormatError(f"{place}: {value!r:.80} is not a string, a usable number, "
                              "true/false or null")
        spec = label_class.attribute(name) if label_class else None
        attributes[name] = typed_attribute(spec, value, place)
    return ImportedShape(label, cuboid, attributes)


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read ``cuboids.json`` (a folder holding it, or the file itself)."""
    source = path / FILE if path.is_dir() else path
    if not source.is_file():
        raise FormatError(f"{path}: no {FILE} here")
    where = str(source)
    data = read_json(source)
    if not isinstance(data, dict) or data.get("format") != MARK:
        raise FormatError(f"{where}: not an annotator cuboids file (no \"format\": \"{MARK}\")")
    if data.get("version") != VERSION:
        raise FormatError(f"{where}: version {data.get('version')!r}; this reader takes "
                          f"version {VERSION}")
    categories = _ids(_table(data, "categories", where), "categories", where)
    items = _ids(_table(data, "items", where), "items", where)
    result = ImportResult(FORMAT.id)
    images: dict[int, ImportedImage] = {}
    for item_id, row in items.items():
        images[item_id] = ImportedImage(safe_name(row.get("file_name"),
                                                  f"{where}: item {item_id}"))
    for index, row in enumerate(_table(data, "cuboids", where)):
        place = f"{where}: cuboids[{index}]"
        item_id, category_id = _id(row, "item_id", place), _id(row, "category_id", place)
        if item_id not in images:
            raise FormatError(f"{place}: item_id {item_id} is not among the items")
        if category_id not in categories:
            raise FormatError(f"{place}: category_id {category_id} is not among the categories")
        label = categories[category_id].get("name")
        if not isinstance(label, str) or not label:
            raise FormatError(f"{where}: category {category_id} has no name")
        images[item_id].shapes.append(_shape(row, label, context.schema, place))
    result.images = list(images.values())
    check_labels(result, context.schema, path)
    return result


# -- detect ----------------------------------------------------------------------------------


def _sniff(path: Path) -> bool:
    head = head_of(path, 256)
    return head is not None and _SNIFF.match(head) is not None


def detect(path: Path) -> bool:
    """``cuboids.json``, or a folder holding it."""
    if path.is_dir():
        path = path / FILE
    return path.is_file() and path.suffix.lower() == ".json" and _sniff(path)


FORMAT = FormatSpec(
    id="cuboids",
    title="Annotator cuboids JSON (COCO-style, exact)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"cuboid"}),
    extensions=(".json",),
    media="pointcloud",
)
