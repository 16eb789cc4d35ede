"""Bad input on the command line: one clear line, exit code 2, the project unchanged.

DESIGN.md, "Command line": corrupt media, a wrong schema, a path outside the
allowed places, a folder that is not a project, a locked, full or read-only
database, or a project from a newer version end with one line on stderr that
names the file or key, exit code 2, no traceback, and nothing half-written.
"""

from __future__ import annotations

import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.errors import StoreError
from annotator.project import Project
from annotator.store import open_project

SAMPLE_SCHEMA = Path(__file__).resolve().parents[2] / "sample_data" / "schema.yaml"
LAS = Path(__file__).resolve().parents[1] / "data" / "las" / "simple.las"

# Eight levels of nine aliases each: 9**9 strings once expanded ("billion laughs").
LAUGHS = "".join(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
                 for prev, name in zip("abcdefgh", "bcdefghi", strict=True))

# -- label schema files ------------------------------------------------------------------

SCHEMA_CASES = [
    pytest.param(
        "kind.yaml",
        'name: s\nclasses:\n  - name: car\n    color: "#e69f00"\n    kinds: [box, blob]\n',
        5, ["classes[0].kinds", "'blob'"], id="unknown-kind"),
    pytest.param(
        "dupclass.yaml",
        'name: s\nclasses:\n  - name: car\n    color: "#e69f00"\n    kinds: [box]\n'
        '  - name: car\n    color: "#56b4e9"\n    kinds: [box]\n',
        6, ["classes[1].name", "duplicate class 'car'"], id="duplicate-class"),
    pytest.param(
        "enum.yaml",
        'name: s\nclasses:\n  - name: car\n    color: "#e69f00"\n    kinds: [box]\n'
        "    attributes:\n      - {name: paint, type: enum}\n",
        7, ["classes[0].attributes[0].values", "enum"], id="enum-without-values"),
    pytest.param(
        "colour.yaml",
        "name: s\nclasses:\n  - name: car\n    color: red\n    kinds: [box]\n",
        4, ["classes[0].color", "'red'"], id="bad-colour"),
    pytest.param(
        "topkey.yaml",
        'name: s\nclasses:\n  - name: car\n    color: "#e69f00"\n    kinds: [box]\n'
        "colour_scheme: x\n",
        6, ["unknown key 'colour_scheme'"], id="unknown-top-level-key"),
    pytest.param(
        "syntax.yaml",
        'name: s\nclasses:\n  - name: car\n    color: "#e69f00"\n    kinds: box: polygon\n',
        5, ["not valid YAML"], id="yaml-syntax"),
    pytest.param(
        "syntax.json",
        '{\n  "name": "s",\n  "classes": [\n'
        '    {"name": "car", "color": "#e69f00", "kinds": ["box"]},\n  ]\n}\n',
        5, ["not valid JSON"], id="json-syntax"),
    pytest.param(
        "bomb.yaml",
        'name: s\na: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
        + LAUGHS + 'classes:\n  - name: car\n    color: "#e69f00"\n    kinds: [box]\n',
        3, ["alias"], id="billion-laughs"),
    pytest.param(
        "dupkey.yaml",
        'name: s\nname: t\nclasses:\n  - name: car\n    color: "#e69f00"\n    kinds: [box]\n',
        2, ["duplicate key 'name'"], id="duplicate-yaml-key"),
    pytest.param("missing.yaml", None, None, ["cannot read"], id="missing-file"),
]


@pytest.mark.parametrize(("name", "text", "line", "words"), SCHEMA_CASES)
def test_bad_schema_is_refused_with_file_line_and_key(
    run, refused, tmp_path, name, text, line, words
):
    schema = tmp_path / name
    if text is not None:
        schema.write_text(text, encoding="utf-8")
    target = tmp_path / "proj"
    message = refused(run("init", target, "--schema", schema), name, *words)
    if line is not None:
        assert f"{name}:{line}:" in message
    assert not target.exists(), "a refused init must not leave a folder behind"


def test_alias_bomb_is_refused_fast(run, refused, tmp_path):
    """Anchors and aliases are refused outright, before anything is expanded."""
    schema = tmp_path / "laughs.yaml"
    schema.write_text('a: &a ["lol", "lol", "lol"]\n' + LAUGHS + "name: s\n", encoding="utf-8")
    started = time.monotonic()
    refused(run("init", tmp_path / "proj", "--schema", schema), "laughs.yaml", "alias")
    assert time.monotonic() - started < 20
    assert not (tmp_path / "proj").exists()


