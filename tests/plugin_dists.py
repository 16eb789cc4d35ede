"""Throwaway plugin distributions for the assist tests: real entry points, no pip.

A folder on ``sys.path`` holding ``<module>.py`` and ``<dist>.dist-info/``
(``METADATA`` + ``entry_points.txt``) is what an installed wheel looks like
to :mod:`importlib.metadata`, so :func:`annotator.plugins.discover` finds it
exactly as it finds a ``pip install``-ed plugin.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from annotator.plugins import ASSIST_GROUP, discover

__all__ = ["PluginSite", "plugin_site"]


class PluginSite:
    """A folder on ``sys.path`` to which :meth:`add` writes plugin distributions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tag = uuid.uuid4().hex[:8]
        self.modules: list[str] = []

    def module_name(self, name: str) -> str:
        return f"{name}_{self.tag}"

    def add(self, dist: str, modules: dict[str, str], entry_points: dict[str, str]) -> None:
        """Write modules ``{name: source}`` and a distribution ``dist`` whose
        ``annotator.assists`` entry points are ``{point: "module:attr"}``
        (module names are the short ones given in ``modules``)."""
        for name, source in modules.items():
            full = self.module_name(name)
            (self.root / f"{full}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            self.modules.append(full)
        info = self.root / f"{dist}_{self.tag}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}-{self.tag}\nVersion: 0.1\n", encoding="utf-8")
        lines = [f"[{ASSIST_GROUP}]"]
        for point, target in entry_points.items():
            module, _, attr = target.partition(":")
            lines.append(f"{point} = {self.module_name(module)}:{attr}")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        importlib.invalidate_caches()


@contextmanager
def plugin_site(root: Path) -> Iterator[PluginSite]:
    """A fresh plugin folder on ``sys.path``; afterwards the registry forgets it."""
    root.mkdir(parents=True, exist_ok=True)
    site = PluginSite(root)
    sys.path.insert(0, str(root))
    try:
        yield site
    finally:
        sys.path.remove(str(root))
        for name in site.modules:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        discover(refresh=True)
