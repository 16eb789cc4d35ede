from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotator.errors import ProjectError, StoreError
from annotator.model import Annotation, Box, Item, LabelSchema, Role
from annotator.project import Project
from annotator.store import CURRENT_VERSION, DB_FILE, create_project, is_team_url, open_project
from annotator.store.migrations import MIGRATIONS
from tests.conftest import make_images


def _item(path: str) -> Item:
    return Item(None, path, "image", "png", "0" * 64, 10, width=4, height=3)


@pytest.fixture
def any_project(store_location: str, tmp_path: Path, schema: LabelSchema) -> Project:
    """The ``project`` fixture on each backend: a folder, then a PostgreSQL URL.

    Media sit in tmp_path/media, the media root (in team mode there is no
    project folder to hold them).
    """
    media = make_images(tmp_path / "media", 3)
    created = Project.create(store_location, schema, user="lead", media_roots=[tmp_path])
    created.import_media(media)
    yield created
    created.close()


def test_new_project_uses_wal_and_foreign_keys(tmp_path: Path, schema: LabelSchema) -> None:
    with create_project(tmp_path / "p", schema, lead="ada") as store:
        connection = sqlite3.connect(tmp_path / "p" / DB_FILE)
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        connection.close()
        assert store.version() == CURRENT_VERSION
        assert store.get_user("ada").role.value == "lead"
        # foreign keys are enforced: an annotation needs its item
        with pytest.raises(StoreError, match="integrity"):
            store.insert_annotation(Annotation(None, 99, "car", Box.from_corners(0, 0, 1, 1)))
    assert not list((tmp_path / "p").glob(".*creating*"))


def test_media_inside_the_project_is_stored_relative(project: Project, tmp_path: Path) -> None:
    paths = [it.path for it in project.store.list_items()]
    assert paths == ["media/img_0000.png", "media/img_0001.png", "media/img_0002.png"]
    outside = make_images(tmp_path / "elsewhere", 1)
    project.import_media(outside)
    last = project.store.list_items(offset=3)[0]
    assert last.path == str(outside[0].resolve())
    assert project.resolve(last).read_bytes() == outside[0].read_bytes()
    if not is_team_url(project.location):  # team mode: a cached copy of the database's file
        assert project.resolve(last) == outside[0].resolve()
    # moving the whole project folder (in team mode: mounting the media root
    # elsewhere) keeps its inside media working
    location = project.location
    project.close()
    moved = tmp_path / "moved"
    (tmp_path / "proj").rename(moved)
    team = is_team_url(location)
    with Project.open(location if team else moved, "lead",
                      media_root=moved if team else None) as again:
        first = again.store.list_items(limit=1)[0]
        expected = moved / "media" / "img_0000.png"
        assert again.resolve(first).read_bytes() == expected.read_bytes()
        if not team:
            assert again.resolve(first) == expected


def test_duplicate_paths_refuse_the_whole_batch_of_items(any_project: Project) -> None:
    project = any_project
    before = project.store.count_items()
    with pytest.raises(StoreError, match="already in the project"):
        project.store.add_items([_item("new_a.png"),
                                 _item(project.store.list_items(limit=2)[1].path)])
    with pytest.raises(StoreError, match="already in the project"):
        project.store.add_items([_item("x.png"), _item("x.png")])
    assert project.store.count_items() == before


def test_list_items_pages_in_id_order(any_project: Project) -> None:
    project = any_project
    project.store.add_items([_item(f"extra/{i:03d}.png") for i in range(250)])
    first = project.store.list_items(limit=100)
    second = project.store.list_items(offset=100, limit=100)
    ids = [it.id for it in first + second]
    assert ids == sorted(ids) and len(set(ids)) == 200


def test_migration_from_v1_takes_a_backup(tmp_path: Path, schema: LabelSchema) -> None:
    folder = tmp_path / "old"
    with create_project(folder, schema, lead="ada", version=1) as old:
        assert old.version() == 1
    # write v1 data by hand, as version 1 of the program would have
    connection = sqlite3.connect(folder / DB_FILE)
    connection.execute(
        "INSERT INTO items (path, kind, format, sha256, size_bytes, added_at) "
        "VALUES ('a.png', 'image', 'png', 'x', 1, 't')")
    connection.execute(
        "INSERT INTO annotations (item_id, label, kind, geometry, author, created_at, updated_at) "
        "VALUES (1, 'car', 'box', '{\"kind\":\"box\",\"coords\":[0,0,5,5]}', 'ada', 't', 't')")
    connection.commit()
    connection.close()
    with open_project(folder) as store:
        assert store.migrated_from == 1
        assert store.version() == CURRENT_VERSION == len(MIGRATIONS)
        annotation = store.get_annotation(1)
        assert annotation.geometry == Box.from_corners(0, 0, 5, 5)
        assert annotation.hidden is False
        backup = Path(store.backup_path)
    assert backup.is_file() and backup.parent == folder
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT value FROM meta WHERE key='store_version'").fetchone()[0] == "1"
    assert copy.execute("SELECT COUNT(*) FROM annotations").fetchone()[0] == 1
    copy.close()


def test_newer_store_is_refused_untouched(store_location: str, tmp_path: Path,
                                         schema: LabelSchema) -> None:
    with create_project(store_location, schema, lead="ada") as store:
        store.set_meta("store_version", "999")
    with pytest.raises(ProjectError, match="newer Annotator"):
        open_project(store_location)
    assert not list(tmp_path.rglob("*.bak"))


def test_create_refuses_an_existing_project(store_location: str, schema: LabelSchema) -> None:
    create_project(store_location, schema, lead="ada").close()
    with pytest.raises(ProjectError, match=r"already a project|not empty"):
        create_project(store_location, schema, lead="x")
    with open_project(store_location) as store:
        assert [u.name for u in store.list_users()] == ["ada"]


def test_batch_cannot_take_an_item_twice(any_project: Project) -> None:
    project = any_project
    project.create_batch("a", [1, 2])
    with pytest.raises(StoreError, match="already in batch 'a'"):
        project.create_batch("b", [2, 3])
    with pytest.raises(StoreError, match="not in the project"):
        project.create_batch("c", [3, 999])
    assert [b.name for b in project.store.list_batches()] == ["a"]
    assert project.unbatched_item_ids() == [3]


def test_edit_context_is_the_user_and_each_items_batch_in_one_query(project: Project) -> None:
    project.set_role("ann", Role.ANNOTATOR)
    project.create_batch("b1", [1, 2])
    project.batch_action("b1", "assign", assignee="ann")
    store = project.store
    user, batches = store.edit_context("ann", [1, 2, 3])
    assert user == store.get_user("ann")
    assert batches == {1: store.batch_for_item(1), 2: store.batch_for_item(2), 3: None}
    assert batches[1] is not None and batches[1].assignee == "ann" and batches[1].items == 2
    assert store.edit_context("nobody", [3]) == (None, {3: None})
    assert store.edit_context("ann", []) == (user, {})
