"""Plain data types: the words used everywhere in Annotator.

Nothing here touches a database, a file or Qt.  Every type is a frozen
dataclass; a change makes a new value (``dataclasses.replace``).  Shapes live
in :mod:`annotator.shapes` and are re-exported here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from annotator.errors import SchemaError
from annotator.shapes import (
    GEOMETRY_KINDS,
    KINDS_2D,
    KINDS_3D,
    Box,
    Cuboid,
    Geometry,
    Point,
    Point3D,
    Polygon,
    Polygon3D,
    Polyline,
    Polyline3D,
    RotatedBox,
    geometry_from_json,
)

__all__ = [
    "GEOMETRY_KINDS",
    "KINDS_2D",
    "KINDS_3D",
    "Annotation",
    "AttributeSpec",
    "Batch",
    "BatchState",
    "Box",
    "Cuboid",
    "Geometry",
    "HistoryEntry",
    "Item",
    "LabelClass",
    "LabelSchema",
    "Point",
    "Point3D",
    "Polygon",
    "Polygon3D",
    "Polyline",
    "Polyline3D",
    "ReviewComment",
    "Role",
    "RotatedBox",
    "Rules",
    "User",
    "geometry_from_json",
]

ATTRIBUTE_TYPES = ("enum", "bool", "int", "float", "text")

#: Colours given to classes whose schema entry names none: Okabe and Ito's
#: palette, told apart by people with any common colour-vision deficiency,
#: followed by Paul Tol's muted scheme for schemas with more classes.
DEFAULT_PALETTE = (
    "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7",
    "#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677",
    "#882255", "#aa4499",
)


@dataclass(frozen=True)
class AttributeSpec:
    """One typed attribute of a class, as the schema file declares it."""

    name: str
    type: str
    values: tuple[str, ...] = ()
    required: bool = False
    default: Any = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.values:
            data["values"] = list(self.values)
        if self.required:
            data["required"] = True
        if self.default is not None:
            data["default"] = self.default
        return data


@dataclass(frozen=True)
class LabelClass:
    """A class annotators pick: name, colour, allowed geometry kinds, attributes."""

    name: str
    color: str
    kinds: tuple[str, ...]
    attributes: tuple[AttributeSpec, ...] = ()

    def allows(self, kind: str) -> bool:
        return kind in self.kinds

    def attribute(self, name: str) -> AttributeSpec | None:
        return next((a for a in self.attributes if a.name == name), None)

    def default_attributes(self) -> dict[str, Any]:
        return {a.name: a.default for a in self.attributes if a.default is not None}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "color": self.color, "kinds": list(self.kinds)}
        if self.attributes:
            data["attributes"] = [a.to_json() for a in self.attributes]
        return data


@dataclass(frozen=True)
class Rules:
    """Validation settings with the defaults of DESIGN.md."""

    min_box_size: float = 4.0
    min_polygon_area: float = 16.0
    max_same_class_iou: float = 0.95
    snap_tolerance: float = 0.10
    #: metres; a lanelet narrower or wider than these anywhere is flagged
    min_lane_width: float = 2.0
    max_lane_width: float = 5.0
    #: metres; a height change between consecutive map vertices above this is flagged
    max_height_step: float = 0.5

    def to_json(self) -> dict[str, float]:
        return {
            "min_box_size": self.min_box_size,
            "min_polygon_area": self.min_polygon_area,
            "max_same_class_iou": self.max_same_class_iou,
            "snap_tolerance": self.snap_tolerance,
            "min_lane_width": self.min_lane_width,
            "max_lane_width": self.max_lane_width,
            "max_height_step": self.max_height_step,
        }


@dataclass(frozen=True)
class LabelSchema:
    """The classes of a project, in the order the lead wrote them."""

    name: str
    classes: tuple[LabelClass, ...]
    crs: str | None = None
    rules: Rules = field(default_factory=Rules)
    #: "ellipsoidal" (GNSS heights, Lanelet2's ``ele``) or a vertical CRS such as
    #: "EPSG:6695" (JGD2011 orthometric height) that the stored z values are in
    heights: str = "ellipsoidal"
    #: a PROJ vertical grid (.gtx/.tif) giving the geoid for ``heights``; absolute
    #: once a schema file is loaded (relative paths are taken from the file's folder)
    geoid_grid: str | None = None

    def get(self, name: str) -> LabelClass:
        for label_class in self.classes:
            if label_class.name == name:
                return label_class
        raise SchemaError(f"unknown class {name!r} (schema {self.name!r})")

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.classes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.crs:
            data["crs"] = self.crs
        if self.heights != "ellipsoidal":
            data["heights"] = self.heights
        if self.geoid_grid is not None:
            data["geoid_grid"] = self.geoid_grid
        data["classes"] = [c.to_json() for c in self.classes]
        data["rules"] = self.rules.to_json()
        return data


@dataclass(frozen=True)
class Item:
    """One media tile: an image or a point cloud.

    ``path`` is relative to the project folder when the file lies inside it
    (POSIX separators), absolute otherwise.  ``origin`` is the float64
    geo-reference of a point-cloud tile in ``crs``.
    """

    id: int | None
    path: str
    kind: str
    format: str
    sha256: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    points: int | None = None
    encoding: str = ""
    fields: tuple[str, ...] = ()
    crs: str | None = None
    origin: tuple[float, float, float] | None = None
    added_at: str = ""


@dataclass(frozen=True, eq=False)
class Annotation:
    """One shape on one item, with its class, attributes and links.

    ``revision`` counts the committed changes; the store bumps it on every
    write, so a client holding an older revision can detect a conflict.
    """

    id: int | None
    item_id: int
    label: str
    geometry: Geometry
    attributes: Mapping[str, Any] = field(default_factory=dict)
    author: str = ""
    created_at: str = ""
    updated_at: str = ""
    revision: int = 0
    links: Mapping[str, int] = field(default_factory=dict)
    z: int = 0
    hidden: bool = False
    locked: bool = False

    @property
    def kind(self) -> str:
        return self.geometry.kind

    def same_content(self, other: Annotation) -> bool:
        """Equal in everything a user edits (ignores bookkeeping fields)."""
        return (
            self.item_id == other.item_id
            and self.label == other.label
            and self.geometry == other.geometry
            and dict(self.attributes) == dict(other.attributes)
            and dict(self.links) == dict(other.links)
            and self.z == other.z
            and self.hidden == other.hidden
            and self.locked == other.locked
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Annotation):
            return NotImplemented
        return self.id == other.id and self.revision == other.revision and self.same_content(
            other
        )

    __hash__ = None  # type: ignore[assignment]

    def content_key(self) -> dict[str, Any]:
        """The user-editable content as plain JSON values (see ``same_content``)."""
        return {
            "item_id": self.item_id, "label": self.label, "geometry": self.geometry.to_json(),
            "attributes": dict(self.attributes), "links": dict(self.links), "z": self.z,
            "hidden": self.hidden, "locked": self.locked,
        }

    def content_json(self) -> dict[str, Any]:
        """What a command needs to restore this annotation exactly."""
        return {
            "id": self.id,
            "item_id": self.item_id,
            "label": self.label,
            "geometry": self.geometry.to_json(),
            "attributes": dict(self.attributes),
            "links": dict(self.links),
            "z": self.z,
            "hidden": self.hidden,
            "locked": self.locked,
            "author": self.author,
            "created_at": self.created_at,
        }

    @classmethod
    def from_content_json(cls, data: Mapping[str, Any]) -> Annotation:
        return cls(
            id=data["id"],
            item_id=int(data["item_id"]),
            label=str(data["label"]),
            geometry=geometry_from_json(data["geometry"]),
            attributes=dict(data.get("attributes", {})),
            links={str(k): int(v) for k, v in data.get("links", {}).items()},
            z=int(data.get("z", 0)),
            hidden=bool(data.get("hidden", False)),
            locked=bool(data.get("locked", False)),
            author=str(data.get("author", "")),
            created_at=str(data.get("created_at", "")),
        )


class BatchState(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Role(enum.StrEnum):
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    LEAD = "lead"


@dataclass(frozen=True)
class User:
    name: str
    role: Role


@dataclass(frozen=True)
class Batch:
    """A set of items handed to one annotator and one reviewer."""

    id: int | None
    name: str
    state: BatchState = BatchState.OPEN
    assignee: str | None = None
    reviewer: str | None = None
    items: int = 0
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class HistoryEntry:
    """One batch transition: who did what, when, and why."""

    at: str
    user: str
    action: str
    from_state: BatchState | None
    to_state: BatchState
    comment: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "user": self.user,
            "action": self.action,
            "from": self.from_state.value if self.from_state else None,
            "to": self.to_state.value,
            "comment": self.comment,
        }


@dataclass(frozen=True)
class ReviewComment:
    """A reviewer's note pinned to a batch, an item and optionally a shape or spot."""

    id: int | None
    batch_id: int
    item_id: int
    text: str
    author: str
    annotation_id: int | None = None
    position: tuple[float, ...] | None = None
    resolved: bool = False
    created_at: str = ""
    resolved_by: str | None = None
    resolved_at: str | None = None
