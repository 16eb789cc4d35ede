"""Validation benchmark: a million polygons checked in one vectorised pass.

Run::

    python benchmarks/bench_validate.py            # 1,000,000 polygons on 300 images
    python benchmarks/bench_validate.py --quick    # 100,000 polygons

Target
    ``validate_items`` over every annotation of the project (all the rules:
    validity, vertices, size, image bounds, same-class overlap, class and
    attributes) is at least 10x faster than the peer: what a naive tool does,
    a Python loop that builds one ``shapely.Polygon`` per annotation from its
    shell and holes and calls ``shapely.is_valid_reason`` on it (validity
    only).  Both start from the same in-memory ``Annotation`` objects, and
    both timings include building the shapely objects.  Median of a few
    runs; the peer runs on a sample (every 10th shape) and is scaled up.
    A second line times the per-polygon rules alone (validity, vertices,
    size, duplicates, image bounds), the like-for-like comparison.

The data: 8-vertex polygons on 4000 x 3000 images, 4 classes with a
required enum and a bool attribute.  94% are blobs (radii from 70% to 130%
of a random size at sorted random angles: valid outlines, most of them
star-shaped about their centre), 5% are U-shaped (valid, never star-shaped),
1% are bow-ties (a self-intersection: GEOS, with its reason).  0.1% lie
partly outside their image and 250 pairs overlap almost exactly.  ``--spiky``
draws radii from 20% to 100% (fewer star-shaped, more work for the pairwise
edge test); ``--u-share`` sets the U-shaped share.  The run prints which
share of the polygons each validity proof settled.
The exit code is always 0: this reports, it does not gate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence

import numpy as np
import shapely
from machine import machine_state  # benchmarks/machine.py

from annotator.geometry import Finding, error_count, validate_items, warning_count
from annotator.geometry._checks import Context, _shell_shape, check_polygons
from annotator.geometry._ragged import Ragged
from annotator.geometry._simple import rings_simple
from annotator.model import Annotation, AttributeSpec, Item, LabelClass, LabelSchema, Polygon

TARGET = 10.0
WIDTH, HEIGHT = 4000, 3000
CLASSES = ("car", "truck", "person", "building")


def schema() -> LabelSchema:
    attributes = (AttributeSpec("color", "enum", ("white", "black", "red", "other"),
                                required=True),
                  AttributeSpec("occluded", "bool", default=False))
    return LabelSchema("bench", tuple(
        LabelClass(name, "#e69f00", ("box", "polygon"), attributes) for name in CLASSES))




def shells(count: int, rng: np.random.Generator, u_share: float, spiky: bool) -> np.ndarray:
    """``(count, 8, 2)`` vertices: star-shaped, U-shaped and bow-tie polygons."""
    angle = np.sort(rng.uniform(0, 2 * np.pi, (count, 8)), axis=1)
    low, high = (0.2, 1.0) if spiky else (0.7, 1.3)
    radius = rng.uniform(6, 30, (count, 1)) * rng.uniform(low, high, (count, 8))
    local = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1)
    kind = rng.random(count)
    u_shape = np.array([[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]]) - 1.5
    us = kind < u_share
    turn = rng.uniform(0, 2 * np.pi, us.sum())
    rotation = np.stack([np.stack([np.cos(turn), -np.sin(turn)], -1),
                         np.stack([np.sin(turn), np.cos(turn)], -1)], axis=1)
    scale = rng.uniform(4, 12, (us.sum(), 1, 1))
    local[us] = np.einsum("vk,njk->nvj", u_shape, rotation) * scale
    bow = (kind >= u_share) & (kind < u_share + 0.01)
    local[bow] = local[bow][:, [0, 1, 2, 3, 5, 4, 6, 7]]   # swapped vertices cross
    centre = np.stack([rng.uniform(30, WIDTH - 30, count), rng.uniform(30, HEIGHT - 30, count)],
                      axis=-1)
    shifted = rng.random(count) < 0.001
    centre[shifted, 0] = rng.uniform(-5, 5, shifted.sum())       # partly outside
    coords: np.ndarray = np.round(local + centre[:, None, :], 2)
    return coords


def build(count: int, items: int, seed: int, u_share: float = 0.05, spiky: bool = False,
          ) -> list[tuple[Item, list[Annotation]]]:
    rng = np.random.default_rng(seed)
    coords = shells(count, rng, u_share, spiky)
    twins = rng.choice(count, 2 * (count // 4000), replace=False)
    coords[twins[1::2]] = coords[twins[::2]] + 0.05                # near-duplicates
    owner = np.sort(rng.integers(0, items, count))
    labels = rng.integers(0, len(CLASSES), count)
    labels[twins[1::2]] = labels[twins[::2]]
    owner[twins[1::2]] = owner[twins[::2]]
    colors = ("white", "black", "red", "other")
    entries = [(Item(i + 1, f"img_{i:04d}.png", "image", "png", "", 0, width=WIDTH,
                     height=HEIGHT), []) for i in range(items)]
    for index in np.argsort(owner, kind="stable").tolist():
        item, shapes = entries[int(owner[index])]
        shapes.append(Annotation(index + 1, int(item.id or 0), CLASSES[labels[index]],
                                 Polygon(coords[index]),
                                 {"color": colors[index % 4], "occluded": index % 7 == 0}))
    return entries


def peer(entries: Sequence[tuple[Item, Sequence[Annotation]]], every: int) -> int:
    """The naive tool: one shapely Polygon and one is_valid_reason per shape."""
    invalid = 0
    for _, shapes in entries:
        for annotation in shapes[::every]:
            geometry = annotation.geometry
            assert isinstance(geometry, Polygon)
            polygon = shapely.Polygon(geometry.shell, list(geometry.holes))
            if shapely.is_valid_reason(polygon) != "Valid Geometry":
                invalid += 1
    return invalid


def polygon_rules(label_schema: LabelSchema,
                  entries: Sequence[tuple[Item, Sequence[Annotation]]]) -> int:
    """Only the per-polygon rules (validity, vertices, size, duplicates, image bounds).

    The like-for-like comparison with the peer, which checks validity only:
    no class, attribute or same-class overlap rules.  Returns the hit count.
    """
    annotations = [a for _, shapes in entries for a in shapes]
    owner = np.repeat(np.arange(len(entries)), [len(shapes) for _, shapes in entries])
    width = np.array([float(item.width or 0) for item, _ in entries])
    height = np.array([float(item.height or 0) for item, _ in entries])
    ctx = Context(annotations, [a.geometry for a in annotations], owner, width, height,
                  label_schema.rules)
    hits, _ = check_polygons(ctx, np.arange(len(annotations)))
    return len(hits)


def paths(entries: Sequence[tuple[Item, Sequence[Annotation]]]) -> str:
    """Which share of the polygons each validity proof settles (context, not timed)."""
    shells = [a.geometry.shell for _, shapes in entries for a in shapes
              if isinstance(a.geometry, Polygon)]
    ragged = Ragged.from_rings(shells, np.arange(len(shells) + 1), closed=True)
    star = _shell_shape(ragged).star
    rest = np.flatnonzero(~star)
    lengths = np.diff(ragged.ring_offsets)
    simple = rings_simple(ragged.coords, ragged.ring_offsets[rest], lengths[rest])
    n = len(shells)
    return (f"star-shaped (numpy) {star.sum() / n:.1%}, pairwise edge test (numpy) "
            f"{simple.sum() / n:.1%}, GEOS {(len(rest) - simple.sum()) / n:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 polygons")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each side")
    parser.add_argument("--sample", type=int, default=10,
                        help="the peer checks every Nth shape and is scaled up")
    parser.add_argument("--u-share", type=float, default=0.05,
                        help="share of U-shaped (not star-shaped) polygons")
    parser.add_argument("--spiky", action="store_true",
                        help="radii from 20%% to 100%% of the size instead of 70%% to 130%%")
    args = parser.parse_args()
    count = 100_000 if args.quick else 1_000_000
    items = 300
    print(f"bench_validate{' --quick' if args.quick else ''}: python {sys.version.split()[0]}, "
          f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
          f"numpy {np.__version__}")
    print(f"machine before: {machine_state()}")
    t0 = time.perf_counter()
    entries = build(count, items, seed=7, u_share=args.u_share, spiky=args.spiky)
    print(f"built {count:,} polygons on {items} items in {time.perf_counter() - t0:.1f} s; "
          f"{'spiky' if args.spiky else 'blob'} shapes, {args.u_share:.0%} U-shaped")
    print(f"validity settled by: {paths(entries)}")

    label_schema = schema()
    validate_items(label_schema, entries[:3])                      # warm-up (imports, caches)
    ours: list[float] = []
    peer_full: list[float] = []
    polygons_only: list[float] = []
    findings: list[Finding] = []
    invalid = 0
    for _ in range(args.runs):         # alternate, so a change in machine load hits both
        t = time.perf_counter()
        findings = validate_items(label_schema, entries)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        invalid = peer(entries, args.sample)
        peer_full.append((time.perf_counter() - t) * args.sample)
        t = time.perf_counter()
        polygon_rules(label_schema, entries)
        polygons_only.append(time.perf_counter() - t)

    by_rule = Counter(f.rule for f in findings)
    print(f"\nfindings: {len(findings):,} ({error_count(findings):,} errors, "
          f"{warning_count(findings):,} warnings): "
          + ", ".join(f"{rule} {n:,}" for rule, n in sorted(by_rule.items())))
    print(f"peer: {invalid:,} invalid in its 1/{args.sample} sample "
          f"(~{invalid * args.sample:,} overall)")
    print(f"\n{'':42}{'median s':>10}{'min s':>9}{'us/shape':>10}")
    for name, values in (("ours: validate_items, all rules", ours),
                         ("ours: per-polygon rules only", polygons_only),
                         (f"peer: Polygon + is_valid_reason (x{args.sample})", peer_full)):
        med = statistics.median(values)
        print(f"{name:42}{med:10.3f}{min(values):9.3f}{med / count * 1e6:10.2f}")
    ratio = statistics.median(peer_full) / statistics.median(ours)
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"\ntarget: ours >= {TARGET:.0f}x faster than the peer (medians): {ratio:.1f}x -> "
          f"{verdict}")
    alike = statistics.median(peer_full) / statistics.median(polygons_only)
    print(f"like for like (per-polygon rules only vs the peer's validity only): {alike:.1f}x")
    print(f"machine after: {machine_state()}")


if __name__ == "__main__":
    main()
