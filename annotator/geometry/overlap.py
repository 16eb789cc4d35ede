"""Pairs of shapes of one group that may overlap with a high IoU, found without O(n²).

The same-class overlap rule compares shapes of one class on one item.  A
project holds a million of them, so candidate pairs come from a uniform grid
in numpy: each shape is filed under every cell a search box touches, and a
pair is reported once, in the cell holding the low corner of the two boxes'
intersection.  Cells are as large as most search boxes, so a box touches at
most 2 x 2 of them; larger ones go to coarser grids (each level 8 times
coarser), so one huge shape costs four cells, not thousands.

The search box is the bounding box, or for a high threshold ``t`` a much
smaller box round the centroid: IoU(A, B) > t leaves less than ``1 - t`` of
A's area outside B, which moves A's centroid less than ``(1 - t) diam(A)``
from the centroid of A ∩ B, so the two centroids lie closer than
``(1 - t) (diam(A) + diam(B))``.  Only pairs that can still reach the
threshold (area ratio, box intersection) go back to the caller, which
computes their exact IoU.

>>> import numpy as np
>>> boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10.]])
>>> centres = (boxes[:, :2] + boxes[:, 2:]) / 2
>>> groups = np.array([0, 0, 0, 1])
>>> overlap_candidates(groups, boxes, np.full(4, 100.0), centres, 0.5)
(array([0]), array([1]))
"""

from __future__ import annotations

import numpy as np

from annotator.geometry._ragged import BoolArray, FloatArray, IntArray, ranges

__all__ = ["box_pairs", "overlap_candidates"]

LEVEL_FACTOR = 8


def overlap_candidates(groups: IntArray, boxes: FloatArray, areas: FloatArray,
                       centroids: FloatArray, threshold: float) -> tuple[IntArray, IntArray]:
    """Index pairs ``(i, j)``, ``i < j``, that may have IoU above ``threshold``.

    ``groups`` says which shapes are compared at all (item and class);
    ``boxes`` is ``(n, 4)`` xmin, ymin, xmax, ymax; ``areas`` and
    ``centroids`` are the shapes' own.
    """
    ok = (areas > 0) & np.isfinite(areas) & np.isfinite(centroids).all(axis=1)
    every = bool(ok.all())
    usable = np.arange(len(ok), dtype=np.int64) if every else np.flatnonzero(ok)
    box = boxes if every else boxes[usable]
    if threshold >= 0.5:
        diagonal = np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
        centre = centroids if every else centroids[usable]
        # A hair wider than the bound, for the rounding of the centroids.
        reach = ((1 - threshold) * diagonal * (1 + 1e-9)
                 + 1e-9 * (np.abs(centre).max(axis=1) + diagonal))
        search = np.concatenate([centre - reach[:, None], centre + reach[:, None]], axis=1)
    else:
        search = box
    first, second = box_pairs(groups if every else groups[usable], search)
    i, j = usable[first], usable[second]
    low, high = np.minimum(areas[i], areas[j]), np.maximum(areas[i], areas[j])
    lo = np.maximum(boxes[i, :2], boxes[j, :2])
    hi = np.minimum(boxes[i, 2:], boxes[j, 2:])
    box_overlap = np.prod(np.maximum(hi - lo, 0), axis=1)
    # IoU = I / (a + b - I) > t  <=>  I > t (a + b) / (1 + t); I <= min(a, b, box overlap).
    needed = threshold * (low + high) / (1 + threshold)
    keep = (np.minimum(low, box_overlap) > needed) & (low > threshold * high)
    i, j = i[keep], j[keep]
    swap = i > j
    return np.where(swap, j, i), np.where(swap, i, j)


def box_pairs(groups: IntArray, boxes: FloatArray) -> tuple[IntArray, IntArray]:
    """Every pair of the same group whose boxes overlap with positive area, once."""
    n = len(groups)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    extent = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    origin = boxes[:, :2].min(axis=0)
    span = float(max((boxes[:, 2:].max(axis=0) - origin).max(), 1e-300))
    cell = _cell_size(groups, extent, span)
    first_cells = _cell_range(boxes, origin, cell)
    pending = np.flatnonzero(((first_cells[1] - first_cells[0]) > 1).any(axis=1))
    if len(pending) == 0:
        return _grid_pairs(groups, boxes, origin, cell, first_cells)
    level = np.zeros(n, np.int64)
    size = cell
    while len(pending):
        level[pending] += 1
        size *= LEVEL_FACTOR
        low, high = _cell_range(boxes[pending], origin, size)
        pending = pending[((high - low) > 1).any(axis=1)]
    firsts, seconds = [], []
    levels = np.unique(level)
    for current in levels.tolist():
        size = cell * float(LEVEL_FACTOR) ** current
        # Coarser shapes meet finer ones here; finer shapes join only groups that need them.
        at_level = level == current
        members = at_level | ((level < current) & np.isin(groups, groups[at_level]))
        index = np.flatnonzero(members)
        a, b = _grid_pairs(groups[index], boxes[index], origin, size)
        a, b = index[a], index[b]
        # A pair belongs to the level of its coarser shape.
        mine = np.maximum(level[a], level[b]) == current
        a, b = a[mine], b[mine]
        firsts.append(a)
        seconds.append(b)
    return np.concatenate(firsts), np.concatenate(seconds)


