"""Law with dates: rules carry their legal text and period of force; violations the date
they were judged on and whether they come from sample data.

- violation_rules: family (the prohibition, shared by its versions), law_title, law_issuer,
  law_doc_number, law_article, law_source (the public source checked), law_verified,
  valid_from/valid_to (versions of a family never overlap), outside_layer.
- violations: detected_on (the rule version in force that day judged it), sample.
- features: sample (illustrative data, said so in every output).
- the rules corrected and added (migrations/data/rules_0013.json), the water_works layer,
  and an optional detected_on attribute on mining pits and grassland occupations.
- rm_evaluate picks the version in force (geo/violations/sql/evaluate.sql).

Large tables: one UPDATE marks the sample features of ``features`` (source 'sample…') and
one sets ``detected_on``/``sample`` on every row of ``violations``; each is a single statement
(row versions bump, the audit log records the sample marking). On the ledgers in service
these tables were small; on a large one, budget the time of a bulk update of those rows.

Revision ID: 0013_law_periods
Revises: 0012_region_rule
Create Date: 2026-12-03
"""

import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from geo.kernel import sqlfiles

revision: str = "0013_law_periods"
down_revision: str | None = "0012_region_rule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"violations/sql/evaluate.sql": "2585dbc71c1d6280"}
DATA = Path(__file__).parent.parent / "data"
RULES = DATA / "rules_0013.json"
OLD_RULES = DATA / "rules_0003.json"
# The evaluate.sql that 0011 ran (frozen: the file now holds the new one).
PREVIOUS_SQL = DATA / "evaluate_0012.sql"
WATER_WORKS = DATA / "water_works_0013.json"
DETECTED_ON = {
    "type": ["string", "null"],
    "format": "date",
    "pattern": r"^\d{4}-\d{2}-\d{2}$",
    "title": "Detected on (the rule in force that day applies)",
    "x-title-zh": "发现日期",
}
SUBJECT_LAYERS = ("mining_pits", "grassland_occupations")
RULE_COLUMNS = [
    "code",
    "family",
    "name",
    "name_zh",
    "kind",
    "subject_layer",
    "subject_filter",
    "protected_layer",
    "protected_filter",
    "predicate",
    "distance_m",
    "min_area_m2",
    "severity",
    "legal_basis",
    "legal_basis_zh",
    "notes",
    "enabled",
    "law_title",
    "law_issuer",
    "law_doc_number",
    "law_article",
    "law_source",
    "law_verified",
    "valid_from",
    "valid_to",
    "outside_layer",
]


