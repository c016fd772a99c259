"""Field inspections: ``PUT /inspections/{uuid}`` (idempotent by client UUID), photos as
multipart uploads stored on disk by content hash, and reads for the map."""

from __future__ import annotations

import uuid as uuid_mod
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from app.auth import Inspector, Viewer, check_region
from app.deps import ConnDep, SettingsDep
from app.render.links import url
from app.schemas.inspections import InspectionBody
from geo.inspections import photos
from geo.inspections import records as inspections
from geo.kernel.db import write_transaction
from geo.kernel.errors import PayloadTooLarge, UnsupportedMediaType
from geo.violations.verdicts import apply_verdict

router = APIRouter(tags=["Inspections"])


def _with_urls(request: Request, record: dict) -> dict:
    base = f"/inspections/{record['uuid']}"
    record["links"] = [{"href": url(request, base), "rel": "self", "type": "application/json"}]
    for p in record["photos"]:
        p["href"] = url(request, f"{base}/photos/{p['sha256']}")
    return record


@router.put(
    "/inspections/{uuid}",
    summary="Record an inspection under a client-generated UUID (idempotent)",
    description=(
        "201 when created; the same body again returns 200 with the same record; a different "
        "body for an existing UUID is a 409 (record a new inspection to correct one). Needs "
        "the inspector role and a scope covering the county of the position. With a "
        "`violation_id`, the verdict moves the violation along its lifecycle when the user's "
        "role allows the step (confirmed: detected → confirmed; not_confirmed: detected → "
        "dismissed; rectified: rectifying → rectified; …); `violation_step` says what moved."
    ),
    status_code=201,
)
async def put_inspection(
    request: Request,
    uuid: uuid_mod.UUID,
    body: InspectionBody,
    principal: Inspector,
    conn: ConnDep,
):
    data = body.to_input()
    region = await inspections.county_at(conn, *data.wgs84())
    check_region(principal, region)
    step = None
    async with write_transaction(request.state.db, principal) as tx:
        created = await inspections.put_inspection(tx, uuid, data, region, principal.user_id)
        if created and data.violation_id is not None:
            # the verdict moves the violation, in the same transaction (geo/violations/verdicts)
            step = await apply_verdict(
                tx, data.violation_id, data.verdict, principal, str(uuid), data.note
            )
    record = _with_urls(request, await inspections.get_inspection(conn, uuid))
    if step is not None:  # only on the request that recorded it (a retry repeats nothing)
        record["violation_step"] = step
    return JSONResponse(record, status_code=201 if created else 200)


@router.get("/inspections/{uuid}", summary="One inspection with its photos")
async def get_inspection(request: Request, uuid: uuid_mod.UUID, conn: ConnDep, _: Viewer):
    return _with_urls(request, await inspections.get_inspection(conn, uuid))


@router.get("/inspections", summary="Inspections of a feature or violation, newest first")
async def list_inspections(
    request: Request,
    conn: ConnDep,
    _: Viewer,
    feature_id: Annotated[int | None, Query(ge=1)] = None,
    violation_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
):
    rows = await inspections.list_inspections(conn, feature_id, violation_id, limit)
    return {"inspections": [_with_urls(request, r) for r in rows]}


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await upload.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"file: larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/inspections/{uuid}/photos",
    summary="Attach a photo (JPEG, PNG or HEIC) to an inspection",
    description=(
        "multipart/form-data with a `file` field. The type is read from the bytes, not the "
        "name. EXIF time and GPS position are kept. 201 when new, 200 when the same photo "
        "was already attached (retries are harmless)."
    ),
    status_code=201,
)
async def add_photo(
    request: Request,
    uuid: uuid_mod.UUID,
    principal: Inspector,
    conn: ConnDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="The photo")],
):
    check_region(principal, await inspections.inspection_region(conn, uuid))
    data = await _read_limited(file, settings.photo_max_bytes)
    content_type = photos.sniff(data[:16])
    if content_type is None:
        raise UnsupportedMediaType("file: not a JPEG, PNG or HEIC image (by its content)")
    meta = photos.read_meta(data, content_type)
    sha, _ = photos.store(settings.photo_dir, data, content_type)
    async with write_transaction(request.state.db, principal) as tx:
        created = await inspections.add_photo(
            tx,
            uuid,
            sha,
            content_type,
            len(data),
            (file.filename or "")[:255] or None,
            meta.taken_at,
            meta.lon,
            meta.lat,
            meta.exif_read,
        )
    record = _with_urls(request, await inspections.get_inspection(conn, uuid))
    photo = next(p for p in record["photos"] if p["sha256"] == sha)
    return JSONResponse(photo, status_code=201 if created else 200)


@router.get("/inspections/{uuid}/photos/{sha256}", summary="A photo file")
async def photo_file(
    uuid: uuid_mod.UUID, sha256: str, conn: ConnDep, settings: SettingsDep, _: Viewer
):
    content_type = await inspections.photo_type(conn, uuid, sha256.lower())
    path = photos.file_path(settings.photo_dir, sha256.lower(), content_type)
    return FileResponse(path, media_type=content_type, headers={"Cache-Control": "private"})
