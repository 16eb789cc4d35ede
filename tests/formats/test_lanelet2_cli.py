"""Lanelet2 maps through the real CLI, on the sample LAZ road tile (EPSG:6677)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from annotator.commands import AddAnnotations
from annotator.geometry.mapnet import network
from annotator.model import Annotation
from annotator.project import Project
from tests.cli.conftest import assert_refused, cloud_template, run_cli, snapshot
from tests.formats.test_lanelet2 import HOSTILE, load, road_network, routing

__all__ = ["cloud_template"]


@pytest.fixture(scope="module")
def template(cloud_template: Path) -> Path:
    """A project with one image (item 1) and the LAZ tile (item 2): the CLI tests' own."""
    return cloud_template


@pytest.fixture
def mapped(tmp_path: Path, template: Path) -> Path:
    """The template with the generated road network on the tile (ids kept, links valid)."""
    folder = tmp_path / "proj"
    shutil.copytree(template, folder)
    with Project.open(folder, "lead") as project:
        project.stack.push(AddAnnotations(road_network(first_id=1, items=(2, 2))))
    return folder


def stored(folder: Path) -> list[Annotation]:
    with Project.open(folder, "lead") as project:
        return list(project.store.annotations_for_item(2))


def test_export_is_a_deliverable_the_lanelet2_library_loads_and_routes(
        mapped: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("export", mapped, "--format", "lanelet2", "--out", out)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "lanelet2"
    assert manifest["annotations"] == len(stored(mapped))
    for name in ("lanelet2_map.osm", "map_projector_info.yaml"):
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == manifest["files"][name]
    found, errors = load(out / "lanelet2_map.osm")
    assert errors == []
    graph = routing(found)
    assert graph.checkValidity() == []
    ours = network(stored(mapped))
    counts = {int(ll.attributes["annotator:id"]): len(graph.following(ll))
              for ll in found.laneletLayer}
    assert counts == {k: len(v) for k, v in ours.successors.items()}


def test_export_then_import_into_a_fresh_project_keeps_the_network(
        mapped: Path, template: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("export", mapped, "--format", "lanelet2", "--out", out).returncode == 0
    fresh = tmp_path / "fresh"
    shutil.copytree(template, fresh)
    result = run_cli("import", fresh, "--annotations", f"lanelet2:{out}")
    assert result.returncode == 0, result.stderr
    want, got = stored(mapped), stored(fresh)
    assert f"imported {len(want)} annotation(s) on 1 item(s)" in result.stdout
    assert sorted(a.label for a in got) == sorted(a.label for a in want)

    def signature(annotations: list[Annotation]) -> dict[tuple[float, ...], object]:
        """Each annotation by its first vertex (rounded), with class, attributes, and its
        links as the first vertices of what they link (and the sign of the link)."""
        first = {a.id: tuple(np.round(np.asarray(a.geometry.vertices)[0], 4))
                 for a in annotations}
        return {first[a.id] + (len(a.label),): (
            a.label, dict(a.attributes),
            {k: (v < 0, first[abs(v)]) for k, v in a.links.items()}) for a in annotations}

    assert signature(got) == signature(want)
    before, after = network(want), network(got)
    assert sorted(len(v) for v in after.successors.values()) == sorted(
        len(v) for v in before.successors.values())
    assert after.broken == {}


@pytest.mark.parametrize("name", ["missing node", "three boundaries", "billion laughs",
                                  "NaN longitude", "truncated"])
def test_hostile_maps_are_refused_and_the_project_is_unchanged(
        name: str, mapped: Path, tmp_path: Path) -> None:
    before = snapshot(mapped)
    bad = tmp_path / "bad.osm"
    bad.write_text(HOSTILE[name][0])
    assert_refused(run_cli("import", mapped, "--annotations", f"lanelet2:{bad}"), str(bad))
    assert snapshot(mapped) == before


def test_an_import_links_its_shapes_and_undoes_in_two_steps(
        mapped: Path, template: Path, tmp_path: Path) -> None:
    from annotator.exchange import import_annotations

    out = tmp_path / "out"
    assert run_cli("export", mapped, "--format", "lanelet2", "--out", out).returncode == 0
    fresh = tmp_path / "fresh"
    shutil.copytree(template, fresh)
    with Project.open(fresh, "lead") as project:
        summary = import_annotations(project, "lanelet2", out)
        assert summary.total == len(stored(mapped))
        found = project.store.annotations_for_item(2)
        ids = {a.id for a in found}
        linked = [a for a in found if a.links]
        assert linked and all(abs(v) in ids for a in linked for v in a.links.values())
        assert project.stack.undo_label() == f"Link {len(linked)} imported annotation(s) " \
                                             "from lanelet2"
        project.stack.undo()
        assert all(not a.links for a in project.store.annotations_for_item(2))
        project.stack.undo()
        assert project.store.annotations_for_item(2) == []
        project.stack.redo()
        project.stack.redo()
        again = project.store.annotations_for_item(2)
        assert sorted((a.id, dict(a.links)) for a in again) == sorted(
            (a.id, dict(a.links)) for a in found)
