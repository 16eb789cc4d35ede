"""Team mode on a real PostgreSQL server: what only a server store has to prove.

The store tests that hold for both backends run on both through the
parametrised ``project`` / ``store_location`` fixtures (``-k postgres``
selects that half); these are the server's own: the CLI on a URL,
concurrent writers, killed clients, lost connections, TLS by default.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from annotator.cli import main
from annotator.commands import AddAnnotations, change_attributes, move_vertices
from annotator.errors import ConflictError, ProjectError, StoreError
from annotator.model import (
    Annotation,
    BatchState,
    Box,
    HistoryEntry,
    Item,
    LabelSchema,
    ReviewComment,
)
from annotator.project import Project
from annotator.store import CURRENT_VERSION, create_project, migrate_project, open_project
from annotator.store.postgres import PostgresBackend, display_url
from tests.conftest import REPO, make_images
from tests.core.conftest import PgServer

SCHEMA_FILE = REPO / "sample_data" / "schema.yaml"


@pytest.fixture
def url(pg_server: PgServer) -> str:
    return pg_server.url(pg_server.new_database())


def _box(item: int = 1, x: float = 0.0) -> Annotation:
    return Annotation(None, item, "car", Box.from_corners(x, 0, x + 10, 10), {"occluded": False})


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--user", "lead", *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- init, migrate, open ----------------------------------------------------------



def at_once(work: Callable[[int], object], workers: int, timeout: float) -> None:
    """Run ``work(0) .. work(workers - 1)`` in threads at once; any exception fails the test."""
    failures: list[BaseException] = []

    def guarded(worker: int) -> None:
        try:
            work(worker)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not failures, failures

def test_cli_init_import_stats_on_a_url(url: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "init", url, "--schema", str(SCHEMA_FILE),
                          "--media-root", str(tmp_path))
    assert code == 0, err
    assert "created project postgresql://" in out
    make_images(tmp_path / "media", 4)
    code, out, err = _cli(capsys, "import", url, str(tmp_path / "media"))
    assert code == 0, err
    code, out, err = _cli(capsys, "stats", url, "--json")
    assert code == 0, err
    assert '"items": 4' in out
    # relative to the media root, so another client mounting it elsewhere works
    with Project.open(url, "lead") as project:
        assert project.store.list_items(limit=1)[0].path == "media/img_0000.png"
        assert project.resolve(project.store.list_items(limit=1)[0]).is_file()


def test_cli_init_refuses_a_database_that_is_not_empty(
        url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("CREATE TABLE their_data (x INTEGER)")
    code, _, err = _cli(capsys, "init", url, "--schema", str(SCHEMA_FILE))
    assert code == 2
    assert err.count("\n") == 1 and "the database is not empty" in err
    with psycopg.connect(url) as other:
        tables = other.execute("SELECT table_name FROM information_schema.tables "
                               "WHERE table_schema = 'public'").fetchall()
    assert tables == [("their_data",)]


def test_cli_migrate_upgrades_a_url_and_opening_an_old_one_says_how(
        url: str, schema: LabelSchema, capsys: pytest.CaptureFixture[str]) -> None:
    with create_project(url, schema, lead="lead", version=1) as old:
        old._run("INSERT INTO items (path, kind, format, sha256, size_bytes, added_at) "
                 "VALUES ('a.png', 'image', 'png', 'x', 1, 't')")
        assert old.version() == 1
    with pytest.raises(ProjectError, match="annotator migrate"):
        open_project(url)
    code, out, err = _cli(capsys, "migrate", url)
    assert code == 0, err
    assert f"from version 1 to {CURRENT_VERSION}" in out
    with open_project(url) as store:
        assert store.version() == CURRENT_VERSION
        assert store.get_item(1).path == "a.png"
        store.set_item_status(1, 0, None, "lead", "t")  # a v3 table exists
    code, out, err = _cli(capsys, "migrate", url)
    assert code == 0 and "nothing to do" in out


def test_cli_migrate_upgrades_a_folder_too(tmp_path: Path, schema: LabelSchema,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    create_project(tmp_path / "p", schema, lead="lead", version=2).close()
    code, out, err = _cli(capsys, "migrate", str(tmp_path / "p"))
    assert code == 0, err
    assert f"from version 2 to {CURRENT_VERSION} (backup: " in out


# -- the connection ------------------------------------------------------------------


def test_tcp_requires_tls_by_default_and_never_prints_the_password(
        pg_server: PgServer) -> None:
    name = pg_server.new_database()
    # the test server has no TLS: a TCP URL without sslmode must refuse it
    with pytest.raises(StoreError, match="cannot connect") as refused:
        open_project(pg_server.tcp_url(name).replace("postgres@", "postgres:sekrit@"))
    assert "sekrit" not in str(refused.value) and "SSL" in str(refused.value)
    backend = PostgresBackend(pg_server.tcp_url(name))
    assert "sslmode=require" in backend.conninfo
    # a local socket needs no TLS; a URL may still say what it wants
    assert "sslmode" not in PostgresBackend(pg_server.url(name)).conninfo
    plain = PostgresBackend(pg_server.tcp_url(name, "?sslmode=disable"))
    connection = plain.connect()
    assert connection.execute("SELECT 1").fetchone() == (1,)
    connection.close()
    assert display_url("postgresql://ann:pw@h/db?password=x") == \
        "postgresql://ann@h/db?password=***"


def test_a_lost_connection_is_one_clear_line(pg_server: PgServer, url: str,
                                             schema: LabelSchema) -> None:
    store = create_project(url, schema, lead="lead")
    pid = store._connection.info.backend_pid
    with psycopg.connect(pg_server.url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreError, match="lost the connection to the database server"):
        store.count_items()
    store.close()
    with open_project(url) as again:  # nothing was damaged
        assert again.label_schema.names == schema.names


def test_placeholders_and_percent_signs_round_trip(url: str, schema: LabelSchema) -> None:
    with create_project(url, schema, lead="lead") as store:
        ids = store.add_items([Item(None, "100%/what?.png", "image", "png", "0" * 64, 1,
                                    width=1, height=1)])
        batch = store.create_batch("b", ids, HistoryEntry("t", "lead", "create", None,
                                                          BatchState.OPEN))
        comment = store.add_comment(ReviewComment(None, int(batch.id or 0), ids[0],
                                                  "50% done? 'quoted' %s ?", "lead",
                                                  position=(1.5, 2.0)))
        assert comment.text == "50% done? 'quoted' %s ?"
        assert store.find_item("100%/what?.png") is not None


# -- concurrency -----------------------------------------------------------------------


def test_two_clients_editing_the_same_shape_lose_no_update(
        url: str, schema: LabelSchema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    project = Project.create(url, schema, user="lead")
    project.import_media(make_images(tmp_path / "media", 1))
    project.stack.push(AddAnnotations([_box()]))
    with project, Project.open(url, "lead") as other:
        # each client reads the shape, then both change it
        mine = project.store.annotations_for_item(1)[0]
        theirs = other.store.annotations_for_item(1)[0]
        other.stack.push(change_attributes([theirs], {"occluded": True}))
        with pytest.raises(ConflictError, match="was changed since"):
            project.stack.push(move_vertices(mine, [0], [3, 3]))
        # and truly at the same moment: both inside their transactions at once
        current = project.store.annotations_for_item(1)[0]

        def overlap() -> None:
            with project.store.transaction():
                project.store.annotation_content(int(current.id or 0))
                other.store.update_annotation(current)  # commits first
                with pytest.raises(ConflictError, match="same moment"):
                    project.store.update_annotation(current)

        # and a transaction that went on after the refusal says it saved nothing
        with pytest.raises(StoreError, match="nothing of it was saved"):
            overlap()
        stored = other.store.annotations_for_item(1)[0]
        assert stored.attributes == {"occluded": True}
        assert stored.revision == current.revision + 1


def test_parallel_writers_are_retried_not_refused(url: str, schema: LabelSchema) -> None:
    """Serialization failures re-run the method, as SQLite would have waited."""
    with create_project(url, schema, lead="lead") as store:
        batch = store.create_batch("b", [], HistoryEntry("t", "lead", "create", None,
                                                         BatchState.OPEN))
    numbers: list[int] = []

    def submit() -> None:
        with open_project(url) as mine:
            for _ in range(8):
                numbers.append(mine.record_submission(int(batch.id or 0), "lead", "t"))

    at_once(lambda _: submit(), 4, timeout=60)
    assert sorted(numbers) == list(range(1, 33))


KILLED = """
import sys, time
from annotator.store import open_project
from annotator.model import Item
store = open_project(sys.argv[1])
for n in range(5):
    store.add_items([Item(None, f"done_{n}.png", "image", "png", "0" * 64, 1)])
    print("committed", n, flush=True)
