"""/overlaps tests a pair on the protected feature's pieces inline, in its own statement
(geo/violations/overlap_plan.py), instead of calling ``rm_overlap_kind``: a SQL function
with subqueries is not inlined by the planner, and calling it once per candidate pair was
half of grassland × wetlands at scale 1.0 (2.2 s against 1.1 s; BENCHMARKS.md, session 6).
The function is dropped; geo/violations/sql/parts.sql no longer defines it.

The dropped definition is frozen in migrations/data/overlap_kind_0024.sql.

Revision ID: 0025_overlap_kind_inline
Revises: 0024_import_violations_bulk
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

from geo.kernel import sqlfiles

revision: str = "0025_overlap_kind_inline"
down_revision: str | None = "0024_import_violations_bulk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"violations/sql/parts.sql": "eac5813c2d3edaa6"}
DATA = Path(__file__).parent.parent / "data"


def upgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS rm_overlap_kind(geometry, bigint, geometry)")
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    op.execute((DATA / "overlap_kind_0024.sql").read_text(encoding="utf-8"))
