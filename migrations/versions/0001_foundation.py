"""Foundation: layer registry, regions, features, triggers, built-in layers.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-23
"""

import json
from collections.abc import Sequence
from pathlib import Path

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen with this revision: later changes to the built-in layers get their own migration.
BUILTIN_LAYERS = Path(__file__).parent.parent / "data" / "builtin_layers_0001.json"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")

    layers = op.create_table(
        "layers",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), server_default="feature", nullable=False),
        sa.Column("geometry_type", sa.Text(), nullable=False),
        sa.Column("attribute_schema", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("style", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("temporal_property", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("restorable", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="100", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("name ~ '^[a-z][a-z0-9_]{1,62}$'", name=op.f("ck_layers_name_format")),
        sa.CheckConstraint("kind IN ('feature', 'reference')", name=op.f("ck_layers_kind")),
        sa.CheckConstraint(
            "geometry_type IN ('Point', 'MultiPoint', 'LineString', 'MultiLineString', "
            "'Polygon', 'MultiPolygon')",
            name=op.f("ck_layers_geometry_type"),
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_layers")),
    )

    op.create_table(
        "regions",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False
            ),
            nullable=False,
        ),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("code ~ '^[0-9]{6}$'", name=op.f("ck_regions_code_format")),
        sa.CheckConstraint(
            "level IN ('region', 'prefecture', 'county')", name=op.f("ck_regions_level")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["regions.code"], name=op.f("fk_regions_parent_code_regions")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    op.create_index("ix_regions_geom", "regions", ["geom"], unique=False, postgresql_using="gist")

    op.create_table(
        "features",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column(
            "properties",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column(
            "area_m2",
            sa.Float(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=True,
        ),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "jsonb_typeof(properties) = 'object'", name=op.f("ck_features_properties_object")
        ),
        sa.CheckConstraint(
            "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_features_geom_valid")
        ),
        sa.ForeignKeyConstraint(
            ["layer"],
            ["layers.name"],
            name=op.f("fk_features_layer_layers"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_features_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_features")),
        sa.UniqueConstraint("layer", "code", name=op.f("uq_features_layer_code")),
    )
    op.create_index(
        "ix_features_layer_geom",
        "features",
        ["layer", "geom"],
        unique=False,
        postgresql_using="gist",
    )
    op.create_index("ix_features_layer_id", "features", ["layer", "id"], unique=False)
    op.create_index("ix_features_region_code", "features", ["region_code"], unique=False)

    # updated_at is the database's job, so no write path can forget it.
    op.execute(
        """
        CREATE FUNCTION rm_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        """
    )
    for table in ("layers", "regions", "features"):
        op.execute(
            f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at()"
        )

    # The county of a feature follows its geometry, whatever path wrote it (API, import, SQL).
    op.execute(
        """
        CREATE FUNCTION rm_county_of(g geometry) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT r.code FROM regions r
            WHERE r.level = 'county' AND ST_Intersects(r.geom, ST_PointOnSurface(g))
            ORDER BY r.code LIMIT 1
        $$;
        CREATE FUNCTION rm_set_region_code() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.region_code := rm_county_of(NEW.geom);
            RETURN NEW;
        END $$;
        CREATE TRIGGER features_region_code
            BEFORE INSERT OR UPDATE OF geom, region_code ON features
            FOR EACH ROW EXECUTE FUNCTION rm_set_region_code();
        """
    )

    op.bulk_insert(layers, json.loads(BUILTIN_LAYERS.read_text(encoding="utf-8")))


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS features_region_code ON features")
    op.drop_index("ix_features_region_code", table_name="features")
    op.drop_index("ix_features_layer_id", table_name="features")
    op.drop_index("ix_features_layer_geom", table_name="features", postgresql_using="gist")
    op.drop_table("features")
    op.drop_index("ix_regions_geom", table_name="regions", postgresql_using="gist")
    op.drop_table("regions")
    op.drop_table("layers")
    op.execute("DROP FUNCTION IF EXISTS rm_set_region_code()")
    op.execute("DROP FUNCTION IF EXISTS rm_county_of(geometry)")
    op.execute("DROP FUNCTION IF EXISTS rm_touch_updated_at()")
