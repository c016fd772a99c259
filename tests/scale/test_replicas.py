"""Reads from a REAL streaming replica (pg_basebackup of a test-owned primary), writes and
read-your-writes on the primary, and the primary when the replica is away (issue 11, item 7).

The proof that a read came from the replica does not rest on our own header alone: WAL
replay on the standby is paused, so the replica still shows the old value of a feature the
primary has already changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app
from geo.kernel import auth, db
from geo.kernel.config import Settings
from tests.pg_cluster import Cluster, clusters, wait_until

PITS = "/collections/mining_pits/items"
PATCH = "application/merge-patch+json"


@pytest.fixture(scope="module")
def nodes() -> Iterator[tuple[Cluster, Cluster]]:
    with clusters(standby=True) as (primary, standby):
        yield primary, standby


@pytest.fixture(scope="module")
def app_client(nodes) -> Iterator[TestClient]:
    primary, standby = nodes
    settings = Settings(
        database_url=primary.url(),
        database_read_urls=standby.url(),
        replica_retry_s=1.0,
        count_timeout_ms=2000,
    )
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def editor(nodes) -> dict[str, str]:
    engine = db.sync_engine(Settings(database_url=nodes[0].url()))
    with engine.begin() as conn:
        key = auth.create_user(conn, "replica-editor", "editor")[1]
        fid = conn.execute(text("SELECT min(id) FROM features WHERE layer = 'mining_pits'"))
        fid = fid.scalar_one()
    engine.dispose()
    return {"Authorization": f"Bearer {key}", "fid": str(fid)}


def _town(client: TestClient, fid: str, **headers) -> tuple[str | None, str]:
    r = client.get(f"{PITS}/{fid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["properties"].get("town"), r.headers["X-Database-Node"]


def test_the_standby_is_a_real_replica(nodes):
    primary, standby = nodes
    assert standby.execute("SELECT pg_is_in_recovery()") == [(True,)]
    assert primary.execute("SELECT count(*) FROM pg_stat_replication") == [(1,)]


def test_anonymous_reads_go_to_the_replica_writes_to_the_primary(nodes, app_client, editor):
    primary, standby = nodes
    fid, auth_header = editor["fid"], {"Authorization": editor["Authorization"]}
    before, node = _town(app_client, fid)
    assert node == "replica"
    standby.execute("SELECT pg_wal_replay_pause()")
    try:
        tag = app_client.get(f"{PITS}/{fid}", headers=auth_header).headers["ETag"]
        r = app_client.patch(
            f"{PITS}/{fid}",
            json={"properties": {"town": "Written on the primary"}},
            headers={**auth_header, "Content-Type": PATCH, "If-Match": tag},
        )
        assert r.status_code == 200, r.text
        assert r.headers["X-Database-Node"] == "primary"
        assert "rm_primary_until" in r.headers["set-cookie"]
        # The writer reads its write at once (its key sends it to the primary) ...
        assert _town(app_client, fid, **auth_header) == ("Written on the primary", "primary")
        # ... and so does the browser that wrote, without a key (the cookie the write set).
        assert _town(app_client, fid) == ("Written on the primary", "primary")
        # Anyone else reads the replica, which has not replayed the write yet.
        app_client.cookies.clear()
        assert _town(app_client, fid) == (before, "replica")
        assert primary.execute(
            f"SELECT properties->>'town' FROM features WHERE id = {int(fid)}"
        ) == [("Written on the primary",)]
    finally:
        standby.execute("SELECT pg_wal_replay_resume()")
    wait_until(lambda: _town(app_client, fid) == ("Written on the primary", "replica"))


@pytest.mark.parametrize(
    "path",
    [
        "/collections",
        "/collections/mining_pits/tiles/WebMercatorQuad/tilejson.json",
        "/overlaps?subject=mining_pits&protected=water_source_zones&limit=5",
        "/progress",
        "/checks/point?lon=87.3&lat=44.0",
    ],
)
def test_read_only_routes_are_served_by_the_replica(app_client, path):
    app_client.cookies.clear()
    r = app_client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["X-Database-Node"] == "replica"


def test_readiness_and_writes_stay_on_the_primary(app_client):
    r = app_client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.headers["X-Database-Node"] == "primary"
    assert r.json()["replicas"] == {"configured": 1, "in_rotation": 1}


def test_a_replica_that_is_away_falls_back_to_the_primary(nodes, app_client):
    _, standby = nodes
    app_client.cookies.clear()
    standby.stop()
    try:
        for _ in range(3):  # the first finds it away, the next skip it for replica_retry_s
            r = app_client.get(f"{PITS}?limit=2")
            assert r.status_code == 200, r.text
            assert r.headers["X-Database-Node"] == "primary"
        assert app_client.get("/readyz").json()["replicas"]["in_rotation"] == 0
    finally:
        standby.start()
    # Back in rotation once replica_retry_s (1 s) has passed.
    wait_until(lambda: app_client.get(f"{PITS}?limit=2").headers["X-Database-Node"] == "replica")


def test_a_read_cancelled_by_replay_is_a_503_to_retry(nodes):
    """A hot standby cancels a read that conflicts with replay (SQLSTATE 40001): that is a
    503 with Retry-After, never a 500."""
    from sqlalchemy.exc import DBAPIError

    from geo.kernel.errors import DatabaseUnavailable, from_database

    engine = db.sync_engine(Settings(database_url=nodes[1].url()))
    raise_40001 = (
        "DO $$ BEGIN RAISE EXCEPTION 'conflict with recovery' USING ERRCODE = '40001'; END $$"
    )
    try:
        with pytest.raises(DBAPIError) as info, engine.connect() as conn:
            conn.execute(text(raise_40001))
    finally:
        engine.dispose()
    err = from_database(info.value)
    assert isinstance(err, DatabaseUnavailable) and err.status == 503 and err.retry_after == 1
