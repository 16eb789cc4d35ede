"""Team mode security enforced by the PostgreSQL server (store migration 4).

The desktop client runs on home PCs nobody controls, so nothing it checks
is a guarantee.  This migration makes the database itself refuse what a
person's role forbids, whatever SQL their credentials send.

Roles
    Each person is a LOGIN role named like their ``users`` row, member of
    exactly one of this project's three group roles, ``<database>_annotator``,
    ``<database>_reviewer`` and ``<database>_lead``.  The groups carry the
    table privileges.  They are prefixed with the database name because role
    membership is cluster-wide while a role in a project is not: one server
    holds many projects, and Ada may lead one project and annotate in
    another; a single cluster-wide ``annotator`` group could not say that.
    ``CONNECT`` on the database goes to these groups only.

Rows
    Row-level security policies look ``current_user`` up in ``users`` (the
    role column decides, the group decides the table privileges; ``annotator
    team`` keeps the two together).  The lookups are ``SECURITY DEFINER``
    functions owned by the project's owner, who is not subject to the
    policies, so a policy on ``batches`` may read ``batches``.

    * an annotator sees the batches assigned to them, their items, item
      statuses, annotations, comments, submissions and history; they write
      items' annotations and statuses only while the batch is
      ``in_progress`` (a rejected batch goes back to ``in_progress`` first);
    * a reviewer sees batches they review once submitted (``submitted``,
      ``accepted``, ``rejected``), writes comments on them, and changes
      annotations only of a ``submitted`` batch they review (the workflow's
      correct mode); accepting or rejecting is the only state change;
    * a lead sees and changes everything (except history, below);
    * each person reads and writes only their own undo log and activity
      totals (a lead reads all); activity totals only ever grow.

    A trigger on ``batches`` lets a non-lead only make their workflow's state
    changes (start, submit, accept, reject) and never reassign a batch.

History
    ``batch_history``, ``submissions`` and ``submission_shapes`` are
    insert-only for everyone: no role is granted UPDATE or DELETE on them and
    triggers refuse both, and TRUNCATE, even to the owner, so a batch with
    history is never deleted (it is closed instead).

The project's owner (the role that ran ``annotator init``) bypasses the
policies, as PostgreSQL table owners do: keep it for administration, and
give people their own roles with ``annotator team add-user``.
"""

from __future__ import annotations

__all__ = ["GROUPS", "MEDIA_SECURITY_DDL", "SECURITY_DDL", "group_role"]

#: The project roles, in the order of their privileges.
GROUPS = ("annotator", "reviewer", "lead")


def group_role(database: str, role: str) -> str:
    """The name of ``role``'s group role in the project database ``database``."""
    return f"{database}_{role}"


_FUNCTIONS = [
    """CREATE FUNCTION annotator_role(who NAME) RETURNS TEXT
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS
        $$ SELECT role FROM users WHERE name = who $$""",
    """CREATE FUNCTION annotator_sees_batch(who NAME, batch INTEGER) RETURNS BOOLEAN
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS
        $$ SELECT annotator_role(who) = 'lead' OR EXISTS (
               SELECT 1 FROM batches b WHERE b.id = batch AND (b.assignee = who
                   OR (b.reviewer = who AND b.state IN ('submitted', 'accepted', 'rejected'))))
        $$""",
    """CREATE FUNCTION annotator_sees_item(who NAME, item INTEGER) RETURNS BOOLEAN
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS
        $$ SELECT annotator_role(who) = 'lead' OR EXISTS (
               SELECT 1 FROM batch_items bi WHERE bi.item_id = item
                   AND annotator_sees_batch(who, bi.batch_id))
        $$""",
    """CREATE FUNCTION annotator_writes_item(who NAME, item INTEGER) RETURNS BOOLEAN
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS
        $$ SELECT annotator_role(who) = 'lead' OR EXISTS (
               SELECT 1 FROM batch_items bi JOIN batches b ON b.id = bi.batch_id
               WHERE bi.item_id = item AND (
                   (b.assignee = who AND b.state = 'in_progress')
                   OR (b.reviewer = who AND b.state = 'submitted'
                       AND annotator_role(who) = 'reviewer')))
        $$""",
    """CREATE FUNCTION annotator_refuse_change() RETURNS TRIGGER LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = TG_TABLE_NAME || ' is insert-only: its rows are never changed '
                          'or deleted';
        END $$""",
    """CREATE FUNCTION annotator_guard_batch() RETURNS TRIGGER LANGUAGE plpgsql AS $$
        DECLARE
            moved TEXT := OLD.state || '>' || NEW.state;
        BEGIN
            IF annotator_role(current_user) = 'lead' OR current_user = (
                SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = TG_RELID) THEN
                RETURN NEW;
            END IF;
            IF NEW.name IS DISTINCT FROM OLD.name OR NEW.assignee IS DISTINCT FROM OLD.assignee
               OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                    MESSAGE = 'only a lead renames or reassigns batch ' || OLD.name;
            END IF;
            IF OLD.assignee = current_user AND (moved IN ('open>in_progress',
                    'rejected>in_progress') OR (moved = 'in_progress>submitted')) THEN
                IF NEW.reviewer IS DISTINCT FROM OLD.reviewer AND moved <> 'in_progress>submitted'
                THEN
                    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                        MESSAGE = 'only a lead changes the reviewer of batch ' || OLD.name;
                END IF;
                RETURN NEW;
            END IF;
            IF OLD.reviewer = current_user AND NEW.reviewer IS NOT DISTINCT FROM OLD.reviewer
               AND moved IN ('submitted>accepted', 'submitted>rejected') THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = current_user || ' may not move batch ' || OLD.name || ' from '
                          || OLD.state || ' to ' || NEW.state;
        END $$""",
    """CREATE FUNCTION annotator_guard_activity() RETURNS TRIGGER LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.user_name IS DISTINCT FROM OLD.user_name OR NEW.item_id <> OLD.item_id
               OR NEW.batch_id <> OLD.batch_id OR NEW.seconds < OLD.seconds THEN
                RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                    MESSAGE = 'activity totals only grow';
            END IF;
            RETURN NEW;
        END $$""",
]

