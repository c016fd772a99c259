"""Integration: audit history and database-side region scopes for the tables that the
violations, progress and inspections work added, and the task → violation foreign key.

Audit: every change to rules, violations, tasks, task notes, restoration records and
events, and inspections lands in audit_log (rm_audit, migration 0005).

Scopes: tables with a ``region_code`` get rm_enforce_region_scope directly; tables that
reach their county through another row (a restoration event → its record → its feature; a
violation event → its violation; a task note → its task) get rm_enforce_scope_query, which
runs the join given as its argument over the statement's transition table. Evaluation by
the rules engine writes violations and 'system' events on behalf of whoever changed a
feature; those follow the feature's own scope check, so they are not checked again here.

Revision ID: 0007_integration
Revises: 0006_inspections
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_integration"
down_revision: str | None = "0006_inspections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPE_BY_QUERY = r"""
CREATE FUNCTION rm_enforce_scope_query() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scope text := current_setting('rm.regions', true);
    bad text;
BEGIN
    IF scope IS NULL OR scope IN ('', '*') THEN
        RETURN NULL;
    END IF;
    -- TG_ARGV[0]: a SELECT of region codes over new_rows (fixed by the migration, no input).
    EXECUTE 'SELECT min(coalesce(c.region_code, ''(no county)'')) FROM (' || TG_ARGV[0]
         || ') c WHERE NOT rm_region_allowed(c.region_code, $1)'
       INTO bad USING scope;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'region scope: % of a row about % is outside your scope (%)',
            lower(TG_OP), bad, scope
            USING ERRCODE = 'RM403', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;
"""

# table -> SELECT region_code … FROM new_rows …
SCOPED_BY_QUERY = {
    "restoration_records": (
        "SELECT f.region_code FROM new_rows n JOIN features f ON f.id = n.feature_id"
    ),
    "restoration_events": (
        "SELECT f.region_code FROM new_rows n JOIN restoration_records r ON r.id = n.record_id "
        "JOIN features f ON f.id = r.feature_id"
    ),
    "violation_events": (
        "SELECT v.region_code FROM new_rows n JOIN violations v ON v.id = n.violation_id "
        "WHERE n.actor <> 'system'"
    ),
    "task_notes": (
        "SELECT t.region_code FROM new_rows n JOIN rectification_tasks t ON t.id = n.task_id"
    ),
}
AUDITED = {
    "violation_rules": "id",
    "violations": "id",
    "rectification_tasks": "id",
    "task_notes": "id",
    "restoration_records": "id",
    "restoration_events": "id",
    "inspections": "uuid",
}
SCOPED_BY_COLUMN = ("rectification_tasks", "inspections")


def upgrade() -> None:
    op.execute(SCOPE_BY_QUERY)
    for table, query in SCOPED_BY_QUERY.items():
        op.execute(
            f"CREATE TRIGGER {table}_scope_ins AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION rm_enforce_scope_query($q${query}$q$)"
        )
    for table in SCOPED_BY_COLUMN:
        op.execute(f"SELECT rm_attach_scope_triggers('{table}')")
    for table, pk in AUDITED.items():
        op.execute(f"SELECT rm_attach_audit_triggers('{table}', '{pk}')")
    op.create_foreign_key(
        "fk_task_violations_violation_id_violations",
        "task_violations",
        "violations",
        ["violation_id"],
        ["id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint(
        "fk_task_violations_violation_id_violations", "task_violations", type_="foreignkey"
    )
    for table in AUDITED:
        for suffix in ("ins", "upd", "del"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_audit_{suffix} ON {table}")
    for table in SCOPED_BY_COLUMN:
        for suffix in ("ins", "upd", "del"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_scope_{suffix} ON {table}")
    for table in SCOPED_BY_QUERY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_scope_ins ON {table}")
    op.execute("DROP FUNCTION IF EXISTS rm_enforce_scope_query()")
