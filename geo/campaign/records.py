"""Accountability, petitions, compensation, disclosures and premature closures: the records
with their figures and quotes, and the figures summed per report and per region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.campaign.vocab import RECORD_KINDS
from geo.catalog.items import Where
from geo.kernel.errors import InvalidParameter
from geo.kernel.regions import region_sql


def _where(kind: str | None, region: str | None, problem: str | None) -> Where:
    where = Where()
    where.add("TRUE")
    if kind:
        if kind not in RECORD_KINDS:
            raise InvalidParameter(
                f"kind: unknown record kind {kind!r}; use one of {', '.join(RECORD_KINDS)}",
                parameter="kind",
            )
        where.add(f"r.kind = {where.bind(kind)}")
    if region:
        where.add(
            "EXISTS (SELECT 1 FROM unnest(r.regions) c(code)"
            f" WHERE {region_sql('c.code', region, where.bind)})"
        )
    if problem:
        where.add(f"r.problem_code = {where.bind(problem)}")
    return where


async def list_records(
    conn: AsyncConnection,
    kind: str | None = None,
    region: str | None = None,
    problem: str | None = None,
) -> list[dict[str, Any]]:
    where = _where(kind, region, problem)
    rows = await conn.execute(
        text(
            "SELECT r.ref, r.report, r.kind, r.party, r.problem_code, r.place, r.regions,"
            f" r.figures, r.record_date, r.quote FROM campaign_records r WHERE {where.sql}"
            " ORDER BY r.ref"
        ),
        where.params,
    )
    return [dict(r._mapping) for r in rows]


# Figures summed per group (the report, or each region a record is charged to): one row per
# figure name. Percentages are rates, not amounts: they are not summed.
_SUMS = """
SELECT {group} AS grp, r.kind, f.key AS figure, sum(f.value::numeric) AS total
FROM campaign_records r
CROSS JOIN LATERAL jsonb_each_text(r.figures) AS f(key, value)
{join}
WHERE {where} AND right(f.key, 4) <> '_pct'
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
_GROUPS = {
    "by_report": ("r.report", ""),
    "by_region": ("c.code", "CROSS JOIN LATERAL unnest(r.regions) AS c(code)"),
}


async def record_summary(conn: AsyncConnection, region: str | None = None) -> dict[str, Any]:
    """Sums of every figure (people, units, cases, petitions received/closed, …) per report
    and per region the records are charged to."""
    where = _where(None, region, None)
    out: dict[str, Any] = {}
    for name, (group, join) in _GROUPS.items():
        sql = _SUMS.format(group=group, join=join, where=where.sql)
        out[name] = {}
        for r in await conn.execute(text(sql), where.params):
            total = float(r.total) if r.total % 1 else int(r.total)
            out[name].setdefault(r.grp, {}).setdefault(r.kind, {})[r.figure] = total
    return out
