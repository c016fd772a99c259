-- Live definition (CREATE OR REPLACE, idempotent). A change here needs a new migration that
-- runs this file (geo.kernel.sqlfiles); see geo/kernel/sql/README.md.
--
-- Rule evaluation in the database.
--
-- rm_evaluate(ids, layers, rules) re-derives the violations of a set of features (NULL:
-- every feature) under a set of rules (NULL: every rule involving `layers`, NULL: all) in
-- ONE statement: the overlaps found are written, the ones no longer found are marked
-- resolved (never deleted), and every change of that kind is an event by actor 'system'
-- (cause_actor: the rm.actor setting of the transaction that caused it).
--
-- Statement-level AFTER triggers on `features` (transition tables) call it for the rows a
-- statement touched, so every write path (OGC API Part 4, bulk COPY, SQL) is covered.

-- A box around g grown by at least m metres on every side: 1 degree of latitude is
-- >= 110.5 km, 1 degree of longitude >= 111.32 km * cos(latitude) at the box's poleward edge.
-- Used as `geom && rm_expand_m(other, m)`: an index condition for the GiST on (layer, geom).
CREATE OR REPLACE FUNCTION rm_expand_m(g geometry, m double precision) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN m <= 0 THEN g ELSE ST_Expand(
        g,
        m / (111320.0 * cos(radians(least(
            greatest(abs(ST_YMin(g)), abs(ST_YMax(g))) + m / 110500.0, 89.0)))),
        m / 110500.0)
    END
$$;

-- The part of subject s that breaks the rule: its intersection with p (of the lower
-- dimension of the two), its intersection with p's buffer for distance rules, or s itself
-- for attribute rules. Always a multi-geometry.
CREATE OR REPLACE FUNCTION rm_violation_geom(s geometry, p geometry, predicate text, distance_m float8)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_Multi(CASE
        WHEN p IS NULL THEN s
        WHEN predicate = 'dwithin' THEN ST_CollectionExtract(
            ST_Intersection(s, ST_Buffer(p::geography, distance_m)::geometry),
            ST_Dimension(s) + 1)
        ELSE ST_CollectionExtract(ST_Intersection(s, p), least(ST_Dimension(s), ST_Dimension(p)) + 1)
    END)
$$;

-- A date written by people ('2021-07-30'), or NULL when it is not one: a feature's
-- detected_on attribute must never make rule evaluation (and so the write) fail.
CREATE OR REPLACE FUNCTION rm_date_or_null(v text) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF v IS NULL OR v !~ '^\d{4}-\d{2}-\d{2}$' THEN
        RETURN NULL;
    END IF;
    RETURN v::date;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- Rules are versions of a prohibition (`family`), each with the period its legal text was in
-- force (valid_from .. valid_to, both inclusive, NULL = open). A (subject, protected) pair is
-- judged under the version in force at its detection date: the subject's detected_on
-- attribute, else the date an earlier violation of the family recorded, else today.
CREATE OR REPLACE FUNCTION rm_evaluate(p_ids bigint[], p_layers text[], p_rules bigint[])
RETURNS TABLE (action text, n bigint) LANGUAGE plpgsql
-- Custom plans always: p_ids holds 1 id (an edit) or 100,000 (an import), and a generic
-- plan, which PL/pgSQL switches to after five calls, plans for 10 and tests `= ANY(p_ids)`
-- by a linear search of the array per row (a bulk delete at scale 1.0 ran for minutes in
-- ExecEvalScalarArrayOp). JIT off: PostGIS functions carry high costs, so an import's
-- evaluation passes jit_above_cost and spent 2.5-3 s of 10 compiling (50,000 patches)
-- for no gain in the geometry work that is its time. BENCHMARKS.md, "Import".
SET plan_cache_mode = force_custom_plan
SET jit = off AS $$
DECLARE
    v_cause text := nullif(current_setting('rm.actor', true), '');
    v_outside bigint[];
    v_live bigint[];
