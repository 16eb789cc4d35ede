"""The client's cache of media files fetched from the project database (team mode).

Where
    ``$ANNOTATOR_CACHE_DIR``, else the platform's user cache folder
    (``$XDG_CACHE_HOME`` or ``~/.cache``; ``%LOCALAPPDATA%`` on Windows;
    ``~/Library/Caches`` on macOS) plus ``annotator/media``.  A file is
    named ``<sha256><suffix>``: the suffix of the item's path, since the
    readers dispatch on it; the same content under two names is one file.

How much
    ``$ANNOTATOR_CACHE_LIMIT_MB`` (default 20480).  Past it the least
    recently used files go (a hit touches its file's mtime).  The total is
    counted once per process and then kept up to date by this process'
    writes, so the limit is soft by what other processes add meanwhile;
    each eviction recounts.

Safe against crashes, corruption and other processes
    A fetch writes a unique temporary name, checks the sha256 of what it
    wrote, then renames it into place (atomic): two processes fetching the
    same file at once both succeed, and nobody ever opens half a file.  A
    cached file of the wrong size is fetched again; its sha256 is checked
    once per process (and again whenever its size or mtime changes), so a
    file damaged on disk is fetched again too.  Threads fetching the same
    file wait for one download.

Connections
    :class:`TeamMedia` fetches through connections of its own (at most two,
    opened when first needed), never the project's: a psycopg connection is
    not for two threads at once, and the prefetcher works in the background
    while the app's thread uses the project's.
"""

from __future__ import annotations

import collections
import hashlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from annotator.errors import AnnotatorError, MediaError, StoreError
from annotator.model import Item
from annotator.store.media_db import blob_present, read_blob
from annotator.store.sql import SqlStore

__all__ = ["MediaCache", "StorePool", "TeamMedia", "cache_folder", "cache_limit_bytes"]

DEFAULT_LIMIT_MB = 20480

#: Temporary files older than this are a crashed fetch's leftovers.
_STALE_SECONDS = 24 * 3600


