"""Team mode under load: many client processes at once, and a server that goes down.

The clients are real processes (tests/core/team_clients.py), each with its
own connection, as the desktop clients of a team would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from annotator.commands import AddAnnotations
from annotator.model import AttributeSpec, LabelClass, LabelSchema, Role
from annotator.project import Project
from annotator.store import open_project
from tests.conftest import REPO, make_images
from tests.core.conftest import PgServer, running_pg_server
from tests.core.team_clients import shape

CLIENT = Path(__file__).with_name("team_clients.py")
CLIENTS = 30
STEPS = 4
SHARED = 3


@pytest.fixture
def team_schema() -> LabelSchema:
    return LabelSchema("team", (LabelClass(
        "car", "#e69f00", ("box",),
        (AttributeSpec("count", "int", default=0), AttributeSpec("tag", "text"))),))


def _env(media: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "ANNOTATOR_MEDIA_ROOT": str(media)}


def _client(*args: object, media: Path, stderr: int | IO[str] = subprocess.PIPE
            ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(CLIENT), *map(str, args)], cwd=REPO,
                            env=_env(media), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=stderr, text=True)


def _new_project(url: str, schema: LabelSchema, media: Path, users: list[str]) -> None:
    with Project.create(url, schema, user="lead") as lead:
        lead.import_media(make_images(media / "media", 3, size=(16, 16)))
        for name in users:
            lead.set_role(name, Role.LEAD)


def test_thirty_clients_at_once_lose_no_update(pg_server: PgServer, team_schema: LabelSchema,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every acknowledged edit landed once; every lost race was reported, none overwritten."""
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    url = pg_server.url(pg_server.new_database())
    users = [f"w{n:02d}" for n in range(CLIENTS)]
    _new_project(url, team_schema, tmp_path, users)
    with Project.open(url, "lead") as lead:
        added = lead.stack.push(AddAnnotations(
            [shape(1, f"shared-{n}", 100 + n) for n in range(SHARED)]))
        shared = [int(a.id or 0) for a in added.written()]
    results = tmp_path / "results"
    results.mkdir()
    clients = [_client("stress", url, user, STEPS, ",".join(map(str, shared)),
                       results / f"{user}.json", media=tmp_path) for user in users]
    try:
        for client in clients:  # each has connected and opened the project
            assert client.stdout is not None
            assert client.stdout.readline().strip() == "ready"
        for client in clients:  # ... then all go at once
            assert client.stdin is not None
            client.stdin.write("go\n")
            client.stdin.flush()
        outcomes = [client.communicate(timeout=120) for client in clients]
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
    for client, (_, err) in zip(clients, outcomes, strict=True):
        assert client.returncode == 0 and "Traceback" not in err, err
    records = [json.loads((results / f"{user}.json").read_text()) for user in users]

    with open_project(url) as store:
        stored = [a for item in (1, 2, 3) for a in store.annotations_for_item(item)]
        edits = {user: store.count_edits(user) for user in users}
    tags = Counter(str(a.attributes["tag"]) for a in stored)
    acknowledged = [tag for r in records for tag in r["added"]]
    # every acknowledged add once, the shared shapes, and nothing else
    assert tags == Counter(acknowledged + [f"shared-{n}" for n in range(SHARED)])
    # no silent overwrite: each shared shape counts exactly the changes that were
    # acknowledged, less the undos that were; each of them wrote one revision
    changed = Counter(target for r in records for target in r["changed"])
    undone = Counter(target for r in records for target in r["undone"])
    by_id = {int(a.id or 0): a for a in stored}
    for target in shared:
        assert by_id[target].attributes["count"] == changed[target] - undone[target]
        assert by_id[target].revision - 1 == changed[target] + undone[target]
    # every attempt was either acknowledged or reported, and a content conflict names its shape
    for record in records:
        assert len(record["changed"]) + len(record["conflicts"]) == record["attempts"] == STEPS
        assert len(record["added"]) + len(record["add_refused"]) == STEPS
        for conflict in record["conflicts"]:
            assert conflict["reported"] in (conflict["id"], None), conflict
            if conflict["reported"] is not None:
                assert conflict["theirs"], conflict
        # each acknowledged edit has its undo-log entry, nothing more
        assert edits[record["user"]] == len(record["added"]) + len(record["changed"])
    # the races were real: some were lost, and were said to be
    assert sum(len(r["conflicts"]) for r in records) > 0
    assert sum(changed.values()) > 0 and sum(undone.values()) > 0


# -- the server stops ----------------------------------------------------------------


@pytest.fixture
def own_server() -> Iterator[PgServer]:
    """A server of this test's own, since it is stopped and started again."""
    with running_pg_server() as server:
        yield server


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_clients_survive_a_server_stopped_mid_edit(own_server: PgServer,
                                                    team_schema: LabelSchema, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped with ``-m immediate`` (a crash) and started again: nothing acknowledged is
    lost, each client said "offline" in one line and went on by itself afterwards."""
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    url = own_server.url(own_server.new_database())
    users = [f"c{n}" for n in range(4)]
    _new_project(url, team_schema, tmp_path, users)
    stop = tmp_path / "stop"
    logs = {user: tmp_path / f"{user}.acks" for user in users}
    errors = {user: (tmp_path / f"{user}.err").open("w") for user in users}
    clients = [_client("loop", url, user, logs[user], stop, media=tmp_path,
                       stderr=errors[user]) for user in users]
    try:
        _wait(lambda: all(_lines(logs[u]).count("ack " + f"{u}-3") for u in users),
              "every client's first edits")
        own_server.pg_ctl("-m", "immediate", "stop")
        _wait(lambda: all("offline" in _lines(logs[u]) for u in users),
              "every client to notice")
        time.sleep(0.3)
        own_server.start()

        def after_restart(user: str) -> bool:
            lines = _lines(logs[user])
            last_offline = max(i for i, line in enumerate(lines) if line == "offline")
            return sum(line.startswith("ack ") for line in lines[last_offline:]) >= 3

        _wait(lambda: all(after_restart(u) for u in users), "edits after the restart")
        stop.touch()
        for client in clients:
            client.wait(60)
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
        for handle in errors.values():
            handle.close()
    with open_project(url) as store:
        stored = Counter(str(a.attributes["tag"]) for a in store.annotations_for_item(1))
    for user in users:
        assert clients[users.index(user)].returncode == 0
        lines = _lines(logs[user])
        acked = [line[4:] for line in lines if line.startswith("ack ")]
        tried = {line[4:] for line in lines if line.startswith("try ")}
        # what the client was told is saved is there, once; an edit cut off by the
        # crash may or may not be, but nothing appears that the client never sent
        assert all(stored[tag] == 1 for tag in acked), [t for t in acked if stored[t] != 1]
        assert {t for t in stored if t.startswith(f"{user}-")} <= tried
        # the outage was one clear line each time, never a traceback
        err = (tmp_path / f"{user}.err").read_text()
        assert "Traceback" not in err, err
        assert err.strip(), "the client never reported the outage"
        for line in err.splitlines():
            assert "database server" in line, line
