-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- Zoom-banded generalised geometry for tiles: feature_generalised keeps, for every feature
-- and every band zoom, its geometry in EPSG:3857 simplified by half a pixel of that zoom
-- (what a tile at that zoom would compute). Kept by statement-level triggers in the writing
-- transaction, set-based, so an import of 100,000 rows simplifies them once, and a low-zoom
-- tile never simplifies full geometries per request. The bands are geo.tiles.mvt's
-- GENERALISED_BANDS (tests/tiles/test_generalised.py checks they agree).
--
-- The table is partitioned by band (migration 0026), and each row carries its feature's layer
-- and the envelope of its full geometry: a low-zoom tile picks its rows from its band's
-- partition alone (`env && tile`, the rows `geom && tile` would pick) instead of from
-- features, whose pages hold every zoom's worth of vertices (BENCHMARKS.md, session 8). A
-- layer renamed cascades to features, whose UPDATE trigger carries the new name here.

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
        INSERT INTO feature_generalised (feature_id, band, layer, env, geom)
        SELECT n.id, b.band, n.layer, ST_Envelope(n.geom), rm_generalise(n.geom, b.band)
        FROM new_rows n CROSS JOIN unnest(rm_generalised_bands()) b(band);
    ELSE
        -- UPDATE: rows whose geometry changed are generalised again ...
        INSERT INTO feature_generalised (feature_id, band, layer, env, geom)
        SELECT n.id, b.band, n.layer, ST_Envelope(n.geom), rm_generalise(n.geom, b.band)
        FROM new_rows n CROSS JOIN unnest(rm_generalised_bands()) b(band)
        WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND o.geom = n.geom)
        ON CONFLICT (feature_id, band) DO UPDATE
            SET layer = EXCLUDED.layer, env = EXCLUDED.env, geom = EXCLUDED.geom;
        -- ... and rows moved to another layer (or their layer renamed) carry its name.
        UPDATE feature_generalised g SET layer = n.layer
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE g.feature_id = n.id AND o.geom = n.geom AND o.layer IS DISTINCT FROM n.layer;
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
