"""Lanelet2 OSM XML maps (the format of the lanelet2 library and Autoware), both ways.

**Export** writes one map for the whole view: ``lanelet2_map.osm`` and,
beside it, Autoware's ``map_projector_info.yaml``.

- **Nodes.**  Every vertex of every line and area; vertices with the same
  :func:`~annotator.geometry.mapnet.point_key` (a 0.1 mm grid) are ONE node,
  which is how Lanelet2 sees connectivity (successors, tile seams).  Each node
  has ``lat``/``lon`` (WGS84, 11 decimals, about 1 micrometre), ``ele`` (the
  ellipsoidal height, converted by :mod:`annotator.geometry.heights` from the
  project's heights) and Autoware's ``local_x``/``local_y``.
- **Projector.**  ``map_projector_info.yaml`` names Autoware's
  ``TransverseMercator`` projector.  When the project CRS is itself a
  Transverse Mercator (JGD2011 plane rectangular zones, UTM), the projector is
  that CRS's natural origin and scale factor, so ``local_x``/``local_y`` are
  the project coordinates less the false easting/northing (for JGD2011 zones:
  equal to them, x east, y north).  Otherwise it is a Transverse Mercator at
  the map's first node with scale 1.  ``local_x``/``local_y`` are computed from
  ``lat``/``lon`` with that projection (pyproj), so they mean exactly what
  Autoware computes; ``vertical_datum`` is ``WGS84`` (``ele`` is ellipsoidal).
- **Ways** from ``polyline3d``: ``lane_line`` -> ``line_thin`` with subtype
  ``solid``/``dashed``/``solid_solid``/``solid_dashed``/``dashed_solid`` from
  ``line_type`` and a ``color`` tag; ``road_edge`` -> ``curbstone``/``high``
  (curb), ``guard_rail``, ``wall``, ``road_border`` (unmarked); ``stop_line``
  -> ``stop_line``; other classes -> ``type`` = the class name.  ``polygon3d``
  -> a way with ``area=yes`` whose first node is not repeated (as
  ``lanelet2.io.write`` writes polygons; the reader takes either):
  ``crosswalk`` -> ``crosswalk_polygon``, ``parking_area`` -> ``parking_lot``,
  other classes -> the class name.  Areas with holes are skipped and reported.
- **Signs and lights.**  A Lanelet2 regulatory element ``refers`` to
  linestrings, not points, so a ``traffic_sign``/``traffic_light`` point is a
  horizontal 0.6 m linestring of three nodes centred on it at its height
  (the plate, or the bottom of the light, running east-west), ``type``
  ``traffic_sign`` with ``subtype`` = ``sign_code`` (else ``sign_type``), or
  ``traffic_light`` with ``subtype`` ``red_yellow_green``.  Each gets a
  ``regulatory_element`` relation (subtype ``traffic_sign``/``traffic_light``,
  ``refers`` it, ``ref_line`` its linked stop line) referenced (role
  ``regulatory_element``) from the lanelet it links, else from every lanelet
  its stop line crosses (:func:`~annotator.geometry.mapnet.crossed_lanelets`).
  A ``stop`` or ``yield`` sign with a stop line also makes a ``right_of_way``
  element: the lanelets at its stop line ``yield``, and the lanelets whose
  area overlaps (0.5 m² or more) a lanelet they lead into have the
  ``right_of_way`` (the main road a turn crosses); with none, no element is
  written, since Lanelet2 refuses a right_of_way without a priority lanelet.
  It is tagged ``annotator:derived`` and not imported back (the sign is).
  Other points (poles) are tagged nodes.
- **Lanelets** (annotations linking ``left``/``right``): relations
  ``type=lanelet`` with exactly one ``left`` and one ``right`` way and tags
  ``subtype`` (``intersection`` and ``parking`` become ``road``: Lanelet2 has no
  such lanelets), ``location``, ``speed_limit``, ``one_way`` (yes/no),
  ``turn_direction``.  A boundary used reversed is written as the plain way,
  as ``lanelet2.io.write`` does: Lanelet2 has no inverted member role; its
  reader orients both boundaries from their geometry (left on the left).
- **Round trip.**  Every way, tagged node and lanelet carries
  ``annotator:class``, ``annotator:tile``, ``annotator:id`` and each attribute
  as ``annotator:attr:NAME``; lanelets carry ``annotator:reversed``
  (``none``/``left``/``right``/``both``).  Our own files come back with the same
  classes, attributes, tiles and links; coordinates within a micrometre.
- A ``MetaInfo`` element (``format_version``, ``map_version``) as Autoware's
  Vector Map Builder writes it; ids are positive: nodes, then ways, then relations.
  A view without map features gives a valid, empty map.  Cuboids, image
  shapes, areas with holes, lanelets without both boundary links (or whose
  boundaries are not written) and features of tiles in another CRS are skipped
  and reported.

**Import** reads our export, Vector Map Builder maps, maps written by
``lanelet2.io.write`` and JOSM files (negative ids, ``action=modify``, the
tags of the Lanelet2 JOSM presets, e.g. ``stop`` for a stop line). Nodes go
from ``lat``/``lon`` to the project CRS with pyproj (``local_x``/``local_y``
are not read: they depend on a projector file the map may not come with),
``ele`` to the project's heights (a node without one gets 0, reported). Ways
become lines, areas (``area=yes``, or a closed way of an area type) and
sign/light points by the export table read backwards; a type no entry maps
becomes the class of that name when the schema has it, else it is reported and
skipped (and so is a lanelet whose boundary is skipped). Lanelet relations
become their two boundary lines and a ``lanelet`` annotation linking them (a
negative link for a boundary the geometry says is reversed,
:func:`~annotator.geometry.mapnet.orient_boundaries`, as Lanelet2's own reader
orients them); traffic-sign and traffic-light regulatory elements link their
sign to the ``ref_line`` (``stop_line``), and to the first lanelet referencing
them when they have no ref_line. Tags become the attributes the class declares
(``speed_limit`` in km/h from ``50``, ``50 km/h``, ``30mph``; ``one_way``
yes/no); a value that does not fit the schema is dropped and reported. Each
feature goes to the tile its ``annotator:tile`` tag names, else to the
point-cloud tile whose origin is nearest its first vertex.
Malformed maps (missing nodes or members, a lanelet without exactly one left
and one right, duplicate ids, coordinates that are not finite numbers,
DTDs/entities, truncated XML) are refused in one line naming the element.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import numpy as np
import numpy.typing as npt

from annotator import __version__
from annotator.errors import FormatError, GeometryError
from annotator.formats.base import (
    ExportItem,
    FormatSpec,
    ImportContext,
    ImportedImage,
    ImportedShape,
    ImportResult,
    ProjectView,
    Report,
    attribute_text,
    finite,
    head_of,
    read_xml,
    shape_or_error,
    single_file,
    typed_attribute,
)
from annotator.geometry.heights import check as check_heights
from annotator.geometry.heights import from_ellipsoidal, to_ellipsoidal
from annotator.geometry.mapnet import (
    LANELET,
    LEFT,
    RIGHT,
    STOP_LINE,
    LaneletView,
    boundary_ref,
    crossed_lanelets,
    lanelet_polygon,
    orient_boundaries,
    point_key,
)
from annotator.model import Annotation, Item, LabelSchema
from annotator.shapes import Geometry, Point3D, Polygon3D, Polyline3D

__all__ = ["FILE", "FORMAT", "PROJECTOR_FILE", "Projector", "detect", "projector", "read",
           "write"]

FILE = "lanelet2_map.osm"
PROJECTOR_FILE = "map_projector_info.yaml"
F64 = npt.NDArray[np.float64]
#: decimals of latitude and longitude (1e-11 degree is about 1 micrometre)
DECIMALS = 11
KEY_GRID = 1e-4
PREFIX = "annotator:"
ATTR = "annotator:attr:"
#: half the width of the linestring a sign or light point becomes (m)
SIGN_HALF_WIDTH = 0.3

_LINE_SUBTYPE = {"solid": "solid", "dashed": "dashed", "double_solid": "solid_solid",
                 "solid_dashed": "solid_dashed", "dashed_solid": "dashed_solid"}
_LINE_TYPE = {v: k for k, v in _LINE_SUBTYPE.items()}
_EDGE = {"curb": ("curbstone", "high"), "guardrail": ("guard_rail", ""),
         "wall": ("wall", ""), "unmarked": ("road_border", "")}
_EDGE_TYPE = {"curbstone": "curb", "guard_rail": "guardrail", "wall": "wall",
              "road_border": "unmarked"}
_AREA = {"crosswalk": "crosswalk_polygon", "parking_area": "parking_lot"}
_AREA_CLASS = {"crosswalk_polygon": "crosswalk", "crosswalk": "crosswalk",
               "parking_lot": "parking_area", "parking": "parking_area",
               "parking_space": "parking_area"}
_SIGNALS = ("traffic_sign", "traffic_light")
_LANELET_SUBTYPE = {"intersection": "road", "parking": "road"}
_LANELET_TAGS = ("subtype", "location", "speed_limit", "one_way", "turn_direction")
_BAD_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SNIFF = re.compile(rb"<osm[\s>]")
_SPEED = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(km/h|kmh|kph|mph|m/s|mps)?\s*$", re.I)


# -- the projection ------------------------------------------------------------------------


@cache
def _transformer(source: str, target: str) -> Any:
    from pyproj import Transformer
    from pyproj.exceptions import CRSError, ProjError

    try:
        return Transformer.from_crs(source, target, always_xy=True)
    except (CRSError, ProjError) as exc:
        raise FormatError(f"lanelet2: cannot transform from {source} to {target} ({exc})"
                          ) from None


@dataclass(frozen=True)
class Projector:
    """Autoware's ``TransverseMercator`` projector: where ``local_x``/``local_y`` start."""

    latitude: float
    longitude: float
    scale_factor: float

    @property
    def proj(self) -> str:
        return (f"+proj=tmerc +lat_0={self.latitude!r} +lon_0={self.longitude!r} "
                f"+k={self.scale_factor!r} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs")

    def local(self, lon: F64, lat: F64) -> tuple[F64, F64]:
        x, y = _transformer("EPSG:4326", self.proj).transform(lon, lat, errcheck=False)
        return np.asarray(x, np.float64), np.asarray(y, np.float64)

    def yaml(self) -> str:
        return ("# Autoware map projection of lanelet2_map.osm (local_x/local_y of its nodes)\n"
                "projector_type: TransverseMercator\n"
                "vertical_datum: WGS84\n"
                "map_origin:\n"
                f"  latitude: {self.latitude!r}\n"
                f"  longitude: {self.longitude!r}\n"
                "  altitude: 0.0\n"
                f"scale_factor: {self.scale_factor!r}\n")


