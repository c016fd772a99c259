"""Database models. The Alembic migrations are the source of truth for the schema;
``tests/migrations/test_migrations.py`` proves these models and the migrations agree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Every layer is stored in this one SRID (WGS 84 lon/lat): GeoJSON leaves the database
# without a transform. CGCS2000 (EPSG:4490) input is accepted; the two datums agree to
# well under a metre, which is what EPSG's own 4490→4326 transformation assumes.
STORAGE_SRID = 4326

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def sql_in(column: str, values: Iterable[str]) -> str:
    """``column IN ('a', 'b')`` for a CHECK constraint built from a vocabulary (DDL takes no
    bound values; the values are the vocabulary's constants, never input)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Layer(Base):
    """A registered layer: layers are data, so an operator can add one without code."""

    __tablename__ = "layers"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    title_zh: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    # 'feature' layers live in the features table; 'reference' layers (regions) elsewhere;
    # 'derived' collections are computed by the database (violations).
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="feature")
    geometry_type: Mapped[str] = mapped_column(Text, nullable=False)
    # JSON Schema of the properties; also what /queryables publishes.
    attribute_schema: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    style: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    temporal_property: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    restorable: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, server_default="100")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        CheckConstraint("name ~ '^[a-z][a-z0-9_]{1,62}$'", name="name_format"),
        CheckConstraint("kind IN ('feature', 'reference', 'derived')", name="kind"),
        CheckConstraint(
            "geometry_type IN ('Point', 'MultiPoint', 'LineString', 'MultiLineString', "
            "'Polygon', 'MultiPolygon')",
            name="geometry_type",
        ),
    )


class Region(Base):
    """Administrative divisions (GB/T 2260 codes): the region, prefectures, counties."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text, nullable=False)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    geom: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{6}$'", name="code_format"),
        CheckConstraint("level IN ('region', 'prefecture', 'county')", name="level"),
        Index("ix_regions_geom", "geom", postgresql_using="gist"),
    )


class Feature(Base):
    """A feature of any feature layer. Attributes are JSONB validated against the layer's
    schema; the county code is kept right by a trigger (see the first migration)."""

    __tablename__ = "features"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    layer: Mapped[str] = mapped_column(
        ForeignKey("layers.name", onupdate="CASCADE", ondelete="RESTRICT"), nullable=False
    )
    code: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    geom: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    # True ground area on the WGS 84 ellipsoid, kept by PostgreSQL itself.
    area_m2: Mapped[float | None] = mapped_column(
        Float, Computed("ST_Area(geom::geography)", persisted=True)
    )
    source: Mapped[str | None] = mapped_column(Text)
    # Illustrative sample data (geo.samples), never a surveyed fact: every output says so.
    sample: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # Row version behind ETags, bumped by a trigger on every UPDATE (migration 0005_edits).
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="1")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        UniqueConstraint("layer", "code"),
        CheckConstraint("jsonb_typeof(properties) = 'object'", name="properties_object"),
        CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid"),
        # One GiST index on (geom, layer) serves every "this layer near that shape" query.
        # Geometry first: the tree splits by space and the layer is checked in the index; a
        # probe visits 5-15x fewer pages than with (layer, geom) (migration 0021, BENCHMARKS.md).
        Index("ix_features_geom_layer", "geom", "layer", postgresql_using="gist"),
        Index("ix_features_layer_id", "layer", "id"),
        Index("ix_features_region_code", "region_code"),
    )


class User(Base):
    """A person or system that writes. Roles rank viewer < inspector < editor < admin;
    ``regions`` (county or prefecture codes) limits where they may write; NULL = everywhere."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    regions: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'inspector', 'editor', 'admin')", name="role"),
    )


class ApiKey(Base):
    """API keys are stored as SHA-256 digests (they are long random secrets, so a fast hash
    is enough); the short prefix finds the row without scanning."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    prefix: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(Text, nullable=False)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RegionPart(Base):
    """County boundaries cut into small pieces (ST_Subdivide), kept by a trigger on regions:
    finding the county of a point probes a few hundred-vertex pieces instead of a polygon of
    thousands of vertices, which is what every feature write and import does."""

    __tablename__ = "region_parts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    code: Mapped[str] = mapped_column(
        ForeignKey("regions.code", ondelete="CASCADE"), nullable=False, index=True
    )
    geom: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )

    __table_args__ = (Index("ix_region_parts_geom", "geom", postgresql_using="gist"),)


class DataVersion(Base):
    """A change counter per collection, bumped by triggers (migration 0010): what the tile
    cache keys on, so it can never serve a tile older than its data."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    changed_at: Mapped[datetime] = _updated()


class FeatureGeneralised(Base):
    """Every feature's geometry in EPSG:3857 simplified for a band of tile zooms, kept by
    statement-level triggers on features (geo/tiles/sql/generalised.sql): low-zoom tiles read
    these instead of simplifying full geometries per request.

    Partitioned by band (one table per band zoom, migration 0026); each row carries its
    feature's layer and full-geometry envelope, so a tile picks its rows from its band alone."""

    __tablename__ = "feature_generalised"

    feature_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    layer: Mapped[str] = mapped_column(Text, nullable=False)
    # ST_Envelope of the feature's geometry (EPSG:4326): `env && box` iff `geom && box`.
    env: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    geom: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=3857, spatial_index=False), nullable=False
    )

    __table_args__ = (
        Index("ix_feature_generalised_env_layer", "env", "layer", postgresql_using="gist"),
        {"postgresql_partition_by": "LIST (band)"},
    )
