"""Throwaway databases for tests: created with PostGIS, migrated, loaded with the sample
layers, dropped afterwards. Every test module that writes gets one of its own, so nothing
leaks between modules. A PostgreSQL that does not answer fails the run; it never skips.

The migrations and the sample loader run from zero once per test process, into a template
database; every fresh database is a copy of it (``CREATE DATABASE … TEMPLATE``, a fraction
of a second instead of seconds). The tests of the migrations themselves (tests/migrations,
tests/ops/test_upgrades.py, …) still migrate empty databases of their own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.main import create_app
from geo.kernel import auth, db
from geo.kernel.config import Settings
from geo.samples.load import load_samples

ADMIN_URL = os.environ.get(
    "TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def url_for(dbname: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


def create_database(prefix: str = "rm_test") -> str:
    """A fresh, empty database with PostGIS."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL/PostGIS is required for the tests and did not answer at {ADMIN_URL}: "
            f"{exc}. Run `make test` (it sets the database up).",
            pytrace=False,
        )
    with psycopg.connect(url_for(name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_template: list[str] = []  # the process's template database, once made


def template_database() -> str:
    """The process's template: PostGIS, migrated from zero to head, the sample layers loaded.
    Nothing stays connected to it (a database being copied must have no sessions)."""
    if not _template:
        name = create_database("rm_template")
        try:
            settings = Settings(database_url=url_for(name))
            db.upgrade(settings)
            engine = db.sync_engine(settings)
            try:
                with engine.begin() as conn:
                    load_samples(conn)
            finally:
                engine.dispose()
        except BaseException:
            drop_database(name)
            raise
        _template.append(name)
    return _template[0]


def drop_template() -> None:
    """At the end of the run (tests/conftest.py)."""
    while _template:
        drop_database(_template.pop())


def migrated_database(prefix: str = "rm_test") -> str:
    """A new database migrated to head with the sample layers: a copy of the template."""
    template = template_database()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


@contextmanager
def fresh_database(prefix: str, **overrides) -> Iterator[tuple[Settings, Engine]]:
    """A migrated database with the sample layers, and its settings and engine."""
    name = migrated_database(prefix)
    settings = Settings(database_url=url_for(name), count_timeout_ms=2000, **overrides)
    engine = None
    try:
        engine = db.sync_engine(settings)
        yield settings, engine
    finally:
        if engine is not None:
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


def table_counts(engine: Engine) -> dict[str, int]:
    """``count(*)`` of every table in the public schema."""
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'spatial_ref_sys' ORDER BY 1"
            )
        ).scalars()
        return {
            t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in list(tables)
        }
