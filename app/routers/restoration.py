"""Restoration records: per-feature record and events (the map popup reads
``GET /features/{id}/restoration``), event writes, and the ledger listing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from app.auth import Editor, check_region
from app.deps import ConnDep, EngineDep, reject_unknown
from app.render.ledger import check_format, ledger_response
from app.schemas.restoration import EventBody
from geo.kernel.db import write_transaction
from geo.progress import listings, restoration

router = APIRouter(tags=["Restoration"])

FeatureId = Annotated[int, Path(alias="featureId", ge=1)]


async def _write(engine, principal, feature_id: int, body: EventBody, create: bool):
    async with write_transaction(engine, principal) as conn:
        feature = await restoration.feature_for_restoration(conn, feature_id)
        check_region(principal, feature["region_code"])
        fn = restoration.create_record if create else restoration.append_event
        await fn(conn, feature, body.to_input(), principal, date.today())
    async with engine.connect() as conn:
        doc = await restoration.record_with_events(conn, feature_id, date.today())
    return JSONResponse(doc, status_code=201)


@router.get(
    "/features/{featureId}/restoration",
    summary="Restoration record of a feature with its events, as of a date (map popup)",
)
async def get_record(
    request: Request, conn: ConnDep, feature_id: FeatureId, as_of: date | None = None
):
    reject_unknown(request, {"as_of"})
    return await restoration.record_with_events(conn, feature_id, as_of or date.today())


@router.post(
    "/features/{featureId}/restoration",
    status_code=201,
    summary="Create the restoration record of a restorable feature (first event)",
)
async def create_record(
    engine: EngineDep, principal: Editor, feature_id: FeatureId, body: EventBody
):
    return await _write(engine, principal, feature_id, body, create=True)


@router.post(
    "/features/{featureId}/restoration/events",
    status_code=201,
    summary="Append a restoration event (a legal transition or a progress update)",
)
async def append_event(
    engine: EngineDep, principal: Editor, feature_id: FeatureId, body: EventBody
):
    return await _write(engine, principal, feature_id, body, create=False)


@router.get("/restoration", summary="Restoration ledger: one row per record, as of a date")
async def list_records(
    request: Request,
    conn: ConnDep,
    layer: str | None = None,
    region: str | None = Query(None, pattern=r"^[0-9]{6}$"),
    status: str | None = None,
    overdue: bool | None = None,
    as_of: date | None = None,
    f: str | None = None,
    lang: str | None = None,
):
    reject_unknown(request, {"layer", "region", "status", "overdue", "as_of", "lang"})
    fmt, lang = check_format(f, lang)
    result = await listings.restoration_listing(
        conn, as_of or date.today(), layer, region, status, overdue
    )
    return ledger_response(
        fmt, lang, result.columns, result.rows, result.body, result.stems, result.as_of
    )
