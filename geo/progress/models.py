"""Restoration records and rectification tasks (issue #4, migration ``0004_progress``).

Both histories are append-only: a restoration event or a task note is never updated; the state
"as of" a date is the last event (note) dated on or before it. The tables carry no current-state
columns, so there is one source of truth and nothing to keep in step.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.kernel.models import Base
from geo.progress.vocab import (
    DEADLINE_KINDS,
    FUNDING,
    NO_DATE,
    NOTE_KINDS,
    PRECISIONS,
    RESTORATION_STATUSES,
    TASK_STATUSES,
    sql_in,
)


class RestorationRecord(Base):
    """One per restorable feature (一坑一方案: one plan per pit); its values live in events."""

    __tablename__ = "restoration_records"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class RestorationEvent(Base):
    """A change of a restoration record: who, when, why, evidence, and every value after it."""

    __tablename__ = "restoration_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("restoration_records.id", ondelete="CASCADE"), nullable=False
    )
    event_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    target_area_ha: Mapped[float | None] = mapped_column(Float)
    restored_area_ha: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    plan_ref: Mapped[str | None] = mapped_column(Text)
    funding: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    responsible_unit: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    evidence_ref: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    # The user's id when written through the API (no foreign key: history outlives users).
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint(sql_in("status", RESTORATION_STATUSES), name="status"),
        CheckConstraint(f"funding IS NULL OR {sql_in('funding', FUNDING)}", name="funding"),
        CheckConstraint("restored_area_ha >= 0", name="restored_nonnegative"),
        CheckConstraint("target_area_ha IS NULL OR target_area_ha >= 0", name="target_nonnegative"),
        CheckConstraint(
            "target_area_ha IS NULL OR restored_area_ha <= target_area_ha + 0.005",
            name="restored_within_target",
        ),
        Index("ix_restoration_events_record_date", "record_id", "event_date", "id"),
        Index("ix_restoration_events_event_date", "event_date"),
    )


class RectificationTask(Base):
    """A rectification task (整改任务) of an inspection round; its status lives in notes."""

    __tablename__ = "rectification_tasks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    problem: Mapped[str | None] = mapped_column(Text)
    round: Mapped[str] = mapped_column(Text, nullable=False)
    party: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_kind: Mapped[str] = mapped_column(Text, nullable=False)
    deadline_text: Mapped[str | None] = mapped_column(Text)
    lead_unit: Mapped[str | None] = mapped_column(Text)
    responsible_units: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default="{}"
    )
    units_note: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    # The problem the task belongs to (0016_campaign_structure) and who must act: the places the
    # texts charge, verbatim, and the codes of those with a boundary here.
    problem_code: Mapped[str | None] = mapped_column(
        ForeignKey("campaign_problems.code", ondelete="SET NULL")
    )
    charged_places: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default="{}"
    )
    charged_regions: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default="{}"
    )
    progress_text: Mapped[str | None] = mapped_column(Text)
    source: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint(sql_in("deadline_kind", DEADLINE_KINDS), name="deadline_kind"),
        CheckConstraint(
            f"(deadline_kind = '{NO_DATE}') = (deadline IS NULL)", name="deadline_present"
        ),
        Index("ix_rectification_tasks_region_code", "region_code"),
    )


class TaskNote(Base):
    """Progress of a task over time; ``status`` NULL means a note without a status change."""

    __tablename__ = "task_notes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_tasks.id", ondelete="CASCADE"), nullable=False
    )
    note_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    remark: Mapped[str | None] = mapped_column(Text)
    evidence_ref: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    # What the note is, and how exactly the text dates it: note_date is the day by which the
    # fact is certain (the end of the month a "2022年6月" names), date_text the date as given.
    kind: Mapped[str | None] = mapped_column(Text)
    date_precision: Mapped[str | None] = mapped_column(Text)
    date_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(f"status IS NULL OR {sql_in('status', TASK_STATUSES)}", name="status"),
        CheckConstraint(f"kind IS NULL OR {sql_in('kind', NOTE_KINDS)}", name="kind"),
        CheckConstraint(
            f"date_precision IS NULL OR {sql_in('date_precision', PRECISIONS)}", name="precision"
        ),
        Index("ix_task_notes_task_date", "task_id", "note_date", "id"),
    )


class TaskFeature(Base):
    __tablename__ = "task_features"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    feature_id: Mapped[int] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TaskViolation(Base):
    """A task covers a violation (foreign key added by migration 0007_integration)."""

    __tablename__ = "task_violations"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    violation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("violations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
