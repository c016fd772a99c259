"""Test fixtures against a real PostGIS: a throwaway database per run (created, migrated and
loaded with the sample layers once), an app per test module, and a live server for clients
that need a real socket (GDAL, the browser). A missing database fails the run, never skips."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from geo.kernel import db
from geo.kernel.config import Settings
from tests.fresh_db import (
    client_for,
    drop_database,
    drop_template,
    fresh_database,
    migrated_database,
    table_counts,
    url_for,
)

ROOT = Path(__file__).resolve().parent.parent


# --- running on two workers (make test: pytest -n 2 --dist loadfile) --------------------------

# The files that took longest (pytest --durations on the 2-core machine), handed out first so
# that the two workers finish at about the same time; the rest follow in collection order.
SLOW_FILES = (
    "tests/files/test_imports_exports.py",
    "tests/trust/test_stream_faults.py",
    "tests/scale/test_db_restart.py",
    "tests/trust/test_fuzz_openapi.py",
    "tests/ops/test_metrics.py",
    "tests/kernel/test_auth.py",
    "tests/trust/test_restart_keeps_data.py",
    "tests/edits/test_edits.py",
    "tests/trust/test_statement_timeouts.py",
    "tests/scale/test_replicas.py",
    "tests/migrations/test_migrations.py",
    "tests/ops/test_backup_drill.py",
)
BROWSER = "tests/browser"


def _unit(nodeid: str) -> str:
    """The work unit of a test: its file, or the browser package as a whole."""
    path = nodeid.split("::")[0]
    return BROWSER if path.startswith(BROWSER + "/") else path


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the browser tests as one unit: a file runs whole on one worker
    (its module fixtures are set up once, its tests keep their order), and the browser tests
    run together on one worker (one Chromium, one live server) while the other worker takes
    the other files. (Marks and ``--dist loadgroup`` would say the same, but xdist 3.8 names
    the groups through an attribute pytest 9.2 no longer reads.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    return FileScheduling(config, log)


def pytest_collection_modifyitems(config, items) -> None:
    """On a worker: the browser unit and then the slowest files first (with
    ``--no-loadscope-reorder`` xdist hands units out in this order). Without xdist the
    order stays as collected."""
    if not hasattr(config, "workerinput"):
        return
    rank = {path: i for i, path in enumerate((BROWSER, *SLOW_FILES))}
    items.sort(key=lambda item: rank.get(_unit(item.nodeid), len(rank)))  # stable


@pytest.fixture(scope="session", autouse=True)
def _template_database() -> Iterator[None]:
    """The template that fresh databases are copied from goes at the end of the run."""
    yield
    drop_template()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """The run's database: migrated to head and loaded with the sample layers."""
    name = migrated_database()
    yield url_for(name)
    drop_database(name)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory) -> Settings:
    tile_dir = str(tmp_path_factory.mktemp("tile-cache"))
    return Settings(database_url=database_url, count_timeout_ms=2000, tile_cache_dir=tile_dir)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    eng = db.sync_engine(settings)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory) -> Iterator[str]:
    """The real app served by uvicorn in a subprocess; yields its base URL.
    Its access log is at ``live_server_log`` for tests that count requests."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "access.log"
    photos = tmp_path_factory.mktemp("photos")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RM_PHOTO_DIR": str(photos),
        "RM_WORKERS": "1",  # one process: tests may count its log lines or cache hits
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # start-up: imports are slow on a loaded machine
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"the live server did not start: {log.read_text()}")
    os.environ["RM_LIVE_SERVER_LOG"] = str(log)
    yield base
    proc.terminate()
    proc.wait(10)


# --- write tests: a database of their own, and a guard that refusals change nothing -------


@pytest.fixture(scope="module")
def write_settings() -> Iterator[Settings]:
    """Settings of a throwaway database for one test module that writes."""
    with fresh_database("rm_write", max_body_bytes=2_000_000) as (settings, _):
        yield settings


@pytest.fixture(scope="module")
def write_engine(write_settings: Settings) -> Iterator[Engine]:
    eng = db.sync_engine(write_settings)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def write_client(write_settings: Settings) -> Iterator[TestClient]:
    with client_for(write_settings) as c:
        yield c


@pytest.fixture
def unchanged(write_engine: Engine):
    """Asserts that the test leaves the row count of every public table as it found it."""
    before = table_counts(write_engine)
    yield
    assert table_counts(write_engine) == before
