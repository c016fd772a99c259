"""The in-process catalog (geo.catalog.live): layers are read once, and a change another
connection commits to ``layers`` reaches every server through NOTIFY rm_catalog.

NOTIFY is delivered after the commit, asynchronously (milliseconds; longer on a loaded
machine), so the tests wait for it with :func:`until_status` instead of a fixed sleep."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.main import create_app
from tests.catalog.wait import until_status

TILE = "/collections/wetland_parks/tiles/WebMercatorQuad/3/2/5"
PUBLIC = (200, 204)


def set_public(engine: Engine, public: bool) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE layers SET public = :p WHERE name = 'wetland_parks'"), {"p": public}
        )


def test_layers_are_read_once_and_a_change_by_another_connection_is_seen(settings, engine):
    with TestClient(create_app(settings)) as c:
        catalog = c.app.state.catalog
        assert catalog.listening
        assert c.get(TILE).status_code in PUBLIC
        loads = catalog.loads
        for _ in range(3):
            assert c.get(TILE).status_code in PUBLIC
            assert c.get("/collections/wetland_parks/items?limit=1").status_code == 200
        assert catalog.loads == loads  # from memory: no layer lookup per request
        try:
            set_public(engine, False)
            until_status(c, TILE, (401,))
            assert catalog.loads == loads + 1  # read again once, after the notification
            assert c.get(TILE).status_code == 401
            assert catalog.loads == loads + 1
        finally:
            set_public(engine, True)
        until_status(c, TILE, PUBLIC)


def test_a_lost_listener_falls_back_to_the_database_and_reconnects(settings, engine):
    with TestClient(create_app(settings)) as c:
        catalog = c.app.state.catalog
        assert c.get(TILE).status_code in PUBLIC
        with engine.begin() as conn:  # this app's listener backend goes away
            killed = conn.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": catalog.listener_pid}
            ).scalar_one()
        assert killed
        try:
            set_public(engine, False)
            until_status(c, TILE, (401,))
        finally:
            set_public(engine, True)
        until_status(c, TILE, PUBLIC)
        deadline = time.monotonic() + 10
        while not catalog.listening:  # reconnects in the background (RETRY_S)
            assert time.monotonic() < deadline, "the listener did not reconnect"
            c.get(TILE)
            time.sleep(0.1)
        loads = catalog.loads
        c.get(TILE)
        c.get(TILE)
        assert catalog.loads <= loads + 1  # cached again once listening
