"""Heights above the ellipsoid from the heights a project stores, and back.

A project stores ``z`` as its schema says (``LabelSchema.heights``):
``"ellipsoidal"`` (GNSS heights above GRS80/WGS84, what RFC 7946 GeoJSON and
Lanelet2's ``ele`` hold) or a vertical CRS such as EPSG:6695 (JGD2011 vertical
height, orthometric: above the geoid, what Japanese survey tiles usually
hold).  Exporters that need ellipsoidal heights call :func:`to_ellipsoidal`;
importers call :func:`from_ellipsoidal`.

The geoid comes from one of two places, never from a guess:

- ``LabelSchema.geoid_grid``: a PROJ vertical grid file (``.gtx`` or GeoTIFF)
  giving the geoid undulation N; ``h = H + N`` is computed with an explicit
  PROJ ``vgridshift`` pipeline on that file, with no network.
- otherwise PROJ's own best transformation from the compound CRS (project CRS
  + vertical CRS) to the geographic 3D CRS.  When that needs a grid PROJ does
  not have (``jp_gsi_gsigeo2011.tif`` is not shipped with pyproj), or PROJ
  knows no geoid for the vertical CRS at all, the conversion is refused with
  the grid's name and how to supply it: PROJ would otherwise fall back to a
  "ballpark" transformation that leaves heights as they are, tens of metres
  off in Japan.

Horizontal positions are not changed; only heights are answered.

>>> import numpy as np
>>> from annotator.model import LabelClass, LabelSchema
>>> schema = LabelSchema("s", (LabelClass("pole", "#e69f00", ("point3d",)),), crs="EPSG:6677")
>>> to_ellipsoidal(schema, np.array([[0.0, 40000.0, 612.5]])).tolist()
[612.5]
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from annotator.errors import FormatError
from annotator.model import LabelSchema

__all__ = ["ELLIPSOIDAL", "check", "from_ellipsoidal", "is_ellipsoidal", "to_ellipsoidal"]

ELLIPSOIDAL = "ellipsoidal"


def is_ellipsoidal(schema: LabelSchema) -> bool:
    """Whether the project's stored heights are already above the ellipsoid."""
    return schema.heights.strip().lower() == ELLIPSOIDAL


def check(schema: LabelSchema) -> None:
    """Refuse now, in one line, what a conversion would refuse (a missing grid), so an
    export fails before it writes anything."""
    if is_ellipsoidal(schema):
        return
    if not schema.crs:
        raise FormatError(f"heights {schema.heights}: the schema has no 'crs' to place "
                          "them in")
    if schema.geoid_grid:
        _to_geodetic(schema.crs)
        _grid_pipeline(str(Path(schema.geoid_grid).resolve()))
    else:
        _compound_to_3d(schema.crs, schema.heights)


def to_ellipsoidal(schema: LabelSchema, xyz: np.ndarray) -> np.ndarray:
    """Heights above the ellipsoid of ``(n, 3)`` project-CRS points, as ``(n,)`` float64."""
    return _convert(schema, xyz, forward=True)


def from_ellipsoidal(schema: LabelSchema, xyz: np.ndarray) -> np.ndarray:
    """The project's heights of ``(n, 3)`` points whose z is above the ellipsoid."""
    return _convert(schema, xyz, forward=False)


def _convert(schema: LabelSchema, xyz: np.ndarray, forward: bool) -> np.ndarray:
    points = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
    if is_ellipsoidal(schema) or len(points) == 0:
        return points[:, 2].copy()
    check(schema)
    crs = schema.crs or ""
    if not np.isfinite(points).all():
        raise FormatError("heights: a coordinate is not a finite number")
    if schema.geoid_grid:
        z = _by_grid(crs, schema.geoid_grid, points, forward)
    else:
        z = _by_proj(crs, schema.heights, points, forward)
    if not np.isfinite(z).all():
        bad = int(np.argmin(np.isfinite(z)))
        where = schema.geoid_grid or f"PROJ's geoid for {schema.heights}"
        raise FormatError(f"heights: point ({points[bad, 0]:.3f}, {points[bad, 1]:.3f}) lies "
                          f"outside {where}")
    return z


# -- an explicit grid ------------------------------------------------------------------------


