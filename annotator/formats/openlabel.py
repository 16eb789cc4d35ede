"""ASAM OpenLABEL 1.0.0 JSON: one file per point-cloud tile, cuboids as static objects.

An export writes ``openlabel/<name>.json`` for every tile, mirroring its
folders (``media/sub/t.laz`` -> ``openlabel/media/sub/t.json``); a tile
without cuboids still gets a file.  One file per tile, rather than one per
project with a frame per tile, because tiles are independent scenes, not
the frames of one sequence: each file stands alone, validates alone and
names its point cloud.  Every file validates against the official OpenLABEL
1.0.0 JSON schema and holds:

- ``metadata``: ``schema_version`` "1.0.0", ``name`` (the tile's file name);
- ``streams``: one ``lidar`` stream whose ``uri`` is the tile's file name
  (relative to the media folder): an import finds its item by it;
- ``coordinate_systems``: ``lidar``, the tile's own frame, in which every
  cuboid is given (``coordinate_system: "lidar"``).  When the tile has a CRS
  that frame's coordinates are CRS coordinates, so ``lidar`` is the child of
  a ``geo`` system (type ``geo``, with a ``crs`` entry such as "EPSG:6677")
  with an identity pose.  When the tile has a float64 origin (the corner its
  float32 points are stored relative to), a ``tile`` system (``local_cs``)
  sits under ``lidar`` with the pose ``translation = origin``;
- ``objects``: one per cuboid, keyed "0", "1", ...; ``type`` is the class,
  ``name`` the class and our annotation id; ``object_data.cuboid`` holds
  ``{"name": "shape", "val": [x, y, z, qx, qy, qz, qw, sx, sy, sz]}``: the
  centre, the yaw as a quaternion about +z (``qz = sin(yaw/2)``,
  ``qw = cos(yaw/2)``) and the size (length, width, height along the box's
  own x, y, z); attributes are ``object_data`` entries by type (``boolean``
  for bools, ``num`` for numbers, ``text`` for the rest).

Reading takes the static ``objects`` (and those of a single frame, if the file
has one); the 10-number quaternion and the 9-number Euler form
``[x, y, z, rx, ry, rz, sx, sy, sz]`` (rotation ``Rz(rz) Ry(ry) Rx(rx)``,
OpenLABEL's default "ZYX" sequence) are both read.  We store yaw only: a
cuboid whose own z axis leans more than :data:`MAX_TILT` radians from +z is
skipped and named in the report; a smaller lean (float noise, a level box
written with Euler angles of pi) is levelled, keeping the heading.  Cuboids
given in a coordinate system other than the tile's LiDAR frame (the
``lidar`` stream's name) are skipped and reported too.

>>> _quaternion(math.pi / 2)
[0.0, 0.0, 0.7071067811865475, 0.7071067811865476]
>>> tilt, yaw = _tilt_and_yaw([0, 0, 0, *_quaternion(math.pi / 2), 4, 2, 1.5], "x.json")
>>> tilt, round(yaw, 12) == round(math.pi / 2, 12)
(0.0, True)
>>> round(_tilt_and_yaw([0, 0, 0, 0.1, 0, 0.5, 4, 2, 1.5], "x.json")[0], 9)  # Euler rx = 0.1
0.1
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath
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
    attribute_text,
    check_labels,
    head_of,
    read_json,
    safe_name,
    typed_attribute,
)
from annotator.formats.clouds import (
    cuboid_from,
    cuboid_or_skip,
    json_number,
    normal_angle,
    resolve_stem,
)
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Cuboid

__all__ = ["FOLDER", "FORMAT", "MAX_TILT", "SCHEMA_VERSION", "detect", "read", "write"]

FOLDER = "openlabel"
SCHEMA_VERSION = "1.0.0"
LIDAR = "lidar"
#: A cuboid leaning more than this (radians, about 0.06 degrees: 2.5 mm at the
#: end of a 5 m box) is not a yaw-only box and is not imported.
MAX_TILT = 1e-3
_SNIFF = re.compile(rb'^\{\s*"openlabel"\s*:')
_IDENTITY = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]


# -- write -----------------------------------------------------------------------------------


def _quaternion(yaw: float) -> list[float]:
    return [0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)]


def _attribute_data(values: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(values):
        value = values[name]
        if value is None:
            continue
        if isinstance(value, bool):
            kind = "boolean"
        elif isinstance(value, int | float):
            kind = "num"
        else:
            kind, value = "text", attribute_text(value)
        data.setdefault(kind, []).append({"name": str(name), "val": value})
    return data


def _object(annotation: Annotation, cuboid: Cuboid) -> dict[str, Any]:
    center = cuboid.center[0].tolist()
    size = cuboid.size[0].tolist()
    shape = {"name": "shape", "val": [*center, *_quaternion(cuboid.yaw), *size],
             "coordinate_system": LIDAR}
    name = annotation.label if annotation.id is None else f"{annotation.label} {annotation.id}"
    return {"name": name, "type": annotation.label,
            "object_data": {"cuboid": [shape], **_attribute_data(annotation.attributes)}}


def _coordinate_systems(item: Item) -> dict[str, Any]:
    lidar: dict[str, Any] = {"type": "sensor_cs", "parent": "", "children": [],
                             "description": "the point-cloud tile's own coordinates"}
    systems: dict[str, Any] = {}
    if item.crs:
        systems["geo"] = {"type": "geo", "parent": "", "children": [LIDAR], "crs": item.crs}
        lidar["parent"] = "geo"
        lidar["pose_wrt_parent"] = {"matrix4x4": list(_IDENTITY)}
    systems[LIDAR] = lidar
    if item.origin is not None:
        lidar["children"].append("tile")
        systems["tile"] = {
            "type": "local_cs", "parent": LIDAR, "children": [],
            "description": "the frame the tile's float32 points are stored in",
            "pose_wrt_parent": {"quaternion": [0.0, 0.0, 0.0, 1.0],
                                "translation": [float(v) for v in item.origin]}}
    return systems


def _document(export_item: ExportItem, report: Report) -> dict[str, Any]:
    objects: dict[str, Any] = {}
    for annotation in export_item.annotations:
        cuboid = cuboid_or_skip(export_item, annotation, report, "OpenLABEL")
        if cuboid is None:
            continue
        objects[str(len(objects))] = _object(annotation, cuboid)
        report.wrote(annotation)
    body: dict[str, Any] = {
        "metadata": {"schema_version": SCHEMA_VERSION, "name": export_item.file_name,
                     "comment": f"3D boxes written by Annotator {__version__}"},
        "streams": {LIDAR: {"type": "lidar", "uri": export_item.file_name,
                            "description": "point-cloud tile"}},
        "coordinate_systems": _coordinate_systems(export_item.item),
    }
    if objects:
        body["objects"] = objects
    return {"openlabel": body}


def write(view: ProjectView, out: Path) -> Report:
    """Write ``openlabel/<name>.json`` for every tile."""
    report = Report(FORMAT.id)
    owners: dict[str, str] = {}
    (out / FOLDER).mkdir(parents=True, exist_ok=True)
    for export_item in view.items():
        name = safe_name(export_item.file_name, "openlabel export")
        relative = f"{FOLDER}/{PurePosixPath(name).with_suffix('')}.json"
        if relative in owners:
            raise FormatError(f"openlabel export: {owners[relative]!r} and {name!r} would both "
                              f"be written to {relative}; rename one of the tiles")
        owners[relative] = name
        document = _document(export_item, report)
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            text = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1)
        except (TypeError, ValueError) as exc:
            raise FormatError(f"openlabel export: {name}: attributes are not plain JSON values "
                              f"({exc})") from None
        target.write_text(text + "\n", encoding="utf-8")
        report.files.append(relative)
        report.images += 1
    return report


# -- read ------------------------------------------------------------------------------------


@dataclass
class _Notes:
    tilted: list[str] = field(default_factory=list)
    levelled: int = 0
    elsewhere: Counter[str] = field(default_factory=Counter)
    without_cuboid: int = 0
    empty: int = 0


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _numbers(value: Any, where: str) -> list[float]:
    values = _list(value, where)
    if len(values) not in (9, 10):
        raise FormatError(f"{where}: {len(values)} numbers; a cuboid has 9 (Euler) or 10 "
                          "(quaternion)")
    return [json_number(v, where) for v in values]


def _tilt_and_yaw(numbers: list[float], where: str) -> tuple[float, float]:
    """How far the box's z axis leans from +z, and its heading about +z."""
    if len(numbers) == 10:
        qx, qy, qz, qw = numbers[3:7]
        norm = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw)
        if norm < 1e-9:
            raise FormatError(f"{where}: the quaternion is zero")
        qx, qy, qz, qw = qx / norm, qy / norm, qz / norm, qw / norm
        tilt = 2 * math.asin(min(1.0, math.hypot(qx, qy)))
        # The heading: the box's own x axis, R e_x, seen from above.
        x = 1 - 2 * (qy * qy + qz * qz)
        y = 2 * (qx * qy + qz * qw)
        return tilt, math.atan2(y, x) if (qx, qy) != (0.0, 0.0) else 2 * math.atan2(qz, qw)
    rx, ry, rz = numbers[3:6]
    if rx == 0 and ry == 0:
        return 0.0, rz
    tilt = math.acos(max(-1.0, min(1.0, math.cos(rx) * math.cos(ry))))
    return tilt, math.atan2(math.sin(rz) * math.cos(ry), math.cos(rz) * math.cos(ry))


