-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- Region scopes enforced by the database on every write path: rm.regions (set by
-- geo.kernel.db.write_transaction) lists the counties a transaction may write; RM403 maps to 403.

-- Is a row in region `code` writable under the scope `scope` ('*' / NULL / '' = everywhere,
-- else comma-separated codes; a prefecture or region code covers its counties)?
-- Mirrors geo.kernel.auth.Principal.covers.
CREATE OR REPLACE FUNCTION rm_region_allowed(code text, scope text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN scope IS NULL OR scope IN ('', '*') THEN true
        WHEN code IS NULL THEN false
        -- GB/T 2260: a region (..0000) holds the codes sharing its first 2 digits, a
        -- prefecture (....00) those sharing its first 4; geo.kernel.regions is the same rule.
        ELSE EXISTS (
            SELECT 1 FROM unnest(string_to_array(scope, ',')) AS r
            WHERE starts_with(code, CASE WHEN right(r, 4) = '0000' THEN left(r, 2)
                                         WHEN right(r, 2) = '00' THEN left(r, 4)
                                         ELSE r END))
    END
$$;

-- Tolerance (metres) for geometry scope checks: boundary noise between county outlines.
CREATE OR REPLACE FUNCTION rm_scope_tolerance_m()
 RETURNS double precision
 LANGUAGE sql
 STABLE
AS $$
    SELECT coalesce(nullif(current_setting('rm.scope_tolerance_m', true), '')::float8, 5)
$$;

-- Does geometry g reach beyond the union of the counties in scope (more than the tolerance)?
CREATE OR REPLACE FUNCTION rm_outside_scope(g geometry, scope text)
 RETURNS boolean
 LANGUAGE sql
 STABLE
AS $$
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

CREATE OR REPLACE FUNCTION rm_enforce_region_scope()
 RETURNS trigger
 LANGUAGE plpgsql
AS $$
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
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
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
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rm_enforce_scope_query()
 RETURNS trigger
 LANGUAGE plpgsql
AS $$
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
         || CASE WHEN TG_ARGV[0] ~ '\mAS geom\M'
                 THEN ' OR rm_outside_scope(c.geom, $1)' ELSE '' END
       INTO bad USING scope;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'region scope: % of a row about % is outside your scope (%)',
            lower(TG_OP), bad, scope
            USING ERRCODE = 'RM403', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rm_attach_scope_triggers(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope()',
                   name || '_scope_ins', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' NEW TABLE AS new_rows FOR EACH STATEMENT'
                   ' EXECUTE FUNCTION rm_enforce_region_scope()', name || '_scope_upd', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope()',
                   name || '_scope_del', tbl);
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER features_scope_del AFTER DELETE ON public.features
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER features_scope_ins AFTER INSERT ON public.features
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER features_scope_upd AFTER UPDATE ON public.features
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER inspections_scope_del AFTER DELETE ON public.inspections
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER inspections_scope_ins AFTER INSERT ON public.inspections
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER inspections_scope_upd AFTER UPDATE ON public.inspections
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER rectification_tasks_scope_del AFTER DELETE ON public.rectification_tasks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER rectification_tasks_scope_ins AFTER INSERT ON public.rectification_tasks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER rectification_tasks_scope_upd AFTER UPDATE ON public.rectification_tasks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER restoration_events_scope_ins AFTER INSERT ON public.restoration_events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_scope_query('SELECT f.region_code, f.geom AS geom FROM new_rows n JOIN restoration_records r ON r.id = n.record_id JOIN features f ON f.id = r.feature_id');
CREATE OR REPLACE TRIGGER restoration_records_scope_ins AFTER INSERT ON public.restoration_records
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_scope_query('SELECT f.region_code, f.geom AS geom FROM new_rows n JOIN features f ON f.id = n.feature_id');
CREATE OR REPLACE TRIGGER task_notes_scope_ins AFTER INSERT ON public.task_notes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_scope_query('SELECT t.region_code FROM new_rows n JOIN rectification_tasks t ON t.id = n.task_id');
CREATE OR REPLACE TRIGGER violation_events_scope_ins AFTER INSERT ON public.violation_events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_scope_query('SELECT v.region_code FROM new_rows n JOIN violations v ON v.id = n.violation_id WHERE n.actor <> ''system''');
