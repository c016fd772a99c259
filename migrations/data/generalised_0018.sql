-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- Zoom-banded generalised geometry for tiles: feature_generalised keeps, for every feature
-- and every band zoom, its geometry in EPSG:3857 simplified by half a pixel of that zoom
-- (what a tile at that zoom would compute). Kept by statement-level triggers in the writing
-- transaction, set-based, so an import of 100,000 rows simplifies them once, and a low-zoom
-- tile never simplifies full geometries per request. The bands are geo.tiles.mvt's
-- GENERALISED_BANDS (tests/tiles/test_generalised.py checks they agree).

CREATE OR REPLACE FUNCTION rm_generalised_bands() RETURNS smallint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[6, 8, 10]::smallint[]
$$;

-- Half a screen pixel of a 256 px tile at zoom z, in EPSG:3857 metres (geo.tiles.mvt).
CREATE OR REPLACE FUNCTION rm_tile_tolerance(z integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 2 * 20037508.342789244::float8 / (256 * 2::float8 ^ z) / 2
$$;

CREATE OR REPLACE FUNCTION rm_generalise(geom geometry, band integer) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_Simplify(ST_Transform(geom, 3857), rm_tile_tolerance(band), true)
$$;

CREATE OR REPLACE FUNCTION rm_generalised_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Each statement names only the transition tables its operation has.
    IF TG_OP = 'DELETE' THEN
        DELETE FROM feature_generalised g USING old_rows o WHERE g.feature_id = o.id;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO feature_generalised (feature_id, band, geom)
        SELECT n.id, b.band, rm_generalise(n.geom, b.band)
        FROM new_rows n CROSS JOIN unnest(rm_generalised_bands()) b(band);
    ELSE  -- UPDATE: only rows whose geometry changed are generalised again
        INSERT INTO feature_generalised (feature_id, band, geom)
        SELECT n.id, b.band, rm_generalise(n.geom, b.band)
        FROM new_rows n CROSS JOIN unnest(rm_generalised_bands()) b(band)
        WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND o.geom = n.geom)
        ON CONFLICT (feature_id, band) DO UPDATE SET geom = EXCLUDED.geom;
    END IF;
    RETURN NULL;
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER features_generalised_del AFTER DELETE ON public.features
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_generalised_write();
CREATE OR REPLACE TRIGGER features_generalised_ins AFTER INSERT ON public.features
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_generalised_write();
CREATE OR REPLACE TRIGGER features_generalised_upd AFTER UPDATE ON public.features
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_generalised_write();
