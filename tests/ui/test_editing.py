"""Selecting and editing shapes with the mouse and keys; undo and redo; attributes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QListWidget,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from annotator.project import Project
from tests.ui.helpers import (
    LEFT,
    NO_MOD,
    box_corners,
    click,
    close_to,
    double_click,
    drag,
    draw_box,
    press_key,
    run_child,
    shapes,
)

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _list_selection(window) -> list[int]:
    rows = window.findChild(QListWidget, "annotationList").selectedItems()
    return sorted(r.data(Qt.ItemDataRole.UserRole) for r in rows)


def _two_boxes(qtbot, window) -> tuple[int, int]:
    draw_box(qtbot, window, 40, 40, 120, 100)
    draw_box(qtbot, window, 200, 150, 300, 250)
    press_key(qtbot, window, "s")
    first, second = shapes(window)
    return int(first.id), int(second.id)


def test_click_selects_and_the_shape_list_follows_both_ways(window, qtbot):
    first, second = _two_boxes(qtbot, window)

    click(qtbot, window, 80, 70)
    assert window.editor.selection == [first]
    assert _list_selection(window) == [first]

    click(qtbot, window, 250, 200, SHIFT)  # shift-click adds
    assert sorted(window.editor.selection) == [first, second]
    assert _list_selection(window) == [first, second]

    click(qtbot, window, 350, 50)  # empty image: nothing selected
    assert window.editor.selection == []
    assert _list_selection(window) == []

    # Clicking a row of the shape list selects that shape on the canvas ...
    rows = window.findChild(QListWidget, "annotationList")
    row = next(rows.item(i) for i in range(rows.count())
               if rows.item(i).data(Qt.ItemDataRole.UserRole) == second)
    qtbot.mouseClick(rows.viewport(), LEFT, NO_MOD, rows.visualItemRect(row).center())
    assert window.editor.selection == [second]
    # ... so a key acts on it.
    press_key(qtbot, window, Qt.Key.Key_Delete)
    assert [a.id for a in shapes(window)] == [first]


def test_dragging_a_vertex_is_one_undo_step(window, qtbot):
    draw_box(qtbot, window, 50, 60, 150, 120)
    press_key(qtbot, window, "s")
    before = box_corners(shapes(window)[0])

    drag(qtbot, window, (150, 120), (190, 170), steps=8)
    assert close_to(box_corners(shapes(window)[0]), [50, 60, 190, 170])
    assert window.project.stack.undo_label() == "Move vertex"

    press_key(qtbot, window, "z", CTRL)
    assert box_corners(shapes(window)[0]) == before
    assert window.project.stack.undo_label() == "Add box"


def test_dragging_the_shape_moves_it(window, qtbot):
    press_key(qtbot, window, "p")
    for x, y in ((50, 50), (150, 50), (150, 150), (50, 150)):
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Return)
    press_key(qtbot, window, "s")
    before = shapes(window)[0].geometry.shell.copy()

    drag(qtbot, window, (100, 100), (130, 120), steps=6)
    (shape,) = shapes(window)
    assert close_to(shape.geometry.shell, before + np.array([30, 20]))
    assert window.project.stack.undo_label() == "Move polygon"


def _selected_square(qtbot, window) -> float:
    """A selected polygon (50, 50)-(150, 150); returns x of its right edge as stored."""
    press_key(qtbot, window, "p")
    for x, y in ((50, 50), (150, 50), (150, 150), (50, 150)):
        click(qtbot, window, x, y)
    press_key(qtbot, window, Qt.Key.Key_Return)
    press_key(qtbot, window, "s")
    click(qtbot, window, 100, 100)
    return float(shapes(window)[0].geometry.shell[1][0])


def test_double_click_just_inside_an_edge_inserts_a_vertex(window, qtbot):
    right = _selected_square(qtbot, window)
    inside = right - 1 / window.canvas.scale_factor  # one screen pixel inside

    double_click(qtbot, window, inside, 100)
    shell = shapes(window)[0].geometry.shell
    assert len(shell) == 5
    assert close_to(shell[2], [right, 100])
    assert window.project.stack.undo_label() == "Insert vertex"
    press_key(qtbot, window, "z", CTRL)
    assert len(shapes(window)[0].geometry.shell) == 4


# Regression: a press on the outline itself (or just outside) used to miss the closed
# shape (ShapeItem.shape() was the bare path) and deselect it, so the double click
# that followed inserted nothing.
@pytest.mark.parametrize("screen_px", [0, 2])
def test_double_click_on_or_just_outside_an_edge_inserts_a_vertex(window, qtbot, screen_px):
    right = _selected_square(qtbot, window)

    double_click(qtbot, window, right + screen_px / window.canvas.scale_factor, 100)
    assert len(shapes(window)[0].geometry.shell) == 5
    assert window.project.stack.undo_label() == "Insert vertex"


def test_arrow_nudges_merge_into_one_undo_step(window, qtbot):
    draw_box(qtbot, window, 50, 60, 150, 120)
    press_key(qtbot, window, "s")
    before = box_corners(shapes(window)[0])

    for _ in range(3):
        press_key(qtbot, window, Qt.Key.Key_Right)
    press_key(qtbot, window, Qt.Key.Key_Down)
    press_key(qtbot, window, Qt.Key.Key_Right, SHIFT)  # 10 px
    press_key(qtbot, window, Qt.Key.Key_Up, SHIFT)

    expected = [before[0] + 13, before[1] - 9, before[2] + 13, before[3] - 9]
    assert close_to(box_corners(shapes(window)[0]), expected, 1e-6)
    assert window.project.stack.undo_label() == "Move box"
    press_key(qtbot, window, "z", CTRL)  # one undo takes back every nudge
    assert box_corners(shapes(window)[0]) == before
    assert window.project.stack.undo_label() == "Add box"


def test_delete_removes_the_selection(window, qtbot):
    first, second = _two_boxes(qtbot, window)
    click(qtbot, window, 80, 70)
    press_key(qtbot, window, Qt.Key.Key_Delete)
    assert [a.id for a in shapes(window)] == [second]
    press_key(qtbot, window, "z", CTRL)
    assert [a.id for a in shapes(window)] == [first, second]


def test_copy_and_paste(window, qtbot):
    draw_box(qtbot, window, 50, 60, 150, 120)
    press_key(qtbot, window, "c", CTRL)
    press_key(qtbot, window, "v", CTRL)

    original, pasted = shapes(window)
    assert pasted.id != original.id
    assert (pasted.label, pasted.kind) == (original.label, original.kind)
    assert box_corners(pasted) == box_corners(original)

    # Pasting on another item of the batch puts the copy there.
    press_key(qtbot, window, "d")
    press_key(qtbot, window, "v", CTRL)
    (elsewhere,) = shapes(window)
    assert box_corners(elsewhere) == box_corners(original)


def test_ctrl_d_duplicates_with_an_offset(window, qtbot):
    draw_box(qtbot, window, 50, 60, 150, 120)
    press_key(qtbot, window, "d", CTRL)

    original, copy = shapes(window)
    assert copy.id != original.id
    assert close_to(box_corners(copy), [c + 10 for c in box_corners(original)], 1e-6)
    assert window.editor.selection == [copy.id]  # the copy is what is selected now


def test_h_hides_and_shows_the_selection(window, qtbot):
    draw_box(qtbot, window, 50, 60, 150, 120)
    press_key(qtbot, window, "h")
    assert shapes(window)[0].hidden is True
    press_key(qtbot, window, "h")
    assert shapes(window)[0].hidden is False
    press_key(qtbot, window, "h")
    press_key(qtbot, window, "h", SHIFT)  # show all
    assert shapes(window)[0].hidden is False


def test_a_hidden_shape_is_not_reshaped_by_the_mouse(window, qtbot):
    draw_box(qtbot, window, 50, 60, 150, 120)  # selected once drawn
    press_key(qtbot, window, "h")
    press_key(qtbot, window, "s")
    (hidden,) = shapes(window)
    assert hidden.hidden is True

    drag(qtbot, window, (150, 120), (200, 200))  # where its corner was
    assert box_corners(shapes(window)[0]) == box_corners(hidden)
    assert window.project.stack.undo_label() == "Set hidden=True on box"


def test_ctrl_l_locks_and_a_locked_shape_does_not_move(window, qtbot):
    draw_box(qtbot, window, 50, 60, 150, 120)
    press_key(qtbot, window, "s")
    click(qtbot, window, 100, 90)
    press_key(qtbot, window, "l", CTRL)
    (locked,) = shapes(window)
    assert locked.locked is True
    before = box_corners(locked)

    drag(qtbot, window, (100, 90), (160, 160))  # the body
    press_key(qtbot, window, Qt.Key.Key_Right)
    press_key(qtbot, window, Qt.Key.Key_Delete)
    drag(qtbot, window, (150, 120), (200, 200))  # a corner
    (still,) = shapes(window)
    assert box_corners(still) == before
    assert still.revision == locked.revision  # not written at all

    click(qtbot, window, 100, 90)
    press_key(qtbot, window, "l", CTRL)  # unlocked, it moves again
    assert shapes(window)[0].locked is False
    drag(qtbot, window, (100, 90), (160, 160))
    moved = [c + (60 if i % 2 == 0 else 70) for i, c in enumerate(before)]
    assert close_to(box_corners(shapes(window)[0]), moved)


def _snapshot(window) -> list[tuple[int, dict]]:
    return [(int(a.id), a.content_key()) for a in shapes(window)]


def test_five_edits_undone_and_redone_step_by_step(window, qtbot):
    states = [_snapshot(window)]
    draw_box(qtbot, window, 40, 40, 120, 100)  # 1 add
    states.append(_snapshot(window))
    draw_box(qtbot, window, 200, 150, 300, 250)  # 2 add
    states.append(_snapshot(window))
    press_key(qtbot, window, "s")
    drag(qtbot, window, (250, 200), (260, 190))  # 3 move the second
    states.append(_snapshot(window))
    press_key(qtbot, window, "2")  # 4 the second becomes a pedestrian
    states.append(_snapshot(window))
    click(qtbot, window, 80, 70)
    press_key(qtbot, window, Qt.Key.Key_Delete)  # 5 delete the first
    states.append(_snapshot(window))
    assert len({repr(s) for s in states}) == 6  # every edit changed the store

    for step in range(5, 0, -1):
        press_key(qtbot, window, "z", CTRL)
        assert _snapshot(window) == states[step - 1], f"after undoing edit {step}"
    assert shapes(window) == []
    assert window.project.stack.undo_label() is None

    for step in range(1, 6):
        if step % 2:
            press_key(qtbot, window, "y", CTRL)
        else:
            press_key(qtbot, window, "z", CTRL | SHIFT)
        assert _snapshot(window) == states[step], f"after redoing edit {step}"
    assert window.project.stack.redo_label() is None

    # Every step is in the store itself, not only in this window.
    with Project.open(window.project.folder, "ann") as fresh:
        stored = [(int(a.id), a.content_key())
                  for a in fresh.store.annotations_for_item(int(window.item.id))]
    assert stored == states[5]


# -- the attribute editor ------------------------------------------------------------


def _attribute_input(window, cls, name):
    editor = window.findChild(QWidget, "attributeEditor")
    return next(w for w in editor.findChildren(cls) if w.accessibleName() == name)


def _pick_in_popup(qtbot, window, combo, text):
    """Open the combo's popup with a click, then arrow keys and Enter in it.

    (A synthetic mouse release on a row is sometimes taken by Qt for the release
    of the opening click and ignored; the keys are deterministic.)
    """
    qtbot.mouseClick(combo, LEFT)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=2000)
    steps = combo.findText(text) - view.currentIndex().row()
    for _ in range(abs(steps)):
        qtbot.keyClick(view, Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    # The offscreen platform leaves the closed popup the active window (a desktop
    # gives activation back to the main window), and window shortcuts need it.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def _select_car(qtbot, window):
    draw_box(qtbot, window, 50, 60, 150, 120)  # a car
    press_key(qtbot, window, "s")
    click(qtbot, window, 300, 250)
    click(qtbot, window, 100, 90)  # selected by a click
    qtbot.wait(1)


def test_attribute_editor_checkbox_and_enum(window, qtbot):
    _select_car(qtbot, window)

    box = _attribute_input(window, QCheckBox, "occluded")
    assert not box.isChecked()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    qtbot.mouseClick(box, LEFT, NO_MOD, indicator.center())
    qtbot.waitUntil(lambda: shapes(window)[0].attributes.get("occluded") is True, timeout=2000)
    assert window.project.stack.undo_label() == "Set occluded of box"

    _pick_in_popup(qtbot, window, _attribute_input(window, QComboBox, "body_color"), "silver")
    qtbot.waitUntil(lambda: shapes(window)[0].attributes.get("body_color") == "silver",
                    timeout=2000)
    assert shapes(window)[0].attributes == {
        "occluded": True, "truncated": False, "body_color": "silver"}
    assert window.project.stack.undo_label() == "Set body_color of box"

    press_key(qtbot, window, "z", CTRL)
    assert shapes(window)[0].attributes == {"occluded": True, "truncated": False}
    with Project.open(window.project.folder, "ann") as fresh:
        (stored,) = fresh.store.annotations_for_item(int(window.item.id))
    assert stored.attributes == {"occluded": True, "truncated": False}


def test_attribute_editor_shows_the_value_after_undo(window, qtbot):
    _select_car(qtbot, window)
    combo = _attribute_input(window, QComboBox, "body_color")
    _pick_in_popup(qtbot, window, combo, "silver")
    qtbot.waitUntil(lambda: shapes(window)[0].attributes.get("body_color") == "silver",
                    timeout=2000)
    assert QApplication.focusWidget() is combo  # where the focus is after picking

    qtbot.keyClick(combo, "z", CTRL)  # Ctrl+Z typed right there
    assert "body_color" not in shapes(window)[0].attributes
    qtbot.wait(50)
    assert _attribute_input(window, QComboBox, "body_color").currentText() == "—"


# These run in a child process: these gestures used to crash the app (segmentation
# fault), and a crash in pytest's own process would take the whole run down.

FIND = """
from PySide6.QtWidgets import (QCheckBox, QComboBox, QSpinBox, QStyle, QStyleOptionButton,
                               QWidget)

