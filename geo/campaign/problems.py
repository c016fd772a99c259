"""Problems as the reports list them, each with its tasks (state as of a date, from
geo.progress) and each task's numbered measures with their quantities; quantity sums per
problem by kind and unit."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.items import Where
from geo.kernel.errors import InvalidParameter, NotFound
from geo.kernel.regions import region_sql
from geo.progress import TASK_STATE

PARTIES = ("changji", "xinjiang", "bingtuan")

_PROBLEMS = """
SELECT p.code, p.report, p.party, p.round, p.aspect_no, p.aspect_label, p.aspect_title, p.no,
       p.label, p.statement, p.charged_places, p.charged_regions
FROM campaign_problems p WHERE {where} ORDER BY p.party, p.no
"""

_TASKS = """
SELECT x.code, x.problem_code, x.title, x.deadline, x.deadline_kind, x.deadline_text,
       x.status, x.status_words, x.status_date, x.status_source, x.state, x.overdue,
       x.completion, x.lead_unit, x.responsible_units, x.charged_places, x.charged_regions,
       t.progress_text, t.source
FROM ({task_state}) x JOIN rectification_tasks t ON t.id = x.id
WHERE x.problem_code = ANY(:codes) ORDER BY x.code
"""

_MEASURES = """
SELECT t.code AS task_code, m.id, m.position, m.no, m.text, m.places, m.units,
       COALESCE(jsonb_agg(jsonb_build_object('kind', q.kind, 'value', q.value, 'unit', q.unit,
                                             'item', q.item, 'quote', q.quote) ORDER BY q.id)
                FILTER (WHERE q.id IS NOT NULL), '[]') AS quantities
FROM campaign_measures m JOIN rectification_tasks t ON t.id = m.task_id
LEFT JOIN measure_quantities q ON q.measure_id = m.id
WHERE t.problem_code = ANY(:codes)
GROUP BY t.code, m.id ORDER BY t.code, m.position
"""


def _where(
    party: str | None, region: str | None, report: str | None, code: str | None = None
) -> Where:
    where = Where()
    where.add("TRUE")
    if code:
        where.add(f"p.code = {where.bind(code)}")
    if party:
        if party not in PARTIES:
            raise InvalidParameter(
                f"party: unknown party {party!r}; use one of {', '.join(PARTIES)}",
                parameter="party",
            )
        where.add(f"p.party = {where.bind(party)}")
    if report:
        where.add(f"p.report = {where.bind(report)}")
    if region:
        where.add(
            "EXISTS (SELECT 1 FROM unnest(p.charged_regions) c(code)"
            f" WHERE {region_sql('c.code', region, where.bind)})"
        )
    return where


def quantity_totals(measures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Planned and done totals by unit (quantities with the same unit add up)."""
    acc: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for m in measures:
        for q in m["quantities"]:
            acc[(q["kind"], q["unit"])] += Decimal(str(q["value"]))
    return [{"kind": k, "unit": u, "total": float(v)} for (k, u), v in sorted(acc.items())]


def _task(row: Any, measures: list[dict[str, Any]]) -> dict[str, Any]:
    d = dict(row._mapping)
    for k in ("deadline", "status_date"):
        d[k] = d[k].isoformat() if d[k] else None
    d["measures"] = measures
    d["quantity_totals"] = quantity_totals(measures)
    return d


async def list_problems(
    conn: AsyncConnection,
    as_of: date,
    party: str | None = None,
    region: str | None = None,
    report: str | None = None,
    code: str | None = None,
) -> list[dict[str, Any]]:
    """Every problem (filtered) with its tasks as of ``as_of`` and their measures."""
    where = _where(party, region, report, code)
    problems = [
        dict(r._mapping)
        for r in await conn.execute(text(_PROBLEMS.format(where=where.sql)), where.params)
    ]
    codes = [p["code"] for p in problems]
    measures: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in await conn.execute(text(_MEASURES), {"codes": codes}):
        m = dict(r._mapping)
        measures[m.pop("task_code")].append(m)
    tasks: dict[str, list[dict[str, Any]]] = defaultdict(list)
    sql = _TASKS.format(task_state=TASK_STATE)
    for r in await conn.execute(text(sql), {"codes": codes, "as_of": as_of}):
        tasks[r.problem_code].append(_task(r, measures[r.code]))
    for p in problems:
        p["tasks"] = tasks[p["code"]]
        p["task_count"] = len(p["tasks"])
        p["quantity_totals"] = quantity_totals([m for t in p["tasks"] for m in t["measures"]])
    return problems


async def get_problem(conn: AsyncConnection, code: str, as_of: date) -> dict[str, Any]:
    rows = await list_problems(conn, as_of, code=code)
    if not rows:
        raise NotFound(f"problem {code!r} does not exist")
    return rows[0]
