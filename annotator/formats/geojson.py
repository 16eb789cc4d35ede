"""GeoJSON (RFC 7946) for map features on point-cloud tiles, both ways.

Export writes **one file per project**, ``map.geojson``: a FeatureCollection
in WGS84 longitude, latitude and height, so features that cross a tile seam
stay in one file a GIS can open.  Each map annotation is one Feature:

- ``polyline3d`` -> ``LineString``; ``polygon3d`` -> ``Polygon`` (rings closed,
  first position repeated last, in the stored vertex order: RFC 7946 3.1.6
  lets parsers take either winding, and keeping the order makes a round trip
  give back the same vertices); ``point3d`` -> ``Point``;
- cuboids are skipped and reported (GeoJSON has no solids, and a footprint
  would not come back as the box; the cuboids and openlabel formats hold
  them), and so are the 2D image kinds (they are pixels, not places).

Properties: ``class``, ``kind``, ``id`` (the annotation's), ``tile`` (the
tile's file name), ``links`` when the annotation has any (a lanelet's
``{"left": 12, "right": -13}``: the ``id`` of its boundary Features, negative
when used reversed; a sign's ``stop_line``/``lanelet``), and the annotation's
attributes beside them (an attribute named like one of those is refused).
Import gives the links back between the imported annotations.  The collection carries an
``annotator`` member with the project CRS it came from.

Coordinates: geometry is stored in the project CRS (the schema's ``crs``) in
float64, ``x`` east and ``y`` north.  pyproj transforms with
``always_xy=True``, so axis order is easting/northing in and longitude/
latitude out even for CRSs that list northing first (JGD2011 plane
rectangular, EPSG:6669-6687, has X north and Y east).  Longitude and latitude
are written with 11 decimals (about 1 micrometre; RFC 7946's suggested 6 are
about 10 cm, too coarse for HD maps).  **Heights are above the WGS84
ellipsoid**, as RFC 7946 (3.1.1) says: when the schema's ``heights`` is a
vertical CRS (e.g. EPSG:6695, orthometric), the stored ``z`` is converted with
:func:`annotator.geometry.heights.to_ellipsoidal` (its geoid grid, or PROJ's)
and converted back on import; an export or import that needs a geoid grid
nobody supplied is refused before anything is written.  The head member says
``"heights": "ellipsoidal"`` and which heights the project keeps.  A
tile whose own ``crs`` differs from the project's has its features skipped
and reported.  A project without a CRS is refused: GeoJSON is WGS84.

Import reads such files and GeoJSON from other tools (QGIS-style
FeatureCollections): each Feature needs a ``class`` property and a ``tile``
(on the Feature, or a ``tile`` member of the collection for all of them);
other plain properties become attributes, nested ones are dropped and
reported.  Positions without a height get ``z = 0`` in the project's heights
(reported).  Files this format wrote before heights were converted (head
``"heights": "unchanged"``) are read with their heights as they are.  A GeoJSON
2008 ``crs`` member is honoured when it names WGS84 lon/lat (CRS84,
EPSG:4326) and refused otherwise.  Unknown geometry types (Multi*,
GeometryCollection) are refused.

>>> import tempfile
>>> from annotator.model import Annotation, Item, LabelClass, LabelSchema
>>> from annotator.shapes import Polyline3D
>>> schema = LabelSchema("s", (LabelClass("lane_line", "#e69f00", ("polyline3d",)),),
...                      crs="EPSG:6677")
>>> item = Item(1, "t.laz", "pointcloud", "laz", "", 0, points=10)
>>> line = Annotation(1, 1, "lane_line", Polyline3D([[0.0, 40000.0, 5.0], [10.0, 40000.0, 5.5]]))
>>> view = ProjectView.from_items(schema, [ExportItem(item, "t.laz", (line,))])
>>> out = Path(tempfile.mkdtemp())
>>> write(view, out).files
['map.geojson']
>>> back = read(out, ImportContext(schema)).images[0].shapes[0].geometry
>>> bool(abs(back.vertices - line.geometry.vertices).max() < 1e-6)
True
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from annotator import __version__
from annotator.errors import FormatError
from annotator.formats._keys import settle_keys
from annotator.formats.base import (
    ExportItem,
    FormatSpec,
    ImportContext,
    ImportedImage,
    ImportedShape,
    ImportResult,
    ProjectView,
    Report,
    check_labels,
    finite,
    head_of,
    read_json,
    safe_name,
    shape_or_error,
    single_file,
    typed_attribute,
)
from annotator.geometry.heights import check as check_heights
from annotator.geometry.heights import from_ellipsoidal, to_ellipsoidal
from annotator.model import Annotation, LabelSchema
from annotator.shapes import Geometry, Point3D, Polygon3D, Polyline3D

__all__ = ["DECIMALS", "FILE", "FORMAT", "MARK", "detect", "read", "write"]

FILE = "map.geojson"
MARK = "annotator-geojson"
VERSION = 1
#: decimals of longitude and latitude (1e-11 degree is about 1 micrometre)
DECIMALS = 11
RESERVED = ("class", "kind", "id", "tile", "links")
_GEOMETRY = {"polyline3d": "LineString", "polygon3d": "Polygon", "point3d": "Point"}
_KIND = {v: k for k, v in _GEOMETRY.items()}
_WGS84_NAMES = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "crs84",
                "epsg:4326", "urn:ogc:def:crs:epsg::4326", "urn:ogc:def:crs:epsg:4326",
                "wgs84"}
_SNIFF = re.compile(rb'"type"\s*:\s*"FeatureCollection"')
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False,
                           separators=(",", ":")).encode


# -- the transformation ----------------------------------------------------------------------


@cache
def _transformer(source: str, target: str) -> Any:
    from pyproj import Transformer
    from pyproj.exceptions import CRSError, ProjError

    try:
        return Transformer.from_crs(source, target, always_xy=True)
    except (CRSError, ProjError) as exc:
        raise FormatError(f"geojson: cannot transform from {source} to {target} ({exc})"
                          ) from None


def _project_crs(schema: LabelSchema, what: str) -> str:
    if not schema.crs:
        raise FormatError(f"geojson {what}: the project has no CRS; GeoJSON is WGS84 "
                          "longitude/latitude, so set 'crs' in the schema (e.g. EPSG:6677)")
    return schema.crs


def _heights_or_error(convert: Any, schema: LabelSchema, xyz: np.ndarray,
                      where: str) -> np.ndarray:
    try:
        return np.asarray(convert(schema, xyz), dtype=np.float64)
    except FormatError as exc:
        raise FormatError(f"{where}: {exc}") from None


def to_lonlat(schema: LabelSchema, xyz: np.ndarray, where: str) -> np.ndarray:
    """Project-CRS ``(n, 3)`` easting, northing, height to lon, lat, ellipsoidal height."""
    crs = _project_crs(schema, "export")
    lon, lat = _transformer(crs, "EPSG:4326").transform(xyz[:, 0], xyz[:, 1], errcheck=False)
    out = np.column_stack([np.asarray(lon, np.float64), np.asarray(lat, np.float64),
                           xyz[:, 2]])
    if not np.isfinite(out).all():
        raise FormatError(f"{where}: coordinates lie outside what {crs} can transform "
                          "to WGS84")
    out[:, 2] = _heights_or_error(to_ellipsoidal, schema, xyz, where)
    return out


def from_lonlat(schema: LabelSchema, positions: np.ndarray, where: str,
                convert: bool = True) -> np.ndarray:
    """WGS84 lon, lat, ellipsoidal height to project-CRS easting, northing, height.

    A NaN height (a position without one) becomes ``z = 0`` in the project's heights;
    ``convert=False`` keeps heights as they are (files from before the conversion).
    """
    crs = _project_crs(schema, "import")
    x, y = _transformer("EPSG:4326", crs).transform(positions[:, 0], positions[:, 1],
                                                    errcheck=False)
    missing = np.isnan(positions[:, 2])
    out = np.column_stack([np.asarray(x, np.float64), np.asarray(y, np.float64),
                           np.where(missing, 0.0, positions[:, 2])])
    if not np.isfinite(out).all():
        raise FormatError(f"{where}: a position lies outside what {crs} can represent")
    if convert:
        out[:, 2] = _heights_or_error(from_ellipsoidal, schema, out, where)
        out[missing, 2] = 0.0
    return out


# -- write -----------------------------------------------------------------------------------


def _positions(schema: LabelSchema, xyz: np.ndarray, where: str) -> list[list[float]]:
    out = to_lonlat(schema, np.asarray(xyz, np.float64), where)
    return [[round(float(lon), DECIMALS), round(float(lat), DECIMALS), float(z)]
            for lon, lat, z in out]


def _geometry(schema: LabelSchema, geometry: Geometry, where: str) -> dict[str, Any]:
    if isinstance(geometry, Polygon3D):
        rings = []
        for ring in (geometry.shell, *geometry.holes):
            positions = _positions(schema, ring, where)
            rings.append([*positions, positions[0]])
        return {"type": "Polygon", "coordinates": rings}
    positions = _positions(schema, geometry.vertices, where)
    if isinstance(geometry, Point3D):
        return {"type": "Point", "coordinates": positions[0]}
    return {"type": "LineString", "coordinates": positions}


def _feature(schema: LabelSchema, export_item: ExportItem, annotation: Annotation) -> str:
    where = f"geojson export: {export_item.file_name}: annotation {annotation.id}"
    for name in annotation.attributes:
        if name in RESERVED:
            raise FormatError(f"{where}: attribute {name!r} has the name of a GeoJSON "
                              f"property this format writes ({', '.join(RESERVED)})")
    properties: dict[str, Any] = {"class": annotation.label, "kind": annotation.kind,
                                  "id": annotation.id, "tile": export_item.file_name}
    if annotation.links:
        properties["links"] = {str(k): int(annotation.links[k]) for k in sorted(annotation.links)}
    properties.update({str(k): annotation.attributes[k] for k in sorted(annotation.attributes)})
    feature = {"type": "Feature", "id": annotation.id,
               "geometry": _geometry(schema, annotation.geometry, where),
               "properties": properties}
    try:
        return _ENCODE(feature)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{where}: attributes are not plain JSON values ({exc})") from None


def write(view: ProjectView, out: Path) -> Report:
    """Write ``map.geojson`` with one Feature per map annotation of every tile."""
    crs = _project_crs(view.schema, "export")
    _transformer(crs, "EPSG:4326")
    _check_heights(view.schema, "export")
    report = Report(FORMAT.id)
    head = {"format": MARK, "version": VERSION, "crs": crs, "heights": "ellipsoidal",
            "project_heights": view.schema.heights,
            "schema": view.schema.name, "tool": f"annotator {__version__}"}
    count = 0
    with (out / FILE).open("w", encoding="utf-8", newline="\n") as handle:
        handle.write('{"type":"FeatureCollection",\n"annotator":' + _ENCODE(head)
                     + ',\n"features":[')
        for export_item in view.items():
            report.images += 1
            tile_crs = export_item.item.crs
            for annotation in export_item.annotations:
                if annotation.kind == "cuboid":
                    report.skip(export_item, annotation, "GeoJSON has no solids; export "
                                "cuboids with the cuboids or openlabel format")
                elif annotation.kind not in _GEOMETRY:
                    report.skip(export_item, annotation, f"{annotation.kind} is an image "
                                "shape, not a map feature")
                elif tile_crs and tile_crs != crs:
                    report.skip(export_item, annotation, f"the tile is in {tile_crs}, not "
                                f"the project's {crs}")
                else:
                    handle.write(("\n" if count == 0 else ",\n")
                                 + _feature(view.schema, export_item, annotation))
                    count += 1
                    report.wrote(annotation)
        handle.write("\n]}\n")
    report.files.append(FILE)
    return report


def _check_heights(schema: LabelSchema, what: str) -> None:
    try:
        check_heights(schema)
    except FormatError as exc:
        raise FormatError(f"geojson {what}: {exc}") from None


# -- read ------------------------------------------------------------------------------------


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return abs(value) < 10**15
    return isinstance(value, float) and math.isfinite(value) and abs(value) < 1e15


def _key_of(value: Any) -> str | None:
    """A feature's ``id`` as the key links name it by."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def _links_of(value: Any) -> dict[str, str] | None:
    """``links`` ``{"left": 12, "right": -13}`` as import links (``-`` = reversed use);
    ``{}`` when absent, None when it is something else (dropped, reported)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        return None
    links: dict[str, str] = {}
    for name, target in value.items():
        if isinstance(target, bool) or not isinstance(target, int) or target == 0:
            return None
        links[name] = f"-{-target}" if target < 0 else str(target)
    return links


def _check_crs_member(data: Mapping[str, Any], where: str) -> None:
    """GeoJSON 2008 ``crs``: honoured when it names WGS84 lon/lat, refused otherwise."""
    if "crs" not in data or data["crs"] is None:
        return
    crs = data["crs"]
    name = None
    if isinstance(crs, dict) and crs.get("type") == "name" and isinstance(
            crs.get("properties"), dict):
        name = crs["properties"].get("name")
    if not isinstance(name, str) or name.strip().lower() not in _WGS84_NAMES:
        raise FormatError(f"{where}: 'crs' member {json.dumps(crs)[:80]} is not WGS84 "
                          "lon/lat; RFC 7946 GeoJSON is WGS84 only, re-export it as such")


def _position(value: Any, where: str, heights: list[int]) -> list[float]:
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise FormatError(f"{where}: a position is 2 or 3 numbers, got {str(value)[:60]}")
    for number in value:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise FormatError(f"{where}: {str(number)[:40]} is not a number")
    lon = finite(value[0], where, 180.0)
    lat = finite(value[1], where, 90.0)
    if len(value) == 2:
        heights[0] += 1
        return [lon, lat, math.nan]
    return [lon, lat, finite(value[2], where, 1e5)]


def _line(value: Any, where: str, heights: list[int], least: int) -> np.ndarray:
    if not isinstance(value, list) or len(value) < least:
        raise FormatError(f"{where}: expected a list of at least {least} positions")
    return np.array([_position(p, where, heights) for p in value], dtype=np.float64)


def _shape_of(geometry: Any, project: Callable[[np.ndarray, str], np.ndarray], where: str,
              heights: list[int]) -> Geometry:
    if not isinstance(geometry, dict):
        raise FormatError(f"{where}: 'geometry' must be a GeoJSON geometry object")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        point = project(np.array([_position(coordinates, where, heights)]), where)
        return shape_or_error(lambda: Point3D(point), where)
    if kind == "LineString":
        line = project(_line(coordinates, where, heights, 2), where)
        return shape_or_error(lambda: Polyline3D(line), where)
    if kind == "Polygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise FormatError(f"{where}: a Polygon needs at least one ring")
        rings = []
        for index, raw in enumerate(coordinates):
            ring = _line(raw, f"{where}: ring {index}", heights, 4)
            if not np.array_equal(ring[0], ring[-1], equal_nan=True):
                raise FormatError(f"{where}: ring {index} is not closed (RFC 7946 rings end "
                                  "where they start)")
            rings.append(project(ring[:-1], where))
        return shape_or_error(lambda: Polygon3D(rings[0], tuple(rings[1:])), where)
    raise FormatError(f"{where}: geometry type {str(kind)[:40]!r} is not taken (Point, "
                      "LineString or Polygon)")




def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a GeoJSON FeatureCollection (a file, or a folder holding ``map.geojson``)."""
    source = single_file(path, FILE, ".geojson")
    where = str(source)
    data = read_json(source)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise FormatError(f"{where}: not a GeoJSON FeatureCollection")
    schema = context.schema
    _project_crs(schema, "import")
    _check_crs_member(data, where)
    head = data.get("annotator")
    convert = not (isinstance(head, dict) and head.get("format") == MARK
                   and head.get("heights") == "unchanged")
    if convert:
        _check_heights(schema, "import")

    def project(positions: np.ndarray, place: str) -> np.ndarray:
        return from_lonlat(schema, positions, place, convert)

    features = data.get("features")
    if not isinstance(features, list):
        raise FormatError(f"{where}: 'features' must be a list")
    default_tile = data.get("tile")
    result = ImportResult(FORMAT.id)
    images: dict[str, ImportedImage] = {}
    heights = [0]
    dropped: dict[str, int] = {}
    for index, feature in enumerate(features):
        place = f"{where}: features[{index}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise FormatError(f"{place}: not a GeoJSON Feature")
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            raise FormatError(f"{place}: 'properties' must be an object with 'class' and "
                              "'tile'")
        label = properties.get("class")
        if not isinstance(label, str) or not label:
            raise FormatError(f"{place}: no 'class' property naming a class")
        tile = properties.get("tile", default_tile)
        if tile is None:
            raise FormatError(f"{place}: no 'tile' property (nor a collection 'tile') "
                              "naming the point-cloud tile")
        name = safe_name(tile, place)
        geometry = _shape_of(feature.get("geometry"), project, place, heights)
        kind = properties.get("kind")
        if kind is not None and kind != geometry.kind:
            raise FormatError(f"{place}: 'kind' {str(kind)[:40]!r} does not match its "
                              f"{_GEOMETRY[geometry.kind]} geometry")
        label_class = context.schema.get(label) if label in context.schema else None
        attributes: dict[str, Any] = {}
        for key, value in properties.items():
            if key in RESERVED:
                continue
            if not _plain(value):
                dropped[key] = dropped.get(key, 0) + 1
                continue
            spec = label_class.attribute(key) if label_class else None
            attributes[key] = typed_attribute(spec, value, f"{place}: property {key!r}")
        links = _links_of(properties.get("links"))
        if links is None:
            dropped["links"] = dropped.get("links", 0) + 1
            links = {}
        image = images.setdefault(name, ImportedImage(name))
        image.shapes.append(ImportedShape(label, geometry, attributes,
                                          key=_key_of(properties.get("id", feature.get("id"))),
                                          links=links))
    if heights[0]:
        result.problems.append(f"{where}: {heights[0]} position(s) had no height; z set to 0")
    for key in sorted(dropped):
        result.problems.append(f"{where}: property {key!r} is not a plain value on "
                               f"{dropped[key]} feature(s); not imported")
    result.problems += settle_keys(images.values(), where)
    result.images = list(images.values())
    check_labels(result, context.schema, path)
    return result


# -- detect ----------------------------------------------------------------------------------


def _sniff(path: Path) -> bool:
    head = head_of(path, 4096)
    return head is not None and head.startswith(b"{") and _SNIFF.search(head) is not None


def detect(path: Path) -> bool:
    """``map.geojson``, a folder holding it, or a ``.geojson``/``.json`` FeatureCollection."""
    if path.is_dir():
        path = path / FILE
    return (path.is_file() and path.suffix.lower() in (".geojson", ".json")
            and _sniff(path))


FORMAT = FormatSpec(
    id="geojson",
    title="GeoJSON map features (RFC 7946, WGS84)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset(_KIND.values()),
    extensions=(".geojson", ".json"),
    media="pointcloud",
)