def _cuboid(data: Any, where: str, lidar: str | None, notes: _Notes) -> Cuboid | None:
    cuboid = _mapping(data, where)
    system = cuboid.get("coordinate_system")
    if system is not None and system != lidar:
        notes.elsewhere[str(system)] += 1
        return None
    if cuboid.get("val") is None:
        notes.empty += 1
        return None
    numbers = _numbers(cuboid["val"], f"{where}: val")
    tilt, yaw = _tilt_and_yaw(numbers, where)
    if tilt > MAX_TILT:
        notes.tilted.append(f"{where} (leans {math.degrees(tilt):.2f} degrees)")
        return None
    if tilt > 1e-9:
        notes.levelled += 1
    size = numbers[7:10] if len(numbers) == 10 else numbers[6:9]
    return cuboid_from(numbers[:3], size, normal_angle(yaw), where)


_VALUE_TYPES: dict[str, tuple[type, ...]] = {"text": (str,), "num": (int, float),
                                             "boolean": (bool,)}


def _usable(value: int | float) -> bool:
    """A number an attribute may hold: finite, below 1e15 (10**400 and 1e400 are refused)."""
    if isinstance(value, int):
        return abs(value) < 10**15
    return math.isfinite(value) and abs(value) < 1e15


def _attributes(data: dict[str, Any], label: str, schema: LabelSchema,
                where: str) -> dict[str, Any]:
    label_class = schema.get(label) if label in schema else None
    values: dict[str, Any] = {}
    for kind, types in _VALUE_TYPES.items():
        for index, entry in enumerate(_list(data.get(kind, []), f"{where}: {kind}")):
            place = f"{where}: {kind}[{index}]"
            entry = _mapping(entry, place)
            name, value = entry.get("name"), entry.get("val")
            if not isinstance(name, str) or not name:
                raise FormatError(f"{place}: 'name' must be a non-empty string")
            if not isinstance(value, types) or (kind == "num" and isinstance(value, bool)):
                raise FormatError(f"{place}: 'val' {value!r} is not {kind}")
            if isinstance(value, int | float) and not _usable(value):
                raise FormatError(f"{place}: 'val' {value!r} is not a usable number")
            spec = label_class.attribute(name) if label_class else None
            values[name] = typed_attribute(spec, value, place)
    return values


