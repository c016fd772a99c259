"""The campaign's structure: problems with tasks and measures, the reports' records, and
the sign-off (验收销号) history of a task with its writes (accept, reopen)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.auth import Editor, check_region
from app.deps import ConnDep, EngineDep, reject_unknown
from geo.campaign import problems, records, signoff, vocab
from geo.kernel.db import write_transaction

router = APIRouter(tags=["Campaign"])
Region = Annotated[str | None, Query(pattern=r"^[0-9]{6}$")]
Code = Annotated[str, Path(max_length=64)]


@router.get("/problems", summary="Every problem of the reports' lists with tasks and measures")
async def list_problems(
    request: Request,
    conn: ConnDep,
    party: str | None = None,
    region: Region = None,
    report: Literal["A", "B"] | None = None,
    as_of: date | None = None,
):
    reject_unknown(request, {"party", "region", "report", "as_of"})
    as_of = as_of or date.today()
    rows = await problems.list_problems(conn, as_of, party, region, report)
    return {
        "as_of": as_of.isoformat(),
        "count": len(rows),
        "task_count": sum(p["task_count"] for p in rows),
        # planned / done per unit over every measure listed ("台", "万亩", …)
        "quantity_totals": problems.quantity_totals(
            [m for p in rows for t in p["tasks"] for m in t["measures"]]
        ),
        "problems": rows,
    }


@router.get("/problems/{code}", summary="One problem with its tasks and numbered measures")
async def get_problem(request: Request, conn: ConnDep, code: Code, as_of: date | None = None):
    reject_unknown(request, {"as_of"})
    return await problems.get_problem(conn, code, as_of or date.today())


@router.get("/campaign/records", summary="Accountability, petitions, compensation, disclosures")
async def list_records(
    request: Request,
    conn: ConnDep,
    kind: str | None = None,
    region: Region = None,
    problem: str | None = None,
):
    reject_unknown(request, {"kind", "region", "problem"})
    rows = await records.list_records(conn, kind, region, problem)
    return {"count": len(rows), "records": rows}


@router.get("/campaign/records/summary", summary="The records' figures per report and region")
async def record_summary(request: Request, conn: ConnDep, region: Region = None):
    reject_unknown(request, {"region"})
    return await records.record_summary(conn, region)


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal[vocab.EVIDENCE_KINDS]
    ref: str = Field(min_length=1, max_length=1000, description="document no., photo id, link")
    note: str | None = Field(None, max_length=1000)


class SignoffBody(BaseModel):
    """``accepted`` needs an accepting unit and evidence; ``reopened`` needs the finding."""

    model_config = ConfigDict(extra="forbid")

    step: Literal[vocab.SIGNOFF_STEPS]
    event_date: date | None = Field(None, description="defaults to today; never in the future")
    accepting_unit: str | None = Field(None, max_length=500)
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)
    finding: str | None = Field(None, max_length=4000)


@router.get("/tasks/{code}/signoffs", summary="A task's sign-off history (验收销号, reopenings)")
async def signoff_history(request: Request, conn: ConnDep, code: Code):
    reject_unknown(request, set())
    return {"task": code, "signoffs": await signoff.history(conn, code)}


@router.post("/tasks/{code}/signoffs", status_code=201, summary="Sign off or reopen a task")
async def write_signoff(engine: EngineDep, principal: Editor, code: Code, body: SignoffBody):
    today = date.today()
    data = signoff.SignoffInput(
        event_date=body.event_date or today,
        accepting_unit=body.accepting_unit,
        evidence=[e.model_dump(exclude_none=True) for e in body.evidence],
        finding=body.finding,
    )
    async with write_transaction(engine, principal) as conn:
        task = await signoff.task_for_signoff(conn, code)
        check_region(principal, task["region_code"])
        fn = signoff.accept if body.step == "accepted" else signoff.reopen
        await fn(conn, task, data, principal.name, today)
    async with engine.connect() as conn:
        doc = {"task": code, "signoffs": await signoff.history(conn, code)}
    return JSONResponse(doc, status_code=201)
