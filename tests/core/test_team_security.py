"""Team mode security enforced by PostgreSQL itself (store migration 4).

A real throwaway server (``pg_server``), real login roles.  The attacks are
hand-written SQL sent with a person's own credentials through psycopg,
never through Annotator's client checks; the normal path is
:class:`Project` opened on the URL as that person.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors

from annotator.cli import main
from annotator.commands import AddAnnotations
from annotator.errors import ProjectError
from annotator.model import Annotation, Box, LabelSchema, Role
from annotator.project import Project
from annotator.store import CURRENT_VERSION, create_project, migrate_project
from annotator.store import team as team_admin
from tests.conftest import make_images
from tests.core.conftest import PgServer


@dataclass
class Team:
    server: PgServer
    database: str
    owner: Project  # the role that ran 'init' (postgres), as project user 'lead'
    media: Path  # $ANNOTATOR_MEDIA_ROOT

    def url(self, login: str) -> str:
        return self.server.url(self.database).replace("postgres@", f"{login}@", 1)

    def sql(self, login: str) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(login), autocommit=True)

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.server.url(self.database), autocommit=True)


def _box(item: int, x: float = 0.0, author: str = "alice") -> Annotation:
    return Annotation(None, item, "car", Box.from_corners(x, 0, x + 10, 10), {"occluded": False},
                      author=author)


@pytest.fixture
def team(pg_server: PgServer, tmp_path: Path, schema: LabelSchema,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    """Batch b1 (items 1-2) started by alice, b2 (items 3-4) started by bob, both
    reviewed by rita; lena is a second lead; each has one annotation made
    through the app as themselves."""
    folder = tmp_path / "proj"
    folder.mkdir()
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(folder))
    database = pg_server.new_database()
    owner = Project.create(pg_server.url(database), schema, user="lead")
    made = Team(pg_server, database, owner, folder)
    try:
        owner.import_media(make_images(folder / "media", 4))
        for name, role in (("alice", Role.ANNOTATOR), ("bob", Role.ANNOTATOR),
                           ("rita", Role.REVIEWER), ("lena", Role.LEAD)):
            team_admin.add_user(owner.store, name, role)
        for batch, items, person in (("b1", [1, 2], "alice"), ("b2", [3, 4], "bob")):
            owner.create_batch(batch, items)
            owner.batch_action(batch, "assign", assignee=person, reviewer="rita")
            with Project.open(made.url(person), person) as worker:
                worker.batch_action(batch, "start")
                worker.stack.push(AddAnnotations([_box(items[0], author=person)]))
        yield made
    finally:
        owner.close()


def _labels(connection: psycopg.Connection[Any]) -> list[tuple[int, str]]:
    return [(int(r[0]), str(r[1])) for r in
            connection.execute("SELECT item_id, label FROM annotations ORDER BY item_id")]


# -- an annotator's own credentials, hand-written SQL ----------------------------------------


def test_an_annotator_cannot_read_or_change_another_annotators_batch(team: Team) -> None:
    with team.sql("alice") as alice:
        assert _labels(alice) == [(1, "car")]
        assert [r[0] for r in alice.execute("SELECT id FROM items ORDER BY id")] == [1, 2]
        assert [r[0] for r in alice.execute("SELECT name FROM batches")] == ["b1"]
        assert alice.execute("SELECT * FROM annotations WHERE item_id = 3").fetchall() == []
        assert alice.execute("UPDATE annotations SET label = 'truck' WHERE item_id = 3"
                             ).rowcount == 0
        assert alice.execute("DELETE FROM annotations WHERE item_id = 3").rowcount == 0
        assert alice.execute("UPDATE batches SET assignee = 'alice' WHERE name = 'b2'"
                             ).rowcount == 0
        with pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"):
            alice.execute("INSERT INTO annotations (item_id, label, kind, geometry, author, "
                          "created_at, updated_at) VALUES (3, 'x', 'box', '[]', 'alice', 't', 't')")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            alice.execute("UPDATE users SET role = 'lead' WHERE name = 'alice'")
        with pytest.raises(pg_errors.InsufficientPrivilege, match="reassigns"):
            alice.execute("UPDATE batches SET assignee = 'bob' WHERE name = 'b1'")
        with pytest.raises(pg_errors.InsufficientPrivilege, match="may not move"):
            alice.execute("UPDATE batches SET state = 'accepted' WHERE name = 'b1'")
        # her own batch, in progress: the database lets her write
        assert alice.execute("UPDATE annotations SET z = 5 WHERE item_id = 1").rowcount == 1
    with team.admin() as admin:
        assert _labels(admin) == [(1, "car"), (3, "car")]
        assert admin.execute("SELECT assignee FROM batches WHERE name = 'b2'"
                             ).fetchone() == ("bob",)


def test_an_annotator_writes_nothing_once_her_batch_is_submitted(team: Team) -> None:
    with Project.open(team.url("alice"), "alice") as alice:
        alice.batch_action("b1", "submit")
    with team.sql("alice") as sql:
        assert _labels(sql) == [(1, "car")]  # still hers to see
        assert sql.execute("UPDATE annotations SET label = 'truck'").rowcount == 0
        with pytest.raises(pg_errors.InsufficientPrivilege, match="may not move"):
            sql.execute("UPDATE batches SET state = 'in_progress' WHERE name = 'b1'")


def test_history_is_insert_only_for_everyone(team: Team) -> None:
    with team.sql("alice") as alice:
        assert alice.execute("SELECT COUNT(*) FROM batch_history").fetchone()[0] >= 3
        for attack in ("UPDATE batch_history SET comment = 'rewritten'",
                       "DELETE FROM batch_history", "DELETE FROM submissions",
                       "TRUNCATE batch_history"):
            with pytest.raises(pg_errors.InsufficientPrivilege):
                alice.execute(attack)
        with pytest.raises(pg_errors.InsufficientPrivilege, match="row-level security"):
            alice.execute("INSERT INTO batch_history (batch_id, at, user_name, action, to_state) "
                          "VALUES (1, 't', 'bob', 'accept', 'accepted')")  # forged author
    with team.sql("lena") as lead, pytest.raises(pg_errors.InsufficientPrivilege):
        lead.execute("DELETE FROM batch_history")
    with team.admin() as owner, pytest.raises(pg_errors.InsufficientPrivilege,
                                              match="insert-only"):
        owner.execute("UPDATE batch_history SET comment = 'rewritten'")
    with team.admin() as owner, pytest.raises(pg_errors.InsufficientPrivilege,
                                              match="insert-only"):
        owner.execute("TRUNCATE submissions CASCADE")


def test_activity_and_undo_logs_are_each_persons_own(team: Team) -> None:
    for person, item in (("alice", 1), ("bob", 3)):
        with Project.open(team.url(person), person) as worker:
            worker.record_activity(item, 1000.0)
            assert worker.record_activity(item, 1030.0) == 30.0
    with team.sql("alice") as alice:
        users = {r[0] for r in alice.execute("SELECT user_name FROM edit_log")}
        assert users == {"alice"}
        assert alice.execute("UPDATE edit_log SET payload = '' WHERE user_name = 'bob'"
                             ).rowcount == 0
        assert alice.execute("UPDATE activity_totals SET seconds = 0 WHERE user_name = 'bob'"
                             ).rowcount == 0
        with pytest.raises(pg_errors.InsufficientPrivilege):
            alice.execute("DELETE FROM activity_totals")
        with pytest.raises(pg_errors.InsufficientPrivilege, match="only grow"):
            alice.execute("UPDATE activity_totals SET seconds = seconds - 1")


# -- reviewer and lead ---------------------------------------------------------------------


def test_a_reviewer_edits_only_a_batch_submitted_to_them(team: Team) -> None:
    with team.sql("rita") as rita:
        assert _labels(rita) == []  # nothing submitted yet
        assert rita.execute("UPDATE annotations SET label = 'truck'").rowcount == 0
    with Project.open(team.url("alice"), "alice") as alice:
        alice.batch_action("b1", "submit")
    with team.sql("rita") as rita:
        assert _labels(rita) == [(1, "car")]
        assert rita.execute("UPDATE annotations SET label = 'truck' WHERE item_id = 3"
                            ).rowcount == 0  # b2 is still in progress
        assert rita.execute("UPDATE annotations SET z = 2 WHERE item_id = 1").rowcount == 1
        with pytest.raises(pg_errors.InsufficientPrivilege, match="may not move"):
            rita.execute("UPDATE batches SET state = 'in_progress' WHERE name = 'b1'")
    # the app path: comment and reject as herself
    with Project.open(team.url("rita"), "rita") as review:
        review.add_comment("b1", 1, "the car is a truck")
        review.batch_action("b1", "reject", comment="see item 1")
    with team.admin() as admin:
        assert admin.execute("SELECT state FROM batches WHERE name = 'b1'").fetchone() == (
            "rejected",)
        assert _labels(admin) == [(1, "car"), (3, "car")]
    with team.sql("alice") as sql:  # rejected: hers to see, not to change until restarted
        assert sql.execute("UPDATE annotations SET label = 'truck'").rowcount == 0
    with Project.open(team.url("alice"), "alice") as alice:
        alice.batch_action("b1", "start")
        alice.stack.push(AddAnnotations([_box(2)]))
    with team.sql("rita") as sql:  # back in progress: out of the reviewer's reach
        assert _labels(sql) == []


def test_a_lead_login_role_reads_and_changes_everything(team: Team) -> None:
    with team.sql("lena") as lena:
        assert _labels(lena) == [(1, "car"), (3, "car")]
        assert lena.execute("UPDATE annotations SET label = 'truck' WHERE item_id = 3"
                            ).rowcount == 1
        assert lena.execute("UPDATE batches SET assignee = 'alice' WHERE name = 'b2'"
                            ).rowcount == 1
    with Project.open(team.url("lena"), "lena") as lead:
        assert len(lead.store.list_users()) == 5
        [item] = lead.import_media(make_images(team.media / "more", 1)).added
        lead.create_batch("b3", [item])
        lead.batch_action("b3", "assign", assignee="bob")
    with team.sql("bob") as bob:
        assert [r[0] for r in bob.execute("SELECT name FROM batches ORDER BY 1")] == ["b3"]
        assert _labels(bob) == []  # b2 went to alice, and his shape with it


# -- the normal app path ---------------------------------------------------------------------


def test_the_app_works_as_an_annotator_within_her_rights(
        team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANNOTATOR_USER", raising=False)
    with Project.open(team.url("alice")) as alice:  # who she is: her login role
        assert alice.user.name == "alice"
        assert [b.name for b in alice.store.list_batches()] == ["b1"]
        alice.stack.push(AddAnnotations([_box(2, 20)]))
        alice.stack.undo()
        alice.stack.redo()
        alice.mark_item(2, "done")
        alice.record_activity(1, 1000.0)
        alice.record_activity(2, 1010.0)
        alice.batch_action("b1", "submit")
    with team.admin() as admin:
        assert _labels(admin) == [(1, "car"), (2, "car"), (3, "car")]
        assert admin.execute("SELECT state FROM batches WHERE name = 'b1'").fetchone() == (
            "submitted",)


# -- annotator team, migrate ---------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _groups(team: Team, name: str) -> list[str]:
    with team.admin() as admin:
        return [r[0] for r in admin.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s ORDER BY 1", (name,))]


def test_team_cli_adds_moves_and_removes_a_person(team: Team, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url = team.url("lena")  # a lead's own login role, not the owner
    db = team.database
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret pass\n"))
    code, out, err = _cli(capsys, "--user", "lena", "team", "add-user", url, "carl",
                          "--role", "annotator", "--password-stdin")
    assert code == 0, err
    assert "carl is a annotator" in out and "s3cret" not in out + err
    assert _groups(team, "carl") == [f"{db}_annotator"]
    with team.admin() as admin:
        hashed = admin.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'carl'"
                               ).fetchone()[0]
        assert hashed.startswith("SCRAM-SHA-256$") and "s3cret" not in hashed
    with team.sql("carl") as carl:
        assert _labels(carl) == []
    code, out, err = _cli(capsys, "--user", "lena", "team", "set-role", url, "carl",
                          "--role", "reviewer")
    assert code == 0 and "carl is a reviewer" in out, err
    assert _groups(team, "carl") == [f"{db}_reviewer"]
    code, out, err = _cli(capsys, "--user", "lena", "team", "remove-user", url, "carl")
    assert code == 0 and "login role dropped" in out, err
    with team.admin() as admin:
        assert admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'carl'").fetchone() is None
        assert admin.execute("SELECT 1 FROM users WHERE name = 'carl'").fetchone() is None
    with pytest.raises(psycopg.OperationalError):
        team.sql("carl")


def test_team_cli_is_for_leads_and_team_projects(team: Team, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 schema: LabelSchema) -> None:
    code, _out, err = _cli(capsys, "--user", "alice", "team", "add-user", team.url("alice"),
                          "mallory", "--role", "lead")
    assert code != 0 and "only a lead" in err and "Traceback" not in err
    # and with her credentials the database refuses even a forged client
    with team.sql("alice") as alice, pytest.raises(pg_errors.InsufficientPrivilege):
        alice.execute("INSERT INTO users (name, role, created_at) VALUES ('mallory', 'lead', 't')")
    Project.create(tmp_path / "folder", schema, user="lead").close()
    code, _out, err = _cli(capsys, "--user", "lead", "team", "add-user",
                           str(tmp_path / "folder"), "carl", "--role", "annotator")
    assert code != 0 and "annotator user add" in err
    with pytest.raises(ProjectError, match="already a member"):
        team_admin.add_user(team.owner.store, "alice", Role.ANNOTATOR)


def test_migrate_brings_an_old_team_project_under_the_policies(
        pg_server: PgServer, schema: LabelSchema) -> None:
    url = pg_server.url(pg_server.new_database())
    create_project(url, schema, lead="lead", version=3).close()
    with migrate_project(url) as store:
        assert store.version() == CURRENT_VERSION == 5
        policies = store._one("SELECT COUNT(*) FROM pg_policies WHERE tablename = 'annotations'")
        assert int(policies[0]) == 5
        secured = store._all("SELECT relname FROM pg_class WHERE relrowsecurity "
                             "AND relnamespace = current_schema()::regnamespace ORDER BY 1")
        assert ("batch_history",) in secured and ("items",) in secured
        assert ("media_chunks",) in secured and ("client_ops",) in secured


def test_user_add_on_a_server_makes_the_login_role_too(team: Team,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """'user add' on a URL does what 'team add-user' does: the database must know the person."""
    url, db = team.url("lena"), team.database
    code, out, err = _cli(capsys, "--user", "lena", "user", "add", url, "dora",
                          "--role", "annotator")
    assert code == 0 and "dora is a annotator" in out, err
    assert _groups(team, "dora") == [f"{db}_annotator"]
    code, out, err = _cli(capsys, "--user", "lena", "user", "add", url, "dora",
                          "--role", "reviewer")
    assert code == 0 and "dora is a reviewer" in out, err
    assert _groups(team, "dora") == [f"{db}_reviewer"]
    code, _out, err = _cli(capsys, "--user", "alice", "user", "add", team.url("alice"), "eve",
                           "--role", "lead")
    assert code != 0 and "only a lead" in err and "Traceback" not in err
