"""The web pages for people in the field and at a desk: the map and the progress dashboard.
Everything they load is served by this app (vendored MapLibre, no CDN, no web fonts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.render.html import render
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
