"""Canvas and window speed, each as a ratio against a floor measured in the same run.

1. Repaint at fit of an image with 10,000 polygons of 50 vertices, against the
   repaint of the same image with no shapes (target: at most 3x); and the area
   a vertex drag repaints, against the whole viewport.
2. Next item (12-megapixel JPEG) with prefetch, against painting an image
   that is already decoded (target: at most 1.3x).
3. Start-up to a usable window with a 100,000-item project, against an empty
   project (target: under 2x), each in a fresh process.

Usage: python benchmarks/bench_canvas.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from annotator.commands import AddAnnotations  # noqa: E402
from annotator.model import Annotation, Polygon  # noqa: E402
from annotator.project import Project  # noqa: E402
from annotator.schema import load_schema  # noqa: E402

SCHEMA = REPO / "sample_data" / "schema.yaml"


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _image(path: Path, width: int, height: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 16, width // 16, 3), dtype=np.uint8)
    Image.fromarray(small).resize((width, height), Image.Resampling.BILINEAR).save(
        path, quality=90)
    return path


def _project(folder: Path, images: list[Path]) -> Project:
    project = Project.create(folder, load_schema(SCHEMA), user="lead")
    project.import_media(images)
    return project


def _repaint(window: object, app: object, rounds: int) -> float:
    viewport = window.canvas.viewport()  # type: ignore[attr-defined]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        viewport.repaint()
        times.append(time.perf_counter() - start)
    return _median_ms(times)


def bench_repaint(tmp: Path, shapes: int, rounds: int) -> None:
    from PySide6.QtCore import QEvent, QObject, QPointF

    from annotator.app import ensure_application, open_window

    app = ensure_application()
    images = [_image(tmp / "bare.jpg", 4000, 3000, 1), _image(tmp / "busy.jpg", 4000, 3000, 1)]
    project = _project(tmp / "repaint", images)
    rng = np.random.default_rng(7)
    angles = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    batch = []
    for index in range(shapes):
        cx, cy = rng.uniform(50, 3950), rng.uniform(50, 2950)
        radius = rng.uniform(8, 40) * (1 + 0.2 * np.sin(angles * 3))
        ring = np.column_stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)])
        batch.append(Annotation(None, 2, "car", Polygon(ring)))
        if len(batch) == 1000 or index == shapes - 1:
            project.stack.push(AddAnnotations(batch))
            batch = []
    window = open_window(project)
    window.resize(1600, 1000)  # type: ignore[attr-defined]
    window.show()  # type: ignore[attr-defined]
    figures = {}
    for item_id, name in ((1, "bare image"), (2, f"image + {shapes:,} polygons x 50 vertices")):
        window.open_item(item_id)  # type: ignore[attr-defined]
        window.canvas.fit()  # type: ignore[attr-defined]
        for _ in range(20):
            app.processEvents()  # type: ignore[attr-defined]
            window.loader.wait(500)  # type: ignore[attr-defined]
        _repaint(window, app, 2)  # warm caches
        figures[name] = _repaint(window, app, rounds)
    bare, busy = figures.values()
    print("\n1. full repaint of the view at fit (median ms)")
    for name, value in figures.items():
        print(f"   {name:<45} {value:8.2f}")
    ratio = busy / bare
    print(f"   ratio {ratio:.2f}x (target <= 3x) -> {'PASS' if ratio <= 3 else 'FAIL'}")

    # A vertex drag: measure the area Qt repaints for one preview step.
    class Spy(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.area = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                rect = event.rect()  # type: ignore[attr-defined]
                self.area += rect.width() * rect.height()
            return False

    editor = window.editor  # type: ignore[attr-defined]
    shape_id = next(iter(editor.scene.shapes))
    editor.select([shape_id])
    viewport = window.canvas.viewport()  # type: ignore[attr-defined]
    for _ in range(5):
        app.processEvents()  # type: ignore[attr-defined]
        viewport.repaint()
    spy = Spy()
    viewport.installEventFilter(spy)
    item = editor.scene.shapes[shape_id]
    geometry = item.annotation.geometry.moved([0], [3.0, 2.0])
    editor.preview(item, geometry)
    app.processEvents()  # type: ignore[attr-defined]
    full = viewport.width() * viewport.height()
    share = spy.area / full
    on_screen = window.canvas.mapFromScene(item.boundingRect()).boundingRect()  # type: ignore[attr-defined]
    print(f"   vertex drag step at fit repainted {spy.area:,} px of {full:,} "
          f"({share:.2%} of the view; the shape's own box is "
          f"{on_screen.width() * on_screen.height():,} px)")
    _ = QPointF
    window.close()  # type: ignore[attr-defined]
    project.close()


def bench_next_item(tmp: Path, rounds: int) -> None:
    from annotator.app import ensure_application, open_window

    app = ensure_application()
    images = [_image(tmp / f"photo_{i}.jpg", 4000, 3000, 10 + i) for i in range(rounds + 2)]
    project = _project(tmp / "next", images)
    window = open_window(project)
    window.resize(1600, 1000)  # type: ignore[attr-defined]
    window.show()  # type: ignore[attr-defined]

    def settle() -> None:
        for _ in range(200):
            app.processEvents()  # type: ignore[attr-defined]
            window.canvas.viewport().repaint()  # type: ignore[attr-defined]
            if not window.canvas.canvas_scene.image_missing():  # type: ignore[attr-defined]
                return
            window.loader.wait(5)  # type: ignore[attr-defined]

    window.open_item(1)  # type: ignore[attr-defined]
    settle()
    switch, again = [], []
    for index in range(rounds):
        window.loader.wait(10_000)  # type: ignore[attr-defined]  # the prefetch is done
        start = time.perf_counter()
        window.step(1)  # type: ignore[attr-defined]
        settle()
        switch.append(time.perf_counter() - start)
        # Floor: show the same, already decoded, image again.
        start = time.perf_counter()
        window.open_item(index + 2)  # type: ignore[attr-defined]
        settle()
        again.append(time.perf_counter() - start)
    ratio = statistics.median(switch) / statistics.median(again)
    print("\n2. next item, 12-megapixel JPEG (median ms)")
    print(f"   next item with prefetch                       {_median_ms(switch):8.2f}")
    print(f"   paint an already decoded image                {_median_ms(again):8.2f}")
    print(f"   ratio {ratio:.2f}x (target <= 1.3x) -> {'PASS' if ratio <= 1.3 else 'FAIL'}")
    window.close()  # type: ignore[attr-defined]
    project.close()


STARTUP = """
import os, sys, time, json
os.environ["QT_QPA_PLATFORM"] = "offscreen"
start = time.perf_counter()
from annotator.app import ensure_application, open_window
app = ensure_application()
window = open_window(sys.argv[1], user="lead")
window.resize(1600, 1000)
window.show()
app.processEvents()
window.canvas.viewport().repaint()
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def _big_project(folder: Path, items: int, image: Path) -> None:
    _project(folder, [image]).close()
    connection = sqlite3.connect(folder / "project.db")
    row = connection.execute(
        "SELECT kind, format, encoding, sha256, size_bytes, width, height, fields, added_at "
        "FROM items WHERE id = 1").fetchone()
    connection.executemany(
        "INSERT INTO items (path, kind, format, encoding, sha256, size_bytes, width, height, "
        "fields, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((f"tiles/{i // 1000:03d}/img_{i:06d}.jpg", *row) for i in range(items - 1)))
    connection.commit()
    connection.close()


def bench_startup(tmp: Path, items: int, rounds: int) -> None:
    image = _image(tmp / "one.jpg", 1280, 720, 3)
    empty = tmp / "empty"
    _project(empty, []).close()
    big = tmp / "big"
    _big_project(big, items, image)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "config"), "PYTHONPATH": str(REPO)}
    figures: dict[str, list[float]] = {"empty": [], "big": []}
    for _ in range(rounds):
        for name, folder in (("empty", empty), ("big", big)):
            out = subprocess.run([sys.executable, "-c", STARTUP, str(folder)], env=env,
                                 capture_output=True, text=True, check=True)
            figures[name].append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    ratio = statistics.median(figures["big"]) / statistics.median(figures["empty"])
    print(f"\n3. start-up to a usable window, fresh process (median ms of {rounds})")
    print(f"   empty project                                 {_median_ms(figures['empty']):8.1f}")
    print(f"   {items:,}-item project                         {_median_ms(figures['big']):8.1f}")
    print(f"   ratio {ratio:.2f}x (target < 2x) -> {'PASS' if ratio < 2 else 'FAIL'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        bench_repaint(tmp, 1_000 if args.quick else 10_000, 5 if args.quick else 15)
        bench_next_item(tmp, 2 if args.quick else 5)
        bench_startup(tmp, 10_000 if args.quick else 100_000, 2 if args.quick else 5)
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
