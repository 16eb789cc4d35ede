"""Team-mode benchmark: commit latency of edits with 1 and with 50 clients on one server.

Run::

    python benchmarks/bench_team_latency.py            # 1 client, then 50 client processes
    python benchmarks/bench_team_latency.py --quick    # 10 client processes, fewer edits
    python benchmarks/bench_team_latency.py --clients 30 --edits 400 --think-ms 300

What is measured
    A throwaway PostgreSQL server is started from the installed binaries
    (``initdb`` + ``pg_ctl``, as the ``postgres`` user when run as root, as
    tests/core/conftest.py does) in a temporary folder, on a unix socket
    there, with the server's defaults for durability (``fsync`` and
    ``synchronous_commit`` on: a commit is on disk when it returns).  A
    project is created on it with the Project API and the sample schema
    (``sample_data/schema.yaml``); items are registered directly with
    ``store.add_items`` (no media files: only their rows matter here).  Each
    client gets its own annotator name and its own in-progress batch of
    items, assigned by the lead and started by the annotator, as in real
    work.

    Each client is a separate process (``multiprocessing``, forkserver) with
    its own connection, opened with ``Project.open(url, user)``.  It
    alternates ``AddAnnotations`` (a new box) and ``ChangeAnnotations``
    (``move_vertices`` of one of its boxes) through ``project.stack.push``:
    the real command stack with its permission guard, schema check, edit
    log and SERIALIZABLE transaction with retries.  The wall time of each
    ``push`` is one sample.  Every client first does a warm-up (not
    measured: connection caches and server-side prepared statements), then
    all start together at a barrier.

    Two workloads, each run with 1 client and then with N clients:

    paced
        Each client waits a random think time (uniform 0.5-1.5 x
        ``--think-ms``) before each edit, as a person does between strokes;
        the target applies here.  Real annotators commit far less often
        (a few edits a minute), so this is already a compressed day.
    back-to-back
        No think time: every client commits as fast as it can.  This is a
        saturation test, printed for context.  With more client processes
        than CPUs, latency here is CPU queueing: N clients on C cores wait
        about N/C times longer for a CPU whatever the store does.

    Target: with N clients (paced), the median and the p99 per-commit
    latency are each at most 3x those of a single client (paced, same
    server, same run).  After each run the annotations of every client are
    counted on the server: nothing may be lost.  The server's rollback
    count (a serialization failure that was retried, or a refused edit)
    and the CPU busy share of the whole machine during each run are
    printed, since on a small machine the clients, the server and other
    work share the same cores.

    For sizing (docs/scaling.md) it also prints, per run, the server's CPU
    time per edit (postmaster and backends, from /proc), the WAL written
    per edit (``pg_current_wal_lsn``), the median private memory of a
    server process, and at the end the bytes per row of ``annotations``
    and ``edit_log`` with their indexes.

Everything (server data folder, socket, log) lives in a temporary folder
that is removed at the end, with the server stopped, also on Ctrl-C.
The exit code is 0 whether or not the target is met: this reports.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from machine import machine_state  # benchmarks/machine.py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from tests.pg_server import ThrowawayServer  # noqa: E402  (the tests' server finder)

SCHEMA = ROOT / "sample_data" / "schema.yaml"
LEAD = "lead"
TARGET = 3.0


# -- the throwaway server ----------------------------------------------------------------


class Server(ThrowawayServer):
    """The throwaway server, with what this benchmark reads about its processes."""

    def version(self) -> str:
        done = subprocess.run([str(self.bindir / "postgres"), "--version"], check=True,
                              capture_output=True, text=True)
        return done.stdout.strip()

    def cpu_seconds(self) -> float:
        """CPU time of the server: postmaster, live backends and the exited ones it reaped."""
        tick = os.sysconf("SC_CLK_TCK")
        try:
            master = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            fields = text.rsplit(")", 1)[1].split()
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == master or ppid == master:
                # utime, stime, cutime, cstime (fields 14-17 of proc(5))
                total += sum(int(v) for v in fields[11:15])
        return total / tick

    def backend_memory_kb(self) -> float:
        """Median private memory (RssAnon) of the server's child processes, in kB."""
        try:
            master = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        sizes = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                              if ":" in line)
            except OSError:
                continue
            if int(fields.get("PPid", "0").strip() or 0) == master and "RssAnon" in fields:
                sizes.append(float(fields["RssAnon"].split()[0]))
        return statistics.median(sizes) if sizes else 0.0


