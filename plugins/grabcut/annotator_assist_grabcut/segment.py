"""GrabCut in a window around a box: the object the box frames, as polygons.

GrabCut models the colours inside and outside the box and cuts the pixels
apart with a graph cut.  It runs on a crop of the box with a margin of
background around it, shrunk to at most :data:`WORK_PIXELS` pixels, so its
cost depends on the box, never on the image: a 600 x 400 box on a 12-megapixel
photo costs the same as on a thumbnail.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from annotator.errors import AnnotatorError, Cancelled
from annotator.shapes import Polygon
from annotator_assist_grabcut.outline import mask_polygons

__all__ = [
    "CLICK_FRACTION",
    "CLICK_RADIUS",
    "GRABCUT_SEED",
    "MIN_BOX",
    "WORK_PIXELS",
    "crop_window",
    "grabcut_mask",
    "grabcut_polygons",
]

#: crops larger than this many pixels are shrunk before GrabCut runs
WORK_PIXELS = 160_000
#: a box narrower or lower than this (image pixels) frames no object
MIN_BOX = 4.0
#: background margin around the box: this fraction of its larger side ...
MARGIN_FRACTION = 0.15
#: ... and at least this many image pixels
MIN_MARGIN = 12
#: a click pins a disc of this fraction of the box's larger side ...
CLICK_FRACTION = 0.03
#: ... and at least this many image pixels: a few pinned pixels are outvoted
#: by the colour model learnt from the whole box
CLICK_RADIUS = 14
#: ... where the colour is within this of the clicked pixel's, in every channel
CLICK_TOLERANCE = 40
#: OpenCV's random generator is seeded with this before each cut
GRABCUT_SEED = 20260101
#: regions smaller than this fraction of the largest are GrabCut's stray specks
MIN_FRACTION = 0.05


def crop_window(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """The crop ``x0, y0, x1, y1`` (end exclusive): the box, a margin, inside the image.

    >>> crop_window((100, 100, 200, 150), 1000, 1000)
    (85, 85, 215, 165)
    >>> crop_window((0, 0, 50, 50), 60, 60)
    (0, 0, 60, 60)
    """
    x0, y0, x1, y1 = box
    margin = max(MIN_MARGIN, math.ceil(MARGIN_FRACTION * max(x1 - x0, y1 - y0)))
    return (max(math.floor(x0) - margin, 0), max(math.floor(y0) - margin, 0),
            min(math.ceil(x1) + margin, width), min(math.ceil(y1) + margin, height))


def grabcut_mask(image: npt.NDArray[np.uint8], box: Sequence[float], *, iterations: int = 5,
                 clicks: Sequence[tuple[float, float, int]] = (),
                 progress: Callable[[float], bool] | None = None,
                 ) -> tuple[npt.NDArray[np.uint8], tuple[int, int], float]:
    """GrabCut's foreground in the crop around ``box``.

    ``clicks`` are ``(x, y, label)``: the pixels of the clicked colour on a
    disc around each (see :data:`CLICK_RADIUS`) are object for certain
    (label 1) or background for certain (label 0), which fixes what the
    colour models alone get wrong (a patch of a colour seen nowhere outside
    the box is taken as object).

    GrabCut seeds its colour models with k-means, which draws from OpenCV's
    random generator; it is seeded here, so the same box on the same image
    always gives the same outline.

    Returns the mask (1 foreground), the crop's top-left corner in the image
    and the scale (mask pixels per image pixel).  ``progress`` is called after
    every iteration with the fraction done; when it returns False the work
    stops with :class:`annotator.errors.Cancelled`.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise AnnotatorError(f"GrabCut needs an 8-bit colour image, got {image.dtype} "
                             f"of shape {image.shape}")
    height, width = image.shape[:2]
    bx0, by0, bx1, by1 = _clipped(box, width, height)
    cx0, cy0, cx1, cy1 = crop_window((bx0, by0, bx1, by1), width, height)
    crop = image[cy0:cy1, cx0:cx1]
    scale = min(1.0, math.sqrt(WORK_PIXELS / crop.shape[0] / crop.shape[1]))
    if scale < 1.0:
        size = (max(round(crop.shape[1] * scale), 1), max(round(crop.shape[0] * scale), 1))
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    rows, cols = crop.shape[:2]
    # the rectangle in crop pixels, one pixel clear of the crop's edge so that
    # GrabCut always has some background to learn from
    rx0 = min(max(math.floor((bx0 - cx0) * scale), 1), cols - 2)
    ry0 = min(max(math.floor((by0 - cy0) * scale), 1), rows - 2)
    rx1 = max(min(math.ceil((bx1 - cx0) * scale), cols - 1), rx0 + 1)
    ry1 = max(min(math.ceil((by1 - cy0) * scale), rows - 1), ry0 + 1)
    mask = np.full((rows, cols), cv2.GC_BGD, np.uint8)
    mask[ry0:ry1, rx0:rx1] = cv2.GC_PR_FGD
    reach = max(CLICK_RADIUS, CLICK_FRACTION * max(bx1 - bx0, by1 - by0))
    radius = max(round(reach * scale), 1)
    for x, y, label in clicks:
        _pin(mask, crop, (round((x - cx0) * scale), round((y - cy0) * scale)), radius,
             cv2.GC_FGD if label else cv2.GC_BGD)
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    crop = np.ascontiguousarray(crop)
    steps = max(int(iterations), 1)
    cv2.setRNGSeed(GRABCUT_SEED)
    for step in range(steps):
        mode = cv2.GC_INIT_WITH_MASK if step == 0 else cv2.GC_EVAL
        cv2.grabCut(crop, mask, (rx0, ry0, rx1 - rx0, ry1 - ry0), background, foreground, 1, mode)
        if progress is not None and progress((step + 1) / steps) is False:
            raise Cancelled("GrabCut cancelled")
    inside = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)
    return inside, (cx0, cy0), scale


