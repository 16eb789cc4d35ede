"""Team-mode benchmark: what one edit costs over a home connection's round trip.

Run::

    python benchmarks/bench_team_rtt.py             # round trips 0 (loopback), 10, 30 ms
    python benchmarks/bench_team_rtt.py --edits 20

What is measured
    A throwaway PostgreSQL server (tests/pg_server.py's ``ThrowawayServer``)
    is reached through a TCP relay that holds every chunk ``d`` in each
    direction (tests/net_cut.py), a link whose round trip is ``2d`` (TLS
    off; it adds one round trip per connection, none per query).  An
    annotator with an in-progress batch edits through the app's path,
    ``Project.push`` with the offline working copy on (operation id,
    permission guard, conflict check, undo log, the working copy following
    the edit), then ``undo``; and the read the editor makes after each edit
    (``annotations_for_item``).  Each is timed ``--edits`` times; medians.

    The floor is physics: a transaction needs at least one round trip to be
    acknowledged (its COMMIT), so the figure printed is the latency in round
    trips, (t - t_loopback) / RTT: how many times the edit waits on the link.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.commands import AddAnnotations, translate
from annotator.model import Annotation, Role
from annotator.project import Project
from annotator.schema import load_schema
from annotator.shapes import Box
from tests.conftest import make_images
from tests.net_cut import NetCut
from tests.pg_server import ThrowawayServer

SCHEMA = Path(__file__).resolve().parents[1] / "sample_data" / "schema.yaml"


def measure(url: str, edits: int) -> dict[str, float]:
    ann = Project.open(url, "ann")
    ann.enable_offline()
    ann.follow_batch(1)
    times: dict[str, list[float]] = {"add": [], "move": [], "undo": [], "read": []}
    for k in range(edits + 2):
        t0 = time.perf_counter()
        box = ann.push(AddAnnotations([Annotation(
            None, 1, "car", Box.from_corners(k, 0, k + 5, 5), author="ann")])).annotations[0]
        t1 = time.perf_counter()
        ann.push(translate([box], (1.0, 0.0), merge_key=f"drag:{k}"))  # as the app's drags
        t2 = time.perf_counter()
        ann.undo()
        t3 = time.perf_counter()
        ann.store.annotations_for_item(1)
        t4 = time.perf_counter()
        if k >= 2:  # warm: prepared statements, caches
            for key, value in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                times[key].append(value)
    ann.close()
    return {key: statistics.median(values) * 1000 for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--rtt-ms", type=float, nargs="*", default=[10.0, 30.0])
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="annotator-rtt-"))
    os.environ["ANNOTATOR_DATA_DIR"] = str(root / "data")
    os.environ["ANNOTATOR_CACHE_DIR"] = str(root / "cache")
    os.environ["ANNOTATOR_MEDIA_ROOT"] = str(root)
    server = ThrowawayServer(tcp=True, prefix="annotator-bench-rtt-pg-")
    try:
        server.start()
        database = "rtt"
        with psycopg.connect(server.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {database}")
        with Project.create(server.url(database), load_schema(SCHEMA), user="lead") as lead:
            lead.import_media(make_images(root / "media", 2))
            lead.set_role("ann", Role.ANNOTATOR)
            lead.create_batch("b1", [1, 2])
            lead.batch_action("b1", "assign", assignee="ann")
        with Project.open(server.url(database), "ann") as ann:
            ann.batch_action("b1", "start")
        rows = []
        base = None
        for rtt in [0.0, *args.rtt_ms]:
            relay = NetCut(server.port, delay_s=rtt / 2000)
            url = f"postgresql://postgres@127.0.0.1:{relay.port}/{database}?sslmode=disable"
            result = measure(url, args.edits)
            relay.close()
            base = base or result
            rows.append((rtt, result))
    finally:
        server.stop()
    print(f"PostgreSQL via TCP relay, {args.edits} edits each, medians; "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'RTT ms':>7} {'add ms':>8} {'move ms':>8} {'undo ms':>8} {'read ms':>8}   "
          "round trips (add / move / undo / read)")
    for rtt, result in rows:
        trips = ("" if not rtt else " / ".join(
            f"{(result[k] - base[k]) / rtt:.1f}" for k in ("add", "move", "undo", "read")))
        print(f"{rtt:7.0f} {result['add']:8.1f} {result['move']:8.1f} {result['undo']:8.1f} "
              f"{result['read']:8.1f}   {trips}")


if __name__ == "__main__":
    main()