def attribute_input(cls, name):
    editor = window.findChild(QWidget, "attributeEditor")
    return next(w for w in editor.findChildren(cls) if w.accessibleName() == name)

def pick_in_popup(combo, text):
    # Arrow keys in the open popup, then Enter: a synthetic mouse release there is
    # sometimes taken for the release of the opening click and ignored.
    view = combo.view()
    steps = combo.findText(text) - view.currentIndex().row()
    for _ in range(abs(steps)):
        QTest.keyClick(view, Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up)
    QTest.keyClick(view, Qt.Key.Key_Return)
    window.activateWindow()  # offscreen leaves the closed popup active

def state():
    (shape,) = shapes(window)
    return {"attributes": dict(shape.attributes), "corners": box_corners(shape),
            "undo": window.project.stack.undo_label()}
"""


def _stored_attributes(folder) -> dict:
    with Project.open(folder, "ann") as fresh:
        (shape,) = fresh.store.annotations_for_item(1)
        return dict(shape.attributes)


# The gesture's input widget is watched: if it is destroyed before the event that
# changed it has returned, Qt goes on using freed memory (a crash now and then;
# glibc's MALLOC_PERTURB_, set for the child, makes that more likely).  Watching
# the widget makes the check deterministic; the crash itself is asserted too.
WATCH = """
destroyed_during_event = []