# -- setting up the project ----------------------------------------------------------------


def user_name(client: int) -> str:
    return f"ann{client:03d}"


def batch_name(client: int) -> str:
    return f"bench-{client:03d}"


def setup_project(url: str, clients: int, items_per_client: int) -> dict[int, list[int]]:
    """Create the project; one in-progress batch of fresh items per client. Returns item ids."""
    from annotator.model import Item
    from annotator.project import Project
    from annotator.schema import load_schema

    lead = Project.create(url, load_schema(SCHEMA), user=LEAD)
    try:
        items = []
        for client in range(clients):
            for k in range(items_per_client):
                n = client * items_per_client + k
                items.append(Item(None, f"media/cam{client % 8}/frame_{n:06d}.jpg", "image",
                                  "jpeg", hashlib.sha256(n.to_bytes(8, "little")).hexdigest(),
                                  180_000 + (n * 7919) % 90_000, 1920, 1080, encoding="RGB"))
        ids = lead.store.add_items(items)
        owned: dict[int, list[int]] = {}
        for client in range(clients):
            mine = ids[client * items_per_client:(client + 1) * items_per_client]
            owned[client] = mine
            lead.create_batch(batch_name(client), mine)
            lead.batch_action(batch_name(client), "assign", assignee=user_name(client))
    finally:
        lead.close()
    for client in range(clients):
        with Project.open(url, user_name(client)) as person:
            person.batch_action(batch_name(client), "start")
    return owned


# -- one client ----------------------------------------------------------------------------------


@dataclass
class Job:
    url: str
    client: int
    items: list[int]
    warmup: int
    edits: int
    think_s: float
    seed: int


def client_main(job: Job, barrier: Barrier, results: Any) -> None:
    """One annotator's process: warm up, wait for everyone, then time each push."""
    from annotator.commands import AddAnnotations, move_vertices
    from annotator.model import Annotation
    from annotator.project import Project
    from annotator.shapes import Box

    rng = random.Random(job.seed)
    user = user_name(job.client)
    project = Project.open(job.url, user)
    shapes: list[Annotation] = []
    adds = 0

    def box(k: int) -> Annotation:
        item = job.items[k % len(job.items)]
        x = float(10 + (k * 37) % 1700)
        y = float(10 + (k * 53) % 900)
        return Annotation(None, item, "car", Box.from_corners(x, y, x + 60.0, y + 40.0),
                          {"occluded": False}, author=user)

    def edit(k: int) -> None:
        nonlocal adds
        if k % 2 == 0 or not shapes:
            added = AddAnnotations([box(k)])
            project.stack.push(added)
            shapes.append(added.annotations[0])
            adds += 1
        else:
            slot = rng.randrange(len(shapes))
            command = move_vertices(shapes[slot], [0], [0.5, -0.25])
            project.stack.push(command)
            shapes[slot] = command.after[0]

    samples: list[float] = []
    error = ""
    try:
        for k in range(job.warmup):
            edit(k)
        barrier.wait(timeout=600)
        start = time.perf_counter()
        for k in range(job.warmup, job.warmup + job.edits):
            if job.think_s > 0:
                time.sleep(job.think_s * rng.uniform(0.5, 1.5))
            t0 = time.perf_counter_ns()
            edit(k)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
        elapsed = time.perf_counter() - start
    except Exception as exc:  # reported by the parent, one line per client
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        elapsed = 0.0
        barrier.abort()
    finally:
        project.close()
    results.put((job.client, samples, adds, elapsed, error))


# -- a run ----------------------------------------------------------------------------------


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)       # idle + iowait
    return sum(fields) - idle, sum(fields)


