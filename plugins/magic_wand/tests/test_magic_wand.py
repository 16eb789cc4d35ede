"""Magic wand on generated scenes with a known outline: a star with a hole on clutter."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import shapely
from annotator_assist_magic_wand import Assist, fill_mask, wand_polygons

from annotator.errors import AnnotatorError
from annotator.model import Item, LabelClass, LabelSchema
from annotator.plugins import AssistRequest, Prompt, discover, run
from annotator.shapes import Polygon


def star_scene(seed: int, height: int = 480, width: int = 640,
               ) -> tuple[np.ndarray, shapely.Polygon]:
    """A light-blue star with a hole over blurred colour noise and small shapes."""
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), (0, 0), 1)
    for _ in range(400):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        cv2.circle(image, (x, y), int(rng.integers(2, 10)), colour, -1)
    angles = np.linspace(0, 2 * np.pi, 10, endpoint=False) + rng.uniform(0, 0.6)
    radii = np.where(np.arange(10) % 2 == 0, 150.0, 90.0)
    centre = np.array([width / 2, height / 2])
    shell = centre + np.c_[radii * np.cos(angles), radii * np.sin(angles)]
    hole = centre + np.array([[-30.0, -30], [30, -25], [25, 30], [-25, 25]])
    inside = np.zeros((height, width), np.uint8)
    cv2.fillPoly(inside, [np.round(shell * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    cv2.fillPoly(inside, [np.round(hole * 16).astype(np.int32)], 0, cv2.LINE_8, 4)
    colour = np.clip(np.array([40, 170, 230]) + rng.normal(0, 5, (height, width, 3)), 0, 255)
    image = np.where(inside[..., None] == 1, colour.astype(np.uint8), image)
    return image, shapely.Polygon(shell, [hole])


def iou(polygon: Polygon, truth: shapely.Polygon) -> float:
    shape = shapely.Polygon(polygon.shell, polygon.holes)
    return float(shape.intersection(truth).area / shape.union(truth).area)


def a_click_inside(truth: shapely.Polygon) -> tuple[float, float]:
    centre = np.asarray(truth.centroid.coords[0])
    point = centre + np.array([0.0, 60.0])
    assert truth.contains(shapely.Point(point))
    return float(point[0]), float(point[1])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_click_on_clutter_gives_the_star_with_its_hole(seed: int) -> None:
    image, truth = star_scene(seed)
    [polygon] = wand_polygons(image, [a_click_inside(truth)])
    assert iou(polygon, truth) > 0.9
    assert len(polygon.holes) == 1
    hole, true_hole = shapely.Polygon(polygon.holes[0]), shapely.Polygon(truth.interiors[0])
    assert hole.intersection(true_hole).area / hole.union(true_hole).area > 0.8
    assert len(polygon.vertices) <= 64


def test_tolerance_decides_how_far_the_fill_runs() -> None:
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 40, axis=0)
    image = np.ascontiguousarray(np.dstack([ramp] * 3))
    widths = []
    for tolerance in (0, 10, 40):
        mask, (x0, _) = fill_mask(image, (128.5, 20.5), tolerance)
        columns = np.flatnonzero(mask.any(axis=0)) + x0
        widths.append((int(columns.min()), int(columns.max())))
    assert widths == [(128, 128), (118, 138), (88, 168)]


def test_fill_is_cut_at_the_hole_and_at_a_colour_step() -> None:
    image = np.zeros((60, 100, 3), np.uint8)
    image[10:50, 10:90] = (120, 60, 30)
    image[10:50, 60:90] = (120, 60, 90)      # 60 levels off in blue: another region
    image[20:40, 20:40] = (0, 0, 0)           # a hole
    [polygon] = wand_polygons(image, [(15, 15)], tolerance=24)
    assert shapely.Polygon(polygon.shell).bounds == pytest.approx((10, 10, 60, 50))
    assert [shapely.Polygon(h).bounds for h in polygon.holes] == [pytest.approx((20, 20, 40, 40))]


def test_two_clicks_join_and_a_background_click_cuts() -> None:
    image = np.zeros((60, 140, 3), np.uint8)
    image[10:50, 10:50] = (100, 100, 200)
    image[10:50, 50:90] = (130, 100, 200)     # within 40 of the first: one fill takes both
    image[10:50, 100:130] = (100, 100, 200)   # same colour, not connected
    both = wand_polygons(image, [(20, 20)], tolerance=40)
    assert [shapely.Polygon(p.shell).bounds for p in both] == [pytest.approx((10, 10, 90, 50))]
    joined = wand_polygons(image, [(20, 20), (110, 20)], tolerance=40)
    assert len(joined) == 2
    cut = wand_polygons(image, [(20, 20), (70, 20)], [1, 0], tolerance=40)
    assert [shapely.Polygon(p.shell).bounds for p in cut] == [pytest.approx((10, 10, 50, 50))]


@pytest.mark.parametrize(("points", "labels", "words"), [
    ([(700.0, 10.0)], None, "outside the 640 x 480 image"),
    ([(10.0, float("inf"))], None, "outside"),
    ([(10.0, 10.0)], [0], "at least one foreground click"),
    ([(10.0, 10.0)], [1, 0], "1 clicks but 2 labels"),
])
def test_bad_clicks_are_refused_in_one_line(points: list[tuple[float, float]],
                                            labels: list[int] | None, words: str) -> None:
    image, _ = star_scene(1)
    with pytest.raises(AnnotatorError, match=words):
        wand_polygons(image, points, labels)


def test_entry_point_is_discovered_and_runs_with_settings() -> None:
    assist = discover().get("magic_wand")
    assert isinstance(assist, Assist)
    assert (assist.media, assist.prompt) == ("image", "click")
    image, truth = star_scene(4)
    schema = LabelSchema("s", (LabelClass("sign", "#ff0000", ("polygon",)),))
    item = Item(3, "a.png", "image", "png", "0" * 64, image.nbytes, 640, 480)
    prompt = Prompt("click", points=np.array([a_click_inside(truth)]))
    request = AssistRequest(item, "sign", schema, prompt, image=image,
                            settings={"tolerance": 30, "max_vertices": 20})
    [proposal] = run(assist, request)
    assert proposal.label == "sign" and proposal.item_id is None
    assert len(proposal.geometry.vertices) <= 20
    assert iou(proposal.geometry, truth) > 0.9
    narrow = run(assist, AssistRequest(item, "sign", schema, prompt, image=image,
                                       settings={"tolerance": 0}))
    assert sum(shapely.Polygon(p.geometry.shell).area for p in narrow) < 0.01 * truth.area