BEGIN
    -- A changed feature of a rule's outside_layer changes where that rule applies to every
    -- subject near it: such rules are re-evaluated in full.
    IF p_ids IS NOT NULL THEN
        SELECT array_agg(r.id) INTO v_outside FROM violation_rules r
        WHERE r.outside_layer = ANY(p_layers) AND (p_rules IS NULL OR r.id = ANY(p_rules));
        IF v_outside IS NOT NULL THEN
            PERFORM rm_evaluate(NULL, NULL, v_outside);
        END IF;
    END IF;
    IF p_ids IS NOT NULL THEN
        -- The live violations that involve the features, found from each id by index (OFFSET
        -- 0: a probe per id). An import's new ids have none, and the statement below, which
        -- sees this array's length, then plans for none; joined to p_ids inside it, the
        -- planner hashed every live violation three times for no rows (3.7 s of an import of
        -- 100,000 at scale 1.0, 1,000,000 violations).
        SELECT array_agg(DISTINCT l.id) INTO v_live
        FROM unnest(p_ids) AS i(id)
        CROSS JOIN LATERAL (
            SELECT v.id FROM violations v WHERE v.subject_id = i.id AND v.resolved_at IS NULL
            UNION ALL
            SELECT v.id FROM violations v WHERE v.protected_id = i.id AND v.resolved_at IS NULL
            OFFSET 0) l;
    END IF;
    RETURN QUERY
    WITH scope AS (
        -- a rule brings its whole family: a pair may move from one version to another
        SELECT r.* FROM violation_rules r
        WHERE (p_rules IS NULL OR r.family IN (
                  SELECT f.family FROM violation_rules f WHERE f.id = ANY(p_rules)))
          AND (p_layers IS NULL OR r.subject_layer = ANY(p_layers)
               OR r.protected_layer = ANY(p_layers))
    ),
    cand AS MATERIALIZED (
        -- a GiST probe per changed (or every) subject feature and protected layer, with the
        -- largest distance of the layer pair's rules, not one per rule: the rules then filter
        -- the candidates (their predicate implies the box). Materialized, so the planner
        -- cannot fold the rules back in before the probe.
        SELECT s.id AS sid, s.layer AS slayer, s.properties AS sprops, s.geom AS sgeom,
               p.id AS pid, p.layer AS player, p.properties AS pprops, p.geom AS pgeom
        FROM (SELECT r.subject_layer, r.protected_layer,
                     max(coalesce(r.distance_m, 0)) AS m, array_agg(r.subject_filter) AS sf
              FROM scope r WHERE r.enabled AND r.kind = 'overlap'
              GROUP BY r.subject_layer, r.protected_layer) lp
        JOIN features s ON s.layer = lp.subject_layer
        JOIN features p ON p.layer = lp.protected_layer AND p.geom && rm_expand_m(s.geom, lp.m)
        WHERE (p_ids IS NULL OR s.id = ANY(p_ids))
          AND EXISTS (SELECT 1 FROM unnest(lp.sf) f WHERE s.properties @> f)
    ),
    pairs AS (
        -- changed (or every) feature on the subject side; the protected side by GiST
        -- (candidates: probed once per feature and layer pair, see cand)
        SELECT r.id AS rule_id, c.sid, c.pid
        FROM cand c
        JOIN scope r ON r.subject_layer = c.slayer AND r.protected_layer = c.player
             AND c.sprops @> r.subject_filter AND c.pprops @> r.protected_filter
        WHERE r.enabled AND r.kind = 'overlap'
          AND CASE r.predicate
                WHEN 'dwithin' THEN ST_DWithin(c.sgeom::geography, c.pgeom::geography, r.distance_m)
                ELSE ST_Intersects(c.sgeom, c.pgeom) END
        UNION
        -- changed feature on the protected side; the subject side by GiST
        SELECT r.id, s.id, p.id
        FROM scope r
        JOIN features p ON p.layer = r.protected_layer AND p.properties @> r.protected_filter
        JOIN features s ON s.layer = r.subject_layer
             AND s.geom && rm_expand_m(p.geom, coalesce(r.distance_m, 0))
             AND s.properties @> r.subject_filter
        WHERE r.enabled AND r.kind = 'overlap' AND p.id = ANY(p_ids)
          AND CASE r.predicate
                WHEN 'dwithin' THEN ST_DWithin(s.geom::geography, p.geom::geography, r.distance_m)
                ELSE ST_Intersects(s.geom, p.geom) END
        UNION
        SELECT r.id, s.id, NULL::bigint
        FROM scope r
        JOIN features s ON s.layer = r.subject_layer AND s.properties @> r.subject_filter
        WHERE r.enabled AND r.kind = 'attribute' AND (p_ids IS NULL OR s.id = ANY(p_ids))
    ),
    dated AS (
        -- the detection date of each pair, and only the rule version in force on it
        SELECT x.rule_id, x.sid, x.pid, d.day AS detected_on
        FROM pairs x
        JOIN scope r ON r.id = x.rule_id
        JOIN features s ON s.id = x.sid
        CROSS JOIN LATERAL (SELECT coalesce(
            rm_date_or_null(s.properties->>'detected_on'),
            (SELECT v.detected_on FROM violations v JOIN violation_rules vr ON vr.id = v.rule_id
             WHERE v.subject_id = x.sid AND v.protected_id IS NOT DISTINCT FROM x.pid
               AND vr.family = r.family
             ORDER BY v.resolved_at IS NOT NULL, v.id DESC LIMIT 1),
            current_date) AS day OFFSET 0) d  -- OFFSET 0: computed once, not per reference
        WHERE (r.valid_from IS NULL OR d.day >= r.valid_from)
          AND (r.valid_to IS NULL OR d.day <= r.valid_to)
    ),
    shaped AS MATERIALIZED (
        -- materialized: each geometry is computed once per pair, not once per reference
        SELECT x.rule_id, x.sid, x.pid, x.detected_on, r.severity, r.min_area_m2, r.predicate,
               s.layer AS slayer, s.code AS scode, s.region_code, s.area_m2 AS sarea,
               p.layer AS player, p.code AS pcode, p.area_m2 AS parea,
               s.sample OR coalesce(p.sample, false) AS sample,
               p.id IS NULL AND o.geom IS NULL AS whole_subject,
               CASE WHEN o.geom IS NULL THEN b.g
                    ELSE ST_Multi(ST_CollectionExtract(ST_Difference(b.g, o.geom),
                                                       ST_Dimension(b.g) + 1)) END AS g,
               -- a pair found by ST_Intersects is 0 m apart: no geodesic distance to compute
               CASE WHEN p.id IS NULL THEN NULL
                    WHEN r.predicate = 'dwithin'
                    THEN ST_Distance(s.geom::geography, p.geom::geography)
                    ELSE 0 END AS dist
        FROM dated x
        JOIN scope r ON r.id = x.rule_id
        JOIN features s ON s.id = x.sid
        LEFT JOIN features p ON p.id = x.pid
        CROSS JOIN LATERAL (
            SELECT rm_violation_geom(s.geom, p.geom, r.predicate, r.distance_m) AS g OFFSET 0) b
        -- A rule with an outside_layer does not apply where that layer's features are,
        -- because another law governs there (e.g. cropland in a wetland park is a
        -- wetland-law matter, not a Grassland-Law one): those parts are cut away. Probed
        -- with the subject, which holds the broken part.
        LEFT JOIN LATERAL (
            SELECT ST_Union(e.geom) AS geom FROM features e
            WHERE e.layer = r.outside_layer AND e.geom && s.geom
              AND ST_Intersects(e.geom, s.geom)) o ON true
    ),
    found AS (
        -- with the violation the pair already has, if any (an index probe per pair): which
        -- rows are new, changed or gone is then decided without joining two CTEs, which
        -- the planner believes hold one row each and would join by a nested loop
        -- (quadratic: 126 s to resolve the 38,061 violations of 50,000 deleted patches).
        SELECT sh.*, a.area, e.id AS vid, e.status AS vstatus, e.resolved_at AS vresolved
        FROM shaped sh
        -- the whole subject breaks the rule: its area is already stored
        CROSS JOIN LATERAL (
            SELECT CASE WHEN sh.whole_subject THEN sh.sarea
                        ELSE coalesce(ST_Area(sh.g::geography), 0) END AS area OFFSET 0) a
        LEFT JOIN LATERAL (
            SELECT v.id, v.status, v.resolved_at FROM violations v
            WHERE v.rule_id = sh.rule_id AND v.subject_id = sh.sid
              AND v.protected_id IS NOT DISTINCT FROM sh.pid) e ON true
        WHERE NOT ST_IsEmpty(sh.g) AND a.area >= sh.min_area_m2
    ),
    existing AS (
        -- The live violations of the rules in scope that involve the features (all: NULL):
        -- those of the features were found above, from each id by index (v_live), never by
        -- testing every violation of a rule against p_ids, which in a generic plan is a
        -- linear search of the array per row (6.1 s instead of 0.25 s for 5,000 ids and
        -- 1,000,000 violations).
        SELECT v.id, v.status, v.subject_id, v.protected_id, r.enabled, r.code
        FROM violations v JOIN scope r ON r.id = v.rule_id
        WHERE p_ids IS NULL AND v.resolved_at IS NULL
        UNION ALL
        SELECT v.id, v.status, v.subject_id, v.protected_id, r.enabled, r.code
        FROM unnest(v_live) AS l(id)
        JOIN violations v ON v.id = l.id
        JOIN scope r ON r.id = v.rule_id
    ),
    inserted AS (
        -- a pair that a concurrent transaction recorded first keeps that record (and its
        -- event); everything else found and not yet recorded is new
        INSERT INTO violations AS v (
            rule_id, subject_id, subject_layer, subject_code, protected_id, protected_layer,
            protected_code, geom, area_m2, share_of_subject, share_of_protected, distance_m,
            severity, region_code, detected_on, sample)
        SELECT f.rule_id, f.sid, f.slayer, f.scode, f.pid, f.player, f.pcode, f.g, f.area,
               f.area / nullif(f.sarea, 0), f.area / nullif(f.parea, 0), f.dist,
               f.severity, f.region_code, f.detected_on, f.sample
        FROM found f WHERE f.vid IS NULL
        ON CONFLICT (rule_id, subject_id, protected_id) DO NOTHING
        RETURNING v.id, v.status
    ),
    changed AS (
        UPDATE violations v SET
            subject_layer = f.slayer, subject_code = f.scode,
            protected_layer = f.player, protected_code = f.pcode,
            geom = f.g, area_m2 = f.area,
            share_of_subject = f.area / nullif(f.sarea, 0),
            share_of_protected = f.area / nullif(f.parea, 0),
            distance_m = f.dist, severity = f.severity, region_code = f.region_code,
            detected_on = f.detected_on, sample = f.sample,
            resolved_at = NULL,
            -- An accepted-and-closed problem that reappears in the data is reopened (回头看);
            -- every other status stays (a dismissed record stays dismissed: an inspector
            -- decided, and re-inspection, not data, brings it back).
            status = CASE WHEN v.resolved_at IS NOT NULL AND v.status = 'closed'
                          THEN 'reopened' ELSE v.status END,
            status_changed_at = CASE WHEN v.resolved_at IS NOT NULL AND v.status = 'closed'
                                     THEN now() ELSE v.status_changed_at END,
            updated_at = now()
        FROM found f
        WHERE v.id = f.vid
          AND (v.resolved_at IS NOT NULL
               OR (v.subject_code, v.protected_code, v.geom, v.severity, v.region_code,
                   v.distance_m, v.share_of_protected, v.detected_on, v.sample)
                  IS DISTINCT FROM
                  (f.scode, f.pcode, f.g, f.severity, f.region_code, f.dist,
                   f.area / nullif(f.parea, 0), f.detected_on, f.sample))
        RETURNING v.id, v.status, f.vstatus AS from_status, f.vresolved IS NOT NULL AS was_resolved
    ),
    gone AS (
        SELECT e.id, e.status,
               CASE WHEN NOT e.enabled THEN 'rule ' || e.code || ' was disabled'
                    WHEN NOT EXISTS (SELECT 1 FROM features s WHERE s.id = e.subject_id)
                      THEN 'subject feature was deleted'
                    WHEN e.protected_id IS NOT NULL
                         AND NOT EXISTS (SELECT 1 FROM features p WHERE p.id = e.protected_id)
                      THEN 'protected feature was deleted'
                    ELSE 'the data no longer breaks rule ' || e.code END AS why
        FROM existing e
        -- NOT IN over ids: a hashed subplan whatever the planner thinks `found` holds
        WHERE e.id NOT IN (SELECT f.vid FROM found f WHERE f.vid IS NOT NULL)
    ),
    resolved AS (
        UPDATE violations v SET resolved_at = now(), updated_at = now()
        FROM gone g WHERE v.id = g.id
        RETURNING v.id, g.status, g.why
    ),
    events AS (
        INSERT INTO violation_events (violation_id, action, from_status, to_status, actor,
                                      cause_actor, note)
        SELECT i.id, 'detected', NULL, i.status, 'system', v_cause,
               'detected by rule evaluation'
        FROM inserted i
        UNION ALL
        SELECT c.id, 'redetected_by_data', c.from_status, c.status, 'system', v_cause,
               'the data breaks the rule again'
        FROM changed c WHERE c.was_resolved
        UNION ALL
        SELECT r.id, 'resolved_by_data', r.status, r.status, 'system', v_cause, r.why
        FROM resolved r
        RETURNING violation_events.action
    )
    SELECT ev.action, count(*) FROM events ev GROUP BY ev.action
    UNION ALL
    SELECT 'updated', count(*) FROM changed c WHERE NOT c.was_resolved;
