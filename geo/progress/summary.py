"""Progress summaries of restoration records, as of any date, aggregated in SQL.

Definitions (also in the README):
- ``area_ha``: measured area of the features (from their geometry, ``features.area_m2``);
  ``area_mu`` = ``area_ha`` × 15.
- ``completed_count`` / ``completed_area_ha``: a closed status (``vocab.CLOSED``: completed,
  accepted or repurposed); ``completion_by_count`` and ``completion_by_area`` are their
  shares of ``count``/``area_ha``.
- ``started_count`` / ``started_area_ha``: ``vocab.STARTED`` (in_progress or closed; the
  reports' "已完成和启动").
- ``overdue_count``: deadline (as of that date) before ``as_of`` and not closed.
- A record counts from its first event on; before it, it does not exist yet.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.items import Where
from geo.kernel.errors import InvalidParameter
from geo.kernel.regions import region_sql
from geo.progress.restoration import STATE_AS_OF
from geo.progress.vocab import CLOSED, STARTED

MU_PER_HA = 15
# The statuses the measures count, bound as arrays into every summary statement.
_VOCAB = {"closed": list(CLOSED), "started": list(STARTED)}
GROUPS = {
    "region": ("f.region_code", "g.name"),
    "layer": ("f.layer",),
    "status": ("s.status",),
}
_ALIASES = {
    "f.region_code": "region_code",
    "g.name": "region_name",
    "f.layer": "layer",
    "s.status": "status",
}


def parse_group_by(value: str | None) -> list[str]:
    if not value:
        return []
    names = [v.strip() for v in value.split(",") if v.strip()]
    bad = [n for n in names if n not in GROUPS]
    if bad:
        raise InvalidParameter(
            f"group_by: unknown grouping {', '.join(bad)}; use region, layer, status "
            "(comma-separated)",
            parameter="group_by",
        )
    return list(dict.fromkeys(names))


def _filters(where: Where, layer: str | None, region: str | None) -> str:
    """Adds the layer and region filters on ``f`` (features) to ``where``; returns its SQL."""
    if region:
        where.add(region_sql("f.region_code", region, where.bind))
    if layer:
        where.add(f"f.layer = {where.bind(layer)}")
    return where.sql


def items_sql(where_sql: str) -> str:
    """The restorable items as of :as_of, one row each, with measured area and overdue flag."""
    return f"""
        SELECT f.id AS feature_id, f.layer, f.region_code, g.name AS region_name, s.status,
               f.area_m2 / 10000 AS area_ha, s.restored_area_ha, s.target_area_ha,
               (s.deadline IS NOT NULL AND s.deadline < :as_of
                AND s.status <> ALL(:closed)) AS overdue
        FROM ({STATE_AS_OF}) s
        JOIN restoration_records r ON r.id = s.record_id
        JOIN features f ON f.id = r.feature_id
        LEFT JOIN regions g ON g.code = f.region_code
        WHERE {where_sql}
    """


def _measures() -> str:
    """Aggregates over ``items``."""
    return """
        count(*) AS n, sum(area_ha) AS area, sum(restored_area_ha) AS restored,
        sum(target_area_ha) AS target,
        count(*) FILTER (WHERE status = ANY(:closed)) AS done_n,
        coalesce(sum(area_ha) FILTER (WHERE status = ANY(:closed)), 0) AS done_area,
        count(*) FILTER (WHERE status = ANY(:started)) AS started_n,
        coalesce(sum(area_ha) FILTER (WHERE status = ANY(:started)), 0) AS started_area,
        count(*) FILTER (WHERE overdue) AS overdue_n
    """


def _summary_sql(outer_cols: list[str], where_sql: str) -> str:
    """Groups (g = 0) and the total (g = 1), each split by status; then rolled up with a
    by_status object. (GROUPING SETS cannot tell the two apart when grouping by status.)"""
    inner_group = ", ".join(dict.fromkeys([*outer_cols, "status"]))
    parts = []
    if outer_cols:
        parts.append(
            f"SELECT 0 AS g, {', '.join(outer_cols)}, status AS st, {_measures()}"
            f" FROM items GROUP BY {inner_group}"
        )
    total_cols = "".join(f"NULL::text AS {c}, " for c in outer_cols)
    parts.append(
        f"SELECT 1 AS g, {total_cols}status AS st, {_measures()} FROM items GROUP BY status"
    )
    sel_cols = "".join(f"{c}, " for c in outer_cols)
    return f"""
        WITH items AS ({items_sql(where_sql)}),
        per_status AS ({" UNION ALL ".join(parts)})
        SELECT g, {sel_cols}
               sum(n)::int AS count, sum(area) AS area_ha, sum(restored) AS restored_area_ha,
               sum(target) AS target_area_ha,
               sum(done_n)::int AS completed_count, sum(done_area) AS completed_area_ha,
               sum(started_n)::int AS started_count, sum(started_area) AS started_area_ha,
               sum(overdue_n)::int AS overdue_count,
               jsonb_object_agg(st, jsonb_build_object(
                   'count', n, 'area_ha', round(area::numeric, 4),
                   'area_mu', round((area * {MU_PER_HA})::numeric, 2),
                   'restored_area_ha', round(restored::numeric, 4))) AS by_status
        FROM per_status
        GROUP BY g{"".join(f", {c}" for c in outer_cols)}
        ORDER BY g{"".join(f", {c}" for c in outer_cols)}
    """


async def summary(
    conn: AsyncConnection,
    as_of: date,
    group_by: list[str],
    layer: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Counts and areas by the chosen groups, a ``by_status`` breakdown in each group and a
    total: one query (per-status partial sums, rolled up)."""
    outer_cols = [_ALIASES[c] for g in group_by for c in GROUPS[g]]
    where = Where()
    sql = _summary_sql(outer_cols, _filters(where, layer, region))
    params = {"as_of": as_of, **_VOCAB, **where.params}
    groups, total = [], None
    for row in (await conn.execute(text(sql), params)).all():
        m = dict(row._mapping)
        entry = _finish(m, outer_cols)
        if m["g"] == 0 and outer_cols:
            groups.append(entry)
        else:
            total = entry
    if total is None:
        total = _finish({"count": 0, "by_status": {}}, [])
    if region:
        total = {"region_code": region, **total}
    return {"as_of": as_of.isoformat(), "group_by": group_by, "groups": groups, "total": total}


