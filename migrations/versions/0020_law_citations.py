"""Legal citations checked against public copies of the texts (migrations/data/rules_0020.json).

Each rule's citation (law_issuer, law_doc_number, law_article, law_source, law_verified) and
its legal_basis/legal_basis_zh/notes are replaced by the checked ones: the 2017 Water Pollution
Prevention Law (arts. 64-67, art. 65's quote corrected), the Wetland Protection Law (art. 28)
and the Grassland Law (arts. 38, 40, 46; art. 38's approval level corrected) were read in
consolidated texts exported from the national database; what could not be found (the 2008
water law's numbering, the national wetland park measures' articles) stays unverified and its
law_source says what was searched. Rules are identified by code; only text columns change,
never a rule's filters, layers or period, so no violation is re-evaluated (rm_rules_changed
compares only those) and the rule in force at a detection date is the same before and after.

Downgrade restores the values 0013 wrote (migrations/data/rules_0013.json).

Large tables: none; one UPDATE per rule on violation_rules (35 rows, audited).

Revision ID: 0020_law_citations
Revises: 0019_catalog_notify
Create Date: 2026-12-03
"""

import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0020_law_citations"
down_revision: str | None = "0019_catalog_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).parent.parent / "data"
CHECKED = DATA / "rules_0020.json"
PREVIOUS = DATA / "rules_0013.json"
# The citation's text; filters, layers, severity and period of force are not touched.
COLUMNS = (
    "legal_basis",
    "legal_basis_zh",
    "notes",
    "law_issuer",
    "law_doc_number",
    "law_article",
    "law_source",
    "law_verified",
)


def _apply(path: Path) -> None:
    conn = op.get_bind()
    sets = ", ".join(f"{c} = :{c}" for c in COLUMNS)
    for rule in json.loads(path.read_text(encoding="utf-8")):
        # A rule an operator deleted stays deleted (code is unique: at most one row).
        conn.execute(
            sa.text(f"UPDATE violation_rules SET {sets} WHERE code = :code"),
            {"code": rule["code"], **{c: rule[c] for c in COLUMNS}},
        )


def upgrade() -> None:
    _apply(CHECKED)


def downgrade() -> None:
    _apply(PREVIOUS)
