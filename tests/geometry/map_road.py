"""A generated two-lane road on two point-cloud tiles, for the map-rule tests.

The road runs east along x from 0 to 40 m in world coordinates far from the
origin (EPSG:6677-like, about 12 km and 35 km out), on a 2% slope: a south
road edge (y = -3.5), a centre lane line (y = 0) and a north road edge
(y = +3.5), each drawn in two pieces that meet at the tile seam (x = 20)
by sharing their end point exactly.  Four lanelets: eastbound (left: the
centre line, right: the south edge) and westbound (left: the centre line used
reversed, right: the north edge reversed) on each tile.  A stop line across
the eastbound lane of tile 2 at x = 35 ends on the vertices of the edge and
the centre line; a stop sign links it and its lanelet; a crosswalk spans the
road at x = 10-13 and a pole stands beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from annotator.geometry.mapnet import lanelet_links, lanelet_polygon
from annotator.model import Annotation, Item, LabelSchema
from annotator.schema import load_schema
from annotator.shapes import Point3D, Polygon3D, Polyline3D

SCHEMA: LabelSchema = load_schema(Path(__file__).resolve().parents[2] / "sample_data"
                                  / "schema.yaml")
#: World offset of the road (metres east, north) and its height at x = 0.
EAST, NORTH, HEIGHT = -12000.0, -35000.0, 40.0
SLOPE = 0.02
ITEMS = (Item(1, "tile_1.pcd", "pointcloud", "pcd", "", 0, points=1),
         Item(2, "tile_2.pcd", "pointcloud", "pcd", "", 0, points=1))


def world(x: float, y: float, dz: float = 0.0) -> list[float]:
    """Road coordinates -> world xyz on the sloped road surface."""
    return [EAST + x, NORTH + y, HEIGHT + SLOPE * x + dz]


def spot(x: float, y: float) -> tuple[float, float]:
    return (EAST + x, NORTH + y)


def line(xs: Any, y: float) -> np.ndarray:
    return np.array([world(float(x), y) for x in xs])


@dataclass
class Road:
    """The road's annotations by name; ``entries()`` hands them to the validator."""

    shapes: dict[str, Annotation] = field(default_factory=dict)

    def add(self, name: str, annotation: Annotation) -> Annotation:
        self.shapes[name] = annotation
        return annotation

    def next_id(self) -> int:
        return max((a.id or 0 for a in self.shapes.values()), default=0) + 1

    def line(self, name: str, item: int, label: str, points: Any,
             **attributes: Any) -> Annotation:
        defaults = SCHEMA.get(label).default_attributes()
        return self.add(name, Annotation(self.next_id(), item, label,
                                         Polyline3D(np.asarray(points, dtype=np.float64)),
                                         {**defaults, **attributes}))

    def lanelet(self, name: str, item: int, left: str, right: str, reverse_left: bool = False,
                reverse_right: bool = False) -> Annotation:
        a, b = self.shapes[left], self.shapes[right]
        links = lanelet_links(a.id or 0, b.id or 0, reverse_left, reverse_right)
        return self.add(name, Annotation(
            self.next_id(), item, "lanelet", self.area(links),
            SCHEMA.get("lanelet").default_attributes(), links=links))

    def area(self, links: dict[str, int]) -> Polygon3D:
        by_id = {a.id: a for a in self.shapes.values()}
        sides = []
        for side in ("left", "right"):
            line = by_id[abs(links[side])].geometry.vertices
            sides.append(line[::-1] if links[side] < 0 else line)
        return lanelet_polygon(*sides)

    def move(self, name: str, vertex: int, dx: float = 0.0, dy: float = 0.0,
             dz: float = 0.0) -> Annotation:
        shape = self.shapes[name]
        points = np.array(shape.geometry.vertices, dtype=np.float64)
        points[vertex] += [dx, dy, dz]
        self.shapes[name] = replace(shape, geometry=shape.geometry.with_vertices(points))
        return self.shapes[name]

    def relink(self, name: str, **links: int) -> Annotation:
        shape = self.shapes[name]
        merged = {**shape.links, **links}
        known = {abs(a.id or 0) for a in self.shapes.values()}
        redraw = ("left" in links or "right" in links) and {
            abs(merged["left"]), abs(merged["right"])} <= known
        self.shapes[name] = replace(shape, links=merged,
                                    geometry=self.area(merged) if redraw else shape.geometry)
        return self.shapes[name]

    def id(self, name: str) -> int:
        return int(self.shapes[name].id or 0)

    def entries(self) -> list[tuple[Item, list[Annotation]]]:
        return [(item, [a for a in self.shapes.values() if a.item_id == item.id])
                for item in ITEMS]


def two_lane_road() -> Road:
    road = Road()
    first, second = np.arange(0, 21, 5), np.arange(20, 41, 5)
    for item, xs in ((1, first), (2, second)):
        road.line(f"south{item}", item, "road_edge", line(xs, -3.5), edge_type="curb")
        road.line(f"centre{item}", item, "lane_line", line(xs, 0.0), line_type="dashed")
        road.line(f"north{item}", item, "road_edge", line(xs, 3.5), edge_type="curb")
    for item in (1, 2):
        road.lanelet(f"east{item}", item, f"centre{item}", f"south{item}")
        road.lanelet(f"west{item}", item, f"centre{item}", f"north{item}", True, True)
    road.line("stop", 2, "stop_line", [world(35, -3.5), world(35, 0.0)])
    road.add("sign", Annotation(road.next_id(), 2, "traffic_sign",
                                Point3D(np.array([world(36, -4.5, 2.0)])),
                                {"sign_type": "stop", "sign_code": "330"},
                                links={"stop_line": road.id("stop"),
                                       "lanelet": road.id("east2")}))
    road.add("crosswalk", Annotation(road.next_id(), 1, "crosswalk", Polygon3D(np.array(
        [world(10, -3.5), world(13, -3.5), world(13, 3.5), world(10, 3.5)]))))
    road.add("pole", Annotation(road.next_id(), 1, "pole",
                                Point3D(np.array([world(12, -4.5)])), {"height_m": 6.0}))
    return road
