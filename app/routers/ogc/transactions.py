"""OGC API – Features Part 4: create, replace, update (JSON Merge Patch) and delete items of
editable (kind='feature') layers, with strong ETags, If-Match (412 stale, 428 missing), and
the audit history of each item."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from app.auth import Editor, OptionalUser
from app.deps import CollectionDep, ConnDep, EngineDep, SettingsDep, reject_unknown
from app.openapi import BODIES
from app.render.links import GEOJSON, url
from geo.catalog import history, items
from geo.catalog.sources import SPECIAL_SOURCES, Collection
from geo.edits import writes as edits
from geo.kernel import crs as crs_mod
from geo.kernel.config import Settings
from geo.kernel.db import write_transaction
from geo.kernel.errors import ServiceError, UnsupportedMediaType
from geo.kernel.geometry import parse_json

JSON_TYPES = ("application/geo+json", "application/json")
PATCH_TYPES = ("application/merge-patch+json", *JSON_TYPES)
REPAIRED_HEADER = "X-Geometry-Repaired"


class NotEditable(ServiceError):
    status = 405
    code = "MethodNotAllowed"


async def editable(coll: CollectionDep) -> Collection:
    if coll.kind != "feature" or coll.id in SPECIAL_SOURCES:
        raise NotEditable(f"collection {coll.id!r} is read-only here")
    return coll


EditableDep = Annotated[Collection, Depends(editable)]


async def read_body(request: Request, accepted: tuple[str, ...]) -> Any:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type {ctype or '(none)'} not accepted; use {', '.join(accepted)}"
        )
    return parse_json(await request.body())


def content_crs(request: Request) -> crs_mod.CRS:
    """Part 2: the CRS of a request body is named by the Content-Crs header (default CRS84)."""
    value = request.headers.get("content-crs")
    return crs_mod.parse_crs(value.strip().strip("<>") if value else None, "Content-Crs")


async def _written_response(
    request: Request, conn, coll: Collection, w: edits.Written, status: int
) -> Response:
    body = await items.get_item(conn, coll, str(w.id), crs_mod.DEFAULT)
    headers = {"ETag": edits.etag(w.id, w.version)}
    if status == 201:
        headers["Location"] = url(request, f"/collections/{coll.id}/items/{w.id}")
    if w.repaired:
        headers[REPAIRED_HEADER] = "ST_MakeValid; only the part of the layer's type was kept"
    return Response(body, status_code=status, media_type=GEOJSON, headers=headers)


router = APIRouter(tags=["Transactions"])
REPAIR_Q = Query(
    False, description="Repair invalid geometry with ST_MakeValid (polygonal part kept)"
)


@router.post(
    "/collections/{collectionId}/items",
    status_code=201,
    summary="Add a feature (Editor; If-Match not needed)",
    response_class=Response,
    openapi_extra=BODIES["feature"],
)
async def create_item(
    request: Request,
    db: EngineDep,
    settings: SettingsDep,
    coll: EditableDep,
    principal: Editor,
    repair: bool = REPAIR_Q,
):
    reject_unknown(request, {"repair"})
    doc = await read_body(request, JSON_TYPES)
    async with write_transaction(db, principal) as conn:
        w = await edits.create(conn, principal, coll, doc, content_crs(request), settings, repair)
    return await _written_response(request, conn, coll, w, 201)


@router.put(
    "/collections/{collectionId}/items/{featureId}",
    summary="Replace a feature (Editor; If-Match required)",
    response_class=Response,
    openapi_extra=BODIES["feature"],
)
async def replace_item(
    request: Request,
    db: EngineDep,
    settings: SettingsDep,
    coll: EditableDep,
    principal: Editor,
    featureId: str,  # noqa: N803
    repair: bool = REPAIR_Q,
):
    reject_unknown(request, {"repair"})
    doc = await read_body(request, JSON_TYPES)
    crs, if_match = content_crs(request), request.headers.get("if-match")
    async with write_transaction(db, principal) as conn:
        w = await edits.replace(
            conn, principal, coll, featureId, doc, crs, settings, if_match, repair
        )
    return await _written_response(request, conn, coll, w, 200)


@router.patch(
    "/collections/{collectionId}/items/{featureId}",
    summary="Update a feature with a JSON Merge Patch (Editor; If-Match required)",
    response_class=Response,
    openapi_extra=BODIES["merge_patch"],
)
async def update_item(
    request: Request,
    db: EngineDep,
    settings: SettingsDep,
    coll: EditableDep,
    principal: Editor,
    featureId: str,  # noqa: N803
    repair: bool = REPAIR_Q,
):
    reject_unknown(request, {"repair"})
    patch = await read_body(request, PATCH_TYPES)
    crs, if_match = content_crs(request), request.headers.get("if-match")
    async with write_transaction(db, principal) as conn:
        w = await edits.update(
            conn, principal, coll, featureId, patch, crs, settings, if_match, repair
        )
    return await _written_response(request, conn, coll, w, 200)


@router.delete(
    "/collections/{collectionId}/items/{featureId}",
    status_code=204,
    summary="Delete a feature (Editor; If-Match required)",
    response_class=Response,
)
async def delete_item(
    request: Request,
    db: EngineDep,
    coll: EditableDep,
    principal: Editor,
    featureId: str,  # noqa: N803
):
    reject_unknown(request, set())
    async with write_transaction(db, principal) as conn:
        await edits.delete(conn, principal, coll, featureId, request.headers.get("if-match"))
    return Response(status_code=204)


@router.get(
    "/collections/{collectionId}/items/{featureId}/history",
    summary="Every audited change of a feature (when, before, after; who for key holders)",
)
async def item_history(
    request: Request,
    conn: ConnDep,
    coll: EditableDep,
    principal: OptionalUser,
    featureId: str,  # noqa: N803
):
    reject_unknown(request, set())
    entries = await history.feature_history(conn, coll, featureId)
    if principal is None:  # anonymous callers see what changed, not who changed it
        entries = [{k: v for k, v in e.items() if k not in ("actor", "user_id")} for e in entries]
    about = url(request, f"/collections/{coll.id}/items/{featureId}")
    return JSONResponse(
        {
            "collection": coll.id,
            "id": featureId,
            "history": entries,
            "links": [{"href": about, "rel": "about", "type": GEOJSON}],
        }
    )


def build_router(settings: Settings) -> APIRouter:
    """The routes read their settings per request (SettingsDep); kept for create_app."""
    return router
