"""Geometry value types: immutable shapes over float64 numpy arrays.

Every kind of DESIGN.md is one frozen class.  Coordinates are float64 and the
arrays are read-only, so a shape can be shared between the store, the undo
stack and a view without defensive copies.  Each shape exposes its editable
vertices as one ``(n, dim)`` array and rebuilds itself from an edited copy,
which is all the vertex-editing commands need.

>>> box = Box.from_corners(10, 20, 4, 2)
>>> box.to_json()
{'kind': 'box', 'coords': [4.0, 2.0, 10.0, 20.0]}
>>> geometry_from_json(box.to_json()) == box
True
>>> box.with_vertices(box.vertices + 1).to_json()["coords"]
[5.0, 3.0, 11.0, 21.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from annotator.errors import GeometryError

__all__ = [
    "GEOMETRY_KINDS",
    "KINDS_2D",
    "KINDS_3D",
    "Box",
    "Cuboid",
    "Geometry",
    "Point",
    "Point3D",
    "Polygon",
    "Polygon3D",
    "Polyline",
    "Polyline3D",
    "RotatedBox",
    "geometry_from_json",
]

FloatArray = npt.NDArray[np.float64]

# Beyond this a coordinate is a unit mistake or an attack, not a map: plane
# rectangular and UTM coordinates stay well below 1e8 metres or pixels.
COORDINATE_LIMIT = 1e9


def _frozen(values: Any, dim: int, kind: str, min_points: int) -> FloatArray:
    try:
        array = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise GeometryError(f"{kind}: coordinates are not numbers ({exc})") from None
    if array.ndim == 1 and array.size % dim == 0:
        array = array.reshape(-1, dim)
    if array.ndim != 2 or array.shape[1] != dim:
        raise GeometryError(f"{kind}: expected points of {dim} coordinates, "
                            f"got shape {array.shape}")
    if len(array) < min_points:
        raise GeometryError(f"{kind}: needs at least {min_points} points, got {len(array)}")
    if not np.isfinite(array).all():
        raise GeometryError(f"{kind}: coordinates must be finite numbers (found NaN or infinity)")
    if array.size and np.abs(array).max() > COORDINATE_LIMIT:
        raise GeometryError(f"{kind}: coordinate out of range (|value| > {COORDINATE_LIMIT:g})")
    array.setflags(write=False)
    return array


def _finite(value: float, kind: str, name: str) -> float:
    number = float(value)
    if not math.isfinite(number) or abs(number) > COORDINATE_LIMIT:
        raise GeometryError(f"{kind}: {name} must be a finite number, got {value!r}")
    return number


class Geometry:
    """Base of all shapes; subclasses are frozen dataclasses."""

    kind: ClassVar[str]
    dim: ClassVar[int]

    @property
    def vertices(self) -> FloatArray:
        """The editable vertices as one read-only ``(n, dim)`` array."""
        raise NotImplementedError

    def with_vertices(self, vertices: Any) -> Geometry:
        """A new shape of the same kind built from edited vertices."""
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Axis-aligned minimum and maximum corner."""
        v = self.vertices
        return v.min(axis=0), v.max(axis=0)

    def translated(self, offset: Sequence[float]) -> Geometry:
        delta = np.zeros(self.dim)
        delta[: len(offset)] = offset
        return self.with_vertices(self.vertices + delta)

    def moved(self, indices: Sequence[int], offset: Sequence[float]) -> Geometry:
        """Move the vertices at ``indices`` by ``offset``."""
        vertices = self.vertices.copy()
        try:
            vertices[list(indices), : len(offset)] += np.asarray(offset, dtype=np.float64)
        except IndexError:
            raise GeometryError(f"{self.kind}: vertex index out of range") from None
        return self.with_vertices(vertices)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))


