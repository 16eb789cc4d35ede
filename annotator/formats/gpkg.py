"""GeoPackage (OGC 12-128) map features for GIS, both ways, written by GDAL.

Export writes **one file per project**, ``map.gpkg``, with GDAL (pyogrio), in
the **project CRS** (the schema's ``crs``, e.g. EPSG:6677): surveying firms'
and municipalities' GIS work in the national plane coordinates, and a
GeoPackage records its CRS, so QGIS, ArcGIS and GDAL place it without a
re-projection (GeoJSON is the WGS84 deliverable).  Coordinates are the stored
float64 values, unrounded.  Heights are the ones the project keeps (the
schema's ``heights``): with orthometric heights (e.g. EPSG:6695) the layers'
CRS is the compound one (JGD2011 plane IX + JGD2011 vertical height), so a GIS
knows what ``z`` is; the dataset metadata names them too.

Layers, all 3D (``Z``), all written even when empty so a client sees one
structure:

- ``lines`` (LineString Z): ``polyline3d`` annotations (lane lines, road
  edges, stop lines ...);
- ``polygons`` (Polygon Z): ``polygon3d`` annotations (crosswalks ...);
- ``points`` (Point Z): ``point3d`` annotations (signs, poles, lights);
- ``lanelets`` (Polygon Z): lanelets (annotations linking a ``left`` and a
  ``right`` boundary, :mod:`annotator.geometry.mapnet`), their area polygon,
  with ``left_id``/``right_id`` (the boundaries' ``id`` in ``lines``) and the
  ``left_reversed``/``right_reversed`` flags (Lanelet2's inverted use).

Columns: ``id`` (the annotation's), ``class``, ``tile`` (the tile's file
name), any other link as an integer column ``link_<name>`` (e.g.
``link_stop_line`` on a sign: the linked ``id``, negative when used reversed),
then one typed column per attribute (bool, integer, real or text as the
schema declares it, where the values fit; values of mixed types share a text
column).  Cuboids (no solid
type in a GeoPackage) and image shapes are skipped and reported, as are
features of a tile in another CRS.

Import reads such files and GeoPackages from other tools: every vector layer,
its geometry type deciding the kind (Multi* are split into their parts,
reported; 2D ones get ``z = 0``, reported).  Classes come from a ``class``
column, else from the layer's name when the schema has that class.  A
feature without a ``tile`` goes to the point-cloud tile whose origin is
nearest.  A layer in another CRS is re-projected horizontally (reported); a
layer without one, or whose compound CRS has other heights than the project
keeps, is refused.  Lanelet and ``link_`` links come back as
links between the imported annotations.

>>> import tempfile
>>> from annotator.formats.base import ExportItem
>>> from annotator.model import Annotation, Item, LabelClass, LabelSchema
>>> from annotator.shapes import Polyline3D
>>> schema = LabelSchema("s", (LabelClass("lane_line", "#e69f00", ("polyline3d",)),),
...                      crs="EPSG:6677")
>>> item = Item(1, "t.laz", "pointcloud", "laz", "", 0, points=10)
>>> line = Annotation(7, 1, "lane_line", Polyline3D([[0.5, 40000.25, 5.0], [10, 40000, 5.5]]))
>>> out = Path(tempfile.mkdtemp())
>>> write(ProjectView.from_items(schema, [ExportItem(item, "t.laz", (line,))]), out).files
['map.gpkg']
>>> shape = read(out, ImportContext(schema)).images[0].shapes[0]
>>> shape.key, shape.geometry.vertices.tolist()
('7', [[0.5, 40000.25, 5.0], [10.0, 40000.0, 5.5]])
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from annotator import __version__
from annotator.errors import FormatError
from annotator.formats._keys import settle_keys
from annotator.formats.base import (
    FormatSpec,
    ImportContext,
    ImportedImage,
    ImportedShape,
    ImportResult,
    ProjectView,
    Report,
    check_input_size,
    check_labels,
    safe_name,
    shape_or_error,
    typed_attribute,
)
from annotator.geometry.heights import is_ellipsoidal
from annotator.geometry.mapnet import LEFT, RIGHT, boundary_ref, is_lanelet
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Geometry, Point3D, Polygon3D, Polyline3D

__all__ = ["FILE", "FORMAT", "LAYERS", "MARK", "detect", "read", "write"]

FILE = "map.gpkg"
MARK = "annotator-gpkg"
VERSION = 1
#: layer name and GDAL geometry type by annotation kind; lanelets have their own layer
LAYERS = {"polyline3d": ("lines", "LineString Z"), "polygon3d": ("polygons", "Polygon Z"),
          "point3d": ("points", "Point Z"), "lanelet": ("lanelets", "Polygon Z")}
BASE_COLUMNS = ("id", "class", "tile")
LANELET_COLUMNS = ("left_id", "right_id", "left_reversed", "right_reversed")
#: SQLite and GeoPackage take these; GDAL adds ``fid`` and ``geom``
_TAKEN = {"fid", "geom", *BASE_COLUMNS, *LANELET_COLUMNS}
_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")


# -- write -----------------------------------------------------------------------------------


@dataclass
class _Layer:
    name: str
    geometry_type: str
    rows: list[tuple[str, Annotation]] = field(default_factory=list)


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def _column_type(schema: LabelSchema, name: str, rows: Sequence[tuple[str, Annotation]]) -> str:
    """One column type for an attribute: the schema's where the values fit it (a float
    attribute holding 40 is still a real column), else the values'; text when they mix."""
    seen: set[str] = set()
    for _, annotation in rows:
        if name not in annotation.attributes or annotation.attributes[name] is None:
            continue
        label_class = schema.get(annotation.label) if annotation.label in schema else None
        spec = label_class.attribute(name) if label_class else None
        found = _value_type(annotation.attributes[name])
        declared = {"bool": "bool", "int": "int", "float": "float"}.get(
            spec.type, "str") if spec is not None else found
        if declared == "float" and found in ("int", "float"):
            seen.add("float")
        else:
            seen.add(found if found == declared else "str")
    if seen == {"int", "float"}:
        return "float"
    return seen.pop() if len(seen) == 1 else "str"


