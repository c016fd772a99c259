"""Violations: rules as data, violations, lifecycle, events; evaluation triggers.

Revision ID: 0003_violations
Revises: 0004_progress (re-chained after merging main; no dependency on its tables)
Create Date: 2026-11-23
"""

import json
from collections.abc import Sequence
from pathlib import Path

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_violations"
down_revision: str | None = "0002_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).parent.parent / "data"
# Frozen with this revision: later changes get their own migration.
FUNCTIONS_SQL = DATA / "violations_0003.sql"
SEED_RULES = DATA / "rules_0003.json"

TRANSITIONS = [
    # from, to, action, min_role, title, title_zh
    ("detected", "confirmed", "confirm", "inspector", "Field verification: confirmed", "核查属实"),
    (
        "detected",
        "dismissed",
        "dismiss",
        "inspector",
        "Field verification: not confirmed",
        "核查不属实",
    ),
    (
        "confirmed",
        "rectifying",
        "start_rectification",
        "editor",
        "Rectification started",
        "开始整改",
    ),
    (
        "rectifying",
        "rectified",
        "complete_rectification",
        "editor",
        "Rectification done",
        "整改完成",
    ),
    ("rectified", "closed", "accept", "editor", "Accepted and closed", "验收销号"),
    ("rectified", "rectifying", "reject_acceptance", "editor", "Acceptance refused", "验收未通过"),
    (
        "closed",
        "reopened",
        "reopen",
        "inspector",
        "Re-inspection: problem recurred",
        "回头看：问题反弹",
    ),
    (
        "reopened",
        "rectifying",
        "resume_rectification",
        "editor",
        "Rectification resumed",
        "重新整改",
    ),
    (
        "dismissed",
        "detected",
        "redetect",
        "inspector",
        "Re-inspection: found after all",
        "回头看：重新认定",
    ),
]

VIOLATIONS_LAYER = {
    "name": "violations",
    "title": "Violations (overlaps with protected zones, rule breaches)",
    "title_zh": "违法违规问题图斑",
    "description": (
        "Derived by the database from the violation rules: each item is the part of a feature "
        "that breaks a rule, with its lifecycle status. Read-only here; transitions go through "
        "POST /violations/{id}/transitions."
    ),
    "kind": "derived",
    "geometry_type": "MultiPolygon",
    "restorable": False,
    "temporal_property": "detected_at",
    "sort_order": 200,
    "style": {
        "color": "#e31a1c",
        "fill_opacity": 0.6,
        "by": "severity",
        "colors": {"critical": "#99000d", "high": "#e31a1c", "medium": "#fd8d3c", "low": "#fecc5c"},
    },
    "attribute_schema": {
        "type": "object",
        "properties": {
            "status": {
                "type": "string",
                "enum": [
                    "detected",
                    "confirmed",
                    "dismissed",
                    "rectifying",
                    "rectified",
                    "closed",
                    "reopened",
                ],
                "title": "Status",
                "x-title-zh": "状态",
            },
            "severity": {
                "type": "string",
                "enum": ["critical", "high", "medium", "low"],
                "title": "Severity",
                "x-title-zh": "严重程度",
            },
            "rule_id": {"type": "integer", "title": "Rule id", "x-title-zh": "规则编号"},
            "rule_code": {"type": "string", "title": "Rule code", "x-title-zh": "规则代码"},
            "subject_collection": {
                "type": "string",
                "title": "Subject layer",
                "x-title-zh": "对象图层",
            },
            "subject_id": {"type": "integer", "title": "Subject feature id"},
            "subject_code": {"type": "string", "title": "Subject code", "x-title-zh": "对象编号"},
            "protected_collection": {
                "type": ["string", "null"],
                "title": "Protected layer",
                "x-title-zh": "保护图层",
            },
            "protected_id": {"type": ["integer", "null"], "title": "Protected feature id"},
            "protected_code": {
                "type": ["string", "null"],
                "title": "Protected code",
                "x-title-zh": "保护区编号",
            },
            "resolved": {
                "type": "boolean",
                "title": "Resolved by data (the overlap no longer exists)",
                "x-title-zh": "数据已消除",
            },
            "detected_at": {
                "type": "string",
                "format": "date",
                "title": "Detected",
                "x-title-zh": "发现日期",
            },
        },
    },
}


