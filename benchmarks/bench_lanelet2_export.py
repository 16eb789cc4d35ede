"""Lanelet2 export benchmark: a 100 km two-lane road, our writer against lanelet2's loader.

Run::

    python benchmarks/bench_lanelet2_export.py            # 100 km
    python benchmarks/bench_lanelet2_export.py --quick    # 10 km

Target
    Writing the map (``annotator.formats.lanelet2.write`` of a ProjectView held
    in memory) takes no longer than the lanelet2 library loading the file we
    wrote (``lanelet2.io.loadRobust`` with a ``UtmProjector``), in the same run.

The road (EPSG:6677): one lane each way sharing the centre line (the
westbound lanelets use it reversed), lanelets 25 m long with a vertex every
5 m, a gentle S-curve (200 m amplitude over 12.6 km) and heights rolling by
10 m; boundaries are solid centre line and curbs; the features lie on 500 m
tiles (features cross seams by sharing end vertices).  The view is built
before the clock starts.  Each side runs three times; the best time counts.
The loader's result is checked (no errors, every lanelet there).  Output
goes to ``benchmarks/out/`` (git-ignored) and is removed unless ``--keep``.
The exit code is always 0: this reports, it does not gate.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from machine import machine_state  # benchmarks/machine.py

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "lanelet2"
sys.path.insert(0, str(HERE.parent))

X0, Y0, Z0 = -12000.0, -35000.0, 600.0
STEP = 5.0          # metres between vertices
LANELET = 25.0      # metres per lanelet
HALF = 3.5          # lane width
TILE = 500.0        # metres of road per tile


def build(kilometres: float) -> Any:
    from annotator.formats.base import ExportItem, ProjectView
    from annotator.geometry.mapnet import lanelet_links, lanelet_polygon
    from annotator.model import Annotation, Item
    from annotator.schema import load_schema
    from annotator.shapes import Polyline3D

    schema = load_schema(HERE.parent / "sample_data" / "schema.yaml")
    s = np.arange(0.0, kilometres * 1000.0 + STEP / 2, STEP)
    x = X0 + s
    y = Y0 + 200.0 * np.sin(s / 2000.0)
    z = Z0 + 10.0 * np.sin(s / 5000.0)
    heading = np.arctan2(np.gradient(y), np.gradient(x))
    normal = np.column_stack([-np.sin(heading), np.cos(heading)])
    centre = np.column_stack([x, y, z])

    def offset(d: float) -> np.ndarray:
        return np.column_stack([centre[:, :2] + d * normal, z])

    left_edge, right_edge = offset(HALF), offset(-HALF)
    per = int(LANELET / STEP)
    tiles: dict[int, list[Annotation]] = {}
    next_id = 1

    def add(tile: int, annotation: Annotation) -> None:
        tiles.setdefault(tile, []).append(annotation)

    for k in range(0, len(s) - 1, per):
        part = slice(k, k + per + 1)
        tile = int(s[k] // TILE) + 1
        c = Annotation(next_id, tile, "lane_line", Polyline3D(centre[part]),
                       {"line_type": "solid", "line_color": "yellow"})
        r = Annotation(next_id + 1, tile, "road_edge", Polyline3D(right_edge[part]),
                       {"edge_type": "curb"})
        left = Annotation(next_id + 2, tile, "road_edge", Polyline3D(left_edge[part]),
                          {"edge_type": "curb"})
        east = Annotation(next_id + 3, tile, "lanelet",
                          lanelet_polygon(centre[part], right_edge[part]),
                          {"subtype": "road", "location": "nonurban", "one_way": True,
                           "speed_limit": 60.0}, links=lanelet_links(next_id, next_id + 1))
        west = Annotation(next_id + 4, tile, "lanelet",
                          lanelet_polygon(centre[part][::-1], left_edge[part][::-1]),
                          {"subtype": "road", "location": "nonurban", "one_way": True,
                           "speed_limit": 60.0},
                          links=lanelet_links(next_id, next_id + 2, True, True))
        for annotation in (c, r, left, east, west):
            add(tile, annotation)
        next_id += 5
    items = []
    for tile in sorted(tiles):
        item = Item(tile, f"tiles/{tile:04d}.laz", "pointcloud", "laz", "0" * 64, 1,
                    points=1, crs=schema.crs, origin=(X0 + (tile - 1) * TILE, Y0, Z0))
        items.append(ExportItem(item, item.path, tuple(tiles[tile])))
    return ProjectView.from_items(schema, items), (len(s) - 1) // per * 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 km instead of 100 km")
    parser.add_argument("--keep", action="store_true", help="keep benchmarks/out/lanelet2")
    args = parser.parse_args()
    kilometres = 10.0 if args.quick else 100.0

    import lanelet2
    from lanelet2.io import Origin
    from lanelet2.projection import UtmProjector

    from annotator.formats import lanelet2 as ours

    print(machine_state())
    view, lanelets = build(kilometres)
    print(f"road: {kilometres:g} km, {lanelets:,} lanelets, {view.count} tiles")
    write_times, load_times = [], []
    for run in range(3):
        out = OUT / f"run{run}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        start = time.perf_counter()
        report = ours.write(view, out)
        write_times.append(time.perf_counter() - start)
        report.check(view)
        path = out / ours.FILE
        start = time.perf_counter()
        loaded, errors = lanelet2.io.loadRobust(str(path), UtmProjector(Origin(35.68, 139.5)))
        load_times.append(time.perf_counter() - start)
        if errors or len(loaded.laneletLayer) != lanelets:
            print(f"lanelet2 did not load the map cleanly: {len(errors)} error(s), "
                  f"{len(loaded.laneletLayer)} of {lanelets} lanelets")
    size = (OUT / "run0" / ours.FILE).stat().st_size
    ours_best, theirs_best = min(write_times), min(load_times)
    print(f"file: {size / 2**20:.1f} MiB, {sum(report.written.values()):,} annotations written")
    print(f"our write():             {ours_best:8.3f} s  (runs: "
          + ", ".join(f"{t:.3f}" for t in write_times) + ")")
    print(f"lanelet2.io.loadRobust:  {theirs_best:8.3f} s  (runs: "
          + ", ".join(f"{t:.3f}" for t in load_times) + ")")
    ratio = ours_best / theirs_best
    verdict = "met" if ratio <= 1.0 else "NOT met"
    print(f"ratio ours/theirs: {ratio:.2f} (target <= 1.00: {verdict})")
    print(machine_state())
    if not args.keep:
        shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
