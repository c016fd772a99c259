"""The campaign's structure (migration ``0016_campaign_structure``): problems of the reports'
lists, the numbered measures of each task with their quantities, sign-offs and reopenings,
and the reports' accountability, petition, compensation and disclosure records.

Tasks themselves are ``rectification_tasks`` (geo.progress); a task points to its problem.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.campaign.vocab import QUANTITY_KINDS, RECORD_KINDS, SIGNOFF_STEPS
from geo.kernel.models import Base


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Problem(Base):
    """A problem (问题) of a report's list, under its aspect (方面) where the report has them."""

    __tablename__ = "campaign_problems"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    report: Mapped[str] = mapped_column(Text, nullable=False)
    party: Mapped[str] = mapped_column(Text, nullable=False)
    round: Mapped[str] = mapped_column(Text, nullable=False)
    aspect_no: Mapped[int | None] = mapped_column(Integer)
    aspect_label: Mapped[str | None] = mapped_column(Text)
    aspect_title: Mapped[str | None] = mapped_column(Text)
    no: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(Text, nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    charged_places: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default="{}"
    )
    charged_regions: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default="{}"
    )

    __table_args__ = (UniqueConstraint("party", "no"),)


class Measure(Base):
    """A numbered measure (整改措施) of a task's progress text, verbatim; ``no`` is the
    report's number (NULL when the text does not number its paragraphs)."""

    __tablename__ = "campaign_measures"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_tasks.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    no: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    places: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    units: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")

    __table_args__ = (UniqueConstraint("task_id", "position"),)


class Quantity(Base):
    """A planned or done quantity a measure states, with its unit and clause."""

    __tablename__ = "measure_quantities"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    measure_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_measures.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    unit: Mapped[str] = mapped_column(Text, nullable=False)
    item: Mapped[str | None] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (CheckConstraint(_in("kind", QUANTITY_KINDS), name="kind"),)


class Signoff(Base):
    """A step of a task's sign-off (验收销号): accepted (evidence and an accepting unit
    required) or reopened (the finding required). Append-only: the history is the rows."""

    __tablename__ = "task_signoffs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_tasks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    step: Mapped[str] = mapped_column(Text, nullable=False)
    event_date: Mapped[date] = mapped_column(Date, nullable=False)
    accepting_unit: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default="[]"
    )
    finding: Mapped[str | None] = mapped_column(Text)
    # The task's region, so the database's scope trigger applies to sign-offs too.
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint(_in("step", SIGNOFF_STEPS), name="step"),
        CheckConstraint(
            "step <> 'accepted' OR (accepting_unit IS NOT NULL"
            " AND jsonb_typeof(evidence) = 'array' AND jsonb_array_length(evidence) > 0)",
            name="accepted_needs_evidence",
        ),
        CheckConstraint("step <> 'reopened' OR finding IS NOT NULL", name="reopened_finding"),
    )


class Record(Base):
    """A figure the reports give on accountability, petitions, compensation, disclosure or a
    premature closure, linked to its problem when the report links it, with its quote."""

    __tablename__ = "campaign_records"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    ref: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    report: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    party: Mapped[str] = mapped_column(Text, nullable=False)
    problem_code: Mapped[str | None] = mapped_column(
        ForeignKey("campaign_problems.code", ondelete="SET NULL")
    )
    place: Mapped[str | None] = mapped_column(Text)
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default="{}")
    record_date: Mapped[str | None] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (CheckConstraint(_in("kind", RECORD_KINDS), name="kind"),)
