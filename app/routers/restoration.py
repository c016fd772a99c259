"""Restoration records: per-feature record and events (the map popup reads
``GET /features/{id}/restoration``), event writes, and the ledger listing."""

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
from geo.progress import listings, restoration, vocab

router = APIRouter(tags=["Restoration"])

Status = Literal[vocab.RESTORATION_STATUSES]
Funding = Literal[vocab.FUNDING]
FeatureId = Annotated[int, Path(alias="featureId", ge=1)]


class EventBody(BaseModel):
    """A restoration event. Values left out keep the previous event's value."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    event_date: date | None = Field(None, description="defaults to today; never in the future")
    note: str | None = Field(None, max_length=4000)
    evidence_ref: str | None = Field(None, max_length=1000, description="photo id, document no.")
    target_area_ha: float | None = None
    restored_area_ha: float | None = None
    plan_ref: str | None = Field(None, max_length=1000)
    funding: Funding | None = None
    deadline: date | None = None
    responsible_unit: str | None = Field(None, max_length=500)

    def to_input(self) -> restoration.EventInput:
        data = self.model_dump()
        data["event_date"] = data["event_date"] or date.today()
        return restoration.EventInput(**data)


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
