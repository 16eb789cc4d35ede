"""COCO instances: one ``annotations.json`` with images, categories and annotations.

Boxes, rotated boxes and polygons are written; polylines and points have no
area and are skipped.  What pycocotools reads is standard COCO: a float
``bbox``, a polygon ``segmentation`` (the 4 corners for boxes and rotated
boxes), ``area`` from the geometry, ``iscrowd: 0``.  A polygon with holes
goes out as a compressed RLE mask.  Boxes, rotated boxes and polygons with
holes also carry ``annotator_geometry`` (the exact shape, ignored by other
tools), so they come back exactly when their ``bbox`` still agrees with it.

>>> import tempfile
>>> from annotator.model import Annotation, Item, LabelClass, LabelSchema
>>> from annotator.shapes import Box
>>> schema = LabelSchema("s", (LabelClass("car", "#e69f00", ("box",)),))
>>> item = Item(1, "a.jpg", "image", "jpeg", "", 0, width=64, height=48)
>>> box = Annotation(1, 1, "car", Box.from_corners(1.5, 2, 10, 20))
>>> view = ProjectView.from_items(schema, [ExportItem(item, "a.jpg", (box,))])
>>> out = Path(tempfile.mkdtemp())
>>> write(view, out).files
['annotations.json']
>>> json.loads((out / "annotations.json").read_text())["annotations"][0]["bbox"]
[1.5, 2.0, 8.5, 18.0]
>>> read(out, ImportContext(schema)).images[0].shapes[0].geometry == box.geometry
True
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterable
from functools import partial
from operator import mul
from pathlib import Path
from typing import IO, Any, TypeGuard

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
    attributes_json,
    finite,
    head_of,
    read_json,
    safe_name,
    shape_or_error,
)
from annotator.formats.masks import polygon_rle, rle_counts, rle_polygons
from annotator.model import Annotation
from annotator.shapes import Box, Geometry, Polygon, RotatedBox, geometry_from_json

__all__ = ["FILE", "FORMAT", "MARKER", "detect", "read", "write"]

FILE = "annotations.json"
#: Extra key on an annotation with the exact shape; pycocotools ignores it.
MARKER = "annotator_geometry"
HOLES_AS_MASK = "polygon with holes written as an RLE mask"
_SKIP = {
    "polyline": "COCO instances hold areas; a polyline has none",
    "point": "COCO instances hold areas; a point has none (COCO keypoints need a skeleton)",
}
_SNIFF_BYTES = 64 * 1024
_SNIFF = re.compile(rb'"(images|annotations)"\s*:\s*\[')
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False,
                           separators=(",", ":")).encode


# -- writing ---------------------------------------------------------------------------------


def _flat_bounds(flat: list[float]) -> list[float]:
    xs, ys = flat[0::2], flat[1::2]
    x, y = min(xs), min(ys)
    return [x, y, max(xs) - x, max(ys) - y]


def _ring_area(flat: list[float]) -> float:
    """Shoelace area of a flat ring ``[x1, y1, x2, y2, ...]``.

    >>> _ring_area([0.0, 0.0, 4.0, 0.0, 4.0, 3.0])
    6.0
    """
    xs, ys = flat[0::2], flat[1::2]
    twice = sum(map(mul, xs, ys[1:] + ys[:1])) - sum(map(mul, ys, xs[1:] + xs[:1]))
    return abs(float(twice)) / 2


def _shape(export_item: ExportItem, annotation: Annotation,
           report: Report) -> tuple[Any, list[float], float, dict[str, Any] | None] | None:
    """``segmentation, bbox, area, marker`` of a shape, or None when COCO cannot hold it."""
    geometry = annotation.geometry
    if isinstance(geometry, Box):
        (x0, y0), (x1, y1) = geometry.corners.tolist()
        ring = [x0, y0, x1, y0, x1, y1, x0, y1]
        return [ring], [x0, y0, x1 - x0, y1 - y0], geometry.width * geometry.height, \
            geometry.to_json()
    if isinstance(geometry, RotatedBox):
        ring = geometry.vertices.ravel().tolist()
        return [ring], _flat_bounds(ring), geometry.width * geometry.height, geometry.to_json()
    if isinstance(geometry, Polygon):
        shell = geometry.shell.ravel().tolist()
        if not geometry.holes:
            return [shell], _flat_bounds(shell), _ring_area(shell), None
        if export_item.width <= 0 or export_item.height <= 0:
            report.skip(export_item, annotation, "a polygon with holes is written as a mask, "
                        "which needs the image size, and the item has none")
            return None
        mask = polygon_rle(geometry.shell, geometry.holes, export_item.height, export_item.width)
        area = _ring_area(shell) - sum(_ring_area(h.ravel().tolist()) for h in geometry.holes)
        report.convert(export_item, annotation, HOLES_AS_MASK)
        return mask, _flat_bounds(shell), area, geometry.to_json()
    report.skip(export_item, annotation,
                _SKIP.get(annotation.kind, "COCO instances are 2D image annotations"))
    return None


def _entry(export_item: ExportItem, annotation: Annotation, ids: tuple[int, int, int],
           report: Report) -> str | None:
    shape = _shape(export_item, annotation, report)
    if shape is None:
        return None
    segmentation, bbox, area, marker = shape
    annotation_id, image_id, category_id = ids
    entry: dict[str, Any] = {
        "id": annotation_id, "image_id": image_id, "category_id": category_id,
        "segmentation": segmentation, "area": area, "bbox": bbox, "iscrowd": 0,
        "attributes": attributes_json(annotation.attributes),
    }
    if marker is not None:
        entry[MARKER] = marker
    try:
        text = _ENCODE(entry)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{export_item.file_name}: annotation {annotation.id}: attributes "
                          f"are not plain JSON values ({exc})") from None
    report.wrote(annotation)
    return text


def _head(view: ProjectView) -> str:
    categories = ",\n".join(
        _ENCODE({"id": view.category_id(name), "name": name, "supercategory": ""})
        for name in view.schema.names)
    info = _ENCODE({"description": view.schema.name, "contributor": "annotator"})
    return f'{{"info":{info},\n"licenses":[],\n"categories":[\n{categories}\n],\n"images":['


def _category_ids(view: ProjectView) -> dict[str, int]:
    return {name: view.category_id(name) for name in view.schema.names}


def _flush(chunk: list[str], handle: IO[bytes], first: bool) -> None:
    if chunk:
        handle.write((("\n" if first else ",\n") + ",\n".join(chunk)).encode("utf-8"))
        chunk.clear()


def write(view: ProjectView, out: Path) -> Report:
    """Write ``annotations.json`` in one pass over the view, one element per line.

    Images go straight to the file; annotations go to an anonymous temporary
    file beside it and are appended after the images, so memory stays flat
    whatever the number of shapes.
    """
    report = Report(FORMAT.id)
    categories = _category_ids(view)
    next_id = 1
    with (out / FILE).open("wb") as main, tempfile.TemporaryFile(dir=out) as tail:
        main.write(_head(view).encode("utf-8"))
        chunk: list[str] = []
        first = True
        for image_id, export_item in enumerate(view.items(), 1):
            image = {"id": image_id, "file_name": export_item.file_name,
                     "width": export_item.width, "height": export_item.height}
            main.write((("\n" if image_id == 1 else ",\n") + _ENCODE(image)).encode("utf-8"))
            for annotation in export_item.annotations:
                category = categories.get(annotation.label)
                if category is None:
                    raise FormatError(f"{export_item.file_name}: annotation {annotation.id}: "
                                      f"class {annotation.label!r} is not in the schema")
                text = _entry(export_item, annotation, (next_id, image_id, category), report)
                if text is not None:
                    chunk.append(text)
                    next_id += 1
            if len(chunk) >= 2048:
                _flush(chunk, tail, first)
                first = False
            report.images += 1
        _flush(chunk, tail, first)
        main.write(b'\n],\n"annotations":[')
        tail.seek(0)
        shutil.copyfileobj(tail, main, 1 << 20)
        main.write(b"\n]}\n")
    report.files.append(FILE)
    return report


# -- finding and sniffing --------------------------------------------------------------------


def _sniff(path: Path) -> bool:
    """Cheap look at the head of a JSON file: an object with an images or annotations array."""
    head = head_of(path, _SNIFF_BYTES)
    return head is not None and head.startswith(b"{") and _SNIFF.search(head) is not None


def _json_files(folder: Path) -> Iterable[Path]:
    yield from sorted(folder.glob("*.json"))
    if (folder / "annotations").is_dir():
        yield from sorted((folder / "annotations").glob("*.json"))


def detect(path: Path) -> bool:
    """A COCO file, or a folder with ``annotations.json`` or a few COCO-looking .json files."""
    try:
        if path.is_file():
            return path.suffix.lower() == ".json" and _sniff(path)
        if not path.is_dir():
            return False
        if (path / FILE).is_file():
            return _sniff(path / FILE)
        for count, candidate in enumerate(_json_files(path)):
            if count >= 20:  # a folder of many .json files is another format (LabelMe)
                return False
            if _sniff(candidate):
                return True
    except OSError:
        return False
    return False


def _source(path: Path) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise FormatError(f"{path}: no such file or folder")
    if (path / FILE).is_file():
        return path / FILE
    found = [p for p in _json_files(path) if _sniff(p)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise FormatError(f"{path}: no COCO file here (annotations.json, or a .json file with "
                          "images and annotations)")
    names = ", ".join(p.relative_to(path).as_posix() for p in found[:5])
    raise FormatError(f"{path}: several COCO files ({names}); choose one")


# -- reading ---------------------------------------------------------------------------------


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _numbers(values: Any, where: str) -> list[float]:
    """Finite coordinates of sane size; ``finite`` explains the first one that is not."""
    if not isinstance(values, list):
        raise FormatError(f"{where}: {values!r:.60} is not a list of numbers")
    # NaN fails both comparisons, so only clean lists take the fast path.
    if all((type(v) is float or type(v) is int) and -1e9 <= v <= 1e9 for v in values):
        return values
    return [finite(v, where) for v in values]


class _Notes:
    """Problems that do not stop an import, grouped so a million of them stay readable."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: dict[str, list[int]] = {}

    def add(self, annotation_id: int, text: str) -> None:
        self.found.setdefault(text, []).append(annotation_id)

    def lines(self) -> list[str]:
        lines = []
        for text, ids in self.found.items():
            shown = ", ".join(str(i) for i in ids[:5])
            more = f" and {len(ids) - 5:,} more" if len(ids) > 5 else ""
            noun = "annotations" if len(ids) > 1 else "annotation"
            lines.append(f"{self.source}: {noun} {shown}{more}: {text}")
        return lines


