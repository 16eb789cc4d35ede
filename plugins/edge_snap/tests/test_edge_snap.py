"""Edge snapping on generated images whose edges lie at known places."""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
import pytest
from annotator_assist_edge_snap import Assist, snap_to_edge

from annotator.errors import AnnotatorError
from annotator.model import Item, LabelClass, LabelSchema
from annotator.plugins import AssistRequest, Prompt, discover, snap_point


def noisy(image: np.ndarray, sigma: float = 3.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def step_image(column: int = 100, low: int = 60, high: int = 180,
               sigma: float = 3.0) -> np.ndarray:
    """Columns before ``column`` dark, from it on bright: the edge lies at x = column."""
    image = np.full((200, 200, 3), low, np.float64)
    image[:, column:] = high
    return noisy(image, sigma)


@functools.cache
def disc_image(cx: float, cy: float, radius: float) -> np.ndarray:
    """A bright disc, each pixel shaded by the part of it the disc covers (8 x 8 samples)."""
    samples = 8
    rows, cols = np.mgrid[0:300 * samples, 0:300 * samples]
    inside = ((cols + 0.5) / samples - cx) ** 2 + ((rows + 0.5) / samples - cy) ** 2 <= radius**2
    cover = inside.reshape(300, samples, 300, samples).mean(axis=(1, 3))
    image = 50 + cover[..., None] * np.array([160.0, 140.0, 120.0])
    return noisy(image, 2.0, 1)


@pytest.mark.parametrize(("x", "y"), [(95.3, 50.2), (104.8, 120.0), (93.0, 10.5)])
def test_vertex_lands_on_a_straight_edge(x: float, y: float) -> None:
    found = snap_to_edge(step_image(), (x, y))
    assert found is not None
    sx, sy, strength = found
    assert abs(sx - 100.0) < 1.0
    assert abs(sx - 100.0) < 0.25  # sub-pixel, in fact
    assert abs(sy - y) < 0.6        # moved across the edge, hardly along it
    assert strength == pytest.approx(120, rel=0.15)


@pytest.mark.parametrize("angle", np.linspace(0, 2 * np.pi, 12, endpoint=False).tolist())
@pytest.mark.parametrize("offset", [-5.0, 4.0])
def test_vertex_lands_on_a_circle(angle: float, offset: float) -> None:
    cx, cy, radius = 150.3, 149.6, 60.0
    image = disc_image(cx, cy, radius)
    click = (cx + (radius + offset) * math.cos(angle), cy + (radius + offset) * math.sin(angle))
    found = snap_to_edge(image, click)
    assert found is not None
    distance = math.hypot(found[0] - cx, found[1] - cy)
    assert abs(distance - radius) < 1.0
    assert abs(distance - radius) < 0.35  # sub-pixel, in fact


def test_flat_area_gives_nothing() -> None:
    flat = noisy(np.full((100, 100, 3), 128.0), sigma=4.0)
    assert snap_to_edge(flat, (50.0, 50.0)) is None


def test_edge_beyond_the_radius_is_not_taken() -> None:
    image = step_image()
    assert snap_to_edge(image, (90.0, 50.0), radius=8) is None
    assert snap_to_edge(image, (90.0, 50.0), radius=12) is not None


def test_weak_edge_is_ignored_unless_allowed() -> None:
    image = step_image(low=120, high=135, sigma=1.5)
    assert snap_to_edge(image, (97.0, 50.0)) is None
    found = snap_to_edge(image, (97.0, 50.0), min_strength=10)
    assert found is not None and abs(found[0] - 100) < 1.0


def test_nearest_of_two_edges_wins() -> None:
    image = np.full((100, 200, 3), 40.0)
    image[:, 100:] = 140
    image[:, 110:] = 240
    image = noisy(image)
    near_first, near_second = snap_to_edge(image, (103.0, 50.0)), snap_to_edge(image, (108.0, 50.0))
    assert near_first is not None and abs(near_first[0] - 100) < 1.0
    assert near_second is not None and abs(near_second[0] - 110) < 1.0


def test_points_at_the_image_border_work() -> None:
    image = step_image(column=3)
    found = snap_to_edge(image, (0.0, 0.0))
    assert found is not None and abs(found[0] - 3) < 1.0
    assert snap_to_edge(image, (200.0, 200.0)) is None


def test_edge_between_equally_bright_colours_is_found() -> None:
    image = np.zeros((100, 100, 3), np.float64)
    image[:, :50] = (200, 60, 90)
    image[:, 50:] = (60, 120, 140)   # about the same grey as the left side
    image = noisy(image)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(float)
    assert abs(grey[:, 40].mean() - grey[:, 60].mean()) < 5
    found = snap_to_edge(image, (45.0, 50.0))
    assert found is not None and abs(found[0] - 50) < 1.0
    assert found[2] == pytest.approx(140, rel=0.15)


def test_grey_image_works_too() -> None:
    grey = np.ascontiguousarray(step_image()[..., 0])
    found = snap_to_edge(grey, (97.0, 30.0))
    assert found is not None and abs(found[0] - 100) < 1.0


@pytest.mark.parametrize(("point", "words"), [
    ((250.0, 10.0), "outside the 200 x 200 image"),
    ((float("nan"), 10.0), "not finite"),
    (("a", 10.0), "needs a point x, y"),
])
def test_bad_points_are_refused_in_one_line(point: tuple[object, ...], words: str) -> None:
    with pytest.raises(AnnotatorError, match=words):
        snap_to_edge(step_image(), point)  # type: ignore[arg-type]


def test_entry_point_snaps_through_snap_point() -> None:
    assist = discover().get("edge_snap")
    assert isinstance(assist, Assist)
    assert (assist.media, assist.prompt) == ("image", "click")
    image = step_image()
    schema = LabelSchema("s", (LabelClass("road", "#ff0000", ("polygon",)),))
    item = Item(1, "a.png", "image", "png", "0" * 64, image.nbytes, 200, 200)

    def request(x: float, settings: dict[str, object]) -> AssistRequest:
        return AssistRequest(item, "road", schema, Prompt("click", points=np.array([[x, 40.0]])),
                             image=image, settings=settings)

    snapped = snap_point(assist, request(96.0, {}))
    assert snapped is not None and abs(snapped[0] - 100) < 1.0
    assert snap_point(assist, request(90.0, {})) is None
    assert snap_point(assist, request(90.0, {"radius": "12"})) is not None
    assert snap_point(assist, request(96.0, {"min_strength": 200})) is None
