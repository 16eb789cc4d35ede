"""COCO instances: what pycocotools sees, golden facts of the file, imports from other tools,
and hostile input."""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView
from annotator.formats.coco import FILE, FORMAT, MARKER, detect, read, write
from annotator.formats.masks import polygon_rle, rle_counts, rle_polygons
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Box, Polygon, RotatedBox


@pytest.fixture
def exported(sample_view: ProjectView, tmp_path: Path) -> tuple[Path, Any]:
    out = tmp_path / "out"
    out.mkdir()
    report = write(sample_view, out)
    report.check(sample_view)
    return out, report


def _data(out: Path) -> dict[str, Any]:
    return json.loads((out / FILE).read_text(encoding="utf-8"))


def _quiet_coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


# -- pycocotools -----------------------------------------------------------------------------


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_pycocotools_evaluates_the_export_against_itself_as_perfect(
        exported: tuple[Path, Any], iou_type: str) -> None:
    out, _ = exported
    truth = _quiet_coco(out / FILE)
    detections = []
    for ann in truth.loadAnns(truth.getAnnIds()):
        found: dict[str, Any] = {"image_id": ann["image_id"], "category_id": ann["category_id"],
                                 "score": 1.0}
        if iou_type == "bbox":
            found["bbox"] = ann["bbox"]
        else:
            rle = truth.annToRLE(ann)
            found["segmentation"] = {"size": rle["size"], "counts": rle["counts"]}
        detections.append(found)
    with contextlib.redirect_stdout(io.StringIO()):
        results = truth.loadRes(detections)
        evaluation = COCOeval(truth, results, iou_type)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)


def test_mask_areas_agree_with_our_areas(exported: tuple[Path, Any]) -> None:
    out, _ = exported
    truth = _quiet_coco(out / FILE)
    for ann in truth.loadAnns(truth.getAnnIds()):
        pixels = int(truth.annToMask(ann).sum())
        _, _, w, h = ann["bbox"]
        perimeter = 2 * (w + h)
        assert abs(pixels - ann["area"]) <= perimeter / 2 + 4, ann["id"]


# -- golden facts ----------------------------------------------------------------------------


def test_ids_start_at_1_and_images_keep_view_order(exported: tuple[Path, Any]) -> None:
    data = _data(exported[0])
    assert [i["id"] for i in data["images"]] == [1, 2, 3]
    assert [i["file_name"] for i in data["images"]] == [
        "media/street 01.jpg", "media/sub/rotated.jpg", "media/empty.jpg"]
    assert [a["id"] for a in data["annotations"]] == [1, 2, 3, 4, 5, 6]
    assert {a["iscrowd"] for a in data["annotations"]} == {0}


def test_every_class_is_a_category_with_its_schema_place(exported: tuple[Path, Any],
                                                         format_schema: LabelSchema) -> None:
    data = _data(exported[0])
    assert data["categories"] == [
        {"id": k + 1, "name": name, "supercategory": ""}
        for k, name in enumerate(format_schema.names)]
    # "unused_first" has no shapes, yet car keeps id 2.
    by_id = {c["id"]: c["name"] for c in data["categories"]}
    labels = [by_id[a["category_id"]] for a in data["annotations"]]
    assert labels == ["car", "pedestrian", "car", "car", "pedestrian", "car"]


def test_bbox_is_float_and_not_truncated(exported: tuple[Path, Any]) -> None:
    first = _data(exported[0])["annotations"][0]
    assert first["bbox"] == [10.25, 20.5, 100.5, 59.625]
    assert first["area"] == pytest.approx(100.5 * 59.625)
    assert first["segmentation"] == [[10.25, 20.5, 110.75, 20.5, 110.75, 80.125, 10.25, 80.125]]
    assert first[MARKER] == {"kind": "box", "coords": [10.25, 20.5, 110.75, 80.125]}


def test_sizes_are_after_exif_rotation_and_empty_images_are_kept(
        exported: tuple[Path, Any]) -> None:
    data = _data(exported[0])
    sizes = {i["file_name"]: (i["width"], i["height"]) for i in data["images"]}
    assert sizes["media/sub/rotated.jpg"] == (480, 640)
    empty = next(i for i in data["images"] if i["file_name"] == "media/empty.jpg")
    assert not [a for a in data["annotations"] if a["image_id"] == empty["id"]]


