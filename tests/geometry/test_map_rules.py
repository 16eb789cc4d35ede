"""The HD-map validation rules on a generated two-lane road with known answers.

The clean road (tests/geometry/map_road.py) gives no finding at all; each
test then injects one defect and expects exactly its finding, on the right
shape, at the right spot (world x, y).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from annotator.geometry import RULES, SEVERITIES, Finding, validate_annotations, validate_items
from annotator.geometry._maps import MAP_RULES
from annotator.geometry.mapnet import network
from annotator.model import Annotation, Box, Item, Rules
from annotator.shapes import Point3D, Polyline3D
from tests.geometry.map_road import ITEMS, SCHEMA, Road, spot, two_lane_road, world


def findings(road: Road) -> list[Finding]:
    return validate_items(SCHEMA, road.entries())


def only(road: Road) -> Finding:
    found = findings(road)
    assert len(found) == 1, [f.message for f in found]
    return found[0]


def test_the_rules_are_in_the_table() -> None:
    assert {rule: RULES[rule][0] for rule in MAP_RULES} == {
        "map_dangling_end": "warning", "map_lines_cross": "error", "lanelet_broken": "error",
        "lanelet_swapped": "error", "lanelet_width": "warning",
        "stop_line_unattached": "warning", "map_height_step": "warning",
        "map_duplicate": "warning"}
    assert all(severity in SEVERITIES and text for severity, text in MAP_RULES.values())


def test_the_clean_road_is_a_real_network_and_has_no_finding() -> None:
    road = two_lane_road()
    net = network(a for _, shapes in road.entries() for a in shapes)
    assert not net.broken and len(net.lanelets) == 4
    assert net.successors[road.id("east1")] == [road.id("east2")]
    assert net.successors[road.id("west2")] == [road.id("west1")]
    assert net.opposite[road.id("east1")] == [road.id("west1")]
    assert findings(road) == []
    for item, shapes in road.entries():       # each tile alone is clean too
        assert validate_annotations(SCHEMA, item, shapes) == []


# -- each defect gives exactly its finding --------------------------------------------------


def _gap(road: Road) -> None:
    road.move("centre2", 0, dx=0.05, dy=0.02)


def _rise(road: Road) -> None:
    road.move("centre2", 0, dz=0.05)


def _spur(road: Road) -> None:
    road.line("spur", 1, "road_edge", [world(7, -3.55), world(7, -8)], edge_type="curb")


def _diagonal(road: Road) -> None:
    road.line("spur", 1, "lane_line", [world(5, -2), world(15, 2)], line_type="solid")


def _missing(road: Road) -> None:
    road.relink("east1", right=999)


def _twice(road: Road) -> None:
    road.relink("east1", right=-road.id("centre1"))


def _swapped(road: Road) -> None:
    road.relink("east1", left=road.id("south1"), right=road.id("centre1"))


def _against(road: Road) -> None:
    road.relink("east1", right=-road.id("south1"))


def _sides_cross(road: Road) -> None:
    road.line("spur", 1, "lane_line", [world(0, -3.5), world(20, 1)], line_type="solid")
    road.relink("east1", right=road.id("spur"))


def _narrow(road: Road) -> None:
    road.move("south1", 2, dy=1.7)


def _wide(road: Road) -> None:
    road.move("north2", 2, dy=2.0)


def _loose_stop(road: Road) -> None:
    road.move("stop", 0, dx=10.0)
    road.move("stop", 1, dx=10.0)


def _sign_line(road: Road) -> None:
    # a lane line off the road that a second sign names as its stop line
    road.line("spur", 2, "lane_line", [world(45, -3.0), world(45, -0.5)], line_type="solid")
    road.add("sign2", Annotation(road.next_id(), 2, "traffic_sign",
                                 Point3D(np.array([world(46, -4.5, 2.0)])),
                                 {"sign_type": "stop"}, links={"stop_line": road.id("spur")}))


def _step(road: Road) -> None:
    road.move("north1", 2, dz=0.8)


def _copy(road: Road) -> None:
    jitter = np.array([0.03, -0.02, 0.01])
    road.line("spur", 1, "lane_line", road.shapes["centre1"].geometry.vertices[::-1] + jitter,
              line_type="dashed")


def _pole_twice(road: Road) -> None:
    road.add("spur", Annotation(road.next_id(), 1, "pole",
                                Point3D(np.array([world(12.04, -4.47)])), {"height_m": 6.0}))


DEFECTS: dict[str, tuple[Callable[[Road], None], str, str, tuple[float, float], str]] = {
    # name: (inject, rule, on which shape, spot (road x, y), words in the message)
    "gap at the seam": (_gap, "map_dangling_end", "centre2", (20.05, 0.02),
                        "its start at (-11979.95, -34999.98) is 0.054 m from lane_line #2's "
                        "end at (-11980.0, -35000.0) but not joined"),
    "height gap at the seam": (_rise, "map_dangling_end", "centre2", (20.0, 0.0),
                               "meets lane_line #2's end at (-11980.0, -35000.0) in plan but "
                               "0.05 m above it"),
    "end short of an edge": (_spur, "map_dangling_end", "spur", (7.0, -3.55),
                             "is 0.05 m from road_edge #1's edge at (-11993.0, -35003.5)"),
    "lines cross": (_diagonal, "map_lines_cross", "spur", (10.0, 0.0),
                    "crosses lane_line #2 at (-11990.0, -35000.0)"),
    "boundary missing": (_missing, "lanelet_broken", "east1", (10.0, -1.75),
                         "its right boundary is not a 3D polyline here"),
    "one line twice": (_twice, "lanelet_broken", "east1", (10.0, 0.0),
                       "its left and right boundary are the same line"),
    "sides swapped": (_swapped, "lanelet_swapped", "east1", (10.0, -1.75),
                      "its left boundary road_edge #1 lies right of its direction of travel"),
    "right runs against": (_against, "lanelet_swapped", "east1", (10.0, -1.75),
                           "its right boundary road_edge #1 (used reversed) runs against"),
    "sides cross": (_sides_cross, "lanelet_swapped", "east1", (20 * 3.5 / 4.5, 0.0),
                    "its left boundary lane_line #2 and right boundary lane_line #15 cross"),
    "too narrow": (_narrow, "lanelet_width", "east1", (10.0, 0.0),
                   "narrows to 1.8 m at (-11990.0, -35000.0) (at least 2.0 m)"),
    "too wide": (_wide, "lanelet_width", "west2", (30.0, 5.5),
                 "widens to 5.5 m at (-11970.0, -34994.5) (at most 5.0 m)"),
    "stop line off the road": (_loose_stop, "stop_line_unattached", "stop", (45.0, -1.75),
                               "stop line around (-11955.0, -35001.75) crosses no lanelet"),
    "sign's stop line off the road": (_sign_line, "stop_line_unattached", "spur",
                                      (45.0, -1.75), "stop line (a sign's stop line)"),
    "height step": (_step, "map_height_step", "north1", (7.5, 3.5),
                    "height jumps 0.9 m between vertices 2 and 3 at (-11992.5, -34996.5) "
                    "(at most 0.5 m) (2 steps over the limit)"),
    "line drawn twice": (_copy, "map_duplicate", "spur", (10.03, -0.02),
                         "duplicates lane_line #2 (every vertex within 0.036 m, drawn the "
                         "other way)"),
    "pole drawn twice": (_pole_twice, "map_duplicate", "spur", (12.04, -4.47),
                         "duplicates pole #14"),
}


@pytest.mark.parametrize("name", DEFECTS)
def test_each_defect_gives_exactly_its_finding(name: str) -> None:
    inject, rule, shape, (x, y), words = DEFECTS[name]
    road = two_lane_road()
    inject(road)
    finding = only(road)
    assert finding.rule == rule
    assert finding.severity == RULES[rule][0]
    assert finding.annotation_id == road.id(shape)
    assert finding.item_id == road.shapes[shape].item_id
    assert finding.location == pytest.approx(spot(x, y), abs=1e-6)
    assert words in finding.message, finding.message
    assert finding.message.startswith(f"{road.shapes[shape].kind} #{road.id(shape)} ")
    assert "\n" not in finding.message


def test_a_gap_between_tiles_needs_both_tiles() -> None:
    road = two_lane_road()
    _gap(road)
    assert [f.rule for f in findings(road)] == ["map_dangling_end"]
    for item, shapes in road.entries():      # either tile alone cannot see the gap
        assert validate_annotations(SCHEMA, item, shapes) == []


def test_two_defects_give_two_findings() -> None:
    road = two_lane_road()
    _narrow(road)
    _step(road)
    assert sorted((f.rule, f.annotation_id) for f in findings(road)) == [
        ("lanelet_width", road.id("east1")), ("map_height_step", road.id("north1"))]


# -- what must not fire -----------------------------------------------------------------------


def test_a_stop_line_across_the_whole_road_crosses_no_rule() -> None:
    road = two_lane_road()
    road.line("wide_stop", 2, "stop_line", [world(30, -4.0), world(30, 4.0)])
    assert findings(road) == []


def test_intersection_lanelets_may_cross_lanes() -> None:
    road = two_lane_road()
    road.line("a", 1, "lane_line", [world(2, -6), world(8, 6)], line_type="dashed")
    road.line("b", 1, "lane_line", [world(5, -6), world(11, 6)], line_type="dashed")
    road.lanelet("turn", 1, "a", "b")
    road.shapes["turn"] = Annotation(road.id("turn"), 1, "lanelet",
                                     road.shapes["turn"].geometry,
                                     {"subtype": "intersection"}, links=road.shapes["turn"].links)
    assert [f.rule for f in findings(road)] == []
    # the same two lines as plain lane lines bounding an ordinary road lanelet do cross
    road.shapes["turn"] = Annotation(road.id("turn"), 1, "lanelet",
                                     road.shapes["turn"].geometry,
                                     {"subtype": "road"}, links=road.shapes["turn"].links)
    crossed = sorted({f.rule for f in findings(road)})
    assert crossed == ["map_lines_cross"]


def test_a_line_ending_exactly_on_an_edge_is_joined() -> None:
    road = two_lane_road()
    road.line("spur", 1, "road_edge", [world(7, -3.5), world(7, -8)], edge_type="curb")
    assert findings(road) == []


def test_an_exact_reversed_copy_is_one_duplicate_only() -> None:
    road = two_lane_road()
    road.line("spur", 1, "lane_line", road.shapes["centre1"].geometry.vertices[::-1],
              line_type="dashed")
    finding = only(road)
    assert (finding.rule, finding.annotation_id) == ("map_duplicate", road.id("spur"))
    assert "every vertex within 0.0 m, drawn the other way" in finding.message


def test_a_different_class_on_the_same_spot_is_no_duplicate() -> None:
    road = two_lane_road()
    road.add("spur", Annotation(road.next_id(), 1, "traffic_light",
                                road.shapes["pole"].geometry, {"light_type": "vehicle"}))
    assert findings(road) == []


def test_walkways_and_bicycle_lanes_may_be_narrow() -> None:
    road = two_lane_road()
    _narrow(road)
    for subtype, rules in (("bicycle_lane", []), ("walkway", []), ("bus_lane", ["lanelet_width"])):
        shape = road.shapes["east1"]
        road.shapes["east1"] = dataclasses.replace(shape, attributes={**shape.attributes,
                                                                      "subtype": subtype})
        assert [f.rule for f in findings(road)] == rules, subtype


def test_rules_scale_with_the_schema_rules() -> None:
    road = two_lane_road()
    _step(road)
    _narrow(road)
    relaxed = dataclasses.replace(SCHEMA, rules=Rules(max_height_step=1.0, min_lane_width=1.5))
    assert validate_items(relaxed, road.entries()) == []
    strict = dataclasses.replace(SCHEMA, rules=Rules(snap_tolerance=0.01))
    _gap(road)       # 0.054 m: beyond 3 x 0.01 m, so no dangling end
    assert sorted(f.rule for f in validate_items(strict, road.entries())) == [
        "lanelet_width", "map_height_step"]


def test_image_shapes_and_map_shapes_in_one_run() -> None:
    road = two_lane_road()
    _gap(road)
    image = Item(3, "a.png", "image", "png", "", 0, width=64, height=48)
    entries: list[tuple[Item, Any]] = [
        *road.entries(), (image, [Annotation(900, 3, "car", Box.from_corners(1, 1, 9, 9),
                                             {"occluded": False})])]
    assert [f.rule for f in validate_items(SCHEMA, entries)] == ["map_dangling_end"]
    assert [f.rule for f in validate_items(SCHEMA, entries[2:])] == []


def test_a_map_shape_being_drawn_has_no_id_yet() -> None:
    road = two_lane_road()
    item, shapes = road.entries()[0]
    drawn = Annotation(None, 1, "lane_line", Polyline3D(np.array([world(20.05, 0.0),
                                                                   world(30, 0.0)])),
                       {"line_type": "solid"})
    found = validate_annotations(SCHEMA, item, [*shapes, drawn])
    assert [(f.rule, f.annotation_id) for f in found] == [("map_dangling_end", None)]
    assert found[0].message.startswith("polyline3d (lane_line): its start")
    assert ITEMS[0].id == found[0].item_id
