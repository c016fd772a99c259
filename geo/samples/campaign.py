"""Load ``sample_layers/campaign.json`` idempotently: problems before the tasks that point to
them, then measures, their quantities and the reports' records, each upserted by its natural
key (problem code, task + position, record ref). Running it twice leaves the same rows."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Connection, text

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_layers"

_PROBLEMS = """
INSERT INTO campaign_problems AS p (code, report, party, round, aspect_no, aspect_label,
    aspect_title, no, label, statement, charged_places, charged_regions)
SELECT x->>'code', x->>'report', x->>'party', x->>'round', (x->>'aspect_no')::int,
       x->>'aspect_label', x->>'aspect_title', (x->>'no')::int, x->>'label', x->>'statement',
       ARRAY(SELECT jsonb_array_elements_text(x->'charged_places')),
       ARRAY(SELECT jsonb_array_elements_text(x->'charged_regions'))
FROM jsonb_array_elements(CAST(:problems AS jsonb)) AS x
ON CONFLICT (code) DO UPDATE SET
    report = EXCLUDED.report, party = EXCLUDED.party, round = EXCLUDED.round,
    aspect_no = EXCLUDED.aspect_no, aspect_label = EXCLUDED.aspect_label,
    aspect_title = EXCLUDED.aspect_title, no = EXCLUDED.no, label = EXCLUDED.label,
    statement = EXCLUDED.statement, charged_places = EXCLUDED.charged_places,
    charged_regions = EXCLUDED.charged_regions
WHERE (p.report, p.party, p.round, p.aspect_no, p.aspect_label, p.aspect_title, p.no,
       p.label, p.statement, p.charged_places, p.charged_regions)
  IS DISTINCT FROM
      (EXCLUDED.report, EXCLUDED.party, EXCLUDED.round, EXCLUDED.aspect_no,
       EXCLUDED.aspect_label, EXCLUDED.aspect_title, EXCLUDED.no, EXCLUDED.label,
       EXCLUDED.statement, EXCLUDED.charged_places, EXCLUDED.charged_regions)
"""

_MEASURES = """
INSERT INTO campaign_measures AS m (task_id, position, no, text, places, units)
SELECT t.id, (x->>'position')::int, (x->>'no')::int, x->>'text',
       ARRAY(SELECT jsonb_array_elements_text(x->'places')),
       ARRAY(SELECT jsonb_array_elements_text(x->'units'))
FROM jsonb_array_elements(CAST(:measures AS jsonb)) AS x
JOIN rectification_tasks t ON t.code = x->>'task_code'
ON CONFLICT (task_id, position) DO UPDATE SET
    no = EXCLUDED.no, text = EXCLUDED.text, places = EXCLUDED.places, units = EXCLUDED.units
WHERE (m.no, m.text, m.places, m.units)
      IS DISTINCT FROM (EXCLUDED.no, EXCLUDED.text, EXCLUDED.places, EXCLUDED.units)
"""

# A measure's quantities are replaced only when they differ from the file's.
_QUANTITIES = """
WITH src AS (
    SELECT m.id AS measure_id, q->>'kind' AS kind, (q->>'value')::numeric AS value,
           q->>'unit' AS unit, q->>'item' AS item, q->>'quote' AS quote, qo.n
    FROM jsonb_array_elements(CAST(:measures AS jsonb)) AS x
    JOIN rectification_tasks t ON t.code = x->>'task_code'
    JOIN campaign_measures m ON m.task_id = t.id AND m.position = (x->>'position')::int
    CROSS JOIN LATERAL jsonb_array_elements(x->'quantities') WITH ORDINALITY AS qo(q, n)
), changed AS (
    SELECT m.id FROM campaign_measures m
    WHERE m.id IN (SELECT measure_id FROM src) OR EXISTS (
        SELECT 1 FROM measure_quantities q WHERE q.measure_id = m.id)
    EXCEPT
    SELECT m.id FROM campaign_measures m
    WHERE ARRAY(SELECT (kind, value, unit, item, quote)::text FROM src WHERE measure_id = m.id
                ORDER BY n)
        = ARRAY(SELECT (kind, value, unit, item, quote)::text FROM measure_quantities q
                WHERE q.measure_id = m.id ORDER BY q.id)
), gone AS (
    DELETE FROM measure_quantities WHERE measure_id IN (SELECT id FROM changed)
)
INSERT INTO measure_quantities (measure_id, kind, value, unit, item, quote)
SELECT measure_id, kind, value, unit, item, quote FROM src
WHERE measure_id IN (SELECT id FROM changed) ORDER BY measure_id, n
"""

_RECORDS = """
INSERT INTO campaign_records AS r (ref, report, kind, party, problem_code, place, regions,
    figures, record_date, quote)
