"""Audit geometry as geometry: ``audit_log.before_geom`` / ``after_geom``.

rm_audit (0005) stored whole rows as JSONB, so every audited insert or update of a feature
turned its geometry into GeoJSON text and back into JSONB: on a bulk import of 2,000-vertex
polygons that conversion was the largest single cost of the INSERT (measured on the sample
pits: the audit trigger alone took 40 % of the statement). The geometry now goes into
geometry columns unchanged (exact, and no conversion); the JSONB keeps the other columns.
Older entries keep their geometry in the JSON; readers take ``coalesce(after_geom,
after->'geom')``.

Revision ID: 0009_audit_geometry
Revises: 0008_region_parts
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from pathlib import Path

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0009_audit_geometry"
down_revision: str | None = "0008_region_parts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).parent.parent / "data"

RM_AUDIT = r"""
CREATE OR REPLACE FUNCTION rm_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pk text := coalesce(TG_ARGV[0], 'id');
    actor text := coalesce(nullif(current_setting('rm.actor', true), ''), session_user::text);
    uid bigint := nullif(current_setting('rm.user_id', true), '')::bigint;
    has_geom boolean := EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = TG_RELID
                                AND attname = 'geom' AND NOT attisdropped);
    -- jsonb_build_object('col', r.col, …) of every column but geom, for alias r.
    cols text;
    o_json text;
    n_json text;
BEGIN
    IF NOT has_geom THEN
        o_json := 'to_jsonb(o)';
        n_json := 'to_jsonb(n)';
    ELSE
        SELECT string_agg(format('%L, %%1$s.%I', attname, attname), ', ' ORDER BY attnum)
          INTO cols FROM pg_attribute
         WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped AND attname <> 'geom';
        o_json := format('jsonb_build_object(' || cols || ')', 'o');
        n_json := format('jsonb_build_object(' || cols || ')', 'n');
    END IF;
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after,'
            ' after_geom) SELECT $1, n.%1$I::text, ''INSERT'', $2, $3, NULL, %2$s, %3$s'
            ' FROM new_rows n ORDER BY n.%1$I',
            pk, n_json, CASE WHEN has_geom THEN 'n.geom' ELSE 'NULL' END)
        USING TG_TABLE_NAME, actor, uid;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after,'
            ' before_geom, after_geom)'
            ' SELECT $1, n.%1$I::text, ''UPDATE'', $2, $3, %2$s, %3$s, %4$s, %5$s'
            ' FROM new_rows n JOIN old_rows o ON o.%1$I = n.%1$I'
            ' WHERE %2$s IS DISTINCT FROM %3$s OR %4$s IS DISTINCT FROM %5$s ORDER BY n.%1$I',
            pk, o_json, n_json,
            CASE WHEN has_geom THEN 'o.geom' ELSE 'NULL::geometry' END,
            CASE WHEN has_geom THEN 'n.geom' ELSE 'NULL::geometry' END)
        USING TG_TABLE_NAME, actor, uid;
    ELSE
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after,'
            ' before_geom) SELECT $1, o.%1$I::text, ''DELETE'', $2, $3, %2$s, NULL, %3$s'
            ' FROM old_rows o ORDER BY o.%1$I',
            pk, o_json, CASE WHEN has_geom THEN 'o.geom' ELSE 'NULL' END)
        USING TG_TABLE_NAME, actor, uid;
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    for column in ("before_geom", "after_geom"):
        op.add_column(
            "audit_log",
            sa.Column(
                column,
                geoalchemy2.types.Geometry(
                    geometry_type="GEOMETRY", srid=4326, spatial_index=False
                ),
                nullable=True,
            ),
        )
    op.execute(RM_AUDIT)


def downgrade() -> None:
    # Back to the 0005 definition of rm_audit (whole rows, geometry included, as JSONB),
    # from the file 0005 froze for this purpose.
    op.execute((DATA / "audit_0005.sql").read_text(encoding="utf-8"))
    op.drop_column("audit_log", "after_geom")
    op.drop_column("audit_log", "before_geom")
