"""Lanelet2 OSM maps: the lanelet2 library loads and routes our exports; we read theirs.

The generated network (EPSG:6677, about 12 km west and 35 km south of the
zone's origin): a two-lane carriageway east (a dashed line between the lanes:
a lane change), one lane west sharing the solid centre line (used reversed),
three 25 m sections over two tiles (the seam at the section ends), and at the
end of the right-hand lane a fork (one lanelet, two successors), plus a stop
line with a sign and a light, a crosswalk and a pole.
"""

from __future__ import annotations

import itertools
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import lanelet2
import numpy as np
import pytest
from lanelet2.core import (
    AttributeMap,
    Lanelet,
    LaneletMap,
    LineString3d,
    Point3d,
    Polygon3d,
    TrafficSign,
    TrafficSignsWithType,
    getId,
)
from lanelet2.io import Origin
from lanelet2.projection import UtmProjector
from pyproj import Transformer

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, available
from annotator.formats.lanelet2 import FILE, PROJECTOR_FILE, detect, read, write
from annotator.geometry.mapnet import lanelet_links, lanelet_polygon, network
from annotator.model import Annotation, Item
from annotator.schema import load_schema
from annotator.shapes import Cuboid, Point3D, Polygon3D, Polyline3D

REPO = Path(__file__).resolve().parents[2]
SCHEMA = load_schema(REPO / "sample_data" / "schema.yaml")
CRS = "EPSG:6677"
X0, Y0, Z0 = -12000.0, -35000.0, 40.0
VMB = REPO / "tests" / "data" / "lanelet2" / "autoware_vmb_minimal.osm"


def tile(item_id: int, name: str, x: float) -> Item:
    return Item(item_id, name, "pointcloud", "laz", "0" * 64, 10, points=10, crs=CRS,
                origin=(x, Y0, 0.0))


TILES = (tile(1, "tiles/a.laz", X0), tile(2, "tiles/b.laz", X0 + 50.0))


def _line(x0: float, x1: float, y: float, n: int = 6) -> np.ndarray:
    xs = np.linspace(x0, x1, n)
    # a gentle slope and a small bend, so heights and shapes are not trivial
    return np.column_stack([X0 + xs, Y0 + y + 0.002 * (xs - 25.0) ** 2 / 10.0,
                            Z0 + 0.01 * xs + 0.001 * y])


