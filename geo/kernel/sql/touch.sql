-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- updated_at is the database's job, so no write path can forget it.

CREATE OR REPLACE FUNCTION rm_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER features_touch BEFORE UPDATE ON public.features
    FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();
CREATE OR REPLACE TRIGGER layers_touch BEFORE UPDATE ON public.layers
    FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();
CREATE OR REPLACE TRIGGER rectification_tasks_touch BEFORE UPDATE ON public.rectification_tasks
    FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();
CREATE OR REPLACE TRIGGER regions_touch BEFORE UPDATE ON public.regions
    FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();
CREATE OR REPLACE TRIGGER violation_rules_touch BEFORE UPDATE ON public.violation_rules
    FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();
CREATE OR REPLACE TRIGGER violations_touch BEFORE UPDATE ON public.violations
    FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();
