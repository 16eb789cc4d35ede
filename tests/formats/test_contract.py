"""One contract for every registered format: write, detect, read, round trip.

A new format (a plugin too) gets these tests for free: they are parametrised
over ``annotator.formats.available()``.  Each format gets the sample of the
media it annotates: images with every 2D kind, or point-cloud tiles with
cuboids (and 3D kinds the box formats skip).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from annotator.formats import (
    ExportItem,
    FormatSpec,
    ImportContext,
    ImportResult,
    ProjectView,
    available,
)
from annotator.model import Annotation, LabelSchema
from annotator.shapes import Geometry
from tests.formats.cloud_view import cloud_schema, make_cloud_view
from tests.formats.conftest import context_for, make_view

BUILT_IN = {"coco", "yolo", "yolo_obb", "voc", "labelme", "cvat", "kitti", "openlabel",
            "cuboids", "geojson"}
#: Formats that hold only some attributes: those, and nothing else, must come back.
ATTRIBUTES_HELD = {"kitti": {"truncated", "occluded"}}


def view_for(spec: FormatSpec, image_schema: LabelSchema) -> ProjectView:
    """The sample a format writes: images, or point-cloud tiles for the 3D formats
    (in a project whose CRS is the survey tile's, EPSG:6677, as map formats need one)."""
    if spec.media == "pointcloud":
        return make_cloud_view(dataclasses.replace(cloud_schema(), crs="EPSG:6677"))
    return make_view(image_schema)


def test_built_in_formats_are_registered_through_entry_points() -> None:
    from importlib.metadata import entry_points

    names = {point.name for point in entry_points(group="annotator.formats")}
    assert names >= BUILT_IN
    assert set(available()) >= BUILT_IN
    for format_id, spec in available().items():
        assert spec.id == format_id


FORMATS = sorted(available())


def _shape_key(geometry: Geometry) -> tuple[str, tuple[float, ...]]:
    data = geometry.to_json()
    flat = [*data["coords"], *(c for hole in data.get("holes", []) for c in hole)]
    return data["kind"], tuple(round(float(v), 3) for v in flat)


def _as_shapely(geometry: Geometry) -> Any:
    data = geometry.to_json()
    if data["kind"] == "box":
        x0, y0, x1, y1 = data["coords"]
        return shapely.box(x0, y0, x1, y1)
    if data["kind"] in ("polygon", "rotated_box"):
        vertices = np.asarray(geometry.vertices)
        if data["kind"] == "polygon":
            shell = np.asarray(data["coords"]).reshape(-1, 2)
            holes = [np.asarray(h).reshape(-1, 2) for h in data.get("holes", [])]
            return shapely.Polygon(shell, holes)
        return shapely.Polygon(vertices)
    return None


def _expected(view: ProjectView, spec: FormatSpec, written: set[int | None],
              ) -> Counter[tuple[str, str, tuple[str, tuple[float, ...]]]]:
    found: Counter[tuple[str, str, tuple[str, tuple[float, ...]]]] = Counter()
    for export_item in view.items():
        for annotation in export_item.annotations:
            if annotation.id in written:
                found[(export_item.file_name, annotation.label,
                       _shape_key(annotation.geometry))] += 1
    return found


def _read(spec: FormatSpec, out: Path, context: ImportContext) -> ImportResult:
    return spec.read(out, context)


@pytest.mark.parametrize("format_id", FORMATS)
def test_write_then_read_gives_back_what_was_written(format_id: str, format_schema: LabelSchema,
                                                    tmp_path: Path) -> None:
    spec = available()[format_id]
    sample_view = view_for(spec, format_schema)
    out = tmp_path / "out"
    out.mkdir()
    report = spec.write(sample_view, out)
    report.check(sample_view)
    assert report.images == sample_view.count
    for name in report.files:
        assert (out / name).is_file(), name
    assert spec.detect(out)

    skipped = {s.annotation_id for s in report.skipped}
    converted = {s.annotation_id for s in report.converted}
    every = {a.id for e in sample_view.items() for a in e.annotations}
    exact = every - skipped - converted
    # Nothing the format claims to hold is skipped.
    for entry in report.skipped:
        assert entry.kind not in spec.kinds or entry.reason, entry

    result = _read(spec, out, context_for(sample_view))
    got: Counter[tuple[str, str, tuple[str, tuple[float, ...]]]] = Counter()
    approximate = []
    converted_keys = {(s.file_name, s.label) for s in report.converted}
    for image in result.images:
        for shape in image.shapes:
            key = (image.file_name, shape.label, _shape_key(shape.geometry))
            if (image.file_name, shape.label) in converted_keys and key not in _expected(
                    sample_view, spec, exact):
                approximate.append((image.file_name, shape))
            else:
                got[key] += 1
    assert got == _expected(sample_view, spec, exact)

    # Converted shapes (e.g. a polygon with holes as a mask) come back close.
    originals = {a.id: (e.file_name, a) for e in sample_view.items() for a in e.annotations}
    for annotation_id in converted:
        file_name, original = originals[annotation_id]
        matches = [s for name, s in approximate
                   if name == file_name and s.label == original.label]
        assert matches, f"converted annotation {annotation_id} did not come back"
        best = max(_iou(_as_shapely(original.geometry), _as_shapely(s.geometry))
                   for s in matches)
        assert best > 0.97

    # Attributes survive where the format holds attributes.
    attributes = {(image.file_name, shape.label, _shape_key(shape.geometry)):
                  dict(shape.attributes) for image in result.images for shape in image.shapes}
    held = [a for a in (originals[i][1] for i in exact) if a.attributes]
    names = ATTRIBUTES_HELD.get(format_id)
    for annotation in held:
        key = (originals[annotation.id][0], annotation.label, _shape_key(annotation.geometry))
        if not attributes.get(key):
            continue
        if names is None:
            assert attributes[key] == dict(annotation.attributes)
        else:
            assert set(attributes[key]) <= names, attributes[key]
            for name in names & set(annotation.attributes) & set(attributes[key]):
                assert attributes[key][name] == annotation.attributes[name], (key, name)


def _iou(a: Any, b: Any) -> float:
    if a is None or b is None:
        return 0.0
    union = shapely.area(shapely.union(a, b))
    return float(shapely.area(shapely.intersection(a, b)) / union) if union else 0.0


@pytest.mark.parametrize("format_id", FORMATS)
def test_import_export_import_is_stable(format_id: str, format_schema: LabelSchema,
                                        tmp_path: Path) -> None:
    """What comes in once comes in the same after another export and import."""
    spec = available()[format_id]
    sample_view = view_for(spec, format_schema)
    first_out = tmp_path / "first"
    first_out.mkdir()
    spec.write(sample_view, first_out)
    context = context_for(sample_view)
    first = spec.read(first_out, context)

    by_name = {e.file_name: e.item for e in sample_view.items()}
    rebuilt = []
    next_id = 1
    for image in sorted(first.images, key=lambda i: i.file_name):
        annotations = []
        for shape in image.shapes:
            annotations.append(Annotation(next_id, int(by_name[image.file_name].id or 0),
                                          shape.label, shape.geometry,
                                          attributes=dict(shape.attributes)))
            next_id += 1
        rebuilt.append(ExportItem(by_name[image.file_name], image.file_name,
                                  tuple(annotations)))
    view = ProjectView.from_items(sample_view.schema, rebuilt)
    second_out = tmp_path / "second"
    second_out.mkdir()
    spec.write(view, second_out)
    second = spec.read(second_out, context)

    def content(result: ImportResult) -> Counter[Any]:
        return Counter((i.file_name, s.label, _shape_key(s.geometry),
                        tuple(sorted((k, str(v)) for k, v in s.attributes.items())))
                       for i in result.images for s in i.shapes)

    assert content(second) == content(first)


@pytest.mark.parametrize("format_id", FORMATS)
def test_detect_says_no_to_an_empty_folder_and_other_formats(format_id: str,
                                                            format_schema: LabelSchema,
                                                            tmp_path: Path) -> None:
    spec = available()[format_id]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not spec.detect(empty)
    for other_id, other in available().items():
        if other_id == format_id or {other_id, format_id} == {"yolo", "yolo_obb"}:
            continue
        out = tmp_path / other_id
        out.mkdir()
        other.write(view_for(other, format_schema), out)
        assert not spec.detect(out), f"{format_id} claims a {other_id} export"


@pytest.mark.parametrize("format_id", FORMATS)
def test_export_of_no_items_is_valid(format_id: str, format_schema: LabelSchema,
                                     tmp_path: Path) -> None:
    spec = available()[format_id]
    empty_view = ProjectView.from_items(view_for(spec, format_schema).schema, [])
    out = tmp_path / "out"
    out.mkdir()
    report = spec.write(empty_view, out)
    report.check(empty_view)
    assert report.images == 0
    result = spec.read(out, context_for(empty_view))
    assert result.shape_count == 0
