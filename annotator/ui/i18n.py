"""Languages of the interface: English source strings, Japanese translation.

Every visible string goes through Qt's ``tr()``; the Japanese catalogue is a
Qt Linguist file (``translations/annotator_ja.ts``, compiled to ``.qm`` by
``pyside6-lrelease``).  The language is the user's choice from the View
menu, else the system locale.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTranslator

__all__ = ["LANGUAGES", "TRANSLATIONS", "install_language", "preferred_language"]

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("en", "ja")

_installed: list[QTranslator] = []


def preferred_language() -> str:
    """The saved choice, else the system locale's language when we have it, else English."""
    saved = QSettings("Annotator", "Annotator").value("language")
    if saved in LANGUAGES:
        return str(saved)
    system = QLocale.system().name().split("_")[0]
    return system if system in LANGUAGES else "en"


def install_language(language: str) -> bool:
    """Make ``language`` the interface language; True when a catalogue was loaded."""
    app = QCoreApplication.instance()
    if app is None:
        return False
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if language == "en":
        return True
    translator = QTranslator(app)
    if not translator.load(str(TRANSLATIONS / f"annotator_{language}.qm")):
        return False
    app.installTranslator(translator)
    _installed.append(translator)
    return True
