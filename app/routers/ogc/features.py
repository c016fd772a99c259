"""OGC API – Features Part 1 (core) and Part 2 (CRS): the items of a collection, one item.

HTTP only: parameters are parsed into an ``ItemsQuery``, the domain opens the page
(geo.catalog.pages) or the export (geo.files.exports), and a renderer writes it."""

# No `from __future__ import annotations` here: the limit bounds are closure variables that
# FastAPI must see when it reads the signatures.

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.deps import CollectionDep, ConnDep, reject_unknown, wants_html
from app.observability import note_rows
from app.render import features as fc
from app.render.html import render
from app.render.links import GEOJSON, HTML, JSON, link, url
from app.routers.ogc import collections
from geo.catalog import filters, history, items
from geo.catalog.items import ItemsQuery
from geo.catalog.pages import Page, open_page
from geo.catalog.queryables import queryables
from geo.catalog.sources import Collection
from geo.edits import writes as edits
from geo.files import exports
from geo.kernel import crs as crs_mod
from geo.kernel.config import Settings

ITEM_PARAMS = {
    "limit",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "cursor",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "properties",
    "as_of",
}
# f values of the items endpoint: pages (json/html) or whole-result exports (geo.files.exports).
ITEM_FORMATS = ("json", "html", *exports.FORMATS)
ITEMS_DESCRIPTION = (
    "GeoJSON built in PostGIS and streamed. Besides the standard parameters, any "
    "attribute of the collection (see its schema) filters by equality, e.g. `grade=1`; "
    "`region_code` also accepts prefecture codes."
)
EXPORT_F = "json or html (pages), or an export of every matching feature: " + ", ".join(
    exports.FORMATS
)


@dataclass
class ItemsRequest:
    coll: Collection
    query: ItemsQuery
    f: str | None
    html: bool
    export_limit: int | None  # exports take every match unless limit is given


def items_params(settings: Settings):
    """The dependency that parses the items parameters; the limit bounds come from settings."""
    max_limit, default_limit = settings.items_max_limit, settings.items_default_limit

    async def parse(
        request: Request,
        coll: CollectionDep,
        limit: Annotated[
            int, Query(ge=1, le=max_limit, description="Features per page")
        ] = default_limit,
        bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs")] = None,
        bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
        crs: Annotated[str | None, Query(description="Output CRS URI")] = None,
        datetime_: Annotated[str | None, Query(alias="datetime")] = None,
        cursor: Annotated[str | None, Query(description="Opaque token of a next link")] = None,
        filter_: Annotated[
            str | None, Query(alias="filter", description="CQL2 filter (see /queryables)")
        ] = None,
        filter_lang: Annotated[
            str, Query(alias="filter-lang", description="cql2-text or cql2-json")
        ] = "cql2-text",
        filter_crs: Annotated[str | None, Query(alias="filter-crs")] = None,
        sortby: Annotated[
            str | None, Query(description="Comma-separated properties; '-' sorts descending")
        ] = None,
        properties: Annotated[
            str | None, Query(description="Comma-separated properties to include")
        ] = None,
        as_of: Annotated[
            str | None, Query(description="RFC 3339 instant: the layer as it was then")
        ] = None,
        f: Annotated[str | None, Query(description=EXPORT_F)] = None,
    ) -> ItemsRequest:
        reject_unknown(request, ITEM_PARAMS | set(coll.attributes))
        html = wants_html(request, f, ITEM_FORMATS)
        coll = history.at_instant(coll, history.parse_instant(as_of))
        qs = queryables(coll)
        q = ItemsQuery(
            limit=limit,
            bbox=items.parse_bbox(bbox),
            bbox_crs=crs_mod.parse_crs(bbox_crs, "bbox-crs"),
            crs=crs_mod.parse_crs(crs, "crs"),
            datetime=items.parse_datetime(datetime_),
            attributes={k: v for k, v in request.query_params.items() if k in coll.attributes},
            cursor=cursor,
            filter=filters.parse(filter_, filter_lang) if filter_ is not None else None,
            filter_crs=crs_mod.parse_crs(filter_crs, "filter-crs"),
            sortby=items.parse_sortby(sortby, qs),
            properties=items.parse_properties(properties, qs),
        )
        explicit = "limit" in request.query_params
        return ItemsRequest(coll, q, f, html, limit if explicit else None)

    return parse


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["Features"])
    router.include_router(collections.router)
    ItemsRequestDep = Annotated[ItemsRequest, Depends(items_params(settings))]

    @router.get(
        "/collections/{collectionId}/items",
        summary="Features of a collection, paged by `next` links",
        description=ITEMS_DESCRIPTION,
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
    )
    async def get_items(request: Request, conn: ConnDep, req: ItemsRequestDep):
        # Count, stream and the lookups before them share the request's one connection.
        if req.f in exports.FORMATS:
            return await _export(conn, req)
        count_ms = 0 if req.html else settings.count_timeout_ms  # HTML pages show no total
        page = await open_page(conn, req.coll, req.query, count_ms)
        if req.html:
            return await _items_html(request, req, page)
        return fc.streamed(
            page.batches(),
            lambda n: _page_tail(request, req.coll, page, n),
            headers={"Content-Crs": crs_mod.content_crs_header(req.query.crs)},
        )

    router.add_api_route(
        "/collections/{collectionId}/items/{featureId}",
        get_item,
        methods=["GET"],
        summary="One feature",
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
    )
    return router