def _r(v, nd=4):
    return None if v is None else round(float(v), nd)


def _finish(m: dict[str, Any], cols: list[str]) -> dict[str, Any]:
    count = m.get("count") or 0
    area = float(m.get("area_ha") or 0)
    out = {c: m[c] for c in cols}
    out.update(
        count=count,
        area_ha=round(area, 4),
        area_mu=round(area * MU_PER_HA, 2),
        target_area_ha=_r(m.get("target_area_ha")) or 0.0,
        restored_area_ha=_r(m.get("restored_area_ha")) or 0.0,
        completed_count=m.get("completed_count") or 0,
        completed_area_ha=_r(m.get("completed_area_ha")) or 0.0,
        started_count=m.get("started_count") or 0,
        started_area_ha=_r(m.get("started_area_ha")) or 0.0,
        completion_by_count=round((m.get("completed_count") or 0) / count, 4) if count else None,
        completion_by_area=round(float(m.get("completed_area_ha") or 0) / area, 4)
        if area
        else None,
        overdue_count=m.get("overdue_count") or 0,
        by_status={
            k: {
                **v,
                "area_ha": float(v["area_ha"]),
                "area_mu": float(v["area_mu"]),
                "restored_area_ha": float(v["restored_area_ha"] or 0),
            }
            for k, v in sorted((m.get("by_status") or {}).items())
        },
    )
    return out


