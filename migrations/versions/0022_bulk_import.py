"""Bulk imports: one audit event per import; rule evaluation that scales with the batch.

* ``audit_log.row_ids`` (int8multirange, GiST-indexed where set) and the op ``IMPORT``: an
  import's INSERT into ``features`` (``rm.bulk`` set by geo.files.load for that one
  statement) is audited as ONE event per layer that names its rows by id, instead of one
  row with a JSON copy per feature. The state a row was imported with is the ``before`` of
  its next audit entry, or the live row while it has none; geo.catalog.history and the
  ``as_of`` source read it so (geo/kernel/sql/audit.sql).
* ``rm_evaluate`` (geo/violations/sql/evaluate.sql): the violations no longer found are
  picked with a hashed ``NOT IN`` over (rule, subject, protected) instead of a NOT EXISTS on
  ``IS NOT DISTINCT FROM`` that the planner ran as a nested loop over two CTEs it believed
  held one row each (quadratic: 272 s of a 50,000-row import, and of deleting them again);
  overlap candidates are probed once per changed feature and layer pair, not once per rule.

New nullable column (no rewrite), a partial index on an empty set of rows, and a check
constraint validated once over audit_log. The previous function definitions are frozen in
migrations/data/audit_0019.sql and evaluate_0019.sql for the downgrade.

Revision ID: 0022_bulk_import
Revises: 0021_overlap_parts
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

from geo.kernel import sqlfiles

revision: str = "0022_bulk_import"
down_revision: str | None = "0021_overlap_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {
    "kernel/sql/audit.sql": "0a839d026f4c3951",
    "violations/sql/evaluate.sql": "4887fa887fdf61d9",
}
DATA = Path(__file__).parent.parent / "data"


def upgrade() -> None:
    op.execute("ALTER TABLE audit_log ADD COLUMN row_ids int8multirange")
    op.execute("ALTER TABLE audit_log DROP CONSTRAINT ck_audit_log_op")
    op.execute(
        "ALTER TABLE audit_log ADD CONSTRAINT ck_audit_log_op"
        " CHECK (op IN ('INSERT', 'UPDATE', 'DELETE', 'BASELINE', 'IMPORT'))"
    )
    op.execute(
        "CREATE INDEX ix_audit_log_row_ids ON audit_log USING gist (row_ids)"
        " WHERE row_ids IS NOT NULL"
    )
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    op.execute((DATA / "evaluate_0019.sql").read_text(encoding="utf-8"))
    op.execute((DATA / "audit_0019.sql").read_text(encoding="utf-8"))
    op.execute("DROP INDEX ix_audit_log_row_ids")
    op.execute("ALTER TABLE audit_log DROP CONSTRAINT ck_audit_log_op")
    op.execute(
        "ALTER TABLE audit_log ADD CONSTRAINT ck_audit_log_op"
        " CHECK (op IN ('INSERT', 'UPDATE', 'DELETE', 'BASELINE'))"
    )
    op.execute("ALTER TABLE audit_log DROP COLUMN row_ids")
