"""Proposal latency of the cloud_proposals and onnx_detector assists, against floors.

1. ``cloud_proposals`` on a generated 300 m road tile of ``--points`` points
   (default 5 million; ``sample_data/make_road_tile.py`` at survey density):
   seconds per stage (ground, clustering, fitting, markings), median of 3,
   the whole ``annotator.plugins.run`` call, and the floor: one pass that
   bins every point into the 10 m ground cells (``np.bincount`` of the cell
   numbers), the least any per-cell ground method reads.  The proposals are
   checked against the scene (cars found with BEV IoU > 0.7 / cars there).
2. ``onnx_detector`` on a 12-megapixel (4000 x 3000) RGB image with a small
   convolutional ONNX model written here (three stride-2 3x3 convolutions and
   a YOLOv8-style head, 640 input): letterbox, forward, decode, median of 3,
   and the floor: ``cv2.resize`` of the image to 640 (the unavoidable part).

Usage::

    python3 benchmarks/bench_assist_cloud.py [--points N] [--quick]

Prints the figures; exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "plugins" / "onnx_detector" / "tests"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from annotator_assist_cloud_proposals import Assist as CloudAssist  # noqa: E402
from annotator_assist_cloud_proposals.pipeline import Params, detect  # noqa: E402
from annotator_assist_onnx_detector import OnnxDetector, decode, letterbox  # noqa: E402
from tiny_onnx import model, node  # noqa: E402

from annotator.model import Item  # noqa: E402
from annotator.plugins import AssistRequest, Prompt, run  # noqa: E402
from annotator.schema import load_schema  # noqa: E402
from benchmarks.bench_pointcloud_view import road_tile  # noqa: E402
from benchmarks.machine import machine_state  # noqa: E402

STAGES = ("ground", "clustering", "fitting", "markings")


def median_time(call: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_cloud(points: int) -> None:
    started = time.perf_counter()
    cloud = road_tile(points)
    print(f"tile: {len(cloud):,} points, generated in {time.perf_counter() - started:.1f} s")
    intensity = np.asarray(cloud.fields["intensity"])
    params = Params()
    runs = [detect(cloud.xyz, intensity, params) for _ in range(3)]
    for stage in STAGES:
        seconds = statistics.median(r.timings[stage] for r in runs)
        print(f"  {stage:<11} {seconds:7.3f} s  (median of 3)")
    total = statistics.median(sum(r.timings.values()) for r in runs)
    print(f"  {'all stages':<11} {total:7.3f} s")

    schema = load_schema(REPO / "sample_data" / "schema.yaml")
    item = Item(1, "tile.las", "pointcloud", "las", sha256="", size_bytes=0, points=len(cloud))
    request = AssistRequest(item, "car", schema, Prompt("none"), cloud=cloud)
    proposals: list = []

    def whole() -> None:
        proposals[:] = run(CloudAssist(), request)

    whole_s = median_time(whole)
    counts: dict[str, int] = {}
    for p in proposals:
        counts[p.label] = counts.get(p.label, 0) + 1
    print(f"  run(cloud_proposals) {whole_s:.3f} s (median of 3): {counts}")

    x, y = cloud.xyz[:, 0], cloud.xyz[:, 1]

    def floor() -> None:
        col = ((x - x.min()) / np.float32(10.0)).astype(np.int64)
        row = ((y - y.min()) / np.float32(10.0)).astype(np.int64)
        np.bincount(row * (int(col.max()) + 1) + col)

    floor_s = median_time(floor)
    print(f"  floor: bin every point into its 10 m cell {floor_s:.3f} s; "
          f"run / floor = {whole_s / floor_s:.1f}")
    print(f"  per million points: {whole_s / len(cloud) * 1e6:.3f} s")
    _check_cars(proposals)


def _rectangle(x: float, y: float, length: float, width: float, yaw: float) -> shapely.Polygon:
    c, n = math.cos(yaw), math.sin(yaw)
    return shapely.Polygon([(x + u * length / 2 * c - v * width / 2 * n,
                             y + u * length / 2 * n + v * width / 2 * c)
                            for u, v in ((1, 1), (1, -1), (-1, -1), (-1, 1))])


def _check_cars(proposals: list) -> None:
    """Cars of the generated scene (seed 0, 300 m, heading east) found with BEV IoU > 0.7."""
    spec = importlib.util.spec_from_file_location("make_road_tile",
                                                  REPO / "sample_data" / "make_road_tile.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    layout = generator._make_layout(np.random.default_rng([0, 0]), 300.0)
    x0, y0 = generator.DEFAULT_ORIGIN[:2]
    boxes = [_rectangle(c.center[0, 0], c.center[0, 1], c.size[0, 0], c.size[0, 1], c.yaw)
             for c in (p.geometry for p in proposals if p.label == "car")]
    found = 0
    for car in layout.cars:
        truth = _rectangle(x0 + car.s, y0 + car.t, car.length, car.width, car.yaw)
        found += max((truth.intersection(b).area / truth.union(b).area for b in boxes),
                     default=0.0) > 0.7
    print(f"  cars found with BEV IoU > 0.7: {found} of {len(layout.cars)}")


def conv_model(path: Path, size: int = 640, classes: int = 3, candidates: int = 8400) -> None:
    """Three stride-2 convolutions, a global max, and a YOLOv8-shaped head gated by it."""
    rng = np.random.default_rng(0)
    channels = [3, 16, 32, 64]
    nodes, weights = [], {}
    name = "images"
    for i in range(3):
        weights[f"w{i}"] = rng.normal(0, 0.2, (channels[i + 1], channels[i], 3, 3)).astype(
            np.float32)
        weights[f"b{i}"] = np.zeros(channels[i + 1], np.float32)
        nodes.append(node("Conv", [name, f"w{i}", f"b{i}"], [f"c{i}"],
                          {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "strides": [2, 2]}))
        nodes.append(node("Relu", [f"c{i}"], [f"r{i}"]))
        name = f"r{i}"
    nodes.append(node("ReduceMax", [name], ["peak"], {"keepdims": 1}))
    nodes.append(node("Reshape", ["peak", "shape3"], ["peak3"]))
    nodes.append(node("Sigmoid", ["peak3"], ["gate"]))
    nodes.append(node("Mul", ["gate", "scores"], ["scaled"]))
    nodes.append(node("Concat", ["boxes", "scaled"], ["output0"], {"axis": 1}))
    boxes = np.column_stack([rng.uniform(0, size, (candidates, 2)),
                             rng.uniform(8, 200, (candidates, 2))]).T[None].astype(np.float32)
    weights.update(shape3=np.array([1, 1, 1], np.int64), boxes=boxes,
                   # mostly background, as a trained head's scores are: ~1 % above 0.5
                   scores=(rng.uniform(0, 1, (1, classes, candidates)) ** 12).astype(np.float32))
    path.write_bytes(model(nodes, weights, {"images": [1, 3, size, size]},
                           {"output0": [1, 4 + classes, candidates]}))


def bench_onnx() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "conv.onnx"
        conv_model(path)
        detector = OnnxDetector()
        settings = {"model": str(path), "score_threshold": 0.5, "nms_threshold": 0.45}
        detector.detect(image, settings)                       # load once (cached after)
        blob, box = letterbox(image, 640)
        net = detector._load(str(path))
        net.setInput(blob)
        output = net.forward()

        def forward() -> None:
            net.setInput(blob)
            net.forward()

        parts = {
            "letterbox": median_time(lambda: letterbox(image, 640)),
            "forward": median_time(forward),
            "decode+NMS": median_time(lambda: decode(output, box, (4000, 3000),
                                                     score_threshold=0.5,
                                                     nms_threshold=0.45)),
        }
        found: list = []
        whole = median_time(lambda: found.__setitem__(slice(None),
                                                      detector.detect(image, settings)))
    print("onnx_detector on a 4000x3000 image (640 input, 3-conv model, 8400 candidates):")
    for stage, seconds in parts.items():
        print(f"  {stage:<11} {seconds * 1000:7.1f} ms  (median of 3)")
    floor = median_time(lambda: cv2.resize(image, (640, 480), interpolation=cv2.INTER_LINEAR))
    print(f"  detect()    {whole * 1000:7.1f} ms, {len(found)} boxes kept; floor: resize to 640 "
          f"{floor * 1000:.1f} ms; detect / floor = {whole / floor:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=5_000_000)
    parser.add_argument("--quick", action="store_true", help="1 million points")
    args = parser.parse_args()
    if args.quick:
        args.points = 1_000_000
    print(machine_state())
    bench_cloud(args.points)
    bench_onnx()
    print(machine_state())


if __name__ == "__main__":
    main()
