"""Proving polygon shells simple in numpy: a star-shaped shell cannot cross itself.

A shell is star-shaped about a centre when every edge turns the same way
about it, with a safe margin, and the edges go round it exactly once.
Most annotated outlines are star-shaped about the mean of their vertices
or about their centroid, so this settles them without GEOS; the area and
centroid fall out of the same sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annotator.geometry._ragged import BoolArray, FloatArray, Ragged

__all__ = ["Shells", "shell_shape"]

# Relative margin of the numpy orientation test: far above float64 rounding,
# so a shape it calls star-shaped is one GEOS's exact predicates agree on.
_MARGIN = 1e-9


@dataclass(frozen=True)
class Shells:
    star: BoolArray          # proven simple in numpy
    collinear: BoolArray     # every vertex on one line through the centre: maybe < 3 distinct
    area: FloatArray         # shoelace area of the shell
    centroid: FloatArray     # (n, 2) area centroid of the shell (NaN when it has no area)
    bounds: FloatArray | None = None    # (n, 4) of the shells, where computed on the way


def _turning(shells: Ragged, centre: FloatArray) -> Shells:
    """Star test of each shell about its ``centre``, with its area and centroid."""
    owner = shells.shape_of_vertex()
    ax = shells.coords[:, 0] - centre[owner, 0]
    ay = shells.coords[:, 1] - centre[owner, 1]
    bx, by = shells.following(ax), shells.following(ay)
    cross = ax * by - ay * bx
    length2 = ax * ax + ay * ay
    decisive = cross * cross > (_MARGIN * _MARGIN) * length2 * shells.following(length2)
    turn = np.where(decisive, np.sign(cross), 0.0)
    counter = shells.reduce(turn, np.minimum) > 0
    clockwise = shells.reduce(turn, np.maximum) < 0
    # Turning one way everywhere, a ring winds round the centre as often as it
    # crosses the horizontal through it upwards, and as often downwards: a
    # star crosses it twice in all.
    crossings = shells.reduce((ay < 0) != (by < 0), np.add, dtype=np.int32)
    star = (counter | clockwise) & (crossings == 2)
    collinear = shells.reduce(turn == 0, np.logical_and)
    twice_area = shells.reduce(cross, np.add)
    moment = np.empty((len(twice_area), 2))
    moment[:, 0] = shells.reduce((ax + bx) * cross, np.add)
    moment[:, 1] = shells.reduce((ay + by) * cross, np.add)
    with np.errstate(invalid="ignore", divide="ignore"):
        centroid = centre + moment / (3 * twice_area[:, None])
    return Shells(star, collinear, np.abs(twice_area) / 2, centroid)


def shell_shape(shells: Ragged) -> Shells:
    """Star test about the mean of the vertices, then about the centroid for the rest."""
    counts = np.diff(shells.shape_offsets())
    if len(counts) and counts.min() == counts.max():
        return _uniform_shell_shape(shells.coords, int(counts[0]))
    first = _turning(shells, shells.reduce(shells.coords, np.add) / counts[:, None])
    retry = np.flatnonzero(~first.star & ~first.collinear & np.isfinite(first.centroid[:, 0]))
    if len(retry):
        again = _turning(shells.subset(retry), first.centroid[retry])
        first.star[retry] = again.star
    return first


def _uniform_shell_shape(coords: FloatArray, k: int) -> Shells:
    """:func:`_shell_shape` of shells that all have ``k`` vertices, with their bounds.

    Vertex ``v`` of every shell is one row of a ``(k, n)`` array, so each
    per-shell sum or test is k - 1 operations on whole rows: many times
    faster than ``reduceat`` over runs of k values.  Sums run over the
    vertices in the same order, so the results match the general path.
    """
    columns = coords.reshape(-1, k, 2).transpose(2, 1, 0)
    x, y = np.ascontiguousarray(columns[0]), np.ascontiguousarray(columns[1])
    first = _uniform_turning(x, y, np.stack([x.sum(axis=0) / k, y.sum(axis=0) / k], axis=1))
    retry = np.flatnonzero(~first.star & ~first.collinear & np.isfinite(first.centroid[:, 0]))
    if len(retry):
        again = _uniform_turning(x[:, retry], y[:, retry], first.centroid[retry])
        first.star[retry] = again.star
    bounds = np.stack([x.min(axis=0), y.min(axis=0), x.max(axis=0), y.max(axis=0)], axis=1)
    return Shells(first.star, first.collinear, first.area, first.centroid, bounds)


def _uniform_turning(x: FloatArray, y: FloatArray, centre: FloatArray) -> Shells:
    """:func:`_turning` of ``(k, n)`` vertex rows (see :func:`_uniform_shell_shape`)."""
    ax, ay = x - centre[:, 0], y - centre[:, 1]
    bx, by = np.roll(ax, -1, axis=0), np.roll(ay, -1, axis=0)
    cross = ax * by - ay * bx
    length2 = ax * ax + ay * ay
    decisive = cross * cross > (_MARGIN * _MARGIN) * length2 * np.roll(length2, -1, axis=0)
    # All turns decisive and positive (negative) is _turning's min > 0 (max < 0).
    counter = np.logical_and.reduce(decisive & (cross > 0), axis=0)
    clockwise = np.logical_and.reduce(decisive & (cross < 0), axis=0)
    crossings = np.add.reduce((ay < 0) != (by < 0), axis=0, dtype=np.int32)
    star = (counter | clockwise) & (crossings == 2)
    collinear = ~np.logical_or.reduce(decisive, axis=0)
    twice_area = np.add.reduce(cross, axis=0)
    moment = np.empty((len(twice_area), 2))
    moment[:, 0] = np.add.reduce((ax + bx) * cross, axis=0)
    moment[:, 1] = np.add.reduce((ay + by) * cross, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        centroid = centre + moment / (3 * twice_area[:, None])
    return Shells(star, collinear, np.abs(twice_area) / 2, centroid)