def road_network(first_id: int = 1, items: tuple[int, int] = (1, 2)) -> list[Annotation]:
    """The network of the module docstring as annotations with ids from ``first_id``."""
    made: list[Annotation] = []

    def add(label: str, geometry: Any, attributes: dict[str, Any] | None = None,
            links: dict[str, int] | None = None, x: float = 0.0) -> Annotation:
        item = items[0] if x < 50.0 else items[1]
        annotation = Annotation(first_id + len(made), item, label, geometry,
                                attributes=attributes or {}, links=links or {})
        made.append(annotation)
        return annotation

    def lanelet(left: Annotation, right: Annotation, reverse_left: bool = False,
                reverse_right: bool = False, **attributes: Any) -> Annotation:
        a = left.geometry.vertices[::-1] if reverse_left else left.geometry.vertices
        b = right.geometry.vertices[::-1] if reverse_right else right.geometry.vertices
        return add("lanelet", lanelet_polygon(a, b),
                   {"subtype": "road", "location": "urban", "one_way": True,
                    "speed_limit": 50.0, **attributes},
                   lanelet_links(int(left.id or 0), int(right.id or 0), reverse_left,
                                 reverse_right), x=float(a[0, 0] - X0))

    for x0 in (0.0, 25.0, 50.0):
        x1 = x0 + 25.0
        centre = add("lane_line", Polyline3D(_line(x0, x1, 0.0)),
                     {"line_type": "solid", "line_color": "yellow"}, x=x0)
        dashed = add("lane_line", Polyline3D(_line(x0, x1, -3.5)),
                     {"line_type": "dashed", "line_color": "white"}, x=x0)
        curb = add("road_edge", Polyline3D(_line(x0, x1, -7.0)), {"edge_type": "curb"}, x=x0)
        rail = add("road_edge", Polyline3D(_line(x0, x1, 3.5)), {"edge_type": "guardrail"},
                   x=x0)
        lanelet(centre, dashed)
        lanelet(dashed, curb)
        lanelet(centre, rail, True, True, turn_direction="straight")
        if x0 == 50.0:
            # the right-hand lane forks: a right turn starting where the straight lane does
            start_left, start_right = dashed.geometry.vertices[0], curb.geometry.vertices[0]
            t = np.linspace(0.0, 1.0, 6)[:, None]
            to_left = np.array([16.0, -20.0, -0.1])
            to_right = np.array([12.5, -16.5, -0.1])
            left = add("road_edge", Polyline3D(start_left + t * to_left),
                       {"edge_type": "unmarked"}, x=x0)
            right = add("road_edge", Polyline3D(start_right + t * to_right),
                        {"edge_type": "wall"}, x=x0)
            lanelet(left, right, turn_direction="right", subtype="intersection")
    stop = add("stop_line", Polyline3D([[X0 + 20.0, Y0 - 0.05, Z0 + 0.2],
                                        [X0 + 20.0, Y0 - 6.95, Z0 + 0.2]]), x=20.0)
    add("traffic_sign", Point3D([[X0 + 21.0, Y0 - 8.0, Z0 + 2.2]]),
        {"sign_type": "stop", "sign_code": "330"}, {"stop_line": int(stop.id or 0)}, x=21.0)
    westbound = next(a for a in made if a.label == "lanelet" and a.links["left"] < 0)
    add("traffic_light", Point3D([[X0 + 5.0, Y0 + 4.0, Z0 + 5.0]]), {"light_type": "vehicle"},
        {"stop_line": int(stop.id or 0), "lanelet": int(westbound.id or 0)}, x=5.0)
    add("crosswalk", Polygon3D([[X0 + 30.0, Y0 - 7.0, Z0 + 0.3], [X0 + 34.0, Y0 - 7.0, Z0 + 0.3],
                                [X0 + 34.0, Y0 + 3.5, Z0 + 0.3], [X0 + 30.0, Y0 + 3.5, Z0 + 0.3]]),
        x=30.0)
    add("pole", Point3D([[X0 + 10.0, Y0 - 9.0, Z0]]), {"height_m": 7.0}, x=10.0)
    return made


def view_of(annotations: list[Annotation]) -> ProjectView:
    return ProjectView.from_items(SCHEMA, [
        ExportItem(t, t.path, tuple(a for a in annotations if a.item_id == t.id)) for t in TILES])


def export(tmp_path: Path, annotations: list[Annotation] | None = None) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    v = view_of(annotations if annotations is not None else road_network())
    write(v, out).check(v)
    return out


def context() -> ImportContext:
    by_name = {t.path: t for t in TILES}
    return ImportContext(SCHEMA, by_name.get, items=lambda: TILES)


def load(path: Path) -> Any:
    lat, lon = 35.68, 139.70
    found, errors = lanelet2.io.loadRobust(str(path), UtmProjector(Origin(lat, lon)))
    return found, errors


def routing(found: Any) -> Any:
    rules = lanelet2.traffic_rules.create(lanelet2.traffic_rules.Locations.Germany,
                                          lanelet2.traffic_rules.Participants.Vehicle)
    return lanelet2.routing.RoutingGraph(found, rules)


# -- export: what the lanelet2 library makes of it ------------------------------------------


def test_the_export_loads_without_errors_and_routes_as_our_network_does(tmp_path: Path) -> None:
    annotations = road_network()
    out = export(tmp_path, annotations)
    assert sorted(p.name for p in out.iterdir()) == [FILE, PROJECTOR_FILE]
    found, errors = load(out / FILE)
    assert errors == []
    graph = routing(found)
    assert graph.checkValidity() == []
    ours = network(annotations)
    assert len(found.laneletLayer) == len(ours.lanelets) == 10
    counts = {int(ll.attributes["annotator:id"]): len(graph.following(ll))
              for ll in found.laneletLayer}
    assert counts == {k: len(v) for k, v in ours.successors.items()}
    assert sorted(counts.values()) == [0, 0, 0, 0, 1, 1, 1, 1, 1, 2]  # the fork, the ends
    # the lane change over the dashed line exists in their graph too
    lefts = {int(ll.attributes["annotator:id"]): graph.left(ll) for ll in found.laneletLayer}
    changes = {k: int(v.attributes["annotator:id"]) for k, v in lefts.items() if v is not None}
    assert changes == {k: v[0] for k, v in ours.adjacent.items()
                       if v and k in changes} and len(changes) == 3
    # signs and lights became regulatory elements on the lanelets they govern
    governed = {int(ll.attributes["annotator:id"]): [re.attributes["subtype"]
                                                     for re in ll.regulatoryElements]
                for ll in found.laneletLayer if ll.regulatoryElements}
    assert sorted(v[0] for v in governed.values()) == ["traffic_light", "traffic_sign",
                                                       "traffic_sign"]


