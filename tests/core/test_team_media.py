"""Team mode media: files stored in PostgreSQL, cached on the client, prefetched.

A real throwaway server (``pg_server``).  Every fetch test first moves the
media files away from the media root, so bytes that arrive came from the
database.  The access test uses a person's own credentials and
hand-written SQL, never Annotator's client checks.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from annotator.errors import MediaError, OfflineError, StoreError
from annotator.model import Item, LabelSchema, Role
from annotator.project import Project
from annotator.store import SqlStore
from annotator.store import team as team_admin
from annotator.store.media_cache import MediaCache, TeamMedia, cache_folder, cache_limit_bytes
from annotator.store.media_db import blob_present, read_blob, upload_file
from tests.conftest import DATA, REPO, make_images
from tests.core.conftest import PgServer

SCHEMA_FILE = REPO / "sample_data" / "schema.yaml"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ANNOTATOR_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def team(pg_server: PgServer, tmp_path: Path, schema: LabelSchema, cache_dir: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Project, Path]]:
    """A lead's project on a fresh database, media root tmp_path/root (empty so far)."""
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(root))
    url = pg_server.url(pg_server.new_database())
    project = Project.create(url, schema, user="lead")
    yield url, project, root
    project.close()


def _counts(project: Project) -> tuple[int, int]:
    blobs = project.store._one("SELECT COUNT(*) FROM media_blobs")[0]
    chunks = project.store._one("SELECT COUNT(*) FROM media_chunks")[0]
    return int(blobs), int(chunks)


def _hide_media(root: Path, tmp_path: Path) -> Path:
    """Move the media root's files away: what is read now comes from the database."""
    away = tmp_path / "away"
    shutil.move(str(root / "media"), away)
    return away