def upgrade() -> None:
    op.drop_constraint(op.f("ck_layers_kind"), "layers", type_="check")
    op.create_check_constraint(
        op.f("ck_layers_kind"), "layers", "kind IN ('feature', 'reference', 'derived')"
    )

    rules = op.create_table(
        "violation_rules",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), server_default="overlap", nullable=False),
        sa.Column("subject_layer", sa.Text(), nullable=False),
        sa.Column(
            "subject_filter",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("protected_layer", sa.Text(), nullable=True),
        sa.Column(
            "protected_filter",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("predicate", sa.Text(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("min_area_m2", sa.Float(), server_default="0", nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("legal_basis_zh", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "code ~ '^[A-Z0-9][A-Z0-9_.-]{1,62}$'", name=op.f("ck_violation_rules_code_format")
        ),
        sa.CheckConstraint(
            "kind IN ('overlap', 'attribute')", name=op.f("ck_violation_rules_kind")
        ),
        sa.CheckConstraint(
            "(kind = 'overlap' AND protected_layer IS NOT NULL AND predicate IS NOT NULL) OR "
            "(kind = 'attribute' AND protected_layer IS NULL AND predicate IS NULL)",
            name=op.f("ck_violation_rules_kind_fields"),
        ),
        sa.CheckConstraint(
            "predicate IN ('intersects', 'dwithin')", name=op.f("ck_violation_rules_predicate")
        ),
        sa.CheckConstraint(
            "predicate IS DISTINCT FROM 'dwithin' OR distance_m > 0",
            name=op.f("ck_violation_rules_dwithin_distance"),
        ),
        sa.CheckConstraint(
            "distance_m IS NULL OR distance_m <= 100000",
            name=op.f("ck_violation_rules_distance_range"),
        ),
        sa.CheckConstraint("min_area_m2 >= 0", name=op.f("ck_violation_rules_min_area")),
        sa.CheckConstraint(
            "severity IN ('critical', 'high', 'medium', 'low')",
            name=op.f("ck_violation_rules_severity"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(subject_filter) = 'object'",
            name=op.f("ck_violation_rules_subject_filter_object"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(protected_filter) = 'object'",
            name=op.f("ck_violation_rules_protected_filter_object"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation_rules")),
        sa.UniqueConstraint("code", name=op.f("uq_violation_rules_code")),
    )

    op.create_table(
        "violations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("rule_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_layer", sa.Text(), nullable=False),
        sa.Column("subject_code", sa.Text(), nullable=False),
        sa.Column("protected_id", sa.BigInteger(), nullable=True),
        sa.Column("protected_layer", sa.Text(), nullable=True),
        sa.Column("protected_code", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("share_of_subject", sa.Float(), nullable=True),
        sa.Column("share_of_protected", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="detected", nullable=False),
        sa.Column(
            "detected_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "status_changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('detected', 'confirmed', 'dismissed', 'rectifying', 'rectified', "
            "'closed', 'reopened')",
            name=op.f("ck_violations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["violation_rules.id"],
            name=op.f("fk_violations_rule_id_violation_rules"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violations")),
        sa.UniqueConstraint(
            "rule_id",
            "subject_id",
            "protected_id",
            name=op.f("uq_violations_rule_id_subject_id_protected_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index("ix_violations_geom", "violations", ["geom"], postgresql_using="gist")
    op.create_index("ix_violations_status", "violations", ["status"])
    op.create_index("ix_violations_region_code", "violations", ["region_code"])
    op.create_index("ix_violations_subject_id", "violations", ["subject_id"])
    op.create_index("ix_violations_protected_id", "violations", ["protected_id"])

    transitions = op.create_table(
        "violation_transitions",
        sa.Column("from_status", sa.Text(), nullable=False),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("min_role", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "min_role IN ('inspector', 'editor', 'admin')",
            name=op.f("ck_violation_transitions_min_role"),
        ),
        sa.PrimaryKeyConstraint("from_status", "to_status", name=op.f("pk_violation_transitions")),
    )

    op.create_table(
        "violation_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("violation_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("cause_actor", sa.Text(), nullable=True),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.func.clock_timestamp(),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["violation_id"],
            ["violations.id"],
            name=op.f("fk_violation_events_violation_id_violations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation_events")),
    )
    op.create_index(op.f("ix_violation_events_violation_id"), "violation_events", ["violation_id"])

    for table in ("violation_rules", "violations"):
        op.execute(
            f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at()"
        )
    op.execute(FUNCTIONS_SQL.read_text(encoding="utf-8"))

    op.bulk_insert(
        transitions,
        [
            dict(
                zip(
                    ("from_status", "to_status", "action", "min_role", "title", "title_zh"),
                    t,
                    strict=True,
                )
            )
            for t in TRANSITIONS
        ],
    )
    seed = json.loads(SEED_RULES.read_text(encoding="utf-8"))
    op.bulk_insert(rules, [{"enabled": True, **r} for r in seed])
    op.bulk_insert(
        sa.table(
            "layers",
            *(sa.column(c) for c in VIOLATIONS_LAYER if c not in ("style", "attribute_schema")),
            sa.column("style", postgresql.JSONB),
            sa.column("attribute_schema", postgresql.JSONB),
        ),
        [VIOLATIONS_LAYER],
    )


def downgrade() -> None:
    op.execute("DELETE FROM layers WHERE name = 'violations'")
    for trig, table in (
        ("features_violations_ins", "features"),
        ("features_violations_upd", "features"),
        ("features_violations_del", "features"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trig} ON {table}")
    op.drop_index(op.f("ix_violation_events_violation_id"), table_name="violation_events")
    op.drop_table("violation_events")
    op.drop_table("violation_transitions")
    for name in ("protected_id", "subject_id", "region_code", "status"):
        op.drop_index(f"ix_violations_{name}", table_name="violations")
    op.drop_index("ix_violations_geom", table_name="violations", postgresql_using="gist")
    op.drop_table("violations")
    op.drop_table("violation_rules")
    for fn in (
        "rm_events_append_only()",
        "rm_rules_changed()",
        "rm_features_deleted()",
        "rm_features_updated()",
        "rm_features_inserted()",
        "rm_evaluate(bigint[], text[], bigint[])",
        "rm_violation_geom(geometry, geometry, text, float8)",
        "rm_expand_m(geometry, double precision)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_constraint(op.f("ck_layers_kind"), "layers", type_="check")
    op.create_check_constraint(op.f("ck_layers_kind"), "layers", "kind IN ('feature', 'reference')")
