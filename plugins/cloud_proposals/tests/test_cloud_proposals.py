"""cloud_proposals on generated road tiles whose cars, poles and markings are known,
and on the demo tile."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import shapely
from annotator_assist_cloud_proposals import Assist
from annotator_assist_cloud_proposals.ground import fit_ground
from annotator_assist_cloud_proposals.objects import box_clusters, cluster

from annotator.errors import Cancelled
from annotator.media.pointcloud import PointCloud, read_pointcloud
from annotator.model import Item, LabelClass, LabelSchema
from annotator.plugins import AssistError, AssistRequest, Prompt, discover, run
from annotator.schema import load_schema
from annotator.shapes import Cuboid, Polygon3D, Polyline3D

REPO = Path(__file__).resolve().parents[3]
SCHEMA = load_schema(REPO / "sample_data" / "schema.yaml")
LENGTH = 60.0


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_road_tile",
                                                  REPO / "sample_data" / "make_road_tile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_road_tile", module)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


class Tile:
    """A generated tile as a PointCloud, with its scene layout and a road-frame helper."""

    def __init__(self, seed: int, heading: float, cloud: PointCloud | None = None,
                 length: float = LENGTH) -> None:
        # the generator draws the scene from the seed and the length alone
        self.layout = GEN._make_layout(np.random.default_rng([seed, 0]), length)
        self.heading = math.radians(heading)
        self.road = np.array(GEN.DEFAULT_ORIGIN[:2])
        if cloud is None:
            arrays = GEN.make_tile(seed=seed, length=length, heading_deg=heading)
            world = np.column_stack([arrays["x"], arrays["y"], arrays["z"]])
            origin = np.floor(world.min(axis=0))
            cloud = PointCloud(origin, (world - origin).astype(np.float32),
                               {"intensity": arrays["intensity"]}, "las", "laz", "EPSG:6677")
        self.cloud = cloud

    def world(self, s: float, t: float) -> tuple[float, float]:
        """World x, y of a road-frame spot (s along, t left)."""
        c, n = math.cos(self.heading), math.sin(self.heading)
        return float(self.road[0] + s * c - t * n), float(self.road[1] + s * n + t * c)

    def footprint(self, s: float, t: float, length: float, width: float,
                  yaw: float) -> shapely.Polygon:
        x, y = self.world(s, t)
        return rectangle(x, y, length, width, yaw + self.heading)


def rectangle(x: float, y: float, length: float, width: float, yaw: float) -> shapely.Polygon:
    c, s = math.cos(yaw), math.sin(yaw)
    corners = [(u, v) for u, v in ((1, 1), (1, -1), (-1, -1), (-1, 1))]
    return shapely.Polygon([(x + u * length / 2 * c - v * width / 2 * s,
                             y + u * length / 2 * s + v * width / 2 * c) for u, v in corners])


def bev(cuboid: Cuboid) -> shapely.Polygon:
    (x, y, _), (length, width, _) = cuboid.center[0], cuboid.size[0]
    return rectangle(x, y, length, width, cuboid.yaw)


def request(cloud: PointCloud, schema: LabelSchema = SCHEMA, label: str = "car",
            prompt: Prompt | None = None, **settings: object) -> AssistRequest:
    item = Item(7, "tile.laz", "pointcloud", "las", sha256="", size_bytes=0, points=len(cloud))
    return AssistRequest(item, label, schema, prompt or Prompt("none"), cloud=cloud,
                         settings=settings)


@pytest.fixture(scope="module", params=[(0, 0.0), (1, 30.0), (4, 137.0)],
                ids=["seed0-east", "seed1-30deg", "seed4-137deg"])
def tile(request: pytest.FixtureRequest) -> tuple[Tile, list]:
    made = Tile(*request.param)
    return made, run(Assist(), globals()["request"](made.cloud))


def test_every_car_is_proposed_with_bev_iou_above_0_7(tile: tuple[Tile, list]) -> None:
    scene, proposals = tile
    cars = [p for p in proposals if p.label == "car"]
    assert all(isinstance(p.geometry, Cuboid) for p in cars)
    for car in scene.layout.cars:
        truth = scene.footprint(car.s, car.t, car.length, car.width, car.yaw)
        best = max(truth.intersection(bev(p.geometry)).area / truth.union(bev(p.geometry)).area
                   for p in cars)
        assert best > 0.7, (car, best)
        # upright from the road to the roof, within a few centimetres
        match = max(cars, key=lambda p: truth.intersection(bev(p.geometry)).area)
        assert match.geometry.size[0, 2] == pytest.approx(car.height, abs=0.1)
    assert len(cars) == len(scene.layout.cars)       # no building, pole or curb called a car


def test_poles_are_proposed_as_poles_with_their_height(tile: tuple[Tile, list]) -> None:
    scene, proposals = tile
    poles = [p for p in proposals if p.label == "pole"]
    for pole in scene.layout.poles:
        spot = shapely.Point(scene.world(pole.s, pole.t))
        near = [p for p in poles if bev(p.geometry).distance(spot) < 0.3]
        assert near, pole
        assert near[0].attributes["height_m"] == pytest.approx(pole.height, abs=0.3)


def _painted_lines(scene: Tile) -> dict[str, tuple[float, np.ndarray]]:
    """Each painted longitudinal line: its offset t and the stations s where it has paint."""
    lay = scene.layout
    s = np.arange(0.25, LENGTH, 0.5)
    edge = GEN.ROAD_HALF - GEN.LINE_W / 2
    centre = s[(s < lay.crosswalk_s) | (s > lay.crosswalk_s + 4)]
    dashes = s[(np.mod(s, 6.0) < 3.0) & (s < lay.stop_s - 0.5)]
    return {"edge left": (edge, s), "edge right": (-edge, s), "centre left": (0.15, centre),
            "centre right": (-0.15, centre), "dashes left": (GEN.LANE_W, dashes),
            "dashes right": (-GEN.LANE_W, dashes)}


def test_every_painted_line_has_a_lane_line_within_0_2_m(tile: tuple[Tile, list]) -> None:
    scene, proposals = tile
    lines = [p for p in proposals if p.label == "lane_line"]
    assert all(isinstance(p.geometry, Polyline3D) for p in lines)
    shapes = [shapely.LineString(p.geometry.points[:, :2]) for p in lines]
    for name, (t, stations) in _painted_lines(scene).items():
        spots = shapely.points([scene.world(s, t) for s in stations])
        distance = np.min([shapely.distance(line, spots) for line in shapes], axis=0)
        assert (distance <= 0.2).mean() >= 0.8, name
        # the line that follows this paint says what kind of line it is
        owner = lines[int(np.argmin([np.median(shapely.distance(line, spots))
                                     for line in shapes]))]
        wanted = "dashed" if name.startswith("dashes") else \
            "double_solid" if name.startswith("centre") else "solid"
        assert owner.attributes["line_type"] == wanted, name


def test_lane_line_heights_are_the_road_surface(tile: tuple[Tile, list]) -> None:
    scene, proposals = tile
    lay = scene.layout
    for p in proposals:
        if p.label != "lane_line":
            continue
        vertices = p.geometry.points
        c, n = math.cos(scene.heading), math.sin(scene.heading)
        dx, dy = vertices[:, 0] - scene.road[0], vertices[:, 1] - scene.road[1]
        s, t = dx * c + dy * n, dy * c - dx * n
        inside = (s > 0.5) & (s < LENGTH - 0.5)
        expected = GEN.DEFAULT_ORIGIN[2] + lay.ground_z(s[inside], t[inside])
        assert np.abs(vertices[inside, 2] - expected).max() < 0.05


def test_stop_line_and_crosswalk(tile: tuple[Tile, list]) -> None:
    scene, proposals = tile
    lay = scene.layout
    stops = [p for p in proposals if p.label == "stop_line"]
    target = shapely.LineString([scene.world(lay.stop_s + 0.225, 0.3),
                                 scene.world(lay.stop_s + 0.225, GEN.ROAD_HALF - 0.15)])
    assert any(shapely.LineString(p.geometry.points[:, :2]).hausdorff_distance(target) < 0.4
               for p in stops)
    walks = [p for p in proposals if p.label == "crosswalk"]
    assert walks and all(isinstance(p.geometry, Polygon3D) for p in walks)
    centre = shapely.Point(scene.world(lay.crosswalk_s + 2.0, 0.0))
    assert any(shapely.Polygon(p.geometry.shell[:, :2]).buffer(0.5).contains(centre)
               for p in walks)


def test_demo_tile_gives_a_car_proposal_per_car() -> None:
    # sample_data/README.md: made by make_road_tile.py --seed 0 --length 40
    cloud = read_pointcloud(REPO / "sample_data" / "pointclouds" / "road_tile_000.laz")
    scene = Tile(0, 0.0, cloud, length=40.0)
    proposals = run(Assist(), request(cloud))
    cars = [p for p in proposals if p.label == "car"]
    assert len(cars) == len(scene.layout.cars) >= 3
    for car in scene.layout.cars:
        truth = scene.footprint(car.s, car.t, car.length, car.width, car.yaw)
        assert max(truth.intersection(bev(p.geometry)).area / truth.union(bev(p.geometry)).area
                   for p in cars) > 0.7
    assert sum(p.label == "lane_line" for p in proposals) >= 5


def test_a_box_prompt_proposes_only_inside_the_box() -> None:
    scene = Tile(0, 0.0)
    car = scene.layout.cars[0]
    x, y = scene.world(car.s, car.t)
    box = Prompt("box", box=(x - 4.0, y - 3.0, x + 4.0, y + 3.0))
    proposals = run(Assist(), request(scene.cloud, prompt=box, markings=False))
    assert [p.label for p in proposals] == ["car"]
    assert bev(proposals[0].geometry).contains(shapely.Point(x, y))
    empty = Prompt("box", box=(x + 500.0, y, x + 510.0, y + 10.0))
    assert run(Assist(), request(scene.cloud, prompt=empty)) == []


def test_classes_come_from_the_schema_and_the_current_class() -> None:
    scene = Tile(0, 0.0)
    schema = LabelSchema("boxes", (LabelClass("thing", "#ff0000", ("cuboid",)),
                                   LabelClass("note", "#00ff00", ("point3d",))))
    proposals = run(Assist(), request(scene.cloud, schema=schema, label="thing"))
    # every car and pole becomes "thing" (the current class); paint has no class to go to
    assert {p.label for p in proposals} == {"thing"}
    assert len(proposals) == len(scene.layout.cars) + len(scene.layout.poles)
    assert run(Assist(), request(scene.cloud, schema=schema, label="note")) == []


def test_cancel_and_missing_cloud_are_one_line_answers() -> None:
    scene = Tile(0, 0.0)
    asked: list[float] = []

    def stop(fraction: float) -> bool:
        asked.append(fraction)
        return False

    cancelling = request(scene.cloud)
    cancelling.progress = stop
    with pytest.raises(Cancelled):
        run(Assist(), cancelling)
    assert asked == [0.35]              # stopped after the first stage
    empty = AssistRequest(request(scene.cloud).item, "car", SCHEMA, Prompt("none"))
    with pytest.raises(AssistError, match=r"^cloud_proposals: ValueError: no point cloud given$"):
        run(Assist(), empty)


def test_ground_follows_a_tilted_plane_under_a_wall_and_a_block() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 40, (60_000, 2))
    z = 0.05 * xy[:, 0] - 0.02 * xy[:, 1] + rng.normal(0, 0.01, len(xy))
    wall = np.column_stack([np.full(8000, 20.0), rng.uniform(0, 40, 8000),
                            rng.uniform(0, 6, 8000)])
    wall[:, 2] += 0.05 * 20.0 - 0.02 * wall[:, 1]
    block = np.column_stack([rng.uniform(5, 9, 3000), rng.uniform(5, 7, 3000),
                             rng.uniform(0.3, 1.5, 3000)])
    block[:, 2] += 0.05 * block[:, 0] - 0.02 * block[:, 1]
    xyz = np.vstack([np.column_stack([xy, z]), wall, block]).astype(np.float32)
    ground = fit_ground(xyz)
    spots = rng.uniform(1, 39, (200, 2))
    expected = 0.05 * spots[:, 0] - 0.02 * spots[:, 1]
    assert np.abs(ground.heights(spots[:, 0], spots[:, 1]) - expected).max() < 0.02
    above = ground.above(xyz)
    assert (np.abs(above[: len(xy)]) < 0.1).all()
    assert (above[-3000:] > 0.25).all()


def test_clusters_keep_an_overhang_apart_from_what_stands_under_it() -> None:
    rng = np.random.default_rng(5)
    car = rng.uniform([0, 0, 0.3], [4.5, 1.8, 1.5], (4000, 3))
    pole = np.column_stack([rng.normal(2.0, 0.05, 2000), rng.normal(2.6, 0.05, 2000),
                            rng.uniform(0.0, 7.0, 2000)])
    arm = np.column_stack([rng.normal(2.0, 0.03, 800), rng.uniform(0.8, 2.6, 800),
                           rng.normal(6.8, 0.03, 800)])      # over the car's roof
    xyz = np.vstack([car, pole, arm]).astype(np.float32)
    labels = cluster(xyz, 0.2)
    assert len(np.unique(labels)) == 2
    assert len(np.unique(labels[:4000])) == 1
    assert labels[0] != labels[4000] == labels[-1]
    flat = fit_ground(np.column_stack([rng.uniform(-5, 10, (5000, 2)),
                                       np.zeros(5000)]).astype(np.float32))
    kinds = sorted(b.kind or "?" for b in box_clusters(xyz, labels, flat, min_points=10))
    assert kinds == ["car", "pole"]


def test_the_entry_point_is_installed() -> None:
    entry = next(e for e in discover(refresh=True) if e.id == "cloud_proposals")
    assert entry.error is None
    assert entry.assist is not None and entry.assist.media == "pointcloud"


def test_clouds_without_paint_or_points_give_what_they_can() -> None:
    scene = Tile(0, 0.0)
    flat = PointCloud(scene.cloud.origin, scene.cloud.xyz,
                      {"intensity": np.full(len(scene.cloud), 7, np.uint16)}, "las", "laz")
    bare = PointCloud(scene.cloud.origin, scene.cloud.xyz, {}, "pcd", "binary")
    for cloud in (flat, bare):
        proposals = run(Assist(), request(cloud))
        assert {p.label for p in proposals} == {"car", "pole"}
    few = PointCloud(scene.cloud.origin, scene.cloud.xyz[:2], {}, "pcd", "binary")
    assert run(Assist(), request(few)) == []
