"""Open violations by county and severity, for the dashboard. Open: the data still breaks
the rule (``resolved_at`` unset) and the record is neither dismissed nor closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.violations.models import SEVERITIES

OPEN = "v.resolved_at IS NULL AND v.status NOT IN ('dismissed', 'closed')"

_SQL = f"""
SELECT v.region_code, g.name AS region_name, g.name_en AS region_name_en, v.severity,
       count(*)::int AS n, round(sum(v.area_m2)::numeric / 10000, 4)::float8 AS area_ha
FROM violations v LEFT JOIN regions g ON g.code = v.region_code
WHERE {OPEN}
  AND (CAST(:region AS text) IS NULL OR v.region_code = :region
       OR g.parent_code = :region)
GROUP BY v.region_code, g.name, g.name_en, v.severity
ORDER BY v.region_code NULLS LAST, v.severity
"""


async def open_by_region(conn: AsyncConnection, region: str | None) -> dict[str, Any]:
    """Counts and areas of open violations per county and severity, and their totals."""
    rows = (await conn.execute(text(_SQL), {"region": region})).all()
    groups: dict[str | None, dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault(
            r.region_code,
            {
                "region_code": r.region_code,
                "region_name": r.region_name,
                "region_name_en": r.region_name_en,
                "by_severity": {},
                "count": 0,
                "area_ha": 0.0,
            },
        )
        g["by_severity"][r.severity] = {"count": r.n, "area_ha": r.area_ha}
        g["count"] += r.n
        g["area_ha"] = round(g["area_ha"] + r.area_ha, 4)
    total: dict[str, Any] = {"count": 0, "by_severity": {}}
    for g in groups.values():
        total["count"] += g["count"]
        for sev, v in g["by_severity"].items():
            total["by_severity"][sev] = total["by_severity"].get(sev, 0) + v["count"]
    return {
        "definition": "open: resolved_at unset, status not dismissed or closed",
        "severities": list(SEVERITIES),
        "groups": list(groups.values()),
        "total": total,
    }
