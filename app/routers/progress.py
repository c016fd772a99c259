"""Progress summaries: by county, layer and status as of any date; monthly series; reported
against measured areas."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.deps import ConnDep, reject_unknown
from geo.progress import summary as progress

router = APIRouter(tags=["Progress"])
Region = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="county or prefecture")]


@router.get("/progress", summary="Restoration progress by region, layer and status, as of a date")
async def summary(
    request: Request,
    conn: ConnDep,
    group_by: str | None = None,
    layer: str | None = None,
    region: Region = None,
    as_of: date | None = None,
):
    reject_unknown(request, {"group_by", "layer", "region", "as_of"})
    groups = progress.parse_group_by(group_by)
    return await progress.summary(conn, as_of or date.today(), groups, layer, region)


@router.get("/progress/series", summary="Monthly series (state at each month's end)")
async def series(
    request: Request,
    conn: ConnDep,
    layer: str | None = None,
    region: Region = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
):
    reject_unknown(request, {"layer", "region", "from", "to"})
    end = to or date.today()
    start = from_ or date(end.year - 2, end.month, 1)
    return await progress.series(conn, start, end, layer, region)


@router.get(
    "/progress/reported-vs-measured",
    summary="Area a county reported against the area measured from geometry",
)
async def reported_vs_measured(
    request: Request,
    conn: ConnDep,
    layer: str | None = None,
    region: Region = None,
    tolerance: Annotated[float, Query(ge=0, le=10)] = 0.10,
):
    reject_unknown(request, {"layer", "region", "tolerance"})
    return await progress.reported_vs_measured(conn, layer, region, tolerance)
