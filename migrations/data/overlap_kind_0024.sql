-- rm_overlap_kind as geo/violations/sql/parts.sql defined it up to migration 0024 (restored
-- by the downgrade of 0025_overlap_kind_inline).

-- How subject geometry s meets protected feature pid (geometry p): 'covered' (s lies wholly
-- inside), 'intersects', or NULL (disjoint). A feature with pieces is tested piece by piece
-- (pieces whose box misses s are skipped); covered by one piece is covered by the feature.
CREATE OR REPLACE FUNCTION rm_overlap_kind(s geometry, pid bigint, p geometry) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM feature_parts fp WHERE fp.feature_id = pid) THEN
            CASE WHEN NOT ST_Intersects(p, s) THEN NULL
                 WHEN ST_CoveredBy(s, p) THEN 'covered' ELSE 'intersects' END
        WHEN EXISTS (SELECT 1 FROM feature_parts fp WHERE fp.feature_id = pid
                     AND fp.geom ~ s AND ST_CoveredBy(s, fp.geom)) THEN 'covered'
        WHEN EXISTS (SELECT 1 FROM feature_parts fp WHERE fp.feature_id = pid
                     AND fp.geom && s AND ST_Intersects(fp.geom, s)) THEN 'intersects'
    END
$$;