def _cell_size(groups: IntArray, extent: FloatArray, span: float) -> float:
    """Cells at least as large as most boxes, so a box touches at most 2 x 2 of them.

    Larger cells mean fewer boxes reaching into a second cell but more boxes
    sharing one; the size is the one with the least work for boxes spread
    evenly over their groups.  Never so small that cell numbers explode.
    """
    sample = extent[:: max(1, len(extent) // 65536)]        # a heuristic needs no more
    typical = max(float(np.percentile(sample, 95)), span * 1e-6)
    mean = float(sample.mean())
    groups_seen = max(len(np.unique(groups[:: max(1, len(groups) // 4096)])), 1)
    density = len(groups) / (groups_seen * span * span)
    sizes = typical * np.array([1.0, 2, 4, 8, 16])
    work = (1 + mean / sizes) ** 2 + 2 * density * sizes**2
    return float(sizes[int(np.argmin(work))])


def _cell_range(boxes: FloatArray, origin: FloatArray, size: float
                ) -> tuple[IntArray, IntArray]:
    low = np.floor((boxes[:, :2] - origin) / size).astype(np.int64)
    high = np.floor((boxes[:, 2:] - origin) / size).astype(np.int64)
    return low, high


def _grid_pairs(groups: IntArray, boxes: FloatArray, origin: FloatArray, size: float,
                cells: tuple[IntArray, IntArray] | None = None) -> tuple[IntArray, IntArray]:
    low, high = _cell_range(boxes, origin, size) if cells is None else cells
    wide, tall = high[:, 0] > low[:, 0], high[:, 1] > low[:, 1]
    # Each shape is filed under its low cell and, where it reaches over, the next ones.
    pick = [np.arange(len(groups), dtype=np.int64), np.flatnonzero(wide),
            np.flatnonzero(tall), np.flatnonzero(wide & tall)]
    shape = np.concatenate(pick)
    cx = low[shape, 0] + np.repeat([0, 1, 0, 1], [len(p) for p in pick])
    cy = low[shape, 1] + np.repeat([0, 0, 1, 1], [len(p) for p in pick])
    order = _sort_cells(groups[shape], cx, cy)
    shape, cx, cy = shape[order], cx[order], cy[order]
    g = groups[shape]
    same = (g[1:] == g[:-1]) & (cx[1:] == cx[:-1]) & (cy[1:] == cy[:-1])
    a, b = _run_pairs(same)
    i, j = shape[a], shape[b]
    lo = np.maximum(boxes[i, :2], boxes[j, :2])
    hi = np.minimum(boxes[i, 2:], boxes[j, 2:])
    overlaps: BoolArray = np.all(lo < hi, axis=1)
    # Report a pair only in the cell holding the low corner of the boxes' overlap.
    home = np.floor((lo - origin) / size).astype(np.int64)
    once = (home[:, 0] == cx[a]) & (home[:, 1] == cy[a])
    keep = overlaps & once
    return i[keep], j[keep]


def _sort_cells(g: IntArray, cx: IntArray, cy: IntArray) -> IntArray:
    if len(g) == 0:
        return np.zeros(0, np.int64)
    spans = [int(v.max() - v.min()) + 1 for v in (g, cx, cy)]
    cells = spans[0] * spans[1] * spans[2]
    if cells >= 2**62:
        return np.lexsort((cy, cx, g)).astype(np.int64)
    key = ((g - g.min()) * spans[1] + (cx - cx.min())) * spans[2] + (cy - cy.min())
    bits = max(int(len(g) - 1).bit_length(), 1)
    if cells << bits < 2**63:
        # Sorting keys with the position in their low bits is much faster than argsort.
        packed = np.sort((key << bits) | np.arange(len(g), dtype=np.int64))
        order: IntArray = packed & ((1 << bits) - 1)
        return order
    order = np.argsort(key)
    return order


def _run_pairs(same: BoolArray) -> tuple[IntArray, IntArray]:
    """All position pairs ``(p, q)``, ``p < q``, inside runs where ``same`` links neighbours."""
    linked = np.flatnonzero(same)
    if len(linked) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Only positions in runs of two or more matter; most cells hold one shape.
    touched = np.zeros(len(same) + 1, dtype=bool)
    touched[linked] = True
    touched[linked + 1] = True
    members = np.flatnonzero(touched)
    breaks = np.flatnonzero(~same[members[:-1]] | (np.diff(members) != 1)) + 1
    starts = np.concatenate(([0], breaks))
    lengths = np.diff(np.concatenate((starts, [len(members)])))
    run_end = np.repeat(starts + lengths, lengths)
    positions = np.arange(len(members), dtype=np.int64)
    later = run_end - positions - 1
    first = np.repeat(positions, later)
    step = ranges(np.zeros(len(members), np.int64), later) + 1
    return members[first], members[first + step]
