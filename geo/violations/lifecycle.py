"""Violations: one record with its history, and its lifecycle transitions.

Lifecycle (table ``violation_transitions``; role = the least role that may take the step)::

    detected --confirm (inspector, 属实)--> confirmed --start_rectification (editor)--> rectifying
    detected --dismiss (inspector, 不属实)--> dismissed --redetect (inspector, 回头看)--> detected
    rectifying --complete_rectification (editor)--> rectified --accept (editor, 验收销号)--> closed
    rectified --reject_acceptance (editor)--> rectifying
    closed --reopen (inspector, 回头看)--> reopened --resume_rectification (editor)--> rectifying

Independently of the status, the database sets ``resolved_at`` when the data stops breaking
the rule and clears it when it breaks it again (a closed record then becomes ``reopened``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.kernel.auth import Principal
from geo.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from geo.violations.vocab import STATUSES


class TransitionIn(BaseModel):
    """A status change: the target status (or the action's name), a note, evidence."""

    model_config = ConfigDict(extra="forbid")

    to: str | None = Field(None, description="Target status, e.g. confirmed")
    action: str | None = Field(None, description="Or the action, e.g. confirm")
    note: str | None = Field(None, max_length=4000)
    # Evidence references: photo ids/URLs with position and time, document numbers.
    evidence: list[Any] | dict[str, Any] | str | None = None


async def transitions(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            "SELECT from_status, to_status, action, min_role, title, title_zh"
            " FROM violation_transitions ORDER BY from_status, to_status"
        )
    )
    return [dict(r._mapping) for r in rows]


async def _step(
    conn: AsyncConnection, violation_id: int, status: str, body: TransitionIn
) -> dict[str, Any]:
    """The transition from ``status`` that ``body`` asks for, or 409 naming the allowed ones."""
    allowed = [t for t in await transitions(conn) if t["from_status"] == status]
    step = next(
        (
            t
            for t in allowed
            if body.to in (None, t["to_status"]) and body.action in (None, t["action"])
        ),
        None,
    )
    if step is None:
        options = ", ".join(f"{t['to_status']} ({t['action']}, {t['min_role']})" for t in allowed)
        wanted = " / ".join(w for w in (body.to, body.action) if w)
        raise Conflict(
            f"violation {violation_id} is {status!r}: it cannot go to {wanted!r}; "
            f"allowed from {status!r}: {options or 'none'}"
        )
    return step


def _authorize(principal: Principal, step: dict[str, Any], status: str, region: str | None):
    if not principal.has_role(step["min_role"]):
        raise PermissionDenied(
            f"{step['action']} ({status} → {step['to_status']}) needs the {step['min_role']} "
            f"role; you are {principal.role}"
        )
    if not principal.covers(region):
        raise PermissionDenied(
            f"your scope ({', '.join(sorted(principal.regions or []))}) does not include "
            f"{region or 'outside every county'}"
        )


async def transition(
    conn: AsyncConnection, violation_id: int, body: TransitionIn, principal: Principal
) -> dict[str, Any]:
    """Applies one lifecycle step inside the caller's write transaction (which set
    ``rm.actor``): 404 unknown record, 403 role or county, 409 illegal step."""
    if body.to is None and body.action is None:
        raise InvalidInput("give 'to' (the target status) or 'action' (or both, agreeing)")
    if body.to is not None and body.to not in STATUSES:
        raise InvalidInput(f"to: {body.to!r} is not a status; statuses: {', '.join(STATUSES)}")
    row = (
        await conn.execute(
            text("SELECT status, region_code FROM violations WHERE id = :id FOR UPDATE"),
            {"id": violation_id},
        )
    ).first()
    if row is None:
        raise NotFound(f"violation {violation_id} does not exist")
    status, region = row
    step = await _step(conn, violation_id, status, body)
    _authorize(principal, step, status, region)
    await conn.execute(
        text("UPDATE violations SET status = :to, status_changed_at = now() WHERE id = :id;"),
        {"to": step["to_status"], "id": violation_id},
    )
    await conn.execute(
        text(
            "INSERT INTO violation_events (violation_id, action, from_status, to_status, actor,"
            " note, evidence) VALUES (:id, :action, :from, :to,"
            " coalesce(nullif(current_setting('rm.actor', true), ''), 'system'), :note,"
            " CAST(:evidence AS jsonb))"
        ),
        {
            "id": violation_id,
            "action": step["action"],
            "from": status,
            "to": step["to_status"],
            "note": body.note,
            "evidence": None if body.evidence is None else json.dumps(body.evidence),
        },
    )
    return await get_violation(conn, violation_id)


RECORD_SQL = """
SELECT t.id, t.rule_id, r.code AS rule_code, r.name AS rule_name, r.name_zh AS rule_name_zh,
       t.severity, t.status, r.legal_basis, r.legal_basis_zh,
       t.subject_layer AS subject_collection, t.subject_id, t.subject_code,
       t.protected_layer AS protected_collection, t.protected_id, t.protected_code,
       t.region_code, g.name AS region_name, g.name_en AS region_name_en,
       round(t.area_m2::numeric, 1)::float8 AS area_m2,
       round((t.area_m2 / 10000)::numeric, 4)::float8 AS area_ha,
       round((t.area_m2 * 15 / 10000)::numeric, 2)::float8 AS area_mu,
       round(t.share_of_subject::numeric, 4)::float8 AS share_of_subject,
       round(t.share_of_protected::numeric, 4)::float8 AS share_of_protected,
       round(t.distance_m::numeric, 1)::float8 AS distance_m,
       t.resolved_at IS NOT NULL AS resolved, t.resolved_at, t.detected_at,
       t.detected_on, t.sample, r.law_title, r.law_article, r.law_doc_number,
       r.valid_from AS rule_valid_from, r.valid_to AS rule_valid_to,
       t.status_changed_at, t.updated_at
FROM violations t JOIN violation_rules r ON r.id = t.rule_id
LEFT JOIN regions g ON g.code = t.region_code
"""


def jsonable(d: dict[str, Any]) -> dict[str, Any]:
    """Dates and times as ISO 8601 strings, for a JSON body."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in d.items()}


async def get_violation(conn: AsyncConnection, violation_id: int) -> dict[str, Any]:
    row = (await conn.execute(text(RECORD_SQL + " WHERE t.id = :id"), {"id": violation_id})).first()
    if row is None:
        raise NotFound(f"violation {violation_id} does not exist")
    out = jsonable(dict(row._mapping))
    events = await conn.execute(
        text(
            "SELECT id, action, from_status, to_status, actor, cause_actor, at, note, evidence"
            " FROM violation_events WHERE violation_id = :id ORDER BY at, id"
        ),
        {"id": violation_id},
    )
    out["events"] = [jsonable(dict(e._mapping)) for e in events]
    out["allowed_transitions"] = [
        {k: t[k] for k in ("to_status", "action", "min_role", "title", "title_zh")}
        for t in await transitions(conn)
        if t["from_status"] == out["status"]
    ]
    return out
