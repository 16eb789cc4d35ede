"""Mouse and keyboard navigation of the 3D view: what each gesture does to the camera.

=====================================  =========================================
gesture                                effect
=====================================  =========================================
left drag                              orbit around the target
middle drag, Shift + left drag         pan (the point under the cursor follows it)
wheel                                  zoom toward the point under the cursor
left click (no drag)                   :attr:`Navigator.clicked` (picking)
W / S, A / D, E / Q (held)             fly forward / back, left / right, up / down;
                                       Shift: four times faster
arrow keys                             orbit 5 degrees
+ / -                                  zoom toward the centre
Home, F                                :attr:`Navigator.fitRequested`
=====================================  =========================================

The view forwards its events here; the navigator changes the camera and says
:attr:`Navigator.changed`.  While the view has focus its keys win over window
shortcuts of the same keys (see :meth:`Navigator.claims_shortcut`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent

from annotator.ui.gl_camera import OrbitCamera

__all__ = ["Navigator"]

#: A press and release closer than this (pixels) is a click, not a drag.
CLICK_SLOP = 3
ORBIT_RADIANS_PER_PIXEL = math.radians(0.4)
KEY_ORBIT = math.radians(5.0)
WHEEL_STEP = 0.85
#: Fly keys: (forward, right, up) unit steps.
_FLY = {
    Qt.Key.Key_W: (1, 0, 0), Qt.Key.Key_S: (-1, 0, 0),
    Qt.Key.Key_D: (0, 1, 0), Qt.Key.Key_A: (0, -1, 0),
    Qt.Key.Key_E: (0, 0, 1), Qt.Key.Key_Q: (0, 0, -1),
}
_KEYS = {
    Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Plus,
    Qt.Key.Key_Minus, Qt.Key.Key_Equal, Qt.Key.Key_Home, Qt.Key.Key_F, *_FLY,
}
_CHORDS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
           | Qt.KeyboardModifier.MetaModifier)


class Navigator(QObject):
    """Turns the view's mouse and key events into camera moves."""

    changed = Signal()
    clicked = Signal(QPointF)
    fitRequested = Signal()

    def __init__(self, camera: OrbitCamera, size: Callable[[], tuple[int, int]],
                 radius: Callable[[], float], parent: QObject | None = None) -> None:
        """``size()`` gives the view's (width, height) in widget pixels, ``radius()``
        the radius of the tile's bounding sphere in metres."""
        super().__init__(parent)
        self.camera = camera
        self._size = size
        self._radius = radius
        self._press: QPointF | None = None
        self._last = QPointF()
        self._mode = ""
        self._dragging = False
        self._fly: set[Qt.Key] = set()
        self._fast = False
        self._tick = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def interacting(self) -> bool:
        """A drag or a fly key is under way."""
        return self._dragging or bool(self._fly)

    # -- mouse --------------------------------------------------------------------------

    def press(self, event: QMouseEvent) -> bool:
        button = event.button()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton
                                                     and shift):
            self._mode = "pan"
        elif button == Qt.MouseButton.LeftButton:
            self._mode = "orbit"
        else:
            return False
        self._press = self._last = event.position()
        self._dragging = False
        return True

    def move(self, event: QMouseEvent) -> bool:
        if self._press is None:
            return False
        pos = event.position()
        if not self._dragging:
            moved = pos - self._press
            if abs(moved.x()) + abs(moved.y()) <= CLICK_SLOP:
                return True
            self._dragging = True
        dx, dy = pos.x() - self._last.x(), pos.y() - self._last.y()
        self._last = pos
        if self._mode == "orbit":
            self.camera.orbit(-dx * ORBIT_RADIANS_PER_PIXEL, dy * ORBIT_RADIANS_PER_PIXEL)
        else:
            self.camera.pan(dx, dy, self._size()[1])
        self.changed.emit()
        return True

    def release(self, event: QMouseEvent) -> bool:
        if self._press is None:
            return False
        clicked = not self._dragging and self._mode == "orbit"
        self._press, self._dragging, self._mode = None, False, ""
        if clicked:
            self.clicked.emit(event.position())
        else:
            self.changed.emit()     # the drag ended: the camera starts to settle now
        return True

    def wheel(self, event: QWheelEvent) -> bool:
        steps = event.angleDelta().y() / 120
        if not steps:
            return False
        pos = event.position()
        self.zoom(WHEEL_STEP ** steps, pos.x(), pos.y())
        return True

    def zoom(self, factor: float, x: float, y: float) -> None:
        width, height = self._size()
        self.camera.zoom_at(factor, x, y, width, height, max(self._radius() * 20, 100.0))
        self.changed.emit()

    # -- keys ---------------------------------------------------------------------------

    def claims_shortcut(self, event: QKeyEvent) -> bool:
        """Is this key (with no Ctrl/Alt/Meta) one of the view's own?"""
        return not event.modifiers() & _CHORDS and Qt.Key(event.key()) in _KEYS

    def key_press(self, event: QKeyEvent) -> bool:
        key = Qt.Key(event.key())
        self._fast = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        width, height = self._size()
        if key in _FLY:
            if not event.isAutoRepeat() and key not in self._fly:
                self._fly.add(key)
                self._step(1 / 30)
                self._tick = time.perf_counter()
                self._timer.start()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.camera.orbit(KEY_ORBIT if key == Qt.Key.Key_Left else -KEY_ORBIT, 0.0)
            self.changed.emit()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.camera.orbit(0.0, KEY_ORBIT if key == Qt.Key.Key_Up else -KEY_ORBIT)
            self.changed.emit()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus):
            self.zoom(WHEEL_STEP if key != Qt.Key.Key_Minus else 1 / WHEEL_STEP,
                      width / 2, height / 2)
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_F):
            self.fitRequested.emit()
        else:
            return False
        return True

    def key_release(self, event: QKeyEvent) -> bool:
        key = Qt.Key(event.key())
        if key not in _FLY or event.isAutoRepeat():
            return False
        self._fly.discard(key)
        if not self._fly:
            self._timer.stop()
            self.changed.emit()
        return True

    def stop(self) -> None:
        """Let go of every held key (focus left the view: no key release will come)."""
        if self._fly:
            self._fly.clear()
            self._timer.stop()
            self.changed.emit()

    def fly_speed(self) -> float:
        """Metres per second of the fly keys: the distance to the target, kept within
        2 % and 50 % of the tile's radius (Shift: four times that)."""
        radius = self._radius()
        speed = min(max(self.camera.distance, 0.02 * radius), 0.5 * radius)
        return speed * (4.0 if self._fast else 1.0)

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        # A stalled event loop does not turn into one long jump.
        self._step(min(now - self._tick, 0.1))
        self._tick = now

    def _step(self, seconds: float) -> None:
        forward = sum(_FLY[k][0] for k in self._fly)
        right = sum(_FLY[k][1] for k in self._fly)
        up = sum(_FLY[k][2] for k in self._fly)
        step = self.fly_speed() * seconds
        self.camera.fly(forward * step, right * step, up * step)
        self.changed.emit()
