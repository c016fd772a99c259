"""Notifications: subscriptions, the outbox of events, deliveries and their attempts.

Triggers (``geo/notify/sql/outbox.sql``) write events in the transaction of the change
that causes them, and queue the matching deliveries; the worker sends them.

Revision ID: 0014_notify_outbox
Revises: 0013_law_periods
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from geo.kernel import sqlfiles

revision: str = "0014_notify_outbox"
down_revision: str | None = "0013_law_periods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"notify/sql/outbox.sql": "6d227685d2207f88"}

KINDS = (
    "violation.new",
    "violation.reopened",
    "violation.status",
    "task.due",
    "task.overdue",
    "task.status",
    "inspection.confirmed",
    "import",
)
STATUSES = ("pending", "delivered", "dead", "digest_wait", "in_digest", "feed")
TRIGGERS = {
    "notify_events_fanout": "notify_events",
    "violation_events_notify": "violation_events",
    "task_notes_notify": "task_notes",
    "inspections_notify": "inspections",
    "features_notify_imports": "features",
}
FUNCTIONS = (
    "rm_notify_imports()",
    "rm_notify_inspections()",
    "rm_notify_task_notes()",
    "rm_notify_violation_events()",
    "rm_notify_position(geometry)",
    "rm_notify_fanout()",
    "rm_notify_deliver_to(bigint[])",
    "rm_notify_severity_rank(text)",
)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _now(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "notify_subscriptions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("layers", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("min_severity", sa.Text(), nullable=True),
        sa.Column(
            "area",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False
            ),
            nullable=True,
        ),
        sa.Column("due_within_days", sa.Integer(), server_default="7", nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("target_enc", sa.Text(), nullable=True),
        sa.Column("target_hint", sa.Text(), nullable=True),
        sa.Column("secret_enc", sa.Text(), nullable=True),
        sa.Column("feed_token_hash", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), server_default="zh", nullable=False),
        sa.Column("mode", sa.Text(), server_default="immediate", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        _now("last_digest_at"),
        _now("created_at"),
        sa.CheckConstraint(
            "cardinality(kinds) > 0 AND kinds <@ ARRAY["
            + ", ".join(f"'{k}'" for k in KINDS)
            + "]::text[]",
            name=op.f("ck_notify_subscriptions_kinds"),
        ),
        sa.CheckConstraint(
            "regions IS NULL OR cardinality(regions) > 0",
            name=op.f("ck_notify_subscriptions_regions_nonempty"),
        ),
        sa.CheckConstraint(
            "layers IS NULL OR cardinality(layers) > 0",
            name=op.f("ck_notify_subscriptions_layers_nonempty"),
        ),
        sa.CheckConstraint(
            "min_severity IS NULL OR min_severity IN ('critical', 'high', 'medium', 'low')",
            name=op.f("ck_notify_subscriptions_min_severity"),
        ),
        sa.CheckConstraint(
            "due_within_days BETWEEN 0 AND 365",
            name=op.f("ck_notify_subscriptions_due_within_days"),
        ),
        sa.CheckConstraint(
            _in("channel", ("webhook", "wecom", "dingtalk", "email", "atom")),
            name=op.f("ck_notify_subscriptions_channel"),
        ),
        sa.CheckConstraint(
            "channel = 'atom' OR target_enc IS NOT NULL",
            name=op.f("ck_notify_subscriptions_target_present"),
        ),
        sa.CheckConstraint(
            _in("language", ("zh", "en")), name=op.f("ck_notify_subscriptions_language")
        ),
        sa.CheckConstraint(
            _in("mode", ("immediate", "digest")), name=op.f("ck_notify_subscriptions_mode")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_notify_subscriptions_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_subscriptions")),
    )
    op.create_index(op.f("ix_notify_subscriptions_owner_id"), "notify_subscriptions", ["owner_id"])
    op.create_index(
        "ix_notify_subscriptions_area", "notify_subscriptions", ["area"], postgresql_using="gist"
    )

    op.create_table(
        "notify_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.func.clock_timestamp(),
            nullable=False,
        ),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column(
            "layers",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("severity", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint(_in("kind", (*KINDS, "test")), name=op.f("ck_notify_events_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notify_events_dedupe_key")),
    )
    op.create_index("ix_notify_events_at", "notify_events", ["at"])

    op.create_table(
        "notify_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("digest_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _now("next_attempt_at"),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _now("created_at"),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in("status", STATUSES), name=op.f("ck_notify_deliveries_status")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notify_deliveries_attempts")),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["notify_subscriptions.id"],
            name=op.f("fk_notify_deliveries_subscription_id_notify_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["notify_events.id"],
            name=op.f("fk_notify_deliveries_event_id_notify_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["notify_deliveries.id"],
            name=op.f("fk_notify_deliveries_digest_id_notify_deliveries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notify_deliveries_idempotency_key")),
        sa.UniqueConstraint(
            "subscription_id",
            "event_id",
            name=op.f("uq_notify_deliveries_subscription_id_event_id"),
        ),
    )
    op.create_index(op.f("ix_notify_deliveries_digest_id"), "notify_deliveries", ["digest_id"])
    op.create_index(
        "ix_notify_deliveries_due",
        "notify_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_notify_deliveries_subscription", "notify_deliveries", ["subscription_id", "id"]
    )

    op.create_table(
        "notify_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.func.clock_timestamp(),
            nullable=False,
        ),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notify_deliveries.id"],
            name=op.f("fk_notify_attempts_delivery_id_notify_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_attempts")),
    )
    op.create_index(op.f("ix_notify_attempts_delivery_id"), "notify_attempts", ["delivery_id"])
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    for trigger, table in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for fn in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_table("notify_attempts")
    op.drop_table("notify_deliveries")
    op.drop_table("notify_events")
    op.drop_table("notify_subscriptions")
