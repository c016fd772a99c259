"""OGC API – Tiles (core, tileset, tilesets-list, geodata-tilesets, mvt) for every collection,
plus TileJSON and a MapLibre style for web maps.

Caching: a tile's ETag is a hash of its bytes. A tile URL that carries the current data
version (``?v=``, as the style's URLs do) names bytes that never change and is served
``immutable`` for a year; after an edit the style (revalidated) points at a new ``v``. Without
``v`` (or with an old one) a tile is ``no-cache``: kept, but revalidated each time
(``If-None-Match`` → 304).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from app.deps import CollectionDep, ConnDep, SettingsDep, reject_unknown
from app.render.links import JSON, link, url
from geo.catalog.sources import Collection, list_collections
from geo.kernel.errors import NotFound
from geo.tiles import dataset, tilematrixset
from geo.tiles import mvt as tiles
from geo.tiles.cache import Store, cached_tile
from geo.tiles.mvt import Tile
from geo.tiles.style import build_style
from geo.tiles.versions import version_stamps

MVT = "application/vnd.mapbox-vector-tile"
TILE_CACHE = "public, no-cache"
TILE_CACHE_VERSIONED = "public, max-age=31536000, immutable"
META_CACHE = "public, max-age=60"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"

router = APIRouter(tags=["Tiles"])

TMSDep = Annotated[str, Path(alias="tileMatrixSetId")]


def _check_tms(tms: str) -> None:
    if tms != tilematrixset.ID:
        raise NotFound(f"tile matrix set {tms!r} is not offered; use {tilematrixset.ID}")


def tile_template(request: Request, coll_id: str, mapbox_style: bool = False) -> str:
    base = url(request, f"/collections/{coll_id}/tiles/{tilematrixset.ID}")
    return base + ("/{z}/{y}/{x}" if mapbox_style else "/{tileMatrix}/{tileRow}/{tileCol}")


def tiles_links(request: Request, coll_id: str) -> list[dict[str, Any]]:
    """Links a collection document carries to its tiles."""
    return [
        link(
            url(request, f"/collections/{coll_id}/tiles"),
            "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
            JSON,
            "Vector tilesets",
        ),
        link(
            url(request, f"/collections/{coll_id}/tiles/{tilematrixset.ID}/tilejson.json"),
            "describedby",
            JSON,
            "TileJSON",
        ),
    ]


def _tileset(request: Request, coll: Collection, settings, bbox: list[float] | None) -> dict:
    doc: dict[str, Any] = {
        "title": f"{coll.title} ({tilematrixset.ID})",
        "dataType": "vector",
        "crs": tilematrixset.CRS_URI,
        "tileMatrixSetURI": tilematrixset.URI,
        "links": [
            link(
                url(request, f"/collections/{coll.id}/tiles/{tilematrixset.ID}"),
                "self",
                JSON,
                "This tileset",
            ),
            link(
                url(request, f"/tileMatrixSets/{tilematrixset.ID}"),
                REL_TILING_SCHEME,
                JSON,
                "WebMercatorQuad",
            ),
            {
                **link(tile_template(request, coll.id), "item", MVT, "Mapbox vector tiles"),
                "templated": True,
            },
        ],
        "tileMatrixSetLimits": [
            {
                "tileMatrix": str(z),
                "minTileRow": 0,
                "maxTileRow": 2**z - 1,
                "minTileCol": 0,
                "maxTileCol": 2**z - 1,
            }
            for z in range(settings.tiles_min_zoom, settings.tiles_max_zoom + 1)
        ],
        "layers": [
            {
                "id": coll.id,
                "dataType": "vector",
                "geometryType": coll.geometry_type.lower().replace("multi", ""),
                "minTileMatrix": str(settings.tiles_min_zoom),
                "maxTileMatrix": str(settings.tiles_max_zoom),
                "propertiesSchema": {"type": "object", "properties": coll.attributes},
            }
        ],
    }
    if bbox:
        doc["boundingBox"] = {
            "lowerLeft": bbox[:2],
            "upperRight": bbox[2:],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        }
    return doc


@router.get("/tileMatrixSets", summary="Tile matrix sets offered")
async def tile_matrix_sets(request: Request):
    reject_unknown(request, set())
    href = url(request, f"/tileMatrixSets/{tilematrixset.ID}")
    return {
        "tileMatrixSets": [
            {
                "id": tilematrixset.ID,
                "title": "Google Maps Compatible for the World",
                "uri": tilematrixset.URI,
                "links": [link(href, "self", JSON, tilematrixset.ID)],
            }
        ]
    }


@router.get("/tileMatrixSets/{tileMatrixSetId}", summary="A tile matrix set definition")
async def tile_matrix_set(request: Request, tms: TMSDep):
    reject_unknown(request, set())
    _check_tms(tms)
    return JSONResponse(tilematrixset.definition(), headers={"Cache-Control": META_CACHE})


async def _extent(request: Request, conn, coll: Collection) -> list[float] | None:
    """Cached per data version (geo.catalog.extent): TileJSON never recomputes ST_Extent."""
    return await request.app.state.extent_cache.extent(conn, coll)


@router.get("/collections/{collectionId}/tiles", summary="Vector tilesets of a collection")
async def tilesets(request: Request, conn: ConnDep, coll: CollectionDep, settings: SettingsDep):
    reject_unknown(request, set())
    bbox = await _extent(request, conn, coll)
    return {
        "links": [link(url(request, f"/collections/{coll.id}/tiles"), "self", JSON, "Tilesets")],
        "tilesets": [_tileset(request, coll, settings, bbox)],
    }


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}", summary="A vector tileset (metadata)"
)
async def tileset(
    request: Request, conn: ConnDep, coll: CollectionDep, settings: SettingsDep, tms: TMSDep
):
    reject_unknown(request, set())
    _check_tms(tms)
    return _tileset(request, coll, settings, await _extent(request, conn, coll))


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json",
    summary="TileJSON 3.0 of a collection's vector tiles",
)
async def tilejson(
    request: Request, conn: ConnDep, coll: CollectionDep, settings: SettingsDep, tms: TMSDep
):
    reject_unknown(request, set())
    _check_tms(tms)
    bbox = await _extent(request, conn, coll)
    fields = {k: str(v.get("title") or v.get("type", "")) for k, v in coll.attributes.items()}
    doc: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": coll.title,
        "description": coll.description,
        "scheme": "xyz",
        "tiles": [tile_template(request, coll.id, mapbox_style=True)],
        "minzoom": settings.tiles_min_zoom,
        "maxzoom": settings.tiles_max_zoom,
        "vector_layers": [
            {
                "id": coll.id,
                "fields": {"id": "Feature id", **fields},
                "minzoom": settings.tiles_min_zoom,
                "maxzoom": settings.tiles_max_zoom,
            }
        ],
    }
    if bbox:
        doc["bounds"] = bbox
        doc["center"] = [(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2, 7]
    return JSONResponse(doc, headers={"Cache-Control": META_CACHE})


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    summary="A Mapbox vector tile (z/y/x)",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, 304: {"description": "Not modified"}},
)
async def tile(
    request: Request,
    conn: ConnDep,
    coll: CollectionDep,
    settings: SettingsDep,
    tms: TMSDep,
    z: Annotated[int, Path(alias="tileMatrix")],
    row: Annotated[int, Path(alias="tileRow")],
    col: Annotated[int, Path(alias="tileCol")],
):
    reject_unknown(request, {"v"})
    _check_tms(tms)
    want = request.query_params.get("v")
    cache: Store = request.app.state.tile_cache
    cap = settings.tiles_max_features
    if cache.max_bytes == 0 and want is None:  # no cache: no version lookup either
        t, version = await tiles.build_tile(conn, coll, z, row, col, cap), None
    else:
        tiles.validate_tile(z, row, col)
        stamp = (await version_stamps(conn, [coll.id]))[coll.id]
        t = await cached_tile(cache, settings.database_url, conn, coll, stamp, (z, row, col), cap)
        version = stamp.version
    truncated = [coll.id] if t.truncated else []
    return tile_response(request, t, want is not None and want == str(version), truncated, cap)


def tile_response(
    request: Request, t: Tile, current: bool, truncated: list[str], cap: int
) -> Response:
    """200 with the MVT, 204 when empty, 304 when the client's copy is current."""
    headers = {
        "ETag": t.etag,
        "Cache-Control": TILE_CACHE_VERSIONED if current else TILE_CACHE,
        "Vary": "Authorization",
    }
    if truncated:
        headers["X-Tile-Truncated"] = f"{', '.join(truncated)} capped at {cap} features"
    if _matches(request.headers.get("if-none-match"), t.etag):
        return Response(status_code=304, headers=headers)
    if not t.data:
        return Response(status_code=204, headers=headers)
    return Response(t.data, media_type=MVT, headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2), as If-None-Match asks."""
    if not if_none_match:
        return False
    tags = [v.strip().removeprefix("W/") for v in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


@router.get("/styles/default.json", summary="MapLibre style of every collection")
async def default_style(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    basemap: Annotated[bool, Query(description="include the configured basemap")] = True,
    tiles_from: Annotated[
        Literal["collections", "dataset"],
        Query(
            alias="tiles",
            description="`dataset`: one source, the combined tiles of every layer "
            "(/tiles/WebMercatorQuad/{z}/{y}/{x}); `collections`: one source per layer",
        ),
    ] = "collections",
):
    reject_unknown(request, {"basemap", "tiles"})
    colls = [c for c in await list_collections(conn) if c.public]
    template = url(request, "/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    template = template.replace("%7B", "{").replace("%7D", "}")
    style = build_style(
        colls,
        template,
        settings.tiles_min_zoom,
        settings.tiles_max_zoom,
        settings.basemap_url if basemap else None,
    )
    versions = await dataset.collection_versions(conn, [c.id for c in colls])
    if tiles_from == "dataset":
        tmpl = dataset_template(request, mapbox_style=True)
        style = dataset.combine_sources(
            style, colls, dataset.versioned(tmpl, dataset.dataset_version(versions))
        )
    else:
        style = dataset.version_sources(style, versions)
    return JSONResponse(style, headers={"Cache-Control": "no-cache"})


def dataset_template(request: Request, mapbox_style: bool = False) -> str:
    base = url(request, f"/tiles/{tilematrixset.ID}")
    return base + ("/{z}/{y}/{x}" if mapbox_style else "/{tileMatrix}/{tileRow}/{tileCol}")
