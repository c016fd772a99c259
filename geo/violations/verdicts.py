"""An inspection's verdict moves the violation it inspected along its lifecycle, when the
inspector may take that step (the steps and their roles are ``violation_transitions``):

===============  ==========================  ===========================================
verdict          from status                 step
===============  ==========================  ===========================================
confirmed        detected                    confirm (属实)
confirmed        dismissed                   redetect (回头看: it is there after all)
confirmed        closed                      reopen (回头看: it came back)
not_confirmed    detected                    dismiss (不属实)
rectified        rectifying                  complete_rectification (整改完成)
needs_follow_up  closed                      reopen
needs_follow_up  rectified                   reject_acceptance (验收不通过)
===============  ==========================  ===========================================

Any other pair leaves the status as it is. A step the user's role does not allow is not
taken either: the inspection is still recorded, and the answer says why nothing moved.

>>> step_for("confirmed", "detected"), step_for("rectified", "detected")
('confirmed', None)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.kernel.auth import Principal
from geo.kernel.errors import Conflict, PermissionDenied
from geo.violations.lifecycle import TransitionIn, transition

STEPS: dict[tuple[str, str], str] = {
    ("confirmed", "detected"): "confirmed",
    ("confirmed", "dismissed"): "detected",
    ("confirmed", "closed"): "reopened",
    ("not_confirmed", "detected"): "dismissed",
    ("rectified", "rectifying"): "rectified",
    ("needs_follow_up", "closed"): "reopened",
    ("needs_follow_up", "rectified"): "rectifying",
}


def step_for(verdict: str, status: str) -> str | None:
    """The status a verdict moves a violation in ``status`` to, or None."""
    return STEPS.get((verdict, status))


async def apply_verdict(
    conn: AsyncConnection,
    violation_id: int,
    verdict: str,
    principal: Principal,
    inspection_uuid: str,
    note: str | None,
) -> dict[str, Any]:
    """Takes the verdict's step inside the caller's write transaction; returns what happened
    (``applied``, ``from``, ``to``, and ``reason`` when nothing moved)."""
    status = (
        await conn.execute(
            text("SELECT status FROM violations WHERE id = :id FOR UPDATE"), {"id": violation_id}
        )
    ).scalar_one()
    to = step_for(verdict, status)
    out: dict[str, Any] = {"violation_id": violation_id, "from": status, "to": to}
    if to is None:
        return {**out, "applied": False, "reason": f"no step from {status!r} for {verdict!r}"}
    body = TransitionIn(to=to, note=note, evidence={"inspection": inspection_uuid})
    try:
        await transition(conn, violation_id, body, principal)
    except (PermissionDenied, Conflict) as exc:  # raised before any write
        return {**out, "applied": False, "reason": str(exc)}
    return {**out, "applied": True}
