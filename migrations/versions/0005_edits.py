"""Edits: row versions (ETags), region-scope enforcement and an append-only audit log.

Revision ID: 0005_edits
Revises: 0004_progress
Create Date: 2026-11-23

Two generic trigger functions, attachable to any table with a ``region_code`` column:

* ``rm_enforce_region_scope()`` refuses INSERT/UPDATE/DELETE of rows whose region code (old
  and new) lies outside the transaction's ``rm.regions`` setting (set by
  ``geo.kernel.db.write_transaction``; '*' or unset means everywhere). It raises SQLSTATE ``RM403``,
  which the HTTP layer maps to 403.
  Why a trigger and not row-level security: the app connects as the table owner (a
  superuser here), and RLS is bypassed by superusers and, unless FORCE'd, by owners. A
  trigger fires for every role, whatever the write path (API, import, psql).
* ``rm_audit()`` appends who (``rm.actor``), when, what operation, and the row before and
  after (JSONB) to ``audit_log``, which is append-only (privileges revoked and a trigger that
  refuses UPDATE, DELETE and TRUNCATE).

Both are statement-level AFTER triggers with transition tables, so a 100,000-row import costs
one set-based check and one INSERT … SELECT, not 100,000 function calls. AFTER triggers also
see the final ``region_code`` whatever BEFORE triggers set it (features: rm_set_region_code).

To attach both to another table (its primary key column named as the argument)::

    SELECT rm_attach_edit_triggers('restoration_records', 'id');  -- scope + audit
    SELECT rm_attach_audit_triggers('rules', 'id');                -- audit only (no region_code)

Large tables: copies every row of ``features`` into ``audit_log`` once (the BASELINE
entries), in one statement, and adds ``features.version`` with a constant default (no
rewrite since PostgreSQL 11). Every database in service ran this while ``features`` was
small; run on a large one, it takes about as long as a bulk import of the same rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_edits"
down_revision: str | None = "0004_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FUNCTIONS = r"""
-- Is a row in region `code` writable under the scope `scope` ('*' / NULL / '' = everywhere,
-- else comma-separated codes; a prefecture or region code covers its counties)?
-- Mirrors geo.kernel.auth.Principal.covers.
CREATE FUNCTION rm_region_allowed(code text, scope text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN scope IS NULL OR scope IN ('', '*') THEN true
        WHEN code IS NULL THEN false
        ELSE EXISTS (
            SELECT 1 FROM unnest(string_to_array(scope, ',')) AS r
            WHERE code = r
               OR (right(r, 2) = '00' AND starts_with(code, left(rtrim(r, '0'), 4))))
    END
$$;

CREATE FUNCTION rm_enforce_region_scope() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scope text := current_setting('rm.regions', true);
    bad text;
BEGIN
    IF scope IS NULL OR scope IN ('', '*') THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE 'SELECT min(coalesce(region_code, ''(no county)'')) FROM old_rows'
             || ' WHERE NOT rm_region_allowed(region_code, $1)'
           INTO bad USING scope;
    END IF;
    IF bad IS NULL AND TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE 'SELECT min(coalesce(region_code, ''(no county)'')) FROM new_rows'
             || ' WHERE NOT rm_region_allowed(region_code, $1)'
           INTO bad USING scope;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'region scope: % of a row in % is outside your scope (%)',
            lower(TG_OP), bad, scope
            USING ERRCODE = 'RM403', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION rm_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pk text := coalesce(TG_ARGV[0], 'id');
    actor text := coalesce(nullif(current_setting('rm.actor', true), ''), session_user::text);
    uid bigint := nullif(current_setting('rm.user_id', true), '')::bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after)'
            ' SELECT $1, n.%1$I::text, ''INSERT'', $2, $3, NULL, to_jsonb(n) FROM new_rows n'
            ' ORDER BY n.%1$I', pk)
        USING TG_TABLE_NAME, actor, uid;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after)'
            ' SELECT $1, n.%1$I::text, ''UPDATE'', $2, $3, to_jsonb(o), to_jsonb(n)'
            ' FROM new_rows n JOIN old_rows o ON o.%1$I = n.%1$I'
            ' WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n) ORDER BY n.%1$I', pk)
        USING TG_TABLE_NAME, actor, uid;
    ELSE
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after)'
            ' SELECT $1, o.%1$I::text, ''DELETE'', $2, $3, to_jsonb(o), NULL FROM old_rows o'
            ' ORDER BY o.%1$I', pk)
        USING TG_TABLE_NAME, actor, uid;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION rm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'RM405';