def projector(crs: str, lon: float, lat: float) -> Projector:
    """The projector for a project CRS: its own natural origin when it is a Transverse
    Mercator, else a Transverse Mercator at ``lon``/``lat`` (the map's first node).

    >>> projector("EPSG:6677", 139.7, 35.7)  # JGD2011 zone IX: its natural origin
    Projector(latitude=36.0, longitude=139.83333333333334, scale_factor=0.9999)
    >>> projector("EPSG:4326", 139.7, 35.7)
    Projector(latitude=35.7, longitude=139.7, scale_factor=1.0)
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        operation = CRS(crs).coordinate_operation
    except CRSError as exc:
        raise FormatError(f"lanelet2: the project CRS {crs} is not usable ({exc})") from None
    if operation is not None and operation.method_name == "Transverse Mercator":
        params = {p.name: float(p.value) for p in operation.params}
        try:
            return Projector(params["Latitude of natural origin"],
                             params["Longitude of natural origin"],
                             params["Scale factor at natural origin"])
        except KeyError:
            pass
    return Projector(round(lat, 7), round(lon, 7), 1.0)


def _project_crs(schema: LabelSchema, what: str) -> str:
    if not schema.crs:
        raise FormatError(f"lanelet2 {what}: the project has no CRS; Lanelet2 maps are WGS84 "
                          "latitude/longitude, so set 'crs' in the schema (e.g. EPSG:6677)")
    return schema.crs


def _heights(convert: Callable[[LabelSchema, F64], Any], schema: LabelSchema, xyz: F64,
             where: str) -> F64:
    """Heights converted between the project's and ellipsoidal ones (a missing geoid grid
    is refused in one line)."""
    try:
        return np.asarray(convert(schema, xyz), dtype=np.float64)
    except FormatError as exc:
        raise FormatError(f"{where}: {exc}") from None


# -- write ---------------------------------------------------------------------------------


def _text(value: str, where: str) -> str:
    if _BAD_XML_TEXT.search(value):
        raise FormatError(f"{where}: {value[:40]!r} holds characters XML cannot carry")
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _tag(key: str, value: str, where: str) -> str:
    return f'    <tag k="{_text(key, where)}" v="{_text(value, where)}"/>\n'


class _Blocks:
    """The tag lines of an element but its id, memoised: a map repeats few of them."""

    def __init__(self) -> None:
        self.memo: dict[Any, str] = {}

    def __call__(self, export_item: ExportItem, annotation: Annotation,
                 standard: Callable[[Annotation], list[tuple[str, str]]], extra: str = ""
                 ) -> str:
        attrs = annotation.attributes
        try:
            key: Any = (standard, annotation.label, annotation.kind, export_item.file_name,
                        extra, tuple(sorted(attrs.items())))
            hash(key)
        except TypeError:
            key = None
        block = self.memo.get(key) if key is not None else None
        if block is None:
            where = f"lanelet2 export: {export_item.file_name}: annotation {annotation.id}"
            parts = [_tag(k, v, where) for k, v in standard(annotation)]
            if extra:
                parts.append(_tag("annotator:reversed", extra, where))
            parts.append(_tag("annotator:class", annotation.label, where))
            parts.append(_tag("annotator:tile", export_item.file_name, where))
            for name in sorted(attrs):
                if attrs[name] is not None:
                    parts.append(_tag(ATTR + str(name), attribute_text(attrs[name]), where))
            block = "".join(parts)
            if key is not None:
                self.memo[key] = block
        return f'{block}    <tag k="annotator:id" v="{annotation.id}"/>\n'


def _point_tags(annotation: Annotation) -> list[tuple[str, str]]:
    return [("type", annotation.label)]


def _line_tags(annotation: Annotation) -> list[tuple[str, str]]:
    attrs = annotation.attributes
    if annotation.kind == "polygon3d":
        return [("type", _AREA.get(annotation.label, annotation.label)), ("area", "yes")]
    if annotation.label == "lane_line":
        tags = [("type", "line_thin"),
                ("subtype", _LINE_SUBTYPE.get(str(attrs.get("line_type")), "solid"))]
        if attrs.get("line_color"):
            tags.append(("color", str(attrs["line_color"])))
        return tags
    if annotation.label == "road_edge":
        kind, subtype = _EDGE.get(str(attrs.get("edge_type")), ("road_border", ""))
        return [("type", kind)] + ([("subtype", subtype)] if subtype else [])
    return [("type", annotation.label)]


def _signal_tags(annotation: Annotation) -> list[tuple[str, str]]:
    if annotation.label == "traffic_light":
        return [("type", "traffic_light"), ("subtype", "red_yellow_green")]
    attrs = annotation.attributes
    code = attrs.get("sign_code") or attrs.get("sign_type") or "unknown"
    return [("type", "traffic_sign"), ("subtype", str(code))]


def _lanelet_tags(annotation: Annotation) -> list[tuple[str, str]]:
    attrs = annotation.attributes
    subtype = str(attrs.get("subtype") or "road")
    tags = [("type", "lanelet"), ("subtype", _LANELET_SUBTYPE.get(subtype, subtype)),
            ("location", str(attrs.get("location") or "urban"))]
    if attrs.get("speed_limit") is not None:
        tags.append(("speed_limit", attribute_text(attrs["speed_limit"])))
    one_way = attrs.get("one_way", True)
    tags.append(("one_way", "no" if one_way is False else "yes"))
    if attrs.get("turn_direction"):
        tags.append(("turn_direction", str(attrs["turn_direction"])))
    return tags


@dataclass
class _Plan:
    """What goes into the file, in order, before any of it is formatted."""

    lines: list[tuple[ExportItem, Annotation]] = field(default_factory=list)
    signals: list[tuple[ExportItem, Annotation]] = field(default_factory=list)
    points: list[tuple[ExportItem, Annotation]] = field(default_factory=list)
    lanelets: list[tuple[ExportItem, Annotation]] = field(default_factory=list)


def _plan(view: ProjectView, crs: str, report: Report) -> _Plan:
    plan = _Plan()
    for export_item in view.items():
        report.images += 1
        tile_crs = export_item.item.crs
        for annotation in export_item.annotations:
            kind = annotation.kind
            if kind not in ("polyline3d", "polygon3d", "point3d"):
                reason = ("Lanelet2 has no solids; export cuboids with the cuboids or openlabel "
                          "format" if kind == "cuboid" else
                          f"{kind} is an image shape, not a map feature")
                report.skip(export_item, annotation, reason)
            elif tile_crs and tile_crs != crs:
                report.skip(export_item, annotation,
                            f"the tile is in {tile_crs}, not the project's {crs}")
            elif LEFT in annotation.links and RIGHT in annotation.links:
                plan.lanelets.append((export_item, annotation))
            elif kind == "polygon3d" and annotation.label == LANELET:
                report.skip(export_item, annotation, "a lanelet without left and right "
                            "boundary links has no Lanelet2 form")
            elif kind == "polygon3d" and annotation.geometry.holes:  # type: ignore[attr-defined]
                report.skip(export_item, annotation, "a Lanelet2 area way has no holes")
            elif kind == "point3d":
                (plan.signals if annotation.label in _SIGNALS else plan.points).append(
                    (export_item, annotation))
            else:
                plan.lines.append((export_item, annotation))
    return plan


def _decimals(values: F64, decimals: int) -> list[str]:
    """Numbers as decimal text with at most ``decimals`` places (the shortest text of the
    rounded value: fast, and no exponents)."""
    rounded = np.round(values, decimals)
    texts = list(map(repr, rounded.tolist()))
    for i in np.flatnonzero((rounded != 0) & (np.abs(rounded) < 1e-4)).tolist():
        texts[i] = f"{rounded[i]:.{decimals}f}"
    return texts


def _grid(xyz: F64) -> npt.NDArray[np.int64]:
    """:func:`~annotator.geometry.mapnet.point_key` of many vertices at once."""
    return np.rint(xyz / KEY_GRID).astype(np.int64)


def write(view: ProjectView, out: Path) -> Report:
    """Write ``lanelet2_map.osm`` and ``map_projector_info.yaml`` for the whole view."""
    crs = _project_crs(view.schema, "export")
    _transformer(crs, "EPSG:4326")
    try:
        check_heights(view.schema)
    except FormatError as exc:
        raise FormatError(f"lanelet2 export: {exc}") from None
    report = Report(FORMAT.id)
    plan = _plan(view, crs, report)

    # nodes: line and area vertices merged by point key, then three per signal, one per point
    shapes = [a.geometry.vertices for _, a in plan.lines]
    counts = np.array([len(v) for v in shapes], dtype=np.int64)
    merged = np.concatenate(shapes) if shapes else np.zeros((0, 3))
    if len(merged):
        _, first, inverse = np.unique(_grid(merged), axis=0, return_index=True,
                                      return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        node_of_vertex = rank[inverse]
        line_nodes = merged[first[order]]
    else:
        node_of_vertex = np.zeros(0, dtype=np.int64)
        line_nodes = np.zeros((0, 3))
    offset = np.array([-SIGN_HALF_WIDTH, 0.0, 0.0])
    signal_nodes = [p for _, a in plan.signals
                    for c in (np.asarray(a.geometry.vertices, np.float64)[0],)
                    for p in (c + offset, c, c - offset)]
    point_nodes = [np.asarray(a.geometry.vertices, np.float64)[0] for _, a in plan.points]
    nodes = np.concatenate([line_nodes, np.array(signal_nodes).reshape(-1, 3),
                            np.array(point_nodes).reshape(-1, 3)])
    where = "lanelet2 export"
    lon, lat = _transformer(crs, "EPSG:4326").transform(nodes[:, 0], nodes[:, 1],
                                                        errcheck=False)
    lon, lat = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise FormatError(f"{where}: coordinates lie outside what {crs} can transform to WGS84")
    ele = _heights(to_ellipsoidal, view.schema, nodes, where)
    chosen = projector(crs, float(lon[0]) if len(lon) else 0.0,
                       float(lat[0]) if len(lat) else 0.0)
    local_x, local_y = chosen.local(lon, lat)
    if not (np.isfinite(ele).all() and np.isfinite(local_x).all()
            and np.isfinite(local_y).all()):
        raise FormatError(f"{where}: heights or local coordinates are not finite numbers")

    n_lines, n_signals = len(line_nodes), len(signal_nodes)
    n_plain = n_lines + n_signals
    blocks = _Blocks()
    parts: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n',
                        f'<osm version="0.6" generator="annotator {__version__}">\n',
                        '  <MetaInfo format_version="1" map_version="1"/>\n']
    texts = zip(_decimals(lat, DECIMALS), _decimals(lon, DECIMALS), _decimals(ele, 6),
                _decimals(local_x, 6), _decimals(local_y, 6), strict=True)
    for i, (la, lo, el, lx, ly) in enumerate(texts, start=1):
        parts.append(f'  <node id="{i}" lat="{la}" lon="{lo}">\n    <tag k="ele" v="{el}"/>\n'
                     f'    <tag k="local_x" v="{lx}"/>\n    <tag k="local_y" v="{ly}"/>\n')
        if i > n_plain:
            export_item, annotation = plan.points[i - 1 - n_plain]
            parts.append(blocks(export_item, annotation, _point_tags))
            report.wrote(annotation)
        parts.append("  </node>\n")

    way = len(nodes) + 1
    way_of: dict[int, int] = {}
    nd_text = [f'    <nd ref="{r}"/>\n' for r in range(1, n_lines + 1)]
    nd_all = [nd_text[r] for r in node_of_vertex.tolist()]
    start = 0
    for (export_item, annotation), count in zip(plan.lines, counts.tolist(), strict=True):
        parts.append(f'  <way id="{way}">\n')
        parts.extend(nd_all[start:start + count])
        parts.append(blocks(export_item, annotation, _line_tags))
        parts.append("  </way>\n")
        start += count
        way_of[int(annotation.id or 0)] = way
        report.wrote(annotation)
        way += 1
    signal_way: dict[int, int] = {}
    for index, (export_item, annotation) in enumerate(plan.signals):
        base = n_lines + 3 * index + 1
        parts.append(f'  <way id="{way}">\n    <nd ref="{base}"/>\n    <nd ref="{base + 1}"/>\n'
                     f'    <nd ref="{base + 2}"/>\n')
        parts.append(blocks(export_item, annotation, _signal_tags))
        parts.append("  </way>\n")
        signal_way[int(annotation.id or 0)] = way
        report.wrote(annotation)
        way += 1

    parts.extend(_relations(plan, way_of, signal_way, way, report, blocks))
    parts.append("</osm>\n")
    (out / FILE).write_text("".join(parts), encoding="utf-8", newline="\n")
    (out / PROJECTOR_FILE).write_text(chosen.yaml(), encoding="utf-8", newline="\n")
    report.files.extend([FILE, PROJECTOR_FILE])
    return report


@dataclass(frozen=True)
class _Lanelet:
    export_item: ExportItem
    annotation: Annotation
    left: int
    right: int
    reverse_left: bool
    reverse_right: bool

    def view(self, lines: Mapping[int, Annotation]) -> LaneletView:
        left = np.asarray(lines[self.left].geometry.vertices, np.float64)
        right = np.asarray(lines[self.right].geometry.vertices, np.float64)
        return LaneletView(self.annotation, self.left, self.right,
                           left[::-1] if self.reverse_left else left,
                           right[::-1] if self.reverse_right else right,
                           self.reverse_left, self.reverse_right)


def _lanelets(plan: _Plan, lines: Mapping[int, Annotation], report: Report) -> list[_Lanelet]:
    """The lanelets whose two boundaries are written ways (as
    :func:`~annotator.geometry.mapnet.network` resolves them); the others are reported."""
    found: list[_Lanelet] = []
    for export_item, annotation in plan.lanelets:
        left, reverse_left = boundary_ref(annotation.links, LEFT)
        right, reverse_right = boundary_ref(annotation.links, RIGHT)
        if left not in lines or right not in lines:
            missing = [side for side, ref in ((LEFT, left), (RIGHT, right)) if ref not in lines]
            report.skip(export_item, annotation, f"lanelet not written: its "
                        f"{' and '.join(missing)} boundary is not a 3D polyline written here "
                        f"(links {dict(annotation.links)})")
        elif left == right:
            report.skip(export_item, annotation, "lanelet not written: its left and right "
                        "boundary are the same line")
        else:
            found.append(_Lanelet(export_item, annotation, left, right, reverse_left,
                                  reverse_right))
    return found


_REVERSED = {(False, False): "none", (True, False): "left", (False, True): "right",
             (True, True): "both"}


#: Sign types that make the lanelets at their stop line give way (a right_of_way element).
_YIELDING = ("stop", "yield")
#: Square metres two lanelet areas must share to be in conflict (not just touch).
_CONFLICT_AREA = 0.5


def _priority_lanelets(views: Sequence[LaneletView], yielding: Sequence[int]) -> list[int]:
    """The lanelets that have the right of way over ``yielding`` (ids): those whose area
    overlaps the area of a lanelet the yielding ones lead into (their successors, by
    shared end points), other than the yielding ones and those successors themselves."""
    import shapely

    by_id = {view.id: view for view in views}
    starts: dict[tuple[tuple[int, int, int], tuple[int, int, int]], list[int]] = {}
    for view in views:
        starts.setdefault((point_key(view.left[0]), point_key(view.right[0])), []).append(
            view.id)
    following = {n for y in yielding if y in by_id for n in starts.get(
        (point_key(by_id[y].left[-1]), point_key(by_id[y].right[-1])), [])}
    if not following:
        return []
    ids = [view.id for view in views]
    areas = shapely.make_valid(np.array([shapely.polygons(view.polygon().vertices[:, :2])
                                         for view in views], dtype=object))
    tree = shapely.STRtree(areas)
    taken = set(yielding) | following
    found: list[int] = []
    for n in sorted(following):
        area = areas[ids.index(n)]
        for k in tree.query(area, predicate="intersects").tolist():
            other = ids[k]
            if other in taken or other in found:
                continue
            if float(shapely.area(shapely.intersection(area, areas[k]))) >= _CONFLICT_AREA:
                found.append(other)
    return found


def _relations(plan: _Plan, way_of: Mapping[int, int], signal_way: Mapping[int, int],
               first: int, report: Report, blocks: _Blocks) -> list[str]:
    """The lanelet and regulatory-element relations, ids from ``first`` on."""
    where = "lanelet2 export"
    lines = {int(a.id or 0): a for _, a in plan.lines if isinstance(a.geometry, Polyline3D)}
    exported = _lanelets(plan, lines, report)
    relation_of = {int(x.annotation.id or 0): first + i for i, x in enumerate(exported)}
    next_id = first + len(exported)
    views: list[LaneletView] | None = None
    # regulatory elements: one per sign or light, applying to its lanelet or crossed ones
    regulatory: dict[int, list[int]] = {}
    elements: list[str] = []
    for export_item, annotation in plan.signals:
        place = f"{where}: {export_item.file_name}: annotation {annotation.id}"
        stop = abs(int(annotation.links.get(STOP_LINE, 0)))
        stop_way = way_of.get(stop) if stop in lines else None
        explicit = abs(int(annotation.links.get(LANELET, 0)))
        if explicit in relation_of:
            applies = [explicit]
        elif stop_way is not None:
            if views is None:
                views = [x.view(lines) for x in exported]
            applies = crossed_lanelets(lines[stop].geometry.vertices, views)
        else:
            applies = []
        rid = next_id
        next_id += 1
        for lanelet_id in applies:
            regulatory.setdefault(lanelet_id, []).append(rid)
        members = (f'    <member type="way" ref="{signal_way[int(annotation.id or 0)]}" '
                   'role="refers"/>\n')
        if stop_way is not None:
            members += f'    <member type="way" ref="{stop_way}" role="ref_line"/>\n'
        tags = [("type", "regulatory_element"), ("subtype", annotation.label),
                ("annotator:class", "regulatory_element")]
        if explicit in relation_of:
            tags.append(("annotator:lanelet", "yes"))
        elements.append(f'  <relation id="{rid}">\n{members}'
                        + "".join(_tag(k, v, place) for k, v in tags) + "  </relation>\n")
        if (annotation.label == "traffic_sign" and stop_way is not None and applies
                and annotation.attributes.get("sign_type") in _YIELDING):
            if views is None:
                views = [x.view(lines) for x in exported]
            priority = _priority_lanelets(views, applies)
        else:
            priority = []
        if priority:  # Lanelet2 refuses a right_of_way with no lanelet that has the right
            rid = next_id
            next_id += 1
            members = (f'    <member type="way" ref="{stop_way}" role="ref_line"/>\n'
                       + "".join(f'    <member type="relation" ref="{relation_of[n]}" '
                                 'role="yield"/>\n' for n in applies)
                       + "".join(f'    <member type="relation" ref="{relation_of[n]}" '
                                 'role="right_of_way"/>\n' for n in priority))
            for lanelet_id in (*applies, *priority):
                regulatory.setdefault(lanelet_id, []).append(rid)
            tags = [("type", "regulatory_element"), ("subtype", "right_of_way"),
                    ("annotator:derived", "yes")]
            elements.append(f'  <relation id="{rid}">\n{members}'
                            + "".join(_tag(k, v, place) for k, v in tags) + "  </relation>\n")
    out: list[str] = []
    for x in exported:
        number = int(x.annotation.id or 0)
        members = (f'  <relation id="{relation_of[number]}">\n'
                   f'    <member type="way" ref="{way_of[x.left]}" role="left"/>\n'
                   f'    <member type="way" ref="{way_of[x.right]}" role="right"/>\n')
        for rid in regulatory.get(number, []):
            members += f'    <member type="relation" ref="{rid}" role="regulatory_element"/>\n'
        out.append(members + blocks(x.export_item, x.annotation, _lanelet_tags,
                                    _REVERSED[(x.reverse_left, x.reverse_right)])
                   + "  </relation>\n")
        report.wrote(x.annotation)
    return out + elements


# -- read ----------------------------------------------------------------------------------


@dataclass
class _Element:
    id: int
    tags: dict[str, str]
    refs: list[int] = field(default_factory=list)
    members: list[tuple[str, int, str]] = field(default_factory=list)


def _int_id(element: Element, what: str, where: str) -> int:
    raw = element.get("id")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise FormatError(f"{where}: <{what}> with id {raw!r}, not a whole number") from None
    if value == 0 or abs(value) > 2**62:
        raise FormatError(f"{where}: <{what} id={raw!r}> is not a usable id")
    return value


def _tags(element: Element) -> dict[str, str]:
    return {str(t.get("k")): str(t.get("v", "")) for t in element.iter("tag")
            if t.get("k") is not None}


@dataclass
class _Map:
    nodes: dict[int, int] = field(default_factory=dict)       # osm id -> row
    node_tags: list[dict[str, str]] = field(default_factory=list)
    node_ids: list[int] = field(default_factory=list)
    lonlat: list[tuple[float, float, float]] = field(default_factory=list)
    ways: dict[int, _Element] = field(default_factory=dict)
    relations: dict[int, _Element] = field(default_factory=dict)


def _parse(root: Element, where: str) -> _Map:
    if root.tag != "osm":
        raise FormatError(f"{where}: the root element is <{root.tag}>, not <osm>")
    found = _Map()
    for element in root:
        tag = element.tag
        if tag == "node":
            number = _int_id(element, "node", where)
            place = f"{where}: <node id={number}>"
            if number in found.nodes:
                raise FormatError(f"{place}: the id is used twice")
            if element.get("action") == "delete":
                continue
            lat = finite(element.get("lat"), f"{place}: lat", 90.0)
            lon = finite(element.get("lon"), f"{place}: lon", 180.0)
            tags = _tags(element)
            ele = finite(tags["ele"], f"{place}: ele", 1e5) if "ele" in tags else math.nan
            found.nodes[number] = len(found.node_ids)
            found.node_ids.append(number)
            found.node_tags.append(tags)
            found.lonlat.append((lon, lat, ele))
        elif tag == "way":
            number = _int_id(element, "way", where)
            place = f"{where}: <way id={number}>"
            if number in found.ways:
                raise FormatError(f"{place}: the id is used twice")
            refs = []
            for nd in element.iter("nd"):
                raw = nd.get("ref")
                try:
                    refs.append(int(str(raw).strip()))
                except ValueError:
                    raise FormatError(f"{place}: <nd ref={raw!r}> is not a node id") from None
            if element.get("action") != "delete":
                found.ways[number] = _Element(number, _tags(element), refs)
        elif tag == "relation":
            number = _int_id(element, "relation", where)
            place = f"{where}: <relation id={number}>"
            if number in found.relations:
                raise FormatError(f"{place}: the id is used twice")
            members = []
            for member in element.iter("member"):
                raw = member.get("ref")
                try:
                    ref = int(str(raw).strip())
                except ValueError:
                    raise FormatError(f"{place}: <member ref={raw!r}> is not an id") from None
                members.append((str(member.get("type")), ref, str(member.get("role", ""))))
            if element.get("action") != "delete":
                found.relations[number] = _Element(number, _tags(element), members=members)
    for way in found.ways.values():
        for ref in way.refs:
            if ref not in found.nodes:
                raise FormatError(f"{where}: <way id={way.id}> refers to node {ref}, which the "
                                  "file does not hold")
        if len(way.refs) < 2:
            raise FormatError(f"{where}: <way id={way.id}> has {len(way.refs)} node(s); a "
                              "Lanelet2 linestring has at least two")
    for relation in found.relations.values():
        for kind, ref, role in relation.members:
            known = (ref in found.nodes if kind == "node" else ref in found.ways
                     if kind == "way" else ref in found.relations if kind == "relation"
                     else False)
            if not known:
                raise FormatError(f"{where}: <relation id={relation.id}> has a {role or 'plain'} "
                                  f"member {kind} {ref}, which the file does not hold")
    return found


@dataclass
class _Reader:
    where: str
    context: ImportContext
    crs: str
    xyz: F64
    osm: _Map
    result: ImportResult
    place: Callable[[F64, str | None], str]
    images: dict[str, ImportedImage] = field(default_factory=dict)
    problems: Counter[str] = field(default_factory=Counter)
    taken: dict[int, str] = field(default_factory=dict)       # way id -> class taken as

    @property
    def schema(self) -> LabelSchema:
        return self.context.schema

    def add(self, label: str, geometry: Geometry, attributes: Mapping[str, Any], key: str,
            tile: str | None, links: Mapping[str, str] | None = None) -> None:
        name = self.place(np.asarray(geometry.vertices, np.float64)[0], tile)
        image = self.images.setdefault(name, ImportedImage(name))
        image.shapes.append(ImportedShape(label, geometry, dict(attributes), key,
                                          dict(links or {})))

    def vertices(self, refs: Sequence[int]) -> F64:
        return self.xyz[[self.osm.nodes[r] for r in refs]]

    def attributes(self, label: str, tags: Mapping[str, str], place: str,
                   plain: Mapping[str, Any]) -> dict[str, Any]:
        """Attributes of our own tags (``annotator:attr:``) in our files, typed as the
        schema says (a value that does not fit is an error); in other files, the plain
        tags the class declares, where a value that does not fit is dropped and reported."""
        label_class = self.schema.get(label)
        ours = PREFIX + "class" in tags
        values: Mapping[str, Any] = ({k[len(ATTR):]: v for k, v in tags.items()
                                      if k.startswith(ATTR)} if ours else plain)
        out: dict[str, Any] = {}
        for name, value in values.items():
            spec = label_class.attribute(name)
            if spec is None and not ours:
                continue
            if not ours and name == "speed_limit":
                value = _speed(value)
            try:
                typed = typed_attribute(spec, value, f"{place}: attribute {name!r}")
            except FormatError:
                if ours:
                    raise
                typed = None
            if typed is None or (spec is not None and spec.type == "enum" and spec.values
                                 and typed not in spec.values):
                self.problems[f"{label}.{name} value {value!r} does not fit the schema; "
                              "dropped"] += 1
                continue
            out[name] = typed
        return out

    def known(self, label: str, kind: str, what: str) -> bool:
        if label not in self.schema:
            self.problems[f"{what}: no class {label!r} in the schema; skipped"] += 1
            return False
        if not self.schema.get(label).allows(kind):
            self.problems[f"{what}: class {label!r} does not take {kind}; skipped"] += 1
            return False
        return True


def _speed(value: Any) -> Any:
    """A Lanelet2 speed (``50``, ``50 km/h``, ``30mph``, ``10 m/s``) in km/h; else as it is."""
    found = _SPEED.match(str(value))
    if found is None:
        return value
    number = float(found.group(1))
    unit = (found.group(2) or "").lower().replace(" ", "")
    return number * {"mph": 1.609344, "m/s": 3.6, "mps": 3.6}.get(unit, 1.0)


def _way_class(tags: Mapping[str, str]) -> tuple[str, str, dict[str, Any]]:
    """``(class, kind hint, plain attributes)`` of a foreign way, by the export table."""
    kind = tags.get("type", "")
    subtype = tags.get("subtype", "")
    if kind in ("line_thin", "line_thick"):
        attrs: dict[str, Any] = {}
        if subtype in _LINE_TYPE:
            attrs["line_type"] = _LINE_TYPE[subtype]
        if tags.get("color") in ("white", "yellow"):
            attrs["line_color"] = tags["color"]
        return "lane_line", "polyline3d", attrs
    if kind in _EDGE_TYPE:
        return "road_edge", "polyline3d", {"edge_type": _EDGE_TYPE[kind]}
    if kind in ("stop_line", "stop"):
        return "stop_line", "polyline3d", {}
    if kind in _AREA_CLASS:
        return _AREA_CLASS[kind], "polygon3d", {}
    if kind == "traffic_sign":
        return "traffic_sign", "point3d", ({"sign_code": subtype} if subtype else {})
    if kind == "traffic_light":
        return "traffic_light", "point3d", {}
    return kind, "", {}


def _way_shape(reader: _Reader, way: _Element) -> None:
    tags = way.tags
    place = f"{reader.where}: <way id={way.id}>"
    own = tags.get(PREFIX + "class")
    foreign_label, hint, plain = _way_class(tags)
    label = own or foreign_label
    if not label:
        reader.problems["ways without a type tag; skipped"] += 1
        return
    vertices = reader.vertices(way.refs)
    closed = len(way.refs) > 3 and way.refs[0] == way.refs[-1]
    area = tags.get("area") in ("yes", "true") or (hint == "polygon3d" and closed)
    if hint == "point3d" and (own is None or label in _SIGNALS):
        kind = "point3d"
    elif area:
        kind = "polygon3d"
    else:
        kind = "polyline3d"
    if not reader.known(label, kind, f"ways of type {tags.get('type', label)!r}"):
        return
    geometry: Geometry
    if kind == "point3d":
        point = vertices[1] if own and len(vertices) == 3 else vertices.mean(axis=0)
        geometry = shape_or_error(lambda: Point3D(point[None, :]), place)
    elif kind == "polygon3d":
        ring = vertices[:-1] if way.refs[0] == way.refs[-1] else vertices
        geometry = shape_or_error(lambda: Polygon3D(ring), place)
    else:
        geometry = shape_or_error(lambda: Polyline3D(vertices), place)
    reader.taken[way.id] = label
    reader.add(label, geometry, reader.attributes(label, tags, place, plain), f"w{way.id}",
               tags.get(PREFIX + "tile"))


def _point_shapes(reader: _Reader, used: set[int]) -> None:
    """Tagged nodes no way uses (poles and other point features)."""
    plain_tags = {"ele", "local_x", "local_y"}
    for row, tags in enumerate(reader.osm.node_tags):
        number = reader.osm.node_ids[row]
        if number in used or not (set(tags) - plain_tags) or "type" not in tags:
            continue
        label = tags.get(PREFIX + "class") or tags["type"]
        if not reader.known(label, "point3d", f"nodes of type {tags['type']!r}"):
            continue
        place = f"{reader.where}: <node id={number}>"
        point: F64 = reader.xyz[row:row + 1]
        geometry = shape_or_error(partial(Point3D, point), place)
        reader.add(label, geometry, reader.attributes(label, tags, place, {}), f"n{number}",
                   tags.get(PREFIX + "tile"))


def _lanelet_shape(reader: _Reader, relation: _Element) -> str | None:
    place = f"{reader.where}: <relation id={relation.id}>"
    sides: dict[str, list[int]] = {LEFT: [], RIGHT: []}
    for kind, ref, role in relation.members:
        if role in sides:
            if kind != "way":
                raise FormatError(f"{place}: its {role} member is a {kind}, not a way")
            sides[role].append(ref)
    for side, refs in sides.items():
        if len(refs) != 1:
            raise FormatError(f"{place}: a lanelet has exactly one {side} boundary, this one "
                              f"has {len(refs)}")
    left_way, right_way = sides[LEFT][0], sides[RIGHT][0]
    if left_way == right_way:
        raise FormatError(f"{place}: its left and right boundary are the same way {left_way}")
    tags = relation.tags
    label = tags.get(PREFIX + "class", "lanelet")
    missing = [w for w in (left_way, right_way) if w not in reader.taken]
    if missing:
        reader.problems[f"lanelets whose boundary way was skipped (e.g. way {missing[0]}); "
                        "skipped"] += 1
        return None
    if not reader.known(label, "polygon3d", "lanelet relations"):
        return None
    left = reader.vertices(reader.osm.ways[left_way].refs)
    right = reader.vertices(reader.osm.ways[right_way].refs)
    flags = tags.get(PREFIX + "reversed")
    if flags in ("none", "left", "right", "both") and PREFIX + "class" in tags:
        reverse_left, reverse_right = flags in ("left", "both"), flags in ("right", "both")
    else:
        try:
            oriented = orient_boundaries(left, right)
        except GeometryError as exc:
            raise FormatError(f"{place}: {exc}") from None
        reverse_left, reverse_right = oriented.reverse_left, oriented.reverse_right
    a = left[::-1] if reverse_left else left
    b = right[::-1] if reverse_right else right
    try:
        geometry: Geometry = lanelet_polygon(a, b)
    except GeometryError as exc:
        raise FormatError(f"{place}: {exc}") from None
    plain: dict[str, Any] = {k: tags[k] for k in _LANELET_TAGS if k in tags}
    links = {LEFT: ("-" if reverse_left else "") + f"w{left_way}",
             RIGHT: ("-" if reverse_right else "") + f"w{right_way}"}
    reader.add(label, geometry, reader.attributes(label, tags, place, plain),
               f"r{relation.id}", tags.get(PREFIX + "tile"), links)
    return label


def _regulatory_links(reader: _Reader, lanelets: set[int]) -> None:
    """Signs and lights get ``stop_line`` (the ref_line) and, without one, ``lanelet``."""
    users: dict[int, list[int]] = {}
    for relation in reader.osm.relations.values():
        if relation.id in lanelets:
            for kind, ref, role in relation.members:
                if kind == "relation" and role == "regulatory_element":
                    users.setdefault(ref, []).append(relation.id)
    extra: dict[str, dict[str, str]] = {}
    for relation in reader.osm.relations.values():
        tags = relation.tags
        if tags.get("type") != "regulatory_element" or tags.get(PREFIX + "derived") == "yes":
            continue  # a right_of_way we derived from a stop sign comes back with the sign
        if tags.get("subtype") not in _SIGNALS:
            reader.problems[f"regulatory elements of subtype {tags.get('subtype')!r}: not "
                            "imported"] += 1
            continue
        refers = [ref for kind, ref, role in relation.members
                  if kind == "way" and role == "refers" and ref in reader.taken
                  and reader.taken[ref] in _SIGNALS]
        stops = [ref for kind, ref, role in relation.members
                 if kind == "way" and role == "ref_line" and ref in reader.taken]
        applied = users.get(relation.id, [])
        for ref in refs_unique(refers):
            links: dict[str, str] = {}
            if stops:
                links[STOP_LINE] = f"w{stops[0]}"
            if applied and (not stops or tags.get(PREFIX + "lanelet") == "yes"):
                links[LANELET] = f"r{applied[0]}"
            extra.setdefault(f"w{ref}", {}).update(links)
    if not extra:
        return
    for image in reader.images.values():
        image.shapes = [
            ImportedShape(s.label, s.geometry, s.attributes, s.key,
                          {**s.links, **extra[s.key]}) if s.key in extra else s
            for s in image.shapes]


def refs_unique(refs: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(refs))


def _placer(context: ImportContext, crs: str, where: str) -> Callable[[F64, str | None], str]:
    """Which tile a feature goes to: the one its tag names, else the nearest by origin."""
    tiles: list[Item] = [i for i in context.items() if i.kind == "pointcloud"]
    placed = [i for i in tiles if i.origin is not None and (not i.crs or i.crs == crs)]
    origins = np.array([i.origin[:2] for i in placed if i.origin is not None],
                       dtype=np.float64).reshape(-1, 2)

    def place(first: F64, tile: str | None) -> str:
        if tile:
            found = context.lookup(tile)
            if found is not None and found.kind == "pointcloud":
                return tile
            if not tiles:
                return tile
        if len(placed):
            distance = np.hypot(origins[:, 0] - first[0], origins[:, 1] - first[1])
            return placed[int(np.argmin(distance))].path
        if len(tiles) == 1:
            return tiles[0].path
        raise FormatError(f"{where}: cannot tell which point-cloud tile a feature belongs to "
                          "(no annotator:tile tag, and no tile with a geo-referenced origin)")

    return place




def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a Lanelet2 OSM map (a file, or a folder holding ``lanelet2_map.osm``)."""
    source = single_file(path, FILE, ".osm")
    where = str(source)
    crs = _project_crs(context.schema, "import")
    osm = _parse(read_xml(source), where)
    result = ImportResult(FORMAT.id)
    raw = np.array(osm.lonlat, dtype=np.float64).reshape(-1, 3)
    no_height = int(np.isnan(raw[:, 2]).sum())
    raw[np.isnan(raw[:, 2]), 2] = 0.0
    x, y = _transformer("EPSG:4326", crs).transform(raw[:, 0], raw[:, 1], errcheck=False)
    xyz = np.column_stack([np.asarray(x, np.float64), np.asarray(y, np.float64), raw[:, 2]])
    bad = np.flatnonzero(~np.isfinite(xyz).all(axis=1)) if len(xyz) else np.zeros(0, int)
    if len(bad):
        raise FormatError(f"{where}: <node id={osm.node_ids[int(bad[0])]}> lies outside what "
                          f"{crs} can represent")
    if len(xyz):
        xyz[:, 2] = _heights(from_ellipsoidal, context.schema, xyz, where)
    reader = _Reader(where, context, crs, xyz, osm, result, _placer(context, crs, where))
    used: set[int] = set()
    for way in osm.ways.values():
        used.update(way.refs)
        _way_shape(reader, way)
    _point_shapes(reader, used)
    imported: set[int] = set()
    for relation in osm.relations.values():
        kind = relation.tags.get("type")
        if kind == "lanelet":
            if _lanelet_shape(reader, relation) is not None:
                imported.add(relation.id)
        elif kind not in ("regulatory_element",):
            reader.problems[f"relations of type {kind!r}: not imported"] += 1
    _regulatory_links(reader, imported)
    if no_height:
        result.problems.append(f"{where}: {no_height} node(s) had no ele tag; height 0 taken")
    for text, count in sorted(reader.problems.items()):
        result.problems.append(f"{where}: {text} ({count})")
    result.images = list(reader.images.values())
    return result


# -- detect --------------------------------------------------------------------------------


def detect(path: Path) -> bool:
    """``lanelet2_map.osm``, a folder holding it, or an ``.osm`` file with an ``<osm>`` root."""
    if path.is_dir():
        path = path / FILE
    if not (path.is_file() and path.suffix.lower() == ".osm"):
        return False
    head = head_of(path, 4096)
    return head is not None and _SNIFF.search(head) is not None


FORMAT = FormatSpec(
    id="lanelet2",
    title="Lanelet2 map (OSM XML, Autoware)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"polyline3d", "polygon3d", "point3d"}),
    extensions=(".osm",),
    media="pointcloud",
)