def grabcut_polygons(image: npt.NDArray[np.uint8], box: Sequence[float], *,
                     max_vertices: int = 64, iterations: int = 5,
                     clicks: Sequence[tuple[float, float, int]] = (),
                     progress: Callable[[float], bool] | None = None) -> list[Polygon]:
    """The object framed by ``box`` (``x0, y0, x1, y1`` image pixels) as polygons.

    Holes are kept; each polygon has at most ``max_vertices`` vertices; specks
    smaller than 5 % of the largest region are dropped.  Largest first.
    """
    mask, origin, scale = grabcut_mask(image, box, iterations=iterations, clicks=clicks,
                                       progress=progress)
    return mask_polygons(mask, origin=origin, scale=scale, max_vertices=max_vertices,
                         min_area=max(16.0, 1.0 / scale**2), min_fraction=MIN_FRACTION)


def _pin(mask: npt.NDArray[np.uint8], crop: npt.NDArray[np.uint8], centre: tuple[int, int],
         radius: int, value: int) -> None:
    """Set ``mask`` to ``value`` on the disc around ``centre`` where the colour is the clicked one.

    The colour test keeps a click on a thin pole from pinning the background
    beside it.
    """
    x, y = centre
    rows, cols = mask.shape
    if not (0 <= x < cols and 0 <= y < rows):
        return
    disc = np.zeros_like(mask)
    cv2.circle(disc, centre, radius, 1, -1)
    difference = np.abs(crop.astype(np.int16) - crop[y, x].astype(np.int16)).max(axis=2)
    mask[(disc == 1) & (difference <= CLICK_TOLERANCE)] = value


def _clipped(box: Sequence[Any], width: int, height: int) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise AnnotatorError(f"GrabCut needs a box x0, y0, x1, y1, got {box!r}") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise AnnotatorError(f"GrabCut box has a coordinate that is not finite: {box!r}")
    x0, x1 = sorted((min(max(x0, 0.0), width), min(max(x1, 0.0), width)))
    y0, y1 = sorted((min(max(y0, 0.0), height), min(max(y1, 0.0), height)))
    if x1 - x0 < MIN_BOX or y1 - y0 < MIN_BOX:
        raise AnnotatorError(f"GrabCut box is smaller than {MIN_BOX:g} x {MIN_BOX:g} pixels "
                             f"inside the {width} x {height} image")
    return x0, y0, x1, y1
