"""GeoPackage benchmark: our map.gpkg write and read against GDAL's own cost for the same data.

Run::

    python benchmarks/bench_gpkg_export.py            # 100 km
    python benchmarks/bench_gpkg_export.py --quick    # 10 km

Target
    ``annotator.formats.gpkg.write`` of the road held in memory takes at most
    2x what GDAL alone takes to write the same four layers (``pyogrio.raw.write``
    of WKB and column arrays prepared before the clock starts), and ``read``
    at most 2x the least any reader into our model does: ``pyogrio.raw.read``
    of the layers, shapely decoding the WKB and one shape object
    (``Polyline3D``/``Polygon3D``/``Point3D``) built per feature, in the same
    run.  The difference is our work: WKB from the shapes, typed columns and
    links on writing; checks, classes, tiles, links and attribute typing on
    reading.  The ratio of our read to GDAL's bare read is printed too.

The road is the one of ``bench_lanelet2_export.py`` (EPSG:6677, one lane
each way sharing the centre line, 25 m lanelets, a vertex every 5 m, 500 m
tiles).  Each side runs three times; the best time counts.  Output goes to
``benchmarks/out/gpkg/`` (git-ignored) and is removed.  The exit code is
always 0: this reports, it does not gate.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_lanelet2_export import build  # benchmarks/bench_lanelet2_export.py
from machine import machine_state  # benchmarks/machine.py

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "gpkg"
sys.path.insert(0, str(HERE.parent))


def best(runs: int, work: Callable[[int], Any]) -> tuple[float, list[float]]:
    times = []
    for run in range(runs):
        start = time.perf_counter()
        work(run)
        times.append(time.perf_counter() - start)
    return min(times), times


def gdal_floor(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The layers of a file of ours as GDAL gives them back, to be written again as is."""
    import pyogrio
    from pyogrio import raw

    layers = []
    names = [str(n) for n, _ in pyogrio.list_layers(path)]
    for name in names:
        meta, _, geometry, fields = raw.read(path, layer=name)
        layers.append({"layer": name, "geometry": geometry, "field_data": fields,
                       "fields": list(meta["fields"]), "geometry_type": meta["geometry_type"],
                       "crs": meta["crs"]})
    return layers, names


def floor_read(path: Path, names: list[str]) -> int:
    """GDAL's read, shapely's decoding and one shape per feature: no checks, no columns."""
    import numpy as np
    import shapely
    from pyogrio import raw

    from annotator.shapes import Point3D, Polygon3D, Polyline3D

    made = 0
    for name in names:
        _, _, geometry, _ = raw.read(path, layer=name)
        if len(geometry) == 0:
            continue
        shapes = shapely.from_wkb(geometry)
        types = shapely.get_type_id(shapes)
        targets = np.where(types == 3, shapely.get_exterior_ring(shapes), shapes)
        coordinates, index = shapely.get_coordinates(targets, include_z=True,
                                                     return_index=True)
        counts = np.bincount(index, minlength=len(shapes))
        for kind, piece in zip(types.tolist(), np.split(coordinates, np.cumsum(counts)[:-1]),
                               strict=True):
            if kind == 3:
                Polygon3D(piece[:-1])
            elif kind == 0:
                Point3D(piece)
            else:
                Polyline3D(piece)
            made += 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 km instead of 100 km")
    args = parser.parse_args()
    kilometres = 10.0 if args.quick else 100.0

    from pyogrio import raw

    from annotator.formats import ImportContext
    from annotator.formats import gpkg as ours

    print(machine_state())
    view, lanelets = build(kilometres)
    print(f"road: {kilometres:g} km, {lanelets:,} lanelets, {view.count} tiles")
    shutil.rmtree(OUT, ignore_errors=True)

    def write(run: int) -> None:
        out = OUT / f"ours{run}"
        out.mkdir(parents=True)
        ours.write(view, out).check(view)

    ours_write, write_runs = best(3, write)
    path = OUT / "ours0" / ours.FILE
    layers, names = gdal_floor(path)

    def gdal_write(run: int) -> None:
        target = OUT / f"gdal{run}.gpkg"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for layer in layers:
                raw.write(target, driver="GPKG", layer_options={"SPATIAL_INDEX": "YES"},
                          **layer)

    gdal_write_best, gdal_write_runs = best(3, gdal_write)
    context = ImportContext(view.schema)
    shapes = [0]

    def read(run: int) -> None:
        result = ours.read(path, context)
        shapes[0] = result.shape_count

    ours_read, read_runs = best(3, read)

    def gdal_read(run: int) -> None:
        for name in names:
            raw.read(path, layer=name)

    gdal_read_best, gdal_read_runs = best(3, gdal_read)
    floor_best, floor_runs = best(3, lambda run: floor_read(path, names))
    size = path.stat().st_size
    print(f"file: {size / 2**20:.1f} MiB, {shapes[0]:,} features read back")

    def line(what: str, value: float, runs: list[float]) -> None:
        print(f"{what:<28}{value:8.3f} s  (runs: " + ", ".join(f"{t:.3f}" for t in runs) + ")")

    line("our gpkg.write:", ours_write, write_runs)
    line("GDAL raw.write, same data:", gdal_write_best, gdal_write_runs)
    line("our gpkg.read:", ours_read, read_runs)
    line("GDAL raw.read, same layers:", gdal_read_best, gdal_read_runs)
    line("GDAL read + shapes (floor):", floor_best, floor_runs)
    print(f"read ratio ours/bare GDAL read: {ours_read / gdal_read_best:.2f} (no target)")
    for what, ratio, target in (("write ratio ours/GDAL write", ours_write / gdal_write_best,
                                 2.0),
                                ("read ratio ours/floor", ours_read / floor_best, 2.0)):
        verdict = "met" if ratio <= target else "NOT met"
        print(f"{what}: {ratio:.2f} (target <= {target:.2f}: {verdict})")
    print(machine_state())
    shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
