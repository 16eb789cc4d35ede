"""Nothing below annotator/ui/ imports Qt (DESIGN.md's first rule)."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "annotator"
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")


def _qt_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in QT]
    return found


def test_no_qt_below_the_ui_layer() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "ui" or relative.as_posix() == "app.py":
            continue
        offenders += _qt_imports(path)
    assert offenders == []


def test_the_scanner_sees_a_qt_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import os\nfrom PySide6.QtCore import QObject\n")
    assert _qt_imports(sample) == ["bad.py:2 PySide6.QtCore"]


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter not installed")
def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(["lint-imports"], cwd=PACKAGE.parent, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout[-2000:]
