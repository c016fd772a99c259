"""OGC API – Features: the collections, one collection, and its queryables."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.deps import CollectionDep, ConnDep, reject_unknown, wants_html
from app.render.html import render
from app.render.links import GEOJSON, HTML, JSON, link, url
from app.routers.ogc.tiles import tiles_links
from geo.catalog.queryables import queryables_document
from geo.catalog.sources import Collection, list_collections
from geo.kernel import crs as crs_mod

router = APIRouter(tags=["Features"])
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"


def collection_doc(request: Request, coll: Collection, bbox: list[float] | None) -> dict[str, Any]:
    base = f"/collections/{coll.id}"
    doc: dict[str, Any] = {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": crs_mod.SUPPORTED_URIS,
        "storageCrs": crs_mod.CRS84,
        "links": [
            link(url(request, base), "self", JSON, "This collection"),
            link(url(request, base, f="html"), "alternate", HTML, "This collection as HTML"),
            link(url(request, base + "/items"), "items", GEOJSON, "Items as GeoJSON"),
            link(url(request, base + "/items", f="html"), "items", HTML, "Items as HTML"),
            link(
                url(request, base + "/queryables"),
                QUERYABLES_REL,
                "application/schema+json",
                "Queryable properties",
            ),
            *tiles_links(request, coll.id),
        ],
        "x-title-zh": coll.title_zh,
        "x-geometry-type": coll.geometry_type,
        "x-kind": coll.kind,
    }
    if bbox:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": crs_mod.CRS84}}
    return doc


@router.get("/collections", summary="The collections (layers) of the service")
async def collections(request: Request, conn: ConnDep, f: str | None = Query(None)):
    reject_unknown(request, set())
    extents = request.app.state.extent_cache  # geo.catalog.extent: one ST_Extent per version
    docs = [
        collection_doc(request, c, await extents.extent(conn, c))
        for c in await list_collections(conn)
    ]
    body = {
        "links": [
            link(url(request, "/collections"), "self", JSON, "The collections"),
            link(url(request, "/collections", f="html"), "alternate", HTML, "As HTML"),
        ],
        "collections": docs,
        "crs": crs_mod.SUPPORTED_URIS,
    }
    if wants_html(request, f):
        return render(request, "collections.html", doc=body)
    return JSONResponse(body)


@router.get("/collections/{collectionId}", summary="One collection")
async def collection(
    request: Request, conn: ConnDep, coll: CollectionDep, f: str | None = Query(None)
):
    reject_unknown(request, set())
    bbox = await request.app.state.extent_cache.extent(conn, coll)
    doc = collection_doc(request, coll, bbox)
    if wants_html(request, f):
        return render(request, "collection.html", doc=doc, coll=coll)
    return JSONResponse(doc)


@router.get(
    "/collections/{collectionId}/queryables",
    summary="Properties that can be used in filters, sortby and properties",
    response_class=JSONResponse,
    responses={200: {"content": {"application/schema+json": {}}}},
)
async def get_queryables(request: Request, coll: CollectionDep, f: str | None = Query(None)):
    reject_unknown(request, set())
    doc = queryables_document(coll, url(request, f"/collections/{coll.id}/queryables"))
    if wants_html(request, f):
        return render(request, "queryables.html", doc=doc, coll=coll)
    return JSONResponse(doc, media_type="application/schema+json")
