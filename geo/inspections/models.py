"""Field inspections and their photos (migration ``0006_inspections``).

An inspection is keyed by a UUID the client generates, so a form queued offline and sent
twice is stored once. Photos live on disk, named by their SHA-256; rows keep the metadata.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from geo.kernel.models import STORAGE_SRID, Base, sql_in

# What an inspector found on site (核查): 属实 / 不属实 / 已整改 / 需跟进. The request schema,
# the form of the map page and the CHECK constraint all read this one tuple.
VERDICTS: tuple[str, ...] = ("confirmed", "not_confirmed", "rectified", "needs_follow_up")


class Inspection(Base):
    __tablename__ = "inspections"

    uuid: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # WGS 84; a GCJ-02 position sent by a phone is converted before it is stored.
    geom: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    input_crs: Mapped[str] = mapped_column(Text, nullable=False, server_default="EPSG:4326")
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    verdict: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    # The violations table belongs to another module: a plain id, not a foreign key.
    violation_id: Mapped[int | None] = mapped_column(BigInteger)
    feature_id: Mapped[int | None] = mapped_column(ForeignKey("features.id", ondelete="SET NULL"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # SHA-256 of the canonical request body: the same body again is the same inspection.
    body_hash: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint(sql_in("verdict", VERDICTS), name="verdict"),
        CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0", name="accuracy"),
        CheckConstraint("input_crs IN ('EPSG:4326', 'GCJ02')", name="input_crs"),
        Index("ix_inspections_geom", "geom", postgresql_using="gist"),
        Index("ix_inspections_violation_id", "violation_id"),
        Index("ix_inspections_feature_id", "feature_id"),
    )


class InspectionPhoto(Base):
    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    inspection_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspections.uuid", ondelete="CASCADE"), nullable=False
    )
    sha256: Mapped[str] = mapped_column(Text, nullable=False)
    content_type: Mapped[str] = mapped_column(Text, nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    filename: Mapped[str | None] = mapped_column(Text)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom: Mapped[Any | None] = mapped_column(
        Geometry("POINT", srid=STORAGE_SRID, spatial_index=False)
    )
    exif_read: Mapped[bool] = mapped_column(nullable=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        UniqueConstraint("inspection_uuid", "sha256"),
        CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/heic')", name="content_type"
        ),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_format"),
    )