def test_areas_come_from_the_geometry(exported: tuple[Path, Any]) -> None:
    annotations = _data(exported[0])["annotations"]
    polygon = shapely.Polygon([[200, 100], [260.5, 100], [250, 180.25], [205, 175]])
    assert annotations[1]["area"] == pytest.approx(polygon.area)
    assert annotations[2]["area"] == pytest.approx(80 * 40)  # rotated box, not its bbox
    assert annotations[3]["area"] == pytest.approx(100 * 100 - 40 * 40)  # minus the hole


def test_rotated_box_is_its_corners_plus_the_exact_shape(exported: tuple[Path, Any]) -> None:
    rotated = _data(exported[0])["annotations"][2]
    corners = np.asarray(RotatedBox(500, 300, 80, 40, 0.5).vertices)
    assert np.allclose(np.reshape(rotated["segmentation"], (-1, 2)), corners)
    assert rotated["bbox"][:2] == pytest.approx(corners.min(axis=0).tolist())
    assert rotated[MARKER] == {"kind": "rotated_box", "coords": [500.0, 300.0, 80.0, 40.0, 0.5]}


def test_polygon_with_holes_is_an_rle_mask_and_reported(exported: tuple[Path, Any]) -> None:
    out, report = exported
    holed = _data(out)["annotations"][3]
    assert holed["segmentation"]["size"] == [480, 640]
    assert isinstance(holed["segmentation"]["counts"], str)
    assert [(c.annotation_id, c.reason) for c in report.converted] == [
        (16, "polygon with holes written as an RLE mask")]


def test_nothing_is_dropped_silently(exported: tuple[Path, Any]) -> None:
    _, report = exported
    assert report.images == 3
    assert sum(report.written.values()) == 6
    assert {(s.annotation_id, s.kind) for s in report.skipped} == {(14, "polyline"),
                                                                  (15, "point")}
    assert all("COCO" in s.reason for s in report.skipped)
    assert report.files == [FILE]


def test_attributes_round_trip(exported: tuple[Path, Any], sample_context: ImportContext,
                               ) -> None:
    out, _ = exported
    assert _data(out)["annotations"][0]["attributes"] == {"color": "red", "occluded": True}
    result = read(out, sample_context)
    shapes = {s.geometry.kind + str(dict(s.attributes)) for i in result.images for s in i.shapes}
    assert "box{'color': 'red', 'occluded': True}" in shapes
    assert "polygon{'color': 'white'}" in shapes
    assert result.problems == []


def test_export_streams_one_element_per_line(exported: tuple[Path, Any]) -> None:
    lines = (exported[0] / FILE).read_text(encoding="utf-8").splitlines()
    assert sum(1 for line in lines if line.startswith('{"id":') and '"image_id"' in line) == 6
    assert list((exported[0]).iterdir()) == [exported[0] / FILE]  # no temporary file left


def test_a_polygon_with_holes_on_a_huge_image_does_not_rasterise_the_image(
        format_schema: LabelSchema, tmp_path: Path) -> None:
    item = Item(1, "ortho.tif", "image", "tiff", "0" * 64, 1, width=40_000, height=40_000)
    holed = Polygon([[30_000, 30_000], [30_400, 30_000], [30_400, 30_300], [30_000, 30_300]],
                    ([[30_100, 30_100], [30_200, 30_100], [30_200, 30_200], [30_100, 30_200]],))
    view = ProjectView.from_items(format_schema, [
        ExportItem(item, item.path, (Annotation(1, 1, "car", holed),))])
    started = time.perf_counter()
    write(view, tmp_path)
    segmentation = _data(tmp_path)["annotations"][0]["segmentation"]
    counts = rle_counts(segmentation, "test")
    parts = rle_polygons(counts, 40_000, 40_000)
    assert time.perf_counter() - started < 5  # a full mask would be 1.6 GB per step
    assert len(parts) == 1 and len(parts[0].interiors) == 1
    assert parts[0].bounds == (30_000, 30_000, 30_400, 30_300)


# -- the mask helpers against pycocotools ----------------------------------------------------