def watched(widget):
    flag = []
    widget.destroyed.connect(lambda *_: flag.append(True))
    return flag

def after_event(flag):
    destroyed_during_event.append(bool(flag))
"""

GESTURES = {
    "click the occluded checkbox": ("""
draw_box(qtbot, window, 50, 60, 150, 120)
for _ in range(3):
    settle()
    box = attribute_input(QCheckBox, "occluded")
    flag = watched(box)
    option = QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    QTest.mouseClick(box, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     indicator.center())
    after_event(flag)
""", {"occluded": True}),
    "space on the occluded checkbox": ("""
draw_box(qtbot, window, 50, 60, 150, 120)
for _ in range(3):
    settle()
    box = attribute_input(QCheckBox, "occluded")
    flag = watched(box)
    box.setFocus()
    QTest.keyClick(box, Qt.Key.Key_Space)
    after_event(flag)
""", {"occluded": True}),
    "pick a body colour from the combo popup": ("""
draw_box(qtbot, window, 50, 60, 150, 120)
for colour in ["white", "red", "silver"]:
    settle()
    combo = attribute_input(QComboBox, "body_color")
    flag = watched(combo)
    QTest.mouseClick(combo, Qt.MouseButton.LeftButton)  # opens the popup
    settle()
    pick_in_popup(combo, colour)
    after_event(flag)
