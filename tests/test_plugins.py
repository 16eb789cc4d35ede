"""The assist plugin API: discovery through real entry points, and run()'s checks.

Plugins here are real distributions (a ``*.dist-info`` with
``entry_points.txt`` on ``sys.path``), found by importlib.metadata as an
installed plugin would be.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from annotator.errors import Cancelled
from annotator.model import AttributeSpec, Item, LabelClass, LabelSchema
from annotator.plugins import (
    AssistError,
    AssistRequest,
    Prompt,
    Proposal,
    SettingSpec,
    discover,
    resolve_settings,
    run,
    snap_point,
)
from annotator.shapes import Box, Cuboid, Point, Polygon, Polyline3D
from tests.plugin_dists import plugin_site

GOOD = """
    from annotator.plugins import Proposal, SettingSpec
    from annotator.shapes import Box

    class Assist:
        id = "grow"
        title = "Grow the box"
        media = "image"
        prompt = "box"
        settings = {"margin": SettingSpec("int", 2, 0, 50, "pixels added on each side")}

        def propose(self, request):
            m = request.settings["margin"]
            x0, y0, x1, y1 = request.prompt.box
            return [Proposal(request.label, Box.from_corners(x0 - m, y0 - m, x1 + m, y1 + m))]
"""

BROKEN = """
    import a_module_that_is_not_installed_anywhere  # noqa: F401

    class Assist:
        pass
"""

SHAPES = """
    class NoPropose:
        id, title, media, prompt, settings = "nopropose", "No propose", "image", "box", {}

    class Video:
        id, title, media, prompt, settings = "video", "Video", "video", "box", {}
        def propose(self, request):
            return []

    class Renamed:
        id, title, media, prompt, settings = "other_name", "Renamed", "image", "none", {}
        def propose(self, request):
            return []

    class Exploding:
        def __init__(self):
            raise RuntimeError("needs a licence key")

    INSTANCE = Video()
    INSTANCE.id = "instance"
    INSTANCE.media = "pointcloud"
