"""Binary masks to polygons with holes, simplified to a vertex budget.

Shared by the mask-making assists (GrabCut here, the magic wand through its
declared dependency on this package).  A mask pixel ``(i, j)`` of a window
at ``origin`` drawn at ``scale`` pixels per image pixel covers the image
square ``origin + [i, i + 1) / scale``; OpenCV traces the centres of the
boundary pixels, so each traced region is grown by half a mask pixel back
onto the pixel edges before it is simplified.

>>> import numpy as np
>>> mask = np.zeros((40, 40), np.uint8)
>>> mask[5:35, 5:35] = 1
>>> mask[15:25, 15:25] = 0
>>> [polygon] = mask_polygons(mask, origin=(100.0, 200.0))
>>> polygon.shell.min(axis=0).tolist(), polygon.shell.max(axis=0).tolist()
([105.0, 205.0], [135.0, 235.0])
>>> len(polygon.shell), len(polygon.holes), [hole.min(axis=0).tolist() for hole in polygon.holes]
(4, 1, [[115.0, 215.0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import shapely

from annotator.shapes import Polygon

__all__ = ["mask_polygons", "simplify_rings"]

FloatArray = npt.NDArray[np.float64]

#: bisection steps for the simplification tolerance: 2**-30 of the shape's size
_STEPS = 30


def mask_polygons(mask: npt.NDArray[Any], *, origin: Sequence[float] = (0.0, 0.0),
                  scale: float = 1.0, max_vertices: int = 64, min_area: float = 16.0,
                  min_fraction: float = 0.0) -> list[Polygon]:
    """The regions of ``mask`` (non-zero pixels) as polygons in image pixels.

    Parameters
    ----------
    mask
        2-D array; non-zero pixels are inside.
    origin, scale
        Where the mask's top-left corner lies in the image, and mask pixels
        per image pixel (0.5 for a mask made at half size).
    max_vertices
        Vertex budget of each polygon, shell and holes together (at least 3).
    min_area
        Regions and holes smaller than this (image pixels squared) are dropped.
    min_fraction
        Regions smaller than this fraction of the largest one are dropped.

    Returns
    -------
    The polygons, largest first; holes are kept as polygon holes.
    """
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
    binary = _without_specks(np.pad((mask != 0).astype(np.uint8), 1), min_area * scale**2)
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    links = hierarchy[0]
    # pixel centres of the padded mask, in image pixels
    shift = np.array([-0.5, -0.5])
    offset = np.asarray(origin, dtype=np.float64)

    def to_image(contour: npt.NDArray[Any]) -> FloatArray:
        points: FloatArray = (contour.reshape(-1, 2) + shift) / scale + offset
        return points

    # mask pixels in image pixels squared; areas below are checked on the
    # traced rings before any shapely work, so a speckled mask with a
    # hundred thousand one-pixel holes costs no more than its tracing
    unit = 1.0 / scale**2
    regions: list[Any] = []
    for index, contour in enumerate(contours):
        if links[index][3] != -1:
            continue
        # the region covers its traced ring plus at most half a pixel all round
        largest = cv2.contourArea(contour) + 0.5 * cv2.arcLength(contour, True) + 2
        if largest * unit < min_area:
            continue
        sized = []
        child = links[index][2]
        while child != -1:
            # a hole lies inside the ring of pixel centres traced around it
            area = cv2.contourArea(contours[child]) * unit
            if len(contours[child]) >= 3 and area >= min_area:
                sized.append((area, child))
            child = links[child][0]
        # only the largest holes can fit the vertex budget (3 vertices each at least)
        sized.sort(reverse=True)
        holes = [to_image(contours[c]) for _, c in sized[: max(max_vertices - 3, 0) // 3]]
        grown = _region(to_image(contour), holes).buffer(
            0.5 / scale, cap_style="square", join_style="mitre", mitre_limit=2.0)
        regions.extend(p for p in shapely.get_parts(grown)
                       if p.geom_type == "Polygon" and p.area >= min_area)
    if not regions:
        return []
    regions.sort(key=lambda p: -p.area)
    keep = [p for p in regions if p.area >= min_fraction * regions[0].area]
    polygons = []
    for region in keep:
        rings = [_open(region.exterior.coords)]
        rings += [_open(h.coords) for h in region.interiors if shapely.Polygon(h).area >= min_area]
        simple = simplify_rings(rings, max_vertices, min_epsilon=0.5 / scale)
        polygons.extend(_valid_polygons(simple, min_area))
    return polygons


def _without_specks(binary: npt.NDArray[np.uint8], smallest: float) -> npt.NDArray[np.uint8]:
    """``binary`` with regions and holes of fewer than ``smallest`` pixels filled in or cleared.

    A speckled mask (a flood fill over a noisy road) has a hundred thousand
    one-pixel holes; tracing and then dropping each would cost seconds,
    labelling them costs one pass.  Holes are 4-connected, regions 8-connected,
    as ``cv2.findContours`` sees them.
    """
    if smallest <= 1:
        return binary
    _, labels, stats, _ = cv2.connectedComponentsWithStats(1 - binary, connectivity=4)
    small = stats[:, cv2.CC_STAT_AREA] < smallest
    small[0] = False              # label 0: the mask's own pixels
    small[labels[0, 0]] = False   # the background around everything (the mask is padded)
    if small.any():
        binary = binary | small[labels].astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < smallest
    small[0] = False              # label 0: the background
    if small.any():
        binary = np.where(small[labels], 0, binary).astype(np.uint8)
    return binary


def _region(shell: FloatArray, holes: list[FloatArray]) -> Any:
    """The traced pixel centres as a shapely shape: a polygon, or a line for a thin stroke."""
    if len(shell) < 3:
        return shapely.LineString(shell) if len(shell) == 2 else shapely.Point(shell[0])
    region = shapely.Polygon(shell, holes)
    return region if region.is_valid else shapely.make_valid(region)


def simplify_rings(rings: Sequence[FloatArray], max_vertices: int,
                   min_epsilon: float = 0.0) -> list[FloatArray]:
    """Shell and holes simplified together to at most ``max_vertices`` vertices.

    ``cv2.approxPolyDP`` (Douglas-Peucker) runs on every ring with one
    tolerance: the smallest, from ``min_epsilon`` up, that fits the budget,
    found by bisection.  Holes that fall below 3 vertices are dropped; when
    even 3 vertices per ring do not fit, the smallest holes are dropped first.

    >>> import numpy as np
    >>> angles = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    >>> circle = np.c_[np.cos(angles), np.sin(angles)] * 100
    >>> [len(ring) for ring in simplify_rings([circle], 20)]
    [16]
    """
    budget = max(int(max_vertices), 3)
    shell, *holes = (np.asarray(r, dtype=np.float64) for r in rings)
    holes.sort(key=lambda h: -abs(_area(h)))
    rings = [shell, *holes[: (budget - 3) // 3]]
    low = max(float(min_epsilon), 0.0)
    best = _approximate(rings, low) if low > 0 else rings
    if sum(len(r) for r in best) > budget:
        high = max(float(np.ptp(shell, axis=0).max()), 2 * low, 1e-9)
        best = _approximate(rings, high)
        for _ in range(_STEPS):
            middle = (low + high) / 2
            attempt = _approximate(rings, middle)
            if sum(len(r) for r in attempt) <= budget:
                high, best = middle, attempt
            else:
                low = middle
            if high - low < 1e-3:
                break
    if len(best[0]) < 3:
        return [shell[_corners(shell)]]
    return best


def _approximate(rings: Sequence[FloatArray], epsilon: float) -> list[FloatArray]:
    result = []
    for number, ring in enumerate(rings):
        approx = cv2.approxPolyDP(ring.astype(np.float32).reshape(-1, 1, 2), epsilon, True)
        points = approx.reshape(-1, 2).astype(np.float64)
        if number == 0 or len(points) >= 3:
            result.append(points)
    return result


def _corners(ring: FloatArray) -> npt.NDArray[np.intp]:
    """Three far-apart vertices: the last resort for a budget too small for the tolerance."""
    first = int(np.argmin(ring[:, 0]))
    second = int(np.argmax(np.hypot(*(ring - ring[first]).T)))
    line, offsets = ring[second] - ring[first], ring - ring[first]
    third = int(np.argmax(np.abs(line[0] * offsets[:, 1] - line[1] * offsets[:, 0])))
    return np.array(sorted({first, second, third}), dtype=np.intp)


def _valid_polygons(rings: list[FloatArray], min_area: float) -> list[Polygon]:
    """Annotator polygons from simplified rings, repaired when simplification crossed them."""
    if len(rings[0]) < 3:
        return []
    shape = shapely.Polygon(rings[0], rings[1:])
    if shape.is_valid:
        parts = [shape]
    else:
        parts = [p for p in shapely.get_parts(shapely.make_valid(shape))
                 if p.geom_type == "Polygon"]
    result = []
    for part in parts:
        if part.area < min_area:
            continue
        holes = tuple(_open(h.coords) for h in part.interiors)
        result.append(Polygon(_open(part.exterior.coords), holes))
    return result


def _open(coords: Any) -> FloatArray:
    points = np.asarray(coords, dtype=np.float64)
    if len(points) > 1 and np.array_equal(points[0], points[-1]):
        points = points[:-1]
    return points


def _area(ring: FloatArray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2
