"""Rules (read: public; write: admin), violations (ledger, record, lifecycle transitions)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from app.auth import Admin, Inspector
from app.deps import ConnDep, EngineDep, reject_unknown
from app.render.ledger import check_format, table_response
from geo import violations as vio
from geo.kernel.db import write_transaction
from geo.violations import rules as rules_mod

router = APIRouter(tags=["Violations"])

LEDGER_PARAMS = {
    "status",
    "severity",
    "rule_id",
    "region",
    "region_code",
    "subject_collection",
    "protected_collection",
    "resolved",
    "lang",
}


@router.get("/rules", summary="Violation rules (public)")
async def list_rules(request: Request, conn: ConnDep, enabled: bool | None = None):
    reject_unknown(request, {"enabled"})
    return {"rules": await rules_mod.list_rules(conn, enabled)}


@router.get("/rules/{rule_id}", summary="One violation rule")
async def get_rule(request: Request, conn: ConnDep, rule_id: int):
    reject_unknown(request, set())
    return await rules_mod.get_rule(conn, rule_id)


@router.post("/rules", status_code=201, summary="Add a rule (admin); evaluated at once")
async def create_rule(request: Request, engine: EngineDep, body: rules_mod.RuleIn, admin: Admin):
    reject_unknown(request, set())
    async with write_transaction(engine, admin) as conn:
        rule = await rules_mod.create_rule(conn, body)
    return JSONResponse(rule, status_code=201, headers={"Location": f"/rules/{rule['id']}"})


@router.patch(
    "/rules/{rule_id}",
    summary="Change or disable a rule (admin); re-evaluated at once",
    description='`{"enabled": false}` disables a rule: its open violations are marked '
    "resolved by data (kept, with an event).",
)
async def update_rule(
    request: Request, engine: EngineDep, rule_id: int, body: rules_mod.RulePatch, admin: Admin
):
    reject_unknown(request, set())
    async with write_transaction(engine, admin) as conn:
        return await rules_mod.update_rule(conn, rule_id, body)


@router.get("/violations/transitions", summary="The violation lifecycle (who may do what)")
async def lifecycle(request: Request, conn: ConnDep):
    reject_unknown(request, set())
    return {"transitions": await vio.transitions(conn)}


@router.get(
    "/violations",
    summary="The violations ledger (JSON, CSV or XLSX)",
    description="Filters: status and severity (comma-separated lists), rule_id, region "
    "(county or prefecture code), subject_collection, protected_collection, resolved. "
    "`lang=zh` gives Chinese column headers and values in CSV/XLSX.",
    response_class=Response,
)
async def ledger(
    request: Request,
    conn: ConnDep,
    f: Annotated[str, Query(description="json, csv or xlsx")] = "json",
    status: str | None = None,
    severity: str | None = None,
    rule_id: int | None = None,
    region: Annotated[str | None, Query(description="County or prefecture code")] = None,
    region_code: Annotated[str | None, Query(description="Alias of region")] = None,
    subject_collection: str | None = None,
    protected_collection: str | None = None,
    resolved: bool | None = None,
    lang: Annotated[str, Query(description="en or zh (headers of csv/xlsx)")] = "en",
):
    reject_unknown(request, LEDGER_PARAMS)
    f, lang = check_format(f, lang)
    flt = vio.LedgerFilter(
        status=status,
        severity=severity,
        rule_id=rule_id,
        region=region or region_code,
        subject_collection=subject_collection,
        protected_collection=protected_collection,
        resolved=resolved,
    )
    found = await vio.ledger(conn, flt)
    return table_response(
        f,
        found.headers(lang),
        found.rows(lang),
        found.json() if f == "json" else {},
        found.filename,
        found.sheet(lang),
    )


@router.get("/violations/{violation_id}", summary="One violation with its events")
async def get_violation(request: Request, conn: ConnDep, violation_id: int) -> dict[str, Any]:
    reject_unknown(request, set())
    return await vio.get_violation(conn, violation_id)


@router.post(
    "/violations/{violation_id}/transitions",
    summary="Change a violation's status (inspector verifies, editor rectifies)",
    description='Body: `{"to": "confirmed"}` or `{"action": "confirm"}`, with `note` '
    "and `evidence` (photo ids/URLs with position and time). Illegal steps are 409, naming "
    "the current status and the allowed ones; see GET /violations/transitions.",
)
async def post_transition(
    request: Request,
    engine: EngineDep,
    violation_id: int,
    body: vio.TransitionIn,
    principal: Inspector,
):
    reject_unknown(request, set())
    async with write_transaction(engine, principal) as conn:
        return await vio.transition(conn, violation_id, body, principal)
