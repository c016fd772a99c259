"""Data versions: a counter per collection, bumped by the database on every change.

The tile cache keys tiles by (collection, version): a write in any path (API, import, SQL,
rule evaluation) bumps the version in the same transaction, so a cached tile can never be
served after its data changed. Bumps are statement-level, one row per layer touched.

Revision ID: 0010_data_versions
Revises: 0009_audit_geometry
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_data_versions"
down_revision: str | None = "0009_audit_geometry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> SQL giving the collection names touched, over the transition table `rows`.
TABLES = {
    "features": "SELECT DISTINCT layer FROM rows",
    "violations": "SELECT 'violations'",
    "regions": "SELECT 'regions'",
}


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.execute(
        r"""
        CREATE FUNCTION rm_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- TG_ARGV[0]: the names touched, as a SELECT over the transition table "rows".
            EXECUTE 'INSERT INTO data_versions AS d (name, version, changed_at) '
                 || 'SELECT n, 1, now() FROM (' || TG_ARGV[0] || ') s(n) '
                 || 'ON CONFLICT (name) DO UPDATE SET version = d.version + 1, changed_at = now()';
            RETURN NULL;
        END $$;
        """
    )
    for table, names in TABLES.items():
        for op_name, ref in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            suffix = op_name.lower()[:3]
            op.execute(
                f"CREATE TRIGGER {table}_version_{suffix} AFTER {op_name} ON {table} "
                f"REFERENCING {ref} TABLE AS rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION rm_bump_data_version($q${names}$q$)"
            )


def downgrade() -> None:
    for table in TABLES:
        for suffix in ("ins", "upd", "del"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_version_{suffix} ON {table}")
    op.execute("DROP FUNCTION rm_bump_data_version()")
    op.drop_table("data_versions")
