"""Small PROJ vertical grids with a known geoid undulation, for height tests.

GTX: a 40-byte big-endian header (south-west latitude and longitude, latitude
and longitude spacing, all float64 degrees; rows and columns, int32), then
float32 undulations row by row from the south, each row from the west.

GeoTIFF (PROJ's Geodetic TIFF grids, the form of the grids on cdn.proj.org
such as jp_gsi_gsigeo2011.tif): one float32 band, rows from the north,
georeferenced by a tie point and pixel scale on JGD2011 (EPSG:6668) with
PixelIsPoint, and the GDAL metadata item TYPE=VERTICAL_OFFSET_GEOGRAPHIC_TO_VERTICAL.
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


def write_geotiff(path: Path,
                  undulation: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Path:
    """The same grid as :func:`write_gtx`, as a Geodetic TIFF grid."""
    import tifffile

    north = SOUTH + STEP * (ROWS - 1)
    lat = north - STEP * np.arange(ROWS)
    lon = WEST + STEP * np.arange(COLS)
    grid_lon, grid_lat = np.meshgrid(lon, lat)
    values = np.broadcast_to(np.asarray(undulation(grid_lon, grid_lat), dtype=np.float64),
                             grid_lon.shape).astype(np.float32)
    # GeoKeyDirectory: version 1.1.0, 3 keys: model geographic, raster PixelIsPoint, JGD2011
    keys = (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 2, 2048, 0, 1, 6668)
    metadata = ('<GDALMetadata><Item name="TYPE">VERTICAL_OFFSET_GEOGRAPHIC_TO_VERTICAL'
                '</Item></GDALMetadata>')
    tifffile.imwrite(path, values, photometric="minisblack", extratags=[
        (33550, "d", 3, (STEP, STEP, 0.0), False),                 # ModelPixelScale
        (33922, "d", 6, (0.0, 0.0, 0.0, WEST, north, 0.0), False),  # ModelTiepoint
        (34735, "H", len(keys), keys, False),                       # GeoKeyDirectory
        (42112, "s", 0, metadata, False),                           # GDAL_METADATA
    ])
    return path


def gradient(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """An undulation linear in lon and lat (so bilinear interpolation is exact), about
    37-42 m like the geoid over central Honshu; float32-exact at the grid nodes."""
    return 40.0 + 2.0 * (lat - 36.0) - 1.5 * (lon - 138.5)
