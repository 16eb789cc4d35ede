"""Ultralytics YOLO (detect / segment) and YOLO OBB: layout, lines, precision, imports,
hostile input."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, Report
from annotator.formats.yolo import FORMAT, FORMAT_OBB, label_path
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Box, Geometry, Point, Polygon, RotatedBox
from tests.formats.conftest import context_for


def _write(spec: Any, view: ProjectView, tmp_path: Path, name: str = "out") -> tuple[Path, Report]:
    out = tmp_path / name
    out.mkdir()
    report = spec.write(view, out)
    report.check(view)
    return out, report


def _lines(out: Path, name: str) -> list[str]:
    return (out / name).read_text(encoding="utf-8").splitlines()


def _view(schema: LabelSchema, *shapes: tuple[str, Geometry], width: int = 640,
          height: int = 480, name: str = "media/a.jpg") -> ProjectView:
    item = Item(1, name, "image", "jpeg", "0" * 64, 1, width=width, height=height)
    annotations = tuple(Annotation(k + 1, 1, label, geometry)
                        for k, (label, geometry) in enumerate(shapes))
    return ProjectView.from_items(schema, [ExportItem(item, name, annotations)])


# -- layout ----------------------------------------------------------------------------------


def test_layout_data_yaml_and_one_label_file_per_image(sample_view: ProjectView,
                                                       format_schema: LabelSchema,
                                                       tmp_path: Path) -> None:
    out, report = _write(FORMAT, sample_view, tmp_path)
    data = yaml.safe_load((out / "data.yaml").read_text(encoding="utf-8"))
    assert data["path"] == "." and data["train"] == "images" and data["val"] == "images"
    assert data["names"] == dict(enumerate(format_schema.names))
    assert data["nc"] == 5
    assert data["task"] == "segment"  # the view holds polygons
    assert sorted(report.files) == ["data.yaml", "labels/media/empty.txt",
                                    "labels/media/street 01.txt", "labels/media/sub/rotated.txt"]
    assert (out / "labels/media/empty.txt").read_bytes() == b""  # a background image
    assert report.images == 3


def test_label_path_mirrors_the_image_folders() -> None:
    assert label_path("media/sub/a.jpg") == "labels/media/sub/a.txt"
    assert label_path("a.b.PNG") == "labels/a.b.txt"
    assert label_path("noext") == "labels/noext.txt"
    with pytest.raises(FormatError, match="leaves the images folder"):
        label_path("../a.jpg")


def test_boxes_only_make_a_detect_dataset_with_exact_round_trip(
        format_schema: LabelSchema, tmp_path: Path) -> None:
    box = Box.from_corners(10.25, 20.5, 110.75, 80.125)
    view = _view(format_schema, ("car", box), ("sign", Box.from_corners(0, 0, 640, 480)))
    out, report = _write(FORMAT, view, tmp_path)
    assert yaml.safe_load((out / "data.yaml").read_text())["task"] == "detect"
    assert _lines(out, "labels/media/a.txt") == [
        "1 0.09453125 0.1048177083 0.15703125 0.12421875", "4 0.5 0.5 1 1"]
    assert not report.converted and not report.skipped
    result = FORMAT.read(out, context_for(view))
    got = result.images[0].shapes[0].geometry
    assert isinstance(got, Box)
    assert np.allclose(got.corners, box.corners, atol=1e-6)


def test_segment_dataset_writes_boxes_as_polygons(sample_view: ProjectView,
                                                  tmp_path: Path) -> None:
    """Ultralytics drops every polygon of a dataset that mixes boxes and polygons."""
    out, report = _write(FORMAT, sample_view, tmp_path)
    street = _lines(out, "labels/media/street 01.txt")
    assert street[0].split()[0] == "1" and len(street[0].split()) == 9  # the car box
    assert {c.annotation_id for c in report.converted} == {11, 21}
    assert all("4-corner polygon" in c.reason for c in report.converted)
    reasons = {s.annotation_id: s.reason for s in report.skipped}
    assert reasons == {13: "use yolo_obb for rotated boxes",
                       14: "YOLO labels hold areas; a polyline has none",
                       15: "YOLO labels hold areas; a point has none",
                       16: "YOLO polygons cannot hold holes"}


def test_precision_is_better_than_a_thousandth_of_a_pixel_on_40k_images(
        format_schema: LabelSchema, tmp_path: Path) -> None:
    polygon = Polygon([[12345.6789, 23456.789], [39999.123, 100.001], [17.3, 39876.54321]])
    view = _view(format_schema, ("car", polygon), width=40_000, height=40_000)
    out, _ = _write(FORMAT, view, tmp_path)
    back = FORMAT.read(out, context_for(view)).images[0].shapes[0].geometry
    assert isinstance(back, Polygon)
    assert np.abs(back.shell - polygon.shell).max() < 1e-3


def test_shapes_outside_the_image_are_clipped_or_skipped(format_schema: LabelSchema,
                                                         tmp_path: Path) -> None:
    view = _view(format_schema, ("car", Box.from_corners(-10, -10, 50, 50)),
                 ("car", Box.from_corners(700, 10, 800, 50)))
    out, report = _write(FORMAT, view, tmp_path)
    assert _lines(out, "labels/media/a.txt") == ["1 0.0390625 0.0520833333 0.078125 0.1041666667"]
    assert [(c.annotation_id, c.reason) for c in report.converted] == [(1, "clipped to the image")]
    assert [(s.annotation_id, s.reason) for s in report.skipped] == [
        (2, "the box lies outside the image")]


def test_items_without_a_size_are_skipped_with_a_reason(format_schema: LabelSchema,
                                                        tmp_path: Path) -> None:
    view = _view(format_schema, ("car", Box.from_corners(1, 1, 5, 5)), width=0, height=0)
    out, report = _write(FORMAT, view, tmp_path)
    assert "image size" in report.skipped[0].reason
    assert _lines(out, "labels/media/a.txt") == []


def test_two_images_with_one_label_file_are_refused(format_schema: LabelSchema,
                                                    tmp_path: Path) -> None:
    items = [ExportItem(Item(k, name, "image", "jpeg", "", 1, width=4, height=4), name, ())
             for k, name in enumerate(["a.jpg", "a.png"], 1)]
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FormatError, match=r"a\.jpg and a\.png would both be labelled by "
                                          r"labels/a\.txt"):
        FORMAT.write(ProjectView.from_items(format_schema, items), out)


# -- oriented boxes --------------------------------------------------------------------------


def test_obb_writes_corners_and_reads_rotated_boxes(sample_view: ProjectView,
                                                    tmp_path: Path) -> None:
    out, report = _write(FORMAT_OBB, sample_view, tmp_path)
    assert yaml.safe_load((out / "data.yaml").read_text())["task"] == "obb"
    line = _lines(out, "labels/media/street 01.txt")[1].split()
    corners = np.array([float(v) for v in line[1:]]).reshape(4, 2) * [640, 480]
    assert np.allclose(corners, RotatedBox(500, 300, 80, 40, 0.5).vertices, atol=1e-6)
    assert {c.annotation_id: c.reason for c in report.converted} == {
        11: "box written as an oriented box with angle 0",
        21: "box written as an oriented box with angle 0"}
    assert {s.annotation_id for s in report.skipped} == {12, 14, 15, 16, 22}
    result = FORMAT_OBB.read(out, context_for(sample_view))
    street = next(i for i in result.images if i.file_name == "media/street 01.jpg")
    rotated = [s.geometry for s in street.shapes]
    assert all(isinstance(g, RotatedBox) for g in rotated)
    back = rotated[1]
    assert isinstance(back, RotatedBox)
    assert np.allclose([back.cx, back.cy, back.width, back.height, back.angle],
                       [500, 300, 80, 40, 0.5], atol=1e-6)
    assert FORMAT_OBB.kinds == {"box", "rotated_box"}


def test_detect_tells_yolo_from_yolo_obb_by_task(sample_view: ProjectView,
                                                 tmp_path: Path) -> None:
    plain, _ = _write(FORMAT, sample_view, tmp_path, "plain")
    obb, _ = _write(FORMAT_OBB, sample_view, tmp_path, "obb")
    assert FORMAT.detect(plain) and not FORMAT_OBB.detect(plain)
    assert FORMAT_OBB.detect(obb) and not FORMAT.detect(obb)
    assert FORMAT.detect(plain / "data.yaml")
    data = plain / "data.yaml"
    data.write_text("names: [car]\n")  # other tools write no task
    assert FORMAT.detect(plain) and not FORMAT_OBB.detect(plain)
    (plain / "labels").rename(plain / "other")
    assert not FORMAT.detect(plain)


def test_obb_refuses_a_detect_dataset(sample_view: ProjectView, tmp_path: Path) -> None:
    out, _ = _write(FORMAT, sample_view, tmp_path)
    with pytest.raises(FormatError, match="task is 'segment', not an oriented-box dataset"):
        FORMAT_OBB.read(out, context_for(sample_view))


# -- imports from other tools ----------------------------------------------------------------


def _dataset(root: Path, names: Any, labels: dict[str, str], task: str | None = None) -> Path:
    (root / "labels").mkdir(parents=True)
    data: dict[str, Any] = {"names": names}
    if task:
        data["task"] = task
    (root / "data.yaml").write_text(yaml.safe_dump(data))
    for name, text in labels.items():
        path = root / "labels" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_classes_map_by_name_and_images_by_stem(sample_context: ImportContext,
                                                tmp_path: Path) -> None:
    root = _dataset(tmp_path, ["sign", "car"], {
        "media/street 01.txt": "1 0.5 0.5 0.25 0.5\n\n0 0.1 0.1 0.2 0.1 0.2 0.2\n",
        "media/empty.txt": ""})
    result = FORMAT.read(root, sample_context)
    by_name = {i.file_name: i for i in result.images}
    assert set(by_name) == {"media/street 01.jpg", "media/empty.jpg"}
    street = by_name["media/street 01.jpg"].shapes
    assert [s.label for s in street] == ["car", "sign"]
    assert street[0].geometry == Box.from_corners(240, 120, 400, 360)
    assert street[1].geometry.kind == "polygon"
    assert by_name["media/empty.jpg"].shapes == []


def test_images_on_disk_name_the_image(tmp_path: Path, format_schema: LabelSchema) -> None:
    item = Item(1, "frames/x.PNG", "image", "png", "", 1, width=100, height=50)
    context = ImportContext(format_schema, lambda name: item if name == "frames/x.PNG" else None)
    root = _dataset(tmp_path, {1: "car"}, {"frames/x.txt": "1 0.5 0.5 0.5 0.5\n"})
    (root / "images" / "frames").mkdir(parents=True)
    (root / "images" / "frames" / "x.PNG").write_bytes(b"")
    result = FORMAT.read(root, context)
    assert result.images[0].file_name == "frames/x.PNG"
    assert result.images[0].shapes[0].geometry == Box.from_corners(25, 12.5, 75, 37.5)


def test_an_unknown_image_names_the_label_file(tmp_path: Path,
                                               sample_context: ImportContext) -> None:
    root = _dataset(tmp_path, ["car"], {"ghost.txt": "0 0.5 0.5 0.1 0.1\n"})
    with pytest.raises(FormatError, match=r"ghost\.txt: no image ghost\.\* in the project"):
        FORMAT.read(root, sample_context)


def test_unknown_classes_are_refused_together(tmp_path: Path,
                                              sample_context: ImportContext) -> None:
    root = _dataset(tmp_path, ["dog", "cat", "car", "zebra"], {
        "media/empty.txt": "0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1 0.1\n2 0.5 0.5 0.1 0.1\n"})
    with pytest.raises(FormatError, match=r"not in the project's schema: 'cat' \(1\), 'dog' \(1\)"):
        FORMAT.read(root, sample_context)
    (root / "labels/media/empty.txt").write_text("2 0.5 0.5 0.1 0.1\n")
    result = FORMAT.read(root, sample_context)
    assert result.shape_count == 1
    assert "ignored: cat, dog, zebra" in result.problems[0]


# -- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "match"), [
    ("0 0.5 0.5 0.1", r"empty\.txt:2: 4 values; a box is 'class cx cy w h'"),
    ("0 0.1 0.1 0.2 0.2 0.3", r"empty\.txt:2: 6 values"),
    ("7 0.5 0.5 0.1 0.1", r"empty\.txt:2: class 7 is not in the names of data\.yaml"),
    ("car 0.5 0.5 0.1 0.1", r"empty\.txt:2: class 'car' is not a class index"),
    ("0.5 0.5 0.5 0.1 0.1", r"class '0\.5' is not a class index"),
    ("0 0.5 0.5 1.5 0.1", r"empty\.txt:2: coordinates must be between 0 and 1"),
    ("0 nan 0.5 0.1 0.1", r"empty\.txt:2: 'nan' is not a usable coordinate"),
    ("0 1e300 0.5 0.1 0.1", r"empty\.txt:2: '1e300' is not a usable coordinate"),
    ("0 0.5 0.5 -0.1 0.1", r"coordinates must be between 0 and 1"),
])
def test_bad_lines_name_file_and_line(tmp_path: Path, sample_context: ImportContext,
                                      line: str, match: str) -> None:
    root = _dataset(tmp_path, ["car"], {"media/empty.txt": f"0 0.5 0.5 0.1 0.1\n{line}\n"})
    with pytest.raises(FormatError, match=match) as caught:
        FORMAT.read(root, sample_context)
    assert "\n" not in str(caught.value)


def test_obb_lines_need_8_coordinates(tmp_path: Path, sample_context: ImportContext) -> None:
    root = _dataset(tmp_path, ["car"], {"media/empty.txt": "0 0.5 0.5 0.1 0.1\n"}, task="obb")
    with pytest.raises(FormatError, match=r"empty\.txt:1: 5 values; an oriented box is"):
        FORMAT_OBB.read(root, sample_context)


def test_yaml_alias_bomb_is_refused(tmp_path: Path, sample_context: ImportContext) -> None:
    root = _dataset(tmp_path, ["car"], {})
    bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    bomb += [f'{chr(98 + k)}: &{chr(98 + k)} [*{chr(97 + k)},*{chr(97 + k)},*{chr(97 + k)}]'
             for k in range(8)]
    (root / "data.yaml").write_text("\n".join([*bomb, "names: [car]"]) + "\n")
    started = time.perf_counter()
    with pytest.raises(FormatError, match=r"data\.yaml: line 2: YAML aliases are not allowed"):
        FORMAT.read(root, sample_context)
    assert time.perf_counter() - started < 1
    assert not FORMAT.detect(root)


@pytest.mark.parametrize(("text", "match"), [
    ("names: [car\n", r"data\.yaml:2: not valid YAML"),
    ("- car\n", r"data\.yaml: not a YOLO data\.yaml"),
    ("names: car\n", r"'names' must be a list or a mapping"),
    ("names: {x: car}\n", r"names: 'x' is not a class index"),
    ("names: {0: 5}\n", r"names: class 0 has no name"),
])
def test_bad_data_yaml_is_refused(tmp_path: Path, sample_context: ImportContext, text: str,
                                  match: str) -> None:
    root = _dataset(tmp_path, ["car"], {})
    (root / "data.yaml").write_text(text)
    with pytest.raises(FormatError, match=match):
        FORMAT.read(root, sample_context)


@pytest.mark.parametrize("name", ["data.yaml", "labels/media/empty.txt"])
def test_2_gb_files_are_refused_before_reading(tmp_path: Path, sample_context: ImportContext,
                                               name: str) -> None:
    root = _dataset(tmp_path, ["car"], {"media/empty.txt": ""})
    with (root / name).open("wb") as handle:
        handle.truncate(2 * 1024**3)
    started = time.perf_counter()
    with pytest.raises(FormatError, match=r"2,147,483,648 bytes is (more|too large)") as caught:
        FORMAT.read(root, sample_context)
    assert Path(name).name in str(caught.value)
    assert time.perf_counter() - started < 1


def test_a_folder_without_labels_is_refused(tmp_path: Path,
                                            sample_context: ImportContext) -> None:
    (tmp_path / "data.yaml").write_text("names: [car]\n")
    with pytest.raises(FormatError, match="no labels/ folder"):
        FORMAT.read(tmp_path, sample_context)


def test_points_are_skipped_in_both(format_schema: LabelSchema, tmp_path: Path) -> None:
    view = _view(format_schema, ("sign", Point.at(3, 4)))
    for spec in (FORMAT, FORMAT_OBB):
        _, report = _write(spec, view, tmp_path, spec.id)
        assert report.skipped[0].reason.endswith("a point has none")
