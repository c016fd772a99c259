"""One database connection per request, held until the response has been sent.

A pure ASGI middleware (not a yield-dependency: those end before a streamed body does)
gives each HTTP request a :class:`geo.kernel.db.RequestConnection`; it takes a pooled
connection on first use and gives it back after the last byte, or after a failure."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from geo.kernel.db import RequestConnection


class OneConnectionPerRequest:
    def __init__(self, app: ASGIApp, retry_after: int):
        self.app = app
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        db = RequestConnection(scope["app"].state.engine, self.retry_after)
        scope.setdefault("state", {})["db"] = db
        try:
            await self.app(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled request still gives it back
                await db.close()
