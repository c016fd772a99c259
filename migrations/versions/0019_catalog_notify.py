"""Changes to layers notify channel rm_catalog on commit (the in-process catalog listens).

geo.catalog.live keeps the collections in memory and drops them on this notification, so a
request no longer looks its collection up in the database.

Revision ID: 0019_catalog_notify
Revises: 0018_generalised
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

from geo.kernel import sqlfiles

revision: str = "0019_catalog_notify"
down_revision: str | None = "0018_generalised"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"catalog/sql/layers_notify.sql": "6d9eea6fbac5c8b5"}


def upgrade() -> None:
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS layers_notify_catalog ON layers")
    op.execute("DROP FUNCTION IF EXISTS rm_notify_catalog()")