def _by_grid(crs: str, grid: str, points: np.ndarray, forward: bool) -> np.ndarray:
    lon, lat = _to_geodetic(crs).transform(points[:, 0], points[:, 1], errcheck=False)
    shift = _grid_pipeline(str(Path(grid).resolve()))
    _, _, z = shift.transform(np.asarray(lon, np.float64), np.asarray(lat, np.float64),
                              points[:, 2], direction="FORWARD" if forward else "INVERSE",
                              errcheck=False)
    return np.asarray(z, dtype=np.float64)


@cache
def _to_geodetic(crs: str) -> Any:
    """Project CRS easting/northing to longitude/latitude of its own datum."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError, ProjError

    try:
        source = CRS.from_user_input(crs)
        geodetic = source.geodetic_crs
        if geodetic is None:
            raise FormatError(f"heights: {crs} has no geodetic datum to look a geoid up in")
        return Transformer.from_crs(source, geodetic, always_xy=True)
    except (CRSError, ProjError) as exc:
        raise FormatError(f"heights: cannot use {crs} ({exc})") from None


@cache
def _grid_pipeline(grid: str) -> Any:
    """lon/lat degrees + orthometric height -> ellipsoidal height (h = H + N), PROJ's
    own sign convention for geoid models (``vgridshift +multiplier=1``)."""
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    path = Path(grid)
    if '"' in grid:
        raise FormatError(f"geoid grid {grid}: a path with a double quote cannot be given "
                          "to PROJ; rename the file")
    if not path.is_file():
        raise FormatError(f"geoid grid {grid} is not a file; put the grid there or change "
                          "'geoid_grid' in the schema")
    try:
        return Transformer.from_pipeline(
            "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            f'+step +proj=vgridshift +grids="{grid}" +multiplier=1 '
            "+step +proj=unitconvert +xy_in=rad +xy_out=deg")
    except ProjError:
        raise FormatError(f"geoid grid {grid}: PROJ cannot read it as a vertical grid "
                          "(.gtx or GeoTIFF)") from None


# -- PROJ's own knowledge --------------------------------------------------------------------


def _by_proj(crs: str, heights: str, points: np.ndarray, forward: bool) -> np.ndarray:
    transformer = _compound_to_3d(crs, heights)
    _, _, z = transformer.transform(points[:, 0], points[:, 1], points[:, 2],
                                    direction="FORWARD" if forward else "INVERSE",
                                    errcheck=False)
    return np.asarray(z, dtype=np.float64)


@cache
def _compound_to_3d(crs: str, heights: str) -> Any:
    """PROJ's best transformation from (crs + heights) to the geographic 3D CRS, or a
    one-line refusal naming the grid it needs.

    ``TransformerGroup(allow_ballpark=False)`` rather than ``Transformer.from_crs``:
    the latter only warns when the best operation's grid is missing and returns the
    ballpark one, which leaves heights unchanged.
    """
    from pyproj import CRS
    from pyproj.crs import CompoundCRS
    from pyproj.exceptions import CRSError, ProjError
    from pyproj.transformer import TransformerGroup

    try:
        horizontal = CRS.from_user_input(crs)
        vertical = CRS.from_user_input(heights)
        compound = CompoundCRS(f"{horizontal.name} + {vertical.name}", [horizontal, vertical])
        geodetic = horizontal.geodetic_crs
        if geodetic is None:
            raise FormatError(f"heights: {crs} has no geodetic datum")
        with warnings.catch_warnings():
            # the missing grid is reported below, as an error
            warnings.simplefilter("ignore", UserWarning)
            group = TransformerGroup(compound, geodetic.to_3d(), always_xy=True,
                                     allow_ballpark=False)
    except (CRSError, ProjError) as exc:
        raise FormatError(f"heights: cannot relate {heights} to ellipsoidal heights in "
                          f"{crs} ({exc})") from None
    if group.transformers and group.best_available:
        return group.transformers[0]
    missing = [g for op in group.unavailable_operations for g in op.grids if not g.available]
    if missing:
        grid = missing[0]
        source = f" from {grid.url}" if grid.url else ""
        raise FormatError(
            f"heights {heights}: PROJ needs the geoid grid {grid.short_name}, which is not "
            f"installed; download it{source} into the PROJ data folder, or set "
            "'geoid_grid' in the schema to a local copy (.gtx or .tif)")
    raise FormatError(f"heights {heights}: PROJ knows no geoid model for it; set "
                      "'geoid_grid' in the schema to the grid of geoid undulations")
