"""Versioned schema of the project store.

Each migration is a list of portable statements; ``{pk}``, ``{real}`` and
``{bigint}`` are filled in by the backend.  A migration never changes once
released: a new need is a new migration appended at the end.
"""

from __future__ import annotations

__all__ = ["CURRENT_VERSION", "MIGRATIONS"]

_V1 = [
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
_V2 = [
    "ALTER TABLE annotations ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE annotations ADD COLUMN locked INTEGER NOT NULL DEFAULT 0",
]

MIGRATIONS: list[list[str]] = [_V1, _V2]
CURRENT_VERSION = len(MIGRATIONS)
