"""One log line per request, and the request id that ties it to everything else.

The id is the caller's ``X-Request-ID`` when it is sane (a proxy or client may set one to
follow a request across services), a new one otherwise; it is echoed in the response header
and put on every log record written while the request runs (errors included). The line
names the user (never the key), the route template, status, duration, bytes and, where a
route counts them, rows streamed. Query strings and headers are not logged: filters and
keys stay out of the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from app.observability.metrics import Metrics

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
access_log = logging.getLogger("restoration_map.access")
error_log = logging.getLogger("restoration_map")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID if it is short and plain, else a fresh one.

    >>> request_id_from([(b"x-request-id", b"abc-123")])
    'abc-123'
    >>> len(request_id_from([(b"x-request-id", b"bad id\\n")]))
    32
    """
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SANE_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def note_rows(request: Any, n: int) -> None:
    """Routes that stream rows say how many, for the request's log line and metrics."""
    request.state.rows = getattr(request.state, "rows", 0) + n


def route_template(scope: Scope) -> str:
    """The matched route's path format (``/collections/{collectionId}/items``), never the
    raw URL: bounded label values, and no ids in metric names."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if path else "<unmatched>"


class RequestObserver:
    """Pure ASGI middleware (streaming responses pass through untouched): request id,
    access line, request metrics, and unhandled errors answered as a logged 500."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_from(scope["headers"])
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        token = REQUEST_ID.set(rid)
        seen: dict[str, Any] = {"status": None, "bytes": 0, "done": False}
        start = time.perf_counter()

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                MutableHeaders(scope=message).append(HEADER, rid)
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self._finish(scope, seen, start)

        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if seen["status"] is not None:
                # The body was under way: abort the connection, so the response cannot pass
                # for a complete one.
                seen["status"] = 500
                self._finish(scope, seen, start)
                raise
            response = error_response(
                500, "ServerError", f"internal error; it has been logged (request id {rid})"
            )
            await response(scope, receive, observed_send)
        finally:
            if not seen["done"]:  # the client went away before the last byte
                seen["status"] = 499
                self._finish(scope, seen, start)
            REQUEST_ID.reset(token)

    def _finish(self, scope: Scope, seen: dict[str, Any], start: float) -> None:
        if seen["done"]:
            return
        seen["done"] = True
        seconds = time.perf_counter() - start
        route = route_template(scope)
        state = scope.get("state", {})
        rows = state.get("rows")
        self.metrics.observe_request(scope["method"], route, seen["status"], seconds)
        if rows:
            self.metrics.rows_streamed.labels(route).inc(rows)
        principal = state.get("principal")
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "route": route,
            "status": seen["status"],
            "duration_ms": round(seconds * 1000, 1),
            "bytes": seen["bytes"],
            "rows": rows,
            "user": getattr(principal, "name", None),
        }
        level = logging.ERROR if seen["status"] >= 500 else logging.INFO
        access_log.log(level, _access_text(fields), extra={"fields": fields})


def _access_text(f: dict[str, Any]) -> str:
    """The line in text format.

    >>> _access_text({"method": "GET", "path": "/x", "route": "/x", "status": 200,
    ...               "duration_ms": 1.5, "bytes": 10, "rows": None, "user": None})
    'GET /x 200 1.5ms 10B route=/x user=-'
    """
    text = f"{f['method']} {f['path']} {f['status']} {f['duration_ms']}ms {f['bytes']}B"
    text += f" route={f['route']} user={f['user'] or '-'}"
    return text + (f" rows={f['rows']}" if f["rows"] is not None else "")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``-`` outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, the access
    fields of request lines, and the traceback of errors."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "message": record.getMessage(),
        }
        doc.update(getattr(record, "fields", {}))
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(fmt: str = "text", level: str = "INFO", stream=None) -> logging.Handler:
    """The root handler for the service and uvicorn (whose own access log is turned off)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    return handler
