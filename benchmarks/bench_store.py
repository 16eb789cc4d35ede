"""Store benchmark: edits through the command stack, and opening a big project.

Run::

    python benchmarks/bench_store.py            # 100,000 items, 1,000,000 annotations
    python benchmarks/bench_store.py --quick    # scaled down, < 30 s smoke test
    python benchmarks/bench_store.py --profile  # also cProfile 200 'add' and 'move' edits

Target A
    One edit committed through ``project.stack.push(...)`` (an ``AddAnnotations``,
    a ``move_vertices`` change, and a ``move_vertices`` drag step that merges
    into the previous undo entry) by a non-lead annotator on an item of their
    in-progress batch, median over ~300 edits of each kind, is at most 3x the
    median of a bare ``sqlite3`` INSERT + COMMIT of one row measured in the same
    run.  The floor database lies in the same folder (same filesystem) as the
    project, uses the same pragmas as :class:`SqliteBackend` (journal_mode=WAL,
    synchronous=FULL, BEGIN IMMEDIATE) and a table as wide as ``annotations``
    (same columns, same item_id index).  A default-settings database (rollback
    journal, synchronous=FULL) is printed for context.  The five kinds of
    measurement are interleaved in rounds of 10 so disk conditions are shared,
    after a warm-up that grows every WAL to its steady size (see ``run``).
    On a VM whose disk acknowledges flushes in ~0.05 ms the ratio is mostly
    our CPU per edit; where a flush takes milliseconds it is mostly the disk.

Target B
    ``Project.open(folder, user)`` + ``store.list_items(limit=100)`` on the big
    project is at most 2x the same on an empty project, median over ~20 opens,
    each in a fresh Python process (the time is taken inside the child, after
    its imports).  The OS page cache is WARM for the target rows (the files were
    just written and opened).  Rows marked "cold file" drop the database file
    from the page cache first (fsync + posix_fadvise DONTNEED, no root needed)
    and are context only.  Rows "same process" reopen in this process: a fresh
    connection each time, warm OS cache.

The big project is built with ``Project.create`` and then bulk-inserted with
the ``sqlite3`` module in one transaction, in the column formats SqlStore
writes (compact JSON text, ISO timestamps, revision 1).  Everything lives in a
temporary folder under ``benchmarks/out/`` (git-ignored) that is removed at the
end unless ``--keep``.  The exit code is always 0: this reports, it does not gate.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from machine import machine_state  # benchmarks/machine.py

from annotator.commands import AddAnnotations, move_vertices
from annotator.model import Annotation, AttributeSpec, Box, LabelClass, LabelSchema
from annotator.project import Project
from annotator.store import DB_FILE

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
USER = "bench"          # the non-lead annotator who edits
LEAD = "lead"
TARGET_EDIT = 3.0
TARGET_OPEN = 2.0

ANNOTATION_COLUMNS = ("item_id, label, kind, geometry, attributes, links, z, author, "
                      "created_at, updated_at, revision, hidden, locked")


def schema() -> LabelSchema:
    # The same classes as tests/conftest.py.
    return LabelSchema(
        "bench",
        (
            LabelClass("car", "#e69f00", ("box", "polygon", "rotated_box", "cuboid"),
                       (AttributeSpec("occluded", "bool", default=False),)),
            LabelClass("truck", "#56b4e9", ("box", "polygon")),
            LabelClass("lane_line", "#d55e00", ("polyline", "polyline3d")),
            LabelClass("sign", "#f0e442", ("point",)),
        ),
    )


def dumps(value: object) -> str:
    # Exactly the encoding of annotator.store.sql._dumps.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def iso(moment: datetime) -> str:
    # Exactly the format of annotator.store.now().
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")




# -- building the big project ------------------------------------------------------------


def _annotation_rows(n_items: int, per_item: int, rng: random.Random, stamps: list[str]
                     ) -> Iterator[tuple[object, ...]]:
    """``per_item`` shapes on every item: 60% boxes, 25% polygons, 10% lines, 5% points."""
    annotators = [f"ann{k:02d}" for k in range(1, 21)]
    for item_id in range(1, n_items + 1):
        stamp = stamps[item_id - 1]
        author = annotators[item_id % len(annotators)]
        for z in range(per_item):
            roll = rng.random()
            x, y = round(rng.uniform(0, 1800), 1), round(rng.uniform(0, 1000), 1)
            if roll < 0.60:
                label = "car" if roll < 0.45 else "truck"
                w, h = round(rng.uniform(8, 300), 1), round(rng.uniform(8, 200), 1)
                geometry = {"kind": "box", "coords": [x, y, x + w, y + h]}
                attrs = {"occluded": rng.random() < 0.2} if label == "car" else {}
                kind = "box"
            elif roll < 0.85:
                label, kind = "car", "polygon"
                n = rng.randint(6, 12)
                coords: list[float] = []
                for _ in range(n):
                    coords += [round(x + rng.uniform(0, 120), 1), round(y + rng.uniform(0, 80), 1)]
                geometry = {"kind": "polygon", "coords": coords}
                attrs = {"occluded": False}
            elif roll < 0.95:
                label, kind = "lane_line", "polyline"
                coords = []
                for k in range(rng.randint(2, 8)):
                    coords += [round(x + 40.0 * k, 1), round(y + rng.uniform(-5, 5), 1)]
                geometry = {"kind": "polyline", "coords": coords}
                attrs = {}
            else:
                label, kind = "sign", "point"
                geometry = {"kind": "point", "coords": [x, y]}
                attrs = {}
            yield (item_id, label, kind, dumps(geometry), dumps(attrs), "{}", z, author,
                   stamp, stamp, 1, 0, 0)


def build_big_project(folder: Path, n_items: int, per_item: int, batch_size: int
                      ) -> tuple[list[int], dict[str, float]]:
    """Create the project, bulk-load it; returns the in-progress batch's item ids."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    Project.create(folder, schema(), user=LEAD).close()
    timings["create"] = time.perf_counter() - t0

    rng = random.Random(1234)
    base = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    stamps = [iso(base + timedelta(seconds=7 * i)) for i in range(n_items)]
    n_batches = n_items // batch_size
    active = n_batches // 2 + 1                       # the in-progress batch (1-based id)
    annotators = [f"ann{k:02d}" for k in range(1, 21)]
    states = ["accepted", "submitted", "open", "rejected", "in_progress"]

    t0 = time.perf_counter()
    db = sqlite3.connect(folder / DB_FILE, isolation_level=None)
    # Build only: no WAL and no fsync while bulk loading; WAL is switched back on below.
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA cache_size = -262144")       # 256 MiB for the build only
    db.execute("BEGIN IMMEDIATE")
    created = stamps[0]
    db.executemany("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)",
                   [(USER, "annotator", created), ("rev", "reviewer", created),
                    *((a, "annotator", created) for a in annotators)])
    db.executemany(
        "INSERT INTO items (path, kind, format, encoding, sha256, size_bytes, width, height, "
        "points, fields, crs, origin_x, origin_y, origin_z, added_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((f"media/cam{i % 8}/{i // 1000:03d}/frame_{i:06d}.jpg", "image", "jpeg", "RGB",
          hashlib.sha256(i.to_bytes(8, "little")).hexdigest(), 180_000 + (i * 7919) % 90_000,
          1920, 1080, None, "[]", None, None, None, None, stamps[i - 1])
         for i in range(1, n_items + 1)),
    )
    batch_rows: list[tuple[object, ...]] = []
    history_rows: list[tuple[object, ...]] = []
    for b in range(1, n_batches + 1):
        assignee: str | None
        if b == active:
            state, assignee = "in_progress", USER
        else:
            state = states[b % len(states)] if b < active else "open"
            assignee = annotators[b % len(annotators)] if state != "open" else None
        at = stamps[(b - 1) * batch_size]
        batch_rows.append((b, f"batch-{b:04d}", state, assignee,
                           "rev" if state in ("submitted", "accepted", "rejected") else None,
                           at, at))
        history_rows.append((b, at, LEAD, "create", None, "open", ""))
        if assignee:
            history_rows.append((b, at, LEAD, "assign", "open", "open", f"assignee={assignee}"))
            history_rows.append((b, at, assignee, "start", "open", "in_progress", ""))
    db.executemany("INSERT INTO batches (id, name, state, assignee, reviewer, created_at, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", batch_rows)
    db.executemany("INSERT INTO batch_history (batch_id, at, user_name, action, from_state, "
                   "to_state, comment) VALUES (?, ?, ?, ?, ?, ?, ?)", history_rows)
    db.executemany("INSERT INTO batch_items (batch_id, item_id) VALUES (?, ?)",
                   ((i // batch_size + 1, i + 1) for i in range(n_batches * batch_size)))
    timings["items+batches"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    db.executemany(f"INSERT INTO annotations ({ANNOTATION_COLUMNS}) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   _annotation_rows(n_items, per_item, rng, stamps))
    db.execute("COMMIT")
    timings["annotations"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    assert mode == "wal", mode
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    assert not problems, problems[:5]
    db.close()
    fd = os.open(folder / DB_FILE, os.O_RDONLY)
    os.fsync(fd)                                     # written out: the edits start clean
    os.close(fd)
    timings["wal+check+fsync"] = time.perf_counter() - t1
    ids = list(range((active - 1) * batch_size + 1, active * batch_size + 1))
    return ids, timings


# -- floors ---------------------------------------------------------------------------


def _floor_table(connection: sqlite3.Connection) -> None:
    # As wide as 'annotations' (same columns and types), with the same item_id index.
    connection.execute(
        "CREATE TABLE IF NOT EXISTS annotations (id INTEGER PRIMARY KEY, item_id INTEGER NOT "
        "NULL, label TEXT NOT NULL, kind TEXT NOT NULL, geometry TEXT NOT NULL, attributes TEXT "
        "NOT NULL DEFAULT '{}', links TEXT NOT NULL DEFAULT '{}', z INTEGER NOT NULL DEFAULT 0, "
        "author TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, revision "
        "INTEGER NOT NULL DEFAULT 1, hidden INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL "
        "DEFAULT 0)")
    connection.execute("CREATE INDEX IF NOT EXISTS annotations_item ON annotations (item_id)")


def _floor_row(index: int) -> tuple[object, ...]:
    stamp = iso(datetime.now(UTC))
    x = float(index % 1000)
    return (1 + index % 100, "car", "box", dumps({"kind": "box", "coords": [x, 5.0, x + 40, 45.0]}),
            '{"occluded":false}', "{}", 0, USER, stamp, stamp, 1, 0, 0)


class Floor:
    """A bare sqlite3 database doing one INSERT + COMMIT per call."""

    def __init__(self, path: Path, wal: bool) -> None:
        self.wal = wal
        self.count = 0
        if wal:
            # As SqliteBackend.connect: autocommit connection, WAL, synchronous=FULL,
            # and a write transaction opened with BEGIN IMMEDIATE.
            self.connection = sqlite3.connect(path, isolation_level=None)
            self.connection.execute("PRAGMA journal_mode = WAL")
            self.connection.execute("PRAGMA synchronous = FULL")
        else:
            self.connection = sqlite3.connect(path)          # every setting left at default
        _floor_table(self.connection)
        if not wal:
            self.connection.commit()
        self.journal = self.connection.execute("PRAGMA journal_mode").fetchone()[0]
        self.synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
            self.connection.execute("PRAGMA synchronous").fetchone()[0]]

    def edit(self) -> None:
        self.count += 1
        row = _floor_row(self.count)
        if self.wal:
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.execute(
                f"INSERT INTO annotations ({ANNOTATION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            self.connection.execute("COMMIT")
        else:
            self.connection.execute(
                f"INSERT INTO annotations ({ANNOTATION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            self.connection.commit()

    def close(self) -> None:
        self.connection.close()


# -- our edits ------------------------------------------------------------------------------


class Edits:
    """Edits by the annotator on items of their in-progress batch."""

    def __init__(self, project: Project, item_ids: list[int]) -> None:
        self.project = project
        self.items = item_ids
        self.n_add = self.n_move = self.n_drag = 0
        self.drag_group = 0
        # What a UI would hold in memory: the shapes of the batch, by item.
        shapes = {i: project.store.annotations_for_item(i) for i in item_ids}
        movable = [a for i in item_ids for a in shapes[i] if a.kind in ("box", "polygon")]
        if len(movable) < 4:           # tiny projects: give the moves something to move
            for i in item_ids[:4]:
                added = AddAnnotations([self._box(i, 0)])
                project.stack.push(added)
                movable.extend(added.annotations)
        half = len(movable) // 2
        self.move_pool = movable[:half]
        self.drag_pool = movable[half:]

    @staticmethod
    def _box(item_id: int, k: int) -> Annotation:
        x = float(10 + (k * 13) % 1500)
        return Annotation(None, item_id, "car", Box.from_corners(x, 20.0, x + 60.0, 70.0),
                          {"occluded": False}, author=USER)

    def add(self) -> None:
        k = self.n_add
        self.n_add += 1
        self.project.stack.push(AddAnnotations([self._box(self.items[k % len(self.items)], k)]))

    def move(self) -> None:
        k = self.n_move
        self.n_move += 1
        slot = k % len(self.move_pool)
        shape = self.move_pool[slot]
        command = move_vertices(shape, [0], [0.5, -0.25])
        self.project.stack.push(command)
        self.move_pool[slot] = command.after[0]

    def new_drag(self) -> None:
        self.drag_group += 1

    def drag(self) -> None:
        # One drag gesture: its steps move one shape with one merge key, so every step
        # after the first replaces the top undo entry (last_edit + parse + merge).
        self.n_drag += 1
        slot = self.drag_group % len(self.drag_pool)
        shape = self.drag_pool[slot]
        command = move_vertices(shape, [1], [0.25, 0.25], merge_key=f"drag-{self.drag_group}")
        self.project.stack.push(command)
        self.drag_pool[slot] = command.after[0]


# -- measuring ----------------------------------------------------------------------------


def timed(fn: Callable[[], None], cpu: list[float] | None = None) -> float:
    """Wall milliseconds of one call; its CPU milliseconds (this thread) go to ``cpu``."""
    c0 = time.thread_time_ns()
    t0 = time.perf_counter_ns()
    fn()
    elapsed = (time.perf_counter_ns() - t0) / 1e6
    if cpu is not None:
        cpu.append((time.thread_time_ns() - c0) / 1e6)
    return elapsed


def summary(samples: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return statistics.median(ordered), p90, statistics.fmean(ordered), ordered[-1]


CHILD = r"""
import json, os, sys, time
from annotator.project import Project
folder, user, cold = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if cold:
    for name in ("project.db", "project.db-wal", "project.db-shm"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            fd = os.open(path, os.O_RDONLY)
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
t0 = time.perf_counter()
project = Project.open(folder, user)
t1 = time.perf_counter()
items = project.store.list_items(limit=100)
t2 = time.perf_counter()
project.close()
print(json.dumps({"open_ms": (t1 - t0) * 1e3, "list_ms": (t2 - t1) * 1e3, "items": len(items)}))
"""


def open_in_child(folder: Path, user: str, cold: bool) -> tuple[float, float]:
    """(Project.open ms, list_items ms), timed inside a fresh Python process."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), user, "1" if cold else "0"],
                          check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["open_ms"]), float(result["list_ms"])


def open_here(folder: Path, user: str) -> tuple[float, float]:
    """(Project.open ms, list_items ms) on a fresh connection in this process."""
    t0 = time.perf_counter_ns()
    project = Project.open(folder, user)
    t1 = time.perf_counter_ns()
    project.store.list_items(limit=100)
    t2 = time.perf_counter_ns()
    project.close()
    return (t1 - t0) / 1e6, (t2 - t1) / 1e6


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="scaled down smoke test (< 30 s)")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile 200 extra 'add' and 'move' edits, print the top")
    args = parser.parse_args()

    if args.quick:
        n_items, per_item, batch_size, rounds, per_round, opens = 2_000, 10, 100, 6, 5, 5
    else:
        n_items, per_item, batch_size, rounds, per_round, opens = 100_000, 10, 100, 30, 10, 20

    OUT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="store-", dir=OUT))
    print(f"bench_store{' --quick' if args.quick else ''}: python {sys.version.split()[0]}, "
          f"sqlite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, work folder {work}")
    print(f"machine before: {machine_state()}")
    try:
        run(work, args, n_items, per_item, batch_size, rounds, per_round, opens)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        print(f"\nmachine after: {machine_state()}")
        print(f"kept {work}" if args.keep else f"removed {work}")


def run(work: Path, args: argparse.Namespace, n_items: int, per_item: int, batch_size: int,
        rounds: int, per_round: int, opens: int) -> None:
    big, empty = work / "big", work / "empty"

    # -- build ----------------------------------------------------------------------
    t0 = time.perf_counter()
    item_ids, timings = build_big_project(big, n_items, per_item, batch_size)
    build_s = time.perf_counter() - t0
    size_mb = (big / DB_FILE).stat().st_size / 1e6
    print(f"\nbuilt {n_items:,} items, {n_items * per_item:,} annotations, "
          f"{n_items // batch_size:,} batches of {batch_size} in {build_s:.1f} s "
          f"({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}); "
          f"project.db {size_mb:.0f} MB")

    Project.create(empty, schema(), user=LEAD).close()
    Project.open(empty, USER).close()          # register the annotator, as in the big one

    # -- A: edits ---------------------------------------------------------------------
    project = Project.open(big, USER)
    conn = project.store._connection
    ours_journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    ours_sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
        conn.execute("PRAGMA synchronous").fetchone()[0]]
    counts = conn.execute("SELECT (SELECT COUNT(*) FROM items), "
                          "(SELECT COUNT(*) FROM annotations)").fetchone()
    batch = project.store.batch_for_item(item_ids[0])
    assert batch is not None and batch.assignee == USER and batch.state.value == "in_progress"
    assert project.user.role.value == "annotator"
    print(f"editing as {USER!r} ({project.user.role.value}) on batch {batch.name!r} "
          f"({batch.state.value}, {batch.items} items); store holds {counts[0]:,} items, "
          f"{counts[1]:,} annotations")

    floor_wal = Floor(work / "floor_wal.db", wal=True)
    floor_default = Floor(work / "floor_default.db", wal=False)
    edits = Edits(project, item_ids)
    kinds: dict[str, Callable[[], None]] = {
        "floor: bare sqlite3, WAL": floor_wal.edit,
        "floor: bare sqlite3, default": floor_default.edit,
        "ours: push(AddAnnotations)": edits.add,
        "ours: push(move_vertices)": edits.move,
        "ours: push(move_vertices) drag": edits.drag,
    }
    # Warm-up, not measured: every WAL is grown to its steady size first.  A fresh WAL
    # grows for its first ~1000 pages (wal_autocheckpoint), and on ext4 a commit that
    # grows a file needs a journal commit on top of the data flush; after the first
    # checkpoint the WAL is rewritten from its start in place.  Ours writes ~5 pages per
    # edit and the floor ~2, so without this the floor would be measured growing while
    # ours mostly is not (or the other way round) and the ratio would show that instead.
    ours_wal, floor_wal_path = big / f"{DB_FILE}-wal", work / "floor_wal.db-wal"
    steady = 1000 * (4096 + 24)               # wal_autocheckpoint pages x frame size
    for fn in (floor_wal.edit, floor_default.edit):
        for _ in range(3):
            fn()
    warm_edits = 0
    while floor_wal_path.stat().st_size < steady and warm_edits < 5000:
        floor_wal.edit()
        warm_edits += 1
    for _ in range(50):                        # past the first checkpoint: rewrites in place
        floor_wal.edit()
    warm_ours = 0
    while ours_wal.stat().st_size < steady and warm_ours < 5000:
        edits.new_drag()
        for fn in (edits.add, edits.move, edits.drag):
            fn()
        warm_ours += 3
    for _ in range(10):
        edits.new_drag()
        for fn in (edits.add, edits.move, edits.drag):
            fn()
    print(f"warm-up: {warm_edits + 53} floor inserts and {warm_ours + 30} of our edits, until "
          f"each WAL reached its steady size (floor {floor_wal_path.stat().st_size / 1e6:.1f} "
          f"MB, ours {ours_wal.stat().st_size / 1e6:.1f} MB; wal_autocheckpoint 1000 pages)")
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(rounds):                    # interleaved: all kinds see the same disk
        edits.new_drag()
        for name, fn in kinds.items():
            for _ in range(per_round):
                samples[name].append(timed(fn, cpu[name]))

    print(f"\nA. one edit committed (ms), {rounds * per_round} each, interleaved in {rounds} "
          f"rounds; ours journal_mode={ours_journal} synchronous={ours_sync}; floor WAL "
          f"journal_mode={floor_wal.journal} synchronous={floor_wal.synchronous}; default "
          f"journal_mode={floor_default.journal} synchronous={floor_default.synchronous}; "
          f"all in {work}")
    floor = statistics.median(samples["floor: bare sqlite3, WAL"])
    floor_def = statistics.median(samples["floor: bare sqlite3, default"])
    print(f"{'':34}{'median':>9}{'p90':>9}{'mean':>9}{'max':>9}{'vs WAL floor':>14}"
          f"{'vs default':>12}{'CPU median':>12}")
    worst = 0.0
    for name, values in samples.items():
        med, p90, mean, top = summary(values)
        ratio = med / floor
        if name.startswith("ours"):
            worst = max(worst, ratio)
        print(f"{name:34}{med:9.3f}{p90:9.3f}{mean:9.3f}{top:9.2f}{ratio:13.2f}x"
              f"{med / floor_def:11.2f}x{statistics.median(cpu[name]):12.3f}")
    print("(CPU median: this thread's CPU time per edit, i.e. the wall time minus waiting "
          "for the disk)")
    print(f"target A: every 'ours' median <= {TARGET_EDIT:.0f}x the WAL floor median: worst "
          f"{worst:.2f}x -> {verdict(worst <= TARGET_EDIT)}")

    if args.profile:
        for label, fn in (("push(AddAnnotations)", edits.add),
                          ("push(move_vertices)", edits.move)):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(200):
                fn()
            profiler.disable()
            for order, top in (("tottime", 25), ("cumulative", 30)):
                stream = io.StringIO()
                pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(top)
                print(f"\ncProfile, 200 x {label}, by {order}:")
                print(stream.getvalue())

    project.close()
    floor_wal.close()
    floor_default.close()

    # -- B: opening ---------------------------------------------------------------------
    open_here(big, USER)                       # warm-up: both files in the OS page cache
    open_here(empty, USER)
    rows: dict[str, list[tuple[float, float]]] = {
        "empty, fresh process": [], "big, fresh process": [],
        "empty, same process": [], "big, same process": [],
        "empty, fresh process, cold file": [], "big, fresh process, cold file": [],
    }
    for _ in range(opens):                     # alternate, so drift hits both alike
        rows["empty, fresh process"].append(open_in_child(empty, USER, cold=False))
        rows["big, fresh process"].append(open_in_child(big, USER, cold=False))
        rows["empty, same process"].append(open_here(empty, USER))
        rows["big, same process"].append(open_here(big, USER))
    for _ in range(max(3, opens // 4)):
        rows["empty, fresh process, cold file"].append(open_in_child(empty, USER, cold=True))
        rows["big, fresh process, cold file"].append(open_in_child(big, USER, cold=True))

    print(f"\nB. Project.open + list_items(limit=100) (ms); OS page cache warm unless 'cold "
          f"file'; big = {size_mb:.0f} MB, empty = "
          f"{(empty / DB_FILE).stat().st_size / 1e3:.0f} kB")
    print(f"{'open + list':34}{'n':>4}{'median':>9}{'p90':>9}{'mean':>9}{'max':>9}"
          f"{'big/empty':>11}{'open med':>10}{'list med':>10}")
    ratios = {}
    for name, pairs in rows.items():
        values = [a + b for a, b in pairs]
        med, p90, mean, top = summary(values)
        shown = ""
        if name.startswith("big"):
            peer = statistics.median(a + b for a, b in rows[name.replace("big", "empty", 1)])
            ratios[name] = med / peer
            shown = f"{med / peer:10.2f}x"
        print(f"{name:34}{len(values):4d}{med:9.2f}{p90:9.2f}{mean:9.2f}{top:9.2f}{shown:>11}"
              f"{statistics.median(a for a, _ in pairs):10.2f}"
              f"{statistics.median(b for _, b in pairs):10.2f}")
    print("(open med / list med: medians of Project.open and of list_items(limit=100) alone; "
          "the empty project lists 0 items, the big one 100)")
    ratio = ratios["big, fresh process"]
    print(f"target B: big <= {TARGET_OPEN:.0f}x empty (fresh process, warm page cache): "
          f"{ratio:.2f}x -> {verdict(ratio <= TARGET_OPEN)}")


if __name__ == "__main__":
    main()
