"""Many small rings or lines held as one coordinate array.

The validation rules run over a whole project at once, so polygons and
polylines are flattened into one ``(n, 2)`` float64 array with offsets, the
layout shapely's ragged-array functions use.  Everything here is numpy over
all shapes together; GEOS objects are built only for the subsets that need
them (:meth:`Ragged.to_shapely`).

>>> import numpy as np
>>> r = Ragged.of([[np.zeros((3, 2)), np.ones((4, 2))], [np.ones((2, 2))]], closed=True)
>>> r.ring_offsets.tolist(), r.shape_rings.tolist(), r.shape_of_vertex().tolist()
([0, 3, 7, 9], [0, 2, 3], [0, 0, 0, 0, 0, 0, 0, 1, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

__all__ = ["BoolArray", "FloatArray", "IntArray", "Ragged", "ranges"]


def ranges(starts: IntArray, stops: IntArray) -> IntArray:
    """``concatenate([arange(a, b) for a, b in zip(starts, stops)])`` without the loop.

    >>> ranges(np.array([0, 5]), np.array([2, 8])).tolist()
    [0, 1, 5, 6, 7]
    """
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    # Each range starts where the previous one left off, shifted to its own start.
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    result: IntArray = np.arange(total, dtype=np.int64) + shift
    return result


def _offsets(lengths: Sequence[int] | IntArray) -> IntArray:
    out = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _joined(rings: Sequence[FloatArray], rows: int) -> FloatArray | None:
    """The float64 ``(n, 2)`` rings as one array, or None if one is not laid out so."""
    buffers: Sequence[Any] = rings        # arrays export their bytes (the buffer protocol)
    try:
        data = b"".join(buffers)
    except (BufferError, TypeError):         # a ring that is not C-contiguous
        return None
    if len(data) != 16 * rows:
        return None
    return np.frombuffer(data, np.float64).reshape(rows, 2)


@dataclass(frozen=True)
class Ragged:
    """Shapes made of rings (polygons) or of one open line each (polylines).

    ``coords`` holds every vertex, shape by shape and ring by ring, rings
    open (no repeated closing vertex); ring ``r`` is
    ``coords[ring_offsets[r]:ring_offsets[r + 1]]`` and shape ``s`` owns rings
    ``shape_rings[s]:shape_rings[s + 1]`` (its shell first).
    """

    coords: FloatArray
    ring_offsets: IntArray
    shape_rings: IntArray
    closed: bool

    @classmethod
    def of(cls, shapes: Sequence[Sequence[FloatArray]], closed: bool) -> Ragged:
        """From a list of shapes, each a list of ``(n, 2)`` rings."""
        rings = [ring for shape in shapes for ring in shape]
        return cls.from_rings(rings, _offsets([len(shape) for shape in shapes]), closed)

    @classmethod
    def uniform(cls, vertices: FloatArray, closed: bool) -> Ragged:
        """From an ``(n, k, 2)`` array: n shapes of one ring of k vertices each."""
        n, k = vertices.shape[:2]
        offsets = np.arange(n + 1, dtype=np.int64)
        return cls(np.ascontiguousarray(vertices.reshape(-1, 2), dtype=np.float64),
                   offsets * k, offsets, closed)

    @classmethod
    def from_rings(cls, rings: Sequence[FloatArray], shape_rings: IntArray,
                   closed: bool, float64_pairs: bool = False) -> Ragged:
        """From a list of rings; ``shape_rings`` says which rings make each shape.

        ``float64_pairs`` promises that every ring is a float64 ``(n, 2)``
        array, as the model's geometries hold them: their bytes are then
        joined directly, several times faster than ``np.concatenate`` of
        many small arrays.
        """
        lengths = np.fromiter(map(len, rings), np.int64, len(rings))
        coords = _joined(rings, int(lengths.sum())) if float64_pairs and rings else None
        if coords is None and rings:
            coords = np.concatenate(rings).astype(np.float64, copy=False)[:, :2]
        elif coords is None:
            coords = np.zeros((0, 2))
        return cls(np.ascontiguousarray(coords), _offsets(lengths), shape_rings, closed)

    # -- sizes and owners -------------------------------------------------------------

    @property
    def shapes(self) -> int:
        return len(self.shape_rings) - 1

    def ring_lengths(self) -> IntArray:
        return np.diff(self.ring_offsets)

    @cached_property
    def _shape_offsets(self) -> IntArray:
        return self.ring_offsets[self.shape_rings]

    def shape_offsets(self) -> IntArray:
        """Where each shape's vertices start in ``coords`` (plus the end)."""
        return self._shape_offsets

    def shape_of_ring(self) -> IntArray:
        return np.repeat(np.arange(self.shapes, dtype=np.int64), np.diff(self.shape_rings))

    def ring_of_vertex(self) -> IntArray:
        return np.repeat(np.arange(len(self.ring_offsets) - 1, dtype=np.int64),
                         self.ring_lengths())

    @cached_property
    def _shape_of_vertex(self) -> IntArray:
        return np.repeat(np.arange(self.shapes, dtype=np.int64), np.diff(self.shape_offsets()))

    def shape_of_vertex(self) -> IntArray:
        return self._shape_of_vertex

    # -- per-vertex helpers -----------------------------------------------------------------

    def next_coords(self) -> FloatArray:
        """The vertex after each vertex: rings wrap to their start, lines repeat their end."""
        return self._next_coords

    @cached_property
    def _next_coords(self) -> FloatArray:
        return self.following(self.coords)

    def following(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Per-vertex ``values`` moved one vertex back: each vertex gets its successor's."""
        nxt = np.empty_like(values)
        if len(nxt) == 0:
            return nxt
        nxt[:-1] = values[1:]
        starts, ends = self.ring_offsets[:-1], self.ring_offsets[1:] - 1
        nxt[ends] = values[starts] if self.closed else values[ends]
        return nxt

    def has_successor(self) -> BoolArray:
        """True where a vertex starts an edge (every vertex of a ring; not a line's last)."""
        mask = np.ones(len(self.coords), dtype=bool)
        if not self.closed and len(mask):
            mask[self.ring_offsets[1:] - 1] = False
        return mask

    def reduce(self, values: npt.NDArray[Any], ufunc: np.ufunc,
               dtype: npt.DTypeLike | None = None) -> npt.NDArray[Any]:
        """``ufunc.reduceat`` of per-vertex values over each shape (shapes are never empty)."""
        if self.shapes == 0:
            return values[:0].astype(dtype) if dtype is not None else values[:0]
        result: npt.NDArray[Any] = ufunc.reduceat(values, self.shape_offsets()[:-1],
                                                  dtype=dtype)
        return result

    def first_per_shape(self, mask: BoolArray) -> tuple[IntArray, IntArray]:
        """For each shape with a true vertex: the shape and its first true vertex."""
        hits = np.flatnonzero(mask)
        owners = self.shape_of_vertex()[hits]
        shapes, first = np.unique(owners, return_index=True)
        return shapes.astype(np.int64), hits[first].astype(np.int64)

    def bounds(self) -> FloatArray:
        """``(shapes, 4)`` array of xmin, ymin, xmax, ymax."""
        out = np.empty((self.shapes, 4))
        if self.shapes:
            out[:, :2] = self.reduce(self.coords, np.minimum)
            out[:, 2:] = self.reduce(self.coords, np.maximum)
        return out

    def subset(self, which: IntArray) -> Ragged:
        """The shapes ``which`` alone, as a new Ragged."""
        ring_ids = ranges(self.shape_rings[which], self.shape_rings[which + 1])
        starts, stops = self.ring_offsets[ring_ids], self.ring_offsets[ring_ids + 1]
        per_shape = self.shape_rings[which + 1] - self.shape_rings[which]
        return Ragged(self.coords[ranges(starts, stops)], _offsets(stops - starts),
                      _offsets(per_shape), self.closed)

    # -- GEOS objects for a subset ----------------------------------------------------------

    def rings_of(self, shape: int) -> list[FloatArray]:
        first, last = self.shape_rings[shape], self.shape_rings[shape + 1]
        return [self.coords[self.ring_offsets[r]:self.ring_offsets[r + 1]]
                for r in range(first, last)]

    def to_shapely(self, which: IntArray | None = None) -> npt.NDArray[np.object_]:
        """Shapely polygons (or line strings) of the shapes ``which`` (default all)."""
        selected = np.arange(self.shapes, dtype=np.int64) if which is None else which
        if len(selected) == 0:
            return np.empty(0, dtype=object)
        ring_ids = ranges(self.shape_rings[selected], self.shape_rings[selected + 1])
        starts, stops = self.ring_offsets[ring_ids], self.ring_offsets[ring_ids + 1]
        if not self.closed:
            vertex = ranges(starts, stops)
            lengths = stops - starts
            result: npt.NDArray[np.object_] = shapely.from_ragged_array(
                shapely.GeometryType.LINESTRING, self.coords[vertex], (_offsets(lengths),))
            return result
        # Close each ring: one index past its end stands for its first vertex.
        vertex = ranges(starts, stops + 1)
        lengths = stops - starts + 1
        ends = np.repeat(stops, lengths)
        vertex = np.where(vertex == ends, np.repeat(starts, lengths), vertex)
        per_shape = self.shape_rings[selected + 1] - self.shape_rings[selected]
        polygons: npt.NDArray[np.object_] = shapely.from_ragged_array(
            shapely.GeometryType.POLYGON, self.coords[vertex],
            (_offsets(lengths), _offsets(per_shape)))
        return polygons
