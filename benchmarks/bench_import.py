"""Import benchmark: registering many small image files with ``Project.import_media``.

Run::

    python benchmarks/bench_import.py              # 100,000 files
    python benchmarks/bench_import.py --quick      # 3,000 files, < 30 s smoke test
    python benchmarks/bench_import.py --breakdown  # also time each import phase alone

Target
    ``Project.import_media([media folder])`` registers 100,000 image files
    (Pillow header read + sha256 of every file, one store transaction) at
    >= 2,000 files/s on this machine.

Files
    20 distinct small images (14 JPEG, 2 of them with EXIF orientation 6, and 6
    PNG; ~5-20 KB, realistic content: gradients, blocks and sensor-like noise)
    are made with Pillow, then their bytes are copied to N files with varied
    names in nested folders (``media/camC/YYYY-MM-DD/frame_NNNNNN.jpg``), inside
    the project folder, as a lead would lay them out.  Content repeats; the mean
    file size is printed.

Peers, measured in the same run over the same files, single-threaded
    * ``PIL.Image.open(path)`` + ``.size`` (header only), one file at a time;
    * ``hashlib.sha256(path.read_bytes())``;
    * both in one loop (context: the least work an import must do per file).

Page cache
    A warm-up pass lists the folders and reads every file before anything is
    timed, so every figure is for a WARM page cache (no disk reads); the
    warm-up's own rate is printed for reference.

Everything lives in a temporary folder under ``benchmarks/out/`` (git-ignored)
that is removed at the end unless ``--keep``.  The exit code is always 0.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import PIL
from machine import machine_state  # benchmarks/machine.py
from PIL import Image

from annotator.media import probe, sha256_file
from annotator.model import AttributeSpec, LabelClass, LabelSchema
from annotator.project import Project

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TARGET = 2_000.0          # files/s


def schema() -> LabelSchema:
    return LabelSchema(
        "bench",
        (
            LabelClass("car", "#e69f00", ("box", "polygon"),
                       (AttributeSpec("occluded", "bool", default=False),)),
            LabelClass("sign", "#f0e442", ("point",)),
        ),
    )




# -- making the files -------------------------------------------------------------------


def _picture(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    pixels = np.stack([
        (x * rng.uniform(0.2, 1.0) + y * rng.uniform(0.1, 0.5)) % 256,
        (y * rng.uniform(0.3, 1.0)) % 256,
        ((x + y) * rng.uniform(0.1, 0.4)) % 256,
    ], axis=-1)
    for _ in range(10):
        x0, y0 = rng.integers(0, width - 20), rng.integers(0, height - 20)
        pixels[y0:y0 + rng.integers(10, 60), x0:x0 + rng.integers(10, 80)] = rng.integers(0, 255, 3)
    pixels += rng.normal(0.0, rng.uniform(4.0, 10.0), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def distinct_images() -> list[tuple[str, bytes]]:
    """20 (suffix, bytes) pairs: 14 JPEG (2 with EXIF orientation 6), 6 PNG, ~5-20 KB."""
    blobs: list[tuple[str, bytes]] = []
    jpeg_sizes = [(320, 240), (400, 300), (256, 192), (360, 270), (300, 200), (384, 216),
                  (320, 180), (240, 180), (400, 225), (352, 288), (288, 216), (320, 256),
                  (256, 256), (416, 234)]
    for k, (w, h) in enumerate(jpeg_sizes):
        buffer = io.BytesIO()
        options: dict[str, object] = {"quality": 70 + (k * 3) % 20}
        if k in (3, 9):
            exif = Image.Exif()
            exif[0x0112] = 6
            options["exif"] = exif.tobytes()
        _picture(w, h, k).save(buffer, "JPEG", **options)
        blobs.append((".jpg", buffer.getvalue()))
    for k, (w, h) in enumerate([(96, 72), (80, 60), (112, 84), (64, 64), (100, 75), (88, 66)]):
        buffer = io.BytesIO()
        _picture(w, h, 100 + k).save(buffer, "PNG")
        blobs.append((".png", buffer.getvalue()))
    return blobs


def make_files(media: Path, count: int) -> tuple[list[Path], float]:
    """``count`` files under ``media`` in nested folders; returns them and the mean size."""
    blobs = distinct_images()
    folders = []
    for cam in range(10):
        for day in range(20):
            folders.append(media / f"cam{cam}" / f"2024-05-{day + 1:02d}")
    for folder in folders:
        folder.mkdir(parents=True)
    paths = []
    total = 0
    for index in range(count):
        suffix, blob = blobs[(index * 7) % len(blobs)]
        folder = folders[index % len(folders)]
        stem = "frame" if suffix == ".jpg" else "mask"
        path = folder / f"{stem}_{index:06d}{suffix}"
        with open(path, "wb") as handle:
            handle.write(blob)
        total += len(blob)
        paths.append(path)
    return paths, total / count


# -- measuring --------------------------------------------------------------------------


def warm_up(media: Path) -> tuple[list[Path], float, int]:
    """List the folders and read every file; returns the sorted files, seconds, bytes."""
    t0 = time.perf_counter()
    files: list[Path] = []
    size = 0
    for root, _dirs, names in os.walk(media):
        for name in names:
            path = Path(root, name)
            with open(path, "rb") as handle:
                size += len(handle.read())
            files.append(path)
    files.sort()
    return files, time.perf_counter() - t0, size


def peer_pillow(files: list[Path]) -> float:
    t0 = time.perf_counter()
    for path in files:
        with Image.open(path) as image:
            image.size  # noqa: B018 - the header read is the point
    return time.perf_counter() - t0


def peer_sha256(files: list[Path]) -> float:
    t0 = time.perf_counter()
    for path in files:
        hashlib.sha256(path.read_bytes()).hexdigest()
    return time.perf_counter() - t0


def peer_both(files: list[Path]) -> float:
    t0 = time.perf_counter()
    for path in files:
        with Image.open(path) as image:
            image.size  # noqa: B018
        hashlib.sha256(path.read_bytes()).hexdigest()
    return time.perf_counter() - t0


def breakdown(project: Project, media: Path, files: list[Path], profile: bool) -> None:
    """Each phase of import_media alone, single-threaded (uses Project internals)."""
    from annotator.project import ImportReport, _item

    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    phases: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    found = project._collect([media], ImportReport())
    phases.append(("_collect (walk, stat, resolve)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    stored = [project.stored_path(p) for p in found]
    phases.append(("stored_path (resolve, relative)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    project.store.existing_paths(stored)
    phases.append(("store.existing_paths", time.perf_counter() - t0))
    t0 = time.perf_counter()
    infos = [probe(p) for p in found]
    phases.append(("probe (Pillow header)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    digests = [sha256_file(p) for p in found]
    phases.append(("sha256_file", time.perf_counter() - t0))
    t0 = time.perf_counter()
    sizes = [p.stat().st_size for p in found]
    phases.append(("path.stat().st_size", time.perf_counter() - t0))
    t0 = time.perf_counter()
    items = [_item(i, s, d, n) for i, s, d, n in zip(infos, stored, digests, sizes, strict=True)]
    phases.append(("_item (build Item)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    project.store.add_items(items)
    phases.append(("store.add_items (1 transaction)", time.perf_counter() - t0))
    if profiler:
        profiler.disable()
    total = sum(s for _, s in phases)
    n = len(files)
    print(f"\nbreakdown: import_media's phases run one after the other on one thread, "
          f"{n:,} files, a second fresh project (the files lie outside it, so it stores "
          f"absolute paths)")
    print(f"{'phase':34}{'s':>8}{'us/file':>10}{'share':>8}")
    for name, seconds in phases:
        print(f"{name:34}{seconds:8.2f}{seconds / n * 1e6:10.1f}{seconds / total:8.0%}")
    print(f"{'total (serial)':34}{total:8.2f}{total / n * 1e6:10.1f}   -> {n / total:,.0f} files/s")
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(25)
        print("\ncProfile of the serial phases, by own time:")
        print(stream.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3,000 files (< 30 s smoke test)")
    parser.add_argument("--files", type=int, help="number of files (default 100,000)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time each import phase alone, single-threaded")
    parser.add_argument("--profile", action="store_true",
                        help="with --breakdown: cProfile the phases")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    count = args.files or (3_000 if args.quick else 100_000)

    OUT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="import-", dir=OUT))
    print(f"bench_import{' --quick' if args.quick else ''}: python {sys.version.split()[0]}, "
          f"Pillow {PIL.__version__}, {os.cpu_count()} CPUs, work folder {work}")
    print(f"machine before: {machine_state()}")
    try:
        run(work, count, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        print(f"\nmachine after: {machine_state()}")
        print(f"kept {work}" if args.keep else f"removed {work}")


def run(work: Path, count: int, args: argparse.Namespace) -> None:
    folder = work / "project"
    project = Project.create(folder, schema(), user="lead")
    media = folder / "media"
    t0 = time.perf_counter()
    _paths, mean_size = make_files(media, count)
    made = time.perf_counter() - t0
    files, warm_s, total_bytes = warm_up(media)
    assert len(files) == count
    print(f"\nmade {count:,} files ({len(distinct_images())} distinct images, mean "
          f"{mean_size / 1024:.1f} KiB, {total_bytes / 2**20:.0f} MiB in all) in 200 folders "
          f"in {made:.1f} s")
    print(f"warm-up: listed and read every file once before timing ({warm_s:.1f} s, "
          f"{count / warm_s:,.0f} files/s): the page cache is WARM for every figure below")

    # The peers run before and after ours, so drift (other work on the machine) shows.
    peers = [("peer: PIL.Image.open + .size", peer_pillow),
             ("peer: sha256(read_bytes())", peer_sha256),
             ("context: both, one loop", peer_both)]
    before = {name: fn(files) for name, fn in peers}
    t0 = time.perf_counter()
    report = project.import_media([media])
    ours_s = time.perf_counter() - t0
    assert len(report.added) == count, (len(report.added), count)
    assert project.store.count_items() == count
    project.close()
    after = {name: fn(files) for name, fn in peers}

    ours_rate = count / ours_s
    print(f"\n{count:,} files, warm page cache; peers single-threaded, run before and after "
          f"ours; ours as shipped (Project.import_media)")
    print(f"{'':38}{'seconds':>9}{'files/s':>10}{'us/file':>9}{'ours / this':>13}")
    rows = [(f"{name} (before)", before[name]) for name, _ in peers]
    rows.append(("ours: Project.import_media", ours_s))
    rows += [(f"{name} (after)", after[name]) for name, _ in peers]
    for name, seconds in rows:
        rate = count / seconds
        print(f"{name:38}{seconds:9.2f}{rate:10,.0f}{seconds / count * 1e6:9.1f}"
              f"{ours_rate / rate:12.2f}x")
    for name, _ in peers:
        rate = 2 * count / (before[name] + after[name])
        print(f"ratio ours / {name.split(': ')[1]} (mean of before and after): "
              f"{ours_rate / rate:.2f}x ({ours_rate:,.0f} vs {rate:,.0f} files/s)")
    ok = ours_rate >= TARGET
    print(f"target: >= {TARGET:,.0f} files/s: {ours_rate:,.0f} files/s "
          f"({ours_rate / TARGET:.2f}x the target) -> {'PASS' if ok else 'FAIL'}")

    if args.breakdown:
        second = Project.create(work / "project2", schema(), user="lead")
        try:
            breakdown(second, media, files, args.profile)
        finally:
            second.close()


if __name__ == "__main__":
    main()
