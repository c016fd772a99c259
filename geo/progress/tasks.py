"""Rectification tasks (整改任务): state as of any date from their dated notes, filters, counts.

A task's known status as of D is the status of its last note dated on or before D that
carries one (a report's status at its cut-off, or a completion the text dates: a note is
dated on the day by which its fact is certain). Its state as of D, only from that evidence:

- ``unknown``: no status reported yet (a date before the report says nothing) — never overdue;
- ``completed``: the latest known status is complete (with the date the text gives, or
  "completed by <cut-off>, date not given");
- ``overdue``: the deadline is a date before D and a status dated on or after the deadline
  says not complete; it carries that status's date and source;
- ``no_report_since``: the deadline passed but the latest status is dated before it;
- else the latest known status (``in_progress``, ``ongoing``).

"Immediate and ongoing" tasks (立行立改，长期坚持) have no date and are never overdue.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.items import Where
from geo.kernel.errors import InvalidParameter, NotFound
from geo.kernel.regions import region_sql
from geo.progress.vocab import TASK_DONE, TASK_STATES, TASK_STATUSES

# The state of every task as of :as_of. It binds nothing else (the point check embeds it), so
# the one closed task status is written in from the vocabulary.
TASK_STATE = f"""
SELECT y.*, y.state = 'overdue' AS overdue FROM (
SELECT t.id, t.code, t.title, t.round, t.party, t.category, t.section, t.deadline,
       t.deadline_kind, t.deadline_text, t.lead_unit, t.responsible_units, t.units_note,
       t.region_code, g.name AS region_name, t.source, t.problem_code, t.charged_places,
       t.charged_regions,
       st.status, st.note_date AS status_date, st.text AS status_words,
       st.date_text AS status_date_text, st.date_precision AS status_precision,
       CASE WHEN st.id IS NULL THEN NULL
            WHEN st.actor = 'sample_layers' THEN
                 concat(t.source->>'document', '（', t.source->>'report_date', '）')
            ELSE concat('note #', st.id) END AS status_source,
       CASE WHEN st.status IS NULL THEN 'unknown'
            WHEN st.status = '{TASK_DONE}' THEN 'completed'
            WHEN t.deadline IS NOT NULL AND t.deadline < :as_of
                 AND st.note_date >= t.deadline THEN 'overdue'
            WHEN t.deadline IS NOT NULL AND t.deadline < :as_of THEN 'no_report_since'
            ELSE st.status END AS state,
       CASE WHEN cp.id IS NOT NULL THEN
            jsonb_build_object('date', CASE WHEN cp.kind = 'completion' THEN cp.date_text END,
                               'precision', CASE WHEN cp.kind = 'completion'
                                                 THEN cp.date_precision END,
                               'given', cp.kind = 'completion', 'known_by', cp.note_date,
                               'note', CASE WHEN cp.kind = 'completion' THEN cp.text
                                            ELSE cp.remark END)
       END AS completion,
       lu.note_date AS last_update, lu.text AS last_note,
       -- opened by then: a note other than a dated fact of its text (those may predate it)
       EXISTS (SELECT 1 FROM task_notes n WHERE n.task_id = t.id AND n.note_date <= :as_of
               AND (n.status IS NOT NULL OR n.kind IS DISTINCT FROM 'dated_fact')) AS opened,
       ARRAY(SELECT tf.feature_id FROM task_features tf WHERE tf.task_id = t.id
             ORDER BY tf.feature_id) AS feature_ids,
       ARRAY(SELECT tv.violation_id FROM task_violations tv WHERE tv.task_id = t.id
             ORDER BY tv.violation_id) AS violation_ids
FROM rectification_tasks t
LEFT JOIN regions g ON g.code = t.region_code
LEFT JOIN LATERAL (
    SELECT n.id, n.status, n.note_date, n.text, n.kind, n.remark, n.actor, n.date_text,
           n.date_precision
    FROM task_notes n
    WHERE n.task_id = t.id AND n.status IS NOT NULL AND n.note_date <= :as_of
    ORDER BY n.note_date DESC, n.id DESC LIMIT 1
) st ON TRUE
LEFT JOIN LATERAL (  -- the first completion after the last status that was not complete
    SELECT n.id, n.kind, n.note_date, n.date_text, n.date_precision, n.text, n.remark
    FROM task_notes n
    WHERE st.status = '{TASK_DONE}' AND n.task_id = t.id AND n.status = '{TASK_DONE}'
      AND n.note_date <= :as_of
      AND NOT EXISTS (SELECT 1 FROM task_notes m
                      WHERE m.task_id = t.id AND m.status <> '{TASK_DONE}'
                        AND m.note_date <= :as_of
                        AND (m.note_date, m.id) > (n.note_date, n.id))
    ORDER BY n.note_date, n.id LIMIT 1
) cp ON TRUE
LEFT JOIN LATERAL (
    SELECT n.note_date, n.text FROM task_notes n
    WHERE n.task_id = t.id AND n.note_date <= :as_of
    ORDER BY n.note_date DESC, n.id DESC LIMIT 1
) lu ON TRUE
) y
"""


def _where(
    status: str | None,
    state: str | None,
    overdue: bool | None,
    round_: str | None,
    region: str | None,
    party: str | None,
    feature_id: int | None,
    code: str | None = None,
) -> Where:
    """Filters on ``x`` (a row of TASK_STATE), values bound."""
    where = Where()
    where.add("x.opened")
    if code:
        where.add(f"x.code = {where.bind(code)}")
    if status:
        if status not in TASK_STATUSES:
            raise InvalidParameter(
                f"status: unknown task status {status!r}; use one of {', '.join(TASK_STATUSES)}",
                parameter="status",
            )
        where.add(f"x.status = {where.bind(status)}")
    if state:
        if state not in TASK_STATES:
            raise InvalidParameter(
                f"state: unknown task state {state!r}; use one of {', '.join(TASK_STATES)}",
                parameter="state",
            )
        where.add(f"x.state = {where.bind(state)}")
    if overdue is not None:
        where.add(f"x.overdue = {where.bind(overdue)}")
    if round_:
        where.add(f"x.round = {where.bind(round_)}")
    if party:
        where.add(f"x.party = {where.bind(party)}")
    if region:
        # A region the task is charged to, or any linked feature in that region.
        where.add(
            "EXISTS (SELECT 1 FROM unnest(x.charged_regions || x.region_code) c(code)"
            f" WHERE {region_sql('c.code', region, where.bind)}) OR EXISTS (SELECT 1"
            " FROM task_features tf JOIN features f ON f.id = tf.feature_id"
            f" WHERE tf.task_id = x.id AND {region_sql('f.region_code', region, where.bind)})"
        )
    if feature_id is not None:
        where.add(
            "EXISTS (SELECT 1 FROM task_features tf WHERE tf.task_id = x.id"
            f" AND tf.feature_id = {where.bind(feature_id)})"
        )
    return where


async def list_tasks(
    conn: AsyncConnection,
    as_of: date,
    status: str | None = None,
    overdue: bool | None = None,
    round_: str | None = None,
    region: str | None = None,
    party: str | None = None,
    feature_id: int | None = None,
    code: str | None = None,
    state: str | None = None,
) -> list[dict[str, Any]]:
    """Tasks opened as of ``as_of`` (a note on or before it), by code, with their state.
    ``feature_id`` gives the tasks covering a feature (for the point check's ``tasks``)."""
    where = _where(status, state, overdue, round_, region, party, feature_id, code)
    rows = (
        await conn.execute(
            text(f"SELECT x.* FROM ({TASK_STATE}) x WHERE {where.sql} ORDER BY x.code"),
            {"as_of": as_of, **where.params},
        )
    ).all()
    out = []
    for r in rows:
        d = dict(r._mapping)
        for k in ("deadline", "status_date", "last_update"):
            d[k] = d[k].isoformat() if d[k] else None
        d["feature_ids"] = list(d["feature_ids"])
        d["violation_ids"] = list(d["violation_ids"])
        out.append(d)
    return out


async def task_summary(
    conn: AsyncConnection,
    as_of: date,
    round_: str | None = None,
    region: str | None = None,
    party: str | None = None,
) -> dict[str, Any]:
    """Counts by status, by deadline (year or 'immediate_ongoing'), by party and round, and
    overdue — one query with GROUPING SETS."""
    where = _where(None, None, None, round_, region, party, None)
    sql = f"""
        WITH x AS (SELECT x.* FROM ({TASK_STATE}) x WHERE {where.sql})
        SELECT GROUPING(status) AS g_status, GROUPING(deadline_group) AS g_deadline,
               GROUPING(party) AS g_party, GROUPING(round) AS g_round,
               GROUPING(state) AS g_state,
               status, deadline_group, party, round, state,
               count(*)::int AS count, count(*) FILTER (WHERE overdue)::int AS overdue,
               count(*) FILTER (WHERE state = 'no_report_since')::int AS no_report_since
        FROM (SELECT x.*, CASE WHEN deadline IS NULL THEN deadline_kind
                               ELSE to_char(deadline, 'YYYY') END AS deadline_group FROM x) z
        GROUP BY GROUPING SETS ((status), (deadline_group), (party), (round), (state), ())
    """
    params = {"as_of": as_of, **where.params}
    rows = [dict(r._mapping) for r in await conn.execute(text(sql), params)]
    out: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "total": 0,
        "overdue": 0,
        "no_report_since": 0,
        "by_state": {},
        "by_status": {},
        "by_deadline": {},
        "by_party": {},
        "by_round": {},
    }
    for r in rows:
        cell = {"count": r["count"], "overdue": r["overdue"]}
        if not r["g_state"]:
            out["by_state"][r["state"]] = r["count"]
        elif not r["g_status"]:
            out["by_status"][r["status"] or "unknown"] = cell
        elif not r["g_deadline"]:
            out["by_deadline"][r["deadline_group"]] = cell
        elif not r["g_party"]:
            out["by_party"][r["party"]] = cell
        elif not r["g_round"]:
            out["by_round"][r["round"]] = cell
        else:
            out["total"], out["overdue"] = r["count"], r["overdue"]
            out["no_report_since"] = r["no_report_since"]
    for k in ("by_state", "by_status", "by_deadline", "by_party", "by_round"):
        out[k] = dict(sorted(out[k].items()))
    return out


