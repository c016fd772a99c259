"""OGC API – Tiles dataset tilesets: ``/tiles/WebMercatorQuad/{z}/{y}/{x}`` is one MVT with one
layer per public collection (what the map draws), so one request per tile position instead of
one per layer. Caching as for collection tiles (see app/routers/ogc/tiles.py), with the
dataset version, a digest of every layer's data version, as ``v``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from app.deps import ConnDep, SettingsDep, reject_unknown
from app.render.links import JSON, link, url
from app.routers.ogc.tiles import (
    META_CACHE,
    MVT,
    REL_TILING_SCHEME,
    TMSDep,
    _check_tms,
    dataset_template,
    tile_response,
)
from geo.catalog.sources import Collection, list_collections
from geo.kernel.errors import InvalidParameter
from geo.tiles import dataset, tilematrixset
from geo.tiles import mvt as tiles
from geo.tiles.cache import Store, cached_tile
from geo.tiles.versions import version_stamps

router = APIRouter(tags=["Tiles"])


async def _public(conn) -> list[Collection]:
    return [c for c in await list_collections(conn) if c.public]


def _selected(colls: list[Collection], wanted: str | None) -> list[Collection]:
    """OGC API – Tiles ``collections``: the layers named (comma-separated), in the dataset's
    order; 400 naming any that is not a public collection."""
    if wanted is None:
        return colls
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    known = {c.id for c in colls}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise InvalidParameter(
            f"collections: {', '.join(unknown) or 'empty'} not among the dataset's layers "
            f"({', '.join(sorted(known))})",
            parameter="collections",
        )
    return [c for c in colls if c.id in names]


def _layer(coll: Collection, settings) -> dict[str, Any]:
    return {
        "id": coll.id,
        "title": coll.title,
        "dataType": "vector",
        "geometryType": coll.geometry_type.lower().replace("multi", ""),
        "minTileMatrix": str(settings.tiles_min_zoom),
        "maxTileMatrix": str(settings.tiles_max_zoom),
        "propertiesSchema": {"type": "object", "properties": coll.attributes},
    }


def _tileset(request: Request, colls: list[Collection], settings) -> dict[str, Any]:
    return {
        "title": f"Every layer ({tilematrixset.ID})",
        "dataType": "vector",
        "crs": tilematrixset.CRS_URI,
        "tileMatrixSetURI": tilematrixset.URI,
        "links": [
            link(url(request, f"/tiles/{tilematrixset.ID}"), "self", JSON, "This tileset"),
            link(
                url(request, f"/tileMatrixSets/{tilematrixset.ID}"),
                REL_TILING_SCHEME,
                JSON,
                tilematrixset.ID,
            ),
            {
                **link(dataset_template(request), "item", MVT, "Mapbox vector tiles"),
                "templated": True,
            },
        ],
        "layers": [_layer(c, settings) for c in colls],
    }


@router.get("/tiles", summary="Vector tilesets of the whole dataset (every layer)")
async def dataset_tilesets(request: Request, conn: ConnDep, settings: SettingsDep):
    reject_unknown(request, set())
    return {
        "links": [link(url(request, "/tiles"), "self", JSON, "Dataset tilesets")],
        "tilesets": [_tileset(request, await _public(conn), settings)],
    }


@router.get("/tiles/{tileMatrixSetId}", summary="The dataset's vector tileset (metadata)")
async def dataset_tileset(request: Request, conn: ConnDep, settings: SettingsDep, tms: TMSDep):
    reject_unknown(request, set())
    _check_tms(tms)
    return JSONResponse(
        _tileset(request, await _public(conn), settings), headers={"Cache-Control": META_CACHE}
    )


@router.get(
    "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    summary="A Mapbox vector tile of every public layer (z/y/x), one MVT layer per collection "
    "(collections=a,b: only those)",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, 304: {"description": "Not modified"}},
)
async def dataset_tile(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    tms: TMSDep,
    z: Annotated[int, Path(alias="tileMatrix")],
    row: Annotated[int, Path(alias="tileRow")],
    col: Annotated[int, Path(alias="tileCol")],
):
    reject_unknown(request, {"v", "collections"})
    _check_tms(tms)
    tiles.validate_tile(z, row, col)
    colls = _selected(await _public(conn), request.query_params.get("collections"))
    stamps = await version_stamps(conn, [c.id for c in colls])
    versions = {name: s.version for name, s in stamps.items()}
    cache: Store = request.app.state.tile_cache
    cap = settings.tiles_max_features
    db = settings.database_url
    parts = [await cached_tile(cache, db, conn, c, stamps[c.id], (z, row, col), cap) for c in colls]
    t = tiles.Tile(
        data=dataset.concat_tiles(p.data for p in parts),
        features=sum(p.features for p in parts),
        truncated=any(p.truncated for p in parts),
    )
    truncated = [c.id for c, p in zip(colls, parts, strict=True) if p.truncated]
    current = request.query_params.get("v") == dataset.dataset_version(versions)
    return tile_response(request, t, current, truncated, cap)