END $$;

-- Trigger functions: the ids and layers a statement touched, from its transition tables.
CREATE OR REPLACE FUNCTION rm_features_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids bigint[]; lays text[];
BEGIN
    SELECT array_agg(id), array_agg(DISTINCT layer) INTO ids, lays FROM rm_new;
    IF ids IS NOT NULL THEN
        PERFORM rm_evaluate(ids, lays, NULL);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rm_features_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids bigint[]; lays text[];
BEGIN
    -- Only rows whose rule-relevant columns changed (not e.g. a re-derived region_code).
    SELECT array_agg(n.id), array_agg(DISTINCT n.layer) || array_agg(DISTINCT o.layer)
      INTO ids, lays
      FROM rm_new n JOIN rm_old o ON o.id = n.id
     WHERE (n.layer, n.code, n.properties, n.geom) IS DISTINCT FROM
           (o.layer, o.code, o.properties, o.geom);
    IF ids IS NOT NULL THEN
        PERFORM rm_evaluate(ids, lays, NULL);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rm_features_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids bigint[]; lays text[];
BEGIN
    SELECT array_agg(id), array_agg(DISTINCT layer) INTO ids, lays FROM rm_old;
    IF ids IS NOT NULL THEN
        PERFORM rm_evaluate(ids, lays, NULL);
    END IF;
    RETURN NULL;
