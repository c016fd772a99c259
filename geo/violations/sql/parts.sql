-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- Subdivided protected geometry for /overlaps (geo/violations/overlap_plan.py, which tests
-- a pair on them inline): every
-- feature of a protected layer (one a violation rule names as protected_layer) with more
-- than rm_parts_max_vertices() vertices is kept in feature_parts as its ST_Subdivide
-- pieces, so a probe tests a few small pieces instead of a zone of thousands of vertices,
-- and a subject covered by one piece lies wholly inside. Smaller features have no pieces
-- (they are probed directly). Kept by statement-level triggers in the writing transaction,
-- set-based; a rule that names a new protected layer fills that layer's pieces.

-- 256: 128 and 512 were tried on the bench data (scale 0.1); on the shared machine the
-- differences stayed within run-to-run noise (BENCHMARKS.md, Overlaps).
CREATE OR REPLACE FUNCTION rm_parts_max_vertices() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 256
$$;

-- Does feature (layer, geom) get pieces?
CREATE OR REPLACE FUNCTION rm_parts_wanted(layer text, geom geometry) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ST_NPoints(geom) > rm_parts_max_vertices()
       AND EXISTS (SELECT 1 FROM violation_rules r WHERE r.protected_layer = layer)
$$;

-- Pieces for every feature that wants them and has none; none for any other feature.
CREATE OR REPLACE FUNCTION rm_parts_sync() RETURNS void LANGUAGE sql AS $$
    DELETE FROM feature_parts fp
    WHERE NOT EXISTS (SELECT 1 FROM violation_rules r WHERE r.protected_layer = fp.layer);
    INSERT INTO feature_parts (feature_id, layer, geom)
    SELECT f.id, f.layer, ST_Subdivide(f.geom, rm_parts_max_vertices())
    FROM features f
    WHERE f.layer IN (SELECT r.protected_layer FROM violation_rules r)
      AND rm_parts_wanted(f.layer, f.geom)
      AND NOT EXISTS (SELECT 1 FROM feature_parts fp WHERE fp.feature_id = f.id);
$$;

CREATE OR REPLACE FUNCTION rm_parts_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Each statement names only the transition tables its operation has.
    IF TG_OP = 'DELETE' THEN
        DELETE FROM feature_parts fp USING old_rows o WHERE fp.feature_id = o.id;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO feature_parts (feature_id, layer, geom)
        SELECT n.id, n.layer, ST_Subdivide(n.geom, rm_parts_max_vertices())
        FROM new_rows n WHERE rm_parts_wanted(n.layer, n.geom);
    ELSE  -- UPDATE: only rows whose layer or geometry changed are cut again
        DELETE FROM feature_parts fp USING old_rows o JOIN new_rows n ON n.id = o.id
        WHERE fp.feature_id = o.id AND (n.layer, n.geom) IS DISTINCT FROM (o.layer, o.geom);
        INSERT INTO feature_parts (feature_id, layer, geom)
        SELECT n.id, n.layer, ST_Subdivide(n.geom, rm_parts_max_vertices())
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.layer, n.geom) IS DISTINCT FROM (o.layer, o.geom)
          AND rm_parts_wanted(n.layer, n.geom);
    END IF;
    RETURN NULL;
END $$;

-- A rule naming another protected layer (added, changed, deleted) changes which layers
-- have pieces.
CREATE OR REPLACE FUNCTION rm_parts_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rm_parts_sync();
    RETURN NULL;
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER features_parts_del AFTER DELETE ON public.features
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_parts_write();
CREATE OR REPLACE TRIGGER features_parts_ins AFTER INSERT ON public.features
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_parts_write();
CREATE OR REPLACE TRIGGER features_parts_upd AFTER UPDATE ON public.features
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_parts_write();
CREATE OR REPLACE TRIGGER violation_rules_parts AFTER INSERT OR UPDATE OR DELETE
    ON public.violation_rules
    FOR EACH STATEMENT EXECUTE FUNCTION rm_parts_rules_changed();