def _object_data(body: dict[str, Any], where: str) -> dict[str, list[tuple[str, Any]]]:
    """Object data by object uid: the static one, then that of a single frame."""
    found: dict[str, list[tuple[str, Any]]] = {}
    objects = _mapping(body.get("objects", {}), f"{where}: objects")
    for uid, element in objects.items():
        data = _mapping(element, f"{where}: objects[{uid}]").get("object_data")
        found.setdefault(uid, [])
        if data is not None:
            found[uid].append((f"{where}: objects[{uid}]", data))
    frames = _mapping(body.get("frames", {}), f"{where}: frames")
    with_objects = [key for key, frame in frames.items()
                    if _mapping(frame, f"{where}: frames[{key}]").get("objects")]
    if len(with_objects) > 1:
        raise FormatError(f"{where}: {len(with_objects)} frames hold objects; this reader "
                          "takes one point cloud per file (static objects or one frame)")
    for key in with_objects:
        place = f"{where}: frames[{key}]: objects"
        for uid, element in _mapping(frames[key]["objects"], place).items():
            data = _mapping(element, f"{place}[{uid}]").get("object_data")
            if data is not None:
                found.setdefault(uid, []).append((f"{place}[{uid}]", data))
    return found


def _types(objects: Mapping[str, Any], where: str) -> dict[str, str]:
    types: dict[str, str] = {}
    for uid, element in objects.items():
        kind = element.get("type") if isinstance(element, dict) else None
        if not isinstance(kind, str) or not kind:
            raise FormatError(f"{where}: objects[{uid}]: 'type' (the class) must be a "
                              "non-empty string")
        types[uid] = kind
    return types


def _stream(body: dict[str, Any], file: Path, context: ImportContext) -> tuple[str, str | None]:
    """The tile's name (the lidar stream's uri, else the file's stem) and the LiDAR frame."""
    where = str(file)
    streams = _mapping(body.get("streams", {}), f"{where}: streams")
    lidar = [(key, _mapping(value, f"{where}: streams[{key}]"))
             for key, value in streams.items()
             if isinstance(value, dict) and value.get("type") == "lidar"]
    if len(lidar) > 1:
        raise FormatError(f"{where}: {len(lidar)} lidar streams; which tile the cuboids are on "
                          "is not clear")
    if lidar and "uri" in lidar[0][1]:
        key, stream = lidar[0]
        return safe_name(stream["uri"], f"{where}: streams[{key}].uri"), key
    name, _ = resolve_stem(context, safe_name(file.stem, where), where)
    return name, lidar[0][0] if lidar else None


