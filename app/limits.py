"""Request body limits, enforced before the body is read: a Content-Length over the limit is
refused at once, and a body without one (chunked) is cut off as soon as it passes the limit.
Imports (multipart uploads to ``…/import``) have their own, larger limit; the site check a
smaller one. This is the one place bodies are limited."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from geo.kernel.config import Settings
from geo.kernel.errors import PayloadTooLarge

_BODY_METHODS = {"POST", "PUT", "PATCH"}


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.body = settings.max_body_bytes
        self.upload = settings.max_upload_bytes
        self.site = settings.site_max_body_bytes

    def limit_for(self, path: str) -> tuple[int, str]:
        if path.endswith("/import"):
            return self.upload, "upload"
        if path == "/checks/site":
            return self.site, "body"
        return self.body, "body"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit, what = self.limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            response = error_response(
                413,
                "PayloadTooLarge",
                f"{what} of {int(length)} bytes is over the limit of {limit} bytes",
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Raised inside the endpoint's body read: mapped to 413 like any error.
                    raise PayloadTooLarge(f"{what} larger than {limit} bytes")
            return message

        await self.app(scope, limited, send)