@dataclass(frozen=True, eq=False)
class Box(Geometry):
    """Axis-aligned box; ``corners`` is ``[[xmin, ymin], [xmax, ymax]]``."""

    corners: FloatArray
    kind: ClassVar[str] = "box"
    dim: ClassVar[int] = 2

    def __post_init__(self) -> None:
        c = _frozen(self.corners, 2, self.kind, 2)
        if len(c) != 2:
            raise GeometryError(f"box: needs exactly 2 corners, got {len(c)}")
        lo, hi = np.minimum(c[0], c[1]), np.maximum(c[0], c[1])
        normal = np.array([lo, hi])
        normal.setflags(write=False)
        object.__setattr__(self, "corners", normal)

    @classmethod
    def from_corners(cls, x0: float, y0: float, x1: float, y1: float) -> Box:
        return cls(np.array([[x0, y0], [x1, y1]], dtype=np.float64))

    @property
    def vertices(self) -> FloatArray:
        return self.corners

    def with_vertices(self, vertices: Any) -> Box:
        return Box(vertices)

    @property
    def width(self) -> float:
        return float(self.corners[1, 0] - self.corners[0, 0])

    @property
    def height(self) -> float:
        return float(self.corners[1, 1] - self.corners[0, 1])

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "coords": self.corners.ravel().tolist()}


@dataclass(frozen=True, eq=False)
class RotatedBox(Geometry):
    """Box of ``width`` x ``height`` centred on ``(cx, cy)``, turned by ``angle`` radians."""

    cx: float
    cy: float
    width: float
    height: float
    angle: float
    kind: ClassVar[str] = "rotated_box"
    dim: ClassVar[int] = 2

    def __post_init__(self) -> None:
        for name in ("cx", "cy", "width", "height", "angle"):
            object.__setattr__(self, name, _finite(getattr(self, name), self.kind, name))
        if self.width < 0 or self.height < 0:
            raise GeometryError("rotated_box: width and height must not be negative")

    @property
    def vertices(self) -> FloatArray:
        c, s = math.cos(self.angle), math.sin(self.angle)
        hw, hh = self.width / 2, self.height / 2
        local = np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]])
        rotation = np.array([[c, -s], [s, c]])
        corners: FloatArray = local @ rotation.T + np.array([self.cx, self.cy])
        corners.setflags(write=False)
        return corners

    def with_vertices(self, vertices: Any) -> RotatedBox:
        v = _frozen(vertices, 2, self.kind, 4)
        centre = v[:4].mean(axis=0)
        edge_w, edge_h = v[1] - v[0], v[2] - v[1]
        angle = math.atan2(edge_w[1], edge_w[0])
        return RotatedBox(
            float(centre[0]), float(centre[1]),
            float(np.hypot(*edge_w)), float(np.hypot(*edge_h)), angle,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "coords": [self.cx, self.cy, self.width, self.height, self.angle],
        }


@dataclass(frozen=True, eq=False)
class _Ring(Geometry):
    """Shared body of polygons: a shell and holes, each an open ring."""

    shell: FloatArray
    holes: tuple[FloatArray, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "shell", _frozen(self.shell, self.dim, self.kind, 3))
        holes = tuple(_frozen(h, self.dim, self.kind, 3) for h in self.holes)
        object.__setattr__(self, "holes", holes)

    @property
    def vertices(self) -> FloatArray:
        if not self.holes:
            return self.shell
        joined = np.concatenate([self.shell, *self.holes])
        joined.setflags(write=False)
        return joined

    def with_vertices(self, vertices: Any) -> Geometry:
        v = _frozen(vertices, self.dim, self.kind, 3)
        if len(v) != len(self.vertices):
            raise GeometryError(f"{self.kind}: vertex count changed; use insert or remove")
        sizes = [len(self.shell), *(len(h) for h in self.holes)]
        parts = np.split(v, np.cumsum(sizes)[:-1])
        return type(self)(parts[0], tuple(parts[1:]))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "coords": self.shell.ravel().tolist()}
        if self.holes:
            data["holes"] = [h.ravel().tolist() for h in self.holes]
        return data


@dataclass(frozen=True, eq=False)
class Polygon(_Ring):
    """Polygon with optional holes; rings are stored open (last != first)."""

    kind: ClassVar[str] = "polygon"
    dim: ClassVar[int] = 2


@dataclass(frozen=True, eq=False)
class Polygon3D(_Ring):
    kind: ClassVar[str] = "polygon3d"
    dim: ClassVar[int] = 3


@dataclass(frozen=True, eq=False)
class _Line(Geometry):
    points: FloatArray
    min_points: ClassVar[int] = 2

    def __post_init__(self) -> None:
        array = _frozen(self.points, self.dim, self.kind, self.min_points)
        object.__setattr__(self, "points", array)

    @property
    def vertices(self) -> FloatArray:
        return self.points

    def with_vertices(self, vertices: Any) -> Geometry:
        return type(self)(vertices)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "coords": self.points.ravel().tolist()}


