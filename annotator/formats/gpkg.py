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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from annotator import __version__
from annotator.errors import FormatError
from annotator.formats.base import (
    FormatSpec,
    ImportContext,
    ImportResult,
    ProjectView,
    Report,
    check_input_size,
    single_file,
)
from annotator.geometry.heights import is_ellipsoidal
from annotator.geometry.mapnet import LEFT, RIGHT, boundary_ref, is_lanelet
from annotator.model import Annotation, LabelSchema
from annotator.shapes import Geometry, Point3D, Polygon3D

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
TAKEN = {"fid", "geom", *BASE_COLUMNS, *LANELET_COLUMNS}
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


def _declared(schema: LabelSchema) -> dict[tuple[str, str], str]:
    """The column type each (class, attribute) of the schema asks for."""
    return {(c.name, a.name): a.type if a.type in ("bool", "int", "float") else "str"
            for c in schema.classes for a in c.attributes}


def _column_type(declared: dict[tuple[str, str], str], name: str,
                 rows: Sequence[tuple[str, Annotation]]) -> str:
    """One column type for an attribute: the schema's where the values fit it (a float
    attribute holding 40 is still a real column), else the values'; text when they mix."""
    seen: set[str] = set()
    for _, annotation in rows:
        value = annotation.attributes.get(name)
        if value is None:
            continue
        found = _value_type(value)
        wanted = declared.get((annotation.label, name), found)
        if wanted == "float" and found in ("int", "float"):
            seen.add("float")
        else:
            seen.add(found if found == wanted else "str")
    if seen == {"int", "float"}:
        return "float"
    return seen.pop() if len(seen) == 1 else "str"


def _is_plain(value: Any) -> bool:
    if isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return abs(value) < 2**63
    return isinstance(value, float) and math.isfinite(value)


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
    taken = {n.lower() for n in TAKEN}
    taken |= {f"link_{n}".lower() for n in _link_columns(layer)}
    folded: dict[str, str] = {}
    for name in names:
        low = name.lower()
        if low in taken:
            raise FormatError(f"{where}: attribute {name!r} has the name of a column this "
                              f"format writes ({', '.join(sorted(TAKEN - {'fid', 'geom'}))}"
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


def _wkb_layer(layer: _Layer) -> np.ndarray:
    """ISO WKB of a layer's geometries, made in one pass by shapely where the layer holds
    one simple kind (polygons with holes go one by one)."""
    import shapely

    geometries = [a.geometry for _, a in layer.rows]
    if not geometries:
        return np.array([], dtype=object)
    if any(isinstance(g, Polygon3D) and g.holes for g in geometries) or len(
            {type(g) for g in geometries}) > 1:
        return np.array([_wkb(g) for g in geometries], dtype=object)
    vertices = [g.shell if isinstance(g, Polygon3D) else np.asarray(g.vertices)
                for g in geometries]
    coordinates = np.concatenate(vertices)
    index = np.repeat(np.arange(len(vertices)), [len(v) for v in vertices])
    if isinstance(geometries[0], Polygon3D):
        shapes = shapely.polygons(shapely.linearrings(coordinates, indices=index))
    elif isinstance(geometries[0], Point3D):
        shapes = shapely.points(coordinates)
    else:
        shapes = shapely.linestrings(coordinates, indices=index)
    return np.asarray(shapely.to_wkb(shapes, output_dimension=3, flavor="iso"), dtype=object)


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
    declared = _declared(schema)
    for name in _attribute_names(layer, where):
        kind = _column_type(declared, name, rows)
        if kind == "int" and name.lower().startswith("link_"):
            raise FormatError(f"{where}: attribute {name!r} holds whole numbers, which a "
                              "reader takes for a link (integer link_* columns); rename it")
        values = [a.attributes.get(name) for _, a in rows]
        for (tile, annotation), value in zip(rows, values, strict=True):
            if value is not None and not _is_plain(value):
                _plain_value(value, f"{where}: {tile}: annotation {annotation.id}: "
                             f"attribute {name!r}")
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
    geometry = _wkb_layer(layer)
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




def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a GeoPackage (a file, or a folder holding ``map.gpkg``) into map features."""
    source = single_file(path, FILE, ".gpkg")
    check_input_size(source)
    if not _is_gpkg(source):
        raise FormatError(f"{source}: not a GeoPackage (no SQLite header with the GPKG "
                          "application id)")
    if not context.schema.crs:
        raise FormatError(f"{source}: the project has no CRS to place GeoPackage "
                          "features in; set 'crs' in the schema")
    from annotator.formats._gpkg_read import read_layers

    return read_layers(source, context)


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
