"""The Japanese catalogue covers every visible string and its .qm is current."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "annotator" / "ui"
TS = UI / "translations" / "annotator_ja.ts"
QM = TS.with_suffix(".qm")

needs_tools = pytest.mark.skipif(
    shutil.which("pyside6-lupdate") is None or shutil.which("pyside6-lrelease") is None,
    reason="PySide6's lupdate/lrelease are not on PATH",
)


def _messages(path: Path) -> dict[tuple[str, str], ET.Element]:
    found = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            found[(name, message.findtext("source") or "")] = message
    return found


def test_every_string_is_translated() -> None:
    messages = _messages(TS)
    assert len(messages) > 80
    untranslated = [source for (_, source), m in messages.items()
                    if not (m.findtext("translation") or "").strip()
                    or m.find("translation").get("type") in ("unfinished", "obsolete")]
    assert untranslated == []


@needs_tools
def test_catalogue_lists_every_tr_string_in_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in UI.glob("*.py"))
    subprocess.run(["pyside6-lupdate", *sources, "-ts", str(fresh)], check=True,
                   capture_output=True)
    in_code = set(_messages(fresh))
    assert in_code <= set(_messages(TS)), sorted(in_code - set(_messages(TS)))


@needs_tools
def test_compiled_catalogue_is_current(tmp_path: Path) -> None:
    rebuilt = tmp_path / "ja.qm"
    subprocess.run(["pyside6-lrelease", str(TS), "-qm", str(rebuilt)], check=True,
                   capture_output=True)
    assert rebuilt.read_bytes() == QM.read_bytes(), "run: python tools/translate_ja.py"


def test_no_string_is_filed_under_a_context_that_no_class_has() -> None:
    """``self.editor.tr("...")`` files its text under "self.editor", a context no class
    asks for at run time, so it would never be translated; contexts are class names."""
    contexts = {name for name, _ in _messages(TS)}
    assert not [name for name in contexts if not name.isidentifier()]


def test_a_tool_message_is_translated_at_run_time(qapp) -> None:
    from PySide6.QtCore import QCoreApplication, QTranslator

    translator = QTranslator()
    assert translator.load(str(QM))
    QCoreApplication.installTranslator(translator)
    try:
        text = QCoreApplication.translate("Editor", "Drag to draw a box")
    finally:
        QCoreApplication.removeTranslator(translator)
    assert text != "Drag to draw a box" and text.strip()