@pytest.mark.parametrize("ring", [
    [[300, 301], [400, 310], [390, 401], [305, 395]],
    [[-20, -10], [50, -10], [50, 60], [-20, 60]],            # partly outside the image
    [[600, 0], [640, 0], [640, 480], [600, 480]],            # whole columns at the edge
    [[0, 0], [640, 0], [640, 480], [0, 480]],                # the whole image
    [[700, 10], [720, 10], [720, 30]],                       # wholly outside
])
def test_window_rle_equals_pycocotools_full_image(ring: list[list[float]]) -> None:
    shell = np.array(ring, dtype=np.float64)
    mine = polygon_rle(shell, [], 480, 640)
    full = coco_mask.merge(coco_mask.frPyObjects([shell.ravel().tolist()], 480, 640))
    assert mine["counts"] == full["counts"].decode("ascii")


@pytest.mark.parametrize("decimals", [1, None])
def test_window_rle_equals_pycocotools_for_fractional_coordinates(decimals: int | None) -> None:
    """One decimal makes rounding ties on pycocotools' 1/5-pixel grid (300.7 * 5)."""
    rng = np.random.default_rng(3)
    for _ in range(30):
        shell = rng.uniform(-20, 500, (7, 2))
        if decimals is not None:
            shell = shell.round(decimals)
        mine = coco_mask.decode({"size": [480, 640],
                                 "counts": polygon_rle(shell, [], 480, 640)["counts"]})
        full = coco_mask.decode(coco_mask.frPyObjects([shell.ravel().tolist()], 480, 640)[0])
        # Exact where pycocotools computes 5 * v + .5 without a fused multiply-add (x86-64).
        assert int((mine != full).sum()) <= (0 if decimals is None else 40)


# -- imports from other tools ----------------------------------------------------------------


def _write_coco(folder: Path, annotations: list[dict[str, Any]],
                images: list[dict[str, Any]] | None = None,
                categories: list[dict[str, Any]] | None = None, name: str = FILE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "images": images if images is not None else [
            {"id": 1, "file_name": "media/street 01.jpg", "width": 640, "height": 480}],
        "annotations": annotations,
        "categories": categories if categories is not None else [
            {"id": 7, "name": "car"}, {"id": 9, "name": "pedestrian"}],
    }
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _holed_mask() -> np.ndarray[Any, Any]:
    mask = np.zeros((480, 640), dtype=np.uint8)
    mask[300:400, 300:400] = 1
    mask[330:370, 330:370] = 0
    return mask


def _uncompressed(mask: np.ndarray[Any, Any]) -> dict[str, Any]:
    flat = mask.ravel(order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0, *counts]
    return {"size": list(mask.shape), "counts": counts}


@pytest.mark.parametrize("compressed", [True, False])
def test_rle_masks_from_other_tools_become_polygons_with_holes(
        tmp_path: Path, sample_context: ImportContext, compressed: bool) -> None:
    mask = _holed_mask()
    if compressed:
        rle = coco_mask.encode(np.asfortranarray(mask))
        segmentation = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
    else:
        segmentation = _uncompressed(mask)
    _write_coco(tmp_path, [{"id": 1, "image_id": 1, "category_id": 7, "iscrowd": 0,
                            "segmentation": segmentation, "bbox": [300, 300, 100, 100],
                            "area": 8400}])
    result = read(tmp_path, sample_context)
    (shape,) = result.images[0].shapes
    assert shape.label == "car"
    assert isinstance(shape.geometry, Polygon) and len(shape.geometry.holes) == 1
    original = shapely.Polygon([[300, 300], [400, 300], [400, 400], [300, 400]],
                               [[[330, 330], [370, 330], [370, 370], [330, 370]]])
    back = shapely.Polygon(shape.geometry.shell, [np.asarray(h) for h in shape.geometry.holes])
    assert original.intersection(back).area / original.union(back).area > 0.99