def test_nodes_reproject_onto_the_stored_vertices_within_a_millimetre(tmp_path: Path) -> None:
    annotations = road_network()
    out = export(tmp_path, annotations)
    root = ET.parse(out / FILE).getroot()
    assert root.find("MetaInfo") is not None
    nodes = {int(n.get("id", "0")): n for n in root.iter("node")}
    assert min(nodes) == 1 and all(int(e.get("id", "0")) > 0 for e in root if e.tag != "MetaInfo")
    back = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    by_id = {a.id: a for a in annotations}
    checked = 0
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        annotation = by_id[int(tags["annotator:id"] or 0)]
        if annotation.kind != "polyline3d":
            continue
        refs = [nodes[int(nd.get("ref", "0"))] for nd in way.iter("nd")]
        lon = np.array([float(n.get("lon", "nan")) for n in refs])
        lat = np.array([float(n.get("lat", "nan")) for n in refs])
        ntags = [{t.get("k"): float(t.get("v", "nan")) for t in n.iter("tag")} for n in refs]
        x, y = back.transform(lon, lat)
        want = np.asarray(annotation.geometry.vertices)
        assert np.abs(np.column_stack([x, y]) - want[:, :2]).max() < 1e-3
        assert np.abs(np.array([t["ele"] for t in ntags]) - want[:, 2]).max() < 1e-3
        # the projector is the zone's natural origin: local coordinates are project ones
        local = np.array([[t["local_x"], t["local_y"]] for t in ntags])
        assert np.abs(local - want[:, :2]).max() < 1e-3
        checked += 1
    assert checked == 15
    projector = (out / PROJECTOR_FILE).read_text()
    assert "projector_type: TransverseMercator" in projector
    assert "latitude: 36.0" in projector and "longitude: 139.8333333" in projector
    assert "scale_factor: 0.9999" in projector and "vertical_datum: WGS84" in projector


def test_shared_vertices_are_one_node_across_lines_and_tiles(tmp_path: Path) -> None:
    annotations = road_network()
    out = export(tmp_path, annotations)
    root = ET.parse(out / FILE).getroot()
    ways = {int(t.get("v") or 0): [int(nd.get("ref", "0")) for nd in w.iter("nd")]
            for w in root.iter("way") for t in w.iter("tag") if t.get("k") == "annotator:id"}
    centres = [a for a in annotations if a.attributes.get("line_color") == "yellow"]
    assert [a.item_id for a in centres] == [1, 1, 2]  # the last section is on tile b
    for one, two in itertools.pairwise(centres):
        assert ways[int(one.id or 0)][-1] == ways[int(two.id or 0)][0]
    fork = next(a for a in annotations if a.attributes.get("turn_direction") == "right")
    assert ways[abs(fork.links["left"])][0] == ways[int(centres[2].id or 0) + 1][0]


def test_our_own_export_comes_back_exactly(tmp_path: Path) -> None:
    annotations = road_network()
    out = export(tmp_path, annotations)
    assert detect(out) and detect(out / FILE)
    result = read(out, context())
    assert result.problems == []
    shapes = [(image.file_name, s) for image in result.images for s in image.shapes]
    assert len(shapes) == len(annotations)
    by_key = {s.key: s for _, s in shapes}
    # pair every imported shape with its annotation through the annotator:id tag
    root = ET.parse(out / FILE).getroot()
    origin: dict[str, int] = {}
    for element in root:
        tags = {t.get("k"): t.get("v") for t in element.iter("tag")}
        if "annotator:id" in tags:
            origin[f"{element.tag[0]}{element.get('id')}"] = int(tags["annotator:id"] or 0)
    names = {t.id: t.path for t in TILES}
    for file_name, shape in shapes:
        want = next(a for a in annotations if a.id == origin[str(shape.key)])
        assert (file_name, shape.label, shape.geometry.kind) == (
            names[want.item_id], want.label, want.kind)
        assert dict(shape.attributes) == dict(want.attributes)
        links = {k: (-1 if v.startswith("-") else 1) * origin[v.lstrip("-")]
                 for k, v in shape.links.items()}
        assert links == dict(want.links)
        assert all(v.lstrip("-") in by_key for v in shape.links.values())
        error = np.abs(np.asarray(shape.geometry.vertices) - np.asarray(want.geometry.vertices))
        assert error.max() < 1e-6