@pytest.mark.parametrize(("name", "text"), [
    ("deep.yaml", "name: s\nclasses: " + "[" * 2000 + "]" * 2000 + "\n"),
    ("deep.json", '{"name": "s", "classes": ' + "[" * 2000 + "]" * 2000 + "}\n"),
], ids=["yaml", "json"])
def test_deeply_nested_schema_is_refused(run, refused, tmp_path, name, text):
    schema = tmp_path / name
    schema.write_text(text, encoding="utf-8")
    refused(run("init", tmp_path / "proj", "--schema", schema), name)


# -- project folders -------------------------------------------------------------------------


def test_init_into_an_existing_project_is_refused(run, refused, state, project):
    before = state(project)
    refused(run("init", project, "--schema", SAMPLE_SCHEMA), str(project), "already a project")
    assert state(project) == before


def _empty_dir(base: Path) -> Path:
    (base / "emptydir").mkdir()
    return base / "emptydir"


def _plain_file(base: Path) -> Path:
    (base / "plainfile.txt").write_text("not a project\n")
    return base / "plainfile.txt"


def _garbage_db(base: Path) -> Path:
    (base / "garbage").mkdir()
    (base / "garbage" / "project.db").write_bytes(bytes(range(256)) * 16)
    return base / "garbage"


def _foreign_db(base: Path) -> Path:
    (base / "foreign").mkdir()
    connection = sqlite3.connect(base / "foreign" / "project.db")
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    connection.execute("INSERT INTO notes (text) VALUES ('someone else''s data')")
    connection.commit()
    connection.close()
    return base / "foreign"


