"""A throwaway database of its own (migrated, samples loaded) for test modules that write:
their violations, events and features never leak into the session database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.main import create_app
from geo import auth, db
from geo.config import Settings
from geo.sample import load_samples
from tests.conftest import _url_for, create_database, drop_database


@contextmanager
def fresh_database(prefix: str) -> Iterator[tuple[Settings, Engine]]:
    name = create_database(prefix)
    settings = Settings(database_url=_url_for(name), count_timeout_ms=2000)
    db.upgrade(settings)
    engine = db.sync_engine(settings)
    try:
        with engine.begin() as conn:
            load_samples(conn)
        yield settings, engine
    finally:
        engine.dispose()
        drop_database(name)


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def make_key(engine: Engine, name: str, role: str, regions: list[str] | None = None) -> dict:
    """Authorization headers of a new user."""
    with engine.begin() as conn:
        _, key = auth.create_user(conn, name, role, regions)
    return {"Authorization": f"Bearer {key}"}


def row_counts(engine: Engine) -> dict[str, int]:
    tables = ("features", "violation_rules", "violations", "violation_events")
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}