def _read_file(file: Path, context: ImportContext, result: ImportResult, notes: _Notes,
               in_folder: bool) -> None:
    where = str(file)
    document = read_json(file)
    if not isinstance(document, dict) or not isinstance(document.get("openlabel"), dict):
        message = f"{where}: not an OpenLABEL file (no 'openlabel' object at the top)"
        if not in_folder:
            raise FormatError(message)
        result.problems.append(f"{message}; left out")
        return
    body = document["openlabel"]
    version = _mapping(body.get("metadata"), f"{where}: metadata").get("schema_version")
    if not isinstance(version, str) or not version.startswith("1."):
        raise FormatError(f"{where}: metadata.schema_version {version!r}; OpenLABEL 1.x "
                          f"({SCHEMA_VERSION}) is read")
    name, lidar = _stream(body, file, context)
    image = ImportedImage(name)
    types = _types(_mapping(body.get("objects", {}), f"{where}: objects"), where)
    for uid, entries in _object_data(body, where).items():
        if uid not in types:
            raise FormatError(f"{where}: frame object {uid!r} is not among the objects")
        label, shapes, attributes = types[uid], [], {}
        for place, raw in entries:
            data = _mapping(raw, f"{place}: object_data")
            attributes.update(_attributes(data, label, context.schema, f"{place}: object_data"))
            for index, cuboid in enumerate(_list(data.get("cuboid", []), f"{place}: cuboid")):
                made = _cuboid(cuboid, f"{place}: cuboid[{index}]", lidar, notes)
                if made is not None:
                    shapes.append(made)
        if not any("cuboid" in _mapping(raw, place) for place, raw in entries):
            notes.without_cuboid += 1
        image.shapes.extend(ImportedShape(label, shape, attributes) for shape in shapes)
    result.images.append(image)


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FormatError(f"{path}: no such file or folder")
    named = (path / FOLDER).is_dir()
    folder = path / FOLDER if named else path
    found = sorted(folder.rglob("*.json"))
    if not found and not named:
        raise FormatError(f"{path}: no {FOLDER} folder and no .json files; not an OpenLABEL "
                          "folder")
    return found


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read one OpenLABEL file, or every one under a folder (``openlabel/`` first)."""
    result = ImportResult(FORMAT.id)
    notes = _Notes()
    for file in _files(path):
        _read_file(file, context, result, notes, in_folder=path.is_dir())
    if notes.tilted:
        shown = "; ".join(notes.tilted[:5]) + (f"; and {len(notes.tilted) - 5} more"
                                               if len(notes.tilted) > 5 else "")
        result.problems.append(f"{len(notes.tilted)} cuboid(s) are rolled or pitched and were "
                               f"not imported (we store yaw only): {shown}")
    if notes.levelled:
        result.problems.append(f"{notes.levelled} cuboid(s) leaned less than {MAX_TILT} rad "
                               "and were levelled (yaw kept)")
    for system, count in sorted(notes.elsewhere.items()):
        result.problems.append(f"{count} cuboid(s) in coordinate system {system!r}, not the "
                               "tile's LiDAR frame, were not imported")
    if notes.empty:
        result.problems.append(f"{notes.empty} cuboid(s) without a value (val null) skipped")
    if notes.without_cuboid:
        result.problems.append(f"{notes.without_cuboid} object(s) without a cuboid skipped")
    check_labels(result, context.schema, path)
    return result


# -- detect ----------------------------------------------------------------------------------


def _sniff(path: Path) -> bool:
    head = head_of(path, 4096)
    return head is not None and _SNIFF.match(head) is not None


def detect(path: Path) -> bool:
    """An OpenLABEL JSON file, or a folder whose ``openlabel/`` (or itself) holds some."""
    if path.is_file():
        return path.suffix.lower() == ".json" and _sniff(path)
    if not path.is_dir():
        return False
    folder = path / FOLDER if (path / FOLDER).is_dir() else path
    return any(_sniff(f) for f in islice(sorted(folder.rglob("*.json")), 5))


FORMAT = FormatSpec(
    id="openlabel",
    title="ASAM OpenLABEL 1.0.0 (JSON per tile, cuboids)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"cuboid"}),
    extensions=(".json",),
    media="pointcloud",
)
