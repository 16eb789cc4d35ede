"""Import keys of the map formats that name features by their ``id`` (GeoJSON, GeoPackage).

An ``id`` read from a file is the key other features link to
(:attr:`ImportedShape.key`).  Files from GIS tools often number each layer
from 1, so an ``id`` met twice is no key, unless a link names it: that link is
ambiguous and the import is refused.  A link to an ``id`` the file does not
hold (a lanelet exported without its boundary's tile) is dropped and
reported: the lanelet comes in, and validation names it broken.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from annotator.errors import FormatError
from annotator.formats.base import ImportedImage, ImportedShape

__all__ = ["settle_keys"]


def settle_keys(images: Iterable[ImportedImage], source: object) -> list[str]:
    """Drop the keys met more than once (refused when a link names one of them) and the
    links to keys the file does not hold; the problems to report."""
    images = list(images)
    shapes = [s for image in images for s in image.shapes]
    seen = Counter(s.key for s in shapes if s.key is not None)
    twice = {key for key, count in seen.items() if count > 1}
    linked = {target.removeprefix("-") for s in shapes for target in s.links.values()}
    if twice & linked:
        key = sorted(twice & linked)[0]
        raise FormatError(f"{source}: several features have id {key}, and a link names it; "
                          "give the features distinct ids")
    missing = linked - set(seen)
    if not twice and not missing:
        return []
    for image in images:
        image.shapes = [_settled(s, twice, missing) for s in image.shapes]
    if not missing:
        return []
    shown = ", ".join(sorted(missing, key=lambda k: (len(k), k))[:5])
    return [f"{source}: links to features the file does not hold (id {shown}) were dropped"]


def _settled(shape: ImportedShape, twice: set[str], missing: set[str]) -> ImportedShape:
    links = {name: target for name, target in shape.links.items()
             if target.removeprefix("-") not in missing}
    if shape.key not in twice and len(links) == len(shape.links):
        return shape
    return dataclasses.replace(shape, key=None if shape.key in twice else shape.key,
                               links=links)
