"""Drawing every kind of shape with the mouse, and the class hotkeys.

Sample schema classes by hotkey: 1 car (box, rotated_box, polygon), 2 pedestrian
(box, polygon, point), 3 bicycle (box, polygon), 4 traffic_sign (box, polygon,
point), 5 road_marking (polygon, polyline), 6 lane_line (polyline).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt

from tests.ui.helpers import (
    box_corners,
    click,
    close_to,
    double_click,
    drag,
    draw_box,
    press_key,
    shapes,
)


def test_box_by_dragging(window, qtbot):
    press_key(qtbot, window, "b")
    drag(qtbot, window, (50, 60), (150, 120))
    # Dragging up and to the left makes a box too, stored with its corners ordered.
    drag(qtbot, window, (300, 250), (220, 180))

    first, second = shapes(window)
    assert (first.kind, first.label) == ("box", "car")
    assert close_to(box_corners(first), [50, 60, 150, 120])
    assert (second.kind, second.label) == ("box", "car")
    assert close_to(box_corners(second), [220, 180, 300, 250])
    assert first.attributes == {"occluded": False, "truncated": False}  # schema defaults
    assert first.author == "ann"


def test_a_click_without_a_drag_makes_no_box(window, qtbot):
    press_key(qtbot, window, "b")
    click(qtbot, window, 100, 100)
    assert shapes(window) == []
    assert "drag" in window.statusBar().currentMessage().lower()


def test_rotated_box_by_three_clicks(window, qtbot):
    press_key(qtbot, window, "r")
    # One edge from (100, 100) to (180, 160): length 100, angle atan2(60, 80);
    # the third click sets the depth, 50 px along the edge's normal (-0.6, 0.8).
    for x, y in ((100, 100), (180, 160), (150, 200)):
        click(qtbot, window, x, y)

    (shape,) = shapes(window)
    assert (shape.kind, shape.label) == ("rotated_box", "car")
    geometry = shape.geometry
    assert close_to(geometry.vertices, [[100, 100], [180, 160], [150, 200], [70, 140]])
    assert close_to([geometry.width, geometry.height], [100, 50])
    assert math.isclose(geometry.angle, math.atan2(60, 80), abs_tol=0.03)


def test_polygon_finished_with_enter(window, qtbot):
    press_key(qtbot, window, "p")
    points = [(50, 50), (150, 40), (170, 150), (60, 140)]
    for x, y in points:
        click(qtbot, window, x, y)
    assert shapes(window) == []  # still drawing
    press_key(qtbot, window, Qt.Key.Key_Return)

    (shape,) = shapes(window)
    assert (shape.kind, shape.label) == ("polygon", "car")
    assert close_to(shape.geometry.shell, points)


def test_polygon_closed_by_clicking_its_first_vertex(window, qtbot):
    press_key(qtbot, window, "p")
    points = [(200, 50), (300, 80), (250, 200)]
    for x, y in points:
        click(qtbot, window, x, y)
    click(qtbot, window, 201, 51)  # on the first vertex again: closes, adds nothing

    (shape,) = shapes(window)
    assert shape.kind == "polygon"
    assert close_to(shape.geometry.shell, points)


def test_polyline_finished_with_a_double_click(window, qtbot):
    press_key(qtbot, window, "6")  # lane_line: polylines only
    press_key(qtbot, window, "l")
    click(qtbot, window, 20, 250)
    click(qtbot, window, 120, 200)
    double_click(qtbot, window, 300, 120)  # the last vertex, and done

    (shape,) = shapes(window)
    assert (shape.kind, shape.label) == ("polyline", "lane_line")
    assert close_to(shape.geometry.points, [[20, 250], [120, 200], [300, 120]])


def test_point_by_one_click(window, qtbot):
    press_key(qtbot, window, "2")  # pedestrian allows points
    press_key(qtbot, window, "t")
    click(qtbot, window, 123, 77)

    (shape,) = shapes(window)
    assert (shape.kind, shape.label) == ("point", "pedestrian")
    assert close_to(shape.geometry.points, [[123, 77]])


def test_digit_picks_the_class_of_the_next_shape(window, qtbot):
    press_key(qtbot, window, "2")
    draw_box(qtbot, window, 30, 30, 90, 90)
    press_key(qtbot, window, Qt.Key.Key_Escape)
    press_key(qtbot, window, "s")
    click(qtbot, window, 200, 200)  # on the empty image: nothing selected
    press_key(qtbot, window, "3")
    draw_box(qtbot, window, 150, 150, 250, 250)

    assert [(a.label, a.kind) for a in shapes(window)] == [
        ("pedestrian", "box"), ("bicycle", "box")]


def test_digit_with_a_selection_changes_its_class(window, qtbot):
    draw_box(qtbot, window, 50, 60, 150, 120)  # a car, selected once drawn
    press_key(qtbot, window, "s")
    click(qtbot, window, 100, 90)
    press_key(qtbot, window, "4")

    (shape,) = shapes(window)
    assert shape.label == "traffic_sign"
    assert window.project.stack.undo_label() == "Change class of box to traffic_sign"

    # A class that does not allow boxes is refused, and says so.
    press_key(qtbot, window, "6")
    assert shapes(window)[0].label == "traffic_sign"
    message = window.statusBar().currentMessage()
    assert "lane_line" in message and "box" in message


def test_a_kind_the_class_does_not_allow_stores_nothing(window, qtbot):
    press_key(qtbot, window, "6")  # lane_line: polylines only
    press_key(qtbot, window, "b")
    assert "lane_line" in window.statusBar().currentMessage()  # warned when picking the tool
    drag(qtbot, window, (50, 60), (150, 120))

    assert shapes(window) == []
    message = window.statusBar().currentMessage()
    assert "lane_line" in message and "box" in message
    assert window.project.stack.undo_label() is None


def test_n_repeats_the_last_tool_and_class(window, qtbot):
    press_key(qtbot, window, "2")
    press_key(qtbot, window, "t")
    click(qtbot, window, 40, 40)
    press_key(qtbot, window, "s")
    click(qtbot, window, 300, 250)  # deselect (a digit would reclassify the point)
    press_key(qtbot, window, "1")  # car, which cannot be a point
    press_key(qtbot, window, "n")  # pedestrian points again
    click(qtbot, window, 80, 80)

    assert [(a.label, a.kind) for a in shapes(window)] == [
        ("pedestrian", "point"), ("pedestrian", "point")]
    assert close_to(shapes(window)[1].geometry.points, [[80, 80]])
