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
from geo.samples.load import FEATURE_LAYERS, SAMPLE_DIR
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
        {
            "status": "ready",
            "schema": {"current": list(head), "expected": list(head)},
            "replicas": {"configured": 0, "in_rotation": 0},
        },
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
    # Row versions (ETags) are left out: a migration that fills a new column bumps them.
    "features": "SELECT id, md5(ST_AsBinary(geom)), md5(properties::text), code, name, region_code FROM features",
    # The history written before the upgrade; a migration's own fills add entries after it.
    "audit_log": "SELECT id, table_name, row_id, op, actor, at, md5(coalesce(before::text, '')), md5(coalesce(after::text, '')) FROM audit_log WHERE id <= :audit",
    # Violations are kept, never deleted: each one found before is still there.
    "violations": "SELECT id, subject_id, protected_id, detected_at FROM violations WHERE id <= :violation",
    "regions": "SELECT code, md5(ST_AsBinary(geom)) FROM regions",
    "users": "SELECT id, name, role, regions FROM users",
    "rectification_tasks": "SELECT id, code, title, deadline, region_code FROM rectification_tasks",
    "restoration_records": "SELECT id, feature_id, created_at FROM restoration_records",
}


def fingerprint(engine: Engine, upto: dict[str, int]) -> dict[str, str]:
    """Checksums of the rows; ``upto`` bounds the ids of the audit log and the violations."""
    with engine.connect() as conn:
        return {
            name: conn.execute(
                text(f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM ({sql}) t"),
                {k: v for k, v in upto.items() if f":{k}" in sql},
            ).scalar_one()
            for name, sql in FINGERPRINTS.items()
        }


def last_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            "audit": conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one(),
            "violation": conn.execute(
                text("SELECT coalesce(max(id), 0) FROM violations")
            ).scalar_one(),
        }


# Frozen: what that release's loader wrote (regions and the four layers, its columns only).
_PREVIOUS_REGIONS = """
INSERT INTO regions (code, name, name_en, level, parent_code, geom, source)
SELECT f->'properties'->>'code', f->'properties'->>'name', f->'properties'->>'name_en',
       f->'properties'->>'level', f->'properties'->>'parent_code',
       ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)), 'previous release'
FROM jsonb_array_elements(CAST(:fc AS jsonb)->'features') AS f
ORDER BY CASE f->'properties'->>'level' WHEN 'region' THEN 0 WHEN 'prefecture' THEN 1 ELSE 2 END
"""
_PREVIOUS_FEATURES = """
INSERT INTO features (layer, code, name, properties, geom, source)
SELECT :layer, f->'properties'->>'code', f->'properties'->>'name',
       (f->'properties') - 'code' - 'name' - 'source' - 'sample',
       ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326)), f->'properties'->>'source'
FROM jsonb_array_elements(CAST(:fc AS jsonb)->'features') AS f
"""


def _fill_as_previous_release(conn) -> None:
    db.set_write_context(conn, "previous-release-loader")
    read = lambda name: (SAMPLE_DIR / f"{name}.geojson").read_text(encoding="utf-8")  # noqa: E731
    conn.execute(text(_PREVIOUS_REGIONS), {"fc": read("regions")})
    for layer in FEATURE_LAYERS:
        conn.execute(text(_PREVIOUS_FEATURES), {"layer": layer, "fc": read(layer)})


def test_a_database_of_the_previous_release_upgrades_with_its_data_intact(empty_db):
    settings, engine = empty_db
    db.upgrade(settings, PREVIOUS_RELEASE)
    with engine.begin() as conn:
        _fill_as_previous_release(conn)
        db.set_write_context(conn, "previous-release-editor")
        conn.execute(
            text(
                'UPDATE features SET properties = properties || \'{"town": "edited"}\', '
                "geom = ST_Multi(ST_Buffer(geom::geography, 5)::geometry) "
                "WHERE id = (SELECT min(id) FROM features WHERE layer = 'mining_pits')"
            )
        )
    upto = last_ids(engine)
    counts, prints = table_counts(engine), fingerprint(engine, upto)
    assert counts["features"] > 0 and counts["audit_log"] > counts["features"]
    db.upgrade(settings)
    after = table_counts(engine)
    # What users wrote stays as it was. Derived data may grow: a migration may add rules and
    # layers (0013 adds rule versions and water_works), and the rules then find more
    # violations; it may audit its own fills (0015 fills violation_rules.applies_to).
    derived = {"audit_log", "violations", "violation_events", "violation_rules", "layers"}
    assert {t: after[t] for t in counts if t not in derived} == {
        t: n for t, n in counts.items() if t not in derived
    }
    assert all(after[t] >= counts[t] for t in derived)  # nothing derived was lost either
    assert fingerprint(engine, upto) == prints
    with engine.connect() as conn:
        rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert tuple(rev) == script_heads(settings)
