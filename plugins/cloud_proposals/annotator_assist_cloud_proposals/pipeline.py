"""The whole proposal run on local points, stage by stage, with the time each stage took."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from annotator.errors import Cancelled
from annotator_assist_cloud_proposals.ground import Ground, ground_and_heights
from annotator_assist_cloud_proposals.markings import Marking, find_markings
from annotator_assist_cloud_proposals.objects import Blob, box_clusters, cluster

__all__ = ["Detections", "Params", "detect"]

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Params:
    """The knobs of a run (the assist's settings)."""

    cell_size: float = 10.0
    ground_band: float = 0.15
    min_height: float = 0.25
    max_height: float = 30.0
    voxel: float = 0.2
    min_points: int = 30
    intensity_percentile: float = 95.0
    max_gap: float = 7.0
    objects: bool = True
    markings: bool = True


@dataclass
class Detections:
    """What a run found, in LOCAL coordinates, and seconds per stage."""

    ground: Ground | None = None
    blobs: list[Blob] = field(default_factory=list)
    markings: list[Marking] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def detect(xyz: F32, intensity: npt.NDArray[np.floating] | None, params: Params,
           progress: Callable[[float], bool] = lambda f: True) -> Detections:
    """Ground, objects and markings among the local points ``xyz``.

    ``intensity`` (one value per point, or None) is needed for markings.
    ``progress(fraction)`` is called between stages; False cancels
    (:class:`~annotator.errors.Cancelled`).
    """
    out = Detections()
    if len(xyz) < 3:
        return out

    def step(name: str, started: float, fraction: float) -> float:
        now = time.perf_counter()
        out.timings[name] = now - started
        if not progress(fraction):
            raise Cancelled("cloud proposals: cancelled")
        return now

    started = time.perf_counter()
    ground, height = ground_and_heights(xyz, cell=params.cell_size, band=params.ground_band)
    out.ground = ground
    started = step("ground", started, 0.35)
    if params.objects:
        with np.errstate(invalid="ignore"):
            lifted = (height > params.min_height) & (height <= params.max_height)
        objects = xyz[lifted]
        labels = cluster(objects, params.voxel)
        started = step("clustering", started, 0.6)
        out.blobs = box_clusters(objects, labels, ground, min_points=params.min_points)
        started = step("fitting", started, 0.8)
    if params.markings and intensity is not None:
        with np.errstate(invalid="ignore"):
            on = np.abs(height) <= params.ground_band
        out.markings = find_markings(xyz[on], np.asarray(intensity)[on],
                                     percentile=params.intensity_percentile,
                                     max_gap=params.max_gap)
        step("markings", started, 1.0)
    return out
