"""The public, read-only face of the campaign: progress per problem (/public) and each
party's report rebuilt from the ledger as HTML or DOCX (/public/reports/{party})."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import ConnDep, reject_unknown
from app.render import public_report
from app.render.html import render
from geo.campaign import public
from geo.progress.vocab import TASK_STATE_ZH

router = APIRouter(tags=["Public"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/public", summary="Public progress per problem (no notes, no users)")
async def public_page(
    request: Request,
    conn: ConnDep,
    as_of: date | None = None,
    f: Literal["html", "json"] = "html",
):
    reject_unknown(request, {"as_of", "f"})
    as_of = as_of or date.today()
    problems = await public.public_progress(conn, as_of)
    if f == "json":
        return {"as_of": as_of.isoformat(), "problems": problems}
    return render(
        request,
        "public.html",
        as_of=as_of.isoformat(),
        problems=problems,
        parties=list(public.PARTY_TITLES.items()),
        state_zh=TASK_STATE_ZH,
    )


@router.get("/public/reports/{party}", summary="A party's report from the ledger (HTML, DOCX)")
async def party_report(
    request: Request,
    conn: ConnDep,
    party: str,
    as_of: date | None = None,
    f: Literal["html", "docx", "json"] = "html",
):
    reject_unknown(request, {"as_of", "f"})
    doc = await public.party_report(conn, party, as_of or date.today())
    if f == "json":
        return doc
    if f == "docx":
        return Response(
            public_report.to_docx(doc),
            media_type=DOCX,
            headers={"Content-Disposition": f'attachment; filename="report_{party}.docx"'},
        )
    return HTMLResponse(public_report.to_html(doc))
