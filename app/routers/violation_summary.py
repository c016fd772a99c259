"""Open violations by county and severity (the dashboard's chart). Registered before
``/violations/{violation_id}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.deps import ConnDep, reject_unknown
from geo.violations.summary import open_by_region

router = APIRouter(tags=["Violations"])


@router.get("/violations/open-summary", summary="Open violations by county and severity")
async def open_summary(
    request: Request,
    conn: ConnDep,
    region: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="a county or the prefecture")
    ] = None,
):
    reject_unknown(request, {"region"})
    return await open_by_region(conn, region)
