"""Zoom-banded generalised geometry for tiles (feature_generalised), kept by triggers.

Low-zoom tiles read every feature's geometry already transformed to EPSG:3857 and simplified
for their band (geo/tiles/sql/generalised.sql) instead of simplifying up to 100,000 full
polygons per request. Existing features are generalised here once.

Large tables: fills feature_generalised from every row of ``features`` (three bands each) in
one INSERT … SELECT; features itself is not rewritten. On a million features, budget about
the time of simplifying each polygon three times.

Revision ID: 0018_generalised
Revises: 0017_scope_geometry
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

from geo.kernel import sqlfiles

revision: str = "0018_generalised"
down_revision: str | None = "0017_scope_geometry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"tiles/sql/generalised.sql": "c65740d20b27b3f9"}

TRIGGERS = ("features_generalised_del", "features_generalised_ins", "features_generalised_upd")
FUNCTIONS = (
    "rm_generalised_write()",
    "rm_generalise(geometry, integer)",
    "rm_tile_tolerance(integer)",
    "rm_generalised_bands()",
)


def upgrade() -> None:
    op.create_table(
        "feature_generalised",
        sa.Column("feature_id", sa.BigInteger(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=3857, spatial_index=False),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("feature_id", "band", name=op.f("pk_feature_generalised")),
    )
    sqlfiles.run(op.execute, *SQL_FILES)
    op.execute(
        "INSERT INTO feature_generalised (feature_id, band, geom) "
        "SELECT f.id, b.band, rm_generalise(f.geom, b.band) "
        "FROM features f CROSS JOIN unnest(rm_generalised_bands()) b(band)"
    )


def downgrade() -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON features")
    for fn in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_table("feature_generalised")