def test_crowd_multi_part_keypoints_and_captions_are_notes(
        tmp_path: Path, sample_context: ImportContext) -> None:
    two_parts = [[10, 10, 20, 10, 20, 20], [50, 50, 60, 50, 60, 60]]
    crowd = coco_mask.encode(np.asfortranarray(_holed_mask()))
    _write_coco(tmp_path, [
        {"id": 1, "image_id": 1, "category_id": 9, "segmentation": two_parts,
         "bbox": [10, 10, 50, 50], "keypoints": [15, 15, 2], "num_keypoints": 1},
        {"id": 2, "image_id": 1, "category_id": 7, "iscrowd": 1, "bbox": [300, 300, 100, 100],
         "segmentation": {"size": [480, 640], "counts": crowd["counts"].decode()}},
        {"id": 3, "image_id": 1, "caption": "a red car"},
    ])
    result = read(tmp_path, sample_context)
    kinds = [s.geometry.kind for s in result.images[0].shapes]
    assert kinds == ["polygon", "polygon", "polygon"]
    text = "\n".join(result.problems)
    assert "annotation 1: 2 parts became 2 polygons" in text
    assert "annotation 1: keypoints ignored" in text
    assert "annotation 2: a crowd region was imported as polygons" in text
    assert "annotation 3: captions are not shapes" in text


def test_box_without_segmentation_and_standard_layout(tmp_path: Path,
                                                      sample_context: ImportContext) -> None:
    _write_coco(tmp_path / "annotations", [
        {"id": 5, "image_id": 1, "category_id": 7, "bbox": [1.5, 2.5, 10, 20],
         "segmentation": []}], name="instances_val.json")
    assert detect(tmp_path)
    result = read(tmp_path, sample_context)
    assert result.images[0].shapes[0].geometry == Box.from_corners(1.5, 2.5, 11.5, 22.5)
    assert (result.images[0].width, result.images[0].height) == (640, 480)


def test_an_edited_bbox_overrides_the_marker(exported: tuple[Path, Any],
                                             sample_context: ImportContext) -> None:
    out, _ = exported
    data = _data(out)
    data["annotations"][0]["bbox"] = [12.0, 20.5, 98.75, 59.625]
    data["annotations"][0]["segmentation"] = [[12, 20.5, 110.75, 20.5, 110.75, 80.125, 12,
                                               80.125]]
    (out / FILE).write_text(json.dumps(data), encoding="utf-8")
    result = read(out, sample_context)
    first = result.images[0].shapes[0]
    assert first.geometry.kind == "polygon"
    assert "annotation 1: the bbox was edited after export" in "\n".join(result.problems)


def test_unknown_categories_are_refused_together_and_unused_ones_noted(
        tmp_path: Path, sample_context: ImportContext) -> None:
    categories = [{"id": 1, "name": "car"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "cat"},
                  {"id": 4, "name": "zebra"}]
    box = {"bbox": [1, 1, 5, 5], "image_id": 1}
    _write_coco(tmp_path, [{**box, "id": 1, "category_id": 2}, {**box, "id": 2, "category_id": 3},
                           {**box, "id": 3, "category_id": 1}], categories=categories)
    with pytest.raises(FormatError, match=r"not in the project's schema: 'cat' \(1\), 'dog' \(1\)"):
        read(tmp_path, sample_context)
    _write_coco(tmp_path, [{**box, "id": 3, "category_id": 1}], categories=categories)
    result = read(tmp_path, sample_context)
    assert result.shape_count == 1
    assert "ignored: cat, dog, zebra" in result.problems[0]


def test_detect_says_no_to_json_that_is_not_coco(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"images": 3, "annotations": 5}))
    (tmp_path / "a.json").write_text(json.dumps({"shapes": [], "imagePath": "a.jpg"}))
    assert not detect(tmp_path)
    assert not detect(tmp_path / "a.json")
    assert FORMAT.kinds == {"box", "rotated_box", "polygon"}


# -- hostile input ---------------------------------------------------------------------------


def _refused(path: Path, context: ImportContext, match: str) -> str:
    with pytest.raises(FormatError, match=match) as caught:
        read(path, context)
    message = str(caught.value)
    assert "\n" not in message
    assert path.name in message or FILE in message
    return message


def test_malformed_json_names_line_and_column(tmp_path: Path,
                                              sample_context: ImportContext) -> None:
    (tmp_path / FILE).write_text('{"images": [\n  {"id": 1,,}\n]}')
    _refused(tmp_path, sample_context, r"annotations\.json:2:\d+: not valid JSON")


