"""Scopes by geometry: a scoped user's feature must lie wholly within their counties.

Until now the county of a row was taken from one point on its surface (rm_county_of), so a
MultiPolygon with one part in the editor's county and another in the next county passed the
scope check. Now every INSERT/UPDATE by a scoped writer also checks the whole geometry:

* ``rm_scope_tolerance_m()``: the boundary tolerance in metres, 5 unless the database (or a
  session) sets ``rm.scope_tolerance_m`` (``ALTER DATABASE … SET rm.scope_tolerance_m = 10``).
* ``rm_outside_scope(g, scope)``: whether ``g`` leaves the union of the scope's counties by
  more than the tolerance. Only the subdivided county pieces near ``g`` (region_parts, 0008)
  are unioned, so the check costs a few small polygons, not whole county outlines. The
  tolerance is applied in degrees at the geometry's latitude (east-west metres; north-south
  it is up to 1/cos φ more generous, about 1.4× in Xinjiang).
* ``rm_enforce_region_scope()`` (redefined; first in 0005_edits) checks the geometry of new
  rows in tables that have a ``geom`` column (features: items, imports; inspections).
* ``rm_enforce_scope_query()`` (redefined; first in 0007_integration) checks the geometry
  its query returns beside the region code; the restoration triggers now return the
  feature's geometry, so a record about a feature that crosses into another county is refused.

Revision ID: trust_scope_geometry
Revises: 0010_data_versions
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "trust_scope_geometry"
down_revision: str | None = "0010_data_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = r"""
CREATE FUNCTION rm_scope_tolerance_m() RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('rm.scope_tolerance_m', true), '')::float8, 5)
$$;

CREATE FUNCTION rm_outside_scope(g geometry, scope text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    WITH tol AS (
        SELECT rm_scope_tolerance_m()
               / (111320 * greatest(cos(radians(ST_Y(ST_Centroid(g)))), 0.1)) AS deg
    ), near AS (
        SELECT ST_Union(p.geom) AS area
        FROM region_parts p, tol
        WHERE p.geom && ST_Expand(g, tol.deg) AND rm_region_allowed(p.code, scope)
    )
    SELECT CASE
        WHEN scope IS NULL OR scope IN ('', '*') OR g IS NULL OR ST_IsEmpty(g) THEN false
        WHEN near.area IS NULL THEN true
        WHEN ST_Covers(near.area, g) THEN false
        ELSE NOT ST_Covers(ST_Buffer(near.area, tol.deg), g)
    END
    FROM near, tol
$$;
"""

REGION_SCOPE = r"""
CREATE OR REPLACE FUNCTION rm_enforce_region_scope() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scope text := current_setting('rm.regions', true);
    bad text;
BEGIN
    IF scope IS NULL OR scope IN ('', '*') THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE 'SELECT min(coalesce(region_code, ''(no county)'')) FROM old_rows'
             || ' WHERE NOT rm_region_allowed(region_code, $1)'
           INTO bad USING scope;
    END IF;
    IF bad IS NULL AND TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE 'SELECT min(coalesce(region_code, ''(no county)'')) FROM new_rows'
             || ' WHERE NOT rm_region_allowed(region_code, $1)'
           INTO bad USING scope;
    END IF;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'region scope: % of a row in % is outside your scope (%)',
            lower(TG_OP), bad, scope
            USING ERRCODE = 'RM403', TABLE = TG_TABLE_NAME;
    END IF;
"""
GEOMETRY_CHECK = r"""    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM pg_attribute
        WHERE attrelid = TG_RELID AND attname = 'geom' AND NOT attisdropped
    ) THEN
        EXECUTE 'SELECT min(coalesce(region_code, ''(no county)'')) FROM new_rows'
             || ' WHERE rm_outside_scope(geom, $1)'
           INTO bad USING scope;
        IF bad IS NOT NULL THEN
            RAISE EXCEPTION 'region scope: % of a row in % reaches beyond your counties (%) by'
                ' more than % m', lower(TG_OP), bad, scope, rm_scope_tolerance_m()
                USING ERRCODE = 'RM403', TABLE = TG_TABLE_NAME;
        END IF;
    END IF;
"""
END = """    RETURN NULL;
END $$;
"""

SCOPE_BY_QUERY = r"""
CREATE OR REPLACE FUNCTION rm_enforce_scope_query() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scope text := current_setting('rm.regions', true);
    bad text;
BEGIN
    IF scope IS NULL OR scope IN ('', '*') THEN
        RETURN NULL;
    END IF;
    -- TG_ARGV[0]: a SELECT of region codes (and, when it has one, the geometry as geom)
    -- over new_rows, fixed by the migration (no input).
    EXECUTE 'SELECT min(coalesce(c.region_code, ''(no county)'')) FROM (' || TG_ARGV[0]
         || ') c WHERE NOT rm_region_allowed(c.region_code, $1)'
"""
QUERY_GEOMETRY = r"""         || CASE WHEN TG_ARGV[0] ~ '\mAS geom\M'
                 THEN ' OR rm_outside_scope(c.geom, $1)' ELSE '' END
"""
QUERY_TAIL = r"""       INTO bad USING scope;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'region scope: % of a row about % is outside your scope (%)',
            lower(TG_OP), bad, scope
            USING ERRCODE = 'RM403', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;
"""

# The restoration triggers of 0007_integration, now returning the feature's geometry too.
RESTORATION = {
    "restoration_records": (
        "SELECT f.region_code, f.geom AS geom FROM new_rows n JOIN features f"
        " ON f.id = n.feature_id"
    ),
    "restoration_events": (
        "SELECT f.region_code, f.geom AS geom FROM new_rows n JOIN restoration_records r"
        " ON r.id = n.record_id JOIN features f ON f.id = r.feature_id"
    ),
}
RESTORATION_0007 = {
    "restoration_records": (
        "SELECT f.region_code FROM new_rows n JOIN features f ON f.id = n.feature_id"
    ),
    "restoration_events": (
        "SELECT f.region_code FROM new_rows n JOIN restoration_records r ON r.id = n.record_id "
        "JOIN features f ON f.id = r.feature_id"
    ),
}


def _restoration_triggers(queries: dict[str, str]) -> None:
    for table, query in queries.items():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_scope_ins ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_scope_ins AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION rm_enforce_scope_query($q${query}$q$)"
        )


def upgrade() -> None:
    op.execute(FUNCTIONS)
    op.execute(REGION_SCOPE + GEOMETRY_CHECK + END)
    op.execute(SCOPE_BY_QUERY + QUERY_GEOMETRY + QUERY_TAIL)
    _restoration_triggers(RESTORATION)


def downgrade() -> None:
    _restoration_triggers(RESTORATION_0007)
    # The definitions of 0005_edits and 0007_integration, without the geometry checks.
    op.execute(REGION_SCOPE + END)
    op.execute(SCOPE_BY_QUERY + QUERY_TAIL)
    op.execute("DROP FUNCTION IF EXISTS rm_outside_scope(geometry, text)")
    op.execute("DROP FUNCTION IF EXISTS rm_scope_tolerance_m()")