def _contents(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


@pytest.mark.parametrize(("make", "words"), [
    (_empty_dir, ["not an Annotator project", "annotator init"]),
    (_plain_file, ["is a file"]),
    (_garbage_db, ["project.db", "not an Annotator project database"]),
    (_foreign_db, ["project.db", "not an Annotator project database"]),
], ids=["empty-dir", "plain-file", "garbage-db", "foreign-sqlite-db"])
def test_opening_a_non_project_is_refused(run, refused, tmp_path, make, words):
    path = make(tmp_path)
    listing = sorted(p.name for p in (path.iterdir() if path.is_dir() else ()))
    refused(run("stats", path, "--json"), str(path), *words)
    assert sorted(p.name for p in (path.iterdir() if path.is_dir() else ())) == listing


def test_opening_a_foreign_sqlite_file_leaves_it_untouched(run, refused, tmp_path):
    folder = _foreign_db(tmp_path)
    before = _contents(folder)
    refused(run("batch", "list", folder), "not an Annotator project database")
    assert _contents(folder) == before


def test_project_from_a_newer_version_is_refused(run, refused, state, project):
    connection = sqlite3.connect(project / "project.db")
    connection.execute("UPDATE meta SET value = '999' WHERE key = 'store_version'")
    connection.commit()
    connection.close()
    before = state(project)
    for args in (("stats", project, "--json"), ("batch", "create", project, "b1")):
        refused(run(*args), "project.db", "newer Annotator", "999")
    assert state(project) == before


# -- importing media ---------------------------------------------------------------------


def test_truncated_jpeg_refuses_the_whole_import(run, refused, state, items, image, project,
                                                  tmp_path):
    incoming = tmp_path / "incoming"
    for n in range(3):
        image(incoming / f"good{n}.jpg", shade=100 + n)
    whole = image(tmp_path / "whole.jpg", (64, 64), shade=7).read_bytes()
    (incoming / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    before, count = state(project), items(project)
    refused(run("import", project, incoming), "cut.jpg", "truncated JPEG")
    assert items(project) == count
    assert state(project) == before


def test_missing_path_is_refused(run, refused, state, image, project, tmp_path):
    good = image(tmp_path / "good.jpg")
    before = state(project)
    refused(run("import", project, good, tmp_path / "nothere.jpg"), "nothere.jpg",
            "no such file")
    assert state(project) == before


def test_unsupported_file_named_explicitly_is_refused(run, refused, state, project, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    before = state(project)
    refused(run("import", project, notes), "notes.txt", "unsupported file type")
    assert state(project) == before


def test_importing_the_same_file_again_is_not_an_error(run, items, image, project, media_dir,
                                                       tmp_path):
    new = image(tmp_path / "new.jpg", shade=200)
    count = items(project)
    result = run("import", project, media_dir / "a.jpg", new, new)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "added 1 item(s); 1 already in the project" in result.stdout
    assert items(project) == count + 1


def test_file_outside_the_media_roots_is_refused(run, refused, state, items, image, tmp_path):
    inside = image(tmp_path / "allowed" / "in.jpg")
    outside = image(tmp_path / "elsewhere" / "out.jpg")
    folder = tmp_path / "rooted"
    created = run("init", folder, "--schema", SAMPLE_SCHEMA, "--media-root", inside.parent)
    assert created.returncode == 0, created.stderr
    before = state(folder)
    refused(run("import", folder, inside, outside), "out.jpg",
            "outside the project's media folders")
    assert state(folder) == before
    accepted = run("import", folder, inside)
    assert accepted.returncode == 0, accepted.stderr
    assert items(folder) == 1


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def test_las_header_with_absurd_vlr_count_is_refused(tmp_path):
    if not LAS.exists():
        pytest.skip("tests/data/las/simple.las is missing")
    data = bytearray(LAS.read_bytes())
    data[100:104] = (0xFFFFFFFF).to_bytes(4, "little")  # number of variable length records
    bad = tmp_path / "vlrs.las"
    bad.write_bytes(bytes(data))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "annotator", "inspect", str(bad)],
            capture_output=True, text=True, timeout=5, preexec_fn=_limit_memory, check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("annotator inspect did not finish within 5 s")
    assert result.returncode == 2
    assert "vlrs.las" in result.stderr


# -- the database: locked, full, read-only -----------------------------------------------

_HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
connection.close()
"""


def test_locked_database_is_refused_then_works(run, refused, state, project):
    before = state(project)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(project / "project.db")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "locked"
        refused(run("batch", "create", project, "b1"), "project.db", "locked")
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert state(project) == before
    result = run("batch", "create", project, "b1")
    assert result.returncode == 0, result.stderr
    assert "created batch 1 'b1' with 3 item(s)" in result.stdout


def test_disk_full_refuses_the_import_and_keeps_the_project(state, items, image, project,
                                                             tmp_path):
    incoming = tmp_path / "many"
    for n in range(150):
        image(incoming / f"m{n:03d}.png", (8, 8), shade=n)
    before, count = state(project), items(project)
    store = open_project(project)
    lead = store.get_user("lead")
    assert lead is not None
    with Project(store, project.resolve(), lead) as work:
        # The one place a test reaches into the store's connection: capping the file
        # at its current size is the only portable way to make SQLite see a full disk.
        connection = store._connection
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError) as info:
            work.import_media([incoming])
    message = str(info.value)
    assert "disk is full" in message
    assert "project.db" in message
    assert "\n" not in message
    assert items(project) == count
    assert state(project) == before


def _make_read_only(folder: Path) -> None:
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)


def test_read_only_project_refuses_writes(run, refused, state, items, image, unprivileged,
                                          open_base, template):
    folder = open_base / "proj"
    shutil.copytree(template, folder)
    new = image(open_base / "media" / "new.jpg")
    (open_base / "media").chmod(0o755)
    new.chmod(0o644)
    before, count = state(folder), items(folder)
    _make_read_only(folder)
    for args in (("batch", "create", folder, "b1"), ("import", folder, new)):
        message = refused(run(*args, prefix=unprivileged), "project.db")
        assert "read-only" in message or "ermission" in message, message
    # Reading may work or be refused, but never with a traceback or a second line.
    result = run("stats", folder, "--json", prefix=unprivileged)
    if result.returncode == 0:
        assert json.loads(result.stdout)["items"] == count
    else:
        assert "read-only" in refused(result, "project.db")
    assert state(folder) == before
    assert items(folder) == count


def test_init_into_a_folder_we_cannot_write_is_refused(run, refused, unprivileged, open_base):
    parent = open_base / "closed"
    parent.mkdir()
    parent.chmod(0o555)
    target = parent / "proj"
    message = refused(run("init", target, "--schema", SAMPLE_SCHEMA, prefix=unprivileged),
                      str(target))
    assert "ermission" in message or "read-only" in message, message
    assert not target.exists()


# -- refusals the product should make but does not (yet) ---------------------------------


def test_batch_size_zero_is_refused(run, refused, state, project):
    before = state(project)
    refused(run("batch", "create", project, "b", "--size", "0"), "--size")
    assert state(project) == before


def test_refused_command_by_an_unknown_user_leaves_the_project_unchanged(
    run, refused, state, project
):
    before = state(project)
    refused(run("batch", "create", project, "b1", user="stranger"), "stranger",
            "only a lead may")
    assert state(project) == before


# -- argparse ------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("frobnicate",),
    ("batch", "create"),
    ("init", "somewhere"),
], ids=["unknown-subcommand", "missing-arguments", "missing-schema-option"])
def test_usage_errors_exit_2_without_traceback(run, tmp_path, args):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr
    assert list(tmp_path.iterdir()) == []
