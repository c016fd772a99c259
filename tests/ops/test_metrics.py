"""/metrics: scraped and parsed with prometheus-client's own text parser; protected by the
metrics token or an admin key; request counts by route template; live pool and tile-cache
gauges; the collector hook; several worker processes summed in multiprocess mode."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from app.main import create_app
from app.observability import SqlGauge, register_collector
from app.observability.metrics import Metrics, PoolCollector
from tests.fresh_db import make_key

TOKEN = "scrape-token-for-tests"
ITEMS = "/collections/{collectionId}/items"
TILE = "/collections/mining_pits/tiles/WebMercatorQuad/7/46/94"


@pytest.fixture(scope="module")
def api(settings):
    with TestClient(create_app(settings.model_copy(update={"metrics_token": TOKEN}))) as c:
        yield c


def scrape(client, token: str = TOKEN) -> dict[str, list]:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    families = text_string_to_metric_families(r.text)
    return {f.name: f.samples for f in families}


def value(samples, name: str, **labels) -> float | None:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    return sum(found) if found else None


def test_metrics_needs_the_token_or_an_admin_key(api, engine):
    assert api.get("/metrics").status_code == 401
    assert api.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    viewer = make_key(engine, "metrics-viewer", "viewer")
    assert api.get("/metrics", headers=viewer).status_code == 403
    admin = make_key(engine, "metrics-admin", "admin")
    assert api.get("/metrics", headers=admin).status_code == 200


def test_requests_are_counted_by_route_template_and_status(api):
    assert api.get("/collections/mining_pits/items?limit=2").status_code == 200
    assert api.get("/collections/wetland_parks/items?limit=3").status_code == 200
    assert api.get("/collections/no_such_layer/items").status_code == 404
    assert api.get("/no/such/path").status_code == 404
    m = scrape(api)
    total = m["rm_http_requests"]
    assert value(total, "rm_http_requests_total", route=ITEMS, status="200", method="GET") == 2
    assert value(total, "rm_http_requests_total", route=ITEMS, status="404") == 1
    assert value(total, "rm_http_requests_total", route="<unmatched>", status="404") == 1
    assert not any("mining_pits" in s.labels.get("route", "") for s in total)
    hist = m["rm_http_request_duration_seconds"]
    count = value(hist, "rm_http_request_duration_seconds_count", route=ITEMS, status="200")
    inf = value(
        hist, "rm_http_request_duration_seconds_bucket", route=ITEMS, status="200", le="+Inf"
    )
    assert count == inf == 2
    assert value(m["rm_rows_streamed"], "rm_rows_streamed_total", route=ITEMS) == 5


def test_pool_and_tile_cache_gauges(api):
    first, second = api.get(TILE), api.get(TILE)
    assert first.status_code == second.status_code == 200
    m = scrape(api)
    assert value(m["rm_tile_cache_hits"], "rm_tile_cache_hits_total") >= 1
    assert value(m["rm_tile_cache_misses"], "rm_tile_cache_misses_total") >= 1
    pool_size = api.app.state.settings.pool_size
    assert value(m["rm_db_pool_max"], "rm_db_pool_max", pool="async") == 2 * pool_size
    assert value(m["rm_db_pool_in_use"], "rm_db_pool_in_use", pool="async") == 0
    assert value(m["rm_db_pool_waiting"], "rm_db_pool_waiting", pool="sync") == 0


def test_pool_waiting_counts_blocked_checkouts(settings):
    eng = create_engine(settings.sqlalchemy_url, pool_size=1, max_overflow=0, pool_timeout=10)
    collector = PoolCollector(SimpleNamespace(sync_engine=eng))

    def gauges():
        return {f.name: f.samples[0].value for f in collector.collect()}

    held = eng.connect()
    waiter = threading.Thread(target=lambda: eng.connect().close())
    waiter.start()
    try:
        deadline = time.monotonic() + 5
        while gauges()["rm_db_pool_waiting"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gauges() == {
            "rm_db_pool_in_use": 1,
            "rm_db_pool_idle": 0,
            "rm_db_pool_waiting": 1,
            "rm_db_pool_max": 1,
        }
    finally:
        held.close()
        waiter.join(10)
        eng.dispose()
    assert gauges()["rm_db_pool_waiting"] == 0


def test_other_modules_register_collectors(settings, engine):
    app = create_app(settings.model_copy(update={"metrics_token": TOKEN}))
    sql = "SELECT count(*) FROM features WHERE layer = 'mining_pits'"
    register_collector(app, SqlGauge(app, "rm_test_pits", "Pits in the ledger", sql))
    with TestClient(app) as c:
        m = scrape(c)
    with engine.connect() as conn:
        assert value(m["rm_test_pits"], "rm_test_pits") == conn.execute(text(sql)).scalar_one()


def test_import_rows_are_counted(write_settings, write_engine, tmp_path):
    editor = make_key(write_engine, "metrics-importer", "editor")
    app = create_app(write_settings.model_copy(update={"metrics_token": TOKEN}))
    src = tmp_path / "pits.geojson"
    square = [[86.2, 44.3], [86.201, 44.3], [86.201, 44.301], [86.2, 44.3]]
    features = [
        {
            "type": "Feature",
            # The first lacks a required attribute: rejected, the others inserted.
            "properties": {
                "code": f"MET-{i}",
                "mineral": "sand_gravel",
                **({"legacy": True} if i else {}),
            },
            "geometry": {"type": "Polygon", "coordinates": [square]},
        }
        for i in range(3)
    ]
    src.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with TestClient(app) as c:
        r = c.post(
            "/collections/mining_pits/import?mode=partial",
            files={"file": ("pits.geojson", src.read_bytes())},
            headers=editor,
        )
        assert r.status_code == 200, r.text
        m = scrape(c)
    rows = m["rm_import_rows"]
    assert (r.json()["inserted"], r.json()["rejected_count"]) == (2, 1)
    assert value(rows, "rm_import_rows_total", collection="mining_pits", outcome="inserted") == 2
    assert value(rows, "rm_import_rows_total", collection="mining_pits", outcome="rejected") == 1


# Two "workers": forked processes, each counting one request on its own.
WORKERS = """
import os
from app.observability.metrics import Metrics
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        Metrics().observe_request("GET", "/collections/{collectionId}/items", 200, 0.02)
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
"""


def test_worker_processes_are_summed_in_multiprocess_mode(tmp_path, monkeypatch):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", WORKERS], env=env, check=True, cwd=os.getcwd())
    assert len(list(tmp_path.glob("*.db"))) >= 2  # one file per worker pid
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    exposition = Metrics().exposition().decode()
    samples = [s for f in text_string_to_metric_families(exposition) for s in f.samples]
    assert value(samples, "rm_http_requests_total", route=ITEMS, status="200") == 2
    assert value(samples, "rm_http_request_duration_seconds_count", route=ITEMS) == 2


def test_serve_with_two_workers_sums_metrics_and_logs_every_request(database_url, tmp_path):
    """The real thing: `python -m app serve --workers 2`, JSON logs, one metrics directory."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "RM_METRICS_TOKEN": TOKEN,
        "RM_LOG_FORMAT": "json",
        "RM_PHOTO_DIR": str(tmp_path / "photos"),
    }
    log = tmp_path / "serve.log"
    args = ["-m", "app", "serve", "--port", str(port), "--workers", "2"]
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, *args], env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        ids = [f"w-{i}-{uuid.uuid4().hex[:6]}" for i in range(8)]
        for rid in ids:
            with httpx.Client() as c:  # a new connection each time: both workers answer
                assert (
                    c.get(f"{base}/collections/regions", headers={"X-Request-ID": rid}).status_code
                    == 200
                )
        m = {}
        for _ in range(2):  # whichever worker answers the scrape, the sum is the same
            text_ = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
            m = {f.name: f.samples for f in text_string_to_metric_families(text_)}
            assert (
                value(
                    m["rm_http_requests"],
                    "rm_http_requests_total",
                    route="/collections/{collectionId}",
                )
                == 8
            )
    finally:
        proc.terminate()
        proc.wait(20)
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    access = {x["request_id"]: x for x in lines if x["logger"] == "restoration_map.access"}
    assert all(access[rid]["route"] == "/collections/{collectionId}" for rid in ids)


def test_notification_outbox_depth_is_a_gauge(api, engine):
    # The gauges read geo.notify.queue_stats: they must equal what the database holds.
    with engine.connect() as conn:
        pending, dead = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE status = 'pending'),"
                " count(*) FILTER (WHERE status = 'dead') FROM notify_deliveries"
            )
        ).one()
    m = scrape(api)
    assert value(m["rm_notify_queue_depth"], "rm_notify_queue_depth") == pending
    assert value(m["rm_notify_dead_letters"], "rm_notify_dead_letters") == dead
    assert "rm_notify_failed_attempts_last_hour" in m
