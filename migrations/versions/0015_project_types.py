"""Project types a rule applies to (``violation_rules.applies_to``), for site checks of a
proposed road, mine, farm…; existing rules get defaults from their legal basis (the same
reasoning as geo/violations/project_types.py, frozen here as SQL).

Large tables: one UPDATE over ``violation_rules`` (a few dozen rules, audited); no other
table is touched.

Revision ID: 0015_project_types
Revises: 0014_notify_outbox
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_project_types"
down_revision: str | None = "0014_notify_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = (
    "road",
    "pipeline",
    "mine",
    "sand_quarry",
    "farmland",
    "building",
    "tourism",
    "water_supply",
    "sewage_outlet",
    "other",
)
TYPES_SQL = "ARRAY[" + ", ".join(f"'{t}'" for t in TYPES) + "]::text[]"

# Changing applies_to does not re-evaluate a rule (rm_rules_changed compares other columns).
DEFAULTS = f"""
UPDATE violation_rules SET applies_to = CASE
    WHEN subject_layer = 'grassland_occupations' AND subject_filter ? 'purpose' THEN
        CASE subject_filter->>'purpose'
            WHEN 'mining' THEN ARRAY['mine'] WHEN 'sand_quarry' THEN ARRAY['sand_quarry']
            WHEN 'farming' THEN ARRAY['farmland'] WHEN 'road' THEN ARRAY['road']
            WHEN 'construction' THEN ARRAY['building'] WHEN 'tourism' THEN ARRAY['tourism']
            WHEN 'other' THEN ARRAY['other'] ELSE ARRAY[]::text[] END
    WHEN subject_layer = 'grassland_occupations' THEN array_remove({TYPES_SQL}, 'water_supply')
    WHEN subject_layer = 'mining_pits' THEN ARRAY[]::text[]
    WHEN subject_layer = 'sewage_outlets' THEN ARRAY['sewage_outlet']
    ELSE {TYPES_SQL} END
"""


def upgrade() -> None:
    op.add_column(
        "violation_rules",
        sa.Column(
            "applies_to",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        op.f("ck_violation_rules_applies_to_known"),
        "violation_rules",
        f"applies_to <@ {TYPES_SQL}",
    )
    op.execute(DEFAULTS)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_violation_rules_applies_to_known"), "violation_rules")
    op.drop_column("violation_rules", "applies_to")