async def series(
    conn: AsyncConnection,
    start: date,
    end: date,
    layer: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Month by month (state at each month's end): counts by status, restored area, one query."""
    if start > end:
        raise InvalidParameter("from: must not be after to", parameter="from")
    where = Where()
    where_sql = _filters(where, layer, region)
    sql = f"""
        WITH months AS (
            SELECT m::date AS month_start, (m + interval '1 month' - interval '1 day')::date
                   AS month_end
            FROM generate_series(date_trunc('month', CAST(:start AS date)),
                                 date_trunc('month', CAST(:end AS date)), interval '1 month') m
        ),
        states AS (
            SELECT mo.month_start, s.status, s.restored_area_ha, f.area_m2 / 10000 AS area_ha
            FROM months mo
            CROSS JOIN LATERAL (
                SELECT DISTINCT ON (e.record_id) e.record_id, e.status, e.restored_area_ha
                FROM restoration_events e WHERE e.event_date <= mo.month_end
                ORDER BY e.record_id, e.event_date DESC, e.id DESC
            ) s
            JOIN restoration_records r ON r.id = s.record_id
            JOIN features f ON f.id = r.feature_id
            WHERE {where_sql}
        ),
        per_status AS (
            SELECT month_start, status, count(*) AS n, sum(restored_area_ha) AS restored
            FROM states GROUP BY month_start, status
        )
        SELECT to_char(mo.month_start, 'YYYY-MM') AS month,
               coalesce(jsonb_object_agg(p.status, p.n) FILTER (WHERE p.status IS NOT NULL),
                        '{{}}'::jsonb) AS by_status,
               coalesce(sum(p.n), 0)::int AS count,
               round(coalesce(sum(p.restored), 0)::numeric, 4)::float8 AS restored_area_ha
        FROM months mo LEFT JOIN per_status p ON p.month_start = mo.month_start
        GROUP BY mo.month_start ORDER BY mo.month_start
    """
    params = {"start": start, "end": end, **where.params}
    rows = (await conn.execute(text(sql), params)).all()
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "layer": layer,
        "region": region,
        "months": [dict(r._mapping) for r in rows],
    }


def _reported_sql(where_sql: str) -> str:
    """Features with a reported area, reported against measured, flagged beyond :tol."""
    return f"""
        SELECT b.*, (b.reported_ha IS NULL
                     OR abs(b.reported_ha - b.measured_ha) > :tol * b.measured_ha) AS flagged
        FROM (SELECT f.id, f.layer, f.code, f.name, f.region_code, g.name AS region_name,
                     (f.properties->>'reported_area_ha')::float8 AS reported_ha,
                     f.area_m2 / 10000 AS measured_ha
              FROM features f LEFT JOIN regions g ON g.code = f.region_code
              WHERE f.properties ? 'reported_area_ha' AND {where_sql}) b
    """


def _per_county_sql(flagged: str) -> str:
    """Sums per county and a total (GROUPING SETS; g = 1 is the total)."""
    return f"""
        SELECT GROUPING(region_code) AS g, region_code, min(region_name) AS region_name,
               count(*)::int AS count, count(reported_ha)::int AS reported_count,
               round(coalesce(sum(reported_ha), 0)::numeric, 4)::float8 AS reported_ha,
               round(sum(measured_ha)::numeric, 4)::float8 AS measured_ha,
               round(sum(measured_ha) FILTER (WHERE reported_ha IS NULL)::numeric, 4)::float8
                   AS unreported_measured_ha,
               count(*) FILTER (WHERE flagged)::int AS flagged_count,
               round(coalesce(sum(measured_ha - coalesce(reported_ha, 0))
                              FILTER (WHERE flagged), 0)::numeric, 4)::float8
                   AS flagged_gap_ha
        FROM ({flagged}) x
        GROUP BY GROUPING SETS ((region_code), ())
        ORDER BY g, region_code
    """


def _flagged_items_sql(flagged: str) -> str:
    return f"""
        SELECT id, layer, code, name, region_code,
               round(reported_ha::numeric, 4)::float8 AS reported_ha,
               round(measured_ha::numeric, 4)::float8 AS measured_ha,
               round(((reported_ha - measured_ha) / nullif(measured_ha, 0))::numeric, 4)::float8
                   AS difference_share,
               CASE WHEN reported_ha IS NULL THEN 'not_reported'
                    WHEN reported_ha < measured_ha THEN 'under_reported'
                    ELSE 'over_reported' END AS reason
        FROM ({flagged}) x WHERE flagged
        ORDER BY region_code, layer, code
    """


def _with_ratio(r: dict[str, Any]) -> dict[str, Any]:
    """The row without its grouping flag, with the ratio and the areas in mu."""
    r = {k: v for k, v in r.items() if k != "g"}
    rep, mea = r["reported_ha"], r["measured_ha"] or 0
    r["ratio_reported_to_measured"] = round(rep / mea, 4) if mea else None
    r["reported_mu"] = round(rep * MU_PER_HA, 2)
    r["measured_mu"] = round(mea * MU_PER_HA, 2)
    return r


async def reported_vs_measured(
    conn: AsyncConnection, layer: str | None, region: str | None, tolerance: float
) -> dict[str, Any]:
    """Features with a ``reported_area_ha`` attribute: reported against measured area, flagged
    when they differ by more than ``tolerance`` (a share of the measured area), summed per
    county with a prefecture total (GROUPING SETS)."""
    where = Where()
    flagged = _reported_sql(_filters(where, layer, region))
    params = {"tol": tolerance, **where.params}
    rows = [dict(r._mapping) for r in await conn.execute(text(_per_county_sql(flagged)), params)]
    items = await conn.execute(text(_flagged_items_sql(flagged)), params)
    counties = [_with_ratio(r) for r in rows if r["g"] == 0]
    total = next((_with_ratio(r) for r in rows if r["g"] == 1), None)
    if total:
        total["region_code"] = region
        total["region_name"] = None
    return {
        "layer": layer,
        "region": region,
        "tolerance": tolerance,
        "counties": counties,
        "total": total,
        "flagged": [dict(i._mapping) for i in items],
    }
