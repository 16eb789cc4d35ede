"""Ultralytics YOLO: ``data.yaml`` and one ``labels/<image>.txt`` per image.

Two formats share this module:

- ``yolo`` (detect or segment): a box is ``c cx cy w h``, a polygon
  ``c x1 y1 x2 y2 ...``.  Ultralytics drops every polygon of a dataset
  whose box and polygon counts differ, so when an export holds any polygon
  (``task: segment``) its boxes are written as 4-corner polygons;
- ``yolo_obb``: a rotated box is ``c x1 y1 x2 y2 x3 y3 x4 y4``; an
  axis-aligned box is written as an oriented box of angle 0, because
  leaving it out would teach a model that the object is background.

Class index = place in the schema; ``data.yaml`` lists every class.
Coordinates are divided by the image size (after EXIF rotation) and written
with 10 decimals: 4e-6 px on a 40,000 px image.  Images without shapes get
an empty label file, so they count as background images.

>>> number(0.5), number(1 / 3), number(0.0)
('0.5', '0.3333333333', '0')
>>> label_path("media/sub/a.jpg")
'labels/media/sub/a.txt'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import yaml

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
    check_input_size,
    finite,
    safe_name,
)
from annotator.model import Annotation, Item
from annotator.shapes import Box, Geometry, Polygon, RotatedBox

__all__ = ["DATA", "FORMAT", "FORMAT_OBB", "IMAGE_EXTENSIONS", "label_path", "number"]

DATA = "data.yaml"
LABELS = "labels"
IMAGES = "images"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
#: Normalised values this far outside [0, 1] are refused on import (rounding by other tools).
EPSILON = 1e-4
MAX_DATA_BYTES = 1 << 20

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def number(value: float) -> str:
    """A normalised coordinate: 10 decimals, trailing zeros dropped."""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def label_path(file_name: str) -> str:
    """The label file of an image: its name under ``labels/`` with ``.txt``."""
    name = PurePosixPath(safe_name(file_name, "yolo export"))
    return (PurePosixPath(LABELS) / name.with_suffix(".txt")).as_posix()


# -- writing ---------------------------------------------------------------------------------


def _normalised(export_item: ExportItem, points: FloatArray) -> tuple[FloatArray, bool]:
    """Points divided by the image size and clamped to it; True when a point was moved."""
    scaled = points / np.array([export_item.width, export_item.height], dtype=np.float64)
    clamped = np.clip(scaled, 0.0, 1.0)
    return clamped, bool((clamped != scaled).any())


def _line(index: int, values: Iterable[float]) -> str:
    return " ".join([str(index), *(number(v) for v in values)])


@dataclass(frozen=True)
class _Writer:
    """What differs between yolo and yolo_obb when writing a shape."""

    obb: bool
    segment: bool

    def line(self, export_item: ExportItem, annotation: Annotation, index: int,
             report: Report) -> str | None:
        geometry = annotation.geometry
        notes: list[str] = []
        if isinstance(geometry, Box):
            if self.obb:
                notes.append("box written as an oriented box with angle 0")
                return self._corners(export_item, annotation, index, geometry, notes, report)
            if self.segment:
                notes.append("box written as a 4-corner polygon: a YOLO segmentation dataset "
                              "needs every object as a polygon")
                return self._corners(export_item, annotation, index, geometry, notes, report)
            return self._box(export_item, annotation, index, geometry, report)
        if isinstance(geometry, RotatedBox) and self.obb:
            return self._corners(export_item, annotation, index, geometry, notes, report)
        if isinstance(geometry, Polygon) and not self.obb:
            if geometry.holes:
                report.skip(export_item, annotation, "YOLO polygons cannot hold holes")
                return None
            return self._corners(export_item, annotation, index, geometry, notes, report)
        report.skip(export_item, annotation, self._reason(annotation.kind))
        return None

    def _reason(self, kind: str) -> str:
        if kind == "rotated_box":
            return "use yolo_obb for rotated boxes"
        if kind == "polygon":
            return "an oriented-box dataset holds boxes; use yolo for polygons"
        if kind in ("polyline", "point"):
            return f"YOLO {'oriented boxes' if self.obb else 'labels'} hold areas; a {kind} " \
                   "has none"
        return "YOLO labels are 2D image annotations"

    def _box(self, export_item: ExportItem, annotation: Annotation, index: int, box: Box,
             report: Report) -> str | None:
        scaled, moved = _normalised(export_item, box.corners)
        (x0, y0), (x1, y1) = scaled.tolist()
        if x1 <= x0 or y1 <= y0:
            report.skip(export_item, annotation, "the box lies outside the image")
            return None
        if moved:
            report.convert(export_item, annotation, "clipped to the image")
        report.wrote(annotation)
        return _line(index, ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0))

    def _corners(self, export_item: ExportItem, annotation: Annotation, index: int,
                 geometry: Geometry, notes: list[str], report: Report) -> str:
        if isinstance(geometry, Box):
            (x0, y0), (x1, y1) = geometry.corners.tolist()
            points = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        else:
            points = geometry.vertices
        scaled, moved = _normalised(export_item, points)
        if moved:
            notes.append("points outside the image moved onto its edge")
        if notes:
            report.convert(export_item, annotation, "; ".join(notes))
        report.wrote(annotation)
        return _line(index, scaled.ravel().tolist())


def _has_polygons(view: ProjectView) -> bool:
    return any(isinstance(a.geometry, Polygon) and not a.geometry.holes
               for export_item in view.items() if export_item.width and export_item.height
               for a in export_item.annotations)


def _data_yaml(view: ProjectView, task: str) -> str:
    names = list(view.schema.names)
    body = yaml.safe_dump({"path": ".", "train": IMAGES, "val": IMAGES, "task": task,
                           "nc": len(names), "names": dict(enumerate(names))},
                          sort_keys=False, allow_unicode=True)
    return ("# Ultralytics YOLO dataset written by Annotator: class index = place in the "
            "schema.\n" + body)


def _write(view: ProjectView, out: Path, obb: bool) -> Report:
    segment = not obb and _has_polygons(view)
    task = "obb" if obb else "segment" if segment else "detect"
    writer = _Writer(obb, segment)
    report = Report(FORMAT_OBB.id if obb else FORMAT.id)
    indexes = {name: index for index, name in enumerate(view.schema.names)}
    (out / DATA).write_text(_data_yaml(view, task), encoding="utf-8")
    report.files.append(DATA)
    folders: set[Path] = set()
    owners: dict[str, str] = {}
    for export_item in view.items():
        relative = label_path(export_item.file_name)
        if relative in owners:
            raise FormatError(f"{owners[relative]} and {export_item.file_name} would both be "
                              f"labelled by {relative}; rename one of them")
        owners[relative] = export_item.file_name
        lines = []
        for annotation in export_item.annotations:
            if annotation.label not in indexes:
                raise FormatError(f"{export_item.file_name}: annotation {annotation.id}: "
                                  f"class {annotation.label!r} is not in the schema")
            if not (export_item.width and export_item.height):
                report.skip(export_item, annotation, "YOLO coordinates are divided by the "
                            "image size, and the item has none")
                continue
            line = writer.line(export_item, annotation, indexes[annotation.label], report)
            if line is not None:
                lines.append(line)
        target = out / relative
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        with target.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write("".join(f"{line}\n" for line in lines))
        report.files.append(relative)
        report.images += 1
    (out / LABELS).mkdir(exist_ok=True)
    return report


def write(view: ProjectView, out: Path) -> Report:
    """Write a detection or segmentation dataset (segment when it holds any polygon)."""
    return _write(view, out, obb=False)


def write_obb(view: ProjectView, out: Path) -> Report:
    """Write an oriented-box dataset."""
    return _write(view, out, obb=True)


# -- reading ---------------------------------------------------------------------------------


class _NoAliases(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases: no "billion laughs" in a data.yaml."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            raise FormatError(f"line {line}: YAML aliases are not allowed")
        return super().compose_node(parent, index)


def _data_file(root: Path) -> Path:
    for name in (DATA, "data.yml"):
        if (root / name).is_file():
            return root / name
    found = sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
    if len(found) == 1:
        return found[0]
    raise FormatError(f"{root}: no data.yaml here")


def _load_data(path: Path) -> dict[Any, Any]:
    size = check_input_size(path)
    if size > MAX_DATA_BYTES:
        raise FormatError(f"{path}: {size:,} bytes is too large for a data.yaml")
    try:
        data = yaml.load(path.read_bytes().decode("utf-8-sig"), Loader=_NoAliases)  # noqa: S506
    except FormatError as exc:
        raise FormatError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise FormatError(f"{path}: nested too deeply to be a data.yaml") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise FormatError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise FormatError(f"{path}: not a YOLO data.yaml (needs 'names')")
    return data


def _names(data: dict[Any, Any], where: Path) -> dict[int, str]:
    raw = data.get("names")
    pairs = enumerate(raw) if isinstance(raw, list) else raw.items() \
        if isinstance(raw, dict) else None
    if pairs is None:
        raise FormatError(f"{where}: 'names' must be a list or a mapping of class indexes")
    names: dict[int, str] = {}
    for index, name in pairs:
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise FormatError(f"{where}: names: {index!r:.40} is not a class index")
        if not isinstance(name, str) or not name:
            raise FormatError(f"{where}: names: class {index} has no name")
        names[index] = name
    return names


def _images_on_disk(folder: Path) -> dict[str, str | None]:
    """Image names under ``images/`` by name without extension (None when two share it)."""
    found: dict[str, str | None] = {}
    if not folder.is_dir():
        return found
    for path in folder.rglob("*"):
        if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file():
            name = path.relative_to(folder).as_posix()
            stem = name[: -len(path.suffix)]
            found[stem] = None if stem in found else name
    return found


def _image_name(stem: str, on_disk: dict[str, str | None],
                lookup: Callable[[str], Item | None], where: Path) -> tuple[str, Item]:
    """The image a label file is for: beside it under images/, else the project's item."""
    if stem in on_disk:
        name = on_disk[stem]
        if name is None:
            raise FormatError(f"{where}: several images under images/ are named {stem}.*")
        item = lookup(name)
        if item is None:
            raise FormatError(f"{where}: image {name} is not in the project")
        return name, item
    matches: dict[str, tuple[str, Item]] = {}
    for extension in IMAGE_EXTENSIONS:
        for candidate in (stem + extension, stem + extension.upper()):
            item = lookup(candidate)
            if item is not None:
                exact = item.path == candidate or item.path.endswith("/" + candidate)
                if exact or item.path not in matches:
                    matches[item.path] = (candidate, item)
    if not matches:
        tried = ", ".join(IMAGE_EXTENSIONS)
        raise FormatError(f"{where}: no image {stem}.* in the project (tried {tried})")
    if len(matches) > 1:
        raise FormatError(f"{where}: several project images match {stem}.*: "
                          f"{', '.join(sorted(matches))}")
    return next(iter(matches.values()))


