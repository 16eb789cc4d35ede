"""A stop sign at a T-junction becomes a Lanelet2 right_of_way element: the side road's
lanelet at the stop line yields, the main road's lanelet its turn crosses has the right
of way; the lanelet2 library loads it as a RightOfWay with those roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from annotator.formats.lanelet2 import FILE, read
from annotator.geometry.mapnet import lanelet_links, lanelet_polygon
from annotator.model import Annotation
from annotator.shapes import Point3D, Polyline3D
from tests.formats.test_lanelet2 import X0, Y0, Z0, context, export, load, routing

lanelet2 = pytest.importorskip("lanelet2")


def junction(sign_type: str = "stop") -> list[Annotation]:
    made: list[Annotation] = []

    def add(label: str, geometry: Any, attributes: dict[str, Any] | None = None,
            links: dict[str, int] | None = None) -> Annotation:
        made.append(Annotation(len(made) + 1, 1, label, geometry, attributes or {},
                               links=links or {}))
        return made[-1]

    def line(label: str, points: list[tuple[float, float]], **attributes: Any) -> Annotation:
        xyz = np.array([[X0 + x, Y0 + y, Z0] for x, y in points])
        return add(label, Polyline3D(xyz), attributes)

    def lanelet(left: Annotation, right: Annotation) -> Annotation:
        return add("lanelet", lanelet_polygon(left.geometry.vertices, right.geometry.vertices),
                   {"subtype": "road", "location": "urban", "one_way": True},
                   lanelet_links(int(left.id or 0), int(right.id or 0)))

    # the main road, eastbound, between the centre line and its kerb
    centre = line("lane_line", [(0, 0), (20, 0), (40, 0)], line_type="solid")
    kerb = line("road_edge", [(0, -3.5), (20, -3.5), (40, -3.5)], edge_type="curb")
    main = lanelet(centre, kerb)
    # the side road from the south up to the stop line, then across the main lane
    side_left = line("road_edge", [(18.25, -20), (18.25, -5)], edge_type="curb")
    side_right = line("road_edge", [(21.75, -20), (21.75, -5)], edge_type="curb")
    side = lanelet(side_left, side_right)
    turn_left = line("road_edge", [(18.25, -5), (18.25, 1)], edge_type="unmarked")
    turn_right = line("road_edge", [(21.75, -5), (21.75, 1)], edge_type="unmarked")
    lanelet(turn_left, turn_right)
    stop = line("stop_line", [(18.35, -5.5), (21.65, -5.5)])
    add("traffic_sign", Point3D([[X0 + 22.5, Y0 - 6.0, Z0 + 2.2]]),
        {"sign_type": sign_type, "sign_code": "330"}, {"stop_line": int(stop.id or 0)})
    assert main.id == 3 and side.id == 6
    return made


def test_a_stop_sign_makes_the_side_road_yield_to_the_main_road(tmp_path: Path) -> None:
    out = export(tmp_path, junction())
    found, errors = load(out / FILE)
    assert errors == []
    assert routing(found).checkValidity() == []
    by_ours = {int(ll.attributes["annotator:id"]): ll for ll in found.laneletLayer}
    rights = [re for re in found.regulatoryElementLayer
              if re.attributes["subtype"] == "right_of_way"]
    assert len(rights) == 1
    right = rights[0]
    assert [ll.id for ll in right.yieldLanelets()] == [by_ours[6].id]
    assert [ll.id for ll in right.rightOfWayLanelets()] == [by_ours[3].id]
    # both lanelets carry it, with the stop sign's own element on the side road
    assert right.id in [re.id for re in by_ours[3].regulatoryElements]
    side_elements = sorted(re.attributes["subtype"] for re in by_ours[6].regulatoryElements)
    assert side_elements == ["right_of_way", "traffic_sign"]
    # and our own import reads the sign back, not a second copy of the derived element
    result = read(out / FILE, context())
    assert not any("right_of_way" in problem for problem in result.problems)


def test_a_sign_that_does_not_make_anyone_yield_adds_no_right_of_way(tmp_path: Path) -> None:
    out = export(tmp_path, junction(sign_type="speed_limit"))
    found, errors = load(out / FILE)
    assert errors == []
    assert not [re for re in found.regulatoryElementLayer
                if re.attributes["subtype"] == "right_of_way"]
