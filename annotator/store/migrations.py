"""Versioned schema of the project store.

Each migration is a list of portable statements; ``{pk}``, ``{real}``,
``{bigint}`` and ``{blob}`` are filled in by the backend.  A statement given as a pair
``(dialect, sql)`` runs only on that backend (``"postgresql"``).  A migration never changes once
released: a new need is a new migration appended at the end.
"""

from __future__ import annotations

from annotator.store.pg_security import MEDIA_SECURITY_DDL, SECURITY_DDL

__all__ = ["CURRENT_VERSION", "MIGRATIONS", "Statement"]

#: Portable SQL, or ``(dialect, sql)`` for one backend only.
Statement = str | tuple[str, str]

_V1: list[Statement] = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('annotator', 'reviewer', 'lead')),
        created_at TEXT NOT NULL)""",
    """CREATE TABLE items (
        id {pk},
        path TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('image', 'pointcloud')),
        format TEXT NOT NULL,
        encoding TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL,
        size_bytes {bigint} NOT NULL,
        width INTEGER,
        height INTEGER,
        points {bigint},
        fields TEXT NOT NULL DEFAULT '[]',
        crs TEXT,
        origin_x {real},
        origin_y {real},
        origin_z {real},
        added_at TEXT NOT NULL)""",
    """CREATE TABLE annotations (
        id {pk},
        item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        kind TEXT NOT NULL,
        geometry TEXT NOT NULL,
        attributes TEXT NOT NULL DEFAULT '{{}}',
        links TEXT NOT NULL DEFAULT '{{}}',
        z INTEGER NOT NULL DEFAULT 0,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1)""",
    "CREATE INDEX annotations_item ON annotations (item_id)",
    """CREATE TABLE batches (
        id {pk},
        name TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN
            ('open', 'in_progress', 'submitted', 'accepted', 'rejected')),
        assignee TEXT REFERENCES users (name),
        reviewer TEXT REFERENCES users (name),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    """CREATE TABLE batch_items (
        batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL UNIQUE REFERENCES items (id) ON DELETE CASCADE,
        PRIMARY KEY (batch_id, item_id))""",
    """CREATE TABLE batch_history (
        id {pk},
        batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        user_name TEXT NOT NULL,
        action TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        comment TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX batch_history_batch ON batch_history (batch_id, id)",
    """CREATE TABLE review_comments (
        id {pk},
        batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        annotation_id INTEGER,
        position TEXT,
        text TEXT NOT NULL,
        resolved INTEGER NOT NULL DEFAULT 0,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE edit_log (
        seq {pk},
        user_name TEXT NOT NULL,
        label TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('done', 'undone', 'dropped')),
        at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX edit_log_user ON edit_log (user_name, state, seq)",
]

# v2: per-shape hide and lock, which annotators set on crowded items; kept in
# the store so they survive a restart like every other stroke of work.
_V2: list[Statement] = [
    "ALTER TABLE annotations ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE annotations ADD COLUMN locked INTEGER NOT NULL DEFAULT 0",
]

# v3: the QA workflow.  Per-item status in a batch (done / verified empty);
# who resolved a review comment and when; a snapshot of every submission
# (annotation id -> revision) so a reviewer sees what changed; active time
# as running totals per user and item plus each user's last activity, so
# time survives a killed app without an event log growing per keystroke.
_V3: list[Statement] = [
    """CREATE TABLE item_status (
        item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
        batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('done', 'verified_empty')),
        user_name TEXT NOT NULL,
        at TEXT NOT NULL)""",
    "CREATE INDEX item_status_batch ON item_status (batch_id)",
    "ALTER TABLE review_comments ADD COLUMN resolved_by TEXT",
    "ALTER TABLE review_comments ADD COLUMN resolved_at TEXT",
    "CREATE INDEX review_comments_batch ON review_comments (batch_id, id)",
    """CREATE TABLE submissions (
        batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        user_name TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (batch_id, number))""",
    """CREATE TABLE submission_shapes (
        batch_id INTEGER NOT NULL,
        number INTEGER NOT NULL,
        annotation_id INTEGER NOT NULL,
        item_id INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (batch_id, number, annotation_id),
        FOREIGN KEY (batch_id, number) REFERENCES submissions (batch_id, number)
            ON DELETE CASCADE)""",
    """CREATE TABLE activity_totals (
        user_name TEXT NOT NULL,
        item_id INTEGER NOT NULL,
        batch_id INTEGER NOT NULL DEFAULT 0,
        seconds {real} NOT NULL DEFAULT 0,
        PRIMARY KEY (user_name, item_id, batch_id))""",
    """CREATE TABLE activity_last (
        user_name TEXT PRIMARY KEY,
        item_id INTEGER NOT NULL,
        batch_id INTEGER NOT NULL DEFAULT 0,
        at {real} NOT NULL)""",
]

# v4: team mode security enforced by the server (group roles, row-level
# security, insert-only history): see annotator.store.pg_security.  A folder
# project has one user at a time and no roles; it only records the version.
_V4: list[Statement] = [("postgresql", statement) for statement in SECURITY_DDL]

# v5: team mode's media and offline replay.  Media files stored once in the
# database, addressed by their sha256 (items already carry it) and cut into
# chunks, so a client fetches a 40 MB point cloud without one 40 MB value in
# memory on either side; ``client_ops`` records each team-mode edit's id
# (and the ids the server gave its new shapes), in the transaction that
# applies it, so an edit whose acknowledgement was lost, or a replay cut off
# half-way and sent again, applies nothing twice.  Folder projects keep their media as
# files and get the (empty) tables for one schema on both engines.
_V5: list[Statement] = [
    """CREATE TABLE media_blobs (
        sha256 TEXT PRIMARY KEY,
        size_bytes {bigint} NOT NULL,
        chunk_bytes INTEGER NOT NULL,
        chunks INTEGER NOT NULL,
        added_at TEXT NOT NULL)""",
    """CREATE TABLE media_chunks (
        sha256 TEXT NOT NULL REFERENCES media_blobs (sha256) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        data {blob} NOT NULL,
        PRIMARY KEY (sha256, n))""",
    "CREATE INDEX items_sha256 ON items (sha256)",
    """CREATE TABLE client_ops (
        op_id TEXT PRIMARY KEY,
        user_name TEXT NOT NULL,
        at TEXT NOT NULL,
        result TEXT NOT NULL DEFAULT '{{}}')""",
    *[("postgresql", statement) for statement in MEDIA_SECURITY_DDL],
]

MIGRATIONS: list[list[Statement]] = [_V1, _V2, _V3, _V4, _V5]
CURRENT_VERSION = len(MIGRATIONS)