def _categories(raw: Any, where: str) -> dict[int, str]:
    if not isinstance(raw, list):
        raise FormatError(f"{where}: 'categories' must be a list")
    names: dict[int, str] = {}
    for index, category in enumerate(raw):
        here = f"{where}: categories[{index}]"
        if not isinstance(category, dict):
            raise FormatError(f"{here} is not an object")
        category_id, name = category.get("id"), category.get("name")
        if not _is_int(category_id):
            raise FormatError(f"{here}: id {category_id!r:.40} is not a whole number")
        if not isinstance(name, str) or not name:
            raise FormatError(f"{here}: name {name!r:.40} is not a name")
        if category_id in names:
            raise FormatError(f"{here}: category id {category_id} appears twice")
        names[category_id] = name
    return names


def _size(image: dict[str, Any], key: str, here: str) -> int | None:
    value = image.get(key)
    if value is None:
        return None
    if not _is_int(value) or value < 0:
        raise FormatError(f"{here}: {key} {value!r:.40} is not a whole number of pixels")
    return int(value) or None


def _images(raw: Any, where: str) -> dict[int, ImportedImage]:
    if not isinstance(raw, list):
        raise FormatError(f"{where}: 'images' must be a list")
    images: dict[int, ImportedImage] = {}
    names: dict[str, int] = {}
    for index, image in enumerate(raw):
        if not isinstance(image, dict):
            raise FormatError(f"{where}: images[{index}] is not an object")
        image_id = image.get("id")
        if not _is_int(image_id):
            raise FormatError(f"{where}: images[{index}]: id {image_id!r:.40} is not a whole "
                              "number")
        here = f"{where}: image {image_id}"
        if image_id in images:
            raise FormatError(f"{here}: the id appears twice")
        name = safe_name(image.get("file_name"), here)
        if name in names:
            raise FormatError(f"{here}: file name {name!r} is also image {names[name]}")
        names[name] = image_id
        images[image_id] = ImportedImage(name, _size(image, "width", here),
                                         _size(image, "height", here))
    return images


