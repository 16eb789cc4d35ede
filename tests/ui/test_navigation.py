"""Moving between items (keys, the item list), copying from the previous item,
and coming back to the same place after closing the app."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListView, QListWidget

from annotator.project import Project
from tests.ui.helpers import (
    LEFT,
    NO_MOD,
    box_corners,
    click,
    close_window,
    draw_box,
    press_key,
    shapes,
)

SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def _position(window) -> str:
    labels = window.statusBar().findChildren(QLabel)
    return next(label.text() for label in labels if label.accessibleName() == "Item position")


def test_d_and_a_step_through_the_batch(window, qtbot, setup):
    batch = setup.batch_items
    assert window.item.id == batch[0]
    assert _position(window) == "Item 1 / 4"

    for expected in batch[1:]:
        press_key(qtbot, window, "d")
        assert window.item.id == expected
    assert _position(window) == "Item 4 / 4"
    assert (window.item.width, window.item.height) == (300, 400)

    press_key(qtbot, window, "d")  # the end of the batch: the item outside it is not next
    assert window.item.id == batch[3]
    assert "no more items" in window.statusBar().currentMessage().lower()

    press_key(qtbot, window, "a")
    press_key(qtbot, window, "a")
    assert window.item.id == batch[1]
    assert _position(window) == "Item 2 / 4"

    # Each item has its own scene size and its own shapes.
    draw_box(qtbot, window, 10, 10, 300, 230)  # nearly all of the 320 x 240 image
    assert window.canvas.sceneRect().size().toTuple() == (320, 240)
    assert len(shapes(window, batch[1])) == 1
    assert shapes(window, batch[0]) == []


def test_shift_d_goes_to_the_next_item_without_shapes(window, qtbot, setup):
    batch = setup.batch_items
    draw_box(qtbot, window, 10, 10, 60, 60)  # item 1
    press_key(qtbot, window, "d")
    draw_box(qtbot, window, 10, 10, 60, 60)  # item 2
    press_key(qtbot, window, "a")

    press_key(qtbot, window, "d", SHIFT)
    assert window.item.id == batch[2]
    draw_box(qtbot, window, 10, 10, 60, 60)  # item 3
    press_key(qtbot, window, "d", SHIFT)
    assert window.item.id == batch[3]
    draw_box(qtbot, window, 10, 10, 60, 60)  # item 4: now every item has shapes

    press_key(qtbot, window, "d", SHIFT)
    assert window.item.id == batch[3]
    assert "every item" in window.statusBar().currentMessage().lower()


def test_clicking_the_item_list_opens_an_item(window, qtbot, setup):
    view = window.findChild(QListView, "itemList")
    assert view.model().rowCount() == 4  # the batch only
    index = view.model().index(2, 0)
    assert "img_2.png" in index.data()

    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, view.visualRect(index).center())
    assert window.item.id == setup.batch_items[2]
    assert _position(window) == "Item 3 / 4"
    draw_box(qtbot, window, 20, 20, 120, 120)
    assert len(shapes(window, setup.batch_items[2])) == 1
    assert "(1)" in index.data()  # the list counts the item's shapes


def test_shift_v_copies_the_shapes_of_the_previous_item(window, qtbot, setup):
    first, second = setup.batch_items[:2]
    press_key(qtbot, window, "v", SHIFT)  # on the first item: no previous, nothing happens
    assert shapes(window) == []

    draw_box(qtbot, window, 20, 30, 120, 100)
    press_key(qtbot, window, "2")  # the new box becomes a pedestrian
    press_key(qtbot, window, "t")
    click(qtbot, window, 200, 150)  # and a pedestrian point
    originals = shapes(window, first)

    press_key(qtbot, window, "d")
    press_key(qtbot, window, "v", SHIFT)
    copies = shapes(window, second)
    assert [(a.label, a.kind, a.geometry) for a in copies] == [
        (a.label, a.kind, a.geometry) for a in originals]
    assert not {a.id for a in copies} & {a.id for a in originals}
    assert shapes(window, first) == originals  # the source is untouched

    press_key(qtbot, window, "z", CTRL)  # one step takes the whole copy back
    assert shapes(window, second) == []


def test_f_fits_the_image_again(window, qtbot):
    fitted = window.canvas.scale_factor
    for _ in range(3):
        press_key(qtbot, window, "+")
    assert window.canvas.scale_factor > fitted * 1.9
    press_key(qtbot, window, "f")
    assert window.canvas.scale_factor == pytest.approx(fitted)


def _edit_and_close(open_ui, qtbot, setup):
    """Edits on two items, the second left open with one shape selected; closed."""
    window = open_ui(setup.folder)
    draw_box(qtbot, window, 20, 20, 80, 80)
    press_key(qtbot, window, "d")
    draw_box(qtbot, window, 20, 20, 80, 80)
    draw_box(qtbot, window, 150, 100, 250, 200)
    press_key(qtbot, window, "s")
    click(qtbot, window, 50, 50)
    selected = list(window.editor.selection)
    rows = window.findChild(QListWidget, "annotationList").selectedItems()
    assert [r.data(Qt.ItemDataRole.UserRole) for r in rows] == selected
    close_window(window)
    return selected


def test_reopening_restores_the_item_and_keeps_every_edit(open_ui, qtbot, setup):
    first, second = setup.batch_items[:2]
    _edit_and_close(open_ui, qtbot, setup)

    with Project.open(setup.folder, "ann") as fresh:
        assert len(fresh.store.annotations_for_item(first)) == 1
        assert [box_corners(a) for a in fresh.store.annotations_for_item(second)] == [
            pytest.approx([20, 20, 80, 80], abs=1.5), pytest.approx([150, 100, 250, 200], abs=1.5)]

    reopened = open_ui(setup.folder)
    assert reopened.item.id == second
    assert len(shapes(reopened)) == 2
    press_key(qtbot, reopened, "z", Qt.KeyboardModifier.ControlModifier)  # history survives
    assert len(shapes(reopened)) == 1


# Regression: _open_first used to read the saved selection after open_item, which had
# already overwritten it with an empty one.
def test_reopening_restores_the_selection(open_ui, qtbot, setup):
    selected = _edit_and_close(open_ui, qtbot, setup)

    reopened = open_ui(setup.folder)
    assert reopened.editor.selection == selected
    rows = reopened.findChild(QListWidget, "annotationList").selectedItems()
    assert [r.data(Qt.ItemDataRole.UserRole) for r in rows] == selected
