-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- The in-process collection catalog (geo.catalog.live) keeps the layers in memory and drops
-- them when told: any change to layers, by any path, notifies channel rm_catalog when the
-- writing transaction commits (NOTIFY is transactional), so no server serves a layer
-- definition older than the last commit it could have seen.

CREATE OR REPLACE FUNCTION rm_notify_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rm_catalog', TG_OP);
    RETURN NULL;
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER layers_notify_catalog AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON public.layers FOR EACH STATEMENT EXECUTE FUNCTION rm_notify_catalog();
