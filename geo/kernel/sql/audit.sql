-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- The append-only audit log: who (rm.actor), when, which operation, the row before and after
-- (JSONB; geometry in before_geom / after_geom).
--
-- A bulk import (geo.files.load sets rm.bulk to the file's name for its one INSERT into
-- features) is audited as ONE event per statement and layer: op IMPORT, the ids of its rows
-- in row_ids (a multirange), no per-row copy. The state each row was imported with is the
-- `before` of its next audit entry, or the row itself while it has none (geo.catalog.history
-- and the as_of source read it so). The violations the import's rule evaluation detects (in
-- the same statement) are audited the same way, one event per subject layer; their own
-- history is their violation_events. Nothing is skipped: the setting only changes the form.

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
    bulk text := nullif(current_setting('rm.bulk', true), '');
BEGIN
    IF TG_OP = 'INSERT' AND bulk IS NOT NULL AND TG_TABLE_NAME = 'features' THEN
        INSERT INTO audit_log (table_name, row_id, op, actor, user_id, after, row_ids)
        SELECT TG_TABLE_NAME, 'import', 'IMPORT', actor, uid,
               jsonb_build_object('layer', n.layer, 'file', bulk, 'count', count(*),
                                  'first_id', min(n.id), 'last_id', max(n.id)),
               range_agg(int8range(n.id, n.id, '[]'))
        FROM new_rows n GROUP BY n.layer ORDER BY n.layer;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' AND bulk IS NOT NULL AND TG_TABLE_NAME = 'violations' THEN
        INSERT INTO audit_log (table_name, row_id, op, actor, user_id, after, row_ids)
        SELECT TG_TABLE_NAME, 'import', 'IMPORT', actor, uid,
               jsonb_build_object('layer', n.subject_layer, 'file', bulk, 'count', count(*),
                                  'first_id', min(n.id), 'last_id', max(n.id)),
               range_agg(int8range(n.id, n.id, '[]'))
        FROM new_rows n GROUP BY n.subject_layer ORDER BY n.subject_layer;
        RETURN NULL;
    END IF;
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

CREATE OR REPLACE FUNCTION rm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'RM405';
END $$;

CREATE OR REPLACE FUNCTION rm_attach_audit_triggers(tbl regclass, pk text DEFAULT 'id') RETURNS void
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

CREATE OR REPLACE FUNCTION rm_attach_edit_triggers(tbl regclass, pk text DEFAULT 'id') RETURNS void
LANGUAGE sql AS $$
    SELECT rm_attach_scope_triggers(tbl);
    SELECT rm_attach_audit_triggers(tbl, pk);
$$;

-- Triggers.
CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON public.audit_log
    FOR EACH ROW EXECUTE FUNCTION rm_audit_append_only();
CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON public.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit_append_only();
CREATE OR REPLACE TRIGGER features_audit_del AFTER DELETE ON public.features
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER features_audit_ins AFTER INSERT ON public.features
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER features_audit_upd AFTER UPDATE ON public.features
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER inspections_audit_del AFTER DELETE ON public.inspections
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('uuid');
CREATE OR REPLACE TRIGGER inspections_audit_ins AFTER INSERT ON public.inspections
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('uuid');
CREATE OR REPLACE TRIGGER inspections_audit_upd AFTER UPDATE ON public.inspections
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('uuid');
CREATE OR REPLACE TRIGGER rectification_tasks_audit_del AFTER DELETE ON public.rectification_tasks
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER rectification_tasks_audit_ins AFTER INSERT ON public.rectification_tasks
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER rectification_tasks_audit_upd AFTER UPDATE ON public.rectification_tasks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER restoration_events_audit_del AFTER DELETE ON public.restoration_events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER restoration_events_audit_ins AFTER INSERT ON public.restoration_events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER restoration_events_audit_upd AFTER UPDATE ON public.restoration_events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER restoration_records_audit_del AFTER DELETE ON public.restoration_records
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER restoration_records_audit_ins AFTER INSERT ON public.restoration_records
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER restoration_records_audit_upd AFTER UPDATE ON public.restoration_records
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER task_notes_audit_del AFTER DELETE ON public.task_notes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER task_notes_audit_ins AFTER INSERT ON public.task_notes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER task_notes_audit_upd AFTER UPDATE ON public.task_notes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER violation_rules_audit_del AFTER DELETE ON public.violation_rules
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER violation_rules_audit_ins AFTER INSERT ON public.violation_rules
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER violation_rules_audit_upd AFTER UPDATE ON public.violation_rules
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER violations_audit_del AFTER DELETE ON public.violations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER violations_audit_ins AFTER INSERT ON public.violations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER violations_audit_upd AFTER UPDATE ON public.violations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
