"""Scopes by geometry: a scoped user's feature must lie wholly within their counties.

Until now the county of a row was taken from one point on its surface (rm_county_of), so a
MultiPolygon with one part in the editor's county and another in the next county passed the
scope check. Now every INSERT/UPDATE by a scoped writer also checks the whole geometry:

* ``rm_scope_tolerance_m()``: the boundary tolerance in metres, 5 unless the database (or a
  session) sets ``rm.scope_tolerance_m`` (``ALTER DATABASE … SET rm.scope_tolerance_m = 10``).
* ``rm_outside_scope(g, scope)``: whether ``g`` leaves the union of the scope's counties by
  more than the tolerance. Only the subdivided county pieces near ``g`` (region_parts, 0008)
  are unioned, so the check costs a few small polygons, not whole county outlines. The
  tolerance is applied in degrees at the geometry's latitude (east-west metres; north-south
  it is up to 1/cos φ more generous, about 1.4× in Xinjiang).
* ``rm_enforce_region_scope()`` (redefined; first in 0005_edits) checks the geometry of new
  rows in tables that have a ``geom`` column (features: items, imports; inspections).
* ``rm_enforce_scope_query()`` (redefined; first in 0007_integration) checks the geometry
  its query returns beside the region code; the restoration triggers now return the
  feature's geometry, so a record about a feature that crosses into another county is refused.

The live definitions are in geo/kernel/sql/scopes.sql; the previous ones are frozen in
migrations/data/scopes_0012.sql for the downgrade. Small functions and two triggers: no table
rewrite.

Revision ID: 0017_scope_geometry
Revises: 0016_campaign_structure
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

from geo.kernel import sqlfiles

revision: str = "0017_scope_geometry"
down_revision: str | None = "0016_campaign_structure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"kernel/sql/scopes.sql": "d5bc2cb299923316"}
PREVIOUS = Path(__file__).parent.parent / "data" / "scopes_0012.sql"


def upgrade() -> None:
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    op.execute(PREVIOUS.read_text(encoding="utf-8"))
    op.execute("DROP FUNCTION IF EXISTS rm_outside_scope(geometry, text)")
    op.execute("DROP FUNCTION IF EXISTS rm_scope_tolerance_m()")
