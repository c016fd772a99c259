"""Reads for the inspection form: find a feature or violation by code, and the inspection
history of one with its photos (a gallery). Registered before ``/inspections/{uuid}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.auth import Viewer
from app.deps import ConnDep, reject_unknown
from app.render.links import url
from geo.inspections.history import find_subject, history

router = APIRouter(tags=["Inspections"])

IdQuery = Annotated[int | None, Query(ge=1)]


@router.get(
    "/inspections/subjects",
    summary="The feature or violation an inspection is about, by code or id",
    description="`code`: a feature code (case-insensitive, e.g. pit-652301-0001) or a "
    "violation as V-17; or `feature_id` / `violation_id`. Gives its position for the map.",
)
async def subject(
    request: Request,
    conn: ConnDep,
    _: Viewer,
    code: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    feature_id: IdQuery = None,
    violation_id: IdQuery = None,
):
    reject_unknown(request, {"code", "feature_id", "violation_id"})
    return await find_subject(conn, code, feature_id, violation_id)


@router.get(
    "/inspections/history",
    summary="Inspection history of a feature or violation, newest first, with a photo gallery",
)
async def inspection_history(
    request: Request,
    conn: ConnDep,
    _: Viewer,
    code: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    feature_id: IdQuery = None,
    violation_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    reject_unknown(request, {"code", "feature_id", "violation_id", "limit"})
    subj = await find_subject(conn, code, feature_id, violation_id)
    doc = await history(conn, subj, limit)
    gallery = []
    for rec in doc["inspections"]:
        base = f"/inspections/{rec['uuid']}"
        for p in rec["photos"]:
            p["href"] = url(request, f"{base}/photos/{p['sha256']}")
            gallery.append(
                {
                    "href": p["href"],
                    "inspection": rec["uuid"],
                    "observed_at": rec["observed_at"],
                    "verdict": rec["verdict"],
                    "content_type": p["content_type"],
                }
            )
    return {**doc, "photos": gallery}