""", {"body_color": "silver"}),
    "type a speed and press Enter": ("""
press_key(qtbot, window, "4")  # traffic_sign: speed_kmh is an int
draw_box(qtbot, window, 50, 60, 150, 120)
for speed in (30, 40, 50):
    settle()
    spin = attribute_input(QSpinBox, "speed_kmh")
    flag = watched(spin)
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, str(speed))
    QTest.keyClick(spin, Qt.Key.Key_Return)
    after_event(flag)
""", {"speed_kmh": 50}),
}


# Regression: AttributeEditor.rebuild used to delete the inputs (QFormLayout.removeRow)
# while the input's own signal was still running: a use after free, the app segfaulted.
@pytest.mark.parametrize("gesture", list(GESTURES))
def test_the_attribute_editor_stores_values_without_crashing(setup, settings_dir, gesture):
    body, expected = GESTURES[gesture]
    code, reports, errors = run_child(setup.folder, settings_dir, FIND + WATCH + body + """
settle()
report(destroyed_during_event=destroyed_during_event, **state())
""")
    assert code == 0, f"the app crashed or hung ({code}): {errors[-2000:]}"
    (final,) = reports
    assert not any(final["destroyed_during_event"]), "input deleted inside its own event"
    assert expected.items() <= final["attributes"].items()
    assert expected.items() <= _stored_attributes(setup.folder).items()


# Regression: the single-key window shortcuts (arrows nudge, letters pick tools) used to
# take the keys typed in the attribute editor.
def test_keys_typed_in_the_attribute_editor_edit_the_attribute(setup, settings_dir):
    code, reports, errors = run_child(setup.folder, settings_dir, FIND + """
