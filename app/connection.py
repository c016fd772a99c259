"""One database connection per request, held until the response has been sent.

A pure ASGI middleware (not a yield-dependency: those end before a streamed body does)
gives each HTTP request a :class:`geo.kernel.db.RequestConnection`; it takes a pooled
connection on first use and gives it back after the last byte, or after a failure."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from geo.kernel.config import Settings
from geo.kernel.db import RequestConnection

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        timeout = statement_timeout_ms(self.settings, scope["method"], scope["path"])
        db = RequestConnection(scope["app"].state.engine, self.settings.retry_after_s, timeout)
        scope.setdefault("state", {})["db"] = db
        try:
            await self.app(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled request still gives it back
                await db.close()
