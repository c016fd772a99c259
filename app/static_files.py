"""Static files with versioned URLs: ``static_url("map.js")`` gives ``/static/map.js?v=<hash
of the bytes>``. A request carrying the file's current hash is served ``immutable`` for a
year (a new release changes the hash, hence the URL); any other request is ``no-cache``, so
old or hand-written URLs still get the current file after revalidation."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"

_hashes: dict[str, tuple[float, str]] = {}


def file_hash(path: str) -> str:
    """A short digest of a static file's bytes, recomputed when its mtime changes."""
    full = STATIC / path
    mtime = full.stat().st_mtime
    known = _hashes.get(path)
    if known and known[0] == mtime:
        return known[1]
    digest = hashlib.sha256(full.read_bytes()).hexdigest()[:10]
    _hashes[path] = (mtime, digest)
    return digest


def static_url(path: str) -> str:
    return f"/static/{path}?v={file_hash(path)}"


class VersionedStatic(StaticFiles):
    """StaticFiles that sets Cache-Control by whether the URL names the current bytes."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            query = scope.get("query_string", b"").decode()
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            try:
                current = params.get("v") == file_hash(path)
            except OSError:
                current = False
            response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
        return response
