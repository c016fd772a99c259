"""Rule evaluation linear in the batch: deleting a large import no longer takes minutes.

``rm_evaluate`` (geo/violations/sql/evaluate.sql):

* The events of resolved violations came from a join of two CTEs (``gone`` and
  ``resolved``) that the planner believed held one row each, so it ran a nested loop:
  1.45 billion comparisons and 126 s of the 131 s it took to delete 50,000 imported
  patches and resolve their 38,061 violations. Each pair found now carries the violation
  it already has (an index probe), new and changed violations are written by separate
  INSERT and UPDATE statements, and each statement returns what its events need: no join
  between CTEs is left.
* The live violations of the changed features are found from each id by index
  (``unnest(p_ids)`` joined to ``violations``), not by testing every violation of every
  rule in scope against the id array: in a generic plan that is a linear search of the
  array per row, and at scale 1.0 (1,000,000 violations) deleting 100,000 imported
  patches ran for over 10 minutes; it now takes 21 s.
* Each violation's geometry, detection date and area are computed once per pair (a
  materialized CTE and ``OFFSET 0`` laterals); before, the planner copied the expression
  into every place that referenced it and computed it up to three times.
* ``rm_minus_layer`` (a SQL function called per pair) is replaced by a lateral join in the
  statement; a violation of the whole subject takes the subject's stored area instead of
  computing it again; a pair found by ST_Intersects has distance 0 without a geodesic
  distance computed.
* ``SET plan_cache_mode = force_custom_plan`` on the function: p_ids holds one id or
  100,000, and the generic plan PL/pgSQL switches to after five calls tests ``= ANY(p_ids)``
  by a linear search per row (a bulk delete ran for minutes in ExecEvalScalarArrayOp).
* ``SET jit = off`` on the function: JIT compiled for 2.5–3 s of a 10 s evaluation.

Same results: the violations (geometry, area, shares, distance, dates, status) and events
of a 50,000-patch import and its delete are identical before and after
(tests/violations/test_evaluate_linear.py checks the behaviour; BENCHMARKS.md the times).
The previous definitions are frozen in migrations/data/evaluate_0022.sql for the downgrade.

Revision ID: 0023_evaluate_linear
Revises: 0022_bulk_import
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

from geo.kernel import sqlfiles

revision: str = "0023_evaluate_linear"
down_revision: str | None = "0022_bulk_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"violations/sql/evaluate.sql": "6e60a0a2d7de7754"}
DATA = Path(__file__).parent.parent / "data"


def upgrade() -> None:
    sqlfiles.run(op.execute, *SQL_FILES)
    # IF EXISTS: a database built from scratch never had it (0011 runs the current files)
    op.execute("DROP FUNCTION IF EXISTS rm_minus_layer(geometry, text)")


def downgrade() -> None:
    op.execute((DATA / "evaluate_0022.sql").read_text(encoding="utf-8"))
