"""Restoration records: lifecycle, append-only events, state as of any date (no HTTP here).

Lifecycle (恢复治理)::

    not_started → planned → in_progress → completed → accepted
                                ↺ (progress update: restored area grows)
    not_started | planned | in_progress → repurposed (转型利用)
    completed → in_progress   (acceptance refused, works resume)

Every change appends an event holding the complete state after it (status, areas, plan,
funding, deadline, responsible unit) plus who, when, note and evidence. The state as of a
date D is the last event with ``event_date <= D`` (ties broken by insertion order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.items import Where
from geo.kernel.auth import Principal
from geo.kernel.errors import Conflict, InvalidInput, InvalidParameter, NotFound
from geo.kernel.regions import region_sql
from geo.progress.vocab import CLOSED, INITIAL, RESTORATION_STATUSES

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "not_started": ("not_started", "planned", "repurposed"),
    "planned": ("planned", "in_progress", "repurposed"),
    "in_progress": ("in_progress", "completed", "repurposed"),
    "completed": ("completed", "accepted", "in_progress"),
    "accepted": (),
    "repurposed": (),
}
# Areas are kept to 0.01 ha; the measured area is compared after rounding to that.
AREA_SLACK_HA = 0.005

VALUE_FIELDS = (
    "target_area_ha",
    "restored_area_ha",
    "plan_ref",
    "funding",
    "deadline",
    "responsible_unit",
)

# The state of every record as of :as_of: one DISTINCT ON over the events index.
STATE_AS_OF = """
SELECT DISTINCT ON (e.record_id)
       e.record_id, e.id AS event_id, e.event_date, e.status, e.target_area_ha,
       e.restored_area_ha, e.plan_ref, e.funding, e.deadline, e.responsible_unit,
       e.note, e.actor
