"""The settings of one assist, edited in a small dialog and kept in QSettings.

Values live under ``assists/<id>/<name>``; :func:`load_settings` reads them
back coerced and clamped by the assist's :class:`~annotator.plugins.SettingSpec`,
so a hand-edited or stale settings file never reaches a plugin as garbage.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from annotator.plugins import Assist, SettingSpec, resolve_settings

__all__ = ["AssistSettingsDialog", "load_settings", "save_settings"]

_SLIDER_STEPS = 1000
#: A settings row: its widget, a getter and a setter of its value.
_Row = tuple[QWidget, Callable[[], Any], Callable[[Any], None]]


def _key(assist_id: str, name: str) -> str:
    return f"assists/{assist_id}/{name}"


def load_settings(settings: QSettings, assist: Assist) -> dict[str, Any]:
    """The assist's settings as stored, coerced and clamped; defaults for the rest."""
    stored = {name: settings.value(_key(assist.id, name)) for name in (assist.settings or {})
              if settings.contains(_key(assist.id, name))}
    return resolve_settings(assist, stored)


def save_settings(settings: QSettings, assist: Assist, values: dict[str, Any]) -> None:
    for name, value in values.items():
        settings.setValue(_key(assist.id, name), value)
    settings.sync()


def _to_slider(low: float, high: float, steps: int, value: float) -> int:
    return round((value - low) / (high - low) * steps)


def _from_slider(spin: QSpinBox | QDoubleSpinBox, low: float, high: float, steps: int,
                 position: int) -> None:
    # Only a slider move the spin box did not cause changes the value (no rounding drift).
    if _to_slider(low, high, steps, spin.value()) != position:
        number = low + (high - low) * position / steps
        if isinstance(spin, QSpinBox):
            spin.setValue(round(number))
        else:
            spin.setValue(number)


def _number_row(spec: SettingSpec, value: float) -> _Row:
    """A spin box, with a slider beside it when the range is bounded."""
    integer = spec.type == "int"
    spin: QSpinBox | QDoubleSpinBox
    if integer:
        spin = QSpinBox()
        spin.setRange(int(spec.minimum if spec.minimum is not None else -2**31),
                      int(spec.maximum if spec.maximum is not None else 2**31 - 1))
    else:
        spin = QDoubleSpinBox()
        low = float(spec.minimum) if spec.minimum is not None else -1e9
        high = float(spec.maximum) if spec.maximum is not None else 1e9
        span = high - low
        decimals = max(2, min(6, 3 - math.floor(math.log10(span)))) if span > 0 else 3
        spin.setDecimals(decimals)
        spin.setRange(low, high)
        spin.setSingleStep(span / 100 if spec.minimum is not None
                           and spec.maximum is not None else 0.1)
    spin.setValue(value)  # type: ignore[arg-type]
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    if spec.minimum is not None and spec.maximum is not None and spec.maximum > spec.minimum:
        low, high = float(spec.minimum), float(spec.maximum)
        slider = QSlider(Qt.Orientation.Horizontal)
        steps = int(high - low) if integer and high - low <= _SLIDER_STEPS else _SLIDER_STEPS
        slider.setRange(0, steps)
        slider.setValue(_to_slider(low, high, steps, value))
        slider.valueChanged.connect(partial(_from_slider, spin, low, high, steps))
        spin.valueChanged.connect(
            lambda v: slider.setValue(_to_slider(low, high, steps, float(v))))
        layout.addWidget(slider, 1)
    layout.addWidget(spin)
    return row, spin.value, lambda v: spin.setValue(v)


def _path_row(value: str, title: str, browse_text: str) -> _Row:
    edit = QLineEdit(value)
    browse = QPushButton(browse_text)
    browse.clicked.connect(lambda: edit.setText(
        QFileDialog.getOpenFileName(browse, title, edit.text())[0] or edit.text()))
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(browse)
    return row, edit.text, lambda v: edit.setText(str(v))


class AssistSettingsDialog(QDialog):
    """A form with one row per setting of ``assist``; OK stores them."""

    def __init__(self, assist: Assist, settings: QSettings, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("assistSettings")
        self.assist = assist
        self.settings = settings
        self.setWindowTitle(self.tr("Settings of %s") % assist.title)
        self._getters: dict[str, Callable[[], Any]] = {}
        self._setters: dict[str, Callable[[Any], None]] = {}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        values = load_settings(settings, assist)
        specs = assist.settings or {}
        if not specs:
            form.addRow(QLabel(self.tr("This assist has no settings.")))
        for name, spec in specs.items():
            widget = self._row(name, spec, values[name])
            widget.setObjectName(f"setting_{name}")
            widget.setToolTip(spec.help)
            widget.setAccessibleName(name.replace("_", " "))
            label = QLabel(name.replace("_", " "))
            label.setToolTip(spec.help)
            form.addRow(label, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        defaults = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        defaults.clicked.connect(self.restore_defaults)
        layout.addWidget(buttons)

    def _row(self, name: str, spec: SettingSpec, value: Any) -> QWidget:
        widget: QWidget
        if spec.type in ("int", "float"):
            widget, get, put = _number_row(spec, value)
        elif spec.type == "bool":
            box = QCheckBox()
            box.setChecked(bool(value))
            widget, get, put = box, box.isChecked, lambda v: box.setChecked(bool(v))
        elif spec.type == "path":
            widget, get, put = _path_row(str(value), name, self.tr("Browse…"))
        else:
            edit = QLineEdit(str(value))
            widget, get, put = edit, edit.text, lambda v: edit.setText(str(v))
        self._getters[name], self._setters[name] = get, put
        return widget

    def values(self) -> dict[str, Any]:
        specs = self.assist.settings or {}
        return {name: specs[name].coerce(get()) for name, get in self._getters.items()}

    def restore_defaults(self) -> None:
        for name, spec in (self.assist.settings or {}).items():
            self._setters[name](spec.default)

    def accept(self) -> None:
        save_settings(self.settings, self.assist, self.values())
        super().accept()