def cache_folder() -> Path:
    """Where fetched media files are kept on this machine."""
    explicit = os.environ.get("ANNOTATOR_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "annotator" / "media"


def cache_limit_bytes() -> int:
    """``$ANNOTATOR_CACHE_LIMIT_MB`` in bytes (default 20 GiB)."""
    raw = os.environ.get("ANNOTATOR_CACHE_LIMIT_MB", "").strip()
    if not raw:
        return DEFAULT_LIMIT_MB << 20
    try:
        megabytes = float(raw)
    except ValueError:
        raise StoreError(f"ANNOTATOR_CACHE_LIMIT_MB={raw!r}: not a number of megabytes") from None
    if megabytes < 0:
        raise StoreError(f"ANNOTATOR_CACHE_LIMIT_MB={raw!r}: must not be negative")
    return int(megabytes * (1 << 20))


def _suffix(path: str) -> str:
    suffix = PurePosixPath(path.replace("\\", "/")).suffix.lower()
    return suffix if len(suffix) <= 16 and suffix[1:].isalnum() else ""


class MediaCache:
    """Content-addressed files on local disk, bounded in size, least recently used out."""

    def __init__(self, folder: Path | None = None, limit_bytes: int | None = None) -> None:
        self.folder = cache_folder() if folder is None else folder
        self._limit = limit_bytes
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Lock] = {}
        self._verified: dict[str, tuple[int, int, int]] = {}
        self._total: int | None = None

    @property
    def limit_bytes(self) -> int:
        """The size limit (a bad ``$ANNOTATOR_CACHE_LIMIT_MB`` fails a fetch, not opening)."""
        if self._limit is None:
            self._limit = cache_limit_bytes()
        return self._limit

    def path(self, sha256: str, suffix: str) -> Path:
        return self.folder / f"{sha256}{suffix}"

    def ready(self, sha256: str, suffix: str, size: int) -> bool:
        """Whether :meth:`get` would return at once (present, right size, checked)."""
        path = self.path(sha256, suffix)
        try:
            found = path.stat()
        except OSError:
            return False
        with self._lock:
            return self._verified.get(str(path)) == (found.st_ino, found.st_size,
                                                     found.st_mtime_ns) and found.st_size == size

    def lookup(self, sha256: str, suffix: str, size: int) -> Path | None:
        """The cached file if it is whole (checked, touched), else None; never fetches."""
        path = self.path(sha256, suffix)
        with self._fetch_lock(sha256 + suffix):
            if not self._valid(path, sha256, size):
                return None
            self._touch(path)
        return path

    def get(self, sha256: str, suffix: str, size: int,
            chunks: Callable[[], Iterable[bytes]]) -> Path:
        """The cached file of ``sha256``, fetched through ``chunks`` when missing or damaged."""
        path = self.path(sha256, suffix)
        with self._fetch_lock(sha256 + suffix):
            if self._valid(path, sha256, size):
                self._touch(path)
                return path
            self._download(path, sha256, size, chunks)
        self._evict(keep=path)
        return path

    @contextmanager
    def _fetch_lock(self, key: str) -> Iterator[None]:
        with self._lock:
            lock = self._fetching.setdefault(key, threading.Lock())
        with lock:
            yield

    def _valid(self, path: Path, sha256: str, size: int) -> bool:
        try:
            found = path.stat()
        except OSError:
            return False
        if found.st_size != size:
            return False
        key = (found.st_ino, found.st_size, found.st_mtime_ns)
        with self._lock:
            if self._verified.get(str(path)) == key:
                return True
        try:
            digest = _sha256_of(path)
        except OSError:
            return False
        if digest != sha256:
            return False
        with self._lock:
            self._verified[str(path)] = key
        return True

    def _touch(self, path: Path) -> None:
        try:
            os.utime(path)
            found = path.stat()
        except OSError:
            return  # evicted by another process just now: the next get fetches it
        with self._lock:
            self._verified[str(path)] = (found.st_ino, found.st_size, found.st_mtime_ns)

    def _download(self, path: Path, sha256: str, size: int,
                  chunks: Callable[[], Iterable[bytes]]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MediaError(f"{self.folder}: cannot create the media cache folder "
                             f"({exc.strerror})") from None
        temporary = self.folder / f".{sha256}.{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        written = 0
        try:
            with temporary.open("wb") as handle:
                for data in chunks():
                    handle.write(data)
                    digest.update(data)
                    written += len(data)
            if written != size or digest.hexdigest() != sha256:
                raise MediaError(f"{sha256[:12]}…: the media file fetched from the database "
                                 f"does not match its checksum ({written} of {size} bytes)")
            os.replace(temporary, path)
            found = path.stat()
        except OSError as exc:
            raise MediaError(f"{path}: cannot write to the media cache ({exc.strerror})") from None
        finally:
            temporary.unlink(missing_ok=True)
        with self._lock:
            self._verified[str(path)] = (found.st_ino, found.st_size, found.st_mtime_ns)
            if self._total is not None:
                self._total += found.st_size

    def _entries(self) -> list[tuple[float, int, Path]]:
        entries: list[tuple[float, int, Path]] = []
        cutoff = time.time() - _STALE_SECONDS
        try:
            scan = list(os.scandir(self.folder))
        except OSError:
            return entries
        for entry in scan:
            try:
                found = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.name.startswith("."):
                if entry.name.endswith(".part") and found.st_mtime < cutoff:
                    Path(entry.path).unlink(missing_ok=True)
                continue
            if entry.is_file(follow_symlinks=False):
                entries.append((found.st_mtime, found.st_size, Path(entry.path)))
        return entries

    def total_bytes(self) -> int:
        """Bytes of cached files now on disk (a fresh count)."""
        return sum(size for _, size, _ in self._entries())

    def _evict(self, keep: Path) -> None:
        with self._lock:
            if self._total is not None and self._total <= self.limit_bytes:
                return
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= self.limit_bytes:
                break
            if path == keep:
                continue
            try:
                path.unlink()
            except OSError:
                continue
            total -= size
            with self._lock:
                self._verified.pop(str(path), None)
        with self._lock:
            self._total = total


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class StorePool:
    """At most ``size`` stores of one URL, opened when first needed, one thread each at a time."""

    def __init__(self, open_store: Callable[[], SqlStore], size: int = 2) -> None:
        self._open_store = open_store
        self._free: list[SqlStore] = []
        self._opened: list[SqlStore] = []
        self._slots = threading.Semaphore(size)
        self._lock = threading.Lock()
        self._closed = False

    @contextmanager
    def store(self) -> Iterator[SqlStore]:
        self._slots.acquire()
        try:
            with self._lock:
                if self._closed:
                    raise StoreError("the project is closed")
                store = self._free.pop() if self._free else None
            if store is None:
                store = self._open_store()
                with self._lock:
                    self._opened.append(store)
            try:
                yield store
            finally:
                with self._lock:
                    if self._closed:
                        store.close()
                    else:
                        self._free.append(store)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._free = self._free, []
        for store in idle:
            store.close()


class TeamMedia:
    """A team project's media: in the database, fetched into the cache, prefetched.

    ``fallback(item)`` is the item's path under the media root, used for
    items whose file was never uploaded (projects from before media in
    the database).
    """

    #: Pending prefetch requests kept at most; older ones are dropped.
    QUEUE_LIMIT = 64

    def __init__(self, open_store: Callable[[], SqlStore], fallback: Callable[[Item], Path],
                 cache: MediaCache | None = None) -> None:
        self.cache = MediaCache() if cache is None else cache
        self.pool = StorePool(open_store, size=2)
        self._fallback = fallback
        self._stored: set[str] = set()
        self._absent: set[str] = set()
        self._lock = threading.Lock()
        self._wanted: collections.deque[Item] = collections.deque()
        self._wake = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None
        self._closing = False
        self._busy = False
        #: Prefetches that failed (server gone, damaged blob); they are retried on open.
        self.prefetch_errors = 0
        #: Files the prefetcher brought into the cache.
        self.prefetched = 0

    def _key(self, item: Item) -> tuple[str, str]:
        return item.sha256, _suffix(item.path)

    def path(self, item: Item) -> Path:
        """Where :meth:`resolve` puts the file: never blocks."""
        with self._lock:
            absent = item.sha256 in self._absent
        return self._fallback(item) if absent else self.cache.path(*self._key(item))

    def ready(self, item: Item) -> bool:
        """Whether :meth:`resolve` would return without the network."""
        with self._lock:
            if item.sha256 in self._absent:
                return True
        return self.cache.ready(*self._key(item), item.size_bytes)

    def resolve(self, item: Item) -> Path:
        """The item's file on this machine, fetched into the cache first if need be (blocks)."""
        sha, suffix = self._key(item)
        # A whole cached file needs no server (an app restarted offline uses it).
        cached = self.cache.lookup(sha, suffix, item.size_bytes)
        if cached is not None:
            return cached
        with self.pool.store() as store:
            if not self._is_stored(store, sha):
                return self._fallback(item)
            return self.cache.get(sha, suffix, item.size_bytes, lambda: read_blob(store, sha))

    def _is_stored(self, store: SqlStore, sha: str) -> bool:
        with self._lock:
            if sha in self._stored:
                return True
        present = sha in blob_present(store, [sha])
        with self._lock:
            (self._stored if present else self._absent).add(sha)
            if present:
                self._absent.discard(sha)
        return present

    # -- prefetching -----------------------------------------------------------

    def prefetch(self, items: Sequence[Item]) -> None:
        """Fetch ``items`` in the background, the first of them first, newest requests first."""
        with self._wake:
            if self._closing:
                return
            asked = {item.sha256 for item in items}
            self._wanted = collections.deque(i for i in self._wanted if i.sha256 not in asked)
            self._wanted.extendleft(reversed(items))
            while len(self._wanted) > self.QUEUE_LIMIT:
                self._wanted.pop()
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="annotator-prefetch",
                                                daemon=True)
                self._worker.start()
            self._wake.notify()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until the prefetch queue is empty and nothing is being fetched (tests, scripts)."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._wanted or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    def _run(self) -> None:
        while True:
            with self._wake:
                self._busy = False
                self._wake.notify_all()
                while not self._wanted and not self._closing:
                    self._wake.wait()
                if self._closing:
                    return
                item = self._wanted.popleft()
                self._busy = True
            try:
                if not self.ready(item):
                    self.resolve(item)
                    with self._lock:
                        self.prefetched += 1
            except (AnnotatorError, OSError):
                with self._lock:
                    self.prefetch_errors += 1

    def close(self) -> None:
        """Stop prefetching (waits for a fetch under way, up to 10 s) and close the connections."""
        with self._wake:
            self._closing = True
            self._wanted.clear()
            self._wake.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(timeout=10)
        self.pool.close()