"""


@pytest.fixture
def site(tmp_path: Path):
    with plugin_site(tmp_path / "site") as made:
        yield made


def _schema() -> LabelSchema:
    return LabelSchema("s", (
        LabelClass("car", "#e69f00", ("box", "cuboid"), (AttributeSpec("occluded", "bool"),)),
        LabelClass("lane", "#0072b2", ("polygon", "polyline3d")),
    ))


IMAGE = Item(7, "a.png", "image", "png", "0" * 64, 100, 64, 48)
TILE = Item(8, "t.pcd", "pointcloud", "pcd", "0" * 64, 100, points=10)
NEXT = Item(9, "b.png", "image", "png", "0" * 64, 100, 64, 48)


def _request(item: Item = IMAGE, prompt: Prompt | None = None, **kwargs) -> AssistRequest:
    return AssistRequest(item, "car", _schema(), prompt or Prompt("none"), **kwargs)


class _Fixed:
    """An in-test assist that answers whatever it is given."""

    id, title, media, prompt, settings = "fixed", "Fixed", "image", "none", {}

    def __init__(self, answer) -> None:
        self.answer = answer

    def propose(self, request):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


# -- discovery ---------------------------------------------------------------------------


def test_discovery_loads_plugins_lazily_and_keeps_broken_ones_as_errors(site):
    site.add("good", {"good": GOOD}, {"grow": "good:Assist"})
    site.add("broken", {"broken": BROKEN}, {"broken": "broken:Assist"})
    site.add("shapes", {"shapes": SHAPES}, {
        "nopropose": "shapes:NoPropose", "video": "shapes:Video", "renamed": "shapes:Renamed",
        "exploding": "shapes:Exploding", "instance": "shapes:INSTANCE",
        "missing": "shapes:NotThere"})
    assert site.module_name("good") not in sys.modules  # nothing loads before it is asked for

    registry = discover(refresh=True)

    assert site.module_name("good") in sys.modules
    grow = registry.get("grow")
    assert (grow.title, grow.media, grow.prompt) == ("Grow the box", "image", "box")
    assert registry.get("instance").media == "pointcloud"  # an instance is used as it is
    errors = registry.errors
    assert "ModuleNotFoundError" in errors["broken"]
    assert "a_module_that_is_not_installed_anywhere" in errors["broken"]
    assert errors["nopropose"] == "has no propose(request) method"
    assert "media 'video'" in errors["video"]
    assert "calls itself 'other_name'" in errors["renamed"]
    assert "needs a licence key" in errors["exploding"]
    assert "NotThere" in errors["missing"]
    for message in errors.values():
        assert "\n" not in message
    mine = {"grow", "broken", "nopropose", "video", "renamed", "exploding", "instance", "missing"}
    # (installed plugins may be listed too)
    assert {a.id for a in registry.assists("image")} & mine == {"grow"}
    assert {a.id for a in registry.assists("pointcloud")} & mine == {"instance"}
    with pytest.raises(AssistError, match="broken: failed to load"):
        registry.get("broken")
    with pytest.raises(AssistError, match="unknown assist 'nothing'"):
        registry.get("nothing")


def test_discovery_is_cached_until_refreshed(site):
    before = discover(refresh=True)
    assert discover() is before
    site.add("good", {"good": GOOD}, {"grow": "good:Assist"})
    assert discover().find("grow") is None  # cached: the new plugin is not seen yet
    assert discover(refresh=True).find("grow") is not None


def test_a_discovered_plugin_runs_with_its_settings(site):
    site.add("good", {"good": GOOD}, {"grow": "good:Assist"})
    grow = discover(refresh=True).get("grow")
    settings = resolve_settings(grow, {"margin": "500"})  # QSettings hands back text
    assert settings == {"margin": 50}  # clamped to the spec's maximum
    request = _request(prompt=Prompt("box", box=(30, 20, 10, 5)), settings=settings)
    (proposal,) = run(grow, request)
    assert proposal.geometry == Box.from_corners(-40, -45, 80, 70)
    assert resolve_settings(grow, {}) == {"margin": 2}


def test_an_id_installed_twice_comes_from_the_first_on_sys_path(tmp_path):
    with plugin_site(tmp_path / "later") as later:
        later.add("good", {"good": GOOD}, {"grow": "good:Assist"})
        with plugin_site(tmp_path / "first") as first:  # inserted before "later"
            first.add("again", {"again": GOOD.replace("Grow the box", "Grow it again")},
                      {"grow": "again:Assist"})
            registry = discover(refresh=True)
            assert registry.get("grow").title == "Grow it again"
            assert registry.shadowed["grow"] == f"{later.module_name('good')}:Assist"
            assert "grow" not in registry.errors


# -- run() ------------------------------------------------------------------------------


def test_run_refuses_non_finite_coordinates():
    box = Box.from_corners(0, 0, 4, 4)
    # The constructors refuse NaN; a plugin that writes the array directly must be caught too.
    object.__setattr__(box, "corners", np.array([[0.0, np.nan], [4.0, 4.0]]))
    with pytest.raises(AssistError, match="fixed: proposal 1: coordinates must be finite"):
        run(_Fixed([Proposal("car", box)]), _request())


def test_run_refuses_a_kind_the_class_does_not_allow():
    square = Polygon(np.array([[0, 0], [4, 0], [4, 4]]))
    good = Proposal("car", Box.from_corners(0, 0, 4, 4))
    with pytest.raises(AssistError, match="proposal 2: class 'car' does not allow polygon"):
        run(_Fixed([good, Proposal("car", square)]), _request())


def test_run_refuses_an_unknown_class_and_unknown_attributes():
    box = Box.from_corners(0, 0, 4, 4)
    with pytest.raises(AssistError, match="unknown class 'bus'"):
        run(_Fixed([Proposal("bus", box)]), _request())
    with pytest.raises(AssistError, match="class 'car' has no attribute 'colour'"):
        run(_Fixed([Proposal("car", box, {"colour": "red"})]), _request())
    with pytest.raises(AssistError, match="score"):
        run(_Fixed([Proposal("car", box, score=float("inf"))]), _request())


def test_run_refuses_shapes_of_the_wrong_dimension_or_item():
    cuboid = Cuboid(np.array([1.0, 2.0, 3.0]), np.array([4.0, 2.0, 1.5]), 0.3)
    with pytest.raises(AssistError, match=r"a cuboid does not belong on an image \(item 7\)"):
        run(_Fixed([Proposal("car", cuboid)]), _request())
    assert run(_Fixed([Proposal("car", cuboid)]), _request(TILE))[0].geometry == cuboid
    with pytest.raises(AssistError, match="a box does not belong on a point-cloud tile"):
        run(_Fixed([Proposal("car", Box.from_corners(0, 0, 1, 1))]), _request(TILE))
    line = Polyline3D(np.array([[0, 0, 0], [1, 1, 0]]))
    assert run(_Fixed([Proposal("lane", line)]), _request(TILE))
    box = Box.from_corners(0, 0, 4, 4)
    with pytest.raises(AssistError, match="item 12 is neither"):
        run(_Fixed([Proposal("car", box, item_id=12)]), _request(next_item=NEXT))
    tracked = run(_Fixed([Proposal("car", box, item_id=9)]), _request(next_item=NEXT))
    assert tracked[0].item_id == 9


def test_run_wraps_plugin_exceptions_in_one_line():
    with pytest.raises(AssistError) as raised:
        run(_Fixed(ValueError("bad pixels\n  at line 3")), _request())
    assert str(raised.value) == "fixed: ValueError: bad pixels at line 3"
    assert isinstance(raised.value.__cause__, ValueError)
    with pytest.raises(AssistError, match="fixed: propose returned a dict, not a list"):
        run(_Fixed({"box": 1}), _request())
    with pytest.raises(AssistError, match="proposal 1: is a str, not a Proposal"):
        run(_Fixed(["box"]), _request())


def test_run_checks_the_prompt_kind():
    class Boxy(_Fixed):
        prompt = "box"

    with pytest.raises(AssistError, match="needs a box prompt, got click"):
        run(Boxy([]), _request(prompt=Prompt("click", points=np.array([[1.0, 2.0]]))))


def test_cancelling_through_progress_raises_cancelled_even_if_the_plugin_ignores_it():
    class Diligent(_Fixed):
        def propose(self, request):
            for step in range(10):
                if not request.progress(step / 10):
                    raise Cancelled("stopped")
            return []

    class Careless(_Fixed):
        def propose(self, request):
            request.progress(0.5)
            return [Proposal("car", Box.from_corners(0, 0, 4, 4))]

    seen: list[float] = []

    def stop_at_half(fraction: float) -> bool:
        seen.append(fraction)
        return fraction < 0.5

    with pytest.raises(Cancelled):
        run(Diligent([]), _request(progress=stop_at_half))
    assert seen == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    with pytest.raises(Cancelled):
        run(Careless([]), _request(progress=stop_at_half))


def test_snap_point_returns_the_snapped_vertex_or_none():
    request = _request(prompt=Prompt("click", points=np.array([[5.0, 5.0]])))
    assert snap_point(_Fixed([]), request) is None
    snapped = snap_point(_Fixed([Proposal("car", Point.at(6.5, 4.0))]), request)
    assert snapped is not None and snapped.tolist() == [6.5, 4.0]
    with pytest.raises(AssistError, match="at most one point"):
        snap_point(_Fixed([Proposal("car", Point.at(1, 1))] * 2), request)
    with pytest.raises(AssistError, match="a Point proposal"):
        snap_point(_Fixed([Proposal("car", Box.from_corners(0, 0, 1, 1))]), request)


# -- values --------------------------------------------------------------------------------


def test_prompt_values_are_checked_and_normalised():
    assert Prompt("box", box=(10, 8, 2, 4)).box == (2.0, 4.0, 10.0, 8.0)
    click = Prompt("click", points=[[1, 2], [3, 4]], labels=[1, 0])
    assert click.points.shape == (2, 2) and click.labels.tolist() == [1, 0]
    assert Prompt("click", points=[[1, 2]]).labels.tolist() == [1]  # foreground by default
    with pytest.raises(AssistError, match="finite"):
        Prompt("box", box=(0, 0, float("nan"), 1))
    with pytest.raises(AssistError, match="at least one point"):
        Prompt("click")
    with pytest.raises(AssistError, match="2 points but 1 labels"):
        Prompt("click", points=[[1, 2], [3, 4]], labels=[1])
    with pytest.raises(AssistError, match="unknown kind 'lasso'"):
        Prompt("lasso")


def test_setting_specs_coerce_what_settings_files_hold():
    assert SettingSpec("bool", False).coerce("true") is True
    assert SettingSpec("bool", True).coerce("false") is False
    assert SettingSpec("float", 0.5, 0.0, 1.0).coerce("-3") == 0.0
    assert SettingSpec("float", 0.5, 0.0, 1.0).coerce("nan") == 0.5
    assert SettingSpec("int", 8, 1, 64).coerce(12.6) == 13
    assert SettingSpec("path", "").coerce(None) == ""
    with pytest.raises(AssistError, match="unknown type 'colour'"):
        SettingSpec("colour", "red")