def server_counters(url: str) -> tuple[int, int, int]:
    """(commits, rollbacks, WAL bytes written since initdb) of the server."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit, xact_rollback, "
                           "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') FROM pg_stat_database "
                           "WHERE datname = current_database()").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def table_sizes(url: str) -> str:
    """Bytes per row (heap, TOAST and indexes) of the tables an edit grows."""
    import psycopg

    parts = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE annotations, edit_log")
        for table in ("annotations", "edit_log"):
            row = conn.execute(f"SELECT COUNT(*), pg_total_relation_size('{table}') "
                               f"FROM {table}").fetchone()
            assert row is not None
            rows, size = int(row[0]), int(row[1])
            parts.append(f"{table} {rows:,} rows, {size / 1e6:.1f} MB, "
                         f"{size / max(1, rows):.0f} B/row")
    return "table sizes after all runs (with indexes): " + "; ".join(parts)


def count_annotations(url: str, items: list[int]) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT COUNT(*) FROM annotations WHERE item_id = ANY(%s)",
                           (items,)).fetchone()
    assert row is not None
    return int(row[0])


@dataclass
class Run:
    name: str
    clients: int
    samples: list[float]
    wall_s: float
    cpu_busy: float
    load_after: float
    rollbacks: int
    commits: int
    wal_bytes: int
    server_cpu_s: float
    backend_kb: float
    lost: int
    errors: list[str]


def run_clients(ctx: Any, server: Server, name: str, clients: list[int],
                owned: dict[int, list[int]], warmup: int, edits: int, think_s: float,
                seed: int) -> Run:
    url = server.url()
    before = {c: count_annotations(url, owned[c]) for c in clients}
    barrier = ctx.Barrier(len(clients) + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=client_main,
                         args=(Job(url, c, owned[c], warmup, edits, think_s, seed * 1000 + c),
                               barrier, results))
             for c in clients]
    for proc in procs:
        proc.start()
    try:
        barrier.wait(timeout=900)          # every client connected and warmed up
    except Exception:  # a client failed during its warm-up; its error comes below
        pass
    commits0, rollbacks0, wal0 = server_counters(url)
    busy0, total0 = cpu_ticks()
    server0 = server.cpu_seconds()
    backend_kb = server.backend_memory_kb()
    t0 = time.perf_counter()
    collected = [results.get(timeout=3600) for _ in procs]
    wall = time.perf_counter() - t0
    busy1, total1 = cpu_ticks()
    server1 = server.cpu_seconds()
    commits1, rollbacks1, wal1 = server_counters(url)
    for proc in procs:
        proc.join(timeout=60)
    samples: list[float] = []
    errors: list[str] = []
    lost = 0
    for client, values, adds, _elapsed, error in sorted(collected):
        samples.extend(values)
        if error:
            errors.append(f"client {client}: {error}")
        # adds counts the warm-up's too: every box pushed must be on the server
        lost += max(0, before[client] + adds - count_annotations(url, owned[client]))
    return Run(name, len(clients), samples, wall,
               (busy1 - busy0) / max(1, total1 - total0), os.getloadavg()[0],
               rollbacks1 - rollbacks0, commits1 - commits0, wal1 - wal0, server1 - server0,
               backend_kb, lost, errors)


def pct(values: list[float], q: float) -> float:
    """The q-quantile by the nearest-rank method (p99 of 300 samples is the 297th)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def show(run: Run) -> None:
    values = run.samples
    if not values:
        print(f"{run.name:30}  no samples")
    else:
        rate = len(values) / run.wall_s if run.wall_s else 0.0
        print(f"{run.name:30}{run.clients:8d}{len(values):8d}{statistics.median(values):9.2f}"
              f"{pct(values, 0.90):9.2f}{pct(values, 0.99):9.2f}{max(values):9.1f}{rate:9.0f}"
              f"{100 * run.cpu_busy:7.0f}%{run.load_after:7.1f}{run.rollbacks:7d}{run.lost:6d}")
    for line in run.errors[:5]:
        print(f"    ERROR {line}")
    if len(run.errors) > 5:
        print(f"    ... and {len(run.errors) - 5} more client errors")