@dataclass(frozen=True, eq=False)
class Polyline(_Line):
    kind: ClassVar[str] = "polyline"
    dim: ClassVar[int] = 2


@dataclass(frozen=True, eq=False)
class Polyline3D(_Line):
    kind: ClassVar[str] = "polyline3d"
    dim: ClassVar[int] = 3


@dataclass(frozen=True, eq=False)
class Point(_Line):
    kind: ClassVar[str] = "point"
    dim: ClassVar[int] = 2
    min_points: ClassVar[int] = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.points) != 1:
            raise GeometryError(f"{self.kind}: exactly one point expected")

    @classmethod
    def at(cls, *coords: float) -> Point:
        return cls(np.array([coords], dtype=np.float64))


@dataclass(frozen=True, eq=False)
class Point3D(Point):
    kind: ClassVar[str] = "point3d"
    dim: ClassVar[int] = 3


@dataclass(frozen=True, eq=False)
class Cuboid(Geometry):
    """3D box: ``center`` (x, y, z), ``size`` (length, width, height), ``yaw`` radians."""

    center: FloatArray
    size: FloatArray
    yaw: float = 0.0
    kind: ClassVar[str] = "cuboid"
    dim: ClassVar[int] = 3

    def __post_init__(self) -> None:
        center = _frozen(self.center, 3, self.kind, 1)
        size = _frozen(self.size, 3, self.kind, 1)
        if len(center) != 1 or len(size) != 1:
            raise GeometryError("cuboid: center and size are single 3D vectors")
        if (size < 0).any():
            raise GeometryError("cuboid: size must not be negative")
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "yaw", _finite(self.yaw, self.kind, "yaw"))

    @property
    def vertices(self) -> FloatArray:
        return self.center

    def with_vertices(self, vertices: Any) -> Cuboid:
        return Cuboid(vertices, self.size, self.yaw)

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        length, width, height = self.size[0]
        ext = np.array([
            (abs(c) * length + abs(s) * width) / 2,
            (abs(s) * length + abs(c) * width) / 2,
            height / 2,
        ])
        return self.center[0] - ext, self.center[0] + ext

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "coords": [*self.center[0].tolist(), *self.size[0].tolist(), self.yaw],
        }


GEOMETRY_KINDS: dict[str, type[Geometry]] = {
    cls.kind: cls
    for cls in (Box, RotatedBox, Polygon, Polyline, Point, Cuboid, Polyline3D, Polygon3D, Point3D)
}
KINDS_2D = frozenset(k for k, cls in GEOMETRY_KINDS.items() if cls.dim == 2)
KINDS_3D = frozenset(k for k, cls in GEOMETRY_KINDS.items() if cls.dim == 3)


def _numbers(value: Any, kind: str) -> list[float]:
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        raise GeometryError(f"{kind}: 'coords' must be a flat list of numbers")
    return [float(v) for v in value]


def geometry_from_json(data: Any) -> Geometry:
    """Rebuild a shape from :meth:`Geometry.to_json` output, checking every value."""
    if not isinstance(data, dict) or "kind" not in data or "coords" not in data:
        raise GeometryError("geometry must be an object with 'kind' and 'coords'")
    kind = data["kind"]
    cls = GEOMETRY_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise GeometryError(f"unknown geometry kind {kind!r}")
    coords = _numbers(data["coords"], kind)
    if cls is RotatedBox:
        if len(coords) != 5:
            raise GeometryError("rotated_box: 'coords' is [cx, cy, width, height, angle]")
        return RotatedBox(*coords)
    if cls is Cuboid:
        if len(coords) != 7:
            raise GeometryError("cuboid: 'coords' is [x, y, z, length, width, height, yaw]")
        return Cuboid(np.array(coords[:3]), np.array(coords[3:6]), coords[6])
    if issubclass(cls, _Ring):
        holes: Iterable[Any] = data.get("holes", [])
        if not isinstance(holes, list):
            raise GeometryError(f"{kind}: 'holes' must be a list of rings")
        return cls(np.array(coords), tuple(np.array(_numbers(h, kind)) for h in holes))
    return cls(np.array(coords))  # type: ignore[call-arg]
