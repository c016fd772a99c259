-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- The county of a row follows its geometry, whatever path wrote it (API, import, SQL):
-- looked up in county boundaries cut into pieces of at most 256 vertices (region_parts).

CREATE OR REPLACE FUNCTION rm_county_of(g geometry) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT min(p.code) FROM region_parts p
    WHERE ST_Intersects(p.geom, ST_PointOnSurface(g))
$$;

CREATE OR REPLACE FUNCTION rm_set_region_code() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.region_code := rm_county_of(NEW.geom);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION rm_cut_region() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM region_parts WHERE code = OLD.code;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.level = 'county' THEN
        INSERT INTO region_parts (code, geom)
        SELECT NEW.code, ST_Subdivide(NEW.geom, 256);
    END IF;
    RETURN NULL;
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER features_region_code BEFORE INSERT OR UPDATE OF geom, region_code ON public.features
    FOR EACH ROW EXECUTE FUNCTION rm_set_region_code();
CREATE OR REPLACE TRIGGER regions_cut AFTER INSERT OR DELETE OR UPDATE OF geom, level ON public.regions
    FOR EACH ROW EXECUTE FUNCTION rm_cut_region();
