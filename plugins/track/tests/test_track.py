"""Tracking shapes into a shifted copy of a textured image, whose shift is known."""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
import pytest
from annotator_assist_track import Assist, follow, follow_shapes, moved

from annotator.errors import AnnotatorError, Cancelled
from annotator.model import Annotation, AttributeSpec, Item, LabelClass, LabelSchema
from annotator.plugins import AssistError, AssistRequest, Prompt, discover, run
from annotator.shapes import Box, Cuboid, Point, Polygon, Polyline, RotatedBox


@functools.cache
def textured(seed: int = 1, height: int = 600, width: int = 800) -> np.ndarray:
    """Smoothed colour noise under a couple of hundred anti-aliased discs."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = cv2.normalize(cv2.GaussianBlur(noise, (0, 0), 2.0), None, 0, 255, cv2.NORM_MINMAX)
    for _ in range(200):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(image, centre, int(rng.integers(3, 25)), colour, -1, cv2.LINE_AA)
    return np.asarray(image, dtype=np.uint8)


def shifted(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """``image`` moved by ``(dx, dy)`` pixels (bilinear for fractions)."""
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return np.asarray(cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]),
                                     flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))


BOXES = [Box.from_corners(x, y, x + w, y + h)
         for x, y, w, h in [(100, 100, 80, 50), (400, 300, 60, 90), (600, 450, 120, 70),
                            (220, 380, 40, 40), (520.5, 80.25, 100.5, 60)]]
SHIFTS = [(7.0, -4.0), (-12.0, 9.0), (3.4, 2.7), (-12.25, 5.5), (0.5, -0.75), (30.6, -18.3)]


@pytest.mark.parametrize(("dx", "dy"), SHIFTS)
def test_boxes_follow_integer_and_subpixel_shifts(dx: float, dy: float) -> None:
    image = textured()
    results = follow_shapes(image, shifted(image, dx, dy), BOXES)
    for box, result in zip(BOXES, results, strict=True):
        assert result is not None
        placed, motion = result
        assert isinstance(placed, Box)
        assert np.abs(placed.corners - box.corners - (dx, dy)).max() < 1.0
        assert np.abs(placed.corners - box.corners - (dx, dy)).max() < 0.25  # in fact
        assert 0 < motion.score <= 1


@pytest.mark.parametrize(("dx", "dy"), SHIFTS)
def test_template_matching_alone_also_lands_within_a_pixel(dx: float, dy: float) -> None:
    image = textured(2)
    after = shifted(image, dx, dy)
    for box in BOXES:
        motion = follow(image, after, (*box.corners[0], *box.corners[1]), min_features=100_000)
        assert motion is not None and motion.method == "template"
        assert abs(motion.dx - dx) < 1.0 and abs(motion.dy - dy) < 1.0
        assert abs(motion.dx - dx) < 0.35 and abs(motion.dy - dy) < 0.35  # in fact


def test_flow_is_used_where_corners_track() -> None:
    image = textured(3)
    motion = follow(image, shifted(image, 5.5, -2.0), (300, 200, 400, 280))
    assert motion is not None and motion.method == "flow"
    assert (motion.dx, motion.dy) == (pytest.approx(5.5, abs=0.1), pytest.approx(-2.0, abs=0.1))


def test_every_kind_of_image_shape_moves() -> None:
    image = textured(4)
    dx, dy = 6.3, -3.6
    shapes = [
        Polygon(np.array([[300.0, 300], [380, 310], [360, 390], [310, 370]])),
        Polyline(np.array([[100.0, 400], [160, 420], [200, 480]])),
        Point.at(500.0, 200.0),
        RotatedBox(650.0, 300.0, 80.0, 40.0, 0.4),
    ]
    results = follow_shapes(image, shifted(image, dx, dy), shapes)
    for shape, result in zip(shapes, results, strict=True):
        assert result is not None
        placed = result[0]
        assert type(placed) is type(shape)
        assert np.abs(placed.vertices - shape.vertices - (dx, dy)).max() < 1.0
    assert results[3] is not None and results[3][0].angle == pytest.approx(0.4)


def test_lost_objects_are_not_proposed() -> None:
    image = textured(5)
    flat = np.full_like(image, 90)
    assert follow_shapes(image, flat, BOXES[:2]) == [None, None]
    unrelated = textured(6)
    assert follow(image, unrelated, (100, 100, 180, 150), min_features=100_000) is None


def test_shapes_leaving_the_image_are_cut_or_dropped() -> None:
    assert moved(Box.from_corners(700, 10, 790, 60), 50, 0, 800, 600) == Box.from_corners(
        750, 10, 800, 60)
    assert moved(Box.from_corners(700, 10, 790, 60), 150, 0, 800, 600) is None
    cut = moved(Polygon(np.array([[700.0, 10], [790, 10], [790, 60]])), 50, 0, 800, 600)
    assert isinstance(cut, Polygon) and cut.vertices[:, 0].max() == 800
    line = Polyline(np.array([[780.0, 10], [790, 20]]))
    assert moved(line, 15, 0, 800, 600) == Polyline(np.array([[795.0, 10], [805, 20]]))
    assert moved(Point.at(790, 10), 15, 0, 800, 600) is None


def test_three_dimensional_shapes_are_skipped() -> None:
    image = textured()
    cuboid = Cuboid(np.zeros((1, 3)), np.ones((1, 3)))
    assert follow_shapes(image, image, [cuboid]) == [None]


def test_cancel_stops_between_shapes() -> None:
    image = textured()
    seen: list[float] = []

    def progress(fraction: float) -> bool:
        seen.append(fraction)
        return len(seen) < 2

    with pytest.raises(Cancelled):
        follow_shapes(image, shifted(image, 1, 1), BOXES, progress=progress)
    assert seen == [0.2, 0.4]


def test_grey_images_are_refused() -> None:
    image = textured()
    with pytest.raises(AnnotatorError, match="next image is uint8 of shape"):
        follow_shapes(image, image[..., 0], BOXES)


def project() -> tuple[LabelSchema, Item, Item]:
    schema = LabelSchema("s", (
        LabelClass("car", "#ff0000", ("box", "polygon"), (AttributeSpec("occluded", "bool"),)),
        LabelClass("lane", "#00ff00", ("polyline",)),
    ))
    first = Item(10, "f0.png", "image", "png", "0" * 64, 1, 800, 600)
    second = Item(11, "f1.png", "image", "png", "1" * 64, 1, 800, 600)
    return schema, first, second


def test_entry_point_tracks_the_selection_to_the_next_item() -> None:
    assist = discover().get("track")
    assert isinstance(assist, Assist)
    assert (assist.media, assist.prompt) == ("image", "selection")
    schema, first, second = project()
    image = textured(7)
    after = shifted(image, -4.5, 2.25)
    annotations = [
        Annotation(1, 10, "car", Box.from_corners(100, 100, 180, 150), {"occluded": True}),
        Annotation(2, 10, "lane", Polyline(np.array([[300.0, 500], [400, 420]]))),
        Annotation(3, 10, "car", Box.from_corners(500, 300, 580, 360)),
        Annotation(4, 10, "car", Box.from_corners(600, 100, 680, 160), hidden=True),
    ]
    request = AssistRequest(first, "lane", schema, Prompt("selection"), image=image,
                            annotations=annotations, selected=[2, 1],
                            next_item=second, next_image=after)
    proposals = run(assist, request)
    assert [(p.label, p.item_id) for p in proposals] == [("car", 11), ("lane", 11)]
    assert dict(proposals[0].attributes) == {"occluded": True}
    for proposal, annotation in zip(proposals, annotations, strict=False):
        shift = proposal.geometry.vertices - annotation.geometry.vertices
        assert np.abs(shift - (-4.5, 2.25)).max() < 1.0
        assert proposal.score is not None and math.isfinite(proposal.score)
    everything = run(assist, AssistRequest(first, "car", schema, Prompt("selection"),
                                           image=image, annotations=annotations,
                                           next_item=second, next_image=after))
    assert len(everything) == 3  # the hidden one stays behind


def test_entry_point_needs_a_next_item() -> None:
    schema, first, _ = project()
    image = textured(7)
    request = AssistRequest(first, "car", schema, Prompt("selection"), image=image,
                            annotations=[Annotation(1, 10, "car", BOXES[0])], selected=[1])
    with pytest.raises(AssistError, match="track: there is no next item"):
        run(discover().get("track"), request)
