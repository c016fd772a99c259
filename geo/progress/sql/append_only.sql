-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- Restoration events and task notes are history: no UPDATE; a DELETE only as a cascade.

CREATE OR REPLACE FUNCTION rm_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE parent_alive boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', TG_ARGV[0])
            INTO parent_alive USING (to_jsonb(OLD) ->> TG_ARGV[1])::bigint;
        IF NOT parent_alive THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER restoration_events_append_only BEFORE DELETE OR UPDATE ON public.restoration_events
    FOR EACH ROW EXECUTE FUNCTION rm_append_only('restoration_records', 'record_id');
CREATE OR REPLACE TRIGGER task_notes_append_only BEFORE DELETE OR UPDATE ON public.task_notes
    FOR EACH ROW EXECUTE FUNCTION rm_append_only('rectification_tasks', 'task_id');
