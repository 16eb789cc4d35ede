"""Flood fill from clicks: the region of similar colour under the cursor, as polygons.

``cv2.floodFill`` with ``FLOODFILL_FIXED_RANGE`` takes every 8-connected
pixel whose colour lies within ``tolerance`` of the clicked pixel in each
channel.  Only the filled region's bounding rectangle is traced, so a click
on a small object of a 12-megapixel photo costs little more than the fill.
Further foreground clicks add their regions.  A background click (label 0)
cuts out the pixels its own fill reaches that are nearer its colour than
the colour of every foreground click: a car's door is kept apart from the
similar wing beside it.

>>> import numpy as np
>>> image = np.zeros((60, 80, 3), np.uint8)
>>> image[10:50, 20:70] = (200, 40, 40)
>>> image[25:35, 40:50] = (0, 0, 0)
>>> [polygon] = wand_polygons(image, [(30.0, 15.0)])
>>> polygon.shell.min(axis=0).tolist(), polygon.shell.max(axis=0).tolist()
([20.0, 10.0], [70.0, 50.0])
>>> len(polygon.holes)
1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from annotator_assist_grabcut.outline import mask_polygons

from annotator.errors import AnnotatorError
from annotator.shapes import Polygon

__all__ = ["fill_mask", "wand_polygons"]


def fill_mask(image: npt.NDArray[np.uint8], seed: Sequence[float], tolerance: int,
              ) -> tuple[npt.NDArray[np.uint8], tuple[int, int]]:
    """The region filled from ``seed`` (image pixels x, y) and its top-left corner.

    The mask covers the fill's bounding rectangle; 1 inside.
    """
    height, width = image.shape[:2]
    x, y = _pixel(seed, width, height)
    tol = int(min(max(tolerance, 0), 255))
    mask = np.zeros((height + 2, width + 2), np.uint8)
    flags = 8 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
    _, _, _, rect = cv2.floodFill(image, mask, (x, y), (0, 0, 0), (tol,) * 3, (tol,) * 3, flags)
    rx, ry, rw, rh = rect
    return mask[ry + 1: ry + 1 + rh, rx + 1: rx + 1 + rw], (rx, ry)


def wand_polygons(image: npt.NDArray[np.uint8], points: Sequence[Sequence[float]],
                  labels: Sequence[int] | None = None, *, tolerance: int = 24,
                  max_vertices: int = 64, min_area: float = 16.0) -> list[Polygon]:
    """The regions filled from the foreground clicks, less those of the background clicks.

    ``points`` are ``(x, y)`` image pixels; ``labels`` 1 (foreground, the
    default) or 0 (background).  Holes are kept; largest first.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise AnnotatorError(f"the magic wand needs an 8-bit colour image, got {image.dtype} "
                             f"of shape {image.shape}")
    image = np.ascontiguousarray(image)
    kinds = [1] * len(points) if labels is None else [int(v) for v in labels]
    if len(kinds) != len(points):
        raise AnnotatorError(f"the magic wand got {len(points)} clicks but {len(kinds)} labels")
    fills = [(fill_mask(image, point, tolerance), point, kind)
             for point, kind in zip(points, kinds, strict=True)]
    inside = [fill for fill, _, kind in fills if kind != 0]
    if not inside:
        raise AnnotatorError("the magic wand needs at least one foreground click")
    x0 = min(o[0] for m, o in inside)
    y0 = min(o[1] for m, o in inside)
    x1 = max(o[0] + m.shape[1] for m, o in inside)
    y1 = max(o[1] + m.shape[0] for m, o in inside)
    union = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for mask, (ox, oy) in inside:
        _paint(union, mask, ox - x0, oy - y0, 1)
    wanted = [_colour(image, point) for _, point, kind in fills if kind != 0]
    for (mask, (ox, oy)), point, kind in fills:
        if kind != 0:
            continue
        pixels = image[oy: oy + mask.shape[0], ox: ox + mask.shape[1]].astype(np.int32)
        own = _distance(pixels, _colour(image, point))
        nearer = np.all([own < _distance(pixels, colour) for colour in wanted], axis=0)
        _paint(union, (mask != 0) & nearer, ox - x0, oy - y0, 0)
    return mask_polygons(union, origin=(x0, y0), max_vertices=max_vertices, min_area=min_area)


def _colour(image: npt.NDArray[np.uint8], point: Sequence[float]) -> npt.NDArray[np.int32]:
    x, y = _pixel(point, image.shape[1], image.shape[0])
    return np.asarray(image[y, x], dtype=np.int32)


def _distance(pixels: npt.NDArray[np.int32], colour: npt.NDArray[np.int32]) -> npt.NDArray[Any]:
    """Largest per-channel difference: the measure the fixed-range fill uses."""
    difference: npt.NDArray[Any] = np.abs(pixels - colour).max(axis=-1)
    return difference


def _paint(target: npt.NDArray[np.uint8], mask: npt.NDArray[Any], dx: int, dy: int,
           value: int) -> None:
    """Set ``target`` to ``value`` where ``mask`` (placed at ``dx, dy``) is set, clipped."""
    rows, cols = target.shape
    ty0, tx0 = max(dy, 0), max(dx, 0)
    ty1, tx1 = min(dy + mask.shape[0], rows), min(dx + mask.shape[1], cols)
    if ty1 <= ty0 or tx1 <= tx0:
        return
    part = mask[ty0 - dy: ty1 - dy, tx0 - dx: tx1 - dx] != 0
    target[ty0:ty1, tx0:tx1][part] = value


def _pixel(seed: Sequence[Any], width: int, height: int) -> tuple[int, int]:
    try:
        x, y = (float(v) for v in seed)
    except (TypeError, ValueError):
        raise AnnotatorError(f"the magic wand needs a click x, y, got {seed!r}") from None
    if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < width and 0 <= y < height):
        raise AnnotatorError(f"the click ({x:g}, {y:g}) lies outside the {width} x {height} image")
    return int(x), int(y)
