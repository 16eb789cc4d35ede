"""Reading GeoPackages for :mod:`annotator.formats.gpkg`: layers, columns, links.

Every vector layer is read with GDAL (pyogrio); the geometry type decides
the kind, ``class``/``tile``/``id``/links come from their columns, the rest
are attributes typed as the schema declares them.  See the format's module
for what is taken and what is refused.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from annotator.errors import FormatError
from annotator.formats._keys import settle_keys
from annotator.formats.base import (
    ImportContext,
    ImportedImage,
    ImportedShape,
    ImportResult,
    check_labels,
    safe_name,
    shape_or_error,
    typed_attribute,
)
from annotator.formats.gpkg import FORMAT, LAYERS, MARK, TAKEN
from annotator.geometry.heights import is_ellipsoidal
from annotator.geometry.mapnet import LEFT, RIGHT
from annotator.model import Item, LabelSchema
from annotator.shapes import Geometry, Point3D, Polygon3D, Polyline3D

__all__ = ["read_layers"]

#: a coordinate farther out than this (metres or degrees) is not a place on Earth
_LIMIT = 1e8


def _gdal_error(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160]


@dataclass
class _Reading:
    """What a read gathers across layers: the tiles' shapes and the problems to report."""

    source: Path
    context: ImportContext
    images: dict[str, ImportedImage] = field(default_factory=dict)
    flat: int = 0
    split: int = 0
    empty: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, tile: str, shape: ImportedShape) -> None:
        self.images.setdefault(tile, ImportedImage(tile)).shapes.append(shape)


@dataclass(frozen=True)
class _Columns:
    """A layer's columns by lower-case name: values, OGR type and subtype."""

    values: dict[str, tuple[str, np.ndarray, str, str]]

    @classmethod
    def of(cls, meta: dict[str, Any], fields: Sequence[np.ndarray]) -> _Columns:
        names = [str(n) for n in meta["fields"]]
        types = meta.get("ogr_types") or ["OFTString"] * len(names)
        subtypes = meta.get("ogr_subtypes") or ["OFSTNone"] * len(names)
        return cls({n.lower(): (n, np.asarray(v), t, st)
                    for n, v, t, st in zip(names, fields, types, subtypes, strict=True)})

    def get(self, name: str, index: int) -> Any:
        """The value of column ``name`` at ``index``, None when absent or null."""
        if name not in self.values:
            return None
        return _cell(self.values[name], index)


def _cell(column: tuple[str, np.ndarray, str, str], index: int) -> Any:
    _, values, ogr_type, subtype = column
    value = values[index]
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None
    if ogr_type in ("OFTInteger", "OFTInteger64"):
        return bool(value) if subtype == "OFSTBoolean" else int(value)
    if ogr_type == "OFTReal":
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value.item() if isinstance(value, np.generic) else value


def _reference(value: Any, where: str, what: str) -> str:
    """A link target as an import key: the linked feature's ``id``, ``-`` when reversed."""
    if value is None:
        raise FormatError(f"{where}: {what} is empty")
    if isinstance(value, bool) or not isinstance(value, int) or value == 0:
        raise FormatError(f"{where}: {what} {value!r} is not a feature id")
    return f"-{-value}" if value < 0 else str(value)


def _key(identifier: Any) -> str | None:
    """A feature's ``id`` as the key links name it by (GIS text ids are keys no link
    names)."""
    if isinstance(identifier, bool):
        return None
    if isinstance(identifier, int):
        return str(identifier) if identifier > 0 else None
    return identifier if isinstance(identifier, str) and identifier else None


def _links(columns: _Columns, index: int, lanelets: bool, where: str) -> dict[str, str]:
    links: dict[str, str] = {}
    if lanelets:
        for side in (LEFT, RIGHT):
            target = _reference(columns.get(f"{side}_id", index), where, f"{side}_id")
            reverse = columns.get(f"{side}_reversed", index)
            links[side] = f"-{target.lstrip('-')}" if reverse else target
    for name, column in columns.values.items():
        value = columns.get(name, index)
        if _is_link(name, column) and value is not None:
            links[column[0][5:]] = _reference(value, where, column[0])
    return links


def _is_link(name: str, column: tuple[str, np.ndarray, str, str]) -> bool:
    """``link_<name>`` integer columns are links; other ``link_`` columns are attributes."""
    return (name.startswith("link_") and len(name) > 5
            and column[2] in ("OFTInteger", "OFTInteger64") and column[3] != "OFSTBoolean")


