"""COCO run-length masks: polygons with holes to RLE, and RLE back to polygons.

COCO polygons cannot hold holes, so a polygon with holes goes out as a
compressed RLE mask (rasterised by pycocotools, so COCO tools see the mask
they would draw themselves) and comes back as polygons traced with OpenCV.
Both directions work in a window around the shape: a building with a
courtyard on a 40,000 x 40,000 orthophoto never decodes a 1.6 GB mask.

Pixel ``(x, y)`` covers ``[x, x + 1) x [y, y + 1)``, as in pycocotools:

>>> import numpy as np
>>> square = np.array([[2.0, 2], [12, 2], [12, 12], [2, 12]])
>>> hole = np.array([[5.0, 5], [9, 5], [9, 9], [5, 9]])
>>> rle = polygon_rle(square, [hole], 20, 30)
>>> rle["size"], rle_area(rle_counts(rle, "x"))
([20, 30], 84)
>>> [(p.bounds, len(p.interiors)) for p in rle_polygons(rle_counts(rle, "x"), 20, 30)]
[((2.0, 2.0, 12.0, 12.0), 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from annotator.errors import FormatError

__all__ = ["polygon_rle", "rle_area", "rle_counts", "rle_polygons"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _window(rings: Sequence[FloatArray], height: int, width: int) -> tuple[int, int, int, int]:
    """Pixel window ``x0, y0, x1, y1`` (end exclusive) that holds every ring, inside the image."""
    points = np.concatenate(rings)
    low = np.floor(points.min(axis=0)).astype(int)
    high = np.ceil(points.max(axis=0)).astype(int) + 1
    x0, y0 = max(int(low[0]), 0), max(int(low[1]), 0)
    x1, y1 = min(int(high[0]), width), min(int(high[1]), height)
    return x0, y0, max(x1, x0), max(y1, y0)


def _raster(ring: FloatArray, x0: int, y0: int, rows: int, cols: int) -> npt.NDArray[np.uint8]:
    """pycocotools' rasterisation of ``ring`` in the window at ``(x0, y0)``.

    pycocotools first puts every coordinate on a 1/5-pixel grid,
    ``(int)(5 * v + .5)``.  Shifting the coordinates by the window before that
    rounding would break its ties differently (300.7 - 300 is not 0.7), so the
    grid is computed here from the original coordinates, shifted in whole
    grid steps, and handed over as values that land exactly on it.
    """
    from pycocotools import mask as coco_mask

    grid = np.trunc(ring * 5 + 0.5) - 5 * np.array([x0, y0], dtype=np.float64)
    exact = np.where(grid >= 0, grid, grid - 1) / 5  # C truncates toward zero
    decoded: npt.NDArray[np.uint8] = coco_mask.decode(
        coco_mask.frPyObjects([exact.ravel().tolist()], rows, cols))
    return decoded[:, :, 0]


def _window_counts(window: npt.NDArray[np.uint8], x0: int, y0: int, height: int,
                   width: int) -> list[int]:
    """Uncompressed, column-major RLE counts of the whole image from a window of it."""
    cols = window.shape[1]
    padded = np.zeros((cols, window.shape[0] + 2), dtype=np.int8)
    padded[:, 1:-1] = window.T
    edges = np.diff(padded, axis=1)
    starts = np.argwhere(edges == 1)
    ends = np.argwhere(edges == -1)
    first = (starts[:, 0] + x0) * height + starts[:, 1] + y0
    last = (ends[:, 0] + x0) * height + ends[:, 1] + y0
    if not len(first):
        return [height * width]
    # A run that ends at the bottom of one column and goes on at the top of the next is one run.
    separate = first[1:] != last[:-1]
    first = first[np.concatenate([[True], separate])]
    last = last[np.concatenate([separate, [True]])]
    counts = np.empty(2 * len(first) + 1, dtype=np.int64)
    counts[0] = first[0]
    counts[1:-1:2] = last - first
    counts[2:-1:2] = first[1:] - last[:-1]
    counts[-1] = height * width - last[-1]
    return [int(c) for c in (counts if counts[-1] else counts[:-1])]


def polygon_rle(shell: FloatArray, holes: Sequence[FloatArray], height: int,
                width: int) -> dict[str, Any]:
    """Compressed RLE (``counts`` as str) of ``shell`` minus ``holes``, as pycocotools draws it."""
    from pycocotools import mask as coco_mask

    x0, y0, x1, y1 = _window([shell, *holes], height, width)
    rows, cols = y1 - y0, x1 - x0
    if rows and cols:
        inside = _raster(shell, x0, y0, rows, cols).astype(bool)
        for hole in holes:
            inside &= ~_raster(hole, x0, y0, rows, cols).astype(bool)
        counts = _window_counts(inside.astype(np.uint8), x0, y0, height, width)
    else:
        counts = [height * width]
    rle = coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    return {"size": [height, width], "counts": rle["counts"].decode("ascii")}


def _decode_string(text: str, where: str) -> list[int]:
    """The counts of a compressed COCO RLE string (pycocotools' ``rleFrString``)."""
    counts: list[int] = []
    position, size = 0, len(text)
    while position < size:
        value, shift, more = 0, 0, True
        while more:
            if position >= size:
                raise FormatError(f"{where}: RLE counts string ends in the middle of a number")
            code = ord(text[position]) - 48
            if not 0 <= code < 64:
                raise FormatError(f"{where}: RLE counts string holds {text[position]!r}")
            value |= (code & 0x1F) << shift
            more = bool(code & 0x20)
            position += 1
            shift += 5
            if not more and code & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def rle_counts(segmentation: dict[str, Any], where: str) -> IntArray:
    """Checked, uncompressed counts of an RLE segmentation (``counts`` as str or list)."""
    size = segmentation.get("size")
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise FormatError(f"{where}: RLE size must be [height, width] of positive whole numbers")
    height, width = size
    raw = segmentation.get("counts")
    if isinstance(raw, str):
        counts = _decode_string(raw, where)
    elif isinstance(raw, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in raw):
        counts = raw
    else:
        raise FormatError(f"{where}: RLE counts must be a string or a list of whole numbers")
    array = np.array(counts, dtype=np.int64)
    if (array < 0).any():
        raise FormatError(f"{where}: RLE counts hold a negative run")
    if int(array.sum()) != height * width:
        raise FormatError(f"{where}: RLE counts cover {int(array.sum()):,} pixels, "
                          f"the mask has {height * width:,}")
    return array


def rle_area(counts: IntArray) -> int:
    """Pixels set in a mask: the sum of its odd runs."""
    return int(counts[1::2].sum())


def _window_of(counts: IntArray, height: int) -> tuple[npt.NDArray[np.uint8], int, int] | None:
    """The set pixels of a mask in the smallest window of whole columns, and its origin."""
    ends = np.cumsum(counts)
    starts = ends - counts
    ones = np.flatnonzero((np.arange(len(counts)) % 2 == 1) & (counts > 0))
    if not len(ones):
        return None
    first, last = starts[ones], ends[ones]
    x0, x1 = int(first[0] // height), int((last[-1] - 1) // height) + 1
    offset = x0 * height
    change = np.zeros((x1 - x0) * height + 1, dtype=np.int8)
    change[first - offset] += 1
    change[last - offset] -= 1
    flat = np.cumsum(change[:-1], dtype=np.int8).astype(np.uint8)
    window = flat.reshape(x1 - x0, height).T
    rows = np.flatnonzero(window.any(axis=1))
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    return np.ascontiguousarray(window[y0:y1]), x0, y0


def rle_polygons(counts: IntArray, height: int, width: int) -> list[Any]:
    """The mask as shapely polygons with holes, close to the polygons it was drawn from.

    OpenCV traces the centres of the boundary pixels; each ring is smoothed
    by half a pixel (Douglas-Peucker, which straightens the staircases) and
    the shape grown by half a pixel, back onto the pixel edges.  On rotated
    boxes and random convex polygons this comes closer to the polygon the
    mask was drawn from than the exact pixel outline does.
    """
    import cv2
    import shapely

    found = _window_of(counts, height)
    if found is None:
        return []
    window, x0, y0 = found
    contours, hierarchy = cv2.findContours(np.pad(window, 1), cv2.RETR_CCOMP,
                                           cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    links = hierarchy[0]
    shift = np.array([x0 - 0.5, y0 - 0.5])  # the pad, and pixel centres at +0.5
    parts = []
    for index, contour in enumerate(contours):
        if links[index][3] != -1:
            continue
        shape = _outline(contour.reshape(-1, 2) + shift)
        child = links[index][2]
        while child != -1:
            ring = contours[child].reshape(-1, 2) + shift
            if len(ring) >= 3:
                shape = shapely.difference(shape, _outline(ring))
            child = links[child][0]
        parts.append(shape.buffer(0.5, cap_style="square", join_style="mitre"))
    merged = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    polygons = [g for g in shapely.get_parts(merged) if g.geom_type == "Polygon" and g.area > 0]
    return sorted(polygons, key=lambda g: (g.bounds[1], g.bounds[0]))


def _outline(points: FloatArray) -> Any:
    """A traced ring as a smoothed shapely geometry; a line or point for thin strokes."""
    import shapely

    if len(points) >= 3:
        polygon = shapely.Polygon(points)
        if not polygon.is_valid or polygon.area <= 0:
            return shapely.make_valid(polygon)
        return shapely.simplify(polygon, 0.5, preserve_topology=True)
    if len(points) == 2:
        return shapely.LineString(points)
    return shapely.Point(points[0])
