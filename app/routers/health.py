"""Readiness (``/readyz``): may this process take traffic? The database answers and is at
the migrations' head. Liveness stays ``/healthz`` (landing.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.deps import EngineDep
from geo.kernel.db import current_revisions
from geo.kernel.errors import DatabaseUnavailable

router = APIRouter(tags=["Operations"])


@router.get("/readyz", summary="Ready for traffic? Database reachable, migrations at head")
async def readyz(request: Request, engine: EngineDep) -> JSONResponse:
    state = request.app.state
    replicas = state.replicas
    body: dict = {
        "replicas": {
            "configured": len(replicas) if replicas else 0,
            "in_rotation": len(replicas.healthy()) if replicas else 0,
        }
    }
    try:
        async with engine.connect() as conn:
            current = await current_revisions(conn)
    except (SQLAlchemyError, OSError, DatabaseUnavailable) as exc:
        body |= {"status": "unavailable", "database": False, "detail": type(exc).__name__}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    heads = state.migration_heads
    body |= {"database": True, "migrations": {"current": sorted(current), "head": sorted(heads)}}
    if current != heads:
        body["status"] = "migrations pending: run `python -m app migrate`"
        return JSONResponse(body, status_code=503)
    body["status"] = "ready"
    return JSONResponse(body)
