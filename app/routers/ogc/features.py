"""OGC API – Features Part 1 (core) and Part 2 (CRS): collections and their items."""

# No `from __future__ import annotations` here: the limit bounds are closure variables that
# FastAPI must see when it reads the signatures.

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.deps import CollectionDep, ConnDep, reject_unknown, wants_html
from app.observability import note_rows
from app.render.html import render
from app.render.links import GEOJSON, HTML, JSON, link, url
from app.routers.ogc.tiles import tiles_links
from geo.catalog import filters, history, items
from geo.catalog.items import ItemsQuery
from geo.catalog.queryables import queryables, queryables_document
from geo.catalog.sources import Collection, list_collections
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
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
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


EXTENT_TTL_S = 30.0


async def cached_extent(request: Request, conn, coll: Collection) -> list[float] | None:
    """A layer's extent, recomputed at most every 30 s: ST_Extent reads every row, and
    clients ask for /collections often; a bbox a few seconds old only widens a zoom."""
    cache: dict = request.app.state.__dict__.setdefault("extent_cache", {})
    now = time.monotonic()
    hit = cache.get(coll.id)
    if hit and hit[0] > now:
        return hit[1]
    bbox = await items.extent(conn, coll)
    cache[coll.id] = (now + EXTENT_TTL_S, bbox)
    return bbox


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["Features"])
    max_limit, default_limit = settings.items_max_limit, settings.items_default_limit

    @router.get("/collections", summary="The collections (layers) of the service")
    async def collections(request: Request, conn: ConnDep, f: str | None = Query(None)):
        reject_unknown(request, set())
        colls = await list_collections(conn)
        docs = [collection_doc(request, c, await cached_extent(request, conn, c)) for c in colls]
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
        doc = collection_doc(request, coll, await cached_extent(request, conn, coll))
        if wants_html(request, f):
            return render(request, "collection.html", doc=doc, coll=coll)
        return JSONResponse(doc)

    @router.get(
        "/collections/{collectionId}/items",
        summary="Features of a collection, paged by `next` links",
        description=(
            "GeoJSON built in PostGIS and streamed. Besides the standard parameters, any "
            "attribute of the collection (see its schema) filters by equality, e.g. `grade=1`; "
            "`region_code` also accepts prefecture codes."
        ),
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
    )
    async def get_items(
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
        f: Annotated[
            str | None,
            Query(
                description="json or html (pages), or an export of every matching feature: "
                + ", ".join(exports.FORMATS)
            ),
        ] = None,
    ):
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
        if f in exports.FORMATS:
            explicit = "limit" in request.query_params
            return _export(request, coll, q, f, limit if explicit else None)
        sql, params = items.page_sql(coll, q)  # raises 400s before the first byte is sent
        engine: AsyncEngine = request.app.state.engine
        if html:
            return await _items_html(request, engine, coll, q, sql, params)
        return StreamingResponse(
            _feature_collection(request, engine, coll, q, sql, params, settings.count_timeout_ms),
            media_type=GEOJSON,
            headers={"Content-Crs": crs_mod.content_crs_header(q.crs)},
        )

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

    @router.get(
        "/collections/{collectionId}/items/{featureId}",
        summary="One feature",
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
    )
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
        if coll.kind == "feature" and coll.as_of is None and coll.source.id_is_int:
            # Version first: a write in between makes the tag older, never newer, than the body.
            version = await edits.version_of(conn, coll, fid)
            if version is not None:
                tag = edits.etag(int(fid), version, out)
                if edits.matches(request.headers.get("if-none-match"), int(fid), version):
                    return Response(status_code=304, headers={"ETag": tag})
        feature = json.loads(await items.get_item(conn, coll, fid, out))
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
        return Response(
            json.dumps(feature, ensure_ascii=False), media_type=GEOJSON, headers=headers
        )

    return router


def _export(request: Request, coll: Collection, q: ItemsQuery, fmt: str, limit: int | None):
    """Every feature matching the filters, in one file (the serializer of ``geo.files.exports``)."""
    spec, body = exports.export(request.app.state.sync_engine, fmt, coll, q, limit)
    return StreamingResponse(
        body,
        media_type=spec.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{coll.id}.{spec.extension}"',
            "Content-Crs": crs_mod.content_crs_header(q.crs),
        },
    )


def _page_links(request: Request, coll: Collection, next_cursor: str | None) -> list[dict]:
    path = f"/collections/{coll.id}/items"
    query = {k: v for k, v in request.query_params.items() if k not in ("cursor", "f")}
    links = [
        link(url(request, path, **dict(request.query_params)), "self", GEOJSON, "This page"),
        link(url(request, path, **{**query, "f": "html"}), "alternate", HTML, "This page as HTML"),
        link(url(request, f"/collections/{coll.id}"), "collection", JSON, coll.title),
    ]
    if next_cursor:
        links.append(
            link(
                url(request, path, **{**query, "cursor": next_cursor}), "next", GEOJSON, "Next page"
            )
        )
    return links


async def _feature_collection(
    request: Request,
    engine: AsyncEngine,
    coll: Collection,
    q: ItemsQuery,
    sql: str,
    params: dict,
    count_timeout_ms: int,
) -> AsyncIterator[bytes]:
    async with engine.connect() as conn:
        matched = None
        if q.cursor is None:  # first page only: later pages never pay for a count
            matched = await items.count_matched(conn, coll, q, count_timeout_ms)
        yield b'{"type":"FeatureCollection","features":['
        n, last_keys, more = 0, None, False
        buf: list[str] = []
        result = await conn.stream(text(sql), params)
        async for partition in result.partitions(500):
            for row in partition:
                if n == q.limit:
                    more = True
                    break
                buf.append(row[0])
                n, last_keys = n + 1, list(row[1:])
            if buf:
                yield ((b"," if n > len(buf) else b"") + ",".join(buf).encode())
                buf = []
            if more:
                break
        await result.close()
    tail: dict[str, Any] = {
        "numberReturned": n,
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": _page_links(request, coll, items.encode_cursor(last_keys) if more else None),
    }
    if matched is not None:
        tail["numberMatched"] = matched
    note_rows(request, n)
    yield b"]," + json.dumps(tail, ensure_ascii=False)[1:].encode()


async def _items_html(request, engine, coll, q, sql, params):
    async with engine.connect() as conn:
        rows = (await conn.execute(text(sql), params)).all()
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    features = [json.loads(r[0]) for r in rows]
    next_cursor = items.encode_cursor(list(rows[-1][1:])) if more else None
    columns = list(coll.attributes)
    return render(
        request,
        "items.html",
        coll=coll,
        features=features,
        columns=columns,
        links=_page_links(request, coll, next_cursor),
        crs=q.crs,
    )
