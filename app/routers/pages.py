"""The web pages for people in the field and at a desk: the map and the progress dashboard.
Everything they load is served by this app (vendored MapLibre, no CDN, no web fonts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from app.render.html import render
from app.static_files import STATIC
from geo.inspections import VERDICTS
from geo.progress import vocab

router = APIRouter(tags=["Web"], include_in_schema=False)


@router.get("/map", response_class=HTMLResponse)
async def map_page(request: Request):
    return render(request, "map.html", verdicts=VERDICTS)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(request: Request):
    # The progress vocabulary (status order) comes from the server, not a copy in the script.
    return render(request, "dashboard.html", vocab=vocab.for_client())


@router.get("/site-sheet", response_class=HTMLResponse)
async def site_sheet_page(request: Request):
    """The printable site-check sheet; its content comes from the map page (local storage)."""
    return render(request, "site_sheet.html")


@router.get("/favicon.ico")
async def favicon_ico():
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon", headers=_ICON_CACHE)


@router.get("/favicon.svg")
async def favicon_svg():
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml", headers=_ICON_CACHE)


_ICON_CACHE = {"Cache-Control": "public, max-age=86400"}
