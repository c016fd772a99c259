"""Request body limits, enforced before the body is read: a Content-Length over the limit is
refused at once, and a body without one (chunked) is cut off as soon as it passes the limit.
Imports (multipart uploads to ``…/import``) have their own, larger limit; the site check a
smaller one; inspection photos theirs (photo_max_bytes plus the multipart envelope). This is
the one place bodies are limited. URLs holding a NUL byte (raw or %00) are refused here too:
no text column, file name or log line can take one."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response
from geo.kernel.config import Settings
from geo.kernel.errors import PayloadTooLarge

_BODY_METHODS = {"POST", "PUT", "PATCH"}
# Room for the multipart boundaries and part headers around a photo at its size limit.
_MULTIPART_ENVELOPE = 64 * 1024


def _has_nul(scope: Scope) -> bool:
    query = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.body = settings.max_body_bytes
        self.upload = settings.max_upload_bytes
        self.site = settings.site_max_body_bytes
        self.photo = settings.photo_max_bytes + _MULTIPART_ENVELOPE

    def limit_for(self, path: str) -> tuple[int, str]:
        if path.endswith("/import"):
            return self.upload, "upload"
        if path == "/checks/site":
            return self.site, "body"
        if path.startswith("/inspections/") and path.endswith("/photos"):
            return self.photo, "photo upload"
        return self.body, "body"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            response = error_response(
                400, "InvalidParameterValue", "the URL holds a NUL byte (%00); remove it"
            )
            await response(scope, receive, send)
            return
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
