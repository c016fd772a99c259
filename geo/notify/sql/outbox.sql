-- Notifications outbox (frozen with revision notify_outbox).
--
-- Statement-level AFTER triggers with transition tables write one notify_events row per
-- thing that happened, in the transaction that made it happen: a rolled-back change emits
-- nothing, and every write path (API, import, rule evaluation, psql) emits. A trigger on
-- notify_events then matches the new events against the subscriptions, set-based, and
-- queues the deliveries the worker (python -m app notify run) sends.

-- Severity rank: low 1 … critical 4.
CREATE OR REPLACE FUNCTION rm_notify_severity_rank(s text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT array_position(ARRAY['low', 'medium', 'high', 'critical'], s)
$$;

-- Queue a delivery for every (active subscription, event) that matches. A filter applies
-- only to events that carry its dimension (an import has no severity); regions always
-- apply, and so does the owner's own scope (a county user hears only of their counties).
CREATE OR REPLACE FUNCTION rm_notify_deliver_to(p_events bigint[]) RETURNS bigint
LANGUAGE sql AS $$
    WITH queued AS (
        INSERT INTO notify_deliveries (subscription_id, event_id, status, idempotency_key)
        SELECT s.id, e.id,
               CASE WHEN s.channel = 'atom' THEN 'feed'
                    WHEN s.mode = 'digest' THEN 'digest_wait'
                    ELSE 'pending' END,
               'rm-' || e.id || '-' || s.id
        FROM notify_events e
        JOIN notify_subscriptions s ON e.kind = ANY(s.kinds) AND s.active
        JOIN users u ON u.id = s.owner_id AND u.disabled_at IS NULL
        WHERE e.id = ANY(p_events)
          AND rm_region_allowed(e.region_code, array_to_string(u.regions, ','))
          AND (s.regions IS NULL
               OR rm_region_allowed(e.region_code, array_to_string(s.regions, ',')))
          AND (s.layers IS NULL OR cardinality(e.layers) = 0 OR s.layers && e.layers)
          AND (s.min_severity IS NULL OR e.severity IS NULL
               OR rm_notify_severity_rank(e.severity) >= rm_notify_severity_rank(s.min_severity))
          AND (s.area IS NULL OR e.geom IS NULL OR (ST_Intersects(s.area, e.geom)
               -- an import's detections (one event per rule and county, geom their extent):
               -- the area must meet one of the violations themselves
               AND (NOT e.payload ? 'first_violation_id' OR EXISTS (
                   SELECT 1 FROM violations v JOIN violation_rules r ON r.id = v.rule_id
                   WHERE v.id BETWEEN (e.payload->>'first_violation_id')::bigint
                                  AND (e.payload->>'last_violation_id')::bigint
                     AND r.code = e.payload->>'rule_code'
                     AND v.region_code IS NOT DISTINCT FROM e.region_code
                     AND ST_Intersects(s.area, v.geom)))))
          AND (e.kind <> 'task.due'
               OR (e.payload->>'deadline')::date - current_date <= s.due_within_days)
        ORDER BY e.id, s.id
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM queued
$$;

CREATE OR REPLACE FUNCTION rm_notify_fanout() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rm_notify_deliver_to(ARRAY(SELECT id FROM new_rows));
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER notify_events_fanout AFTER INSERT ON notify_events
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rm_notify_fanout();

-- Where a link to the map should point: a point on the geometry, in WGS 84.
CREATE OR REPLACE FUNCTION rm_notify_position(g geometry) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN g IS NULL OR ST_IsEmpty(g) THEN NULL
                ELSE jsonb_build_object('lon', round(ST_X(c)::numeric, 6),
                                        'lat', round(ST_Y(c)::numeric, 6)) END
    FROM (SELECT ST_Centroid(g) AS c) p
$$;

-- Violations: new (detected), reopened (closed problem back in the data, or re-inspection),
-- any other lifecycle step is a status change. The violations an import detects (rm.bulk is
-- set for its one INSERT, geo.files.load) are announced per rule and county: one event with
-- their count, total area, id range and extent (a subscription's area is matched against
-- the violations themselves, rm_notify_deliver_to), not tens of thousands of messages for
-- one file. Copying every violation's geometry into the outbox cost as much as the
-- per-violation events did (BENCHMARKS.md, "Session 5").
CREATE OR REPLACE FUNCTION rm_notify_violation_events() RETURNS trigger LANGUAGE plpgsql
-- the grouping sorts one small row per violation: in memory
SET work_mem = '64MB' AS $$
DECLARE
    bulk text := nullif(current_setting('rm.bulk', true), '');
BEGIN
    INSERT INTO notify_events (kind, region_code, layers, severity, geom, ref, payload)
    SELECT CASE WHEN n.action = 'detected' THEN 'violation.new'
                WHEN n.to_status = 'reopened' OR n.action = 'redetected_by_data'
                  THEN 'violation.reopened'
                ELSE 'violation.status' END,
           v.region_code, array_remove(ARRAY[v.subject_layer, v.protected_layer], NULL),
           v.severity, v.geom, 'violation:' || v.id,
           jsonb_build_object(
               'violation_id', v.id, 'action', n.action, 'from_status', n.from_status,
               'to_status', n.to_status, 'actor', coalesce(n.cause_actor, n.actor),
               'note', n.note, 'rule_code', r.code, 'rule_name', r.name,
               'rule_name_zh', coalesce(r.name_zh, r.name), 'severity', v.severity,
               'subject_layer', v.subject_layer, 'subject_code', v.subject_code,
               'protected_layer', v.protected_layer, 'protected_code', v.protected_code,
               'area_m2', round(v.area_m2::numeric, 1), 'region_code', v.region_code,
               'region_name', g.name, 'region_name_en', g.name_en,
               'position', rm_notify_position(v.geom))
    FROM new_rows n
    JOIN violations v ON v.id = n.violation_id
    JOIN violation_rules r ON r.id = v.rule_id
    LEFT JOIN regions g ON g.code = v.region_code
    WHERE bulk IS NULL OR n.action <> 'detected'
    ORDER BY n.id;
    IF bulk IS NOT NULL THEN
        INSERT INTO notify_events (kind, region_code, layers, severity, geom, ref, payload)
        SELECT 'violation.new', x.region_code, x.layers, x.severity, x.geom,
               'import:' || bulk || ':' || x.rule_code || ':' || coalesce(x.region_code, '-'),
               x.payload || jsonb_build_object('position', rm_notify_position(x.geom))
        FROM (
            SELECT v.region_code, v.severity, r.code AS rule_code, min(n.id) AS first_event,
                   array_remove(ARRAY[v.subject_layer, v.protected_layer], NULL) AS layers,
                   ST_SetSRID(ST_Extent(ST_Envelope(v.geom))::geometry, 4326) AS geom,
                   jsonb_build_object(
                       'action', 'detected', 'count', count(*), 'file', bulk,
                       'first_violation_id', min(v.id), 'last_violation_id', max(v.id),
                       'to_status', min(n.to_status),
                       'actor', min(coalesce(n.cause_actor, n.actor)), 'note', min(n.note),
                       'rule_code', r.code, 'rule_name', r.name,
                       'rule_name_zh', coalesce(r.name_zh, r.name), 'severity', v.severity,
                       'subject_layer', v.subject_layer, 'protected_layer', v.protected_layer,
                       'area_m2', round(sum(v.area_m2)::numeric, 1),
                       'region_code', v.region_code, 'region_name', g.name,
                       'region_name_en', g.name_en) AS payload
            FROM new_rows n
            JOIN violations v ON v.id = n.violation_id
            JOIN violation_rules r ON r.id = v.rule_id
            LEFT JOIN regions g ON g.code = v.region_code
            WHERE n.action = 'detected'
            GROUP BY r.id, v.region_code, v.severity, v.subject_layer, v.protected_layer, g.code
        ) x
        ORDER BY x.first_event;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER violation_events_notify AFTER INSERT ON violation_events
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION rm_notify_violation_events();

-- A task note that states a status is a status change of its task.
CREATE OR REPLACE FUNCTION rm_notify_task_notes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notify_events (kind, region_code, ref, payload)
    SELECT 'task.status', t.region_code, 'task:' || t.code,
           jsonb_build_object(
               'task_code', t.code, 'title', t.title, 'status', n.status,
               'note_date', n.note_date, 'note', n.text, 'actor', n.actor,
               'deadline', t.deadline, 'deadline_text', t.deadline_text,
               'region_code', t.region_code, 'region_name', g.name,
               'region_name_en', g.name_en)
    FROM new_rows n
    JOIN rectification_tasks t ON t.id = n.task_id
    LEFT JOIN regions g ON g.code = t.region_code
    WHERE n.status IS NOT NULL
    ORDER BY n.id;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER task_notes_notify AFTER INSERT ON task_notes
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rm_notify_task_notes();

-- A field inspection that confirms the problem (核查属实).
CREATE OR REPLACE FUNCTION rm_notify_inspections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notify_events (kind, region_code, layers, severity, geom, ref, payload)
    SELECT 'inspection.confirmed', n.region_code,
           array_remove(ARRAY[f.layer, v.subject_layer], NULL), v.severity, n.geom,
           'inspection:' || n.uuid,
           jsonb_build_object(
               'inspection', n.uuid, 'verdict', n.verdict, 'note', n.note,
               'observed_at', n.observed_at, 'violation_id', n.violation_id,
               'feature_id', n.feature_id, 'feature_code', f.code,
               'severity', v.severity, 'inspector', u.name,
               'region_code', n.region_code, 'region_name', g.name,
               'region_name_en', g.name_en, 'position', rm_notify_position(n.geom))
    FROM new_rows n
    LEFT JOIN features f ON f.id = n.feature_id
    LEFT JOIN violations v ON v.id = n.violation_id
    LEFT JOIN users u ON u.id = n.inspector_id
    LEFT JOIN regions g ON g.code = n.region_code
    WHERE n.verdict = 'confirmed'
    ORDER BY n.created_at, n.uuid;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER inspections_notify AFTER INSERT ON inspections
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rm_notify_inspections();

-- An import: one event per layer and county. Rows are recognised by the source
-- geo.files.load gives them ('import: <file>'), or by the import's staging table (a temp
-- table dropped at commit) when the file brought sources of its own.
CREATE OR REPLACE FUNCTION rm_notify_imports() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    importing boolean := to_regclass('pg_temp.import_stage') IS NOT NULL;
BEGIN
    INSERT INTO notify_events (kind, region_code, layers, geom, ref, payload)
    SELECT 'import', n.region_code, ARRAY[n.layer],
           ST_SetSRID(ST_Extent(n.geom)::geometry, 4326),
           'import:' || n.layer || ':' || coalesce(n.region_code, '-'),
           jsonb_build_object(
               'layer', n.layer, 'count', count(*),
               'file', substr(min(n.source) FILTER (WHERE n.source LIKE 'import: %'), 9),
               'actor', coalesce(nullif(current_setting('rm.actor', true), ''), session_user),
               'region_code', n.region_code, 'region_name', min(g.name),
               'region_name_en', min(g.name_en),
               'position', rm_notify_position(ST_SetSRID(ST_Extent(n.geom)::geometry, 4326)))
    FROM new_rows n
    LEFT JOIN regions g ON g.code = n.region_code
    WHERE importing OR n.source LIKE 'import: %'
    GROUP BY n.layer, n.region_code
    ORDER BY n.layer, n.region_code;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER features_notify_imports AFTER INSERT ON features
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rm_notify_imports();