_TRIGGERS = [
    f"""CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION annotator_refuse_change()"""
    for table in ("batch_history", "submissions", "submission_shapes")
] + [
    f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION annotator_refuse_change()"""
    for table in ("batch_history", "submissions", "submission_shapes")
] + [
    """CREATE TRIGGER batches_workflow BEFORE UPDATE ON batches
        FOR EACH ROW EXECUTE FUNCTION annotator_guard_batch()""",
    """CREATE TRIGGER activity_totals_grow BEFORE UPDATE ON activity_totals
        FOR EACH ROW EXECUTE FUNCTION annotator_guard_activity()""",
]

_RLS_TABLES = ("items", "annotations", "batches", "batch_items", "batch_history",
               "review_comments", "item_status", "submissions", "submission_shapes",
               "activity_totals", "activity_last", "edit_log")

_ME = "current_user"
_LEAD = f"annotator_role({_ME}) = 'lead'"

_POLICIES = [
    f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY" for table in _RLS_TABLES
] + [
    f"CREATE POLICY lead_all ON {table} USING ({_LEAD}) WITH CHECK ({_LEAD})"
    for table in _RLS_TABLES
] + [
    f"CREATE POLICY member_read ON items FOR SELECT USING (annotator_sees_item({_ME}, id))",
    f"CREATE POLICY member_read ON batch_items FOR SELECT "
    f"USING (annotator_sees_batch({_ME}, batch_id))",
    f"CREATE POLICY member_read ON batches FOR SELECT USING (annotator_sees_batch({_ME}, id))",
    f"CREATE POLICY member_update ON batches FOR UPDATE "
    f"USING (annotator_sees_batch({_ME}, id)) "
    f"WITH CHECK (assignee = {_ME} OR reviewer = {_ME})",
] + [
    statement
    for table in ("annotations", "item_status")
    for statement in (
        f"CREATE POLICY member_read ON {table} FOR SELECT "
        f"USING (annotator_sees_item({_ME}, item_id))",
        f"CREATE POLICY member_insert ON {table} FOR INSERT "
        f"WITH CHECK (annotator_writes_item({_ME}, item_id))",
        f"CREATE POLICY member_update ON {table} FOR UPDATE "
        f"USING (annotator_writes_item({_ME}, item_id)) "
        f"WITH CHECK (annotator_writes_item({_ME}, item_id))",
        f"CREATE POLICY member_delete ON {table} FOR DELETE "
        f"USING (annotator_writes_item({_ME}, item_id))",
    )
] + [
    statement
    for table, author in (("batch_history", "user_name"), ("review_comments", "author"),
                          ("submissions", "user_name"), ("submission_shapes", None))
    for statement in (
        f"CREATE POLICY member_read ON {table} FOR SELECT "
        f"USING (annotator_sees_batch({_ME}, batch_id))",
        f"CREATE POLICY member_insert ON {table} FOR INSERT "
        f"WITH CHECK (annotator_sees_batch({_ME}, batch_id)"
        + (f" AND {author} = {_ME})" if author else ")"),
    )
] + [
    f"CREATE POLICY member_resolve ON review_comments FOR UPDATE "
    f"USING (annotator_sees_batch({_ME}, batch_id)) "
    f"WITH CHECK (annotator_sees_batch({_ME}, batch_id))",
] + [
    f"CREATE POLICY own_rows ON {table} USING (user_name = {_ME}) WITH CHECK (user_name = {_ME})"
    for table in ("activity_totals", "activity_last", "edit_log")
]

# Grants go to the project's group roles, whose names depend on the
# database: created here, in one DO block of dynamic SQL.
_GRANTS = """DO $$
DECLARE
    db TEXT := current_database();
    ann TEXT := quote_ident(db || '_annotator');
    rev TEXT := quote_ident(db || '_reviewer');
    lead TEXT := quote_ident(db || '_lead');
    everyone TEXT;
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY[db || '_annotator', db || '_reviewer', db || '_lead'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = t) THEN
            EXECUTE 'CREATE ROLE ' || quote_ident(t) || ' NOLOGIN';
        END IF;
    END LOOP;
    everyone := ann || ', ' || rev || ', ' || lead;
    EXECUTE 'REVOKE CONNECT, TEMPORARY ON DATABASE ' || quote_ident(db) || ' FROM PUBLIC';
    EXECUTE 'GRANT CONNECT ON DATABASE ' || quote_ident(db) || ' TO ' || everyone;
    EXECUTE 'GRANT USAGE ON SCHEMA ' || quote_ident(current_schema()) || ' TO ' || everyone;
    EXECUTE 'GRANT USAGE ON ALL SEQUENCES IN SCHEMA ' || quote_ident(current_schema())
            || ' TO ' || everyone;
    EXECUTE 'GRANT SELECT ON meta, users, items, batch_items TO ' || everyone;
    EXECUTE 'GRANT INSERT, UPDATE, DELETE ON meta, users, items, batch_items TO ' || lead;
    EXECUTE 'GRANT SELECT, UPDATE ON batches TO ' || everyone;
    EXECUTE 'GRANT INSERT, DELETE ON batches TO ' || lead;
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON annotations, item_status TO ' || everyone;
    EXECUTE 'GRANT SELECT, INSERT, UPDATE ON review_comments TO ' || everyone;
    EXECUTE 'GRANT DELETE ON review_comments TO ' || lead;
    EXECUTE 'GRANT SELECT, INSERT ON batch_history, submissions, submission_shapes TO '
            || everyone;
    EXECUTE 'GRANT SELECT, INSERT, UPDATE ON activity_totals, activity_last, edit_log TO '
            || everyone;
    EXECUTE 'GRANT EXECUTE ON FUNCTION annotator_role(NAME), '
            || 'annotator_sees_batch(NAME, INTEGER), annotator_sees_item(NAME, INTEGER), '
            || 'annotator_writes_item(NAME, INTEGER) TO ' || everyone;
END $$"""

#: Migration 4 on PostgreSQL, in order (SQLite has no roles and skips it).
SECURITY_DDL: list[str] = [
    *_FUNCTIONS,
    *_TRIGGERS,
    *_POLICIES,
    _GRANTS,
]


# Migration 5: media in the database and replayed offline edits.  A person
# reads a file's chunks only if they may see an item with that content (the
# same rule as the item's own row); only a lead uploads.  Chunks hold JPEG,
# PNG and LAZ, which do not compress: EXTERNAL storage skips the attempt.
MEDIA_SECURITY_DDL: list[str] = [
    """CREATE FUNCTION annotator_sees_media(who NAME, content TEXT) RETURNS BOOLEAN
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS
        $$ SELECT annotator_role(who) = 'lead' OR EXISTS (
               SELECT 1 FROM items i WHERE i.sha256 = content
                   AND annotator_sees_item(who, i.id))
        $$""",
    "ALTER TABLE media_chunks ALTER COLUMN data SET STORAGE EXTERNAL",
    *[f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"
      for table in ("media_blobs", "media_chunks", "client_ops")],
    *[f"CREATE POLICY lead_all ON {table} USING ({_LEAD}) WITH CHECK ({_LEAD})"
      for table in ("media_blobs", "media_chunks", "client_ops")],
    *[f"CREATE POLICY member_read ON {table} FOR SELECT "
      f"USING (annotator_sees_media({_ME}, sha256))"
      for table in ("media_blobs", "media_chunks")],
    f"CREATE POLICY own_rows ON client_ops USING (user_name = {_ME}) "
    f"WITH CHECK (user_name = {_ME})",
    """CREATE TRIGGER client_ops_insert_only BEFORE UPDATE OR DELETE ON client_ops
        FOR EACH ROW EXECUTE FUNCTION annotator_refuse_change()""",
    """DO $$
DECLARE
    db TEXT := current_database();
    everyone TEXT := quote_ident(db || '_annotator') || ', ' || quote_ident(db || '_reviewer')
                     || ', ' || quote_ident(db || '_lead');
BEGIN
    EXECUTE 'GRANT SELECT ON media_blobs, media_chunks TO ' || everyone;
    EXECUTE 'GRANT INSERT ON media_blobs, media_chunks TO ' || quote_ident(db || '_lead');
    EXECUTE 'GRANT SELECT, INSERT ON client_ops TO ' || everyone;
    EXECUTE 'GRANT EXECUTE ON FUNCTION annotator_sees_media(NAME, TEXT) TO ' || everyone;
END $$""",
]
