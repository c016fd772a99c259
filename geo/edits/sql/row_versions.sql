-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- The row version behind ETags.

-- The row version behind ETags: bumped by the database on every UPDATE.
CREATE OR REPLACE FUNCTION rm_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER features_version BEFORE UPDATE ON public.features
    FOR EACH ROW EXECUTE FUNCTION rm_bump_version();
