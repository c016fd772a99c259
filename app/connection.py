"""One database connection per request, held until the response has been sent, on the node
that may serve it.

A pure ASGI middleware (not a yield-dependency: those end before a streamed body does)
gives each HTTP request a :class:`geo.kernel.db.RequestConnection`; it takes a pooled
connection on first use and gives it back after the last byte, or after a failure.

Routing (``DATABASE_READ_URLS``): anonymous reads of the public data (items, tiles,
collections, overlaps, checks, progress) go to a streaming replica; everything else goes to
the primary: writes, requests with an API key (a writer always reads its own writes, and the
key's last use is recorded there), and any request carrying the cookie a write sets for
``read_your_writes_s`` seconds (a browser that just edited sees its edit on the map)."""

from __future__ import annotations

import json
import time
from http.cookies import SimpleCookie

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.admission import Admission
from geo.kernel.config import Settings
from geo.kernel.db import RequestConnection

# Read-only routes a replica may serve (GET/HEAD), and the read-only POSTs among them.
REPLICA_PATHS = ("/collections", "/tileMatrixSets", "/overlaps", "/checks/", "/progress")
READ_ONLY_POSTS = ("/checks/site",)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PRIMARY_COOKIE = "rm_primary_until"
NODE_HEADER = b"x-database-node"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _read_primary_cookie(scope: Scope) -> bool:
    raw = _header(scope, b"cookie")
    if not raw:
        return False
    morsel = SimpleCookie(raw).get(PRIMARY_COOKIE)
    try:
        return morsel is not None and float(morsel.value) > time.time()
    except ValueError:
        return False


def may_use_replica(scope: Scope) -> bool:
    """Whether this request is an anonymous read that a (slightly behind) replica may serve."""
    method, path = scope["method"], scope["path"]
    if method in ("GET", "HEAD"):
        if not path.startswith(REPLICA_PATHS):
            return False
    elif not (method == "POST" and path in READ_ONLY_POSTS):
        return False
    if _header(scope, b"authorization"):
        return False
    return not _read_primary_cookie(scope)


_READS = {"GET", "HEAD", "OPTIONS"}


def statement_timeout_ms(settings: Settings, method: str, path: str) -> int:
    """The statement timeout of a request's route class: imports, writes, reads."""
    if path.endswith("/import"):
        return settings.import_statement_timeout_ms
    if method in _READS:
        return settings.read_statement_timeout_ms
    return settings.write_statement_timeout_ms


class OneConnectionPerRequest:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self.retry_after = settings.retry_after_s
        self.read_your_writes_s = settings.read_your_writes_s
        self.admission = Admission(
            settings.pool_capacity, settings.in_flight_limit, settings.max_queue_wait_s
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/healthz":  # liveness is always answered
            await self._serve(scope, receive, send)
            return
        # Overload: refuse now, not after a wait (app.admission).
        if not self.admission.admit():
            await self._busy(send)
            return
        db = None
        try:
            db = await self._serve(scope, receive, send)
        finally:
            if db is None:
                self.admission.done()
            else:
                self.admission.done(db.held_s, db.waited_s)

    async def _busy(self, send: Send) -> None:
        body = json.dumps(
            {
                "code": "ServiceUnavailable",
                "description": "too many requests at once; retry shortly",
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(self.retry_after).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> RequestConnection:
        state = scope["app"].state
        replicas = getattr(state, "replicas", None)
        use_replica = bool(replicas) and may_use_replica(scope)
        timeout = statement_timeout_ms(self.settings, scope["method"], scope["path"])
        db = RequestConnection(
            state.engine,
            self.retry_after,
            timeout,
            replicas if use_replica else None,
            read_only=scope["method"] in ("GET", "HEAD"),
        )
        scope.setdefault("state", {})["db"] = db
        wrote = (
            bool(replicas)
            and scope["method"] in WRITE_METHODS
            and scope["path"] not in READ_ONLY_POSTS
        )

        status = [500]

        async def send_with_node(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", ()))
                if db.node is not None:
                    headers.append((NODE_HEADER, db.node.encode()))
                if wrote and message["status"] < 400:
                    headers.append((b"set-cookie", self._primary_cookie()))
                message = {**message, "headers": headers}
            await send(message)

        succeeded = False
        try:
            await self.app(scope, receive, send_with_node)
            succeeded = status[0] < 400
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled request still gives it back
                await db.close(succeeded)
        return db

    def _primary_cookie(self) -> bytes:
        until = int(time.time()) + self.read_your_writes_s
        return (
            f"{PRIMARY_COOKIE}={until}; Max-Age={self.read_your_writes_s}; Path=/; "
            "HttpOnly; SameSite=Lax"
        ).encode()
