-- Frozen with migration 0005_edits: history, never edited. The live definitions are in
-- geo/*/sql/*.sql.
-- Is a row in region `code` writable under the scope `scope` ('*' / NULL / '' = everywhere,
-- else comma-separated codes; a prefecture or region code covers its counties)?
-- Mirrors geo.kernel.auth.Principal.covers.
CREATE FUNCTION rm_region_allowed(code text, scope text) RETURNS boolean
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

CREATE FUNCTION rm_enforce_region_scope() RETURNS trigger LANGUAGE plpgsql AS $$
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
    RETURN NULL;
END $$;

CREATE FUNCTION rm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'RM405';
END $$;

CREATE FUNCTION rm_attach_audit_triggers(tbl regclass, pk text DEFAULT 'id') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rm_audit(%L)',
                   name || '_audit_ins', tbl, pk);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rm_audit(%L)',
                   name || '_audit_upd', tbl, pk);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rm_audit(%L)',
                   name || '_audit_del', tbl, pk);
END $$;

CREATE FUNCTION rm_attach_scope_triggers(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
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

CREATE FUNCTION rm_attach_edit_triggers(tbl regclass, pk text DEFAULT 'id') RETURNS void
LANGUAGE sql AS $$
    SELECT rm_attach_scope_triggers(tbl);
    SELECT rm_attach_audit_triggers(tbl, pk);
$$;

-- The row version behind ETags: bumped by the database on every UPDATE.
CREATE FUNCTION rm_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;
