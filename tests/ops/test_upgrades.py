"""Upgrades: `migrate --check` and `/readyz` tell whether the schema is at head; an empty
database goes up, down to base and up again; a database filled by the previous release is
upgraded to head with its data intact."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.cli import main
from app.main import create_app
from geo.kernel import db
from geo.kernel.config import Settings
from geo.ops import script_heads
from geo.samples.load import load_layers
from tests.fresh_db import create_database, drop_database, table_counts, url_for

# The schema of the last release. When a release ships, move this to its head revision.
PREVIOUS_RELEASE = "0010_data_versions"


@pytest.fixture
def empty_db(monkeypatch):
    name = create_database("rm_upgrade")
    settings = Settings(database_url=url_for(name))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    engine = db.sync_engine(settings)
    yield settings, engine
    engine.dispose()
    drop_database(name)


def ready(settings: Settings) -> tuple[int, dict]:
    with TestClient(create_app(settings)) as c:
        r = c.get("/readyz")
        return r.status_code, r.json()


def test_check_and_readyz_follow_the_schema_up_down_and_up(empty_db, capsys):
    settings, engine = empty_db
    head = script_heads(settings)
    assert main(["migrate", "--check"]) == 1
    assert "not migrated" in capsys.readouterr().err
    status, body = ready(settings)
    assert status == 503 and "not migrated" in body["reason"]

    assert main(["migrate"]) == 0
    assert main(["migrate", "--check"]) == 0
    assert "at head" in capsys.readouterr().out
    assert ready(settings) == (
        200,
        {"status": "ready", "schema": {"current": list(head), "expected": list(head)}},
    )

    assert main(["migrate", "--downgrade", "base"]) == 0
    with engine.connect() as conn:
        left = conn.execute(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('spatial_ref_sys', 'alembic_version')"
            )
        ).scalar_one()
    assert left == 0
    assert main(["migrate", "--check"]) == 1
    assert main(["migrate"]) == 0
    assert main(["migrate", "--check"]) == 0


def test_behind_and_unknown_revisions_are_not_ready(empty_db, capsys):
    settings, engine = empty_db
    db.upgrade(settings, "0009_audit_geometry")
    assert main(["migrate", "--check"]) == 1
    assert "schema at 0009_audit_geometry, expected" in capsys.readouterr().err
    assert ready(settings)[0] == 503
    db.upgrade(settings)
    with engine.begin() as conn:  # as if a newer release had migrated it
        conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    assert main(["migrate", "--check"]) == 1
    assert "unknown to this release" in capsys.readouterr().err
    status, body = ready(settings)
    assert status == 503 and "from_the_future" in body["reason"]


def test_unreachable_database_is_not_ready(monkeypatch):
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert main(["migrate", "--check"]) == 2
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        r = c.get("/readyz")
    assert r.status_code == 503 and "unreachable" in r.json()["reason"]
    assert "127.0.0.1" not in r.text


# Every row of the ledger's main tables, as checksums (geometry as WKB, exact).
FINGERPRINTS = {
    "features": "SELECT id, md5(ST_AsBinary(geom)), md5(properties::text), code, name, region_code, version FROM features",
    # The history users wrote; a migration that fills a new column adds entries of its own.
    "audit_log": "SELECT id, table_name, row_id, op, actor, at, md5(coalesce(before::text, '')), md5(coalesce(after::text, '')) FROM audit_log WHERE table_name <> 'violation_rules'",
    "violations": "SELECT id, rule_id, subject_id, protected_id, md5(ST_AsBinary(geom)), area_m2, status, detected_at FROM violations",
    "regions": "SELECT code, md5(ST_AsBinary(geom)) FROM regions",
    "users": "SELECT id, name, role, regions FROM users",
    "rectification_tasks": "SELECT id, code, title, deadline, region_code FROM rectification_tasks",
    "restoration_records": "SELECT id, feature_id, created_at FROM restoration_records",
}


def fingerprint(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {
            name: conn.execute(
                text(f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM ({sql}) t")
            ).scalar_one()
            for name, sql in FINGERPRINTS.items()
        }


def test_a_database_of_the_previous_release_upgrades_with_its_data_intact(empty_db):
    settings, engine = empty_db
    db.upgrade(settings, PREVIOUS_RELEASE)
    with engine.begin() as conn:
        # The layers only: the sample tasks and campaign tables are newer than that release.
        load_layers(conn)
        db.set_write_context(conn, "previous-release-editor")
        conn.execute(
            text(
                'UPDATE features SET properties = properties || \'{"town": "edited"}\', '
                "geom = ST_Multi(ST_Buffer(geom::geography, 5)::geometry) "
                "WHERE id = (SELECT min(id) FROM features WHERE layer = 'mining_pits')"
            )
        )
    counts, prints = table_counts(engine), fingerprint(engine)
    assert counts["features"] > 0 and counts["audit_log"] > counts["features"]
    db.upgrade(settings)
    after = table_counts(engine)
    # Tables a migration adds may be new; 0014 fills violation_rules.applies_to (audited).
    assert {t: after[t] for t in counts if t != "audit_log"} == {
        t: n for t, n in counts.items() if t != "audit_log"
    }
    assert fingerprint(engine) == prints
    with engine.connect() as conn:
        rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert tuple(rev) == script_heads(settings)
