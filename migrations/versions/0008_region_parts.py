"""Subdivided county boundaries for fast county lookups (rm_county_of).

Every feature write derives its county with ST_PointOnSurface against the county polygons,
which have thousands of vertices each. Cut into pieces of at most 256 vertices and indexed,
the lookup is about six times faster (measured on the sample data: 45 ms → 8 ms for 500
features), which is most of what a bulk import spends in triggers.

Large tables: none. It fills ``region_parts`` from the county rows of ``regions`` (a few
dozen rows); ``features`` is not touched.

Revision ID: 0008_region_parts
Revises: 0007_integration
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0008_region_parts"
down_revision: str | None = "0007_integration"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region_parts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["code"],
            ["regions.code"],
            name=op.f("fk_region_parts_code_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_parts")),
    )
    op.create_index(op.f("ix_region_parts_code"), "region_parts", ["code"], unique=False)
    op.create_index("ix_region_parts_geom", "region_parts", ["geom"], postgresql_using="gist")
    op.execute(
        """
        CREATE FUNCTION rm_cut_region() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                DELETE FROM region_parts WHERE code = OLD.code;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.level = 'county' THEN
                INSERT INTO region_parts (code, geom)
                SELECT NEW.code, ST_Subdivide(NEW.geom, 256);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER regions_cut AFTER INSERT OR UPDATE OF geom, level OR DELETE ON regions
            FOR EACH ROW EXECUTE FUNCTION rm_cut_region();
        INSERT INTO region_parts (code, geom)
            SELECT code, ST_Subdivide(geom, 256) FROM regions WHERE level = 'county';
        CREATE OR REPLACE FUNCTION rm_county_of(g geometry) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT min(p.code) FROM region_parts p
            WHERE ST_Intersects(p.geom, ST_PointOnSurface(g))
        $$;
        """
    )


def downgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION rm_county_of(g geometry) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT r.code FROM regions r
            WHERE r.level = 'county' AND ST_Intersects(r.geom, ST_PointOnSurface(g))
            ORDER BY r.code LIMIT 1
        $$;
        DROP TRIGGER regions_cut ON regions;
        DROP FUNCTION rm_cut_region();
        """
    )
    op.drop_index("ix_region_parts_geom", table_name="region_parts", postgresql_using="gist")
    op.drop_index(op.f("ix_region_parts_code"), table_name="region_parts")
    op.drop_table("region_parts")