press_key(qtbot, window, "4")  # traffic_sign
draw_box(qtbot, window, 50, 60, 150, 120)
settle()
report(**state())
spin = attribute_input(QSpinBox, "speed_kmh")
spin.setFocus()
settle()
QTest.keyClick(spin, Qt.Key.Key_Up)
settle()
report(value=attribute_input(QSpinBox, "speed_kmh").value(), **state())
combo = attribute_input(QComboBox, "sign_type")
combo.setFocus()
settle()
QTest.keyClick(combo, "n")  # keyboard search: no_entry
settle()
report(tool=window.editor.tool.name, **state())
""")
    assert code == 0, errors[-2000:]
    start, after_up, after_letter = reports
    assert after_up["corners"] == start["corners"]  # not nudged
    assert after_up["value"] == 1
    assert after_letter["tool"] == "box"  # not switched by the letter
    assert after_letter["attributes"].get("sign_type") == "no_entry"


# Regression: number fields used to commit on editingFinished even when unchanged,
# storing speed_kmh=0 (and an undo step) when the focus merely passed through.
def test_an_untouched_number_field_writes_nothing(setup, settings_dir):
    code, reports, errors = run_child(setup.folder, settings_dir, FIND + """
press_key(qtbot, window, "4")  # traffic_sign: speed_kmh has no default
draw_box(qtbot, window, 50, 60, 150, 120)
settle()
attribute_input(QSpinBox, "speed_kmh").setFocus()
settle()
window.canvas.setFocus()  # tab away without typing
settle()
report(**state())
""")
    assert code == 0, errors[-2000:]
    assert "speed_kmh" not in reports[-1]["attributes"]
    assert reports[-1]["undo"] == "Add box"
