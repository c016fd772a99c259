"""Models of the edits module: the append-only audit log (see migration 0005_edits).
The row version of ``features`` (behind ETags) is declared on ``geo.kernel.models.Feature``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, Text, func
from sqlalchemy.dialects.postgresql import INT8MULTIRANGE, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.kernel.models import Base


class AuditEntry(Base):
    """One change of one row: who (``rm.actor``), when (transaction time), what, before and
    after. Written only by the ``rm_audit`` trigger; UPDATE/DELETE/TRUNCATE are refused."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    table_name: Mapped[str] = mapped_column(Text, nullable=False)
    row_id: Mapped[str] = mapped_column(Text, nullable=False)
    op: Mapped[str] = mapped_column(Text, nullable=False)
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The geometry of rows that have one, kept as geometry (exact, no GeoJSON round trip).
    before_geom: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=True
    )
    after_geom: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=True
    )

    # An IMPORT event (migration 0020): the ids of the rows one bulk import inserted.
    row_ids: Mapped[Any] = mapped_column(INT8MULTIRANGE, nullable=True)

    __table_args__ = (
        CheckConstraint("op IN ('INSERT', 'UPDATE', 'DELETE', 'BASELINE', 'IMPORT')", name="op"),
        Index("ix_audit_log_row", "table_name", "row_id", "id"),
        Index("ix_audit_log_table_at", "table_name", "at"),
        Index(
            "ix_audit_log_row_ids",
            "row_ids",
            postgresql_using="gist",
            postgresql_where="row_ids IS NOT NULL",
        ),
    )
