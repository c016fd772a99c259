"""Scope rule by GB/T 2260: a prefecture code covers the codes sharing its first 4 digits.

``rm_region_allowed`` trimmed trailing zeros, so a prefecture whose 4th digit is 0 (321000)
also covered a neighbour (3211xx). geo.kernel.regions and this function now say the same;
tests/kernel/test_regions.py checks them against each other. Small function: no table rewrite.

Revision ID: 0012_region_rule
Revises: 0011_sql_definitions
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

from geo.kernel import sqlfiles

revision: str = "0012_region_rule"
down_revision: str | None = "0011_sql_definitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_FILES = {"kernel/sql/scopes.sql": "063a432e6f6e4917"}

# The definition 0011 left (frozen here: the file now holds the new one).
_PREVIOUS = """
CREATE OR REPLACE FUNCTION rm_region_allowed(code text, scope text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN scope IS NULL OR scope IN ('', '*') THEN true
        WHEN code IS NULL THEN false
        ELSE EXISTS (
            SELECT 1 FROM unnest(string_to_array(scope, ',')) AS r
            WHERE code = r
               OR (right(r, 2) = '00' AND starts_with(code, left(rtrim(r, '0'), 4))))
    END
$$;
"""


def upgrade() -> None:
    sqlfiles.run(op.execute, *SQL_FILES)


def downgrade() -> None:
    op.execute(_PREVIOUS)
