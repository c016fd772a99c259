"""Field inspections and their photos.

Revision ID: 0006_inspections
Revises: 0005_edits
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_inspections"
down_revision: str | None = "0005_edits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("uuid", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("input_crs", sa.Text(), server_default="EPSG:4326", nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("violation_id", sa.BigInteger(), nullable=True),
        sa.Column("feature_id", sa.BigInteger(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("inspector_id", sa.BigInteger(), nullable=False),
        sa.Column("body_hash", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "verdict IN ('confirmed', 'not_confirmed', 'rectified', 'needs_follow_up')",
            name=op.f("ck_inspections_verdict"),
        ),
        sa.CheckConstraint(
            "accuracy_m IS NULL OR accuracy_m >= 0", name=op.f("ck_inspections_accuracy")
        ),
        sa.CheckConstraint(
            "input_crs IN ('EPSG:4326', 'GCJ02')", name=op.f("ck_inspections_input_crs")
        ),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["features.id"],
            name=op.f("fk_inspections_feature_id_features"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_inspections_inspector_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_inspections_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_inspections")),
    )
    op.create_index(
        "ix_inspections_geom", "inspections", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index("ix_inspections_violation_id", "inspections", ["violation_id"], unique=False)
    op.create_index("ix_inspections_feature_id", "inspections", ["feature_id"], unique=False)

    op.create_table(
        "inspection_photos",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("inspection_uuid", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.Column("exif_read", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/heic')",
            name=op.f("ck_inspection_photos_content_type"),
        ),
        sa.CheckConstraint(
            "sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_inspection_photos_sha256_format")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_uuid"],
            ["inspections.uuid"],
            name=op.f("fk_inspection_photos_inspection_uuid_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_photos")),
        sa.UniqueConstraint(
            "inspection_uuid", "sha256", name=op.f("uq_inspection_photos_inspection_uuid_sha256")
        ),
    )


def downgrade() -> None:
    op.drop_table("inspection_photos")
    op.drop_index("ix_inspections_feature_id", table_name="inspections")
    op.drop_index("ix_inspections_violation_id", table_name="inspections")
    op.drop_index("ix_inspections_geom", table_name="inspections", postgresql_using="gist")
    op.drop_table("inspections")
