"""Load ``sample_layers/restoration.json`` and ``sample_layers/tasks.json`` idempotently:
records and tasks are upserted by their natural keys, events and notes inserted only when the
same one (same date, status, values) is not there yet. Running it twice leaves the same rows."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Connection, text

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_layers"
SAMPLE_ACTOR = "sample_layers"

_RECORDS = """
INSERT INTO restoration_records (feature_id)
SELECT f.id FROM jsonb_to_recordset(CAST(:recs AS jsonb)) AS r(layer text, code text)
JOIN features f ON f.layer = r.layer AND f.code = r.code
ON CONFLICT (feature_id) DO NOTHING
"""

# Each sample event carries the record's values (plan only once there is one), so every
# event is a full snapshot, as the API writes them.
_EVENTS = """
WITH src AS (
    SELECT rr.id AS record_id, (e->>'date')::date AS event_date, e->>'status' AS status,
           (r->>'target_area_ha')::float8 AS target_area_ha,
           (e->>'restored_area_ha')::float8 AS restored_area_ha,
           CASE WHEN e->>'status' <> 'not_started' THEN r->>'plan_ref' END AS plan_ref,
           r->>'funding' AS funding, (r->>'deadline')::date AS deadline,
           r->>'responsible_unit' AS responsible_unit, e->>'note' AS note,
           ro.n AS rec_no, eo.n AS ev_no
    FROM jsonb_array_elements(CAST(:recs AS jsonb)) WITH ORDINALITY AS ro(r, n)
    JOIN features f ON f.layer = ro.r->>'layer' AND f.code = ro.r->>'code'
    JOIN restoration_records rr ON rr.feature_id = f.id
    CROSS JOIN LATERAL jsonb_array_elements(ro.r->'events') WITH ORDINALITY AS eo(e, n)
)
INSERT INTO restoration_events (record_id, event_date, status, target_area_ha,
    restored_area_ha, plan_ref, funding, deadline, responsible_unit, note, actor)
SELECT record_id, event_date, status, target_area_ha, restored_area_ha, plan_ref, funding,
       deadline, responsible_unit, note, :actor
FROM src s
WHERE NOT EXISTS (
    SELECT 1 FROM restoration_events x
    WHERE x.record_id = s.record_id AND x.event_date = s.event_date AND x.status = s.status
      AND x.restored_area_ha = s.restored_area_ha AND x.note IS NOT DISTINCT FROM s.note)
ORDER BY rec_no, ev_no
"""

_TASKS = """
INSERT INTO rectification_tasks AS t (code, title, problem, round, party, category, section,
    deadline, deadline_kind, deadline_text, lead_unit, responsible_units, units_note,
    region_code, source, problem_code, charged_places, charged_regions, progress_text)
SELECT x->>'code', x->>'title', x->>'problem', x->>'round', x->>'party', x->>'category',
       x->>'section', (x->>'deadline')::date, x->>'deadline_kind', x->>'deadline_text',
       x->>'lead_unit', ARRAY(SELECT jsonb_array_elements_text(x->'responsible_units')),
       x->>'units_note', x->>'region_code', x->'source', x->>'problem_code',
       ARRAY(SELECT jsonb_array_elements_text(x->'charged_places')),
       ARRAY(SELECT jsonb_array_elements_text(x->'charged_regions')), x->>'progress_text'
FROM jsonb_array_elements(CAST(:tasks AS jsonb)) AS x
ON CONFLICT (code) DO UPDATE SET
    title = EXCLUDED.title, problem = EXCLUDED.problem, round = EXCLUDED.round,
    party = EXCLUDED.party, category = EXCLUDED.category, section = EXCLUDED.section,
    deadline = EXCLUDED.deadline, deadline_kind = EXCLUDED.deadline_kind,
    deadline_text = EXCLUDED.deadline_text, lead_unit = EXCLUDED.lead_unit,
    responsible_units = EXCLUDED.responsible_units, units_note = EXCLUDED.units_note,
    region_code = EXCLUDED.region_code, source = EXCLUDED.source,
    problem_code = EXCLUDED.problem_code, charged_places = EXCLUDED.charged_places,
    charged_regions = EXCLUDED.charged_regions, progress_text = EXCLUDED.progress_text