async def get_item(
    request: Request,
    conn: ConnDep,
    coll: CollectionDep,
    featureId: str,  # noqa: N803 - the OGC name of the path parameter
    crs: Annotated[str | None, Query()] = None,
    as_of: Annotated[str | None, Query(description="RFC 3339 instant")] = None,
    f: Annotated[str | None, Query()] = None,
):
    fid = featureId
    reject_unknown(request, {"crs", "as_of"})
    out = crs_mod.parse_crs(crs, "crs")
    coll = history.at_instant(coll, history.parse_instant(as_of))
    tag = None
    versioned = coll.kind == "feature" and coll.as_of is None and coll.source.id_is_int
    # Body and row version in one statement (one snapshot): the tag matches the body.
    body, version = await items.get_item_versioned(conn, coll, fid, out, with_version=versioned)
    if version is not None:
        tag = edits.etag(int(fid), version, out)
        if edits.matches(request.headers.get("if-none-match"), int(fid), version):
            return Response(status_code=304, headers={"ETag": tag})
    feature = json.loads(body)
    base = f"/collections/{coll.id}"
    feature["links"] = [
        link(url(request, f"{base}/items/{fid}"), "self", GEOJSON, "This feature"),
        link(url(request, f"{base}/items/{fid}", f="html"), "alternate", HTML, "As HTML"),
        link(url(request, base), "collection", JSON, coll.title),
    ]
    if wants_html(request, f):
        return render(request, "item.html", feature=feature, coll=coll)
    headers = {"Content-Crs": crs_mod.content_crs_header(out)}
    if tag:
        headers["ETag"] = tag
    return Response(json.dumps(feature, ensure_ascii=False), media_type=GEOJSON, headers=headers)


async def _export(conn, req: ItemsRequest) -> StreamingResponse:
    """Every feature matching the filters, in one file (the serializers of geo.files.exports);
    GeoJSON goes through the one FeatureCollection renderer."""
    out = await exports.export(conn, req.f, req.coll, req.query, req.export_limit)
    headers = {
        "Content-Disposition": f'attachment; filename="{req.coll.id}.{out.format.extension}"',
        "Content-Crs": crs_mod.content_crs_header(req.query.crs),
    }
    if out.features is not None:
        return fc.streamed(out.features, lambda n: {}, headers, out.format.media_type)
    return StreamingResponse(out.body, media_type=out.format.media_type, headers=headers)


def _page_links(request: Request, coll: Collection, next_cursor: str | None) -> list[dict]:
    path = f"/collections/{coll.id}/items"
    query = {k: v for k, v in request.query_params.items() if k not in ("cursor", "f")}
    links = [
        link(url(request, path, **dict(request.query_params)), "self", GEOJSON, "This page"),
        link(url(request, path, **{**query, "f": "html"}), "alternate", HTML, "This page as HTML"),
        link(url(request, f"/collections/{coll.id}"), "collection", JSON, coll.title),
    ]
    if next_cursor:
        next_url = url(request, path, **{**query, "cursor": next_cursor})
        links.append(link(next_url, "next", GEOJSON, "Next page"))
    return links


def _page_tail(request: Request, coll: Collection, page: Page, n: int) -> dict[str, Any]:
    tail: dict[str, Any] = {
        "numberReturned": n,
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": _page_links(request, coll, page.next_cursor),
    }
    if page.matched is not None:
        tail["numberMatched"] = page.matched
    note_rows(request, n)
    return tail


async def _items_html(request: Request, req: ItemsRequest, page: Page) -> Response:
    features = [json.loads(f) for f in await page.all()]
    return render(
        request,
        "items.html",
        coll=req.coll,
        features=features,
        columns=list(req.coll.attributes),
        links=_page_links(request, req.coll, page.next_cursor),
        crs=req.query.crs,
    )
