"""Media files stored in the project database, by content (team mode).

A file is a *blob* addressed by its sha256 (the one items carry), cut into
chunks of :data:`CHUNK_BYTES`: ``media_blobs`` holds one row per file,
``media_chunks`` its pieces in order (store migration 5).

Why 1 MiB chunks
    Neither side ever holds more than a few chunks of a 40 MB point cloud
    in memory; a 400 kB JPEG is one row and one round trip; the per-row
    overhead (a 24-byte tuple header, the key, TOAST pointers) is below
    0.01 % of the payload; and PostgreSQL stores the value out of line,
    uncompressed (``STORAGE EXTERNAL``: JPEG and LAZ are compressed
    already), so reading a chunk is a plain sequential read of its TOAST
    pieces.  Much larger values would make each statement's memory on the
    server and the client grow with them (psycopg reads a result whole).

Complete or absent
    A blob's row and all its chunks are written in one transaction, so a
    crash, a killed process or a lost connection leaves either the whole
    blob or nothing; a reader finding a ``media_blobs`` row may trust that
    every chunk is there.  The bytes are checked against the sha256 while
    they are read from disk, so a file changed since its import is refused
    instead of stored under the wrong address.

Reading
    On PostgreSQL chunks are fetched in binary wire format: in text format
    a BYTEA travels as hex, twice its size (benchmarks/bench_team_media.py
    measures both).  Row-level security decides what each person reads:
    a blob is visible only to those who may see an item with its sha256.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from annotator.errors import MediaError
from annotator.store.sql import SqlStore, now

__all__ = ["CHUNK_BYTES", "BlobInfo", "blob_info", "blob_present", "read_blob", "upload_file"]

#: Bytes per chunk of a stored media file (see the module docstring for why).
CHUNK_BYTES = 1 << 20

#: How many bytes one SELECT of chunks brings back at most.
_READ_BYTES = 8 << 20


class BlobInfo:
    """The ``media_blobs`` row of a stored file."""

    __slots__ = ("chunk_bytes", "chunks", "sha256", "size_bytes")

    def __init__(self, sha256: str, size_bytes: int, chunk_bytes: int, chunks: int) -> None:
        self.sha256, self.size_bytes = sha256, size_bytes
        self.chunk_bytes, self.chunks = chunk_bytes, chunks


def blob_present(store: SqlStore, shas: Iterable[str]) -> set[str]:
    """Which of ``shas`` are stored (and visible to this connection's role)."""
    wanted = sorted(set(shas))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        part = wanted[start:start + 500]
        marks = ", ".join("?" * len(part))
        found.update(str(r[0]) for r in store._all(
            f"SELECT sha256 FROM media_blobs WHERE sha256 IN ({marks})", part))
    return found


def blob_info(store: SqlStore, sha256: str) -> BlobInfo | None:
    row = store._one("SELECT size_bytes, chunk_bytes, chunks FROM media_blobs WHERE sha256 = ?",
                     (sha256,))
    return None if row is None else BlobInfo(sha256, int(row[0]), int(row[1]), int(row[2]))


def upload_file(store: SqlStore, path: Path, sha256: str, chunk_bytes: int = CHUNK_BYTES) -> bool:
    """Store ``path`` as the blob ``sha256``; False when it was there already.

    One transaction per blob (re-run if the server aborts it for overlapping
    another lead's upload of the same content, which then finds it present).
    """
    if chunk_bytes < 1:
        raise MediaError(f"{path}: chunk size must be positive, not {chunk_bytes}")
    return store.retry(lambda: _upload_once(store, path, sha256, chunk_bytes))


def _upload_once(store: SqlStore, path: Path, sha256: str, chunk_bytes: int) -> bool:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise MediaError(f"{path}: cannot read the file to upload ({exc.strerror})") from None
    with handle, store.transaction():
        if store._one("SELECT 1 FROM media_blobs WHERE sha256 = ?", (sha256,)) is not None:
            return False
        size = os.fstat(handle.fileno()).st_size
        chunks = -(-size // chunk_bytes)
        store._run("INSERT INTO media_blobs (sha256, size_bytes, chunk_bytes, chunks, added_at) "
                   "VALUES (?, ?, ?, ?, ?)", (sha256, size, chunk_bytes, chunks, now()))
        digest = hashlib.sha256()
        sent = 0
        for n in range(chunks):
            data = handle.read(chunk_bytes)
            if not data:
                break
            digest.update(data)
            sent += len(data)
            store._run("INSERT INTO media_chunks (sha256, n, data) VALUES (?, ?, ?)",
                       (sha256, n, data))
        if sent != size or handle.read(1) or digest.hexdigest() != sha256:
            raise MediaError(f"{path}: the file changed since it was read for import "
                             "(its size or checksum differs); import it again")
    return True


def read_blob(store: SqlStore, sha256: str, binary: bool = True) -> Iterator[bytes]:
    """The chunks of blob ``sha256`` in order, a few at a time from the server.

    Raises MediaError when the blob is not stored (or not visible to this
    role) or a chunk is missing or of the wrong size.  ``binary=False``
    fetches in the engine's text format (for measuring it only).
    """
    info = blob_info(store, sha256)
    if info is None:
        raise MediaError(f"{sha256[:12]}…: media file not in the project database "
                         "(or not in a batch you may see)")
    per_query = max(1, _READ_BYTES // max(info.chunk_bytes, 1))
    expected = 0
    for start in range(0, info.chunks, per_query):
        rows = store._run("SELECT n, data FROM media_chunks WHERE sha256 = ? AND n >= ? AND n < ? "
                          "ORDER BY n", (sha256, start, start + per_query), binary=binary
                          ).fetchall()
        for n, data in rows:
            last = expected == info.chunks - 1
            want = info.size_bytes - expected * info.chunk_bytes if last else info.chunk_bytes
            if int(n) != expected or len(data) != want:
                raise MediaError(f"{sha256[:12]}…: media file in the database is damaged "
                                 f"(chunk {expected} missing or of the wrong size)")
            expected += 1
            yield bytes(data)
    if expected != info.chunks:
        raise MediaError(f"{sha256[:12]}…: media file in the database is damaged "
                         f"({info.chunks - expected} of {info.chunks} chunk(s) missing)")
