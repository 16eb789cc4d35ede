"""Import keys of the map formats that name features by their ``id`` (GeoJSON, GeoPackage).

An ``id`` read from a file is the key other features link to
(:attr:`ImportedShape.key`).  Files from GIS tools often number each layer
from 1, so an ``id`` met twice is no key, unless a link names it: that link is
ambiguous and the import is refused.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from annotator.errors import FormatError
from annotator.formats.base import ImportedImage

__all__ = ["settle_keys"]


def settle_keys(images: Iterable[ImportedImage], source: object) -> None:
    """Drop the keys met more than once; refuse when a link names one of them."""
    images = list(images)
    shapes = [s for image in images for s in image.shapes]
    seen = Counter(s.key for s in shapes if s.key is not None)
    twice = {key for key, count in seen.items() if count > 1}
    if not twice:
        return
    linked = {target.removeprefix("-") for s in shapes for target in s.links.values()}
    if twice & linked:
        key = sorted(twice & linked)[0]
        raise FormatError(f"{source}: several features have id {key}, and a link names it; "
                          "give the features distinct ids")
    for image in images:
        image.shapes = [dataclasses.replace(s, key=None) if s.key in twice else s
                        for s in image.shapes]
