"""GrabCut assist on generated scenes with a known outline: a star with a hole on clutter."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import shapely
from annotator_assist_grabcut import Assist, grabcut_polygons, mask_polygons, simplify_rings
from annotator_assist_grabcut.segment import WORK_PIXELS, grabcut_mask

from annotator.errors import AnnotatorError, Cancelled
from annotator.model import Item, LabelClass, LabelSchema
from annotator.plugins import AssistError, AssistRequest, Prompt, discover, run
from annotator.shapes import Polygon


def clutter(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Blurred colour noise under a few hundred small shapes of random colours."""
    image = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), (0, 0), 1)
    for _ in range(height * width // 800):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            size = rng.integers(3, 20, 2)
            cv2.rectangle(image, (x, y), (x + int(size[0]), y + int(size[1])), colour, -1)
        else:
            cv2.circle(image, (x, y), int(rng.integers(2, 10)), colour, -1)
    return image


def star_scene(seed: int, height: int = 480, width: int = 640, zoom: float = 1.0,
               ) -> tuple[np.ndarray, shapely.Polygon]:
    """A light-blue five-pointed star with a quadrilateral hole, and its true outline."""
    rng = np.random.default_rng(seed)
    image = clutter(rng, height, width)
    angles = np.linspace(0, 2 * np.pi, 10, endpoint=False) + rng.uniform(0, 0.6)
    radii = np.where(np.arange(10) % 2 == 0, 150.0, 90.0) * zoom
    centre = np.array([width / 2, height / 2])
    shell = centre + np.c_[radii * np.cos(angles), radii * np.sin(angles)]
    hole = centre + np.array([[-30, -30], [30, -25], [25, 30], [-25, 25]]) * zoom
    inside = np.zeros((height, width), np.uint8)
    cv2.fillPoly(inside, [np.round(shell * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    cv2.fillPoly(inside, [np.round(hole * 16).astype(np.int32)], 0, cv2.LINE_8, 4)
    colour = np.clip(np.array([40, 170, 230]) + rng.normal(0, 6, (height, width, 3)), 0, 255)
    image = np.where(inside[..., None] == 1, colour.astype(np.uint8), image)
    return image, shapely.Polygon(shell, [hole])


def iou(polygon: Polygon, truth: shapely.Polygon) -> float:
    shape = shapely.Polygon(polygon.shell, polygon.holes)
    return float(shape.intersection(truth).area / shape.union(truth).area)


def framing(truth: shapely.Polygon, pad: float = 6.0) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = truth.bounds
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


@pytest.mark.parametrize("seed", [1, 2])
def test_box_on_clutter_gives_the_star_with_its_hole(seed: int) -> None:
    image, truth = star_scene(seed)
    polygons = grabcut_polygons(image, framing(truth))
    assert polygons, "no polygon"
    assert iou(polygons[0], truth) > 0.9
    assert len(polygons[0].holes) == 1
    hole = shapely.Polygon(polygons[0].holes[0])
    true_hole = shapely.Polygon(truth.interiors[0])
    assert hole.intersection(true_hole).area / hole.union(true_hole).area > 0.8
    assert len(polygons[0].shell) + len(polygons[0].holes[0]) <= 64


def test_vertex_budget_is_kept_and_the_outline_stays_close() -> None:
    image, truth = star_scene(3)
    [polygon, *_] = grabcut_polygons(image, framing(truth), max_vertices=16)
    assert len(polygon.vertices) <= 16
    assert len(polygon.shell) >= 10  # the star's ten corners survive
    assert iou(polygon, truth) > 0.85


def test_large_box_is_cut_at_reduced_size_and_still_fits() -> None:
    image, truth = star_scene(4, height=1200, width=1600, zoom=3.2)
    mask, origin, scale = grabcut_mask(image, framing(truth, 20), iterations=2)
    assert scale < 1.0
    assert mask.size <= WORK_PIXELS * 1.01
    polygons = mask_polygons(mask, origin=origin, scale=scale, min_fraction=0.05)
    assert iou(polygons[0], truth) > 0.9
    assert len(polygons[0].holes) == 1


def test_box_touching_the_image_border_still_works() -> None:
    image, truth = star_scene(5)
    shifted = np.ascontiguousarray(image[:, 150:])  # the star's left tip touches the edge
    moved_truth = shapely.affinity.translate(truth, -150, 0).intersection(
        shapely.box(0, 0, shifted.shape[1], shifted.shape[0]))
    x0, y0, x1, y1 = moved_truth.bounds
    [polygon, *_] = grabcut_polygons(shifted, (x0 - 30, y0 - 5, x1 + 5, y1 + 5))
    assert iou(polygon, moved_truth) > 0.9


def with_blob(seed: int) -> tuple[np.ndarray, shapely.Polygon, np.ndarray, shapely.Polygon]:
    """The star scene with a magenta disc touching a tip from outside, inside the box.

    Its colour appears nowhere outside the box, so GrabCut's colour models
    take it for part of the object.
    """
    image, truth = star_scene(seed)
    tip = np.asarray(truth.exterior.coords[0])
    centre = np.asarray(truth.centroid.coords[0])
    out = (tip - centre) / np.linalg.norm(tip - centre)
    blob = tip - out * 10 + np.array([-out[1], out[0]]) * 35
    cv2.circle(image, (int(blob[0]), int(blob[1])), 28, (220, 30, 200), -1)
    return image, truth, blob, shapely.Point(blob).buffer(28) - truth


@pytest.mark.parametrize("seed", [1, 7])
def test_a_background_click_removes_a_blob_grabcut_took(seed: int) -> None:
    image, truth, blob, blob_area = with_blob(seed)

    def blob_share(polygon: Polygon) -> float:
        shape = shapely.Polygon(polygon.shell, polygon.holes)
        return float(shape.intersection(blob_area).area / blob_area.area)

    [plain, *_] = grabcut_polygons(image, framing(truth))
    assert blob_share(plain) > 0.5
    [clicked, *_] = grabcut_polygons(image, framing(truth), clicks=[(blob[0], blob[1], 0)])
    assert blob_share(clicked) < 0.05
    assert iou(clicked, truth) > iou(plain, truth)
    assert iou(clicked, truth) > 0.93


def test_same_box_gives_the_same_outline() -> None:
    image, truth = star_scene(2)
    first = grabcut_polygons(image, framing(truth), iterations=2)
    cv2.kmeans(np.random.default_rng(0).random((50, 2), dtype=np.float32), 3, None,
               (cv2.TERM_CRITERIA_COUNT, 3, 0), 1, cv2.KMEANS_RANDOM_CENTERS)  # stir the RNG
    assert grabcut_polygons(image, framing(truth), iterations=2) == first


@pytest.mark.parametrize(("box", "words"), [
    ((10, 10, 12, 200), "smaller than 4 x 4"),
    ((700, 10, 900, 200), "smaller than 4 x 4"),
    ((10, float("nan"), 40, 40), "not finite"),
])
def test_bad_boxes_are_refused_in_one_line(box: tuple[float, ...], words: str) -> None:
    image, _ = star_scene(1)
    with pytest.raises(AnnotatorError, match=words):
        grabcut_polygons(image, box)


def test_grey_image_is_refused() -> None:
    with pytest.raises(AnnotatorError, match="8-bit colour image"):
        grabcut_polygons(np.zeros((50, 50), np.uint8), (5, 5, 40, 40))


def test_progress_false_cancels() -> None:
    image, truth = star_scene(1)
    calls: list[float] = []

    def progress(fraction: float) -> bool:
        calls.append(fraction)
        return False

    with pytest.raises(Cancelled):
        grabcut_polygons(image, framing(truth), iterations=4, progress=progress)
    assert calls == [0.25]


def test_mask_polygons_keeps_holes_and_drops_specks() -> None:
    mask = np.zeros((100, 120), np.uint8)
    mask[10:90, 10:70] = 1
    mask[30:50, 30:50] = 0      # a hole, kept
    mask[70:72, 20:22] = 0      # a 4-pixel pinhole, dropped
    mask[5:7, 100:102] = 1      # a 4-pixel speck, dropped
    mask[20:60, 85:110] = 1     # a second region, kept
    polygons = mask_polygons(mask)
    assert [len(p.holes) for p in polygons] == [1, 0]
    first = shapely.Polygon(polygons[0].shell, polygons[0].holes)
    assert first.area == pytest.approx(60 * 80 - 20 * 20, abs=4)
    assert shapely.Polygon(polygons[1].shell).bounds == pytest.approx((85, 20, 110, 60))


def test_speckled_mask_keeps_only_real_holes_and_regions() -> None:
    rng = np.random.default_rng(0)
    mask = (rng.random((400, 500)) > 0.03).astype(np.uint8)  # thousands of pinholes
    mask[:, :3] = mask[:3, :] = 0
    mask[100:200, 100:200] = 0                                 # a real hole ...
    mask[320:390, 420:495] = 0                                 # ... and another,
    mask[320:390, 420:495][rng.random((70, 75)) > 0.98] = 1    # speckled
    [polygon] = mask_polygons(mask, max_vertices=1000)
    bounds = sorted(shapely.Polygon(hole).bounds for hole in polygon.holes)
    assert bounds == [pytest.approx((100, 100, 200, 200), abs=1),
                      pytest.approx((420, 320, 495, 390), abs=1)]


def test_one_pixel_wide_strokes_become_thin_polygons() -> None:
    mask = np.zeros((40, 60), np.uint8)
    mask[10, 5:45] = 1           # a horizontal stroke, 40 pixels
    [polygon] = mask_polygons(mask)
    assert shapely.Polygon(polygon.shell).bounds == pytest.approx((5, 10, 45, 11))


def test_empty_mask_gives_nothing() -> None:
    assert mask_polygons(np.zeros((30, 30), np.uint8)) == []
    single = np.zeros((30, 30), np.uint8)
    single[4, 4] = 1
    assert mask_polygons(single) == []


def test_mask_polygons_at_half_scale_lands_on_image_pixels() -> None:
    mask = np.zeros((50, 50), np.uint8)
    mask[10:30, 5:25] = 1
    [polygon] = mask_polygons(mask, origin=(100, 200), scale=0.5)
    assert shapely.Polygon(polygon.shell).bounds == pytest.approx((110, 220, 150, 260))


def test_simplify_rings_drops_smallest_holes_when_the_budget_is_tight() -> None:
    square = np.array([[0, 0], [100, 0], [100, 100], [0, 100]], float)
    holes = [np.array([[x, 10], [x + size, 10], [x + size, 10 + size], [x, 10 + size]], float)
             for x, size in ((10, 5), (30, 20), (60, 10))]
    rings = simplify_rings([square, *holes], 10)
    assert sum(len(r) for r in rings) <= 10
    assert len(rings[0]) == 4
    # the 5 x 5 hole goes first; a square cannot shrink to a triangle within
    # any tolerance that keeps the shell, so the 10 x 10 one goes too
    assert [round(shapely.Polygon(r).area) for r in rings[1:]] == [400]
    assert len(simplify_rings([square, *holes], 12)) == 3


def schema() -> LabelSchema:
    return LabelSchema("s", (LabelClass("building", "#ff0000", ("polygon",)),
                             LabelClass("car", "#00ff00", ("box",))))


def request_for(image: np.ndarray, box: tuple[float, float, float, float], label: str,
                ) -> AssistRequest:
    item = Item(1, "scene.png", "image", "png", "0" * 64, image.nbytes, image.shape[1],
                image.shape[0])
    return AssistRequest(item, label, schema(), Prompt("box", box=box), image=image,
                         settings={"max_vertices": "24", "iterations": 3})


def test_entry_point_is_discovered_and_runs() -> None:
    assist = discover().get("grabcut")
    assert isinstance(assist, Assist)
    assert (assist.media, assist.prompt) == ("image", "box")
    image, truth = star_scene(6)
    proposals = run(assist, request_for(image, framing(truth), "building"))
    assert proposals and proposals[0].label == "building"
    assert proposals[0].item_id is None
    assert len(proposals[0].geometry.vertices) <= 24
    assert iou(proposals[0].geometry, truth) > 0.9


def test_clicks_travel_with_the_box_prompt() -> None:
    image, truth, blob, blob_area = with_blob(7)
    request = request_for(image, framing(truth), "building")
    request.prompt = Prompt("box", box=framing(truth), points=np.array([blob]), labels=[0])
    [proposal, *_] = run(discover().get("grabcut"), request)
    shape = shapely.Polygon(proposal.geometry.shell, proposal.geometry.holes)
    assert shape.intersection(blob_area).area < 0.05 * blob_area.area


def test_run_reports_a_class_that_takes_no_polygons() -> None:
    image, truth = star_scene(6)
    with pytest.raises(AssistError, match=r"grabcut: .*'car' does not allow polygon"):
        run(discover().get("grabcut"), request_for(image, framing(truth), "car"))