def test_what_lanelet2_cannot_hold_is_skipped_and_reported(tmp_path: Path) -> None:
    annotations = road_network()
    extra = [
        Annotation(900, 1, "pole", Cuboid([[X0, Y0, Z0]], [[0.3, 0.3, 7.0]], 0.0)),
        Annotation(901, 1, "parking_area", Polygon3D(
            [[X0, Y0 - 20, Z0], [X0 + 5, Y0 - 20, Z0], [X0 + 5, Y0 - 15, Z0]],
            ([[X0 + 1, Y0 - 19, Z0], [X0 + 2, Y0 - 19, Z0], [X0 + 2, Y0 - 18, Z0]],))),
        Annotation(902, 1, "lanelet", Polygon3D([[X0, Y0 - 30, Z0], [X0 + 5, Y0 - 30, Z0],
                                                  [X0 + 5, Y0 - 25, Z0]]),
                   links={"left": 1, "right": 777}),
    ]
    out = tmp_path / "out"
    out.mkdir()
    v = view_of(annotations + extra)
    report = write(v, out)
    report.check(v)
    assert sorted((s.annotation_id, s.reason.split(";")[0][:30]) for s in report.skipped) == [
        (900, "Lanelet2 has no solids"), (901, "a Lanelet2 area way has no hol"),
        (902, "lanelet not written: its right")]
    assert load(out / FILE)[1] == []


def test_a_project_without_a_crs_is_refused_and_no_features_make_an_empty_map(
        tmp_path: Path) -> None:
    schema = load_schema(REPO / "sample_data" / "schema.yaml")
    no_crs = ProjectView.from_items(type(schema)(schema.name, schema.classes), [])
    with pytest.raises(FormatError, match="no CRS"):
        write(no_crs, tmp_path)
    assert list(tmp_path.iterdir()) == []
    write(view_of([]), tmp_path)
    found, errors = load(tmp_path / FILE)
    assert errors == [] and len(found.pointLayer) == 0
    assert read(tmp_path, context()).shape_count == 0


def test_the_format_is_registered() -> None:
    spec = available()["lanelet2"]
    assert spec.media == "pointcloud" and spec.extensions == (".osm",)


# -- import: maps other tools wrote ----------------------------------------------------------


def test_a_vector_map_builder_map_is_read() -> None:
    vmb_tile = Item(1, "vmb.laz", "pointcloud", "laz", "0" * 64, 10, crs="EPSG:6676",
                    origin=(0.0, 0.0, 0.0))
    schema = type(SCHEMA)(SCHEMA.name, SCHEMA.classes, crs="EPSG:6676")
    result = read(VMB, ImportContext(schema, lambda n: None, items=lambda: (vmb_tile,)))
    assert result.problems == []
    (image,) = result.images
    assert image.file_name == "vmb.laz"
    lines = [s for s in image.shapes if s.label == "lane_line"]
    (lanelet,) = [s for s in image.shapes if s.label == "lanelet"]
    assert [dict(s.attributes) for s in lines] == [{"line_type": "solid"}] * 2
    assert dict(lanelet.attributes) == {"subtype": "road", "speed_limit": 10.0,
                                        "location": "urban", "one_way": True}
    # way 5 lies right of way 6 as drawn: Lanelet2 (and we) run the lanelet the other way
    assert dict(lanelet.links) == {"left": "-w5", "right": "-w6"}
    heights = np.concatenate([np.asarray(s.geometry.vertices)[:, 2] for s in lines])
    assert np.allclose(heights, 100.0)
    forward = Transformer.from_crs("EPSG:4326", "EPSG:6676", always_xy=True)
    x, y = forward.transform(138.8035321072, 35.22404592461)
    assert np.abs(np.asarray(lines[0].geometry.vertices)[1, :2] - [x, y]).max() < 1e-6


