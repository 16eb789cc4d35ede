"""Proving small rings simple in numpy, so GEOS sees only the doubtful ones.

A ring is simple (a valid polygon shell) when no two of its edges meet
except neighbours at their shared vertex.  For rings of up to
:data:`MAX_VERTICES` vertices every pair of edges is tested at once with
orientation signs.  A test counts only when it is decisive: the signs are
further from zero than float64 rounding could ever move them, so a ring
called simple here is simple for GEOS's exact predicates too.  Everything
undecided (touching, collinear, nearly degenerate) is left to GEOS.

>>> import numpy as np
>>> square = np.array([[0, 0], [4, 0], [4, 4], [0, 4.]])
>>> bow_tie = np.array([[0, 0], [4, 4], [4, 0], [0, 4.]])
>>> rings_simple(np.concatenate([square, bow_tie]), np.array([0, 4]), np.array([4, 4])).tolist()
[True, False]
"""

from __future__ import annotations

from functools import cache

import numpy as np

from annotator.geometry._ragged import BoolArray, FloatArray, IntArray

__all__ = ["MAX_VERTICES", "rings_simple"]

#: Above this many vertices the pairwise test costs more than GEOS.
MAX_VERTICES = 20
# Relative margin of a decisive sign (orientation terms are up to ~8 L^2).
_MARGIN = 1e-9
_CHUNK = 1 << 16       # edge pairs tested at once: small enough to stay in the CPU cache


@cache
def _pairs(k: int) -> tuple[IntArray, IntArray]:
    """Edge pairs of a k-ring that share no vertex."""
    i, j = np.triu_indices(k, 2)
    keep = ~((i == 0) & (j == k - 1))
    return i[keep].astype(np.int64), j[keep].astype(np.int64)


def rings_simple(coords: FloatArray, starts: IntArray, lengths: IntArray) -> BoolArray:
    """For each open ring ``coords[starts[r]:starts[r] + lengths[r]]``: provably simple?

    Rings with more than :data:`MAX_VERTICES` vertices answer False (not
    proven), as do rings with fewer than 3.
    """
    result = np.zeros(len(lengths), dtype=bool)
    for k in np.unique(lengths).tolist():
        if not 3 <= k <= MAX_VERTICES:
            continue
        rings = np.flatnonzero(lengths == k)
        step = max(1, _CHUNK // max(len(_pairs(k)[0]), k))
        for start in range(0, len(rings), step):
            chosen = rings[start:start + step]
            vertex = starts[chosen] + np.arange(k)[:, None]
            result[chosen] = _simple_block(coords[vertex, 0], coords[vertex, 1])
    return result


def _simple_block(x: FloatArray, y: FloatArray) -> BoolArray:
    """``x`` and ``y`` are ``(k, m)``: row v holds vertex v of m rings of k vertices each.

    Vertices and edge pairs run down the rows, so picking the edges of a
    pair and reducing over a ring's edges work on whole contiguous rows.
    """
    lx, ly = x - x.mean(axis=0), y - y.mean(axis=0)
    size = np.maximum(np.abs(lx).max(axis=0), np.abs(ly).max(axis=0))
    margin = _MARGIN * size * size
    ex, ey = np.roll(lx, -1, axis=0) - lx, np.roll(ly, -1, axis=0) - ly
    # Every corner turns: no zero-length edge, no edge doubling back on the last.
    px, py = np.roll(ex, 1, axis=0), np.roll(ey, 1, axis=0)
    simple: BoolArray = (np.abs(px * ey - py * ex) > margin).all(axis=0)
    i, j = _pairs(len(x))
    if len(i) == 0:
        return simple
    # Edge p runs from P to P + ep, edge q from Q to Q + eq; with d = P - Q the
    # four orientation tests are A, A + X (ends of p against q) and -B, -B - X.
    epx, epy, eqx, eqy = ex[i], ey[i], ex[j], ey[j]
    dx, dy = lx[i] - lx[j], ly[i] - ly[j]
    cross = eqx * epy - eqy * epx
    apart = np.zeros(dx.shape, dtype=bool)
    for first in (eqx * dy - eqy * dx, epx * dy - epy * dx):
        second = first + cross
        apart |= (np.minimum(first, second) > margin) | (np.maximum(first, second) < -margin)
    # Collinear or touching pairs: apart only if their boxes are.
    pair, ring = np.nonzero(~apart & simple)
    if len(ring):
        a, b = i[pair], j[pair]
        gap = _MARGIN * size[ring]
        boxes_apart = np.zeros(len(ring), dtype=bool)
        for v, e in ((lx, ex), (ly, ey)):
            p0, q0 = v[a, ring], v[b, ring]
            p1, q1 = p0 + e[a, ring], q0 + e[b, ring]
            boxes_apart |= ((np.maximum(p0, p1) < np.minimum(q0, q1) - gap)
                            | (np.maximum(q0, q1) < np.minimum(p0, p1) - gap))
        apart[pair, ring] = boxes_apart
    simple &= apart.all(axis=0)
    return simple
