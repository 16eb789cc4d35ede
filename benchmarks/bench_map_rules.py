"""Map-rule benchmark: the HD-map validation of a generated two-lane road.

Run::

    python benchmarks/bench_map_rules.py            # 100 km: 2,000 tiles of 50 m
    python benchmarks/bench_map_rules.py --quick    # 10 km

The road: on each 50 m tile a south road edge, a centre lane line and a
north road edge (vertices every 5 m, joined to the next tile's by a shared
end point) and two lanelets (one each way, the westbound one using the
centre line reversed); every 500 m a stop line across the eastbound lane
with a stop sign linking it.  One tile in a hundred gets a defect (a gap at
the seam, a swapped lanelet, a height step), so the findings are counted
and checked.

Measured, median of a few runs, in one process:

* ours: ``validate_items`` over all tiles (class and attribute rules and
  the eight map rules, on numpy and shapely 2);
* peer: the lanelet2 library (C++) on the same road, built in memory with
  shared points beforehand (not timed): ``RoutingGraph(map, rules)`` and
  ``checkValidity()``, its own topology build and check, which is what a
  Lanelet2 user runs to validate a map.

Target: ours within 10x the peer (ours checks geometry the peer does not
look at: widths, crossings, sides, gaps, heights, duplicates).  Needs the
``lanelet2`` package (the test extra).  The exit code is always 0: this
reports, it does not gate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from machine import machine_state  # benchmarks/machine.py

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.geometry import validate_items
from annotator.geometry.mapnet import boundary_ref, is_lanelet, point_key
from annotator.model import Annotation, Item
from annotator.shapes import Point3D, Polyline3D
from tests.geometry.map_road import SCHEMA, Road, line, world

TARGET = 10.0
TILE = 50.0


def road(tiles: int) -> tuple[list[tuple[Item, list[Annotation]]], int]:
    """The road's entries and how many defects were put in."""
    made = Road()
    defects = 0
    for t in range(tiles):
        xs = np.arange(t * TILE, (t + 1) * TILE + 1, 5.0)
        item = t + 1
        made.line(f"s{t}", item, "road_edge", line(xs, -3.5), edge_type="curb")
        made.line(f"c{t}", item, "lane_line", line(xs, 0.0), line_type="dashed")
        made.line(f"n{t}", item, "road_edge", line(xs, 3.5), edge_type="curb")
        made.lanelet(f"e{t}", item, f"c{t}", f"s{t}")
        made.lanelet(f"w{t}", item, f"c{t}", f"n{t}", True, True)
        if t % 10 == 5:
            x = t * TILE + 25.0
            made.line(f"stop{t}", item, "stop_line", [world(x, -3.5), world(x, 0.0)])
            made.add(f"sign{t}", Annotation(
                made.next_id(), item, "traffic_sign", Point3D(np.array([world(x + 1, -4.5)])),
                {"sign_type": "stop"}, links={"stop_line": made.id(f"stop{t}")}))
        if t % 100 == 31 and t + 1 < tiles:
            made.move(f"c{t}", -1, dx=-0.05)                            # gap at the seam
            defects += 1
        elif t % 100 == 62:
            made.relink(f"e{t}", left=made.id(f"s{t}"), right=made.id(f"c{t}"))  # swapped
            defects += 1
        elif t % 100 == 93:
            made.move(f"n{t}", 3, dz=0.9)                               # height step
            defects += 1
    items = [Item(t + 1, f"tile_{t:05d}.pcd", "pointcloud", "pcd", "", 0, points=1)
             for t in range(tiles)]
    by_item: dict[int, list[Annotation]] = {}
    for annotation in made.shapes.values():
        by_item.setdefault(annotation.item_id, []).append(annotation)
    return [(item, by_item.get(item.id or 0, [])) for item in items], defects


def timed(function: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def lanelet2_map(shapes: Sequence[Annotation]) -> Any:
    """The same road as a lanelet2 ``LaneletMap``: shared points become one node."""
    from lanelet2.core import AttributeMap, Lanelet, LaneletMap, LineString3d, Point3d, getId

    points: dict[tuple[int, int, int], Any] = {}
    lines: dict[int, Any] = {}
    for shape in shapes:
        if isinstance(shape.geometry, Polyline3D) and not is_lanelet(shape):
            nodes = []
            for x, y, z in shape.geometry.vertices.tolist():
                key = point_key((x, y, z))
                if key not in points:
                    points[key] = Point3d(getId(), x, y, z)
                nodes.append(points[key])
            kind = ({"type": "line_thin", "subtype": "dashed"} if shape.label == "lane_line"
                    else {"type": "road_border"} if shape.label == "road_edge"
                    else {"type": "stop_line"})
            lines[int(shape.id or 0)] = LineString3d(getId(), nodes, AttributeMap(kind))
    area = LaneletMap()
    for shape in shapes:
        if not is_lanelet(shape):
            continue
        sides = []
        for side in ("left", "right"):
            number, flipped = boundary_ref(shape.links, side)
            sides.append(lines[number].invert() if flipped else lines[number])
        area.add(Lanelet(getId(), sides[0], sides[1], AttributeMap(
            {"type": "lanelet", "subtype": "road", "location": "urban", "one_way": "yes"})))
    return area


def lanelet2_check(area: Any) -> list[str]:
    from lanelet2 import routing, traffic_rules

    rules = traffic_rules.create(traffic_rules.Locations.Germany,
                                 traffic_rules.Participants.Vehicle)
    return list(routing.RoutingGraph(area, rules).checkValidity())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 km instead of 100 km")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tiles = 200 if args.quick else 2000
    print(f"machine before: {machine_state()}")
    entries, defects = road(tiles)
    shapes = [a for _, group in entries for a in group]
    print(f"{tiles * TILE / 1000:g} km: {len(shapes):,} map shapes on {tiles:,} tiles, "
          f"{defects} defects put in")
    findings = validate_items(SCHEMA, entries)
    counts = Counter(f.rule for f in findings)
    print("findings: " + ", ".join(f"{rule} {count}" for rule, count in sorted(counts.items())))
    ours = timed(lambda: validate_items(SCHEMA, entries), args.repeats)
    rows = [("ours: validate_items, all rules", ours)]
    try:
        area = lanelet2_map(shapes)
    except ImportError:
        print("peer: the lanelet2 package is not installed (pip install lanelet2); no ratio")
        area = None
    if area is not None:
        print(f"peer: lanelet2 checkValidity finds {len(lanelet2_check(area))} problem(s)")
        rows.append(("peer: lanelet2 RoutingGraph + check", timed(lambda: lanelet2_check(area),
                                                                 args.repeats)))
    print(f"{'':38}{'median s':>10}{'min s':>9}{'ms/km':>9}")
    for name, times in rows:
        print(f"{name:38}{statistics.median(times):10.3f}{min(times):9.3f}"
              f"{1000 * statistics.median(times) / (tiles * TILE / 1000):9.1f}")
    if len(rows) == 2:
        ratio = statistics.median(ours) / statistics.median(rows[1][1])
        verdict = "PASS" if ratio <= TARGET else "FAIL"
        print(f"target: ours <= {TARGET:g}x the peer (medians): {ratio:.1f}x -> {verdict}")
    print(f"machine after: {machine_state()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
