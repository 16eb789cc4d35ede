"""3D view speed on a 20-million-point road tile, against floors measured in the same run.

The tile comes from ``sample_data/make_road_tile.py`` at survey density
(road, markings, curbs, facades, poles, cars), cut to exactly ``--points``.
The view is a real top-level window, so every frame is drawn, composed and
presented as a user would see it.

1. Upload: ``set_cloud`` (bounds and colour ranges), then the first picture
   (arranging by cell on a worker thread, the copy to the GPU, a first frame),
   and the longest frame the window took meanwhile.
2. Full-detail still frame: every point in one frame (fixed budget = all),
   median of 3, and the floor: the same frame with no points (clear, copy,
   lines).
3. Orbit with the adaptive budget: a left-button drag, one mouse move per
   frame, for ``--seconds``; frames per second after a one-second warm-up
   (target: >= 10 fps), median frame time and points per frame; the ratio to
   the full-detail frame is what the level of detail buys.
4. Refinement when the drag stops: time until every point is in the picture,
   and the longest frame on the way (the UI waits at most that long).

Usage (xvfb-run's default screen is 640x480x8: give it one the window fits)::

    xvfb-run -a -s "-screen 0 1920x1080x24" python3 benchmarks/bench_pointcloud_view.py \
        [--points N] [--quick] [--cache /tmp/tile.npz]
    ... bench_pointcloud_view.py --gpu      # on a machine whose GLX is a hardware driver

Prints the GL renderer; exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
if "QT_QPA_PLATFORM" not in os.environ:
    os.environ["QT_QPA_PLATFORM"] = "xcb" if os.environ.get("DISPLAY") else "offscreen"

import numpy as np  # noqa: E402

from annotator.media.pointcloud import PointCloud  # noqa: E402
from benchmarks.machine import machine_state  # noqa: E402

#: Points per metre of road per unit of make_tile's density (measured on the sample tile).
POINTS_PER_METRE_DENSITY = 19.75
TARGET_FPS = 10.0


def road_tile(points: int, seed: int = 0, cache: Path | None = None) -> PointCloud:
    """A synthetic 300 m road tile with exactly ``points`` points (40 km from the CRS origin)."""
    if cache is not None and cache.exists():
        data = np.load(cache)
        return PointCloud(data["origin"], data["xyz"], {"intensity": data["intensity"],
                                                        "classification": data["classes"]},
                          "las", "las")
    spec = importlib.util.spec_from_file_location("make_road_tile",
                                                  REPO / "sample_data" / "make_road_tile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    length = 300.0
    density = points / (POINTS_PER_METRE_DENSITY * length) * 1.05
    arrays = module.make_tile(seed=seed, length=length, density=density)
    total = len(arrays["x"])
    keep = np.sort(np.random.default_rng(seed).choice(total, min(points, total), replace=False))
    world = np.column_stack([arrays["x"][keep], arrays["y"][keep], arrays["z"][keep]])
    del arrays["x"], arrays["y"], arrays["z"]
    origin = np.floor(world.min(axis=0))
    xyz = (world - origin).astype(np.float32)
    del world
    intensity = arrays["intensity"][keep]
    classes = arrays["classification"][keep]
    if cache is not None:
        np.savez(cache, origin=origin, xyz=xyz, intensity=intensity, classes=classes)
    return PointCloud(origin, xyz, {"intensity": intensity, "classification": classes},
                      "las", "las")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000_000)
    parser.add_argument("--quick", action="store_true", help="2 million points, 3 s orbit")
    parser.add_argument("--seconds", type=float, default=6.0, help="orbit duration")
    parser.add_argument("--size", default="1280x720", help="window size WxH")
    parser.add_argument("--gpu", action="store_true",
                        help="expect a hardware renderer (warns when it is llvmpipe)")
    parser.add_argument("--cache", type=Path, help="keep the generated tile in this .npz")
    args = parser.parse_args()
    if args.quick:
        args.points, args.seconds = 2_000_000, 3.0
    width, height = (int(v) for v in args.size.split("x"))

    print(machine_state())
    started = time.perf_counter()
    cloud = road_tile(args.points, cache=args.cache)
    print(f"tile: {len(cloud):,} points, {len(cloud.field_names)} fields, made in "
          f"{time.perf_counter() - started:.1f} s")

    from PySide6.QtCore import QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from annotator.ui.pointcloud_view import PointCloudView

    app = QApplication.instance() or QApplication(sys.argv)
    view = PointCloudView()
    view.resize(width, height)
    view.show()
    QTest.qWaitForWindowExposed(view)
    frames: list[dict[str, object]] = []
    view.frameDrawn.connect(
        lambda: frames.append({**view.frame_stats(), "finished": time.perf_counter()}))

    def next_frame(timeout: float = 120.0) -> dict[str, object]:
        """Let Qt run until the view has drawn one more frame."""
        count, deadline = len(frames), time.perf_counter() + timeout
        view.update()
        while len(frames) == count and time.perf_counter() < deadline:
            app.processEvents()
        if len(frames) == count:
            raise SystemExit("the view drew no frame: no working GL context?")
        return frames[-1]

    next_frame()
    info = view.gl_info()
    print(f"platform {QApplication.platformName()}, window {width}x{height}")
    print(f"GL renderer: {info.get('renderer')} | {info.get('version')} | "
          f"GLSL {info.get('glsl')} | {info.get('vendor')}")
    if args.gpu and "llvmpipe" in str(info.get("renderer")):
        print("WARNING: --gpu asked, but the renderer is Mesa llvmpipe (software)")

    # 1. upload, and the first picture (adaptive budget)
    ticks: list[float] = []
    clock = QTimer()
    clock.setInterval(10)
    clock.timeout.connect(lambda: ticks.append(time.perf_counter()))
    clock.start()
    started = time.perf_counter()
    view.set_cloud(cloud)
    view.set_colour_mode("intensity")
    prepared = time.perf_counter()
    frames.clear()
    while not any(f["points_last_frame"] for f in frames):
        QTest.qWait(5)           # an idle event loop: the view paints when the tile is ready
    shown = next(float(f["finished"]) for f in frames if f["points_last_frame"])  # type: ignore[arg-type]
    first = next(f for f in frames if f["points_last_frame"])
    clock.stop()
    loading = [t for t in ticks if t <= shown - float(first["frame_ms"]) / 1000]  # type: ignore[arg-type]
    stall = max(np.diff(loading), default=0.0) if len(loading) > 1 else 0.0
    print(f"\n1. set_cloud {(prepared - started) * 1000:,.0f} ms (bounds, colour ranges); "
          f"first picture {(shown - prepared) * 1000:,.0f} ms later (arranged on a worker "
          f"thread; GPU upload {first['upload_ms']:,.0f} ms; first frame "
          f"{first['frame_ms']:,.0f} ms for {first['points_last_frame']:,} points)")
    print(f"   while the worker arranged the tile, a 10 ms timer ran {len(loading):,} times; "
          f"longest gap {stall * 1000:,.0f} ms")
    view.set_point_budget(len(cloud))

    # 2. full-detail still frames and the empty floor
    def full_frames(rounds: int) -> tuple[float, float]:
        times, walls = [], []
        for _ in range(rounds):
            QTest.keyClick(view, Qt.Key.Key_Left)
            t0 = time.perf_counter()
            stats = next_frame()
            walls.append(time.perf_counter() - t0)
            times.append(float(stats["frame_ms"]))  # type: ignore[arg-type]
        return statistics.median(times), statistics.median(walls) * 1000

    full_ms, full_wall = full_frames(3)
    drawn = frames[-1]["points_last_frame"]
    view.set_point_budget(1)
    empty_ms, _ = full_frames(3)
    print("\n2. full-detail still frame (median of 3)")
    print(f"   all {drawn:,} points in one frame   {full_ms:10.1f} ms "
          f"(wall, composed and shown: {full_wall:.1f} ms)")
    print(f"   floor: the frame with no points     {empty_ms:10.1f} ms")

    # 3. orbit with the adaptive budget
    view.set_point_budget(None)
    centre = QPoint(width // 2, height // 2)
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    frames.clear()
    started = time.perf_counter()
    step = 0
    while time.perf_counter() - started < args.seconds:
        step += 1
        QTest.mouseMove(view, centre + QPoint(6 * (step % 100) - 300, 0))
        next_frame()
    ended = time.perf_counter()
    measured = [f for f in frames if float(f["finished"]) >= started + 1.0]  # type: ignore[arg-type]
    fps = len(measured) / max(ended - (started + 1.0), 1e-9)
    moving_ms = statistics.median(float(f["frame_ms"]) for f in measured)  # type: ignore[arg-type]
    points = statistics.median(int(f["points_last_frame"]) for f in measured)  # type: ignore[arg-type]
    print(f"\n3. orbit, adaptive budget ({args.seconds:.0f} s drag, first second not counted)")
    print(f"   {fps:.1f} fps (target >= {TARGET_FPS:.0f}) -> "
          f"{'PASS' if fps >= TARGET_FPS else 'FAIL'}")
    print(f"   median frame {moving_ms:.1f} ms drawing {points:,.0f} points "
          f"({points / len(cloud):.1%} of the tile); budget now {view.frame_stats()['budget']:,}")
    print(f"   full-detail frame / moving frame: {full_ms / moving_ms:.1f}x")

    # 4. refinement after the drag stops
    frames.clear()
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       centre + QPoint(6 * (step % 100) - 300, 0))
    released = time.perf_counter()
    while not view.frame_stats()["complete"] and time.perf_counter() - released < 300:
        app.processEvents()
    refine = time.perf_counter() - released
    longest = max((float(f["frame_ms"]) for f in frames), default=0.0)  # type: ignore[arg-type]
    print("\n4. refinement when the camera stops")
    print(f"   every point drawn {refine * 1000:,.0f} ms after the release "
          f"(settle {150} ms, {len(frames)} frames, longest frame {longest:.0f} ms)")
    print()
    print(machine_state())
    view.close()


if __name__ == "__main__":
    main()