SELECT x->>'ref', x->>'report', x->>'kind', x->>'party', x->>'problem_code', x->>'place',
       ARRAY(SELECT jsonb_array_elements_text(x->'regions')), x->'figures', x->>'date',
       x->>'quote'
FROM jsonb_array_elements(CAST(:records AS jsonb)) AS x
ON CONFLICT (ref) DO UPDATE SET
    report = EXCLUDED.report, kind = EXCLUDED.kind, party = EXCLUDED.party,
    problem_code = EXCLUDED.problem_code, place = EXCLUDED.place, regions = EXCLUDED.regions,
    figures = EXCLUDED.figures, record_date = EXCLUDED.record_date, quote = EXCLUDED.quote
WHERE (r.report, r.kind, r.party, r.problem_code, r.place, r.regions, r.figures,
       r.record_date, r.quote)
  IS DISTINCT FROM
      (EXCLUDED.report, EXCLUDED.kind, EXCLUDED.party, EXCLUDED.problem_code, EXCLUDED.place,
       EXCLUDED.regions, EXCLUDED.figures, EXCLUDED.record_date, EXCLUDED.quote)
"""


# The reports' dated closures found premature (history only: the task's status comes from
# the report itself).
_SIGNOFFS = """
INSERT INTO task_signoffs (task_id, step, event_date, accepting_unit, evidence, finding,
    region_code, actor)
SELECT t.id, x->>'step', (x->>'event_date')::date, x->>'accepting_unit', x->'evidence',
       x->>'finding', t.region_code, :actor
FROM jsonb_array_elements(CAST(:signoffs AS jsonb)) WITH ORDINALITY AS xo(x, n)
JOIN rectification_tasks t ON t.code = x->>'task_code'
WHERE NOT EXISTS (SELECT 1 FROM task_signoffs s WHERE s.task_id = t.id
                  AND s.step = x->>'step' AND s.event_date = (x->>'event_date')::date)
ORDER BY n
"""


def _read() -> dict:
    return json.loads((SAMPLE_DIR / "campaign.json").read_text(encoding="utf-8"))


def load_problems(conn: Connection) -> None:
    """Before the tasks (they point to their problem)."""
    problems = json.dumps(_read()["problems"], ensure_ascii=False)
    conn.execute(text(_PROBLEMS), {"problems": problems})


def load_structure(conn: Connection) -> None:
    """After the tasks: measures, quantities and records."""
    data = _read()
    measures = json.dumps(data["measures"], ensure_ascii=False)
    conn.execute(text(_MEASURES), {"measures": measures})
    conn.execute(text(_QUANTITIES), {"measures": measures})
    conn.execute(text(_RECORDS), {"records": json.dumps(data["records"], ensure_ascii=False)})
    signoffs = json.dumps(data["signoffs"], ensure_ascii=False)
    conn.execute(text(_SIGNOFFS), {"signoffs": signoffs, "actor": "sample_layers"})


def counts(conn: Connection) -> dict[str, int]:
    tables = (
        "campaign_problems",
        "campaign_measures",
        "measure_quantities",
        "campaign_records",
        "task_signoffs",
    )
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    return dict(conn.execute(text(sql)).all())
