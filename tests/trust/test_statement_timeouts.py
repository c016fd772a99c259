"""Statement timeouts per route class (issue 11, item 1): a statement stuck past its class's
budget is cancelled and answered 503 + Retry-After — never a hang, never a 500 — and each
class (reads, writes, imports) has its own, configurable budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.connection import statement_timeout_ms
from app.main import create_app
from geo.kernel.config import Settings
from tests.fresh_db import make_key

PITS = "/collections/mining_pits/items"


@pytest.fixture(scope="module")
def api(write_settings: Settings) -> Iterator[TestClient]:
    s = write_settings.model_copy(
        update={
            "read_statement_timeout_ms": 300,
            "write_statement_timeout_ms": 8_000,
            "count_timeout_ms": 0,
        }
    )
    with TestClient(create_app(s)) as c:
        yield c


def _lock_features(url: str, seconds: float) -> threading.Event:
    """Holds an exclusive lock on features for ``seconds`` in another session."""
    locked = threading.Event()

    def hold():
        with psycopg.connect(url) as conn:
            conn.execute("LOCK TABLE features IN ACCESS EXCLUSIVE MODE")
            locked.set()
            time.sleep(seconds)
            conn.rollback()

    threading.Thread(target=hold, daemon=True).start()
    assert locked.wait(10)
    return locked


def test_route_classes():
    s = Settings(read_statement_timeout_ms=1, write_statement_timeout_ms=2)
    s = s.model_copy(update={"import_statement_timeout_ms": 3})
    assert statement_timeout_ms(s, "GET", PITS) == 1
    assert statement_timeout_ms(s, "PATCH", PITS + "/1") == 2
    assert statement_timeout_ms(s, "POST", "/collections/mining_pits/import") == 3


def test_a_stuck_read_is_503_with_retry_after(api, write_settings):
    _lock_features(write_settings.database_url, 3)
    started = time.monotonic()
    r = api.get(PITS, params={"limit": 1})
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["code"] == "Timeout"
    assert time.monotonic() - started < 3  # cancelled at the budget, not after the lock
    time.sleep(3)
    assert api.get(PITS, params={"limit": 1}).status_code == 200  # and it recovers


def test_a_write_has_the_budget_of_its_class(api, write_settings, write_engine):
    """The same lock outlasts the read budget but not the write budget: the write waits for
    it and succeeds (the pooled connection did not keep the read class's timeout)."""
    headers = make_key(write_engine, "timeout-editor", "editor")
    assert api.get(PITS, params={"limit": 1}).status_code == 200  # a read first, same pool
    with write_engine.connect() as conn:
        fid = conn.execute(
            text("SELECT min(id) FROM features WHERE layer = 'mining_pits'")
        ).scalar_one()
    tag = api.get(f"{PITS}/{fid}").headers["ETag"]
    _lock_features(write_settings.database_url, 1.5)
    r = api.patch(
        f"{PITS}/{fid}",
        json={"properties": {"name": "after the lock"}},
        headers={**headers, "If-Match": tag, "Content-Type": "application/merge-patch+json"},
    )
    assert r.status_code == 200, r.text
