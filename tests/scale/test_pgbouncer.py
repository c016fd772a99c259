"""The service behind PgBouncer in transaction mode (issue 11, item 7): reads, streams, tiles,
overlaps and an audited write, with prepared statements off (RM_DB_PREPARED_STATEMENTS=false,
PgBouncer < 1.21) and fewer server connections than the service's pool."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app
from geo.kernel.config import Settings
from tests.conftest import _free_port
from tests.fresh_db import make_key
from tests.pg_cluster import _postgres_dir, as_postgres, wait_until

PITS = "/collections/mining_pits/items"
SERVER_POOL = 3


def _binary() -> str:
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(found).exists():
        pytest.fail("pgbouncer is needed: run `make system-test-deps`", pytrace=False)
    return found


@pytest.fixture(scope="module")
def bouncer(write_settings: Settings) -> Iterator[str]:
    """PgBouncer (transaction pooling, SERVER_POOL server connections) in front of the
    module's database; yields the URL of the database through it."""
    root, port = _postgres_dir(), _free_port()
    url = psycopg.conninfo.conninfo_to_dict(write_settings.database_url)
    (root / "users.txt").write_text('"postgres" ""\n')
    (root / "pgbouncer.ini").write_text(
        f"[databases]\n{url['dbname']} = host=127.0.0.1 port={url.get('port', 5432)}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"unix_socket_dir = {root}\nauth_type = trust\nauth_file = {root}/users.txt\n"
        f"pool_mode = transaction\ndefault_pool_size = {SERVER_POOL}\nmax_client_conn = 200\n"
        f"logfile = {root}/pgbouncer.log\npidfile = {root}/pgbouncer.pid\n"
    )
    shutil.chown(root / "pgbouncer.ini", "postgres")
    as_postgres(_binary(), "-d", str(root / "pgbouncer.ini"))
    pidfile = root / "pgbouncer.pid"
    wait_until(pidfile.exists, timeout=10)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/{url['dbname']}"
    finally:
        os.kill(int(pidfile.read_text()), signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def pooled_client(bouncer: str, write_settings: Settings) -> Iterator[TestClient]:
    settings = write_settings.model_copy(
        update={"database_url": bouncer, "db_prepared_statements": False, "pool_size": 8}
    )
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize(
    "path",
    [
        "/collections",
        PITS + "?limit=50",
        PITS + "?limit=5&f=csv",
        "/collections/mining_pits/tiles/WebMercatorQuad/tilejson.json",
        "/overlaps?subject=mining_pits&protected=water_source_zones&limit=5",
        "/progress",
        "/readyz",
    ],
)
def test_reads_through_transaction_pooling(pooled_client, path):
    for _ in range(5):  # more than a prepare threshold: statements are never prepared
        r = pooled_client.get(path)
        assert r.status_code == 200, r.text


def test_pages_and_an_audited_write_through_transaction_pooling(pooled_client, write_engine):
    first = pooled_client.get(PITS, params={"limit": 3}).json()
    nxt = next(lk["href"] for lk in first["links"] if lk["rel"] == "next")
    second = pooled_client.get(nxt.replace(str(pooled_client.base_url), "")).json()
    assert {f["id"] for f in first["features"]}.isdisjoint(f["id"] for f in second["features"])
    headers = make_key(write_engine, "bouncer-editor", "editor")
    fid = first["features"][0]["id"]
    tag = pooled_client.get(f"{PITS}/{fid}").headers["ETag"]
    r = pooled_client.patch(
        f"{PITS}/{fid}",
        json={"properties": {"town": "Through PgBouncer"}},
        headers={**headers, "Content-Type": "application/merge-patch+json", "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    with write_engine.connect() as conn:  # the transaction-local actor reached the audit
        actor = conn.execute(
            text(
                "SELECT actor FROM audit_log WHERE table_name = 'features' AND row_id = :f "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"f": str(fid)},
        ).scalar_one()
    assert actor == "bouncer-editor"
    assert pooled_client.get(f"{PITS}/{fid}").json()["properties"]["town"] == "Through PgBouncer"
