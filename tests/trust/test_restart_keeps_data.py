"""Restarts keep data (issue 11, item 2 of the report, item 3 of the deliverables): the start
-up path of ``make run`` (``python -m app migrate`` then ``python -m app load-samples``) loads
the sample layers into an empty database only. It used to upsert them on every start: an
acknowledged PATCH to a sample feature was reverted, a deleted one came back."""

from __future__ import annotations

from sqlalchemy import text

from app import cli
from tests.fresh_db import create_database, drop_database, make_key, table_counts, url_for

PITS = "/collections/mining_pits/items"
MERGE = "application/merge-patch+json"


def start_up(monkeypatch, url: str) -> None:
    """What `make run` runs before serving (Makefile: migrate, samples)."""
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["migrate"]) == 0
    assert cli.main(["load-samples"]) == 0


def snapshot(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT id, layer, code, version, properties::text, ST_AsEWKB(geom) "
                "FROM features ORDER BY id"
            )
        ).all()


def test_first_start_loads_the_samples_into_an_empty_database(monkeypatch):
    name = create_database("rm_restart_empty")
    try:
        start_up(monkeypatch, url_for(name))
        from geo.kernel import db
        from geo.kernel.config import Settings

        engine = db.sync_engine(Settings(database_url=url_for(name)))
        try:
            assert table_counts(engine)["features"] > 0
        finally:
            engine.dispose()
    finally:
        drop_database(name)


def test_edits_and_deletes_survive_a_restart(
    monkeypatch, write_settings, write_engine, write_client
):
    headers = make_key(write_engine, "restart-editor", "editor")
    with write_engine.connect() as conn:
        edited, deleted = conn.execute(
            text("SELECT id FROM features WHERE layer = 'mining_pits' ORDER BY id LIMIT 2")
        ).scalars()
    url = f"{PITS}/{edited}"
    tag = write_client.get(url).headers["ETag"]
    r = write_client.patch(
        url,
        json={"properties": {"name": "edited after load"}},
        headers={**headers, "Content-Type": MERGE, "If-Match": tag},
    )
    assert r.status_code == 200, r.text
    gone = f"{PITS}/{deleted}"
    tag = write_client.get(gone).headers["ETag"]
    assert write_client.delete(gone, headers={**headers, "If-Match": tag}).status_code == 204
    deleted_code = write_client.get(f"{gone}/history").json()["history"][-1]["before"]["code"]

    rows, counts = snapshot(write_engine), table_counts(write_engine)
    start_up(monkeypatch, write_settings.database_url)
    assert snapshot(write_engine) == rows
    assert table_counts(write_engine) == counts
    assert write_client.get(url).json()["properties"]["name"] == "edited after load"
    assert write_client.get(gone).status_code == 404
    with write_engine.connect() as conn:
        back = conn.execute(
            text("SELECT count(*) FROM features WHERE code = :c"), {"c": deleted_code}
        ).scalar_one()
    assert back == 0  # not resurrected under a new id


def test_explicit_force_reloads(monkeypatch):
    """The explicit command still upserts the samples into a database with data."""
    name = create_database("rm_restart_force")
    try:
        url = url_for(name)
        start_up(monkeypatch, url)
        from geo.kernel import db
        from geo.kernel.config import Settings

        engine = db.sync_engine(Settings(database_url=url))
        try:
            with engine.begin() as conn:
                conn.execute(
                    text("DELETE FROM features WHERE code = (SELECT min(code) FROM features)")
                )
            n = table_counts(engine)["features"]
            assert cli.main(["load-samples"]) == 0
            assert table_counts(engine)["features"] == n  # plain start: nothing comes back
            assert cli.main(["load-samples", "--force"]) == 0
            assert table_counts(engine)["features"] == n + 1
        finally:
            engine.dispose()
    finally:
        drop_database(name)
