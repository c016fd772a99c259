"""Violation rules, violations and their lifecycle events (migration ``0003_violations``).

Rules are data: a subject layer, an optional protected layer, JSONB containment filters on
both sides, a predicate, a sliver threshold, a severity and a legal basis. The database
evaluates them (``rm_evaluate`` and the statement-level triggers on ``features``, see the
migration); Python never loops over features to find violations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from geo.kernel.models import STORAGE_SRID, Base, sql_in
from geo.violations.vocab import SEVERITIES, STATUSES


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class ViolationRule(Base):
    """One rule. ``kind='overlap'``: subject features that intersect (or lie within
    ``distance_m`` of) protected features; ``kind='attribute'``: subject features whose
    attributes alone break the rule (e.g. grassland occupied without approval)."""

    __tablename__ = "violation_rules"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    code: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    name_zh: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, nullable=False, server_default="overlap")
    # Layer names are not foreign keys: a rule may name a layer an operator registers later
    # (art. 64 names `sewage_outlets`); such a rule matches nothing until the layer exists.
    subject_layer: Mapped[str] = mapped_column(Text, nullable=False)
    subject_filter: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    protected_layer: Mapped[str | None] = mapped_column(Text)
    protected_filter: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    predicate: Mapped[str | None] = mapped_column(Text)
    distance_m: Mapped[float | None] = mapped_column(Float)
    min_area_m2: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
    severity: Mapped[str] = mapped_column(Text, nullable=False)
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False)
    legal_basis_zh: Mapped[str] = mapped_column(Text, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    # The legal text (migration 0013_law_periods): a rule is one version of a prohibition
    # (`family`), judged only for detection dates within valid_from..valid_to (inclusive).
    family: Mapped[str] = mapped_column(Text, nullable=False)
    law_title: Mapped[str | None] = mapped_column(Text)
    law_issuer: Mapped[str | None] = mapped_column(Text)
    law_doc_number: Mapped[str | None] = mapped_column(Text)
    law_article: Mapped[str | None] = mapped_column(Text)
    # The public source the citation was checked against, and whether the article was seen.
    law_source: Mapped[str | None] = mapped_column(Text)
    law_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # The rule does not apply inside features of this layer (another law governs there).
    outside_layer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    # Project types the rule judges in a site check (geo/violations/project_types.py).
    applies_to: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )

    __table_args__ = (
        CheckConstraint("code ~ '^[A-Z0-9][A-Z0-9_.-]{1,62}$'", name="code_format"),
        CheckConstraint("family ~ '^[A-Z0-9][A-Z0-9_.-]{1,62}$'", name="family_format"),
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="valid_period"
        ),
        ExcludeConstraint(
            ("family", "="),
            (text("daterange(valid_from, valid_to, '[]')"), "&&"),
            name="ex_violation_rules_versions",
            using="gist",
        ),
        CheckConstraint("kind IN ('overlap', 'attribute')", name="kind"),
        CheckConstraint(
            "(kind = 'overlap' AND protected_layer IS NOT NULL AND predicate IS NOT NULL) OR "
            "(kind = 'attribute' AND protected_layer IS NULL AND predicate IS NULL)",
            name="kind_fields",
        ),
        CheckConstraint("predicate IN ('intersects', 'dwithin')", name="predicate"),
        CheckConstraint(
            "predicate IS DISTINCT FROM 'dwithin' OR distance_m > 0", name="dwithin_distance"
        ),
        CheckConstraint("distance_m IS NULL OR distance_m <= 100000", name="distance_range"),
        CheckConstraint("min_area_m2 >= 0", name="min_area"),
        CheckConstraint(sql_in("severity", SEVERITIES), name="severity"),
        CheckConstraint("jsonb_typeof(subject_filter) = 'object'", name="subject_filter_object"),
        CheckConstraint(
            "jsonb_typeof(protected_filter) = 'object'", name="protected_filter_object"
        ),
        CheckConstraint(
            "applies_to <@ ARRAY['road', 'pipeline', 'mine', 'sand_quarry', 'farmland', "
            "'building', 'tourism', 'water_supply', 'sewage_outlet', 'other']::text[]",
            name="applies_to_known",
        ),
    )


class Violation(Base):
    """A (rule, subject feature, protected feature) that breaks the rule, with its overlap.
    Never deleted: when the data stops breaking the rule, ``resolved_at`` is set."""

    __tablename__ = "violations"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("violation_rules.id", ondelete="RESTRICT"), nullable=False
    )
    # Feature ids and codes are kept (not foreign keys) so the record outlives the feature.
    subject_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    subject_layer: Mapped[str] = mapped_column(Text, nullable=False)
    subject_code: Mapped[str] = mapped_column(Text, nullable=False)
    protected_id: Mapped[int | None] = mapped_column(BigInteger)
    protected_layer: Mapped[str | None] = mapped_column(Text)
    protected_code: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    area_m2: Mapped[float] = mapped_column(Float, nullable=False)
    share_of_subject: Mapped[float | None] = mapped_column(Float)
    share_of_protected: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(Text, nullable=False)
    region_code: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="detected")
    detected_at: Mapped[datetime] = _now()
    # The date the rule version was chosen for (the subject's detected_on, else evaluation).
    detected_on: Mapped[date] = mapped_column(
        Date, nullable=False, server_default=text("CURRENT_DATE")
    )
    # Sample data: the subject or the protected feature is illustrative, not surveyed.
    sample: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    status_changed_at: Mapped[datetime] = _now()
    # Set when the data no longer breaks the rule (resolved by data); cleared on re-detection.
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        UniqueConstraint(
            "rule_id", "subject_id", "protected_id", postgresql_nulls_not_distinct=True
        ),
        CheckConstraint(sql_in("status", STATUSES), name="status"),
        Index("ix_violations_geom", "geom", postgresql_using="gist"),
        Index("ix_violations_status", "status"),
        Index("ix_violations_region_code", "region_code"),
        Index("ix_violations_subject_id", "subject_id"),
        Index("ix_violations_protected_id", "protected_id"),
        # The overlap stored for a (subject, protected) pair: /overlaps reads it (migration 0021).
        Index(
            "ix_violations_live_pair",
            "subject_id",
            "protected_id",
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )


class FeaturePart(Base):
    """The ST_Subdivide pieces (at most rm_parts_max_vertices() vertices) of every feature of a
    protected layer with more vertices than that, kept by statement-level triggers on features
    and violation_rules (geo/violations/sql/parts.sql): /overlaps tests a subject against the
    few pieces near it instead of the whole zone (geo/violations/overlap_plan.py)."""

    __tablename__ = "feature_parts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    feature_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    layer: Mapped[str] = mapped_column(Text, nullable=False)
    geom: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )


class ViolationTransition(Base):
    """The lifecycle as data: which status may follow which, by which action and role."""

    __tablename__ = "violation_transitions"

    from_status: Mapped[str] = mapped_column(Text, primary_key=True)
    to_status: Mapped[str] = mapped_column(Text, primary_key=True)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    min_role: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    title_zh: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        CheckConstraint("min_role IN ('inspector', 'editor', 'admin')", name="min_role"),
    )


class ViolationEvent(Base):
    """Append-only history of a violation (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "violation_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    violation_id: Mapped[int] = mapped_column(
        ForeignKey("violations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    action: Mapped[str] = mapped_column(Text, nullable=False)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text, nullable=False)
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    # For events the database writes by itself (actor 'system'): whose edit caused them.
    cause_actor: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )
    note: Mapped[str | None] = mapped_column(Text)
    # Evidence references: photo ids/URLs with position and time, documents (free JSON).
    evidence: Mapped[Any | None] = mapped_column(JSONB)
