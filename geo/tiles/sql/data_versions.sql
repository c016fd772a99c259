-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- Data versions: a counter per collection, bumped in the writing transaction, so a cached
-- tile (keyed by collection and version) is never served after its data changed.

CREATE OR REPLACE FUNCTION rm_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV[0]: the names touched, as a SELECT over the transition table "rows".
    EXECUTE 'INSERT INTO data_versions AS d (name, version, changed_at) '
         || 'SELECT n, 1, now() FROM (' || TG_ARGV[0] || ') s(n) '
         || 'ON CONFLICT (name) DO UPDATE SET version = d.version + 1, changed_at = now()';
    RETURN NULL;
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER features_version_del AFTER DELETE ON public.features
    REFERENCING OLD TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT DISTINCT layer FROM rows');
CREATE OR REPLACE TRIGGER features_version_ins AFTER INSERT ON public.features
    REFERENCING NEW TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT DISTINCT layer FROM rows');
CREATE OR REPLACE TRIGGER features_version_upd AFTER UPDATE ON public.features
    REFERENCING NEW TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT DISTINCT layer FROM rows');
CREATE OR REPLACE TRIGGER regions_version_del AFTER DELETE ON public.regions
    REFERENCING OLD TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT ''regions''');
CREATE OR REPLACE TRIGGER regions_version_ins AFTER INSERT ON public.regions
    REFERENCING NEW TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT ''regions''');
CREATE OR REPLACE TRIGGER regions_version_upd AFTER UPDATE ON public.regions
    REFERENCING NEW TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT ''regions''');
CREATE OR REPLACE TRIGGER violations_version_del AFTER DELETE ON public.violations
    REFERENCING OLD TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT ''violations''');
CREATE OR REPLACE TRIGGER violations_version_ins AFTER INSERT ON public.violations
    REFERENCING NEW TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT ''violations''');
CREATE OR REPLACE TRIGGER violations_version_upd AFTER UPDATE ON public.violations
    REFERENCING NEW TABLE AS rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_bump_data_version('SELECT ''violations''');
