"""Team-mode benchmark: opening a batch of 200 camera images from a cold media cache.

Run::

    python benchmarks/bench_team_media.py              # 200 images of 1920x1080
    python benchmarks/bench_team_media.py --images 50  # quicker

What is measured
    A throwaway PostgreSQL server (initdb + pg_ctl from the installed
    binaries, as tests/core/conftest.py does) listens on TCP loopback,
    127.0.0.1, *without TLS* (``sslmode=disable``: the figures are the
    store's and the wire's, not the cipher's).  ``--images`` realistic
    camera frames (1920x1080 JPEG quality 90: gradients, smooth blotches
    and fine sensor noise, 400-600 kB each) are imported into a team project
    with the Project API, which uploads them into the database in 1 MiB
    chunks.

    fetch, sequential
        A new client (``Project.open`` on the URL) with an empty cache
        folder calls ``project.resolve(item)`` for every item of the batch,
        one after another, as the app does when nothing was prefetched:
        each file is fetched in binary wire format, written to a temporary
        name, its sha256 checked, renamed into the cache.
    fetch, as the app does
        Another empty cache: for each item in turn ``project.resolve(item)``
        then ``project.prefetch(next 5 items)``, as the window does after
        opening an item, so the background thread works ahead (here no
        annotator spends time on an item, so it is the worst case for it).
    floor
        The same files read from local disk and their sha256 computed, with
        the page cache warm (they were just written and read once before):
        the least any client must do to open them.  The ratio printed is
        fetch time / floor time.

    Bytes on the wire are the ``lo`` interface's received-bytes counter of
    /proc/net/dev before and after each phase (every loopback packet is
    counted once as received: both directions, TCP/IP headers included);
    other programs using loopback at the same time add to it, so the
    payload (sum of file sizes) is printed beside it.  Finally the blobs
    are read (not written) once in binary and once in text wire format,
    where PostgreSQL sends each BYTEA as hex.

Everything lives in temporary folders removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.model import Item
from annotator.project import Project
from annotator.schema import load_schema
from annotator.store import SqlStore
from annotator.store.media_cache import TeamMedia
from annotator.store.media_db import read_blob
from tests.pg_server import ThrowawayServer

REPO = Path(__file__).resolve().parent.parent


def make_frames(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """Camera-like JPEGs: gradients, smooth blotches and fine noise, quality 90."""
    rng = np.random.default_rng(seed)
    height, width = 1080, 1920
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    gradient = np.stack([x / width * 200, y / height * 180, (x + y) / (width + height) * 220], -1)
    folder.mkdir(parents=True)
    paths = []
    for index in range(count):
        blotches = cv2.resize(rng.normal(0, 40, (height // 16, width // 16, 3)).astype(np.float32),
                              (width, height), interpolation=cv2.INTER_CUBIC)
        noise = rng.normal(0, rng.uniform(4, 6), (height, width, 3)).astype(np.float32)
        frame = np.clip(gradient + blotches + noise, 0, 255).astype(np.uint8)
        path = folder / f"frame_{index:04d}.jpg"
        cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


def lo_bytes() -> int:
    """Bytes received on the loopback interface so far (both directions of every connection)."""
    for line in Path("/proc/net/dev").read_text().splitlines():
        name, _, fields = line.partition(":")
        if name.strip() == "lo":
            return int(fields.split()[0])
    return 0


def measured(work: Callable[[], object]) -> tuple[float, int]:
    before_bytes, start = lo_bytes(), time.perf_counter()
    work()
    return time.perf_counter() - start, lo_bytes() - before_bytes


def floor(paths: list[Path]) -> float:
    def read_all() -> None:
        for path in paths:
            hashlib.sha256(path.read_bytes()).hexdigest()
    read_all()  # the page cache is warm from here on
    return min(measured(read_all)[0] for _ in range(3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="annotator-bench-media-"))
    server = ThrowawayServer(tcp=True, prefix="annotator-bench-media-pg-")
    try:
        server.start()
        run(server, work, args.images)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def run(server: ThrowawayServer, work: Path, count: int) -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s)")
    started = time.perf_counter()
    paths = make_frames(work / "root" / "frames", count)
    total = sum(p.stat().st_size for p in paths)
    mb = total / 1e6
    print(f"{count} JPEG frames 1920x1080 q90: {mb:.1f} MB, {total / count / 1e3:.0f} kB each "
          f"(made in {time.perf_counter() - started:.1f} s)")
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE media")
    url = server.url("media")
    os.environ["ANNOTATOR_MEDIA_ROOT"] = str(work / "root")
    os.environ["ANNOTATOR_CACHE_DIR"] = str(work / "cache-import")
    schema = load_schema(REPO / "sample_data" / "schema.yaml")
    with Project.create(url, schema, user="lead") as lead:
        seconds, wire = measured(lambda: lead.import_media([work / "root" / "frames"]))
        print(f"import (probe + sha256 + upload, TCP 127.0.0.1, no TLS): {seconds:.2f} s, "
              f"{mb / seconds:.1f} MB/s; loopback bytes {wire / 1e6:.1f} MB")
    # the client machine has no media root with the files: all bytes come from the database
    shutil.move(str(work / "root" / "frames"), work / "local")
    local = sorted((work / "local").iterdir())
    floor_s = floor(local)
    print(f"floor, local disk (page cache warm), read + sha256: {floor_s:.3f} s, "
          f"{mb / floor_s:.0f} MB/s")

    os.environ["ANNOTATOR_CACHE_DIR"] = str(work / "cache-seq")
    with Project.open(url, "lead") as client:
        items = client.store.list_items(limit=count)
        seconds, wire = measured(lambda: [client.resolve(item) for item in items])
        assert all(client.media_ready(item) for item in items)
        print(f"cold cache, resolve one after another: {seconds:.2f} s, {mb / seconds:.1f} MB/s, "
              f"{seconds / count * 1e3:.1f} ms per image; loopback bytes {wire / 1e6:.1f} MB "
              f"for {mb:.1f} MB of files ({wire / total:.3f}x); "
              f"{seconds / floor_s:.1f}x the floor")

    os.environ["ANNOTATOR_CACHE_DIR"] = str(work / "cache-prefetch")
    with Project.open(url, "lead") as client:
        items = client.store.list_items(limit=count)
        media = client.team_media
        assert media is not None

        def open_batch() -> None:
            for index, item in enumerate(items):
                client.resolve(item)
                client.prefetch(items[index + 1:index + 6])

        seconds, wire = measured(open_batch)
        missing = sum(not client.media_ready(item) for item in items)
        print(f"cold cache, as the app opens a batch (resolve, then prefetch the next 5): "
              f"{seconds:.2f} s, {mb / seconds:.1f} MB/s; loopback bytes {wire / 1e6:.1f} MB; "
              f"{media.prefetched} of {count} files came from the prefetcher, "
              f"{media.prefetch_errors} errors, {missing} missing; "
              f"{seconds / floor_s:.1f}x the floor")
        wire_formats(media, items, mb, total)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def wire_formats(media: TeamMedia, items: list[Item], mb: float, total: int) -> None:
    shas = [item.sha256 for item in items]
    for binary in (True, False):
        with media.pool.store() as store:
            def read_all(binary: bool = binary, store: SqlStore = store) -> None:
                for sha in shas:
                    for _ in read_blob(store, sha, binary=binary):
                        pass
            seconds, wire = measured(read_all)
        name = "binary" if binary else "text (hex)"
        print(f"read all blobs, {name} wire format: {seconds:.2f} s, {mb / seconds:.1f} MB/s, "
              f"loopback bytes {wire / 1e6:.1f} MB ({wire / total:.2f}x the payload)")


if __name__ == "__main__":
    main()
