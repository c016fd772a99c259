"""Overload is refused at once: beyond RM_MAX_IN_FLIGHT requests in a worker, 503 +
Retry-After without touching the database, and liveness still answers (issue 11, item 8)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ROOT, _free_port
from tests.pg_cluster import run_async, wait_until


@pytest.fixture(scope="module")
def narrow_server(database_url: str, tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("admission") / "server.log"
    env = {**os.environ, "DATABASE_URL": database_url, "RM_WORKERS": "1", "RM_MAX_IN_FLIGHT": "3"}
    cmd = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(base + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, timeout=60)
    except AssertionError:
        proc.kill()
        pytest.fail(f"the server did not start: {log.read_text()[-3000:]}")
    yield base
    proc.terminate()
    proc.wait(20)


async def _burst(base: str) -> tuple[list[httpx.Response], httpx.Response]:
    paths = [f"/collections/mining_pits/items?limit={500 + i}" for i in range(30)]
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        burst = [asyncio.create_task(client.get(p)) for p in paths]
        await asyncio.sleep(0.05)
        live = await client.get("/healthz")
        return list(await asyncio.gather(*burst)), live


def test_beyond_the_in_flight_limit_is_503_with_retry_after(narrow_server):
    answers, live = run_async(_burst(narrow_server))
    statuses = sorted({r.status_code for r in answers})
    assert statuses == [200, 503], statuses
    for r in answers:
        if r.status_code == 503:
            assert int(r.headers["Retry-After"]) >= 1
            assert r.json()["code"] == "ServiceUnavailable"
    assert live.status_code == 200
