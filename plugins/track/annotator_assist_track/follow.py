"""Follow shapes from one image to the next: optical flow, template matching as fallback.

Each shape is followed on its own, in a window around its bounding box (the
box plus a search margin), so the cost depends on the shapes, not on the
image size.  Corners found by ``cv2.goodFeaturesToTrack`` inside the box are
tracked with pyramidal Lucas-Kanade and back again; those that return to
within :data:`FB_LIMIT` pixels of where they started are trusted, and the
shape moves by their median displacement.  When fewer than ``min_features``
survive, or the survivors disagree about the shift (a flat, blurred or
repetitive object), the box's pixels are searched for in the
next image with ``cv2.matchTemplate`` (normalised correlation, peak refined
to sub-pixel by a parabola); a peak under :data:`MIN_CORRELATION` means the
object is lost and the shape is not proposed.

Only translation is estimated: the shapes keep their size and angle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import shapely

from annotator.errors import AnnotatorError, Cancelled
from annotator.shapes import Box, Geometry, Polygon

__all__ = ["FB_LIMIT", "MIN_CORRELATION", "Motion", "follow", "follow_shapes", "moved"]

UInt8Array = npt.NDArray[np.uint8]

#: forward-backward error (pixels) above which a tracked corner is not trusted
FB_LIMIT = 0.5
#: tracked corners within this many pixels of the median shift agree with it
AGREEMENT = 1.0
#: template matching below this normalised correlation has lost the object
MIN_CORRELATION = 0.6
#: boxes smaller than this (pixels) are grown to it before features are looked for
MIN_PATCH = 24
#: search margin around the box: this fraction of its larger side, and at least ...
SEARCH_FRACTION = 0.5
#: ... this many pixels (pyramidal LK with 3 levels and a 21 px window reaches about as far)
MIN_SEARCH = 48
_LK_WINDOW = (21, 21)
_LK_LEVELS = 3
_LK_STOP = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)


@dataclass(frozen=True)
class Motion:
    """How one shape moved: the shift in pixels, the method, and how sure it is (0..1)."""

    dx: float
    dy: float
    method: str          # "flow" | "template"
    score: float


def follow(image: UInt8Array, next_image: UInt8Array, box: Sequence[float], *,
           min_features: int = 8) -> Motion | None:
    """How the pixels in ``box`` (``x0, y0, x1, y1``) moved from ``image`` to ``next_image``.

    None when the object is lost (it left the image, or neither corners nor
    its template could be found again).
    """
    height = min(image.shape[0], next_image.shape[0])
    width = min(image.shape[1], next_image.shape[1])
    window = _window(box, width, height)
    if window is None:
        return None
    (rx0, ry0, rx1, ry1), (bx0, by0, bx1, by1) = window
    first = _grey(image[ry0:ry1, rx0:rx1])
    second = _grey(next_image[ry0:ry1, rx0:rx1])
    inner = (bx0 - rx0, by0 - ry0, bx1 - rx0, by1 - ry0)
    motion = _flow(first, second, inner, min_features)
    return motion if motion is not None else _template(first, second, inner)


def follow_shapes(image: UInt8Array, next_image: UInt8Array, shapes: Sequence[Geometry], *,
                  min_features: int = 8, progress: Callable[[float], bool] | None = None,
                  ) -> list[tuple[Geometry, Motion] | None]:
    """Every shape moved into ``next_image``; None for a shape that was lost or left it."""
    for name, array in (("image", image), ("next image", next_image)):
        if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
            raise AnnotatorError(f"tracking needs 8-bit colour images; the {name} is "
                                 f"{array.dtype} of shape {array.shape}")
    results: list[tuple[Geometry, Motion] | None] = []
    size = (next_image.shape[1], next_image.shape[0])
    for number, shape in enumerate(shapes):
        result = None
        if shape.dim == 2:
            low, high = shape.bounds()
            motion = follow(image, next_image, (*low, *high), min_features=min_features)
            if motion is not None:
                placed = moved(shape, motion.dx, motion.dy, *size)
                result = (placed, motion) if placed is not None else None
        results.append(result)
        if progress is not None and progress((number + 1) / len(shapes)) is False:
            raise Cancelled("tracking cancelled")
    return results


def moved(shape: Geometry, dx: float, dy: float, width: int, height: int) -> Geometry | None:
    """``shape`` shifted by ``(dx, dy)``, cut to the ``width`` x ``height`` image.

    Boxes and polygons are clipped to the image; other shapes are kept whole
    while any part of them is inside.  None once nothing is left inside.

    >>> from annotator.shapes import Point
    >>> moved(Box.from_corners(10, 10, 30, 20), 85, 0, 100, 50).to_json()
    {'kind': 'box', 'coords': [95.0, 10.0, 100.0, 20.0]}
    >>> moved(Point.at(10, 10), 100, 0, 100, 50) is None
    True
    """
    shifted = shape.translated((dx, dy))
    low, high = shifted.bounds()
    if high[0] < 0 or high[1] < 0 or low[0] > width or low[1] > height:
        return None
    if isinstance(shifted, Box):
        corners = np.clip(shifted.corners, 0, (width, height))
        if (corners[1] - corners[0] <= 0).any():
            return None
        return Box(corners)
    outside = bool((low < 0).any() or (high > (width, height)).any())
    if isinstance(shifted, Polygon) and outside:
        return _clipped_polygon(shifted, width, height)
    return shifted


def _clipped_polygon(polygon: Polygon, width: int, height: int) -> Geometry | None:
    region = shapely.Polygon(polygon.shell, polygon.holes)
    if not region.is_valid:
        region = shapely.make_valid(region)
    inside = shapely.intersection(region, shapely.box(0, 0, width, height))
    parts = [p for p in shapely.get_parts(inside) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return None
    largest = max(parts, key=lambda p: p.area)
    holes = tuple(np.asarray(h.coords)[:-1] for h in largest.interiors)
    return Polygon(np.asarray(largest.exterior.coords)[:-1], holes)


def _window(box: Sequence[float], width: int, height: int,
            ) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]] | None:
    """The search window and the box, both integer ``x0, y0, x1, y1`` inside the image."""
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = max(x1 - x0, MIN_PATCH) / 2, max(y1 - y0, MIN_PATCH) / 2
    bx0, by0 = max(math.floor(cx - half_w), 0), max(math.floor(cy - half_h), 0)
    bx1, by1 = min(math.ceil(cx + half_w), width), min(math.ceil(cy + half_h), height)
    if bx1 - bx0 < 4 or by1 - by0 < 4:
        return None
    search = max(MIN_SEARCH, math.ceil(SEARCH_FRACTION * max(bx1 - bx0, by1 - by0)))
    window = (max(bx0 - search, 0), max(by0 - search, 0),
              min(bx1 + search, width), min(by1 + search, height))
    return window, (bx0, by0, bx1, by1)


def _grey(pixels: UInt8Array) -> UInt8Array:
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY),
                      dtype=np.uint8)


def _flow(first: UInt8Array, second: UInt8Array, box: tuple[int, int, int, int],
          min_features: int) -> Motion | None:
    x0, y0, x1, y1 = box
    mask = np.zeros_like(first)
    mask[y0:y1, x0:x1] = 255
    corners = cv2.goodFeaturesToTrack(first, maxCorners=max(4 * min_features, 64),
                                      qualityLevel=0.01, minDistance=3, mask=mask)
    if corners is None or len(corners) < min_features:
        return None
    start = corners.astype(np.float32)
    ahead, status = _lucas_kanade(first, second, start)
    back, status_back = _lucas_kanade(second, first, ahead)
    error = np.hypot(*(back - start).reshape(-1, 2).T)
    good = (status.ravel() == 1) & (status_back.ravel() == 1) & (error < FB_LIMIT)
    if int(good.sum()) < min_features:
        return None
    steps = (ahead - start).reshape(-1, 2)[good]
    # corners that went back and forth consistently may still disagree with
    # each other (a texture that repeats, a pyramid that lost it): the shift
    # counts only when most of them agree on it
    agree = np.hypot(*(steps - np.median(steps, axis=0)).T) < AGREEMENT
    if int(agree.sum()) < max(min_features, 0.5 * len(steps)):
        return None
    shift = np.median(steps[agree], axis=0)
    return Motion(float(shift[0]), float(shift[1]), "flow", float(agree.sum() / len(start)))


def _lucas_kanade(first: UInt8Array, second: UInt8Array, points: npt.NDArray[np.float32],
                  ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8]]:
    moved_to, status, _ = cv2.calcOpticalFlowPyrLK(
        first, second, points, np.empty_like(points), winSize=_LK_WINDOW, maxLevel=_LK_LEVELS,
        criteria=_LK_STOP)
    return np.asarray(moved_to, dtype=np.float32), np.asarray(status, dtype=np.uint8)


def _template(first: UInt8Array, second: UInt8Array,
              box: tuple[int, int, int, int]) -> Motion | None:
    x0, y0, x1, y1 = box
    template = first[y0:y1, x0:x1]
    if float(template.std()) < 1.0:
        return None  # a flat patch matches anywhere
    scores = cv2.matchTemplate(second, template, cv2.TM_CCOEFF_NORMED)
    scores = np.nan_to_num(scores, nan=-1.0)
    _, best, _, (px, py) = cv2.minMaxLoc(scores)
    if best < MIN_CORRELATION:
        return None
    fx = _parabola(scores, py, px, axis=1)
    fy = _parabola(scores, py, px, axis=0)
    return Motion(px + fx - x0, py + fy - y0, "template", float(best))


def _parabola(scores: Any, row: int, col: int, axis: int) -> float:
    """Sub-pixel offset of the peak at ``(row, col)`` along ``axis`` (0 rows, 1 columns)."""
    index, size = (row, scores.shape[0]) if axis == 0 else (col, scores.shape[1])
    if index == 0 or index == size - 1:
        return 0.0
    if axis == 0:
        before, here, after = scores[row - 1, col], scores[row, col], scores[row + 1, col]
    else:
        before, here, after = scores[row, col - 1], scores[row, col], scores[row, col + 1]
    curve = before - 2 * here + after
    if curve >= 0:
        return 0.0
    return float(np.clip((before - after) / (2 * curve), -0.5, 0.5))
