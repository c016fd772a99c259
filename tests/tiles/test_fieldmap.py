"""The field map's own endpoints: the service worker at the site root, the basemap list and
data versions, and the Tianditu proxy that keeps the key on the server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app
from geo.kernel.config import Settings

KEY = "tdt-secret-0123456789"
PNG = b"\x89PNG\r\n\x1a\n" + b"tile"


class _Upstream(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        _Upstream.seen.append(self.path)
        if "/vec/" in self.path:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)
        else:
            self.send_response(403)
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    srv = HTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture(scope="module")
def tdt_client(database_url: str, upstream: str) -> Iterator[TestClient]:
    s = Settings(
        database_url=database_url,
        tianditu_key=KEY,
        tianditu_url=upstream + "/{layer}/{z}/{x}/{y}?tk={key}&s={s}",
    )
    with TestClient(create_app(s)) as c:
        yield c


def test_service_worker_is_served_from_the_root(client: TestClient):
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    assert "rm-area-" in r.text and "/static/reference/changji.geojson" in r.text


def test_config_lists_no_tianditu_without_a_key_and_the_data_versions(client: TestClient, engine):
    body = client.get("/map/config.json").json()
    assert [b["id"] for b in body["basemaps"]] == ["none"]
    with engine.connect() as conn:
        versions = dict(conn.execute(text("SELECT name, version FROM data_versions")).all())
    assert body["data_versions"] == versions
    r = client.get("/basemap/tianditu/vec/5/23/11")
    assert r.status_code == 404 and "RM_TIANDITU_KEY" in r.json()["description"]


def test_tianditu_tiles_go_through_the_proxy_and_the_key_stays_on_the_server(
    tdt_client: TestClient,
):
    body = tdt_client.get("/map/config.json")
    assert KEY not in body.text
    ids = [b["id"] for b in body.json()["basemaps"]]
    assert ids == ["none", "tianditu-vec", "tianditu-img"]
    vec = body.json()["basemaps"][1]
    assert vec["tiles"] == ["/basemap/tianditu/vec/{z}/{x}/{y}"]
    assert vec["overlay"] == ["/basemap/tianditu/cva/{z}/{x}/{y}"]
    r = tdt_client.get("/basemap/tianditu/vec/5/23/11")
    assert r.status_code == 200 and r.content == PNG
    assert _Upstream.seen[-1] == f"/vec/5/23/11?tk={KEY}&s={(23 + 11) % 8}"
    # the upstream refuses: a 502 that does not echo the URL (it carries the key)
    r = tdt_client.get("/basemap/tianditu/img/5/23/11")
    assert r.status_code == 502 and KEY not in r.text


@pytest.mark.parametrize(
    "path",
    ["/basemap/tianditu/xyz/5/1/1", "/basemap/tianditu/vec/3/8/1", "/basemap/tianditu/vec/0/0/0"],
)
def test_tianditu_proxy_refuses_bad_tiles(tdt_client: TestClient, path: str):
    r = tdt_client.get(path)
    assert r.status_code in (400, 404), r.text
    assert KEY not in r.text