def _attributes(columns: _Columns, index: int, context: ImportContext, label: str,
                where: str) -> dict[str, Any]:
    schema = context.schema
    label_class = schema.get(label) if label in schema else None
    attributes: dict[str, Any] = {}
    for name, column in columns.values.items():
        if name in TAKEN or _is_link(name, column):
            continue
        value = _cell(column, index)
        if value is None:
            continue
        original = column[0]
        spec = label_class.attribute(original) if label_class else None
        attributes[original] = typed_attribute(spec, value, f"{where}: column {original!r}")
    return attributes


def _nearest_tile(context: ImportContext, xy: np.ndarray, where: str) -> str:
    """The point-cloud tile of the project whose origin is nearest to ``xy``."""
    crs = context.schema.crs
    best: tuple[float, Item] | None = None
    for item in context.items():
        if item.kind != "pointcloud" or item.origin is None or (item.crs and item.crs != crs):
            continue
        distance = math.hypot(item.origin[0] - float(xy[0]), item.origin[1] - float(xy[1]))
        if best is None or distance < best[0]:
            best = (distance, item)
    if best is None:
        raise FormatError(f"{where}: no 'tile' column, and the project has no "
                          "geo-referenced point-cloud tile to place the feature on")
    return best[1].path


def _coordinates(part: Any, reading: _Reading, transform: Any, where: str) -> np.ndarray:
    import shapely

    xyz = np.array(shapely.get_coordinates(part, include_z=True), dtype=np.float64)
    if shapely.get_coordinate_dimension(part) < 3:
        reading.flat += 1
        xyz[:, 2] = 0.0
    if not np.isfinite(xyz).all() or np.abs(xyz).max(initial=0.0) > _LIMIT:
        raise FormatError(f"{where}: a coordinate is not a finite number of sane size")
    if transform is not None:
        x, y = transform.transform(xyz[:, 0], xyz[:, 1], errcheck=False)
        xyz[:, 0], xyz[:, 1] = x, y
        if not np.isfinite(xyz).all():
            raise FormatError(f"{where}: a position lies outside what the project CRS "
                              "can represent")
    return xyz


def _geometries(wkb: Any, reading: _Reading, transform: Any, where: str) -> list[Geometry]:
    """The annotation geometries of one feature: one, or one per part of a Multi*."""
    import shapely
    from shapely.errors import ShapelyError

    try:
        shape = shapely.from_wkb(wkb)
    except (ShapelyError, ValueError, TypeError) as exc:
        raise FormatError(f"{where}: geometry is not valid WKB ({_gdal_error(exc)})") from None
    kind = shape.geom_type
    if kind.startswith("Multi"):
        parts = list(shapely.get_parts(shape))
        reading.split += len(parts) > 1
        kind = kind[5:]
    else:
        parts = [shape]
    if kind not in ("Point", "LineString", "Polygon"):
        raise FormatError(f"{where}: geometry type {shape.geom_type} is not taken (points, "
                          "lines and polygons)")
    out: list[Geometry] = []
    for part in parts:
        if part.is_empty:
            raise FormatError(f"{where}: an empty {kind}")
        if kind == "Polygon":
            shell = _coordinates(part.exterior, reading, transform, where)[:-1]
            holes = tuple(_coordinates(r, reading, transform, where)[:-1]
                          for r in part.interiors)
            out.append(shape_or_error(partial(Polygon3D, shell, holes), where))
        else:
            xyz = _coordinates(part, reading, transform, where)
            make: type[Point3D | Polyline3D] = Point3D if kind == "Point" else Polyline3D
            out.append(shape_or_error(partial(make, xyz), where))
    return out


