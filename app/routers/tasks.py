"""Rectification tasks: listing with filters and ledgers, counts, one task with its notes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.auth import Editor, check_region
from app.deps import ConnDep, EngineDep, reject_unknown
from app.render.ledger import check_format, ledger_response
from geo.kernel.db import write_transaction
from geo.progress import listings, tasks, vocab

router = APIRouter(tags=["Tasks"])
Region = Annotated[str | None, Query(pattern=r"^[0-9]{6}$")]
TASK_FILTERS = {
    "status",
    "state",
    "overdue",
    "round",
    "region",
    "party",
    "feature_id",
    "as_of",
    "lang",
}


@router.get("/tasks", summary="Rectification tasks (JSON, CSV or XLSX ledger), as of a date")
async def list_tasks(
    request: Request,
    conn: ConnDep,
    status: str | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    round: str | None = None,
    region: Region = None,
    party: str | None = None,
    feature_id: int | None = None,
    as_of: date | None = None,
    f: str | None = None,
    lang: str | None = None,
):
    reject_unknown(request, TASK_FILTERS)
    fmt, lang = check_format(f, lang)
    result = await listings.task_listing(
        conn, as_of or date.today(), status, overdue, round, region, party, feature_id, state
    )
    return ledger_response(
        fmt, lang, result.columns, result.rows, result.body, result.stems, result.as_of
    )


@router.get("/tasks/summary", summary="Task counts by status, deadline, party and round")
async def task_summary(
    request: Request,
    conn: ConnDep,
    round: str | None = None,
    region: Region = None,
    party: str | None = None,
    as_of: date | None = None,
):
    reject_unknown(request, {"round", "region", "party", "as_of"})
    return await tasks.task_summary(conn, as_of or date.today(), round, region, party)


@router.get("/tasks/{code}", summary="One task with its progress notes")
async def get_task(
    request: Request,
    conn: ConnDep,
    code: Annotated[str, Path(max_length=64)],
    as_of: date | None = None,
):
    reject_unknown(request, {"as_of"})
    return await tasks.get_task(conn, code, as_of or date.today())


class NoteBody(BaseModel):
    """A dated progress note; with a status it changes the task's state from that date."""

    model_config = ConfigDict(extra="forbid")

    note_date: date | None = Field(None, description="defaults to today; never in the future")
    status: Literal[vocab.TASK_STATUSES] | None = None
    text: str = Field(min_length=1, max_length=4000)
    evidence_ref: str | None = Field(None, max_length=1000)


@router.post("/tasks/{code}/notes", status_code=201, summary="Add a dated progress note")
async def add_note(
    engine: EngineDep,
    principal: Editor,
    code: Annotated[str, Path(max_length=64)],
    body: NoteBody,
):
    today = date.today()
    async with write_transaction(engine, principal) as conn:
        check_region(principal, await tasks.task_region(conn, code))
        await tasks.add_note(
            conn,
            code,
            body.note_date or today,
            body.status,
            body.text,
            body.evidence_ref,
            principal.name,
            today,
        )
    async with engine.connect() as conn:
        doc = await tasks.get_task(conn, code, today)
    return JSONResponse(doc, status_code=201)
