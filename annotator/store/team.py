"""``annotator team``: people of a team-mode project as PostgreSQL login roles.

Each change alters the server's roles and the project's ``users`` row in
one transaction (role DDL is transactional in PostgreSQL): both change, or
neither.  Login roles are cluster-wide, so one person may work on several
projects of a server; joining or leaving a project is membership of that
project's group roles (:func:`~annotator.store.pg_security.group_role`).

Passwords are never taken on the command line (it shows in ``ps`` and in
shell history): ``add-user`` creates the role without one unless the lead
pipes it in (``--password-stdin``); it is hashed with SCRAM-SHA-256 by
libpq on the lead's machine, so the clear text never reaches the server or
its logs.  A leaving person's login role is dropped once they belong to no
project of the server; the ``users`` row stays while batches or history
name them.
"""

from __future__ import annotations

from typing import Any

from annotator.errors import ProjectError, StoreError
from annotator.model import Role, User
from annotator.store.pg_security import GROUPS, group_role
from annotator.store.sql import SqlStore, now

__all__ = ["add_user", "remove_user", "set_user_role"]


def _team(store: SqlStore) -> tuple[Any, str]:
    if getattr(store.backend, "dialect", "") != "postgresql":
        raise ProjectError(f"{store.location}: 'annotator team' manages the database roles of "
                           "a team-mode (postgresql://) project; a folder project uses "
                           "'annotator user add'")
    connection = store._connection
    database = str(connection.execute("SELECT current_database()").fetchone()[0])
    return connection, database


def _check_name(store: SqlStore, name: str) -> None:
    if not name or len(name.encode()) > 63 or name.startswith("pg_"):
        raise ProjectError(f"{store.location}: {name!r} cannot be a database role name "
                           "(1 to 63 bytes, not starting with 'pg_')")


def _execute(store: SqlStore, statement: Any, params: tuple[Any, ...] = ()) -> Any:
    try:
        return store._connection.execute(statement, params)
    except store.backend.errors as exc:
        raise store.backend.translate(exc) or StoreError(str(exc)) from None


def _join(store: SqlStore, database: str, name: str, role: Role) -> None:
    from psycopg import sql

    for group in GROUPS:
        _execute(store, sql.SQL("REVOKE {} FROM {}").format(
            sql.Identifier(group_role(database, group)), sql.Identifier(name)))
    _execute(store, sql.SQL("GRANT {} TO {}").format(
        sql.Identifier(group_role(database, role.value)), sql.Identifier(name)))
    # A lead adds people: CREATEROLE lets their own login role do it.
    attribute = "CREATEROLE" if role is Role.LEAD else "NOCREATEROLE"
    _execute(store, sql.SQL("ALTER ROLE {} " + attribute).format(sql.Identifier(name)))


def add_user(store: SqlStore, name: str, role: Role, password: str | None = None) -> User:
    """Give ``name`` a login role in ``role``'s group and a ``users`` row with ``role``.

    An existing login role (a person of another project) is reused and keeps
    its password unless ``password`` is given.
    """
    # One transaction, run again whole if the server aborts it for overlapping another.
    return store.retry(lambda: _add_user(store, name, role, password))


def _add_user(store: SqlStore, name: str, role: Role, password: str | None = None) -> User:
    from psycopg import sql

    connection, database = _team(store)
    _check_name(store, name)
    with store.transaction():
        if store.get_user(name) is not None and _member_of(store, database, name):
            raise ProjectError(f"{store.location}: {name} is already a member of the project "
                               "('annotator team set-role' changes the role)")
        exists = _execute(store, "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if not exists:
            _execute(store, sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        if password is not None:
            hashed = connection.pgconn.encrypt_password(password.encode(), name.encode(),
                                                        b"scram-sha-256")
            _execute(store, sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(hashed.decode())))
        _join(store, database, name, role)
        store._run("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET role = excluded.role",
                   (name, role.value, now()))
    return User(name, role)


def set_user_role(store: SqlStore, name: str, role: Role) -> User:
    """Move ``name`` to ``role``: group membership and ``users`` row together."""
    # One transaction, run again whole if the server aborts it for overlapping another.
    return store.retry(lambda: _set_user_role(store, name, role))


def _set_user_role(store: SqlStore, name: str, role: Role) -> User:
    _, database = _team(store)
    with store.transaction():
        if store.get_user(name) is None or not _role_exists(store, name):
            raise ProjectError(f"{store.location}: {name} is not a member of the project "
                               "('annotator team add-user' first)")
        _join(store, database, name, role)
        store._run("UPDATE users SET role = ? WHERE name = ?", (role.value, name))
    return User(name, role)


def remove_user(store: SqlStore, name: str) -> bool:
    """Take ``name`` out of the project; True when their login role was dropped too."""
    # One transaction, run again whole if the server aborts it for overlapping another.
    return store.retry(lambda: _remove_user(store, name))


def _remove_user(store: SqlStore, name: str) -> bool:
    from psycopg import sql

    _, database = _team(store)
    with store.transaction():
        if store.get_user(name) is None:
            raise ProjectError(f"{store.location}: {name} is not a member of the project")
        if _role_exists(store, name):
            for group in GROUPS:
                _execute(store, sql.SQL("REVOKE {} FROM {}").format(
                    sql.Identifier(group_role(database, group)), sql.Identifier(name)))
        referenced = store._one(
            "SELECT COUNT(*) FROM batches WHERE assignee = ? OR reviewer = ?", (name, name))
        if int(referenced[0]) == 0:
            store._run("DELETE FROM users WHERE name = ?", (name,))
        else:
            # Batches name them: the row stays for the record, with no access
            # (no group, no CONNECT); demoted so no policy grants them more.
            store._run("UPDATE users SET role = 'annotator' WHERE name = ?", (name,))
        dropped = False
        if _role_exists(store, name) and not _execute(
                store, "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                       "WHERE r.rolname = %s", (name,)).fetchone():
            _execute(store, sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
            dropped = True
    return dropped


def _role_exists(store: SqlStore, name: str) -> bool:
    return _execute(store, "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() \
        is not None


def _member_of(store: SqlStore, database: str, name: str) -> bool:
    found = _execute(
        store, "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
               "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s AND g.rolname = ANY(%s)",
        (name, [group_role(database, g) for g in GROUPS])).fetchone()
    return found is not None
