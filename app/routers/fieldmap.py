"""What the field map needs beyond OGC API: its service worker (served from the site root so
that it controls /map), its basemap list, the data versions offline packages are checked
against, and a key-hiding proxy for 天地图 (Tianditu) basemap tiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response

from app.deps import ConnDep, SettingsDep, reject_unknown
from geo.kernel.errors import NotFound
from geo.tiles.versions import all_data_versions

router = APIRouter(tags=["Web"], include_in_schema=False)
SW = Path(__file__).resolve().parent.parent / "static" / "sw.js"
# vec/cva: vector map + its labels; img/cia: imagery + its labels.
TIANDITU_LAYERS = {"vec", "cva", "img", "cia"}
ATTRIBUTION_TDT = "© 天地图 Tianditu (国家地理信息公共服务平台)"


@router.get("/sw.js")
async def service_worker() -> FileResponse:
    # no-cache: a new worker is picked up on the next visit; scope "/" lets it serve /map.
    headers = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"}
    return FileResponse(SW, media_type="text/javascript", headers=headers)


def basemaps(settings) -> list[dict[str, Any]]:
    """The basemap switcher's entries: none (offline reference only), a configured XYZ URL,
    and Tianditu vector/imagery (each with its label overlay) when a key is configured."""
    out: list[dict[str, Any]] = [{"id": "none", "title": "无底图", "title_en": "No basemap"}]
    if settings.basemap_url:
        out.append(
            {
                "id": "custom",
                "title": "在线底图",
                "title_en": "Online basemap",
                "tiles": [settings.basemap_url],
                "attribution": "basemap",
            }
        )
    if settings.tianditu_key is not None:
        for base, label, zh, en in (
            ("vec", "cva", "天地图 矢量", "Tianditu map"),
            ("img", "cia", "天地图 影像", "Tianditu imagery"),
        ):
            out.append(
                {
                    "id": f"tianditu-{base}",
                    "title": zh,
                    "title_en": en,
                    "tiles": [f"/basemap/tianditu/{base}/{{z}}/{{x}}/{{y}}"],
                    "overlay": [f"/basemap/tianditu/{label}/{{z}}/{{x}}/{{y}}"],
                    "attribution": ATTRIBUTION_TDT,
                }
            )
    return out


@router.get("/map/config.json")
async def map_config(request: Request, conn: ConnDep, settings: SettingsDep) -> JSONResponse:
    reject_unknown(request, set())
    body = {"basemaps": basemaps(settings), "data_versions": await all_data_versions(conn)}
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/basemap/tianditu/{layer}/{z}/{x}/{y}")
async def tianditu_tile(
    request: Request,
    settings: SettingsDep,
    layer: str,
    z: Annotated[int, PathParam(ge=1, le=18)],
    x: Annotated[int, PathParam(ge=0)],
    y: Annotated[int, PathParam(ge=0)],
) -> Response:
    reject_unknown(request, set())
    if settings.tianditu_key is None:
        raise NotFound("no Tianditu key is configured (RM_TIANDITU_KEY)")
    if layer not in TIANDITU_LAYERS:
        raise NotFound(f"Tianditu layer {layer!r} is not offered; use one of vec, cva, img, cia")
    if x >= 2**z or y >= 2**z:
        raise NotFound(f"tile {z}/{x}/{y} is outside the tile matrix")
    url = settings.tianditu_url.format(
        s=(x + y) % 8, layer=layer, z=z, x=x, y=y, key=settings.tianditu_key.get_secret_value()
    )
    try:
        async with httpx.AsyncClient(timeout=15) as client:
            r = await client.get(url)
    except httpx.HTTPError:
        # never echo the URL: it carries the key
        return Response(status_code=502, content=b"Tianditu did not answer")
    if r.status_code != 200:
        return Response(status_code=502, content=f"Tianditu answered {r.status_code}".encode())
    media = r.headers.get("content-type", "image/png")
    return Response(r.content, media_type=media, headers={"Cache-Control": "public, max-age=86400"})