def _plain_value(value: Any, where: str) -> Any:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if abs(value) >= 2**63:
            raise FormatError(f"{where}: {value} does not fit a GeoPackage integer")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormatError(f"{where}: {value} is not a finite number")
        return value
    raise FormatError(f"{where}: {type(value).__name__} {str(value)[:40]} is not one value; "
                      "a GeoPackage column holds a text, a number or a bool")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


_DTYPES = {"bool": np.bool_, "int": np.int64, "float": np.float64, "str": object}
_EMPTY = {"bool": False, "int": 0, "float": 0.0, "str": None}


def _column(values: list[Any], kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A typed numpy column and its null mask (True where the feature has no value)."""
    mask = np.array([v is None for v in values], dtype=bool)
    filled = [_EMPTY[kind] if v is None else (_text(v) if kind == "str" else v)
              for v in values]
    return np.array(filled, dtype=_DTYPES[kind]), mask


def _link_columns(layer: _Layer) -> list[str]:
    names = {name for _, a in layer.rows for name in a.links}
    if layer.name == "lanelets":
        names -= {LEFT, RIGHT}
    return sorted(names)


def _attribute_names(layer: _Layer, where: str) -> list[str]:
    names = sorted({str(k) for _, a in layer.rows for k in a.attributes})
    taken = {n.lower() for n in _TAKEN}
    taken |= {f"link_{n}".lower() for n in _link_columns(layer)}
    folded: dict[str, str] = {}
    for name in names:
        low = name.lower()
        if low in taken:
            raise FormatError(f"{where}: attribute {name!r} has the name of a column this "
                              f"format writes ({', '.join(sorted(_TAKEN - {'fid', 'geom'}))}"
                              ", link_<link>)")
        if low in folded:
            raise FormatError(f"{where}: attributes {folded[low]!r} and {name!r} differ only "
                              "in case; GeoPackage columns do not")
        folded[low] = name
    return names


def _wkb(geometry: Geometry) -> bytes:
    import shapely

    if isinstance(geometry, Polygon3D):
        shape = shapely.Polygon(geometry.shell, [np.asarray(h) for h in geometry.holes])
    elif isinstance(geometry, Point3D):
        shape = shapely.Point(geometry.vertices[0])
    else:
        shape = shapely.LineString(geometry.vertices)
    return bytes(shapely.to_wkb(shape, output_dimension=3, flavor="iso"))


def _fields(schema: LabelSchema, layer: _Layer, where: str,
            ) -> tuple[list[str], list[np.ndarray], list[np.ndarray | None]]:
    rows = layer.rows
    names = ["id", "class", "tile"]
    ids, id_mask = _column([a.id for _, a in rows], "int")
    data: list[np.ndarray] = [ids, np.array([a.label for _, a in rows], dtype=object),
                              np.array([t for t, _ in rows], dtype=object)]
    masks: list[np.ndarray | None] = [id_mask, None, None]
    if layer.name == "lanelets":
        refs = [(boundary_ref(a.links, LEFT), boundary_ref(a.links, RIGHT)) for _, a in rows]
        names += list(LANELET_COLUMNS)
        data += [np.array([r[0][0] for r in refs], dtype=np.int64),
                 np.array([r[1][0] for r in refs], dtype=np.int64),
                 np.array([r[0][1] for r in refs], dtype=np.bool_),
                 np.array([r[1][1] for r in refs], dtype=np.bool_)]
        masks += [None] * 4
    for link in _link_columns(layer):
        column, mask = _column([a.links.get(link) for _, a in rows], "int")
        names.append(f"link_{link}")
        data.append(column)
        masks.append(mask)
    for name in _attribute_names(layer, where):
        kind = _column_type(schema, name, rows)
        if kind == "int" and name.lower().startswith("link_"):
            raise FormatError(f"{where}: attribute {name!r} holds whole numbers, which a "
                              "reader takes for a link (integer link_* columns); rename it")
        values = [None if a.attributes.get(name) is None else _plain_value(
            a.attributes[name], f"{where}: {t}: annotation {a.id}: attribute {name!r}")
            for t, a in rows]
        column, mask = _column(values, kind)
        names.append(name)
        data.append(column)
        masks.append(mask)
    return names, data, masks


def _file_crs(schema: LabelSchema) -> str:
    """The project CRS, compound with the vertical CRS when heights are orthometric
    (GDAL records it as such; QGIS shows it), as WKT."""
    from pyproj import CRS
    from pyproj.crs import CompoundCRS
    from pyproj.exceptions import CRSError

    try:
        horizontal = CRS.from_user_input(schema.crs)
        if is_ellipsoidal(schema):
            return str(horizontal.to_wkt())
        vertical = CRS.from_user_input(schema.heights)
        name = f"{horizontal.name} + {vertical.name}"
        return str(CompoundCRS(name, [horizontal, vertical]).to_wkt())
    except CRSError as exc:
        raise FormatError(f"gpkg export: cannot use {schema.crs} with heights "
                          f"{schema.heights} ({exc})") from None


def _write_layer(path: Path, schema: LabelSchema, layer: _Layer, crs: str,
                 metadata: dict[str, str]) -> None:
    from pyogrio import raw  # type: ignore[import-untyped]

    where = f"gpkg export: layer {layer.name}"
    names, data, masks = _fields(schema, layer, where)
    geometry = np.array([_wkb(a.geometry) for _, a in layer.rows], dtype=object)
    try:
        raw.write(path, geometry, data, names, field_mask=masks, layer=layer.name,
                  driver="GPKG", geometry_type=layer.geometry_type, crs=crs,
                  encoding="UTF-8", dataset_metadata=metadata,
                  layer_options={"SPATIAL_INDEX": "YES"})
    except (RuntimeError, OSError, ValueError) as exc:
        raise FormatError(f"{where}: GDAL could not write it ({exc})") from None


def _layers_of(view: ProjectView, report: Report, crs: str) -> list[_Layer]:
    layers = {kind: _Layer(*spec) for kind, spec in LAYERS.items()}
    for export_item in view.items():
        report.images += 1
        tile_crs = export_item.item.crs
        for annotation in export_item.annotations:
            if annotation.kind == "cuboid":
                report.skip(export_item, annotation, "a GeoPackage has no solids; export "
                            "cuboids with the cuboids or openlabel format")
            elif annotation.kind not in LAYERS:
                report.skip(export_item, annotation, f"{annotation.kind} is an image shape, "
                            "not a map feature")
            elif tile_crs and tile_crs != crs:
                report.skip(export_item, annotation, f"the tile is in {tile_crs}, not the "
                            f"project's {crs}")
            else:
                lanelet = annotation.kind == "polygon3d" and is_lanelet(annotation)
                layers["lanelet" if lanelet else annotation.kind].rows.append(
                    (export_item.file_name, annotation))
                report.wrote(annotation)
    return list(layers.values())


def write(view: ProjectView, out: Path) -> Report:
    """Write ``map.gpkg``: the map features of every tile in the project CRS."""
    schema = view.schema
    if not schema.crs:
        raise FormatError("gpkg export: the project has no CRS; set 'crs' in the schema "
                          "(e.g. EPSG:6677) so GIS can place the features")
    report = Report(FORMAT.id)
    crs = _file_crs(schema)
    layers = _layers_of(view, report, schema.crs)
    metadata = {"format": MARK, "version": str(VERSION), "crs": schema.crs,
                "heights": schema.heights, "schema": schema.name,
                "tool": f"annotator {__version__}"}
    part = out / f".{FILE.removesuffix('.gpkg')}.part.gpkg"
    part.unlink(missing_ok=True)
    try:
        for layer in layers:
            _write_layer(part, schema, layer, crs, metadata)
        os.replace(part, out / FILE)
    finally:
        part.unlink(missing_ok=True)
    report.files.append(FILE)
    return report


# -- read ------------------------------------------------------------------------------------


def _is_gpkg(path: Path) -> bool:
    """SQLite's magic and the GeoPackage application id (GeoPackage 1.2 section 1.1.1)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(72)
    except OSError:
        return False
    return (len(head) == 72 and head.startswith(b"SQLite format 3\x00")
            and head[68:72] in _APPLICATION_IDS)


def _source(path: Path) -> Path:
    if not path.is_dir():
        return path
    if (path / FILE).is_file():
        return path / FILE
    found = sorted(path.glob("*.gpkg"))
    if len(found) != 1:
        raise FormatError(f"{path}: no {FILE} here" if not found else
                          f"{path}: {len(found)} .gpkg files here; name one")
    return found[0]


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a GeoPackage (a file, or a folder holding ``map.gpkg``) into map features."""
    source = _source(path)
    check_input_size(source)
    if not _is_gpkg(source):
        raise FormatError(f"{source}: not a GeoPackage (no SQLite header with the GPKG "
                          "application id)")
    if not context.schema.crs:
        raise FormatError(f"{source}: the project has no CRS to place GeoPackage "
                          "features in; set 'crs' in the schema")
    return _read_layers(source, context)


# -- read ------------------------------------------------------------------------------------

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
        if name in _TAKEN or _is_link(name, column):
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
    from pyogrio import raw

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


def _read_layers(source: Path, context: ImportContext) -> ImportResult:
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


def detect(path: Path) -> bool:
    """``map.gpkg``, a folder holding it, or a ``.gpkg`` GeoPackage file."""
    if path.is_dir():
        path = path / FILE
    return path.is_file() and path.suffix.lower() == ".gpkg" and _is_gpkg(path)


def _kinds() -> Iterable[str]:
    return (kind for kind in LAYERS if kind != "lanelet")


FORMAT = FormatSpec(
    id="gpkg",
    title="GeoPackage map features (OGC, project CRS, 3D)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset(_kinds()),
    extensions=(".gpkg",),
    media="pointcloud",
)