with store.transaction():
    store.add_items([Item(None, "half.png", "image", "png", "0" * 64, 1)])
    store._run("UPDATE meta SET value = 'changed' WHERE key = 'created_at'")
    print("mid", flush=True)
    time.sleep(60)
"""


def test_a_killed_client_loses_nothing_committed(url: str, schema: LabelSchema) -> None:
    create_project(url, schema, lead="lead").close()
    child = subprocess.Popen([sys.executable, "-c", KILLED, url], stdout=subprocess.PIPE,
                             text=True, cwd=REPO)
    assert child.stdout is not None
    lines = [child.stdout.readline().strip() for _ in range(6)]
    assert lines[-1] == "mid", lines
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    with open_project(url) as store:
        paths = [it.path for it in store.list_items()]
        assert paths == [f"done_{n}.png" for n in range(5)]
        assert store.get_meta("created_at") != "changed"
        # the dead client's row lock went with it: the same row is writable at once
        store._run("SET lock_timeout = '5s'")
        store.set_meta("created_at", "after")
        assert store.get_meta("created_at") == "after"


def test_two_clients_migrating_at_once_upgrade_once(url: str, schema: LabelSchema) -> None:
    create_project(url, schema, lead="lead", version=1).close()
    results: list[int | None] = []

    def upgrade() -> None:
        with migrate_project(url) as store:
            results.append(store.migrated_from)

    at_once(lambda _: upgrade(), 3, timeout=60)
    assert sorted(results, key=str) == [1, None, None]
    with open_project(url) as store:
        assert store.version() == CURRENT_VERSION


def test_each_client_mounts_the_media_where_it_likes(url: str, tmp_path: Path) -> None:
    """The real CLI, as a script on another machine would run it."""
    first = tmp_path / "mount_a"
    make_images(first / "media", 2)
    env = {k: v for k, v in os.environ.items() if k != "ANNOTATOR_MEDIA_ROOT"}
    env["ANNOTATOR_USER"] = "lead"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "annotator", *args], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=60, check=False)

    for args in (("init", url, "--schema", str(SCHEMA_FILE), "--media-root", str(first)),
                 ("import", url, str(first / "media"))):
        done = cli(*args)
        assert done.returncode == 0, done.stderr
    second = tmp_path / "mount_b"
    first.rename(second)
    done = cli("--media-root", str(second), "export", url, "--format", "coco",
               "--out", str(tmp_path / "out"), "--with-media")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.png")) == \
        ["img_0000.png", "img_0001.png"]
    # without it, the stored root is gone: the files come from the database
    done = cli("export", url, "--format", "coco", "--out", str(tmp_path / "out2"),
               "--with-media")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out2").rglob("*.png")) == \
        ["img_0000.png", "img_0001.png"]


def test_the_server_schema_matches_the_folder_schema(url: str, tmp_path: Path,
                                                     schema: LabelSchema) -> None:
    """Same tables, columns, primary keys, unique and foreign keys, indexes on both."""
    with create_project(tmp_path / "p", schema, lead="lead") as folder:
        lite: dict[str, tuple[list[str], set[str]]] = {}
        for (table,) in folder._all("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns = [r[1] for r in folder._all(f"PRAGMA table_info({table})")]
            indexes = {r[1] for r in folder._all(f"PRAGMA index_list({table})")
                       if r[3] == "c"}
            lite[table] = (columns, indexes)
        lite_fks = {(t, r[2]) for t in lite
                    for r in folder._all(f"PRAGMA foreign_key_list({t})")}
    with create_project(url, schema, lead="lead") as server:
        pg: dict[str, tuple[list[str], set[str]]] = {}
        for (table,) in server._all("SELECT table_name FROM information_schema.tables "
                                    "WHERE table_schema = current_schema()"):
            columns = [r[0] for r in server._all(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", (table,))]
            indexes = {r[0] for r in server._all(
                "SELECT indexname FROM pg_indexes WHERE tablename = ? AND indexname NOT LIKE "
                "'%%\\_pkey' AND indexname NOT LIKE '%%\\_key'", (table,))}
            pg[table] = (columns, indexes)
        pg_fks = {(r[0], r[1]) for r in server._all(
            "SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.constraint_column_usage ccu "
            "ON ccu.constraint_name = tc.constraint_name "
            "WHERE tc.constraint_type = 'FOREIGN KEY'")}
        # the engine's own rules come back as the store's one-line errors
        with pytest.raises(StoreError, match="integrity rules"):
            server._run("INSERT INTO users (name, role, created_at) VALUES ('lead', 'lead', 't')")
        with pytest.raises(StoreError, match="integrity rules"):
            server._run("INSERT INTO batch_items (batch_id, item_id) VALUES (99, 99)")
    assert pg == lite
    named = set().union(*(indexes for _, indexes in pg.values()))
    assert {"annotations_item", "edit_log_user", "item_status_batch"} <= named
    assert pg_fks == lite_fks


def test_parallel_edits_through_the_command_stack_all_land(
        url: str, schema: LabelSchema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients adding shapes to one item at once: each edit commits once, with its log entry."""
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    with Project.create(url, schema, user="lead") as lead:
        lead.import_media(make_images(tmp_path / "media", 1))

    def edit(worker: int) -> None:
        with Project.open(url, "lead") as mine:
            for n in range(10):
                mine.stack.push(AddAnnotations([_box(1, x=worker * 100 + n)]))

    at_once(edit, 4, timeout=120)
    with open_project(url) as store:
        xs = sorted(a.geometry.vertices[0, 0] for a in store.annotations_for_item(1))
        assert xs == sorted(float(w * 100 + n) for w in range(4) for n in range(10))
        assert store.count_edits("lead") == 40


def test_parallel_workflow_steps_are_retried_not_refused(
        url: str, schema: LabelSchema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Project methods that are one transaction (marks, time) re-run like the store's."""
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    with Project.create(url, schema, user="lead") as lead:
        lead.import_media(make_images(tmp_path / "media", 24, size=(8, 8)))
        lead.create_batch("b", list(range(1, 25)))
        lead.batch_action("b", "assign", assignee="lead")
        lead.batch_action("b", "start")

    def mark(worker: int) -> None:
        with Project.open(url, "lead") as mine:
            for item in range(1 + worker, 25, 4):
                mine.mark_item(item, "done")
                mine.record_activity(item, at=float(item))

    at_once(mark, 4, timeout=120)
    with open_project(url) as store:
        assert set(store.item_statuses(1).values()) == {"done"}
        assert store.done_counts() == {1: 24}