def _columns() -> None:
    # Every column first: 0011 runs the current evaluate.sql, whose functions (fired by the
    # triggers of the UPDATEs below) read them.
    op.add_column(
        "violations",
        sa.Column("detected_on", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=False),
    )
    op.add_column(
        "violations", sa.Column("sample", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column(
        "features", sa.Column("sample", sa.Boolean(), server_default="false", nullable=False)
    )
    for name in ("law_title", "law_issuer", "law_doc_number", "law_article", "law_source"):
        op.add_column("violation_rules", sa.Column(name, sa.Text(), nullable=True))
    op.add_column(
        "violation_rules",
        sa.Column("law_verified", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column("violation_rules", sa.Column("valid_from", sa.Date(), nullable=True))
    op.add_column("violation_rules", sa.Column("valid_to", sa.Date(), nullable=True))
    op.add_column("violation_rules", sa.Column("outside_layer", sa.Text(), nullable=True))
    op.add_column("violation_rules", sa.Column("family", sa.Text(), nullable=True))
    op.execute("UPDATE violation_rules SET family = code")
    op.alter_column("violation_rules", "family", nullable=False)
    op.create_check_constraint(
        "family_format", "violation_rules", "family ~ '^[A-Z0-9][A-Z0-9_.-]{1,62}$'"
    )
    op.create_check_constraint(
        "valid_period",
        "violation_rules",
        "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
    )
    op.execute(
        "ALTER TABLE violation_rules ADD CONSTRAINT ex_violation_rules_versions"
        " EXCLUDE USING gist (family WITH =, daterange(valid_from, valid_to, '[]') WITH &&)"
    )


def _rules() -> None:
    conn = op.get_bind()
    rules = json.loads(RULES.read_text(encoding="utf-8"))
    old = {r["code"] for r in json.loads(OLD_RULES.read_text(encoding="utf-8"))}
    # Existing rules narrow to their period first, so the new versions fit beside them.
    for rule in sorted(rules, key=lambda r: r["code"] not in old):
        values = {c: rule.get(c) for c in RULE_COLUMNS}
        for c in ("subject_filter", "protected_filter"):
            values[c] = json.dumps(values[c] or {})
        exists = conn.execute(
            sa.text("SELECT 1 FROM violation_rules WHERE code = :code"), {"code": rule["code"]}
        ).first()
        cast = {
            c: f"CAST(:{c} AS jsonb)"
            if c.endswith("_filter")
            else f"CAST(:{c} AS date)"
            if c.startswith("valid_")
            else f":{c}"
            for c in RULE_COLUMNS
        }
        if exists:
            sets = ", ".join(f"{c} = {cast[c]}" for c in RULE_COLUMNS if c != "code")
            conn.execute(sa.text(f"UPDATE violation_rules SET {sets} WHERE code = :code"), values)
        else:
            conn.execute(
                sa.text(
                    f"INSERT INTO violation_rules ({', '.join(RULE_COLUMNS)})"
                    f" VALUES ({', '.join(cast[c] for c in RULE_COLUMNS)})"
                ),
                values,
            )


def _layers() -> None:
    conn = op.get_bind()
    layer = json.loads(WATER_WORKS.read_text(encoding="utf-8"))
    conn.execute(
        sa.text(
            "INSERT INTO layers (name, title, title_zh, description, kind, geometry_type,"
            " attribute_schema, style, temporal_property, restorable, sort_order)"
            " VALUES (:name, :title, :title_zh, :description, :kind, :geometry_type,"
            " CAST(:attribute_schema AS jsonb), CAST(:style AS jsonb), :temporal_property,"
            " :restorable, :sort_order) ON CONFLICT (name) DO NOTHING"
        ),
        {
            **layer,
            "attribute_schema": json.dumps(layer["attribute_schema"]),
            "style": json.dumps(layer["style"]),
        },
    )
    conn.execute(
        sa.text(
            "UPDATE layers SET attribute_schema = jsonb_set(attribute_schema,"
            " '{properties,detected_on}', CAST(:p AS jsonb)) WHERE name = ANY(:names)"
        ),
        {"p": json.dumps(DETECTED_ON), "names": list(SUBJECT_LAYERS)},
    )


def upgrade() -> None:
    _columns()
    op.execute("UPDATE features SET sample = true WHERE source LIKE 'sample%'")
    op.execute(
        "UPDATE violations v SET detected_on = (v.detected_at AT TIME ZONE 'Asia/Shanghai')::date,"
        " sample = EXISTS (SELECT 1 FROM features f WHERE f.sample"
        " AND f.id IN (v.subject_id, v.protected_id))"
    )
    sqlfiles.run(op.execute, *SQL_FILES)
    _layers()
    _rules()


def downgrade() -> None:
    conn = op.get_bind()
    old = {r["code"] for r in json.loads(OLD_RULES.read_text(encoding="utf-8"))}
    # The new rule versions go with their violations (history of a rule that no longer
    # exists); the append-only guard is lifted for this one statement.
    op.execute("ALTER TABLE violation_events DISABLE TRIGGER violation_events_append_only")
    conn.execute(
        sa.text(
            "DELETE FROM violation_events WHERE violation_id IN (SELECT v.id FROM violations v"
            " JOIN violation_rules r ON r.id = v.rule_id WHERE NOT r.code = ANY(:old))"
        ),
        {"old": sorted(old)},
    )
    op.execute("ALTER TABLE violation_events ENABLE TRIGGER violation_events_append_only")
    conn.execute(
        sa.text(
            "DELETE FROM violations WHERE rule_id IN"
            " (SELECT id FROM violation_rules WHERE NOT code = ANY(:old))"
        ),
        {"old": sorted(old)},
    )
    conn.execute(
        sa.text("DELETE FROM violation_rules WHERE NOT code = ANY(:old)"), {"old": sorted(old)}
    )
    op.execute(PREVIOUS_SQL.read_text(encoding="utf-8"))
    op.execute("DROP FUNCTION rm_minus_layer(geometry, text)")
    op.execute("DROP FUNCTION rm_date_or_null(text)")
    for rule in json.loads(OLD_RULES.read_text(encoding="utf-8")):
        conn.execute(
            sa.text(
                "UPDATE violation_rules SET legal_basis = :legal_basis,"
                " legal_basis_zh = :legal_basis_zh, notes = :notes WHERE code = :code"
            ),
            {k: rule.get(k) for k in ("code", "legal_basis", "legal_basis_zh", "notes")},
        )
    conn.execute(
        sa.text(
            "UPDATE layers SET attribute_schema = attribute_schema #- '{properties,detected_on}'"
            " WHERE name = ANY(:names)"
        ),
        {"names": list(SUBJECT_LAYERS)},
    )
    op.execute("DELETE FROM features WHERE layer = 'water_works'")
    op.execute("DELETE FROM layers WHERE name = 'water_works'")
    for table, cols in (
        ("features", ("sample",)),
        ("violations", ("sample", "detected_on")),
        (
            "violation_rules",
            (
                "family",
                "outside_layer",
                "valid_to",
                "valid_from",
                "law_verified",
                "law_source",
                "law_article",
                "law_doc_number",
                "law_issuer",
                "law_title",
            ),
        ),
    ):
        for c in cols:
            op.drop_column(table, c)