def _class_index(token: str, where: str) -> int:
    try:
        value = float(token)
    except ValueError:
        raise FormatError(f"{where}: class {token!r} is not a class index") from None
    if not value.is_integer() or value < 0:
        raise FormatError(f"{where}: class {token!r} is not a class index")
    return int(value)


@dataclass
class _Reader:
    obb: bool
    names: dict[int, str]
    schema_names: frozenset[str]

    def __post_init__(self) -> None:
        self.unknown: dict[str, int] = {}
        self.used: set[int] = set()

    def shapes(self, path: Path, item: Item) -> list[ImportedShape]:
        check_input_size(path)
        if not item.width or not item.height:
            raise FormatError(f"{path}: the project has no size for {item.path}; YOLO "
                              "coordinates are relative to it")
        size = np.array([item.width, item.height], dtype=np.float64)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{path}: not UTF-8 text (byte {exc.start})") from None
        shapes = []
        for number_, line in enumerate(text.splitlines(), 1):
            tokens = line.split()
            if tokens:
                shape = self._shape(tokens, size, f"{path}:{number_}")
                if shape is not None:
                    shapes.append(shape)
        return shapes

    def _shape(self, tokens: list[str], size: FloatArray, where: str) -> ImportedShape | None:
        index = _class_index(tokens[0], where)
        if index not in self.names:
            raise FormatError(f"{where}: class {index} is not in the names of data.yaml")
        values = np.array([finite(t, where) for t in tokens[1:]], dtype=np.float64)
        if values.size and (values.min() < -EPSILON or values.max() > 1 + EPSILON):
            raise FormatError(f"{where}: coordinates must be between 0 and 1 (divided by the "
                              "image size)")
        try:
            geometry = self._geometry(values, size, where)
        except GeometryError as exc:
            raise FormatError(f"{where}: {exc}") from None
        self.used.add(index)
        name = self.names[index]
        if name not in self.schema_names:
            self.unknown[name] = self.unknown.get(name, 0) + 1
            return None
        return ImportedShape(name, geometry)

    def _geometry(self, values: FloatArray, size: FloatArray, where: str) -> Geometry:
        count = len(values) + 1
        if self.obb:
            if len(values) != 8:
                raise FormatError(f"{where}: {count} values; an oriented box is "
                                  "'class x1 y1 x2 y2 x3 y3 x4 y4'")
            return RotatedBox(0, 0, 0, 0, 0).with_vertices(values.reshape(4, 2) * size)
        if len(values) == 4:
            cx, cy, w, h = values.tolist()
            if w < 0 or h < 0:
                raise FormatError(f"{where}: a box with a negative width or height")
            (x0, y0), (x1, y1) = (np.array([[cx - w / 2, cy - h / 2], [cx + w / 2, cy + h / 2]])
                                  * size).tolist()
            return Box.from_corners(x0, y0, x1, y1)
        if len(values) >= 6 and len(values) % 2 == 0:
            return Polygon(values.reshape(-1, 2) * size)
        raise FormatError(f"{where}: {count} values; a box is 'class cx cy w h', a polygon "
                          "'class x1 y1 x2 y2 x3 y3 ...'")

    def problems(self, where: Path) -> list[str]:
        if self.unknown:
            listed = ", ".join(f"{n!r} ({c})" for n, c in sorted(self.unknown.items()))
            raise FormatError(f"{where}: classes not in the project's schema: {listed}; add "
                              "them to the schema or remove them; nothing was imported")
        unused = sorted({self.names[i] for i in self.names if i not in self.used}
                        - self.schema_names)
        if unused:
            return [f"{where}: classes without shapes and not in the schema ignored: "
                    f"{', '.join(unused)}"]
        return []