FROM restoration_events e
WHERE e.event_date <= :as_of
ORDER BY e.record_id, e.event_date DESC, e.id DESC
"""

RECORD_COLUMNS = """
r.id AS record_id, f.id AS feature_id, f.layer, f.code, f.name, f.region_code,
g.name AS region_name, f.properties->>'town' AS town,
round((f.area_m2 / 10000)::numeric, 4)::float8 AS measured_area_ha,
s.status, s.target_area_ha, s.restored_area_ha, s.plan_ref, s.funding, s.deadline,
s.responsible_unit, s.event_date AS last_event_date, s.note AS last_note,
(s.deadline IS NOT NULL AND s.deadline < :as_of AND s.status <> ALL(:closed)) AS overdue
"""


@dataclass(frozen=True)
class EventInput:
    status: str
    event_date: date
    note: str | None = None
    evidence_ref: str | None = None
    # Values left as None keep the previous event's value.
    target_area_ha: float | None = None
    restored_area_ha: float | None = None
    plan_ref: str | None = None
    funding: str | None = None
    deadline: date | None = None
    responsible_unit: str | None = None


def _row(r) -> dict[str, Any]:
    d = dict(r._mapping)
    for k in ("deadline", "last_event_date", "event_date"):
        if isinstance(d.get(k), date):
            d[k] = d[k].isoformat()
    return d


async def feature_for_restoration(conn: AsyncConnection, feature_id: int) -> dict[str, Any]:
    """The feature (layer, county, measured area), locked for this transaction; 404 if none."""
    row = (
        await conn.execute(
            text(
                "SELECT f.id, f.layer, f.code, f.region_code, f.area_m2 / 10000 AS area_ha,"
                " l.restorable, f.properties->'degraded' AS degraded"
                " FROM features f JOIN layers l ON l.name = f.layer WHERE f.id = :id"
                " FOR UPDATE OF f"
            ),
            {"id": feature_id},
        )
    ).first()
    if row is None:
        raise NotFound(f"feature {feature_id} does not exist")
    return dict(row._mapping)


def check_restorable(feature: dict[str, Any]) -> None:
    if not feature["restorable"]:
        raise InvalidInput(
            f"feature {feature['id']} ({feature['layer']}) is not restorable: its layer "
            "has restorable = false"
        )
    if feature["degraded"] is not None and feature["degraded"] is not True:
        raise InvalidInput(
            f"feature {feature['id']} ({feature['code']}) is not marked degraded; only degraded "
            "wetland zones have restoration records"
        )


async def _latest(conn: AsyncConnection, record_id: int) -> dict[str, Any]:
    row = (
        await conn.execute(
            text(
                "SELECT status, event_date, target_area_ha, restored_area_ha, plan_ref, funding,"
                " deadline, responsible_unit FROM restoration_events WHERE record_id = :r"
                " ORDER BY event_date DESC, id DESC LIMIT 1"
            ),
            {"r": record_id},
        )
    ).first()
    return dict(row._mapping)


def _validate(
    ev: EventInput, values: dict[str, Any], feature: dict[str, Any], today: date, last: date | None
) -> None:
    if ev.event_date > today:
        raise InvalidInput(
            f"event_date: {ev.event_date.isoformat()} is in the future (today is "
            f"{today.isoformat()})"
        )
    if last is not None and ev.event_date < last:
        raise InvalidInput(
            f"event_date: {ev.event_date.isoformat()} is before the record's last event "
            f"({last.isoformat()}); history is appended in date order"
        )
    for name in ("target_area_ha", "restored_area_ha"):
        v = values[name]
        if v is not None and v < 0:
            raise InvalidInput(f"{name}: must be 0 or more, got {v}")
    restored, target = values["restored_area_ha"], values["target_area_ha"]
    measured = round(feature["area_ha"], 2)
    if target is not None and target > measured + AREA_SLACK_HA:
        raise InvalidInput(
            f"target_area_ha: {target} ha exceeds the feature's measured area "
            f"({measured:.2f} ha, from its geometry)"
        )
    if restored > measured + AREA_SLACK_HA:
        raise InvalidInput(
            f"restored_area_ha: {restored} ha exceeds the feature's measured area "
            f"({measured:.2f} ha, from its geometry)"
        )
    if target is not None and restored > target + AREA_SLACK_HA:
        raise InvalidInput(f"restored_area_ha: {restored} ha exceeds the target area ({target} ha)")


async def _insert_event(
    conn: AsyncConnection, record_id: int, ev: EventInput, values: dict[str, Any], who: Principal
) -> None:
    await conn.execute(
        text(
            "INSERT INTO restoration_events (record_id, event_date, status, target_area_ha,"
            " restored_area_ha, plan_ref, funding, deadline, responsible_unit, note,"
            " evidence_ref, actor, user_id) VALUES (:record_id, :event_date, :status,"
            " :target_area_ha, :restored_area_ha, :plan_ref, :funding, :deadline,"
            " :responsible_unit, :note, :evidence_ref, :actor, :user_id)"
        ),
        {
            **values,
            "record_id": record_id,
            "event_date": ev.event_date,
            "status": ev.status,
            "note": ev.note,
            "evidence_ref": ev.evidence_ref,
            "actor": who.name,
            "user_id": who.user_id,
        },
    )


async def create_record(
    conn: AsyncConnection, feature: dict[str, Any], ev: EventInput, who: Principal, today: date
) -> int:
    """A new record with its first event (status not_started or planned)."""
    check_restorable(feature)
    exists = (
        await conn.execute(
            text("SELECT id FROM restoration_records WHERE feature_id = :f"), {"f": feature["id"]}
        )
    ).first()
    if exists:
        raise Conflict(
            f"feature {feature['id']} already has restoration record {exists[0]}; append events "
            f"with POST /features/{feature['id']}/restoration/events"
        )
    if ev.status not in INITIAL:
        raise Conflict(
            f"a restoration record starts as {' or '.join(INITIAL)}, not {ev.status}; "
            "append later states as events"
        )
    values = {k: getattr(ev, k) for k in VALUE_FIELDS}
    if values["restored_area_ha"] is None:
        values["restored_area_ha"] = 0.0
    _validate(ev, values, feature, today, None)
    record_id = (
        await conn.execute(
            text("INSERT INTO restoration_records (feature_id) VALUES (:f) RETURNING id"),
            {"f": feature["id"]},
        )
    ).scalar_one()
    await _insert_event(conn, record_id, ev, values, who)
    return record_id


async def append_event(
    conn: AsyncConnection, feature: dict[str, Any], ev: EventInput, who: Principal, today: date
) -> int:
    """Appends a legal transition (409 otherwise) with valid values (422 otherwise)."""
    record = (
        await conn.execute(
            text("SELECT id FROM restoration_records WHERE feature_id = :f FOR UPDATE"),
            {"f": feature["id"]},
        )
    ).first()
    if record is None:
        raise NotFound(
            f"feature {feature['id']} has no restoration record; create one with "
            f"POST /features/{feature['id']}/restoration"
        )
    latest = await _latest(conn, record[0])
    allowed = TRANSITIONS[latest["status"]]
    if ev.status not in allowed:
        raise Conflict(
            f"illegal transition {latest['status']} → {ev.status}: the record is "
            f"{latest['status']}; allowed next: {', '.join(allowed) or 'none (final state)'}"
        )
    values = {k: getattr(ev, k) if getattr(ev, k) is not None else latest[k] for k in VALUE_FIELDS}
    _validate(ev, values, feature, today, latest["event_date"])
    await _insert_event(conn, record[0], ev, values, who)
    return record[0]


async def record_with_events(conn: AsyncConnection, feature_id: int, as_of: date) -> dict[str, Any]:
    """The record as of ``as_of`` and its events up to that date; 404 when none yet."""
    row = (
        await conn.execute(
            text(
                f"WITH s AS ({STATE_AS_OF}) SELECT {RECORD_COLUMNS} FROM restoration_records r"
                " JOIN s ON s.record_id = r.id JOIN features f ON f.id = r.feature_id"
                " LEFT JOIN regions g ON g.code = f.region_code WHERE f.id = :fid"
            ),
            {"as_of": as_of, "closed": list(CLOSED), "fid": feature_id},
        )
    ).first()
    if row is None:
        raise NotFound(f"feature {feature_id} has no restoration record as of {as_of.isoformat()}")
    record = _row(row)
    events = (
        await conn.execute(
            text(
                "SELECT id, event_date, status, target_area_ha, restored_area_ha, plan_ref,"
                " funding, deadline, responsible_unit, note, evidence_ref, actor, recorded_at"
                " FROM restoration_events WHERE record_id = :r AND event_date <= :as_of"
                " ORDER BY event_date, id"
            ),
            {"r": record["record_id"], "as_of": as_of},
        )
    ).all()
    record["events"] = [{**_row(e), "recorded_at": e.recorded_at.isoformat()} for e in events]
    record["as_of"] = as_of.isoformat()
    record["allowed_next"] = list(TRANSITIONS[record["status"]])
    return record


async def list_records(
    conn: AsyncConnection,
    as_of: date,
    layer: str | None = None,
    region: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
) -> list[dict[str, Any]]:
    """One row per record as of ``as_of`` (a ledger row), ordered by layer and code."""
    where = Where()
    if region:
        where.add(region_sql("f.region_code", region, where.bind))
    if layer:
        where.add(f"f.layer = {where.bind(layer)}")
    if status:
        if status not in RESTORATION_STATUSES:
            raise InvalidParameter(
                f"status: unknown restoration status {status!r}; use one of "
                f"{', '.join(RESTORATION_STATUSES)}",
                parameter="status",
            )
        where.add(f"s.status = {where.bind(status)}")
    sql = (
        f"WITH s AS ({STATE_AS_OF}) SELECT * FROM (SELECT {RECORD_COLUMNS}"
        " FROM restoration_records r JOIN s ON s.record_id = r.id"
        " JOIN features f ON f.id = r.feature_id LEFT JOIN regions g ON g.code = f.region_code"
        f" WHERE {where.sql}) x"
    )
    if overdue is not None:
        sql += f" WHERE x.overdue = {where.bind(overdue)}"
    sql += " ORDER BY x.layer, x.code"
    params = {"as_of": as_of, "closed": list(CLOSED), **where.params}
    return [_row(r) for r in (await conn.execute(text(sql), params)).all()]
