"""Small PROJ vertical grids (.gtx) with a known geoid undulation, for height tests.

GTX: a 40-byte big-endian header (south-west latitude and longitude, latitude
and longitude spacing, all float64 degrees; rows and columns, int32), then
float32 undulations row by row from the south, each row from the west.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: a window over central Honshu (JGD2011 plane rectangular zones VIII and IX)
SOUTH, WEST, STEP, ROWS, COLS = 35.0, 137.0, 0.05, 61, 81


def write_gtx(path: Path, undulation: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Path:
    """Write a grid whose value at (lon, lat) degrees is ``undulation(lon, lat)``."""
    lat = SOUTH + STEP * np.arange(ROWS)
    lon = WEST + STEP * np.arange(COLS)
    grid_lon, grid_lat = np.meshgrid(lon, lat)
    values = np.asarray(undulation(grid_lon, grid_lat), dtype=np.float64)
    values = np.broadcast_to(values, grid_lon.shape)
    with path.open("wb") as handle:
        handle.write(struct.pack(">4d2i", SOUTH, WEST, STEP, STEP, ROWS, COLS))
        handle.write(values.astype(">f4").tobytes())
    return path


def gradient(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """An undulation linear in lon and lat (so bilinear interpolation is exact), about
    37-42 m like the geoid over central Honshu; float32-exact at the grid nodes."""
    return 40.0 + 2.0 * (lat - 36.0) - 1.5 * (lon - 138.5)