WHERE (t.title, t.problem, t.round, t.party, t.category, t.section, t.deadline,
       t.deadline_kind, t.deadline_text, t.lead_unit, t.responsible_units, t.units_note,
       t.region_code, t.source, t.problem_code, t.charged_places, t.charged_regions,
       t.progress_text)
  IS DISTINCT FROM
      (EXCLUDED.title, EXCLUDED.problem, EXCLUDED.round, EXCLUDED.party, EXCLUDED.category,
       EXCLUDED.section, EXCLUDED.deadline, EXCLUDED.deadline_kind, EXCLUDED.deadline_text,
       EXCLUDED.lead_unit, EXCLUDED.responsible_units, EXCLUDED.units_note,
       EXCLUDED.region_code, EXCLUDED.source, EXCLUDED.problem_code, EXCLUDED.charged_places,
       EXCLUDED.charged_regions, EXCLUDED.progress_text)
"""

_NOTES = """
WITH src AS (
    SELECT t.id AS task_id, (n->>'date')::date AS note_date, n->>'status' AS status,
           n->>'text' AS body, n->>'note' AS remark, n->>'kind' AS kind,
           n->>'precision' AS date_precision, n->>'date_text' AS date_text, xo.k, no.k AS j
    FROM jsonb_array_elements(CAST(:tasks AS jsonb)) WITH ORDINALITY AS xo(x, k)
    JOIN rectification_tasks t ON t.code = xo.x->>'code'
    CROSS JOIN LATERAL jsonb_array_elements(xo.x->'notes') WITH ORDINALITY AS no(n, k)
)
INSERT INTO task_notes (task_id, note_date, status, text, remark, kind, date_precision,
    date_text, actor)
SELECT task_id, note_date, status, body, remark, kind, date_precision, date_text, :actor
FROM src s
WHERE NOT EXISTS (
    SELECT 1 FROM task_notes y WHERE y.task_id = s.task_id AND y.note_date = s.note_date
      AND y.status IS NOT DISTINCT FROM s.status AND y.text = s.body)
ORDER BY k, j
"""

_LINKS = """
WITH wanted AS (
    SELECT t.id AS task_id, f.id AS feature_id
    FROM jsonb_array_elements(CAST(:tasks AS jsonb)) AS x
    JOIN rectification_tasks t ON t.code = x->>'code'
    CROSS JOIN LATERAL jsonb_array_elements_text(x->'feature_codes') AS c(code)
    JOIN features f ON f.code = c.code
), gone AS (
    DELETE FROM task_features tf
    WHERE tf.task_id IN (SELECT t.id FROM rectification_tasks t
                         WHERE t.code IN (SELECT x->>'code'
                                          FROM jsonb_array_elements(CAST(:tasks AS jsonb)) x))
      AND (tf.task_id, tf.feature_id) NOT IN (SELECT task_id, feature_id FROM wanted)
)
INSERT INTO task_features (task_id, feature_id) SELECT task_id, feature_id FROM wanted
ON CONFLICT DO NOTHING
"""


def _read(name: str):
    return json.loads((SAMPLE_DIR / name).read_text(encoding="utf-8"))


def load_restoration(conn: Connection) -> None:
    recs = json.dumps(_read("restoration.json"), ensure_ascii=False)
    conn.execute(text(_RECORDS), {"recs": recs})
    conn.execute(text(_EVENTS), {"recs": recs, "actor": SAMPLE_ACTOR})


def load_tasks(conn: Connection) -> None:
    tasks = json.dumps(_read("tasks.json"), ensure_ascii=False)
    conn.execute(text(_TASKS), {"tasks": tasks})
    conn.execute(text(_NOTES), {"tasks": tasks, "actor": SAMPLE_ACTOR})
    conn.execute(text(_LINKS), {"tasks": tasks})


def counts(conn: Connection) -> dict[str, int]:
    tables = (
        "restoration_records",
        "restoration_events",
        "rectification_tasks",
        "task_notes",
        "task_features",
    )
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    return dict(conn.execute(text(sql)).all())
