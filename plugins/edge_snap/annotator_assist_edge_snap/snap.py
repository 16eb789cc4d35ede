"""The image edge nearest a point, to sub-pixel precision, from a small window only.

The gradient (3 x 3 Sobel of each colour channel, the strongest channel
per pixel) is computed in a window of
``radius + 3`` pixels around the point, never on the whole image, so one
call costs the same on a thumbnail and on a 12-megapixel photo.  Edge pixels
are the local maxima of the gradient magnitude across the edge (non-maximum
suppression along the gradient direction) whose strength reaches
``min_strength``; each is moved to the peak of a parabola through the
magnitudes before and after it, and the one nearest the point wins.  The
answer is the foot of the perpendicular from the point to that edge, so a
vertex moves across the edge, not along it.

Pixel ``(x, y)`` covers ``[x, x + 1) x [y, y + 1)``, so a step between
columns 9 and 10 lies at x = 10:

>>> import numpy as np
>>> image = np.zeros((20, 20, 3), np.uint8)
>>> image[:, 10:] = 200
>>> [round(v, 6) for v in snap_to_edge(image, (7.2, 5.3))]
[10.0, 5.3, 200.0]
>>> snap_to_edge(image, (1.0, 5.5)) is None
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from annotator.errors import AnnotatorError

__all__ = ["snap_to_edge"]

FloatArray = npt.NDArray[np.float64]

#: The 3 x 3 Sobel weights sum to 4 on each side, so a sharp step of c grey
#: levels gives 4 c on the two pixels beside it: a quarter of the magnitude
#: is the contrast across the edge over two pixels.
_TO_STEP = 1.0 / 4.0


def snap_to_edge(image: npt.NDArray[Any], point: Sequence[float], *, radius: float = 8.0,
                 min_strength: float = 24.0) -> tuple[float, float, float] | None:
    """The edge nearest ``point`` within ``radius`` pixels: ``(x, y, strength)`` or None.

    ``strength`` is the edge's contrast in the colour channel that changes
    most across it (a step from 40 to 200 has strength 160); edges weaker
    than ``min_strength`` are ignored.  ``image`` is RGB (any channel count)
    or grey.
    """
    height, width = image.shape[:2]
    x, y = _point(point, width, height)
    reach = max(float(radius), 0.0)
    pad = math.ceil(reach) + 3
    cx, cy = math.floor(x), math.floor(y)
    x0, y0 = max(cx - pad, 0), max(cy - pad, 0)
    x1, y1 = min(cx + pad + 1, width), min(cy + pad + 1, height)
    window = np.asarray(image[y0:y1, x0:x1], dtype=np.float32)
    if window.ndim == 2:
        window = window[..., None]
    gx = cv2.Sobel(window, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.Sobel(window, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gx, gy = gx.reshape(window.shape), gy.reshape(window.shape)
    # a colour edge between two equally bright colours is still an edge: each
    # pixel takes the gradient of the channel that changes most there
    channel = np.argmax(gx * gx + gy * gy, axis=2)[..., None]
    gx = np.take_along_axis(gx, channel, axis=2)[..., 0]
    gy = np.take_along_axis(gy, channel, axis=2)[..., 0]
    magnitude = np.hypot(gx, gy).astype(np.float64) * _TO_STEP
    rows, cols = np.nonzero(magnitude >= float(min_strength))
    if len(rows) == 0:
        return None
    # pixel centres in image coordinates, and the unit gradient there
    centres = np.c_[cols + x0 + 0.5, rows + y0 + 0.5]
    near = np.hypot(*(centres - (x, y)).T) <= reach + 1.5
    rows, cols, centres = rows[near], cols[near], centres[near]
    if len(rows) == 0:
        return None
    here = magnitude[rows, cols]
    unit = np.c_[gx[rows, cols], gy[rows, cols]].astype(np.float64)
    unit /= np.hypot(*unit.T)[:, None]
    ahead = _bilinear(magnitude, cols + unit[:, 0], rows + unit[:, 1])
    behind = _bilinear(magnitude, cols - unit[:, 0], rows - unit[:, 1])
    peak = (here >= ahead) & (here >= behind)
    if not peak.any():
        return None
    here, ahead, behind = here[peak], ahead[peak], behind[peak]
    centres, unit = centres[peak], unit[peak]
    curve = behind - 2 * here + ahead
    step = np.where(curve < 0, (behind - ahead) / (2 * np.where(curve < 0, curve, -1.0)), 0.0)
    step = np.clip(step, -0.5, 0.5)
    edges = centres + step[:, None] * unit
    distance = np.hypot(*(edges - (x, y)).T)
    usable = distance <= reach
    if not usable.any():
        return None
    order = np.lexsort((-here[usable], distance[usable]))
    best = np.flatnonzero(usable)[order[0]]
    # slide along the edge (at most half a pixel, where the edge is still the
    # one found) to the foot of the perpendicular from the point
    tangent = np.array([-unit[best, 1], unit[best, 0]])
    slide = float(np.clip(np.dot((x, y) - edges[best], tangent), -0.5, 0.5))
    snapped = edges[best] + slide * tangent
    return float(snapped[0]), float(snapped[1]), float(here[best])


def _bilinear(values: FloatArray, cols: FloatArray, rows: FloatArray) -> FloatArray:
    """``values`` sampled at fractional ``(col, row)`` indices, clamped to the array."""
    rows = np.clip(rows, 0, values.shape[0] - 1)
    cols = np.clip(cols, 0, values.shape[1] - 1)
    r0 = np.minimum(np.floor(rows).astype(np.intp), values.shape[0] - 2)
    c0 = np.minimum(np.floor(cols).astype(np.intp), values.shape[1] - 2)
    r0, c0 = np.maximum(r0, 0), np.maximum(c0, 0)
    fr, fc = rows - r0, cols - c0
    r1 = np.minimum(r0 + 1, values.shape[0] - 1)
    c1 = np.minimum(c0 + 1, values.shape[1] - 1)
    top = values[r0, c0] * (1 - fc) + values[r0, c1] * fc
    bottom = values[r1, c0] * (1 - fc) + values[r1, c1] * fc
    result: FloatArray = top * (1 - fr) + bottom * fr
    return result


def _point(point: Sequence[Any], width: int, height: int) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in point)
    except (TypeError, ValueError):
        raise AnnotatorError(f"edge snapping needs a point x, y, got {point!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise AnnotatorError(f"edge snapping got a point that is not finite: {point!r}")
    if not (0 <= x <= width and 0 <= y <= height):
        raise AnnotatorError(f"the point ({x:g}, {y:g}) lies outside the {width} x {height} image")
    return x, y