def test_a_map_written_by_the_lanelet2_library_is_read(tmp_path: Path) -> None:
    def point(x: float, y: float, z: float = 0.0) -> Point3d:
        return Point3d(getId(), x, y, z)

    left = LineString3d(getId(), [point(0, 0), point(10, 0), point(20, 0)],
                        AttributeMap({"type": "line_thin", "subtype": "dashed"}))
    right = LineString3d(getId(), [point(0, -3), point(20, -3)],
                         AttributeMap({"type": "curbstone", "subtype": "high"}))
    other = LineString3d(getId(), [point(0, 3), point(20, 3)],
                         AttributeMap({"type": "road_border"}))
    east = Lanelet(getId(), left, right, AttributeMap({"type": "lanelet", "subtype": "road",
                                                      "location": "nonurban"}))
    west = Lanelet(getId(), left.invert(), other.invert(),
                   AttributeMap({"type": "lanelet", "subtype": "road", "one_way": "yes"}))
    stop = LineString3d(getId(), [point(18, -0.1), point(18, -2.9)],
                        AttributeMap({"type": "stop_line"}))
    plate = LineString3d(getId(), [point(19, -4, 2), point(19, -4.6, 2)],
                         AttributeMap({"type": "traffic_sign", "subtype": "de206"}))
    sign = TrafficSign(getId(), AttributeMap({"subtype": "traffic_sign"}),
                       TrafficSignsWithType([plate]), TrafficSignsWithType([]), [stop])
    east.addRegulatoryElement(sign)
    area = Polygon3d(getId(), [point(5, 5), point(9, 5), point(9, 8)],
                     AttributeMap({"type": "parking_lot", "area": "yes"}))
    built = LaneletMap()
    built.add(east)
    built.add(west)
    built.add(area)
    path = tmp_path / "theirs.osm"
    lat0, lon0 = 35.6, 139.9
    lanelet2.io.write(str(path), built, UtmProjector(Origin(lat0, lon0)))

    result = read(path, context())
    # lanelet2.io.write leaves out ele where z is 0
    assert [p.split(": ", 1)[1] for p in result.problems] == [
        "12 node(s) had no ele tag; height 0 taken"]
    shapes = {s.key: s for image in result.images for s in image.shapes}
    labels = sorted(s.label for s in shapes.values())
    assert labels == ["lane_line", "lanelet", "lanelet", "parking_area", "road_edge",
                      "road_edge", "stop_line", "traffic_sign"]
    lanelets = {s.attributes.get("location"): s for s in shapes.values() if s.label == "lanelet"}
    assert dict(lanelets["nonurban"].links) == {"left": f"w{left.id}", "right": f"w{right.id}"}
    assert dict(lanelets[None].links) == {"left": f"-w{left.id}", "right": f"-w{other.id}"}
    (traffic_sign,) = [s for s in shapes.values() if s.label == "traffic_sign"]
    assert dict(traffic_sign.attributes) == {"sign_code": "de206"}
    assert dict(traffic_sign.links) == {"stop_line": f"w{stop.id}"}
    assert dict(shapes[f"w{right.id}"].attributes) == {"edge_type": "curb"}
    assert np.asarray(shapes[f"w{area.id}"].geometry.vertices).shape == (3, 3)
    # positions: their projector's local metres, ours in EPSG:6677; lengths agree
    line = np.asarray(shapes[f"w{left.id}"].geometry.vertices)
    assert abs(np.hypot(*(line[-1, :2] - line[0, :2])) - 20.0) < 0.02


JOSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version='0.6' upload='false' generator='JOSM'>
  <node id='-101' action='modify' visible='true' lat='35.68400000000' lon='139.70000000000'>
    <tag k='ele' v='40.5' />
  </node>
  <node id='-102' action='modify' visible='true' lat='35.68400000000' lon='139.70030000000' />
  <node id='-103' action='modify' visible='true' lat='35.68403000000' lon='139.70000000000' />
  <node id='-104' action='modify' visible='true' lat='35.68403000000' lon='139.70030000000' />
  <node id='-105' action='modify' visible='true' lat='35.68401000000' lon='139.70025000000' />
  <node id='-106' action='modify' visible='true' lat='35.68403000000' lon='139.70025000000' />
  <node id='-107' action='modify' visible='true' lat='35.68404000000' lon='139.70026000000'>
    <tag k='ele' v='42.5' />
  </node>
  <node id='-108' action='modify' visible='true' lat='35.68404000000' lon='139.70027000000'>
    <tag k='ele' v='42.5' />
  </node>
  <way id='-201' action='modify' visible='true'>
    <nd ref='-101' /><nd ref='-102' />
    <tag k='type' v='curbstone' /><tag k='subtype' v='low' />
  </way>
  <way id='-202' action='modify' visible='true'>
    <nd ref='-103' /><nd ref='-104' />
    <tag k='type' v='line_thick' /><tag k='subtype' v='solid_solid' />
  </way>
  <way id='-203' action='modify' visible='true'>
    <nd ref='-105' /><nd ref='-106' />
    <tag k='type' v='stop' />
  </way>
  <way id='-204' action='modify' visible='true'>
    <nd ref='-107' /><nd ref='-108' />
    <tag k='type' v='traffic_sign' /><tag k='subtype' v='de206' />
  </way>
  <relation id='-301' action='modify' visible='true'>
    <member type='way' ref='-202' role='left' />
    <member type='way' ref='-201' role='right' />
    <member type='relation' ref='-302' role='regulatory_element' />
    <tag k='type' v='lanelet' /><tag k='one_way' v='yes' />
    <tag k='region' v='de' /><tag k='name' v='' />
    <tag k='location' v='city' /><tag k='subtype' v='road' />
    <tag k='speed_limit' v='30 km/h' /><tag k='turn_direction' v='sideways' />
  </relation>
  <relation id='-302' action='modify' visible='true'>
    <member type='way' ref='-204' role='refers' />
    <member type='way' ref='-203' role='ref_line' />
    <tag k='type' v='regulatory_element' /><tag k='subtype' v='traffic_sign' />
  </relation>