class _Annotations:
    """Checks annotations one by one and adds their shapes to the images."""

    def __init__(self, where: str, categories: dict[int, str], images: dict[int, ImportedImage],
                 context: ImportContext) -> None:
        self.where = where
        self.categories = categories
        self.images = images
        self.schema_names = set(context.schema.names)
        self.unknown: dict[str, int] = {}
        self.used: set[int] = set()
        self.seen: set[int] = set()
        self.notes = _Notes(where)

    def add(self, index: int, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise FormatError(f"{self.where}: annotations[{index}] is not an object")
        annotation_id = raw.get("id")
        if not _is_int(annotation_id):
            raise FormatError(f"{self.where}: annotations[{index}]: id {annotation_id!r:.40} "
                              "is not a whole number")
        here = f"{self.where}: annotation {annotation_id}"
        if annotation_id in self.seen:
            raise FormatError(f"{here}: the id appears twice")
        self.seen.add(annotation_id)
        if "caption" in raw and "bbox" not in raw and "segmentation" not in raw:
            self.notes.add(annotation_id, "captions are not shapes; skipped")
            return
        image = self.images.get(self._int(raw, "image_id", here))
        if image is None:
            raise FormatError(f"{here}: image_id {raw['image_id']} is not in images")
        label = self._label(raw, here)
        shapes = self._geometries(raw, image, here, annotation_id)
        if label is None:
            return
        attributes = self._attributes(raw, annotation_id)
        image.shapes.extend(ImportedShape(label, g, dict(attributes)) for g in shapes)

    def _int(self, raw: dict[str, Any], key: str, here: str) -> int:
        value = raw.get(key)
        if not _is_int(value):
            raise FormatError(f"{here}: {key} {value!r:.40} is not a whole number")
        return int(value)

    def _label(self, raw: dict[str, Any], here: str) -> str | None:
        category_id = self._int(raw, "category_id", here)
        name = self.categories.get(category_id)
        if name is None:
            raise FormatError(f"{here}: category_id {category_id} is not in categories")
        self.used.add(category_id)
        if name not in self.schema_names:
            self.unknown[name] = self.unknown.get(name, 0) + 1
            return None
        return name

    def _attributes(self, raw: dict[str, Any], annotation_id: int) -> dict[str, Any]:
        attributes = raw.get("attributes", {})
        if not isinstance(attributes, dict):
            self.notes.add(annotation_id, "'attributes' is not an object; ignored")
            return {}
        return attributes

    def _bbox(self, raw: dict[str, Any], here: str) -> list[float] | None:
        if raw.get("bbox") is None:
            return None
        bbox = raw["bbox"]
        if not isinstance(bbox, list) or len(bbox) != 4:
            count = f"has {len(bbox)} numbers" if isinstance(bbox, list) else "is not a list"
            raise FormatError(f"{here}: bbox {count}, needs 4 (x, y, width, height)")
        x, y, w, h = (float(v) for v in _numbers(bbox, f"{here}: bbox"))
        if w < 0 or h < 0:
            raise FormatError(f"{here}: bbox has a negative width or height")
        return [x, y, w, h]

    def _geometries(self, raw: dict[str, Any], image: ImportedImage, here: str,
                    annotation_id: int) -> list[Geometry]:
        bbox = self._bbox(raw, here)
        if raw.get("keypoints"):
            self.notes.add(annotation_id, "keypoints ignored (only the shape is imported)")
        crowd = raw.get("iscrowd", 0)
        if crowd not in (0, 1) or isinstance(crowd, bool):
            raise FormatError(f"{here}: iscrowd {crowd!r:.40} is not 0 or 1")
        if crowd == 1:
            self.notes.add(annotation_id, "a crowd region was imported as polygons")
        segmentation = raw.get("segmentation")
        marker = self._marker(raw.get(MARKER), bbox, annotation_id)
        if isinstance(segmentation, dict):
            counts = rle_counts(segmentation, f"{here}: segmentation")
            height, width = segmentation["size"]
            if (image.width, image.height) not in ((None, None), (width, height)):
                raise FormatError(f"{here}: the mask is {width}x{height}, the image "
                                  f"{image.width}x{image.height}")
            if marker is not None:
                return [marker]
            polygons = rle_polygons(counts, height, width)
            if not polygons:
                self.notes.add(annotation_id, "the mask has no area; skipped")
            return self._parts([shape_or_error(partial(_from_shapely, p), here)
                                for p in polygons], annotation_id)
        if marker is not None:
            return [marker]
        if segmentation in (None, []):
            if bbox is None:
                raise FormatError(f"{here}: has neither bbox nor segmentation")
            x, y, w, h = bbox
            return [shape_or_error(lambda: Box.from_corners(x, y, x + w, y + h), here)]
        if not isinstance(segmentation, list):
            raise FormatError(f"{here}: segmentation is neither a list of polygons nor an RLE "
                              "mask")
        return self._parts(self._rings(segmentation, here, annotation_id), annotation_id)

    def _rings(self, segmentation: list[Any], here: str, annotation_id: int) -> list[Geometry]:
        polygons: list[Geometry] = []
        for index, ring in enumerate(segmentation):
            where = f"{here}: segmentation[{index}]"
            coords = np.array(_numbers(ring, where), dtype=np.float64)
            if len(coords) % 2:
                raise FormatError(f"{where} has {len(coords)} numbers; needs x, y pairs")
            if len(coords) < 6:
                self.notes.add(annotation_id, "a polygon of fewer than 3 points skipped")
                continue
            polygons.append(shape_or_error(partial(Polygon, coords.reshape(-1, 2)), where))
        return polygons

    def _parts(self, shapes: list[Geometry], annotation_id: int) -> list[Geometry]:
        if len(shapes) > 1:
            self.notes.add(annotation_id, f"{len(shapes)} parts became {len(shapes)} polygons")
        return shapes

    def _marker(self, raw: Any, bbox: list[float] | None, annotation_id: int) -> Geometry | None:
        """The exact shape we wrote, if it is there and the bbox still agrees with it."""
        if raw is None:
            return None
        try:
            geometry = geometry_from_json(raw)
        except GeometryError as exc:
            self.notes.add(annotation_id, f"{MARKER} ignored ({exc})")
            return None
        if geometry.kind not in FORMAT.kinds:
            self.notes.add(annotation_id, f"{MARKER} of kind {geometry.kind!r} ignored")
            return None
        if bbox is not None:
            low, high = geometry.bounds()
            mine = [float(low[0]), float(low[1]), float(high[0] - low[0]),
                    float(high[1] - low[1])]
            tolerance = 1e-3 + 1e-9 * max(abs(v) for v in bbox)
            if any(abs(a - b) > tolerance for a, b in zip(mine, bbox, strict=True)):
                self.notes.add(annotation_id, f"the bbox was edited after export; {MARKER} "
                               "ignored and the segmentation used")
                return None
        return geometry

    def problems(self) -> list[str]:
        if self.unknown:
            listed = ", ".join(f"{name!r} ({n})" for name, n in sorted(self.unknown.items()))
            raise FormatError(f"{self.where}: categories not in the project's schema: {listed}; "
                              "add them to the schema or remove them; nothing was imported")
        lines = self.notes.lines()
        unused = sorted({name for cid, name in self.categories.items() if cid not in self.used}
                        - self.schema_names)
        if unused:
            lines.append(f"{self.where}: categories without annotations and not in the schema "
                         f"ignored: {', '.join(unused)}")
        return lines


def _from_shapely(polygon: Any) -> Polygon:
    shell = np.asarray(polygon.exterior.coords)[:-1]
    holes = tuple(np.asarray(ring.coords)[:-1] for ring in polygon.interiors)
    return Polygon(shell, holes)


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a COCO instances file (or the folder holding it) into images and shapes."""
    source = _source(path)
    where = str(source)
    data = read_json(source)
    if not isinstance(data, dict) or "images" not in data:
        raise FormatError(f"{where}: not a COCO file (needs an object with 'images', "
                          "'annotations' and 'categories')")
    images = _images(data["images"], where)
    reader = _Annotations(where, _categories(data.get("categories", []), where), images,
                          context)
    annotations = data.get("annotations", [])
    if not isinstance(annotations, list):
        raise FormatError(f"{where}: 'annotations' must be a list")
    for index, raw in enumerate(annotations):
        reader.add(index, raw)
    return ImportResult(FORMAT.id, list(images.values()), reader.problems())


FORMAT = FormatSpec(
    id="coco",
    title="COCO instances (JSON)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"box", "rotated_box", "polygon"}),
    extensions=(".json",),
)
