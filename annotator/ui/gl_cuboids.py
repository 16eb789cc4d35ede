"""Cuboids in the 3D view: their edges as screen-space line quads, and picking.

A cuboid arrives in WORLD coordinates (float64); the origin of the tile is
subtracted in float64 before anything becomes float32, so a box 40 km from
its CRS origin is drawn where it is to the millimetre.

Each edge is drawn as two triangles widened in the vertex shader to a width
in pixels (``glLineWidth`` above 1 is not part of the core profile).  A box
has its 12 edges plus a heading mark: the diagonals of its front face (the
face that +length points through) and a line from its centre to that face.

>>> import numpy as np
>>> from annotator.shapes import Cuboid
>>> box = Cuboid(np.array([40_010.0, 0.0, 1.0]), np.array([4.0, 2.0, 2.0]), 0.0)
>>> local = box_segments(box, np.array([40_000.0, 0.0, 0.0]))
>>> local.shape
(15, 2, 3)
>>> float(local[:, :, 0].min()), float(local[:, :, 0].max())
(8.0, 12.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from annotator.shapes import Cuboid

__all__ = [
    "FLOATS_PER_VERTEX", "CuboidOverlay", "box_corners", "box_segments", "feature_vertices",
    "pick",
]

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]

#: a (3), b (3), corner (2), colour (4), width (1)
FLOATS_PER_VERTEX = 13
#: Corners (x = which end, y = which side) of the two triangles of one edge quad.
_QUAD = np.array([[0, -1], [1, -1], [1, 1], [0, -1], [1, 1], [0, 1]], dtype=np.float32)
#: Corner indices of the 12 edges: bottom ring, top ring, verticals.
_EDGES = ((0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4),
          (0, 4), (1, 5), (2, 6), (3, 7))
LINE_WIDTH = 1.5
SELECTED_WIDTH = 3.5


def box_corners(cuboid: Cuboid, origin: F64) -> F64:
    """The 8 corners in local coordinates: bottom (front-right, front-left,
    back-left, back-right), then the same on top; "front" is +length."""
    center = cuboid.center[0] - origin
    length, width, height = cuboid.size[0] / 2
    signs = np.array([[1, -1], [1, 1], [-1, 1], [-1, -1]], dtype=np.float64)
    c, s = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
    u = signs[:, 0] * length
    v = signs[:, 1] * width
    xy = np.column_stack([c * u - s * v, s * u + c * v])
    bottom = np.column_stack([xy, np.full(4, -height)])
    top = np.column_stack([xy, np.full(4, height)])
    corners: F64 = np.vstack([bottom, top]) + center
    return corners


def box_segments(cuboid: Cuboid, origin: F64) -> F64:
    """(15, 2, 3): the 12 edges, the front-face diagonals and the heading line."""
    corners = box_corners(cuboid, origin)
    edges = [(corners[a], corners[b]) for a, b in _EDGES]
    front = corners[[0, 1, 5, 4]]
    front_centre = front.mean(axis=0)
    centre = cuboid.center[0] - origin
    marks = [(front[0], front[2]), (front[1], front[3]), (centre, front_centre)]
    return np.array(edges + marks, dtype=np.float64)


def _rgba(colour: str, selected: bool) -> tuple[float, float, float, float]:
    text = colour.lstrip("#")
    try:
        r, g, b = (int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        r, g, b = 1.0, 1.0, 1.0
    if selected:
        # brighter: a third of the way to white
        r, g, b = (c + (1 - c) * 0.35 for c in (r, g, b))
    return r, g, b, 1.0


@dataclass(frozen=True)
class CuboidOverlay:
    """The cuboids of one frame: ids, local corners and the vertex data for the GPU."""

    ids: tuple[int, ...]
    corners: F64          # (n, 8, 3)
    centres: F64          # (n, 3)
    segments: F64         # (n, 15, 2, 3)
    vertices: F32         # (n * 15 * 6, FLOATS_PER_VERTEX)

    @classmethod
    def build(cls, cuboids: list[tuple[int, Cuboid, str]], origin: F64,
              selection: set[int], scale: float = 1.0) -> CuboidOverlay:
        """Lay out ``(annotation_id, cuboid, "#rrggbb")``; selected ones last, thicker."""
        ordered = sorted(cuboids, key=lambda entry: entry[0] in selection)
        if not ordered:
            empty = np.zeros((0, 3))
            return cls((), np.zeros((0, 8, 3)), empty, np.zeros((0, 15, 2, 3)),
                       np.zeros((0, FLOATS_PER_VERTEX), dtype=np.float32))
        segments = np.array([box_segments(c, origin) for _, c, _ in ordered])
        corners = np.array([box_corners(c, origin) for _, c, _ in ordered])
        centres = np.array([c.center[0] - origin for _, c, _ in ordered])
        n = len(ordered)
        verts = np.zeros((n, 15, 6, FLOATS_PER_VERTEX), dtype=np.float32)
        verts[..., 0:3] = segments[:, :, None, 0, :]
        verts[..., 3:6] = segments[:, :, None, 1, :]
        verts[..., 6:8] = _QUAD
        for index, (ident, _, colour) in enumerate(ordered):
            chosen = ident in selection
            verts[index, ..., 8:12] = _rgba(colour, chosen)
            verts[index, ..., 12] = (SELECTED_WIDTH if chosen else LINE_WIDTH) * scale
        return cls(tuple(ident for ident, _, _ in ordered), corners, centres, segments,
                   verts.reshape(-1, FLOATS_PER_VERTEX))


def feature_vertices(features: list[tuple[int, F64, str, bool]], origin: F64,
                     selection: set[int], scale: float = 1.0) -> F32:
    """Line quads for map features: ``(annotation_id, WORLD (n, 3) vertices, colour,
    closed)``; a closed one (an area) also joins its last vertex to its first.

    They are drawn like cuboid edges, so a lane line shows at its lifted height
    among the points and a wrong height stands out at once.
    """
    parts = []
    for ident, world, colour, closed in features:
        local = np.asarray(world, dtype=np.float64) - origin
        if len(local) == 1:  # a point: a short upright mark, 1.5 m
            local = np.vstack([local, local + np.array([0.0, 0.0, 1.5])])
        ends = np.concatenate([local, local[:1]]) if closed and len(local) > 2 else local
        segments = np.stack([ends[:-1], ends[1:]], axis=1)
        verts = np.zeros((len(segments), 6, FLOATS_PER_VERTEX), dtype=np.float32)
        verts[..., 0:3] = segments[:, None, 0, :]
        verts[..., 3:6] = segments[:, None, 1, :]
        verts[..., 6:8] = _QUAD
        chosen = ident in selection
        verts[..., 8:12] = _rgba(colour, chosen)
        verts[..., 12] = (SELECTED_WIDTH if chosen else LINE_WIDTH + 0.5) * scale
        parts.append(verts.reshape(-1, FLOATS_PER_VERTEX))
    if not parts:
        return np.zeros((0, FLOATS_PER_VERTEX), dtype=np.float32)
    return np.concatenate(parts)


def _segment_distance(p: F64, a: F64, b: F64) -> F64:
    """Distance from point ``p`` to each 2D segment a[i]-b[i]."""
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(length2, 1e-12), 0, 1)
    closest = a + ab * t[:, None]
    return np.asarray(np.linalg.norm(closest - p, axis=1), dtype=np.float64)


def _inside_convex_hull(p: F64, points: F64) -> bool:
    """Is ``p`` inside the convex hull of the 2D ``points`` (monotone chain)?"""
    pts = sorted(map(tuple, points.tolist()))

    def half(seq: list[tuple[float, ...]]) -> list[tuple[float, ...]]:
        chain: list[tuple[float, ...]] = []
        for q in seq:
            while len(chain) >= 2 and (
                (chain[-1][0] - chain[-2][0]) * (q[1] - chain[-2][1])
                - (chain[-1][1] - chain[-2][1]) * (q[0] - chain[-2][0])
            ) <= 0:
                chain.pop()
            chain.append(q)
        return chain

    hull = half(pts)[:-1] + half(pts[::-1])[:-1]
    if len(hull) < 3:
        return False
    for i, a in enumerate(hull):
        b = hull[(i + 1) % len(hull)]
        if (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) < 0:
            return False
    return True


def pick(overlay: CuboidOverlay, projected_segments: F64, projected_corners: F64,
         centre_depths: F64, x: float, y: float, tolerance: float) -> int | None:
    """The id of the cuboid at widget pixel (x, y), or None.

    ``projected_segments`` is (n, 15, 2, 2) in widget pixels (NaN where an end
    is behind the eye), ``projected_corners`` (n, 8, 2).  A click within
    ``tolerance`` pixels of a drawn line wins (the nearest line); otherwise the
    nearest box whose projected outline holds the click.
    """
    if not overlay.ids:
        return None
    p = np.array([x, y], dtype=np.float64)
    best: tuple[float, float, int] | None = None
    for index, ident in enumerate(overlay.ids):
        seg = projected_segments[index]
        ok = np.isfinite(seg).all(axis=(1, 2))
        edge = float(_segment_distance(p, seg[ok, 0], seg[ok, 1]).min()) if ok.any() \
            else math.inf
        corners = projected_corners[index]
        inside = bool(np.isfinite(corners).all()) and _inside_convex_hull(p, corners)
        if edge <= tolerance:
            key = (0.0, edge, ident)
        elif inside:
            key = (1.0, float(centre_depths[index]), ident)
        else:
            continue
        # later entries are the selected ones, drawn on top: they win ties
        if best is None or key[:2] <= best[:2]:
            best = key
    return None if best is None else best[2]