END $$;

-- A rule that is added or changed (by the API or by SQL) is re-evaluated in full.
CREATE OR REPLACE FUNCTION rm_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id) INTO ids FROM rm_new;
    ELSE
        SELECT array_agg(n.id) INTO ids FROM rm_new n JOIN rm_old o ON o.id = n.id
         WHERE (n.kind, n.subject_layer, n.subject_filter, n.protected_layer, n.protected_filter,
                n.predicate, n.distance_m, n.min_area_m2, n.severity, n.enabled, n.family,
                n.valid_from, n.valid_to, n.outside_layer)
               IS DISTINCT FROM
               (o.kind, o.subject_layer, o.subject_filter, o.protected_layer, o.protected_filter,
                o.predicate, o.distance_m, o.min_area_m2, o.severity, o.enabled, o.family,
                o.valid_from, o.valid_to, o.outside_layer);
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM rm_evaluate(NULL, NULL, ids);
    END IF;
    RETURN NULL;
END $$;

-- Events are history: never rewritten.
CREATE OR REPLACE FUNCTION rm_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'violation_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

-- Triggers.
CREATE OR REPLACE TRIGGER features_violations_del AFTER DELETE ON public.features
    REFERENCING OLD TABLE AS rm_old
    FOR EACH STATEMENT EXECUTE FUNCTION rm_features_deleted();
CREATE OR REPLACE TRIGGER features_violations_ins AFTER INSERT ON public.features
    REFERENCING NEW TABLE AS rm_new
    FOR EACH STATEMENT EXECUTE FUNCTION rm_features_inserted();
CREATE OR REPLACE TRIGGER features_violations_upd AFTER UPDATE ON public.features
    REFERENCING OLD TABLE AS rm_old NEW TABLE AS rm_new
    FOR EACH STATEMENT EXECUTE FUNCTION rm_features_updated();
CREATE OR REPLACE TRIGGER violation_events_append_only BEFORE DELETE OR UPDATE ON public.violation_events
    FOR EACH ROW EXECUTE FUNCTION rm_events_append_only();
CREATE OR REPLACE TRIGGER violation_rules_ins AFTER INSERT ON public.violation_rules
    REFERENCING NEW TABLE AS rm_new
    FOR EACH STATEMENT EXECUTE FUNCTION rm_rules_changed();
CREATE OR REPLACE TRIGGER violation_rules_upd AFTER UPDATE ON public.violation_rules
    REFERENCING OLD TABLE AS rm_old NEW TABLE AS rm_new
    FOR EACH STATEMENT EXECUTE FUNCTION rm_rules_changed();