def _transform_from(layer_crs: str | None, context: ImportContext, where: str,
                    reading: _Reading) -> Any:
    """None when the layer is in the project CRS, else the horizontal re-projection."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError, ProjError

    schema = context.schema
    project = schema.crs or ""
    if not layer_crs:
        raise FormatError(f"{where}: the layer has no CRS; assign one (e.g. {project}) in "
                          "your GIS")
    try:
        source = CRS.from_user_input(layer_crs)
        if source.is_compound:
            source, vertical = source.sub_crs_list[0], source.sub_crs_list[1]
            if is_ellipsoidal(schema) or not vertical.equals(
                    CRS.from_user_input(schema.heights)):
                raise FormatError(f"{where}: heights are {vertical.name}, the project keeps "
                                  f"{schema.heights} heights; convert them in your GIS")
        if source.equals(CRS.from_user_input(project), ignore_axis_order=True):
            return None
        transform = Transformer.from_crs(source, project, always_xy=True)
    except (CRSError, ProjError) as exc:
        raise FormatError(f"{where}: cannot re-project from {layer_crs[:60]} to {project} "
                          f"({_gdal_error(exc)})") from None
    reading.problems.append(f"{where}: in {source.name}; positions re-projected to {project}, "
                            "heights kept")
    return transform


def _read_layer(reading: _Reading, name: str) -> None:
    from pyogrio import raw  # type: ignore[import-untyped]

    where = f"{reading.source}: layer {name}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, fids, geometry, fields = raw.read(reading.source, layer=name,
                                                    return_fids=True, datetime_as_string=True)
    except (RuntimeError, OSError, ValueError) as exc:
        raise FormatError(f"{where}: GDAL cannot read it ({_gdal_error(exc)})") from None
    transform = _transform_from(meta.get("crs"), reading.context, where, reading)
    columns = _Columns.of(meta, fields)
    schema = reading.context.schema
    lanelets = name.lower() == LAYERS["lanelet"][0] and {"left_id", "right_id"} <= set(
        columns.values)
    for index, wkb in enumerate(geometry):
        place = f"{where}: feature {int(fids[index]) if fids is not None else index + 1}"
        if wkb is None:
            reading.empty += 1
            continue
        label = columns.get("class", index)
        if label is None:
            if name not in schema:
                raise FormatError(f"{place}: no 'class' column, and the layer's name is not "
                                  "a class of the schema")
            label = name
        label = str(label)
        parts = _geometries(wkb, reading, transform, place)
        tile = columns.get("tile", index)
        tile = (safe_name(str(tile), place) if tile is not None else
                _nearest_tile(reading.context, parts[0].vertices[0], place))
        key = _key(columns.get("id", index))
        links = _links(columns, index, lanelets, place)
        attributes = _attributes(columns, index, reading.context, label, place)
        for number, part in enumerate(parts):
            reading.add(tile, ImportedShape(label, part, attributes,
                                            key=key if number == 0 else None,
                                            links=links if number == 0 else {}))


def _check_heights(source: Path, schema: LabelSchema, metadata: Any) -> None:
    """A file of ours written with other heights than the project keeps is refused."""
    if not isinstance(metadata, dict) or metadata.get("format") != MARK:
        return
    heights = metadata.get("heights", "ellipsoidal")
    if heights != schema.heights:
        raise FormatError(f"{source}: heights are {heights}, the project keeps "
                          f"{schema.heights}; export it again from a project with "
                          f"{schema.heights} heights")


def read_layers(source: Path, context: ImportContext) -> ImportResult:
    import pyogrio

    try:
        with warnings.catch_warnings():
            # GDAL's notes on odd files; what matters is raised, or read and checked here
            warnings.simplefilter("ignore", RuntimeWarning)
            listing = pyogrio.list_layers(source)
            metadata = (pyogrio.read_info(source, layer=str(listing[0][0]))
                        .get("dataset_metadata") if len(listing) else None)
    except (RuntimeError, OSError, ValueError) as exc:
        raise FormatError(f"{source}: GDAL cannot read it as a GeoPackage "
                          f"({_gdal_error(exc)})") from None
    _check_heights(source, context.schema, metadata)
    reading = _Reading(source, context)
    for name, geometry_type in listing:
        if geometry_type is None:
            reading.problems.append(f"{source}: table {name} has no geometry; not imported")
            continue
        _read_layer(reading, str(name))
    reading.problems += settle_keys(reading.images.values(), source)
    result = ImportResult(FORMAT.id, list(reading.images.values()), reading.problems)
    for count, what in ((reading.flat, "geometries had no height; z set to 0"),
                        (reading.split, "multi-part features were split into their parts"),
                        (reading.empty, "features had no geometry; not imported")):
        if count:
            result.problems.append(f"{source}: {count} {what}")
    check_labels(result, context.schema, source)
    return result

