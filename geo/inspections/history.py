"""What an inspector looks up in the field: a feature or violation by its code (as printed
on the ledger: ``PIT-652301-0001``, ``V-17``), and the inspection history of either, with
photos, newest first. A feature's history includes the inspections of its violations."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.inspections.records import _RECORD_SQL, _record
from geo.kernel.errors import InvalidInput, NotFound

VIOLATION_CODE = re.compile(r"^\s*V-?(\d{1,18})\s*$", re.IGNORECASE)

_FEATURE = """
SELECT f.id, f.layer AS collection, f.code, f.name, ST_X(p) AS lon, ST_Y(p) AS lat
FROM features f, ST_PointOnSurface(f.geom) p
WHERE {where}
ORDER BY f.id LIMIT 2
"""
_VIOLATION = """
SELECT v.id, v.status, v.severity, v.subject_id, v.subject_code, v.protected_code,
       r.code AS rule_code, r.name AS rule_name, r.name_zh AS rule_name_zh,
       ST_X(p) AS lon, ST_Y(p) AS lat
FROM violations v JOIN violation_rules r ON r.id = v.rule_id, ST_PointOnSurface(v.geom) p
WHERE v.id = :id
"""


async def find_subject(
    conn: AsyncConnection,
    code: str | None = None,
    feature_id: int | None = None,
    violation_id: int | None = None,
) -> dict[str, Any]:
    """The feature or violation named by a code (case-insensitive) or an id; 404 if none."""
    if sum(x is not None for x in (code, feature_id, violation_id)) != 1:
        raise InvalidInput("give exactly one of code, feature_id, violation_id")
    if code is not None:
        m = VIOLATION_CODE.match(code)
        if m:
            violation_id = int(m.group(1))
    if violation_id is not None:
        row = (await conn.execute(text(_VIOLATION), {"id": violation_id})).first()
        if row is None:
            raise NotFound(f"violation {violation_id} does not exist")
        return {"kind": "violation", "code": f"V-{row.id}", **dict(row._mapping)}
    if feature_id is not None:
        rows = await conn.execute(text(_FEATURE.format(where="f.id = :v")), {"v": feature_id})
    else:
        rows = await conn.execute(
            text(_FEATURE.format(where="upper(f.code) = upper(:v)")), {"v": code.strip()}
        )
    found = rows.all()
    if not found:
        raise NotFound(f"no feature with {'code ' + repr(code) if code else feature_id}")
    return {"kind": "feature", **dict(found[0]._mapping)}


async def events(conn: AsyncConnection, violation_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            "SELECT action, from_status, to_status, actor, note, at FROM violation_events"
            " WHERE violation_id = :id ORDER BY at, id"
        ),
        {"id": violation_id},
    )
    return [{**dict(r._mapping), "at": r.at.isoformat()} for r in rows]


async def history(conn: AsyncConnection, subject: dict[str, Any], limit: int) -> dict[str, Any]:
    """Inspections of the subject (a feature: also those of its violations), with photos,
    and for a violation its lifecycle events."""
    if subject["kind"] == "violation":
        where = "i.violation_id = :id"
    else:
        where = (
            "(i.feature_id = :id OR i.violation_id IN"
            " (SELECT id FROM violations WHERE subject_id = :id OR protected_id = :id))"
        )
    rows = await conn.execute(
        text(f"{_RECORD_SQL} WHERE {where} ORDER BY i.observed_at DESC LIMIT :limit"),
        {"id": subject["id"], "limit": limit},
    )
    out: dict[str, Any] = {"subject": subject, "inspections": [_record(r) for r in rows]}
    if subject["kind"] == "violation":
        out["events"] = await events(conn, subject["id"])
    return out
