"""/overlaps from stored overlaps and subdivided protected geometry.

- feature_parts: the ST_Subdivide pieces of every feature of a protected layer with more than
  256 vertices, kept by statement-level triggers (geo/violations/sql/parts.sql), filled here
  once for the existing features;
- ix_violations_live_pair: the live violation of a (subject, protected) pair, whose stored
  overlap /overlaps reads instead of computing it again;
- ix_features_layer_geom (layer, geom) is replaced by ix_features_geom_layer (geom, layer):
  the same queries, but a GiST probe with the geometry first visits far fewer pages
  (bench scale 0.1: 603 probes of mining_pits 103 -> 22 ms, BENCHMARKS.md).

Large tables: builds one GiST index on features (as 0001 did) and subdivides the protected
layers' large features (scale 0.1: 163 features, about a second).

Revision ID: 0021_overlap_parts
Revises: 0020_law_citations
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

from geo.kernel import sqlfiles

revision: str = "0021_overlap_parts"
down_revision: str | None = "0020_law_citations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"violations/sql/parts.sql": "c56226196d313f98"}

TRIGGERS = (
    ("features_parts_del", "features"),
    ("features_parts_ins", "features"),
    ("features_parts_upd", "features"),
    ("violation_rules_parts", "violation_rules"),
)
FUNCTIONS = (
    "rm_parts_rules_changed()",
    "rm_parts_write()",
    "rm_overlap_kind(geometry, bigint, geometry)",
    "rm_parts_sync()",
    "rm_parts_wanted(text, geometry)",
    "rm_parts_max_vertices()",
)


def upgrade() -> None:
    op.create_table(
        "feature_parts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("feature_id", sa.BigInteger(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_parts")),
    )
    op.create_index(op.f("ix_feature_parts_feature_id"), "feature_parts", ["feature_id"])
    op.create_index(
        "ix_violations_live_pair",
        "violations",
        ["subject_id", "protected_id"],
        postgresql_where=sa.text("resolved_at IS NULL"),
    )
    op.drop_index("ix_features_layer_geom", table_name="features", postgresql_using="gist")
    op.create_index(
        "ix_features_geom_layer", "features", ["geom", "layer"], postgresql_using="gist"
    )
    sqlfiles.run(op.execute, *SQL_FILES)
    op.execute("SELECT rm_parts_sync()")


def downgrade() -> None:
    for trigger, table in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for fn in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_index("ix_features_geom_layer", table_name="features", postgresql_using="gist")
    op.create_index(
        "ix_features_layer_geom", "features", ["layer", "geom"], postgresql_using="gist"
    )
    op.drop_index("ix_violations_live_pair", table_name="violations")
    op.drop_index(op.f("ix_feature_parts_feature_id"), table_name="feature_parts")
    op.drop_table("feature_parts")
