"""Reading GeoPackages for :mod:`annotator.formats.gpkg`: layers, columns, links.

Every vector layer is read with GDAL (pyogrio); the geometry type decides
the kind, ``class``/``tile``/``id``/links come from their columns, the rest
are attributes typed as the schema declares them.  See the format's module
for what is taken and what is refused.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
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
from annotator.model import AttributeSpec, Item, LabelSchema
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
        image = self.images.get(tile)
        if image is None:
            image = self.images[tile] = ImportedImage(tile)
        image.shapes.append(shape)


@dataclass(frozen=True)
class _Column:
    """One column of a layer as Python values (None where null)."""

    name: str
    values: list[Any]
    link: bool


@dataclass(frozen=True)
class _Columns:
    """A layer's columns by lower-case name."""

    values: dict[str, _Column]

    @classmethod
    def of(cls, meta: dict[str, Any], fields: Sequence[np.ndarray]) -> _Columns:
        names = [str(n) for n in meta["fields"]]
        types = meta.get("ogr_types") or ["OFTString"] * len(names)
        subtypes = meta.get("ogr_subtypes") or ["OFSTNone"] * len(names)
        columns = {}
        for name, values, ogr_type, subtype in zip(names, fields, types, subtypes, strict=True):
            whole = ogr_type in ("OFTInteger", "OFTInteger64")
            boolean = whole and subtype == "OFSTBoolean"
            low = name.lower()
            # ``link_<name>`` integer columns are links; other ``link_`` columns attributes
            link = low.startswith("link_") and len(low) > 5 and whole and not boolean
            columns[low] = _Column(name, _python(np.asarray(values), ogr_type, boolean), link)
        return cls(columns)

    @property
    def links(self) -> list[_Column]:
        return [c for c in self.values.values() if c.link]

    def get(self, name: str, index: int) -> Any:
        """The value of column ``name`` at ``index``, None when absent or null."""
        column = self.values.get(name)
        return None if column is None else column.values[index]


def _python(values: np.ndarray, ogr_type: str, boolean: bool) -> list[Any]:
    """A column as Python values typed by its OGR type; nulls (None, NaN) as None."""
    if values.dtype.kind in "biuf":
        null = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
        if ogr_type in ("OFTInteger", "OFTInteger64"):
            whole = np.where(null, 0, values).astype(np.int64)
            typed = whole.astype(bool).tolist() if boolean else whole.tolist()
        else:
            typed = values.astype(np.float64).tolist()
        return [None if n else v for v, n in zip(typed, null.tolist(), strict=True)]
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else
            v.hex() if isinstance(v, bytes) else v for v in values.tolist()]


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
    for column in columns.links:
        value = column.values[index]
        if value is not None:
            links[column.name[5:]] = _reference(value, where, column.name)
    return links


def _attributes(columns: Sequence[_Column], index: int, specs: Mapping[str, AttributeSpec],
                where: str) -> dict[str, Any]:
    """The attribute columns' values of one feature, typed as its class declares them."""
    attributes: dict[str, Any] = {}
    for column in columns:
        value = column.values[index]
        if value is None:
            continue
        spec = specs.get(column.name)
        attributes[column.name] = (value if spec is None else typed_attribute(
            spec, value, f"{where}: column {column.name!r}"))
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


_TAKEN_KINDS = {0: Point3D, 1: Polyline3D, 3: Polygon3D}  # shapely type ids


def _layer_geometries(geometry: np.ndarray, reading: _Reading, transform: Any,
                      places: Sequence[str]) -> list[list[Geometry] | None] | None:
    """The geometries of a whole layer at once when every feature is a plain point, line
    or polygon without holes (the common case); None otherwise, and for any doubt (the
    feature-by-feature path then names the place of the problem)."""
    import shapely
    from shapely.errors import ShapelyError

    if len(geometry) == 0:
        return []
    try:
        shapes = shapely.from_wkb(geometry)
    except (ShapelyError, ValueError, TypeError):
        return None
    present = ~shapely.is_missing(shapes)
    types = shapely.get_type_id(shapes)
    if (not set(types[present].tolist()) <= set(_TAKEN_KINDS)
            or shapely.is_empty(shapes[present]).any()
            or (shapely.get_num_interior_rings(shapes[types == 3]) > 0).any()):
        return None
    targets = np.where(types == 3, shapely.get_exterior_ring(shapes), shapes)
    coordinates, index = shapely.get_coordinates(targets, include_z=True, return_index=True)
    flat = present & (shapely.get_coordinate_dimension(targets) < 3)
    coordinates[flat[index], 2] = 0.0
    if not np.isfinite(coordinates).all() or np.abs(coordinates).max(initial=0.0) > _LIMIT:
        return None
    if transform is not None:
        x, y = transform.transform(coordinates[:, 0], coordinates[:, 1], errcheck=False)
        coordinates[:, 0], coordinates[:, 1] = x, y
        if not np.isfinite(coordinates).all():
            return None
    reading.flat += int(flat.sum())
    counts = np.bincount(index, minlength=len(shapes))
    pieces = np.split(coordinates, np.cumsum(counts)[:-1])
    out: list[list[Geometry] | None] = []
    for number, (kind, piece) in enumerate(zip(types.tolist(), pieces, strict=True)):
        if kind < 0:
            out.append(None)
            continue
        make = _TAKEN_KINDS[kind]
        xyz = piece[:-1] if kind == 3 else piece
        out.append([shape_or_error(partial(make, xyz), places[number])])
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
    attribute_columns = [c for low, c in columns.values.items() if low not in TAKEN
                         and not c.link]
    specs = {c.name: {a.name: a for a in c.attributes} for c in schema.classes}
    numbers = fids.tolist() if fids is not None else range(1, len(geometry) + 1)
    places = [f"{where}: feature {number}" for number in numbers]
    whole = _layer_geometries(geometry, reading, transform, places)
    linked = lanelets or bool(columns.links)
    tiles: dict[Any, str] = {}
    for index, wkb in enumerate(geometry):
        place = places[index]
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
        parts = whole[index] if whole is not None else None
        if parts is None:
            parts = _geometries(wkb, reading, transform, place)
        tile = columns.get("tile", index)
        if tile is None:
            tile = _nearest_tile(reading.context, parts[0].vertices[0], place)
        elif tile in tiles:
            tile = tiles[tile]
        else:
            tile = tiles[tile] = safe_name(str(tile), place)
        key = _key(columns.get("id", index))
        links = _links(columns, index, lanelets, place) if linked else {}
        attributes = _attributes(attribute_columns, index, specs.get(label, {}), place)
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

