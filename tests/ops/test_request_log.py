"""Request logs: one line per request with the request id that the response echoes, the
user's name (never the key), the route template, status, duration and rows; errors carry
the id; `python -m app serve` writes these lines instead of uvicorn's access log."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from app.main import create_app
from app.observability.request_log import JsonFormatter, RequestIdFilter
from tests.fresh_db import make_key


@pytest.fixture
def log_lines():
    """The JSON lines the service logs during a test, parsed."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("restoration_map")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in buf.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.fixture(scope="module")
def api(settings):
    app = create_app(settings)

    @app.get("/test-only/boom")
    async def boom():
        raise RuntimeError("kaboom with a secret inside")

    @app.get("/test-only/broken-stream")
    async def broken_stream():
        async def body():
            yield b'{"type":"FeatureCollection","features":['
            raise RuntimeError("the database went away mid-stream")

        return StreamingResponse(body(), media_type="application/geo+json")

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def access(lines, rid: str) -> list[dict]:
    return [x for x in lines if x["logger"] == "restoration_map.access" and x["request_id"] == rid]


def test_the_request_id_is_in_the_response_header_and_its_log_line(api, engine, log_lines):
    key = make_key(engine, "log-viewer", "viewer")
    rid = f"client-{uuid.uuid4().hex[:8]}"
    r = api.get("/collections/mining_pits/items?limit=4", headers={**key, "X-Request-ID": rid})
    assert r.status_code == 200
    assert r.headers["X-Request-ID"] == rid
    [line] = access(log_lines(), rid)
    assert line["route"] == "/collections/{collectionId}/items"
    assert line["path"] == "/collections/mining_pits/items"
    assert (line["method"], line["status"], line["rows"], line["user"]) == (
        "GET",
        200,
        4,
        "log-viewer",
    )
    assert line["duration_ms"] >= 0 and line["bytes"] == r.num_bytes_downloaded  # on the wire
    secret = key["Authorization"].split()[1]
    everything = json.dumps(log_lines())
    assert secret not in everything and secret[:12] not in everything


def test_an_unusable_incoming_id_is_replaced(api, log_lines):
    r = api.get("/conformance", headers={"X-Request-ID": "x" * 300})
    rid = r.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    [line] = access(log_lines(), rid)
    assert line["status"] == 200 and line["user"] is None and line["rows"] is None
    other = api.get("/conformance").headers["X-Request-ID"]
    assert other != rid and re.fullmatch(r"[0-9a-f]{32}", other)


def test_errors_are_logged_with_the_request_id(api, log_lines):
    r = api.get("/test-only/boom", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert r.headers["X-Request-ID"] == "boom-1"
    assert "kaboom" not in r.text and "boom-1" in r.json()["description"]
    lines = [x for x in log_lines() if x["request_id"] == "boom-1"]
    error = next(x for x in lines if x["logger"] == "restoration_map")
    assert "RuntimeError: kaboom" in error["exception"]
    [line] = access(lines, "boom-1")
    assert (line["status"], line["level"]) == (500, "ERROR")


def test_a_stream_that_fails_after_its_first_byte_is_logged_as_an_error(api, log_lines):
    r = api.get("/test-only/broken-stream", headers={"X-Request-ID": "mid-1"})
    assert r.headers["X-Request-ID"] == "mid-1"
    with pytest.raises(json.JSONDecodeError):  # cut short (a real server aborts the connection)
        r.json()
    lines = [x for x in log_lines() if x["request_id"] == "mid-1"]
    assert any("mid-stream" in x.get("exception", "") for x in lines)
    [line] = access(lines, "mid-1")
    assert (line["status"], line["level"]) == (500, "ERROR")


def test_serve_logs_one_line_per_request_instead_of_uvicorn_access_lines(live_server):
    rid = f"live-{uuid.uuid4().hex[:8]}"
    r = httpx.get(f"{live_server}/collections/regions", headers={"X-Request-ID": rid}, timeout=30)
    assert r.status_code == 200 and r.headers["x-request-id"] == rid
    deadline = time.monotonic() + 10
    while True:  # the line is written once the last byte has been sent
        log = Path(os.environ["RM_LIVE_SERVER_LOG"]).read_text(errors="replace")
        mine = [line for line in log.splitlines() if f"[{rid}]" in line]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(mine) == 1, log[-2000:]
    assert "GET /collections/regions 200" in mine[0]
    assert "route=/collections/{collectionId}" in mine[0]
    assert '"GET /collections/regions HTTP/1.1" 200' not in log  # uvicorn's access line
