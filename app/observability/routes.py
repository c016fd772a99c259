"""``/readyz`` (the database answers and its schema is this release's) and ``/metrics``
(Prometheus text format, for the metrics token or an admin key)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.auth import current_principal
from app.observability.metrics import CONTENT_TYPE
from geo.kernel.errors import PermissionDenied, Unauthorized
from geo.ops import known_revisions, schema_status, script_heads

router = APIRouter(tags=["Operations"])


def _expected(request: Request) -> tuple[tuple[str, ...], frozenset[str]]:
    state = request.app.state
    if not hasattr(state, "schema_heads"):  # read from the migration scripts once
        state.schema_heads = script_heads(state.settings)
        state.schema_known = known_revisions(state.settings)
    return state.schema_heads, state.schema_known


@router.get(
    "/readyz",
    summary="Ready to serve? (database reachable, schema at this release's head)",
    responses={503: {"description": "Not ready; `reason` says why"}},
)
async def readyz(request: Request):
    heads, known = _expected(request)
    replicas = request.app.state.replicas
    rotation = {
        "configured": len(replicas) if replicas else 0,
        "in_rotation": len(replicas.healthy()) if replicas else 0,
    }
    try:
        async with request.state.db.connect() as conn:  # the primary: readiness is its
            status = await conn.run_sync(schema_status, heads, known)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database: not ready
        reason = f"database unreachable ({type(exc).__name__})"
        body = {"status": "unavailable", "reason": reason, "replicas": rotation}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    schema = {"current": list(status.current), "expected": list(status.heads)}
    if not status.at_head:
        body = {"status": "unavailable", "reason": status.message, "schema": schema}
        return JSONResponse(body | {"replicas": rotation}, status_code=503)
    return {"status": "ready", "schema": schema, "replicas": rotation}


async def authorize_scrape(request: Request) -> None:
    """The metrics token (``RM_METRICS_TOKEN``) as a bearer token, or an admin's API key."""
    token = request.app.state.settings.metrics_token
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    # A SecretStr from the environment; a plain str from Settings.model_copy in tests.
    secret = getattr(token, "get_secret_value", lambda: token)()
    expected = secret.encode() if secret else None
    if (
        expected
        and scheme.lower() == "bearer"
        and hmac.compare_digest(sent.strip().encode(), expected)
    ):
        return
    principal = await current_principal(request)
    if principal is None:
        raise Unauthorized("/metrics needs 'Authorization: Bearer <RM_METRICS_TOKEN or admin key>'")
    if not principal.has_role("admin"):
        raise PermissionDenied(
            f"/metrics needs the metrics token or the admin role; you are {principal.role}"
        )


@router.get(
    "/metrics",
    summary="Prometheus metrics (metrics token or admin key)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}},
)
async def metrics(request: Request):
    await authorize_scrape(request)
    # Collectors may query the database: off the event loop.
    body = await run_in_threadpool(request.app.state.metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE)
