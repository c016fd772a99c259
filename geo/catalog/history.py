"""Audit history of features (the append-only ``audit_log`` written by triggers) and the
``as_of`` parameter that reads a layer as it was at a past instant."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import SPECIAL_SOURCES, Collection
from geo.kernel.errors import InvalidParameter, NotFound


def parse_instant(value: str | None, parameter: str = "as_of") -> datetime | None:
    """An RFC 3339 date-time with a time zone (``2026-11-23T08:00:00Z``)."""
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise InvalidParameter(
            f"{parameter}: {value!r} is not an RFC 3339 instant with a time zone "
            "(e.g. 2026-11-23T08:00:00Z)",
            parameter=parameter,
        )
    return instant


def at_instant(coll: Collection, instant: datetime | None) -> Collection:
    """The collection read as of ``instant`` (None: as it is now)."""
    if instant is None:
        return coll
    if coll.kind != "feature" or coll.id in SPECIAL_SOURCES:
        raise InvalidParameter(f"as_of: collection {coll.id!r} keeps no history", parameter="as_of")
    return dataclasses.replace(coll, as_of=instant)


# Geometry from its own columns (0009), or from the JSON of older entries.
_HISTORY_SQL = (
    "SELECT id, op, actor, user_id, at,"
    " CASE WHEN before_geom IS NULL THEN before ELSE before || jsonb_build_object("
    "  'geom', ST_AsGeoJSON(before_geom)::jsonb) END AS before,"
    " CASE WHEN after_geom IS NULL THEN after ELSE after || jsonb_build_object("
    "  'geom', ST_AsGeoJSON(after_geom)::jsonb) END AS after FROM audit_log "
    "WHERE table_name = 'features' AND row_id = :rid "
    "AND coalesce(after, before)->>'layer' = :layer AND op <> 'IMPORT'"
)
# A row of a bulk import (one IMPORT event names its rows, migration 0020): its INSERT is
# that event, with the row as imported: the `before` of its next entry, or the live row.
_IMPORTED_SQL = (
    "SELECT i.id, 'INSERT', i.actor, i.user_id, i.at, NULL::jsonb,"
    " coalesce(nx.before || jsonb_build_object('geom', ST_AsGeoJSON(nx.before_geom)::jsonb),"
    "  (SELECT (to_jsonb(f) - 'geom') || jsonb_build_object('geom', ST_AsGeoJSON(f.geom)::jsonb)"
    "   FROM features f WHERE f.id = :nid))"
    " FROM audit_log i LEFT JOIN LATERAL (SELECT n.before, n.before_geom FROM audit_log n"
    "  WHERE n.table_name = 'features' AND n.row_id = :rid AND n.id > i.id"
    "  ORDER BY n.id LIMIT 1) nx ON true"
    " WHERE i.table_name = 'features' AND i.op = 'IMPORT' AND i.row_ids @> CAST(:nid AS bigint)"
    " AND i.after->>'layer' = :layer"
)


async def feature_history(conn: AsyncConnection, coll: Collection, fid: str) -> list[dict]:
    """Every audited change of one feature, oldest first, with the attributes that changed."""
    sql, params = _HISTORY_SQL, {"rid": fid, "layer": coll.id}
    if fid.isdigit() and int(fid) < 2**63:
        sql, params = _HISTORY_SQL + " UNION ALL " + _IMPORTED_SQL, {**params, "nid": int(fid)}
    rows = (await conn.execute(text(f"SELECT * FROM ({sql}) h ORDER BY id"), params)).all()
    if not rows:
        raise NotFound(f"feature {fid!r} has no history in {coll.id!r}")
    out = []
    for r in rows:
        m = r._mapping
        before, after = m["before"], m["after"]
        out.append(
            {
                "op": m["op"],
                "actor": m["actor"],
                "user_id": m["user_id"],
                "at": m["at"].isoformat(),
                "changed": _changed(before, after),
                "before": before,
                "after": after,
            }
        )
    return out


def _changed(before: dict | None, after: dict | None) -> list[str]:
    """Names of the changed columns and attributes (``properties.x`` for attributes)."""
    b, a = before or {}, after or {}
    skip = {"updated_at", "version", "area_m2", "properties"}
    names = [k for k in sorted(set(b) | set(a)) if k not in skip and b.get(k) != a.get(k)]
    bp, ap = b.get("properties") or {}, a.get("properties") or {}
    names += [f"properties.{k}" for k in sorted(set(bp) | set(ap)) if bp.get(k) != ap.get(k)]
    return names
