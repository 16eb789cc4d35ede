"""Team mode with the connection cut: the journal, its replay, and conflicts.

A real PostgreSQL server is reached through :class:`tests.net_cut.NetCut`, a
TCP relay the tests cut and restore, as a teleworker's router would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from annotator.commands import AddAnnotations, ChangeAnnotations, DeleteAnnotations, translate
from annotator.errors import ConflictError, OfflineError
from annotator.model import Annotation, LabelSchema, Role
from annotator.offline import LOCAL_ID_BASE
from annotator.project import Project
from annotator.shapes import Box, Polyline
from tests.conftest import make_images
from tests.core.conftest import PgServer
from tests.net_cut import NetCut


def _box(item: int, x: float = 0.0) -> Annotation:
    return Annotation(None, item, "car", Box.from_corners(x, 0, x + 10, 10), {"occluded": False},
                      author="ann")


def _contents(project_or_store: object, item_ids: list[int]) -> list[tuple]:
    store = getattr(project_or_store, "store", project_or_store)
    found = store.annotations_for_items(item_ids)  # type: ignore[attr-defined]
    return sorted((a.item_id, a.label, str(a.geometry.to_json()), str(a.attributes),
                   str(sorted(a.links.items())) if a.links else "")
                  for shapes in found.values() for a in shapes)


@pytest.fixture
def setup(pg_server: PgServer, tmp_path: Path, schema: LabelSchema,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Project, NetCut]]:
    """(URL through a cuttable relay, the lead's project, the relay); batch b1 started by ann."""
    monkeypatch.setenv("ANNOTATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ANNOTATOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    database = pg_server.new_database()
    relay = NetCut(pg_server.port)
    url = f"postgresql://postgres@127.0.0.1:{relay.port}/{database}?sslmode=disable"
    lead = Project.create(pg_server.url(database), schema, user="lead")
    lead.import_media(make_images(tmp_path / "media", 3))
    lead.set_role("ann", Role.ANNOTATOR)
    lead.create_batch("b1", [1, 2, 3])
    lead.batch_action("b1", "assign", assignee="ann")
    starter = Project.open(pg_server.url(database), "ann")
    starter.batch_action("b1", "start")
    starter.close()
    yield url, lead, relay
    lead.close()
    relay.close()


def _annotator(url: str) -> Project:
    ann = Project.open(url, "ann")
    ann.enable_offline()
    ann.follow_batch(1)
    return ann


def test_edits_made_offline_are_journaled_and_replayed_once(setup) -> None:
    url, lead, relay = setup
    ann = _annotator(url)
    changes: list[bool] = []
    ann.on_offline_change(changes.append)
    kept = ann.push(AddAnnotations([_box(1), _box(2, 30)]))
    first, second = kept.annotations  # type: ignore[attr-defined]
    relay.cut()
    # the next edit finds the server gone: it goes to the journal, the work goes on
    ann.push(translate([first], (5.0, 0.0)))
    assert ann.offline and changes == [True]
    new = ann.push(AddAnnotations([_box(3, 50)])).annotations[0]  # type: ignore[attr-defined]
    assert new.id >= LOCAL_ID_BASE
    ann.push(translate([new], (1.0, 1.0)))
    ann.push(DeleteAnnotations([second]))
    lane = ann.push(AddAnnotations([Annotation(
        None, 3, "lane_line", Polyline([(0, 0), (9, 9)]), links={"next": -new.id},
        author="ann")])).annotations[0]  # type: ignore[attr-defined]
    ann.undo()
    ann.redo()
    assert ann.pending_edits() == 7
    seen_offline = _contents(ann, [1, 2, 3])
    assert len(seen_offline) == 3  # the moved box, the new box, the lane
    with pytest.raises(OfflineError, match="needs the server"):
        ann.mark_item(1, "done")
    assert _contents(lead, [1, 2, 3]) != seen_offline  # nothing reached the server yet

    assert ann.try_online() is None  # still cut: nothing sent, nothing lost
    assert ann.pending_edits() == 7
    relay.restore()
    report = ann.try_online()
    assert report is not None and report.finished and not report.problems
    assert report.sent == 7 and ann.pending_edits() == 0
    assert not ann.offline and changes == [True, False]
    on_server = _contents(lead, [1, 2, 3])
    assert on_server == _contents(ann, [1, 2, 3])
    # the shapes drawn offline got server ids, and the lane's link followed its box
    shapes = lead.store.annotations_for_item(3)
    box3 = next(a for a in shapes if a.label == "car")
    lane3 = next(a for a in shapes if a.label == "lane_line")
    assert box3.id < LOCAL_ID_BASE and lane3.links == {"next": -int(box3.id or 0)}
    assert lane.id != lane3.id
    assert len(on_server) == 3  # no duplicates
    # online again: edits go straight to the server
    ann.push(translate([box3], (1.0, 0.0)))
    assert ann.pending_edits() == 0
    ann.close()


def test_a_replay_cut_off_half_way_or_sent_twice_applies_each_edit_once(setup) -> None:
    url, lead, relay = setup
    ann = _annotator(url)
    relay.cut()
    boxes = [ann.push(AddAnnotations([_box(1, 20.0 * i)])) for i in range(5)]
    assert len(boxes) == 5 and ann.offline
    copy = ann.working_copy
    assert copy is not None
    # a lost acknowledgement: the first edit's journal row is sent again later
    duplicate = copy.store._one("SELECT op_id, kind, edit_seq, label, payload, at "
                                "FROM pending ORDER BY seq LIMIT 1")
    relay.restore()
    server = Project.open(url, "ann")
    from annotator.commands import CommandStack
    stack = CommandStack(server.store, "ann")
    # the relay dies after the second edit is through
    report = copy.replay(server.store, stack,
                         on_step=lambda done, total: relay.cut() if done == 2 else None)
    assert not report.finished and report.sent == 2 and copy.pending() == 3
    relay.restore()
    with copy.store.transaction():
        copy.store._run("INSERT INTO pending (op_id, kind, edit_seq, label, payload, at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", duplicate)
    report = ann.try_online()
    assert report is not None and report.finished and report.sent == 3
    assert report.already_there == 1
    assert len(lead.store.annotations_for_item(1)) == 5
    server.close()
    ann.close()


def test_a_conflict_met_on_replay_is_reported_with_both_versions(setup) -> None:
    url, lead, relay = setup
    ann = _annotator(url)
    shape = ann.push(AddAnnotations([_box(2)])).annotations[0]  # type: ignore[attr-defined]
    relay.cut()
    ann.push(translate([shape], (3.0, 0.0)))  # offline: ann moves it right
    ann.push(AddAnnotations([_box(2, 40)]))   # and draws another one
    # meanwhile the lead (on the server) relabels it
    stored = lead.store.get_annotation(int(shape.id))
    assert stored is not None
    import dataclasses
    lead.push(ChangeAnnotations([stored], [dataclasses.replace(stored, label="truck")], "Relabel"))
    relay.restore()
    report = ann.try_online()
    assert report is not None and report.finished and report.sent == 1
    (problem,) = report.problems
    error = problem.error
    assert isinstance(error, ConflictError) and error.annotation_id == shape.id
    assert error.theirs.label == "truck"  # type: ignore[attr-defined]
    assert error.mine.geometry.to_json() != error.theirs.geometry.to_json()  # type: ignore
    # the lead's change stands; the other offline edit landed
    server_shapes = lead.store.annotations_for_item(2)
    assert sorted(a.label for a in server_shapes) == ["car", "truck"]
    assert _contents(ann, [2]) == _contents(lead, [2])
    ann.close()


def test_quitting_offline_keeps_the_journal_and_the_work_reopens_offline(
        setup, tmp_path: Path) -> None:
    url, lead, relay = setup
    ann = _annotator(url)
    relay.cut()
    ann.push(AddAnnotations([_box(1)]))
    ann.close()
    with pytest.raises(OfflineError):
        Project.open(url, "ann")
    again = Project.open_offline(url, "ann")
    assert again.offline and again.pending_edits() == 1
    assert len(again.store.annotations_for_item(1)) == 1
    again.push(AddAnnotations([_box(1, 30)]))
    relay.restore()
    report = again.try_online()
    assert report is not None and report.sent == 2
    assert len(lead.store.annotations_for_item(1)) == 2
    again.close()
    # a computer that never opened the project has nothing to work on
    os.environ["ANNOTATOR_DATA_DIR"] = str(tmp_path / "elsewhere")
    relay.cut()
    with pytest.raises(OfflineError, match="no offline copy"):
        Project.open_offline(url, "ann")


def test_a_killed_app_working_offline_loses_no_acknowledged_edit(setup, tmp_path: Path) -> None:
    url, _lead, relay = setup
    ann = _annotator(url)
    ann.close()
    relay.cut()
    script = textwrap.dedent(f"""
        import sys
        from annotator.commands import AddAnnotations
        from annotator.model import Annotation
        from annotator.project import Project
        from annotator.shapes import Box
        project = Project.open_offline({url!r}, "ann")
        for i in range(10_000):
            project.push(AddAnnotations([Annotation(None, 1, "car",
                Box.from_corners(i, 0, i + 5, 5), author="ann")]))
            print(i, flush=True)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             env=dict(os.environ), text=True)
    assert child.stdout is not None
    acknowledged = -1
    for line in child.stdout:
        acknowledged = int(line)
        if acknowledged >= 40:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    again = Project.open_offline(url, "ann")
    kept = again.pending_edits()
    assert kept >= acknowledged + 1
    assert len(again.store.annotations_for_item(1)) == kept
    relay.restore()
    report = again.try_online()
    assert report is not None and report.finished and report.sent == kept
    assert len(_lead.store.annotations_for_item(1)) == kept
    again.close()


def test_the_copy_follows_online_edits_and_catches_up_when_it_fell_behind(setup) -> None:
    url, lead, relay = setup
    ann = _annotator(url)
    a, b = ann.push(AddAnnotations([_box(1), _box(1, 30)])).annotations  # type: ignore
    copy = ann.working_copy
    assert copy is not None and len(copy.store.annotations_for_item(1)) == 2
    # the lead relabels a on the server: ann's copy does not know
    import dataclasses
    stored = lead.store.get_annotation(int(a.id))
    lead.push(ChangeAnnotations([stored], [dataclasses.replace(
        stored, attributes={"occluded": True})], "Occluded"))
    # ann, online, moves what the server shows her: the copy, behind on a, catches up
    fresh = ann.store.get_annotation(int(a.id))
    ann.push(translate([fresh], (2.0, 0.0)))
    ann.undo()
    ann.redo()
    assert _contents(copy.store, [1]) == _contents(lead, [1])
    assert copy.store.get_annotation(int(a.id)).attributes == {"occluded": True}
    # and what it holds is what ann works on when the line drops
    relay.cut()
    ann.push(translate([b], (0.0, 4.0)))
    assert ann.offline and _contents(ann, [1]) != _contents(lead, [1])
    relay.restore()
    assert ann.try_online() is not None
    assert _contents(ann, [1]) == _contents(lead, [1])
    ann.close()


def test_a_drag_made_offline_is_one_journaled_edit(setup) -> None:
    url, lead, relay = setup
    ann = _annotator(url)
    box = ann.push(AddAnnotations([_box(2)])).annotations[0]  # type: ignore[attr-defined]
    relay.cut()
    ann.push(AddAnnotations([_box(2, 50)]))  # offline from here
    for _ in range(3):  # the steps of one drag merge into one undo step
        current = ann.store.get_annotation(int(box.id))
        ann.push(translate([current], (1.0, 0.0), merge_key="drag:1"))
    assert ann.pending_edits() == 2
    ann.undo()  # the whole drag
    ann.redo()
    assert ann.pending_edits() == 4
    relay.restore()
    report = ann.try_online()
    assert report is not None and report.sent == 4 and not report.problems
    moved = lead.store.get_annotation(int(box.id))
    assert moved is not None and moved.geometry.vertices[0][0] == pytest.approx(3.0)
    assert len(lead.store.annotations_for_item(2)) == 2
    ann.close()


def test_opened_offline_the_media_resolves_as_online(setup, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url, lead, relay = setup
    lead.store.set_meta("media_roots", f'["{tmp_path}"]')
    monkeypatch.delenv("ANNOTATOR_MEDIA_ROOT")
    ann = _annotator(url)  # copies the project's settings with the batch
    online = (ann.folder, ann.relative_media, ann.media_path(ann.store.get_item(1)))
    ann.close()
    relay.cut()
    again = Project.open_offline(url, "ann")
    assert (again.folder, again.relative_media,
            again.media_path(again.store.get_item(1))) == online
    assert again.folder == tmp_path
    again.close()
