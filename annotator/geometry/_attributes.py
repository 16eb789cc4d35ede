"""The attribute rules: required values present, values of the declared type.

A project has a million annotations with a few attributes each, so the
common case (every value of one attribute of one class has the declared
type and, for enums, one of the declared values) is settled on the set of
distinct types and values; only the values that fail are looked at one by
one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from annotator.geometry._checks import Hit
from annotator.geometry._ragged import IntArray
from annotator.model import Annotation, AttributeSpec, LabelClass

__all__ = ["attribute_hits", "attribute_problem"]

_TYPES: dict[str, frozenset[type]] = {
    "enum": frozenset({str}), "bool": frozenset({bool}), "int": frozenset({int}),
    "float": frozenset({int, float}), "text": frozenset({str}),
}


def attribute_hits(classes: Sequence[LabelClass | None], label_code: IntArray,
                   annotations: Sequence[Annotation]) -> list[Hit]:
    """Findings of the attribute rules; ``classes[label_code[i]]`` is annotation i's class."""
    # Classes often share an attribute (occluded, truncated ...): check it once for all.
    users: dict[tuple[str, str, tuple[str, ...], bool], tuple[AttributeSpec, list[int]]] = {}
    for code, label_class in enumerate(classes):
        for spec in label_class.attributes if label_class is not None else ():
            key = (spec.name, spec.type, tuple(spec.values), spec.required)
            users.setdefault(key, (spec, []))[1].append(code)
    if not users:
        return []
    attributes = [a.attributes for a in annotations]
    columns: dict[str, list[Any]] = {}
    hits = []
    for spec, codes in users.values():
        members = np.flatnonzero(np.isin(label_code, codes))
        if 8 * len(members) >= len(annotations) or spec.name in columns:
            # Reading every annotation in order beats reading a scattered few.
            if spec.name not in columns:
                columns[spec.name] = [a.get(spec.name) for a in attributes]
            column = columns[spec.name]
            values = (column if len(members) == len(column)
                      else [column[i] for i in members.tolist()])
        else:
            values = [attributes[i].get(spec.name) for i in members.tolist()]
        hits += _spec_hits(spec, members, values)
    return hits


def _spec_hits(spec: AttributeSpec, members: IntArray, values: list[Any]) -> list[Hit]:
    hits = []
    for position in _suspects(spec, values):
        index, value = int(members[position]), values[position]
        if value is None or value == "":
            if spec.required:
                hits.append(Hit(index, "attribute_missing", "error",
                                f"required attribute {spec.name} is missing", None))
            continue
        problem = attribute_problem(spec.type, spec.values, value)
        if problem:
            hits.append(Hit(index, "attribute_invalid", "error",
                            f"attribute {spec.name}: {problem}", None))
    return hits


def _suspects(spec: AttributeSpec, values: list[Any]) -> list[int]:
    """Positions whose value may be missing or wrong: a superset of the failures."""
    expected = _TYPES.get(spec.type)
    if expected is None:
        return []
    types = set(map(type, values))
    if not types <= (expected if spec.required else expected | {type(None)}):
        return _suspects_one_by_one(spec, values)
    if spec.type == "enum":
        bad = set(values) - set(spec.values) - {None}
        bad.discard("")
        if spec.required:
            bad |= {""} & set(values)
        return [p for p, v in enumerate(values) if v in bad] if bad else []
    if spec.type == "text":
        return ([p for p, v in enumerate(values) if v == ""]
                if spec.required and "" in set(values) else [])
    if spec.type == "float" and float in types:
        numbers = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
        return [p for p in np.flatnonzero(~np.isfinite(numbers)).tolist()
                if values[p] is not None]
    return []   # bool and int values of exactly their type (or absent and optional)


def _suspects_one_by_one(spec: AttributeSpec, values: list[Any]) -> list[int]:
    if spec.type == "enum":
        allowed = frozenset(v for v in spec.values if v != "")
        return [p for p, v in enumerate(values) if v.__class__ is not str or v not in allowed]
    if spec.type == "bool":
        return [p for p, v in enumerate(values) if v.__class__ is not bool]
    if spec.type == "int":
        return [p for p, v in enumerate(values) if v.__class__ is not int]
    if spec.type == "float":
        inf = math.inf
        return [p for p, v in enumerate(values)
                if not (v.__class__ is int or (v.__class__ is float and -inf < v < inf))]
    return [p for p, v in enumerate(values) if v.__class__ is not str or not v]


def attribute_problem(kind: str, values: Sequence[str], value: Any) -> str | None:
    """Why ``value`` does not fit an attribute of type ``kind``, or None.

    >>> attribute_problem("enum", ("red", "blue"), "pink")
    "'pink' is not one of red, blue"
    >>> attribute_problem("int", (), True)
    'expected an integer, got True'
    """
    if kind == "enum":
        return None if value in values else f"{value!r} is not one of {', '.join(values)}"
    if kind == "bool":
        return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"expected an integer, got {value!r}"
    if kind == "float":
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value))
        return None if ok else f"expected a number, got {value!r}"
    if kind == "text":
        return None if isinstance(value, str) else f"expected text, got {value!r}"
    return None