def _task(data: dict[Any, Any]) -> str | None:
    task = data.get("task")
    return task if isinstance(task, str) else None


def _read(path: Path, context: ImportContext, obb: bool) -> ImportResult:
    root = path.parent if path.is_file() else path
    if not root.is_dir():
        raise FormatError(f"{path}: no such file or folder")
    data_path = path if path.is_file() else _data_file(root)
    data = _load_data(data_path)
    task = _task(data)
    result = ImportResult(FORMAT_OBB.id if obb else FORMAT.id)
    if obb and task not in (None, "obb"):
        raise FormatError(f"{data_path}: task is {task!r}, not an oriented-box dataset; "
                          "import it as yolo")
    if not obb and task == "obb":
        result.problems.append(f"{data_path}: task is 'obb'; its 9-value lines were read as "
                               "4-point polygons (import it as yolo_obb for rotated boxes)")
    labels = root / LABELS
    if not labels.is_dir():
        raise FormatError(f"{root}: no labels/ folder")
    reader = _Reader(obb, _names(data, data_path), frozenset(context.schema.names))
    on_disk = _images_on_disk(root / IMAGES)
    for label_file in sorted(labels.rglob("*.txt")):
        stem = label_file.relative_to(labels).with_suffix("").as_posix()
        name, item = _image_name(stem, on_disk, context.lookup, label_file)
        result.images.append(ImportedImage(name, shapes=reader.shapes(label_file, item)))
    result.problems.extend(reader.problems(data_path))
    return result


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a detection or segmentation dataset (a folder, or its data.yaml)."""
    return _read(path, context, obb=False)


def read_obb(path: Path, context: ImportContext) -> ImportResult:
    """Read an oriented-box dataset (a folder, or its data.yaml)."""
    return _read(path, context, obb=True)


def _detect(path: Path, obb: bool) -> bool:
    try:
        root = path.parent if path.is_file() else path
        if not (root / LABELS).is_dir():
            return False
        data_path = path if path.is_file() else _data_file(root)
        data = _load_data(data_path)
        if "names" not in data:
            return False
    except (FormatError, OSError):
        return False
    task = _task(data)
    return task == "obb" if obb else task in (None, "detect", "segment")


def detect(path: Path) -> bool:
    """A folder with a data.yaml (task detect, segment or none) and labels/."""
    return _detect(path, obb=False)


def detect_obb(path: Path) -> bool:
    """A folder with a data.yaml of task obb and labels/."""
    return _detect(path, obb=True)


FORMAT = FormatSpec(
    id="yolo",
    title="Ultralytics YOLO detection / segmentation",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"box", "polygon"}),
    extensions=(".txt", ".yaml"),
)

FORMAT_OBB = FormatSpec(
    id="yolo_obb",
    title="Ultralytics YOLO oriented boxes",
    read=read_obb,
    write=write_obb,
    detect=detect_obb,
    kinds=frozenset({"box", "rotated_box"}),
    extensions=(".txt", ".yaml"),
)
