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
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0005_edits"
down_revision: str | None = "0004_progress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Frozen with this revision (history, never edited). rm_audit has a file of its own because
# 0009's downgrade restores it.
DATA = Path(__file__).parent.parent / "data"
FUNCTIONS_SQL = DATA / "edits_0005.sql"
AUDIT_SQL = DATA / "audit_0005.sql"


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
    op.execute(FUNCTIONS_SQL.read_text(encoding="utf-8"))
    op.execute(AUDIT_SQL.read_text(encoding="utf-8"))
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
