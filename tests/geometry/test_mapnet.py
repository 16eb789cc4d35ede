"""The road network read from annotations: orientation, topology, snapping."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.errors import GeometryError
from annotator.geometry.mapnet import (
    crossed_lanelets,
    lanelet_links,
    lanelet_polygon,
    network,
    orient_boundaries,
    point_key,
    snap,
)
from annotator.model import Annotation
from annotator.shapes import Polyline3D

X0, Y0 = -12_000.0, -35_000.0


def line(points: list[tuple[float, float]], z: float = 40.0) -> np.ndarray:
    return np.array([[X0 + x, Y0 + y, z] for x, y in points])


def arc(radius: float, start: float, stop: float, n: int, uneven: bool = False) -> np.ndarray:
    t = np.linspace(start, stop, n)
    if uneven:  # vertices crowded at both ends: their mean lies near the chord, not the arc
        ends = np.linspace(0.0, 0.05, n // 2)
        t = np.concatenate([start + ends, [(start + stop) / 2], stop - ends[::-1]])
    return np.column_stack([X0 + radius * np.cos(t), Y0 + radius * np.sin(t),
                            np.full(len(t), 40.0)])


def test_straight_lanelet_orientation_follows_the_picked_left_line() -> None:
    left, right = line([(0, 1.75), (20, 1.75)]), line([(0, -1.75), (20, -1.75)])
    assert orient_boundaries(left, right).reverse_left is False
    assert orient_boundaries(left, right[::-1]).reverse_right is True
    # picked the other way round: the travel direction turns so the picked left stays left
    turned = orient_boundaries(right, left)
    assert turned.reverse_left and turned.reverse_right


@pytest.mark.parametrize("uneven", [False, True])
def test_a_curved_lanelet_is_judged_along_its_bends(uneven: bool) -> None:
    """A U-turn: counter-clockwise travel has the inner (smaller) arc on its left."""
    inner = arc(10.0, -np.pi / 2, np.pi / 2, 12)
    outer = arc(13.5, -np.pi / 2, np.pi / 2, 60, uneven)
    orientation = orient_boundaries(inner, outer)
    assert (orientation.reverse_left, orientation.reverse_right) == (False, False)
    flipped = orient_boundaries(outer, inner)
    assert flipped.reverse_left and flipped.reverse_right


def lanelet(ident: int, left: int, right: int, geometry: dict[int, np.ndarray],
            rl: bool = False, rr: bool = False) -> Annotation:
    a = geometry[left][::-1] if rl else geometry[left]
    b = geometry[right][::-1] if rr else geometry[right]
    return Annotation(ident, 1, "lanelet", lanelet_polygon(a, b),
                      links=lanelet_links(left, right, rl, rr))


def test_topology_successors_neighbours_and_opposite_lanes() -> None:
    g = {
        1: line([(0, 3.5), (20, 3.5)]), 2: line([(0, 0), (20, 0)]),          # first part
        3: line([(0, -3.5), (20, -3.5)]),
        4: line([(20, 3.5), (40, 3.5)]), 5: line([(20, 0), (40, 0)]),         # continues
        6: line([(0, 7), (20, 7)]),                                          # a second lane
    }
    lines = [Annotation(i, 1, "lane_line", Polyline3D(v)) for i, v in g.items()]
    lanes = [
        lanelet(10, 1, 2, g),              # +x, left-hand traffic: centre line (2) on its right
        lanelet(11, 4, 5, g),              # its successor: starts where 10 ends
        lanelet(12, 6, 1, g),              # beside 10, same direction: shares line 1
        lanelet(13, 3, 2, g, True, True),  # -x: uses the centre line reversed, on its right
    ]
    net = network([*lines, *lanes])
    assert not net.broken
    assert net.successors[10] == [11] and net.predecessors[11] == [10]
    assert net.successors[11] == [] and net.successors[13] == []
    assert sorted(net.adjacent[10]) == [12] and net.adjacent[12] == [10]
    assert net.opposite[10] == [13] and net.opposite[13] == [10]
    views = net.by_id()
    assert views[13].left[0, 0] > views[13].left[-1, 0]      # travels -x
    # a missing boundary is reported, not raised
    broken = network([*lines, Annotation(20, 1, "lanelet", lanes[0].geometry,
                                         links={"left": 1, "right": 99})])
    assert 20 in broken.broken and not broken.lanelets


def test_snap_prefers_a_vertex_then_an_edge_and_takes_its_height() -> None:
    a = line([(0, 0), (10, 0)], z=40.0)
    b = np.array([[X0, Y0 + 5, 41.0], [X0 + 10, Y0 + 5, 43.0]])
    hit = snap([X0 + 10.05, Y0 + 0.05], [a, b], tolerance=0.1)
    assert hit.kind == "vertex" and np.array_equal(hit.point, a[1])
    edge = snap([X0 + 5.0, Y0 + 5.08], [a, b], tolerance=0.1)
    assert edge.kind == "edge" and edge.line == 1
    assert edge.point[1] == pytest.approx(Y0 + 5) and edge.point[2] == pytest.approx(42.0)
    miss = snap([X0 + 5.0, Y0 + 2.5], [a, b], tolerance=0.1)
    assert miss.kind == "none" and np.isnan(miss.point[2])


def test_point_keys_merge_what_snapping_made_equal() -> None:
    p = np.array([X0 + 1.23456789, Y0 + 2.0, 40.5])
    assert point_key(p) == point_key(p.copy())
    assert point_key(p) != point_key(p + np.array([0.001, 0.0, 0.0]))


def test_a_stop_line_across_a_lane_is_found_crossing_it() -> None:
    g = {1: line([(0, 3.5), (20, 3.5)]), 2: line([(0, 0), (20, 0)]),
         3: line([(0, -3.5), (20, -3.5)])}
    lines = [Annotation(i, 1, "lane_line", Polyline3D(v)) for i, v in g.items()]
    net = network([*lines, lanelet(10, 1, 2, g), lanelet(11, 3, 2, g, True, True)])
    stop = line([(18, 0.2), (18, 3.3)])
    assert crossed_lanelets(stop, net.lanelets) == [10]
    assert crossed_lanelets(line([(50, 0), (60, 0)]), net.lanelets) == []


def test_a_boundary_of_one_vertex_is_refused() -> None:
    with pytest.raises(GeometryError, match="at least two"):
        lanelet_polygon(np.zeros((1, 3)), np.zeros((2, 3)))
