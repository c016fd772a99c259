"""Errors mapped to HTTP in one place. Bodies follow the OGC exception shape
({"code", "description"}); a 500 never echoes internals, the log keeps them."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.kernel.errors import ServiceError, from_database

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


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
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

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        # The OGC API asks for 400 on bad query parameters; bodies get 422.
        status, message = _validation_message(exc)
        return error_response(
            status, "InvalidParameterValue" if status == 400 else "InvalidInput", message
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(PoolTimeout)
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

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError):
        log.error("database unavailable: %s", exc)
        return error_response(
            503, "DatabaseUnavailable", "the database is not answering", {"Retry-After": "5"}
        )

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError):
        known = from_database(exc)  # region-scope trigger → 403, unique violation → 409
        if known is not None:
            retry = getattr(known, "retry_after", None)
            headers = {"Retry-After": str(retry)} if retry is not None else None
            return error_response(known.status, known.code, known.description, headers)
        log.exception("database error on %s %s", request.method, request.url.path)
        return error_response(500, "ServerError", "internal error; it has been logged")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "ServerError", "internal error; it has been logged")
