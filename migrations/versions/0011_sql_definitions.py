"""SQL definitions: the live functions and triggers, read from geo/*/sql/*.sql.

Every statement there is CREATE OR REPLACE and equal to what revisions 0001-0010 left in the
database, so this upgrade changes nothing; from here on a change to a function is an edit of
its file plus a new migration that runs it (geo/kernel/sql/README.md).

Revision ID: 0011_sql_definitions
Revises: 0010_data_versions
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

from geo.kernel import sqlfiles

revision: str = "0011_sql_definitions"
down_revision: str | None = "0010_data_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The files this revision runs, in order, with the digest (sqlfiles.digest) each had then.
# A later change to a file needs a new revision with its own SQL_FILES; the test
# tests/kernel/test_sql_definitions.py compares every file with the newest revision that ran it.
SQL_FILES = {
    "kernel/sql/touch.sql": "5972ff3046fe7c72",
    "kernel/sql/regions.sql": "a4784ea0fed0f633",
    "kernel/sql/scopes.sql": "d17aec3099518862",
    "kernel/sql/audit.sql": "205f0397f89725de",
    "edits/sql/row_versions.sql": "86e6761f881f343d",
    "progress/sql/append_only.sql": "729da9f10151dd70",
    "violations/sql/evaluate.sql": "3aed687dd669d248",
    "tiles/sql/data_versions.sql": "be0eb2a3093b3461",
}


def upgrade() -> None:
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    # The upgrade replaced every definition by an identical one: nothing to undo.
    pass
