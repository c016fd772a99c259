"""Landing page, conformance declaration and health check."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.deps import ConnDep, EngineDep, reject_unknown, wants_html
from app.render.html import render
from app.render.links import HTML, JSON, OPENAPI, link, url
from app.routers.ogc.conformance import CLASSES
from geo.kernel.db import postgis_version

router = APIRouter(tags=["Capabilities"])


@router.get("/", summary="Landing page")
async def landing(request: Request, f: str | None = Query(None, description="json or html")):
    reject_unknown(request, set())
    s = request.app.state.settings
    body = {
        "title": s.title,
        "description": (
            "Spatial ledger of the environmental-inspection rectification campaign: "
            "water-source protection zones, legacy mining pits, grassland occupations and "
            "wetland parks of Changji Prefecture, Xinjiang, as OGC API collections."
        ),
        "links": [
            link(url(request, "/"), "self", JSON, "This document"),
            link(url(request, "/", f="html"), "alternate", HTML, "This document as HTML"),
            link(url(request, "/api"), "service-desc", OPENAPI, "The OpenAPI definition"),
            link(url(request, "/api.html"), "service-doc", HTML, "The API documentation"),
            link(url(request, "/conformance"), "conformance", JSON, "Conformance classes"),
            link(url(request, "/collections"), "data", JSON, "The collections"),
            link(
                url(request, "/tiles"),
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                JSON,
                "Vector tiles of every layer",
            ),
        ],
    }
    if wants_html(request, f):
        return render(request, "landing.html", doc=body)
    return JSONResponse(body)


@router.get("/conformance", summary="Conformance classes implemented")
async def conformance(request: Request, f: str | None = Query(None)):
    reject_unknown(request, set())
    body = {"conformsTo": CLASSES}
    if wants_html(request, f):
        return render(request, "conformance.html", doc=body)
    return JSONResponse(body)


@router.get("/healthz", summary="Does the database answer?", tags=["Operations"])
async def healthz(engine: EngineDep):
    try:
        async with engine.connect() as conn:
            version = await postgis_version(conn)
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        return JSONResponse(
            {"status": "unavailable", "database": False, "detail": type(exc).__name__},
            status_code=503,
        )
    return {"status": "ok", "database": True, "postgis": version}


__all__ = ["router", "ConnDep"]
