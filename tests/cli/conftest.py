"""Fixtures for the command-line tests: the real CLI run as a subprocess.

Every test talks to ``python -m annotator`` the way a lead's script would,
with ``$ANNOTATOR_USER`` naming who works and a short lock timeout so a
locked project is refused quickly.  Projects are prepared in-process (that is
not what is under test, and it saves a subprocess start per test).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from PIL import Image

from annotator.project import Project
from annotator.schema import load_schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "sample_data" / "schema.yaml"

Run = Callable[..., subprocess.CompletedProcess[str]]


def cli_env(user: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ANNOTATOR_DEBUG", None)  # would turn the last line of defence into a traceback
    env["ANNOTATOR_USER"] = user
    env["ANNOTATOR_LOCK_TIMEOUT_MS"] = "300"
    return env


def run_cli(
    *args: object,
    user: str = "lead",
    prefix: Sequence[str] = (),
    timeout: float = 60,
    **kwargs: object,
) -> subprocess.CompletedProcess[str]:
    """``annotator ARGS...`` as ``user``; ``prefix`` wraps it (e.g. setpriv)."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "annotator", *map(str, args)],
        env=cli_env(user),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2, exactly one non-empty stderr line, no traceback, each word in it."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    message = lines[0]
    assert message.strip(), "stderr line is empty"
    assert result.returncode == 2, (result.returncode, message)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


def snapshot(folder: Path) -> tuple[str, tuple[str, ...]]:
    """The project's content (sha256 of the SQL dump) and the files in its folder."""
    connection = sqlite3.connect(folder / "project.db")
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    names = tuple(sorted(p.name for p in folder.iterdir()
                         if not p.name.endswith(("-wal", "-shm"))))
    return hashlib.sha256(dump.encode()).hexdigest(), names


def make_image(path: Path, size: tuple[int, int] = (32, 24), shade: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (shade % 256, 80, 160)).save(path)
    return path


@pytest.fixture
def run() -> Run:
    """``run(*args, user="lead") -> CompletedProcess``."""
    return run_cli


@pytest.fixture
def refused() -> Callable[..., str]:
    return assert_refused


@pytest.fixture
def state() -> Callable[[Path], tuple[str, tuple[str, ...]]]:
    return snapshot


@pytest.fixture
def image() -> Callable[..., Path]:
    return make_image


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three small images, shared read-only by every project."""
    folder = tmp_path_factory.mktemp("media")
    make_image(folder / "a.jpg", shade=10)
    make_image(folder / "b.png", shade=20)
    make_image(folder / "c.jpg", (48, 16), shade=30)
    return folder


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("template") / "proj"
    with Project.create(folder, load_schema(SCHEMA), "lead") as project:
        report = project.import_media([media_dir])
    assert len(report.added) == 3
    return folder


@pytest.fixture
def project(tmp_path: Path, template: Path) -> Path:
    """A fresh project (sample schema, lead "lead", three images, no batches)."""
    folder = tmp_path / "proj"
    shutil.copytree(template, folder)
    return folder


def item_count(folder: Path) -> int:
    connection = sqlite3.connect(folder / "project.db")
    try:
        return int(connection.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    finally:
        connection.close()


@pytest.fixture
def items() -> Callable[[Path], int]:
    return item_count


# -- running as someone the file permissions apply to ---------------------------------

_CANDIDATES = (
    ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
    # Root without any capability obeys permission bits like any file owner.  Used
    # when nobody cannot run this interpreter (e.g. it lives under a 0700 /root).
    ["setpriv", "--inh-caps=-all", "--bounding-set=-all"],
)


def _unprivileged_prefix() -> list[str] | None:
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    probe = Path(tempfile.mkdtemp(dir="/tmp"))
    probe.chmod(0o555)
    try:
        for prefix in _CANDIDATES:
            check = subprocess.run(
                [*prefix, sys.executable, "-c",
                 "import annotator.cli, pathlib, sys; pathlib.Path(sys.argv[1], 'x').touch()",
                 str(probe)],
                capture_output=True, text=True, timeout=60, check=False,
            )
            # Usable when Python and annotator start and the write is refused.
            if check.returncode == 1 and "PermissionError" in check.stderr:
                return prefix
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe, ignore_errors=True)
    return None


@pytest.fixture(scope="session")
def unprivileged() -> list[str]:
    """A command prefix that runs the CLI without root's power over permissions."""
    prefix = _unprivileged_prefix()
    if prefix is None:
        pytest.skip("needs root and setpriv to run the CLI as an unprivileged user")
    return prefix


@pytest.fixture
def open_base() -> Iterator[Path]:
    """A world-readable folder under /tmp (pytest's own tmp root may be 0700)."""
    base = Path(tempfile.mkdtemp(dir="/tmp", prefix="annotator-ro-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        for root, dirs, _files in os.walk(base):
            for name in dirs:
                Path(root, name).chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


#: The synthetic LiDAR tile of the sample data (EPSG:6677, about 12 km and 35 km out).
TILE = Path(__file__).resolve().parents[2] / "sample_data" / "pointclouds" / "road_tile_000.laz"


@pytest.fixture(scope="module")
def cloud_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project (schema crs EPSG:6677) with one image (item 1) and the LAZ tile (item 2)."""
    base = tmp_path_factory.mktemp("cloud")
    media = base / "media"
    make_image(media / "a.jpg")
    shutil.copy(TILE, media / TILE.name)
    folder = base / "proj"
    with Project.create(folder, load_schema(SCHEMA), "lead") as project:
        project.import_media([media / "a.jpg"])
        project.import_media([media / TILE.name])
    return folder


@pytest.fixture
def cloud_project(tmp_path: Path, cloud_template: Path) -> Path:
    """A fresh copy of :func:`cloud_template` for one test."""
    folder = tmp_path / "proj"
    shutil.copytree(cloud_template, folder)
    return folder