@pytest.mark.parametrize(("annotation", "match"), [
    ({"bbox": "1,2,3,4"}, r"annotation 1: bbox is not a list, needs 4"),
    ({"bbox": [1, 2, 3]}, r"annotation 1: bbox has 3 numbers, needs 4"),
    ({"id": [1]}, r"annotations\[0\]: id \[1\] is not a whole number"),
    ({"image_id": 99}, r"annotation 1: image_id 99 is not in images"),
    ({"category_id": 5}, r"annotation 1: category_id 5 is not in categories"),
    ({"bbox": [1, 2, 1e300, 4]}, r"annotation 1: bbox: 1e\+300 is not a usable coordinate"),
    ({"segmentation": [[1, 2, 3, 4, 5, 1e300]]},
     r"annotation 1: segmentation\[0\]: 1e\+300 is not a usable coordinate"),
    ({"segmentation": [[1, 2, 3, 4, 5]]}, r"segmentation\[0\] has 5 numbers; needs x, y pairs"),
    ({"segmentation": [[1, "a", 3, 4, 5, 6]]}, r"segmentation\[0\]: 'a' is not a number"),
    ({"segmentation": {"size": [480, 640], "counts": "!!"}}, r"RLE counts string holds '!'"),
    ({"segmentation": {"size": [480, 640], "counts": [5, 3]}}, r"cover 8 pixels"),
    ({"segmentation": {"size": [48, 64], "counts": [3072]}}, r"the mask is 64x48"),
    ({"segmentation": 7}, r"neither a list of polygons nor an RLE mask"),
    ({"iscrowd": 2}, r"iscrowd 2 is not 0 or 1"),
    ({"bbox": None, "segmentation": []}, r"has neither bbox nor segmentation"),
])
def test_wrong_types_and_values_are_refused(tmp_path: Path, sample_context: ImportContext,
                                            annotation: dict[str, Any], match: str) -> None:
    base = {"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 2, 3, 4]}
    _write_coco(tmp_path, [{**base, **annotation}])
    _refused(tmp_path, sample_context, match)


def test_nan_and_huge_integers_are_refused(tmp_path: Path,
                                           sample_context: ImportContext) -> None:
    (tmp_path / FILE).write_text('{"images": [], "annotations": [{"bbox": [NaN, 1, 2, 3]}]}')
    _refused(tmp_path, sample_context, r"not valid JSON \(NaN is not a number JSON allows\)")
    _write_coco(tmp_path, [{"id": 1, "image_id": 1, "category_id": 7,
                            "bbox": [10 ** 400, 1, 2, 3]}])
    _refused(tmp_path, sample_context, r"annotation 1: bbox: 1000+ is not a number")


@pytest.mark.parametrize("name", ["../outside.jpg", "/etc/passwd", "C:/x.jpg", "a/../../b.jpg"])
def test_file_names_that_leave_the_images_folder_are_refused(
        tmp_path: Path, sample_context: ImportContext, name: str) -> None:
    _write_coco(tmp_path, [], images=[{"id": 1, "file_name": name, "width": 4, "height": 4}])
    _refused(tmp_path, sample_context, r"image 1: file name .* (leaves|is absolute)")


@pytest.mark.parametrize(("images", "match"), [
    ([{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "b.jpg"}],
     r"image 1: the id appears twice"),
    ([{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "a.jpg"}],
     r"image 2: file name 'a.jpg' is also image 1"),
    ([{"id": "1", "file_name": "a.jpg"}], r"images\[0\]: id '1' is not a whole number"),
    ([{"id": 1, "file_name": "a.jpg", "width": -5}], r"width -5 is not a whole number"),
    ([{"id": 1, "file_name": 5}], r"file name 5 is not a name"),
])
def test_bad_images_are_refused(tmp_path: Path, sample_context: ImportContext,
                                images: list[dict[str, Any]], match: str) -> None:
    _write_coco(tmp_path, [], images=images)
    _refused(tmp_path, sample_context, match)


def test_a_2_gb_file_is_refused_before_reading(tmp_path: Path,
                                               sample_context: ImportContext) -> None:
    with (tmp_path / FILE).open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk used
    started = time.perf_counter()
    _refused(tmp_path, sample_context, r"2,147,483,648 bytes is more than")
    assert time.perf_counter() - started < 1


def test_not_a_coco_file(tmp_path: Path, sample_context: ImportContext) -> None:
    (tmp_path / FILE).write_text("[1, 2, 3]")
    _refused(tmp_path, sample_context, r"not a COCO file")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FormatError, match="no COCO file here"):
        read(empty, sample_context)
