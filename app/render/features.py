"""The streamed GeoJSON FeatureCollection: the one writer of the envelope, used by items
pages, overlaps and GeoJSON exports. Features arrive as JSON text built in PostGIS and are
passed through, never re-parsed.

A fault after the first byte is logged and re-raised: the server then aborts the response
(no final chunk), so no client can take a cut-off body for a complete 200."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import StreamingResponse

from app.render.links import GEOJSON

log = logging.getLogger("restoration_map")

HEAD = b'{"type":"FeatureCollection","features":['


async def feature_collection(
    batches: AsyncIterator[list[str]], tail: Callable[[int], dict[str, Any]]
) -> AsyncIterator[bytes]:
    """The envelope around ``batches`` of feature JSON texts; ``tail(n)`` gives the members
    that follow the features (numberReturned, links…), once all ``n`` have been written."""
    yield HEAD
    n = 0
    try:
        async for batch in batches:
            if batch:
                yield (b"," if n else b"") + ",".join(batch).encode()
                n += len(batch)
    except Exception:
        log.exception("feature stream failed after %d features; response aborted", n)
        raise
    members = json.dumps(tail(n), ensure_ascii=False)[1:]  # '}' alone when there are none
    yield b"]" + (b"," if members != "}" else b"") + members.encode()


def streamed(
    batches: AsyncIterator[list[str]],
    tail: Callable[[int], dict[str, Any]],
    headers: dict[str, str] | None = None,
    media_type: str = GEOJSON,
) -> StreamingResponse:
    return StreamingResponse(
        feature_collection(batches, tail), media_type=media_type, headers=headers
    )
