"""Subscriptions, the outbox of events and their deliveries (migration ``0014_notify_outbox``).

Events are written by database triggers in the transaction of the change that causes them
(so a rolled-back change emits nothing); a trigger on ``notify_events`` matches them against
the subscriptions and queues one delivery per (subscription, event). The worker sends them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.kernel.models import STORAGE_SRID, Base
from geo.notify.kinds import CHANNELS, DELIVERY_STATUSES, EVENT_KINDS, KINDS, LANGUAGES, MODES


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Subscription(Base):
    """What (kinds), where (regions, layers, severity, area), how (channel) and in which
    language. The target (URL or address) and the channel secret are stored encrypted; the
    feed token only as its SHA-256 digest."""

    __tablename__ = "notify_subscriptions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(Text, nullable=False)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    # NULL: everywhere the owner may see; else county/prefecture codes inside the owner's scope.
    regions: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    layers: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    min_severity: Mapped[str | None] = mapped_column(Text)
    area: Mapped[Any | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False)
    )
    due_within_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="7")
    channel: Mapped[str] = mapped_column(Text, nullable=False)
    target_enc: Mapped[str | None] = mapped_column(Text)
    target_hint: Mapped[str | None] = mapped_column(Text)
    secret_enc: Mapped[str | None] = mapped_column(Text)
    feed_token_hash: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str] = mapped_column(Text, nullable=False, server_default="zh")
    mode: Mapped[str] = mapped_column(Text, nullable=False, server_default="immediate")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    last_digest_at: Mapped[datetime] = _now()
    created_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint(
            "cardinality(kinds) > 0 AND kinds <@ ARRAY["
            + ", ".join(f"'{k}'" for k in KINDS)
            + "]::text[]",
            name="kinds",
        ),
        CheckConstraint("regions IS NULL OR cardinality(regions) > 0", name="regions_nonempty"),
        CheckConstraint("layers IS NULL OR cardinality(layers) > 0", name="layers_nonempty"),
        CheckConstraint(
            "min_severity IS NULL OR min_severity IN ('critical', 'high', 'medium', 'low')",
            name="min_severity",
        ),
        CheckConstraint("due_within_days BETWEEN 0 AND 365", name="due_within_days"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint("channel = 'atom' OR target_enc IS NOT NULL", name="target_present"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        CheckConstraint(_in("mode", MODES), name="mode"),
        Index("ix_notify_subscriptions_area", "area", postgresql_using="gist"),
    )


class NotifyEvent(Base):
    """The outbox: one row per thing that happened, written in the causing transaction."""

    __tablename__ = "notify_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    region_code: Mapped[str | None] = mapped_column(Text)
    layers: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    severity: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any | None] = mapped_column(
        Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False)
    )
    ref: Mapped[str] = mapped_column(Text, nullable=False)
    # Time-driven events (task due / overdue): task code + deadline + kind, sent once.
    dedupe_key: Mapped[str | None] = mapped_column(Text, unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)

    __table_args__ = (
        CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
        Index("ix_notify_events_at", "at"),
    )


class Delivery(Base):
    """One event (or one digest of events) for one subscription, with its retry state.
    The idempotency key is sent with every attempt, so receivers can drop repeats."""

    __tablename__ = "notify_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("notify_subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    # NULL for a digest; its items point at it through digest_id.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("notify_events.id", ondelete="CASCADE"))
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_deliveries.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    next_attempt_at: Mapped[datetime] = _now()
    idempotency_key: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index(
            "ix_notify_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_notify_deliveries_subscription", "subscription_id", "id"),
    )


class DeliveryAttempt(Base):
    """The delivery log: every try, its outcome and the receiver's status code."""

    __tablename__ = "notify_attempts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("notify_deliveries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