async def get_task(conn: AsyncConnection, code: str, as_of: date) -> dict[str, Any]:
    """One task as of ``as_of`` with its problem and notes; 404 when it does not exist or has
    no status yet."""
    found = (
        await conn.execute(
            text("SELECT id, problem FROM rectification_tasks WHERE code = :c"), {"c": code}
        )
    ).first()
    if found is None:
        raise NotFound(f"task {code!r} does not exist")
    rows = await list_tasks(conn, as_of, code=code)
    if not rows:
        raise NotFound(f"task {code!r} has no status as of {as_of.isoformat()}")
    return {**rows[0], "problem": found.problem, "notes": await task_notes(conn, found.id, as_of)}


async def task_notes(conn: AsyncConnection, task_id: int, as_of: date) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            "SELECT id, note_date, status, text, remark, evidence_ref, actor, kind,"
            " date_precision, date_text FROM task_notes"
            " WHERE task_id = :t AND note_date <= :as_of ORDER BY note_date, id"
        ),
        {"t": task_id, "as_of": as_of},
    )
    return [{**dict(r._mapping), "note_date": r.note_date.isoformat()} for r in rows]


async def add_note(
    conn: AsyncConnection,
    code: str,
    note_date: date,
    status: str | None,
    body: str,
    evidence_ref: str | None,
    actor: str,
    today: date,
) -> dict[str, Any]:
    """A dated progress note written by a user (kind ``update``), with a status or without.
    The caller checks the scope first (:func:`task_region`)."""
    if note_date > today:
        raise InvalidParameter(f"note_date {note_date} is in the future", parameter="note_date")
    if status is not None and status not in TASK_STATUSES:
        raise InvalidParameter(
            f"status: unknown task status {status!r}; use one of {', '.join(TASK_STATUSES)}",
            parameter="status",
        )
    await conn.execute(
        text(
            "INSERT INTO task_notes (task_id, note_date, status, text, evidence_ref, kind, actor)"
            " SELECT id, :d, :s, :body, :ev, 'update', :actor FROM rectification_tasks"
            " WHERE code = :c"
        ),
        {"d": note_date, "s": status, "body": body, "ev": evidence_ref, "actor": actor, "c": code},
    )
    return {"code": code, "note_date": note_date.isoformat(), "status": status}


async def task_region(conn: AsyncConnection, code: str) -> str | None:
    """The task's region (404 when there is no such task), for the caller's scope check."""
    row = (
        await conn.execute(
            text("SELECT region_code FROM rectification_tasks WHERE code = :c FOR UPDATE"),
            {"c": code},
        )
    ).first()
    if row is None:
        raise NotFound(f"task {code!r} does not exist")
    return row.region_code
