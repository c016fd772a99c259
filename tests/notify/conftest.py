"""One throwaway database for the notification tests, an app whose notification settings
allow loopback receivers, and keys of a prefecture-wide editor and county users."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from shapely.geometry import mapping, shape
from sqlalchemy import Engine, text

from app.main import create_app
from geo.kernel import auth
from geo.kernel.config import Settings
from geo.notify import NotifySettings
from tests.fresh_db import fresh_database
from tests.notify.receivers import HTTPReceiver

MANAS, CHANGJI, FUKANG = "652324", "652301", "652302"
PITS = "/collections/mining_pits/items"
GEOJSON = "application/geo+json"


@pytest.fixture(scope="package")
def notify_db() -> Iterator[tuple[Settings, Engine]]:
    with fresh_database("rm_notify") as (settings, engine):
        yield settings, engine


@pytest.fixture(scope="package")
def notify_settings(tmp_path_factory) -> NotifySettings:
    """Loopback allowed explicitly; short backoff and polling so retries happen in seconds."""
    return NotifySettings(
        secret_key=Fernet.generate_key().decode(),
        key_file=str(tmp_path_factory.mktemp("notify") / "unused.key"),
        allow_private_targets=["127.0.0.0/8"],
        backoff_base_s=0.2,
        backoff_max_s=1.0,
        poll_interval_s=0.1,
        timeout_s=5,
        max_attempts=4,
        public_url="http://map.example.org",
        smtp_host="127.0.0.1",
        smtp_port=1,  # replaced by the test that starts the SMTP server
    )


@pytest.fixture(scope="package")
def notify_client(notify_db, notify_settings) -> Iterator[TestClient]:
    settings, _ = notify_db
    with TestClient(create_app(settings, notify_settings)) as client:
        yield client


@pytest.fixture(scope="package")
def users(notify_db) -> dict[str, dict[str, str]]:
    """Authorization headers: an unscoped editor, an admin, a Manas viewer, a Changji
    inspector."""
    _, engine = notify_db
    out = {}
    with engine.begin() as conn:
        for name, role, regions in (
            ("editor", "editor", None),
            ("admin", "admin", None),
            ("manas-office", "viewer", [MANAS]),
            ("changji-inspector", "inspector", [CHANGJI]),
        ):
            key = auth.create_user(conn, name, role, regions)[1]
            out[name] = {"Authorization": f"Bearer {key}"}
    return out


def pit_inside(conn, zone_code: str, offset: float = 0.0) -> dict:
    """A small square pit inside the protected zone ``zone_code`` (GeoJSON)."""
    geo = conn.execute(
        text("SELECT ST_AsGeoJSON(geom) FROM features WHERE code = :c"), {"c": zone_code}
    ).scalar_one()
    p = shape(json.loads(geo)).representative_point()
    return mapping(p.buffer(0.0015 + offset, quad_segs=2))


def insert_pit(conn, code: str, zone_code: str, actor: str = "test") -> None:
    conn.execute(text("SELECT set_config('rm.actor', :a, true)"), {"a": actor})
    conn.execute(
        text(
            "INSERT INTO features (layer, code, properties, geom) VALUES ('mining_pits', :c,"
            ' \'{"mineral": "sand_gravel", "legacy": true}\','
            " ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326))"
        ),
        {"c": code, "g": json.dumps(pit_inside(conn, zone_code))},
    )


@pytest.fixture(scope="module")
def forget_api_subscriptions(notify_db) -> Iterator[None]:
    """Subscriptions made by ``subscribe`` go at the end of the module, with their queue."""
    yield
    _, engine = notify_db
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM notify_subscriptions WHERE name LIKE 'api:%'"))


@pytest.fixture(scope="module")
def http(forget_api_subscriptions) -> Iterator[HTTPReceiver]:
    r = HTTPReceiver()
    yield r
    r.close()


def subscribe(client, headers, **body):
    spec = {"name": "api: test", "kinds": ["violation.new"], "channel": "atom", **body}
    return client.post("/subscriptions", json=spec, headers=headers)


def deliveries(engine, sub_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT e.kind, e.ref, d.status FROM notify_deliveries d"
                " JOIN notify_events e ON e.id = d.event_id WHERE d.subscription_id = :s"
                " ORDER BY d.id"
            ),
            {"s": sub_id},
        ).all()
