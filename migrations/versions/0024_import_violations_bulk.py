"""An import's detections written in bulk form: one audit event and one notification per
rule and county for the violations its rule evaluation detects, instead of one of each per
violation; the live violations of new ids looked up by index before the evaluation.

With ``rm.bulk`` set (geo.files.load, for the import's one INSERT into ``features``):

* ``rm_audit`` on ``violations`` writes ONE ``IMPORT`` event per subject layer naming the
  inserted violations (``row_ids``), as it already did for the imported features
  (geo/kernel/sql/audit.sql). Each violation's history stays in ``violation_events``, which
  still holds its own ``detected`` event.
* ``rm_notify_violation_events`` writes one ``violation.new`` event per rule and county with
  the count, total area, id range and extent, instead of one event per violation with a
  copy of its geometry (geo/notify/sql/outbox.sql); ``rm_notify_deliver_to`` matches a
  subscription's area against the violations themselves, so it hears of exactly what it
  would have heard of one by one. Other actions stay one event each.

At scale 0.1 an import of 50,000 patches detects 38,061 violations; these two triggers took
2.0 s and 2.3 s of its 22 s INSERT (BENCHMARKS.md, "Session 5").

And ``rm_evaluate`` (geo/violations/sql/evaluate.sql) finds the live violations of the
changed features before its statement, from each id by index, into an array whose length
the statement's plan then sees: for an import's new ids there are none, where the planner,
joining ``unnest(p_ids)`` to ``violations`` inside the statement, hashed every live
violation three times for no rows.

The previous definitions are frozen in migrations/data/audit_0023.sql, outbox_0023.sql and
evaluate_0023.sql.

Revision ID: 0024_import_violations_bulk
Revises: 0023_evaluate_linear
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

from geo.kernel import sqlfiles

revision: str = "0024_import_violations_bulk"
down_revision: str | None = "0023_evaluate_linear"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {
    "kernel/sql/audit.sql": "99b4eb1bf2ce0346",
    "notify/sql/outbox.sql": "40003e5c6f7afd7f",
    "violations/sql/evaluate.sql": "f92fcd95e56d9ef3",
}
DATA = Path(__file__).parent.parent / "data"


def upgrade() -> None:
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    op.execute((DATA / "audit_0023.sql").read_text(encoding="utf-8"))
    op.execute((DATA / "outbox_0023.sql").read_text(encoding="utf-8"))
    op.execute((DATA / "evaluate_0023.sql").read_text(encoding="utf-8"))