def test_an_image_and_a_point_cloud_come_back_byte_identical(
        team: tuple[str, Project, Path], tmp_path: Path, cache_dir: Path) -> None:
    url, project, root = team
    media = root / "media"
    media.mkdir()
    image = make_images(media, 1, size=(640, 480))[0]
    cloud = media / "milk.pcd"
    shutil.copyfile(DATA / "pcd" / "milk.pcd", cloud)
    originals = {p.name: p.read_bytes() for p in (image, cloud)}
    report = project.import_media([media])
    assert len(report.added) == 2
    assert _counts(project) == (2, 2)
    _hide_media(root, tmp_path)
    with Project.open(url, "lead") as again:
        for item_id in report.added:
            item = again.store.get_item(item_id)
            assert not again.media_ready(item)
            path = again.resolve(item)
            assert path.parent == cache_dir and path.name == item.sha256 + Path(item.path).suffix
            assert path.read_bytes() == originals[Path(item.path).name]
            assert again.media_ready(item) and again.media_path(item) == path
        cloud_item = again.store.get_item(report.added[1])
        assert again._cloud_of(cloud_item) is not None  # the reader dispatches on the suffix


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 3000, 3001])
def test_chunk_boundaries(team: tuple[str, Project, Path], tmp_path: Path, size: int) -> None:
    _, project, _ = team
    data = os.urandom(size)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    sha = _sha(data)
    assert upload_file(project.store, path, sha, chunk_bytes=1000)
    assert not upload_file(project.store, path, sha, chunk_bytes=1000)  # already there
    rows = project.store._all("SELECT n, LENGTH(data) FROM media_chunks WHERE sha256 = ? "
                              "ORDER BY n", (sha,))
    assert [r[0] for r in rows] == list(range(-(-size // 1000)))
    assert sum(r[1] for r in rows) == size and all(r[1] <= 1000 for r in rows)
    assert b"".join(read_blob(project.store, sha)) == data
    assert b"".join(read_blob(project.store, sha, binary=False)) == data
    assert blob_present(project.store, [sha, _sha(b"other")]) == {sha}


def test_a_file_changed_since_it_was_read_is_not_stored(
        team: tuple[str, Project, Path], tmp_path: Path) -> None:
    _, project, _ = team
    path = tmp_path / "blob.bin"
    path.write_bytes(b"x" * 2500)
    with pytest.raises(MediaError, match="changed since"):
        upload_file(project.store, path, _sha(b"y" * 2500), chunk_bytes=1000)
    assert _counts(project) == (0, 0)  # neither the blob row nor any chunk


def test_a_reimport_uploads_nothing(team: tuple[str, Project, Path]) -> None:
    _, project, root = team
    files = make_images(root / "media", 3)
    project.import_media([root / "media"])
    before = project.store._all("SELECT sha256, added_at FROM media_blobs ORDER BY sha256")
    assert len(before) == 3
    # the same folder again, and the same content under new names
    copies = root / "copies"
    copies.mkdir()
    for path in files:
        shutil.copyfile(path, copies / path.name)
    calls: list[tuple[int, int]] = []
    report = project.import_media([root / "media", copies],
                                  progress=lambda done, total: calls.append((done, total)))
    assert len(report.added) == 3 and len(report.skipped_existing) == 3
    assert project.store._all("SELECT sha256, added_at FROM media_blobs ORDER BY sha256") \
        == before
    assert calls[-1] == (6, 6)  # reading, then uploading, each half of the bar


def test_items_never_name_missing_blobs(team: tuple[str, Project, Path]) -> None:
    _, project, root = team
    project.import_media(make_images(root / "media", 4))
    missing = project.store._one(
        "SELECT COUNT(*) FROM items i WHERE NOT EXISTS "
        "(SELECT 1 FROM media_blobs b WHERE b.sha256 = i.sha256)")[0]
    assert missing == 0


def _source(data: bytes, calls: list[int], chunk: int = 7) -> Any:
    def chunks() -> Iterable[bytes]:
        calls.append(1)
        return [data[i:i + chunk] for i in range(0, len(data), chunk)]
    return chunks


def test_the_cache_evicts_the_least_recently_used(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "c", limit_bytes=250)
    blobs = [bytes([n]) * 100 for n in range(4)]
    calls: list[int] = []
    paths = []
    for n, data in enumerate(blobs[:2]):
        paths.append(cache.get(_sha(data), ".jpg", 100, _source(data, calls)))
        os.utime(paths[-1], (1000 + n, 1000 + n))  # distinct ages whatever the clock's grain
    assert cache.get(_sha(blobs[0]), ".jpg", 100, _source(blobs[0], calls)) == paths[0]
    assert len(calls) == 2  # a hit, which made blob 0 the most recently used
    third = cache.get(_sha(blobs[2]), ".jpg", 100, _source(blobs[2], calls))
    assert paths[0].exists() and third.exists() and not paths[1].exists()
    assert cache.total_bytes() == 200
    assert cache.get(_sha(blobs[1]), ".jpg", 100, _source(blobs[1], calls)).read_bytes() \
        == blobs[1]
    assert len(calls) == 4


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_cache_file_is_fetched_again(tmp_path: Path, damage: str) -> None:
    data = os.urandom(5000)
    calls: list[int] = []
    path = MediaCache(tmp_path).get(_sha(data), ".png", 5000, _source(data, calls, 1000))
    with path.open("r+b") as handle:
        if damage == "truncate":
            handle.truncate(4000)
        else:
            handle.seek(10)
            handle.write(bytes([data[10] ^ 0xFF]))
    fresh = MediaCache(tmp_path)  # another process: nothing verified yet
    assert not fresh.ready(_sha(data), ".png", 5000)
    assert fresh.get(_sha(data), ".png", 5000, _source(data, calls, 1000)).read_bytes() == data
    assert len(calls) == 2
    assert fresh.ready(_sha(data), ".png", 5000)


def test_a_fetch_that_does_not_match_its_checksum_leaves_nothing(tmp_path: Path) -> None:
    data = os.urandom(300)
    cache = MediaCache(tmp_path)
    with pytest.raises(MediaError, match="checksum"):
        cache.get(_sha(data), ".png", 300, _source(data[:-1] + b"\0", []))
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_cached_file_of_a_team_item_comes_again_from_the_database(
        team: tuple[str, Project, Path], tmp_path: Path) -> None:
    url, project, root = team
    [item_id] = project.import_media(make_images(root / "media", 1, size=(300, 200))).added
    original = (root / "media" / "img_0000.png").read_bytes()
    _hide_media(root, tmp_path)
    item = project.store.get_item(item_id)
    path = project.resolve(item)
    path.write_bytes(original[:100])
    with Project.open(url, "lead") as again:
        assert again.resolve(item).read_bytes() == original


def test_two_processes_fetch_the_same_file_at_once(
        team: tuple[str, Project, Path], tmp_path: Path, cache_dir: Path) -> None:
    url, project, root = team
    [item_id] = project.import_media(make_images(root / "media", 1, size=(800, 600))).added
    original = (root / "media" / "img_0000.png").read_bytes()
    _hide_media(root, tmp_path)
    script = ("import sys; from annotator.project import Project\n"
              "with Project.open(sys.argv[1], 'lead') as p:\n"
              "    print(p.resolve(p.store.get_item(int(sys.argv[2]))))\n")
    runs = [subprocess.Popen([sys.executable, "-c", script, url, str(item_id)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    paths = {Path(out.strip()) for out, _ in outputs}
    assert len(paths) == 1 and paths.pop().read_bytes() == original
    assert [p.name for p in cache_dir.iterdir()] == [f"{_sha(original)}.png"]  # no leftovers


def test_prefetch_fills_the_cache_in_the_background(
        team: tuple[str, Project, Path], tmp_path: Path) -> None:
    url, project, root = team
    ids = project.import_media(make_images(root / "media", 5)).added
    _hide_media(root, tmp_path)
    with Project.open(url, "lead") as again:
        items = [again.store.get_item(i) for i in ids]
        assert not any(again.media_ready(i) for i in items)
        again.prefetch(items)
        media = again.team_media
        assert media is not None and media.wait_idle(30)
        assert all(again.media_ready(i) for i in items)
        assert media.prefetched == 5 and media.prefetch_errors == 0


def test_items_without_a_blob_are_read_from_the_media_root(
        team: tuple[str, Project, Path]) -> None:
    """A team project from before media in the database."""
    _, project, root = team
    [path] = make_images(root / "media", 1)
    data = path.read_bytes()
    [item_id] = project.store.add_items([Item(None, "media/img_0000.png", "image", "png",
                                              _sha(data), len(data), 64, 48)])
    item = project.store.get_item(item_id)
    assert project.resolve(item) == path
    assert project.media_ready(item) and project.media_path(item) == path


def test_an_annotator_reads_the_media_of_her_batch_only(
        team: tuple[str, Project, Path], pg_server: PgServer) -> None:
    url, project, root = team
    ids = project.import_media(make_images(root / "media", 4)).added
    for name in ("alice", "bob"):
        team_admin.add_user(project.store, name, Role.ANNOTATOR)
    for batch, members, person in (("b1", ids[:2], "alice"), ("b2", ids[2:], "bob")):
        project.create_batch(batch, members)
        project.batch_action(batch, "assign", assignee=person)
    own, other = (project.store.get_item(ids[0]).sha256, project.store.get_item(ids[2]).sha256)
    alice_url = url.replace("postgres@", "alice@", 1)
    with psycopg.connect(alice_url, autocommit=True) as alice:
        def chunks(sha: str) -> list[Any]:
            return alice.execute("SELECT data FROM media_chunks WHERE sha256 = %s",
                                 (sha,)).fetchall()
        assert len(chunks(own)) == 1 and chunks(other) == []
        assert alice.execute("SELECT COUNT(*) FROM media_blobs").fetchone() == (2,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            alice.execute("INSERT INTO media_blobs VALUES ('x', 1, 1, 1, 't')")
    with Project.open(alice_url) as as_alice:
        assert as_alice.user.name == "alice"
        item = as_alice.store.get_item(ids[0])
        assert as_alice.resolve(item).read_bytes() == \
            (root / "media" / "img_0000.png").read_bytes()
        with pytest.raises(MediaError, match="not in the project database"):
            list(read_blob(as_alice.store, other))


def test_cli_export_with_media_from_the_database(
        team: tuple[str, Project, Path], tmp_path: Path) -> None:
    """The real CLI on a machine whose media root lacks the files."""
    url, project, root = team
    project.import_media(make_images(root / "media", 2, size=(120, 90)))
    originals = {p.name: p.read_bytes() for p in (root / "media").iterdir()}
    _hide_media(root, tmp_path)
    env = {**os.environ, "ANNOTATOR_USER": "lead"}
    done = subprocess.run([sys.executable, "-m", "annotator", "export", url, "--format", "coco",
                           "--out", str(tmp_path / "out"), "--with-media"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    copied = {p.name: p.read_bytes() for p in (tmp_path / "out").rglob("*.png")}
    assert copied == originals


def test_folder_projects_keep_their_media_as_files(tmp_path: Path, schema: LabelSchema) -> None:
    with Project.create(tmp_path / "p", schema, user="lead") as project:
        [item_id] = project.import_media(make_images(tmp_path / "p" / "media", 1)).added
        item = project.store.get_item(item_id)
        assert project.team_media is None
        assert project.resolve(item) == tmp_path / "p" / "media" / "img_0000.png"
        assert project.media_ready(item) and project.media_path(item) == project.resolve(item)
        assert project.store._one("SELECT COUNT(*) FROM media_blobs")[0] == 0


def test_cache_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ANNOTATOR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform not in ("win32", "darwin"):
        assert cache_folder() == tmp_path / "annotator" / "media"
    monkeypatch.setenv("ANNOTATOR_CACHE_DIR", str(tmp_path / "here"))
    assert cache_folder() == tmp_path / "here"
    monkeypatch.delenv("ANNOTATOR_CACHE_LIMIT_MB", raising=False)
    assert cache_limit_bytes() == 20480 << 20
    monkeypatch.setenv("ANNOTATOR_CACHE_LIMIT_MB", "1.5")
    assert cache_limit_bytes() == 3 << 19
    monkeypatch.setenv("ANNOTATOR_CACHE_LIMIT_MB", "lots")
    with pytest.raises(StoreError, match="not a number"):
        cache_limit_bytes()


def test_cached_files_need_no_server_and_a_missing_one_says_offline(
        team: tuple[str, Project, Path], tmp_path: Path, cache_dir: Path) -> None:
    _, project, root = team
    ids = project.import_media(make_images(root / "media", 2)).added
    _hide_media(root, tmp_path)
    first, second = (project.store.get_item(i) for i in ids)
    cached = project.resolve(first)
    opened: list[int] = []

    def unreachable() -> SqlStore:
        opened.append(1)
        raise OfflineError("db.example: cannot connect to the database server (timeout)")

    away = TeamMedia(unreachable, lambda item: root / item.path, MediaCache(cache_dir))
    try:
        assert away.resolve(first) == cached and opened == []
        with pytest.raises(OfflineError, match="cannot connect"):
            away.resolve(second)
    finally:
        away.close()
