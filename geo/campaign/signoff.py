"""Sign-off (验收销号) and reopening of a task, append-only.

Accepting needs the task's latest known status to be complete on the sign-off date, an
accepting unit and evidence (documents, photos, inspection links). Reopening needs an
accepted sign-off and the finding that showed it premature; it also adds a dated note
(status in progress) so the task's state follows: a reopened task past its deadline is
overdue again. The caller runs these inside ``write_transaction`` (scope and audit by the
database; the rows carry the task's region)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.campaign.vocab import EVIDENCE_KINDS
from geo.kernel.errors import Conflict, InvalidInput, NotFound
from geo.progress import TASK_STATE


@dataclass(frozen=True)
class SignoffInput:
    event_date: date
    accepting_unit: str | None = None
    evidence: list[dict[str, str]] = field(default_factory=list)
    finding: str | None = None


async def task_for_signoff(conn: AsyncConnection, code: str) -> dict[str, Any]:
    """The task (locked for this transaction) with its last sign-off step."""
    row = (
        await conn.execute(
            text(
                "SELECT t.id, t.code, t.region_code, (SELECT s.step FROM task_signoffs s"
                " WHERE s.task_id = t.id ORDER BY s.event_date DESC, s.id DESC LIMIT 1)"
                " AS last_step FROM rectification_tasks t WHERE t.code = :c FOR UPDATE"
            ),
            {"c": code},
        )
    ).first()
    if row is None:
        raise NotFound(f"task {code!r} does not exist")
    return dict(row._mapping)


def _check_evidence(evidence: list[dict[str, str]]) -> None:
    for i, e in enumerate(evidence):
        if e.get("kind") not in EVIDENCE_KINDS or not (e.get("ref") or "").strip():
            raise InvalidInput(
                f"evidence[{i}]: needs kind (one of {', '.join(EVIDENCE_KINDS)}) and a ref "
                "(document number, photo id or inspection link)"
            )


async def _insert(conn, task, step: str, body: SignoffInput, actor: str) -> int:
    return (
        await conn.execute(
            text(
                "INSERT INTO task_signoffs (task_id, step, event_date, accepting_unit,"
                " evidence, finding, region_code, actor) VALUES (:t, :step, :d, :unit,"
                " CAST(:ev AS jsonb), :finding, :region, :actor) RETURNING id"
            ),
            {
                "t": task["id"],
                "step": step,
                "d": body.event_date,
                "unit": body.accepting_unit,
                "ev": json.dumps(body.evidence, ensure_ascii=False),
                "finding": body.finding,
                "region": task["region_code"],
                "actor": actor,
            },
        )
    ).scalar_one()


async def accept(
    conn: AsyncConnection, task: dict[str, Any], body: SignoffInput, actor: str, today: date
) -> int:
    if body.event_date > today:
        raise InvalidInput(f"event_date {body.event_date} is in the future")
    if not (body.accepting_unit or "").strip():
        raise InvalidInput("accepting_unit: a sign-off names the unit that accepts it")
    if not body.evidence:
        raise InvalidInput("evidence: a sign-off needs evidence (documents, photos, inspections)")
    _check_evidence(body.evidence)
    if task["last_step"] == "accepted":
        raise Conflict(f"task {task['code']} is already signed off; reopen it first")
    state = (
        await conn.execute(
            text(f"SELECT x.state FROM ({TASK_STATE}) x WHERE x.id = :id"),
            {"id": task["id"], "as_of": body.event_date},
        )
    ).scalar_one()
    if state != "completed":
        raise Conflict(
            f"task {task['code']} is {state} as of {body.event_date}: only a task whose latest"
            " known status is complete can be signed off"
        )
    return await _insert(conn, task, "accepted", body, actor)


async def reopen(
    conn: AsyncConnection, task: dict[str, Any], body: SignoffInput, actor: str, today: date
) -> int:
    if body.event_date > today:
        raise InvalidInput(f"event_date {body.event_date} is in the future")
    if not (body.finding or "").strip():
        raise InvalidInput("finding: a reopening states the finding that showed it premature")
    _check_evidence(body.evidence)
    if task["last_step"] != "accepted":
        raise Conflict(f"task {task['code']} is not signed off: there is nothing to reopen")
    new_id = await _insert(conn, task, "reopened", body, actor)
    await conn.execute(
        text(
            "INSERT INTO task_notes (task_id, note_date, status, text, remark, kind, actor)"
            " VALUES (:t, :d, 'in_progress', :finding, :remark, 'update', :actor)"
        ),
        {
            "t": task["id"],
            "d": body.event_date,
            "finding": body.finding,
            "remark": f"sign-off reopened (task_signoffs #{new_id})",
            "actor": actor,
        },
    )
    return new_id


async def history(conn: AsyncConnection, code: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            "SELECT s.id, s.step, s.event_date, s.accepting_unit, s.evidence, s.finding,"
            " s.actor, s.recorded_at FROM task_signoffs s JOIN rectification_tasks t"
            " ON t.id = s.task_id WHERE t.code = :c ORDER BY s.event_date, s.id"
        ),
        {"c": code},
    )
    return [
        {
            **dict(r._mapping),
            "event_date": r.event_date.isoformat(),
            "recorded_at": r.recorded_at.isoformat(),
        }
        for r in rows
    ]