def compare(single: Run, many: Run, target: float | None) -> None:
    if not single.samples or not many.samples:
        print(f"  {many.name}: no ratio (a run had no samples)")
        return
    med = statistics.median(many.samples) / statistics.median(single.samples)
    p99 = pct(many.samples, 0.99) / pct(single.samples, 0.99)
    line = (f"  {many.clients} clients vs 1 ({many.name.split(',')[0]}): median {med:.2f}x, "
            f"p99 {p99:.2f}x")
    if target is not None:
        ok = med <= target and p99 <= target and many.lost == 0 and not many.errors
        line += (f"  -> target (each <= {target:.0f}x, nothing lost): "
                 f"{'PASS' if ok else 'FAIL'}")
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="10 clients, 60 edits each (about a minute)")
    parser.add_argument("--clients", type=int, help="concurrent client processes (default 50)")
    parser.add_argument("--edits", type=int, help="measured edits per client (default 300)")
    parser.add_argument("--think-ms", type=float, default=250.0,
                        help="mean think time between edits in the paced runs (default 250)")
    parser.add_argument("--no-saturation", action="store_true",
                        help="skip the back-to-back (no think time) runs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    clients = args.clients or (10 if args.quick else 50)
    edits = args.edits or (60 if args.quick else 300)
    warmup, items_per_client = 10, 20

    print(f"bench_team_latency{' --quick' if args.quick else ''}: python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPUs; {clients} client processes x "
          f"{edits} measured edits (after {warmup} warm-up edits each), think time "
          f"{args.think_ms:.0f} ms mean in the paced runs")
    print(f"machine before: {machine_state()}")
    if clients > (os.cpu_count() or 1):
        print(f"note: {clients} client processes + their server backends on "
              f"{os.cpu_count()} CPUs: the many-client runs share the CPUs, and the "
              "back-to-back one is CPU-bound by construction")
    server = Server(max_connections=clients + 20)
    try:
        t0 = time.perf_counter()
        server.start()
        url = server.url()
        owned = setup_project(url, clients, items_per_client)
        print(f"{server.version()}; server and project ready in {time.perf_counter() - t0:.1f} s "
              f"({clients * items_per_client} items, {clients} in-progress batches, fsync on, "
              "synchronous_commit on, unix socket)")
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["annotator.project", "annotator.commands", "psycopg"])
        everyone = list(range(clients))
        runs: list[tuple[Run, Run, float | None]] = []
        plans: list[tuple[str, float, float | None]] = [("paced", args.think_ms / 1e3, TARGET)]
        if not args.no_saturation:
            plans.append(("back-to-back", 0.0, None))
        for label, think, target in plans:
            one = run_clients(ctx, server, f"{label}, 1 client", [0], owned, warmup, edits,
                              think, args.seed)
            many = run_clients(ctx, server, f"{label}, {clients} clients", everyone, owned,
                               warmup, edits, think, args.seed + 1)
            runs.append((one, many, target))

        print("\none edit committed through project.stack.push (ms per commit)")
        print(f"{'run':30}{'clients':>8}{'edits':>8}{'median':>9}{'p90':>9}{'p99':>9}{'max':>9}"
              f"{'edits/s':>9}{'CPU':>8}{'load':>7}{'rollbk':>7}{'lost':>6}")
        for one, many, _ in runs:
            show(one)
            show(many)
        print("(CPU: busy share of all CPUs of the machine during the run, any process; load: "
              "1-min load average at its end; rollbk: server transactions rolled back, i.e. "
              "serialization failures retried by the store; lost: edits missing on the server)")
        print("server CPU per measured edit (postmaster and backends): " + ", ".join(
            f"{r.name} {1e3 * r.server_cpu_s / max(1, len(r.samples)):.2f} ms"
            for one, many, _ in runs for r in (one, many)))
        print("WAL written per measured edit (server-wide, incl. full-page images after "
              "checkpoints): " + ", ".join(
                  f"{r.name} {r.wal_bytes / max(1, len(r.samples)) / 1e3:.1f} kB"
                  for one, many, _ in runs for r in (one, many)))
        print("median private memory (RssAnon) of a server process while the clients are "
              "connected: " + ", ".join(f"{r.name} {r.backend_kb / 1024:.1f} MiB"
                                        for one, many, _ in runs for r in (one, many)))
        print(table_sizes(url))
        print("\nratios, same server, same run:")
        for one, many, target in runs:
            compare(one, many, target)
    finally:
        server.stop()
        print(f"\nmachine after: {machine_state()}")
        print(f"server stopped, removed {server.folder}")


if __name__ == "__main__":
    main()
