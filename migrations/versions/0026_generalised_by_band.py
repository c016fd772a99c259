"""feature_generalised partitioned by band, each row with its feature's layer and envelope.

A low-zoom tile picked its rows from ``features`` (a GiST probe, then the heap pages of every
candidate, whose full geometries are most of the table) and only then read their band. Picking
from the band's own partition by ``env && tile`` -- the envelope of the full geometry, so the
same rows ``geom && tile`` picks -- reads small rows of one band only: the heaviest z6 tile of
the benchmark 562 -> 381 ms with the same bytes, where one table of every band gave 536 ms
(BENCHMARKS.md, session 7). geo/tiles/sql/generalised.sql keeps the new columns.

Large tables: copies every band row once (no geometry is simplified again), adding the layer
and ST_Envelope of the feature; then builds one GiST index per partition. A band row that was
missing is generalised here: tiles at z <= 10 now draw a feature only from its band rows.
The previous definition of the trigger function is frozen in
migrations/data/generalised_0018.sql.

Revision ID: 0026_generalised_by_band
Revises: 0025_overlap_kind_inline
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from pathlib import Path

import geoalchemy2
import sqlalchemy as sa
from alembic import op

from geo.kernel import sqlfiles

revision: str = "0026_generalised_by_band"
down_revision: str | None = "0025_overlap_kind_inline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"tiles/sql/generalised.sql": "d14b1d35a8937764"}
DATA = Path(__file__).parent.parent / "data"
BANDS = (6, 8, 10)  # rm_generalised_bands() as of this migration


def _geometry(srid: int) -> geoalchemy2.types.Geometry:
    return geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=srid, spatial_index=False)


def _set_aside() -> None:
    op.rename_table("feature_generalised", "feature_generalised_old")
    op.execute(
        "ALTER TABLE feature_generalised_old"
        " RENAME CONSTRAINT pk_feature_generalised TO pk_feature_generalised_old"
    )


def upgrade() -> None:
    _set_aside()
    op.create_table(
        "feature_generalised",
        sa.Column("feature_id", sa.BigInteger(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("env", _geometry(4326), nullable=False),
        sa.Column("geom", _geometry(3857), nullable=False),
        sa.PrimaryKeyConstraint("feature_id", "band", name=op.f("pk_feature_generalised")),
        postgresql_partition_by="LIST (band)",
    )
    for band in BANDS:
        op.execute(
            f"CREATE TABLE feature_generalised_z{band} PARTITION OF feature_generalised"
            f" FOR VALUES IN ({band})"
        )
    # Tiles now pick from these rows, so a feature must have every band: one missing before
    # (not possible while the triggers ran, but cheap to make sure of) is generalised here.
    op.execute(
        "INSERT INTO feature_generalised (feature_id, band, layer, env, geom)"
        " SELECT f.id, b.band, f.layer, ST_Envelope(f.geom),"
        "        coalesce(o.geom, rm_generalise(f.geom, b.band))"
        f" FROM features f CROSS JOIN unnest(ARRAY{list(BANDS)}::smallint[]) b(band)"
        " LEFT JOIN feature_generalised_old o ON o.feature_id = f.id AND o.band = b.band"
    )
    op.drop_table("feature_generalised_old")
    op.create_index(
        "ix_feature_generalised_env_layer",
        "feature_generalised",
        ["env", "layer"],
        postgresql_using="gist",
    )
    sqlfiles.run(op.execute, *SQL_FILES)
    # Tiles plan by these statistics; a database without autovacuum would have none.
    op.execute("ANALYZE feature_generalised")


def downgrade() -> None:
    op.execute((DATA / "generalised_0018.sql").read_text(encoding="utf-8"))
    op.drop_index("ix_feature_generalised_env_layer", table_name="feature_generalised")
    _set_aside()
    op.create_table(
        "feature_generalised",
        sa.Column("feature_id", sa.BigInteger(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("geom", _geometry(3857), nullable=False),
        sa.PrimaryKeyConstraint("feature_id", "band", name=op.f("pk_feature_generalised")),
    )
    op.execute(
        "INSERT INTO feature_generalised (feature_id, band, geom)"
        " SELECT feature_id, band, geom FROM feature_generalised_old"
    )
    op.drop_table("feature_generalised_old")