END $$;

CREATE FUNCTION rm_attach_audit_triggers(tbl regclass, pk text DEFAULT 'id') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rm_audit(%L)',
                   name || '_audit_ins', tbl, pk);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rm_audit(%L)',
                   name || '_audit_upd', tbl, pk);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rm_audit(%L)',
                   name || '_audit_del', tbl, pk);
END $$;

CREATE FUNCTION rm_attach_scope_triggers(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope()',
                   name || '_scope_ins', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' NEW TABLE AS new_rows FOR EACH STATEMENT'
                   ' EXECUTE FUNCTION rm_enforce_region_scope()', name || '_scope_upd', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope()',
                   name || '_scope_del', tbl);
END $$;

CREATE FUNCTION rm_attach_edit_triggers(tbl regclass, pk text DEFAULT 'id') RETURNS void
LANGUAGE sql AS $$
    SELECT rm_attach_scope_triggers(tbl);
    SELECT rm_attach_audit_triggers(tbl, pk);
$$;

-- The row version behind ETags: bumped by the database on every UPDATE.
CREATE FUNCTION rm_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.add_column(
        "features", sa.Column("version", sa.BigInteger(), server_default="1", nullable=False)
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("row_id", sa.Text(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("before", sa.dialects.postgresql.JSONB(), nullable=True),
        sa.Column("after", sa.dialects.postgresql.JSONB(), nullable=True),
        sa.CheckConstraint(
            "op IN ('INSERT', 'UPDATE', 'DELETE', 'BASELINE')", name=op.f("ck_audit_log_op")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_row", "audit_log", ["table_name", "row_id", "id"])
    op.create_index("ix_audit_log_table_at", "audit_log", ["table_name", "at"])
    op.execute(FUNCTIONS)
    op.execute(
        "CREATE TRIGGER features_version BEFORE UPDATE ON features "
        "FOR EACH ROW EXECUTE FUNCTION rm_bump_version()"
    )
    # Rows written before auditing existed: a baseline entry, so `as_of` can see them.
    op.execute(
        "INSERT INTO audit_log (table_name, row_id, op, actor, at, after) "
        "SELECT 'features', f.id::text, 'BASELINE', 'migration-0005', f.updated_at, to_jsonb(f) "
        "FROM features f ORDER BY f.id"
    )
    op.execute("SELECT rm_attach_edit_triggers('features', 'id')")
    # Append-only: no role but the owner may even try, and the owner is refused by triggers.
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC")
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION rm_audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION rm_audit_append_only()"
    )


def downgrade() -> None:
    for suffix in ("audit_ins", "audit_upd", "audit_del", "scope_ins", "scope_upd", "scope_del"):
        op.execute(f"DROP TRIGGER IF EXISTS features_{suffix} ON features")
    op.execute("DROP TRIGGER IF EXISTS features_version ON features")
    op.drop_table("audit_log")
    op.drop_column("features", "version")
    for fn in (
        "rm_attach_edit_triggers(regclass, text)",
        "rm_attach_scope_triggers(regclass)",
        "rm_attach_audit_triggers(regclass, text)",
        "rm_audit_append_only()",
        "rm_audit()",
        "rm_enforce_region_scope()",
        "rm_region_allowed(text, text)",
        "rm_bump_version()",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