</osm>
"""


def test_a_josm_map_with_negative_ids_is_read(tmp_path: Path) -> None:
    path = tmp_path / "josm.osm"
    path.write_text(JOSM)
    assert detect(path)
    result = read(path, context())
    shapes = {s.key: s for image in result.images for s in image.shapes}
    assert sorted(shapes) == ["r-301", "w-201", "w-202", "w-203", "w-204"]
    assert dict(shapes["w-201"].attributes) == {"edge_type": "curb"}
    assert dict(shapes["w-202"].attributes) == {"line_type": "double_solid"}
    assert shapes["w-203"].label == "stop_line"
    assert dict(shapes["w-204"].links) == {"stop_line": "w-203"}
    lanelet = shapes["r-301"]
    assert dict(lanelet.attributes) == {"subtype": "road", "one_way": True, "speed_limit": 30.0}
    assert dict(lanelet.links) == {"left": "w-202", "right": "w-201"}
    assert any("location value 'city' does not fit" in p for p in result.problems)
    assert any("turn_direction value 'sideways' does not fit" in p for p in result.problems)
    assert any("no ele tag" in p for p in result.problems)
    point = np.asarray(shapes["w-204"].geometry.vertices)[0]
    assert point[2] == pytest.approx(42.5)
    # placed on the tile whose origin is nearest (these are kilometres from both: a)
    assert {image.file_name for image in result.images} == {"tiles/a.laz"}


def test_features_go_to_the_tile_nearest_their_first_vertex(tmp_path: Path) -> None:
    annotations = road_network()
    out = export(tmp_path, annotations)
    text = (out / FILE).read_text()
    stripped = "\n".join(line for line in text.splitlines() if "annotator:tile" not in line)
    (out / FILE).write_text(stripped)
    result = read(out, context())
    placed = {s.key: image.file_name for image in result.images for s in image.shapes}
    root = ET.parse(out / FILE).getroot()
    firsts = {}
    for way in root.iter("way"):
        nd = next(way.iter("nd")).get("ref")
        node = next(n for n in root.iter("node") if n.get("id") == nd)
        tags = {t.get("k"): t.get("v") for t in node.iter("tag")}
        firsts[f"w{way.get('id')}"] = float(tags["local_x"] or 0)
    for key, x in firsts.items():
        if abs(x - X0 - 25.0) < 0.01:
            continue  # as far from both origins
        assert placed[key] == ("tiles/a.laz" if x - X0 < 25.0 else "tiles/b.laz"), (key, x)


# -- hostile input ---------------------------------------------------------------------------

NODES = ("<node id='1' lat='35.684' lon='139.7'/><node id='2' lat='35.684' lon='139.7003'/>"
         "<node id='3' lat='35.68403' lon='139.7'/><node id='4' lat='35.68403' lon='139.7003'/>")
WAYS = ("<way id='5'><nd ref='1'/><nd ref='2'/><tag k='type' v='line_thin'/></way>"
        "<way id='6'><nd ref='3'/><nd ref='4'/><tag k='type' v='line_thin'/></way>")


def osm(body: str) -> str:
    return f"<?xml version='1.0'?><osm version='0.6'>{body}</osm>"


HOSTILE = {
    "missing node": (osm(NODES + "<way id='5'><nd ref='1'/><nd ref='9'/></way>"),
                     "<way id=5> refers to node 9"),
    "three boundaries": (osm(NODES + WAYS + "<way id='7'><nd ref='1'/><nd ref='4'/></way>"
                             "<relation id='8'><member type='way' ref='5' role='left'/>"
                             "<member type='way' ref='6' role='right'/>"
                             "<member type='way' ref='7' role='left'/>"
                             "<tag k='type' v='lanelet'/></relation>"),
                         "<relation id=8>: a lanelet has exactly one left boundary, this one "
                         "has 2"),
    "missing left": (osm(NODES + WAYS + "<relation id='8'><member type='way' ref='6' "
                         "role='right'/><tag k='type' v='lanelet'/></relation>"),
                     "<relation id=8>: a lanelet has exactly one left boundary, this one has 0"),
    "missing member": (osm(NODES + WAYS + "<relation id='8'><member type='way' ref='66' "
                           "role='right'/><tag k='type' v='lanelet'/></relation>"),
                       "<relation id=8> has a right member way 66"),
    "duplicate id": (osm(NODES + "<node id='2' lat='35.6' lon='139.7'/>"),
                     "<node id=2>: the id is used twice"),
    "text latitude": (osm("<node id='1' lat='north' lon='139.7'/>"), "<node id=1>: lat"),
    "NaN longitude": (osm("<node id='1' lat='35.6' lon='NaN'/>"), "<node id=1>: lon"),
    "huge height": (osm("<node id='1' lat='35.6' lon='139.7'><tag k='ele' v='1e300'/></node>"),
                    "<node id=1>: ele"),
    "no id": (osm("<node lat='35.6' lon='139.7'/>"), "with id None"),
    "one-node way": (osm(NODES + "<way id='5'><nd ref='1'/></way>"), "<way id=5> has 1 node"),
    "billion laughs": ("<?xml version='1.0'?><!DOCTYPE osm [<!ENTITY a 'aaaaaaaaaa'>"
                       "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><osm>&b;</osm>",
                       "DTDs and entities are not accepted"),
    "external entity": ("<?xml version='1.0'?><!DOCTYPE osm [<!ENTITY x SYSTEM "
                        "'file:///etc/passwd'>]><osm>&x;</osm>", "XML refused"),
    "truncated": (osm(NODES + WAYS)[:-30], "not valid XML"),
    "not osm": ("<?xml version='1.0'?><gpx/>", "not <osm>"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_maps_are_refused_in_one_line(name: str, tmp_path: Path) -> None:
    text, words = HOSTILE[name]
    path = tmp_path / "bad.osm"
    path.write_text(text)
    with pytest.raises(FormatError) as caught:
        read(path, context())
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert words in message, message


def test_a_folder_with_two_maps_is_refused(tmp_path: Path) -> None:
    shutil.copy(VMB, tmp_path / "a.osm")
    shutil.copy(VMB, tmp_path / "b.osm")
    with pytest.raises(FormatError, match=r"2 \.osm files"):
        read(tmp_path, context())
