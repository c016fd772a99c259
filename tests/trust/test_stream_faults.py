"""A fault after the first byte, end to end (issue 11, item 2): a real uvicorn server streams
a large page, the test kills the streaming PostgreSQL backend in the middle, and the client
must see a transport error / an incomplete body, never a valid JSON document with status 200.
A cursor value that overflows bigint is refused before the first byte (400)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from geo.catalog.items import encode_cursor
from tests.conftest import ROOT, _free_port
from tests.fresh_db import fresh_database

ITEMS = "/collections/mining_pits/items"
N_FEATURES = 8000  # ~2.4 kB each: ~20 MB of GeoJSON, far more than the socket buffers

_BULK = """
SELECT set_config('rm.actor', 'stream-fault-test', true);
INSERT INTO features (layer, code, properties, geom)
SELECT 'mining_pits', 'FAULT-' || i,
       jsonb_build_object('mineral', 'coal', 'legacy', true),
       ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(86.0 + mod(i, 100) * 0.002,
                                                  44.3 + (i / 100) * 0.002), 4326), 0.0007, 16))
FROM generate_series(1, %(n)s) AS i;
"""


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str, object]]:
    """A database with many features, served by uvicorn in a subprocess of its own."""
    with fresh_database("rm_stream_fault") as (settings, _):
        url = settings.database_url
        with psycopg.connect(url, autocommit=False) as conn:
            for statement in _BULK.strip().split(";\n"):
                if statement.strip():
                    conn.execute(statement, {"n": N_FEATURES})
            conn.commit()
        port = _free_port()
        log = ROOT / "var" / f"stream-fault-{port}.log"
        log.parent.mkdir(exist_ok=True)
        env = {**os.environ, "DATABASE_URL": url}
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120  # start-up: imports are slow on a loaded machine
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                pytest.fail(f"the server did not start: {log.read_text()}")
            yield base, url, log
        finally:
            proc.terminate()
            proc.wait(10)
            log.unlink(missing_ok=True)


def _kill_streaming_backends(url: str) -> int:
    dbname = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = 'restoration-map' AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchone()[0]


@pytest.mark.parametrize(
    "params",
    [{"limit": "10000"}, {"f": "geojson"}],  # a page, and a whole-layer GeoJSON export
)
def test_backend_killed_mid_stream_is_never_a_complete_200(server, params):
    base, url, log = server
    received = bytearray()
    headers = {"Accept-Encoding": "identity"}
    with (
        httpx.Client(base_url=base, timeout=60) as client,
        client.stream("GET", ITEMS, params=params, headers=headers) as r,
    ):
        assert r.status_code == 200  # the fault comes after the status line
        chunks = r.iter_raw(64 * 1024)
        received += next(chunks)
        assert received.startswith(b'{"type":"FeatureCollection","features":[')
        time.sleep(0.5)  # the server fills the socket buffers and waits on them
        assert _kill_streaming_backends(url) >= 1
        with pytest.raises(httpx.TransportError):
            for chunk in chunks:
                received += chunk
    with pytest.raises(json.JSONDecodeError):
        json.loads(received)
    time.sleep(0.5)
    assert "feature stream failed" in log.read_text()  # and the fault is logged


def test_the_server_recovers_after_the_fault(server):
    base, _, _ = server
    r = httpx.get(base + ITEMS, params={"limit": 3}, timeout=30)
    assert r.status_code == 200 and r.json()["numberReturned"] == 3


@pytest.mark.parametrize(
    "value", [2**63, 2**70, -(2**63) - 1, 10**400], ids=["2^63", "2^70", "-2^63-1", "1e400"]
)
def test_cursor_overflowing_bigint_is_400_before_any_byte(server, value):
    base, _, _ = server
    r = httpx.get(base + ITEMS, params={"cursor": encode_cursor([value])}, timeout=30)
    assert r.status_code == 400, r.text
    assert r.json()["description"].startswith("cursor:")
