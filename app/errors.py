"""Errors mapped to HTTP in one place. Bodies follow the OGC exception shape
({"code", "description"}); a 500 never echoes internals, the log keeps them."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.kernel.errors import ServiceError, from_database
from geo.kernel.pool_ping import suspect

log = logging.getLogger("restoration_map")


def error_response(status: int, code: str, description: str, headers=None) -> JSONResponse:
    return JSONResponse(
        {"code": code, "description": description}, status_code=status, headers=headers
    )


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    parts, status = [], 400
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] == "body":
            status = 422
        name = loc[-1] if loc else "request"
        parts.append(f"{name}: {err.get('msg', 'invalid')}")
    return status, "; ".join(parts)


async def _service_error(request: Request, exc: ServiceError):
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    retry_after = getattr(exc, "retry_after", None)  # e.g. every pooled connection busy
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    details = getattr(exc, "details", None)  # e.g. the report of a rejected import
    if details:
        body = {"code": exc.code, "description": exc.description, **details}
        return JSONResponse(body, status_code=exc.status, headers=headers)
    return error_response(exc.status, exc.code, exc.description, headers)


async def _validation(request: Request, exc: RequestValidationError):
    # The OGC API asks for 400 on bad query parameters; bodies get 422.
    status, message = _validation_message(exc)
    return error_response(
        status, "InvalidParameterValue" if status == 400 else "InvalidInput", message
    )


async def _model_validation(request: Request, exc: ValidationError):
    # A body re-validated inside the domain (e.g. a PATCH merged into the stored rule).
    parts = [
        f"{'.'.join(str(p) for p in e.get('loc', ())) or 'body'}: {e.get('msg', 'invalid')}"
        for e in exc.errors()
    ]
    return error_response(422, "InvalidInput", "; ".join(parts))


async def _http(request: Request, exc: StarletteHTTPException):
    code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
    return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))


async def _pool_full(request: Request, exc: PoolTimeout):
    # Paths that take a pooled connection themselves (imports' sync engine); the
    # request's own connection raises Overloaded instead (geo.kernel.db).
    retry = str(request.app.state.settings.retry_after_s)
    return error_response(
        503,
        "ServiceUnavailable",
        "every database connection is busy; retry shortly",
        {"Retry-After": retry},
    )


async def _db_down(request: Request, exc: OperationalError):
    if getattr(exc.orig, "sqlstate", None) == "57014":  # a statement timeout
        return await _db_error(request, exc)
    log.error("database unavailable: %s", exc)
    # The others in the pool may be dead too (a restart): ping them before their next use.
    engine = getattr(request.app.state, "engine", None)
    if engine is not None:
        suspect(engine.sync_engine.pool)
    return error_response(
        503, "DatabaseUnavailable", "the database is not answering", {"Retry-After": "5"}
    )


async def _db_error(request: Request, exc: DBAPIError):
    # region-scope trigger → 403, unique violation → 409, data exception → 400,
    # statement timeout → 503
    known = from_database(exc)
    if known is not None:
        retry = getattr(known, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return error_response(known.status, known.code, known.description, headers)
    log.exception("database error on %s %s", request.method, request.url.path)
    return error_response(500, "ServerError", "internal error; it has been logged")


async def _unexpected(request: Request, exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "ServerError", "internal error; it has been logged")


# Exception type → handler; Starlette picks the most specific class in the MRO.
_HANDLERS = (
    (ServiceError, _service_error),
    (RequestValidationError, _validation),
    (ValidationError, _model_validation),
    (StarletteHTTPException, _http),
    (PoolTimeout, _pool_full),
    (OperationalError, _db_down),
    (DBAPIError, _db_error),
    (Exception, _unexpected),
)


def install(app: FastAPI) -> None:
    for exc_class, handler in _HANDLERS:
        app.add_exception_handler(exc_class, handler)
