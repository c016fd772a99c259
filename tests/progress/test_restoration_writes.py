"""Restoration writes: every legal and illegal transition, 422 cases, auth, and refused
writes leaving no trace. These tests write, so they run in their own throwaway database
(created, migrated and loaded here, dropped at the end): nothing leaks into other tests."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.kernel import auth, db
from geo.kernel.config import Settings
from geo.progress.restoration import TRANSITIONS
from geo.samples.load import load_samples
from tests.fresh_db import client_for, create_database, drop_database, fresh_database, url_for

STATES = list(TRANSITIONS)
# Events that bring a fresh record (created as not_started) to each state.
PATHS = {
    "not_started": [],
    "planned": ["planned"],
    "in_progress": ["planned", "in_progress"],
    "completed": ["planned", "in_progress", "completed"],
    "accepted": ["planned", "in_progress", "completed", "accepted"],
    "repurposed": ["planned", "repurposed"],
}
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def wdb():
    with fresh_database("rm_progress_writes") as (settings, engine):
        with engine.begin() as conn:
            keys = {
                "admin": auth.create_user(conn, "t-admin", "admin")[1],
                "manas": auth.create_user(conn, "t-manas", "editor", ["652324"])[1],
                "viewer": auth.create_user(conn, "t-viewer", "viewer")[1],
            }
        yield settings, engine, keys


@pytest.fixture(scope="module")
def wclient(wdb):
    with client_for(wdb[0]) as c:
        yield c


def H(keys, who):
    return {"Authorization": f"Bearer {keys[who]}"}


def counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM restoration_records),"
                    " (SELECT count(*) FROM restoration_events)"
                )
            ).one()
        )


def new_pit(engine, like: str = "PIT-652301-0003") -> int:
    """A new pit feature (a copy of an existing pit's shape) without a restoration record."""
    with engine.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO features (layer, code, name, properties, geom, source)"
                " SELECT layer, :code, 'test pit', properties, geom, 'test' FROM features"
                " WHERE code = :like RETURNING id"
            ),
            {"code": f"PIT-TEST-{next(_serial):04d}", "like": like},
        ).scalar_one()


def feature_id(engine, code: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT id FROM features WHERE code = :c"), {"c": code}
        ).scalar_one()


def post(client, keys, fid, body, who="admin", create=False):
    path = f"/features/{fid}/restoration" + ("" if create else "/events")
    return client.post(path, json=body, headers=H(keys, who))


def record_in(client, engine, keys, state: str) -> int:
    fid = new_pit(engine)
    day = date(2024, 1, 1)
    r = post(
        client, keys, fid, {"status": "not_started", "event_date": day.isoformat()}, create=True
    )
    assert r.status_code == 201, r.text
    for i, s in enumerate(PATHS[state], start=1):
        r = post(client, keys, fid, {"status": s, "event_date": (day + timedelta(i)).isoformat()})
        assert r.status_code == 201, r.text
    return fid


@pytest.mark.parametrize("current,target", list(itertools.product(STATES, STATES)))
def test_every_transition(wdb, wclient, current, target):
    _, engine, keys = wdb
    fid = record_in(wclient, engine, keys, current)
    before = counts(engine)
    r = post(wclient, keys, fid, {"status": target, "event_date": "2024-02-01", "note": "t"})
    if target in TRANSITIONS[current]:
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == target and body["events"][-1]["actor"] == "t-admin"
        assert counts(engine) == (before[0], before[1] + 1)
    else:
        assert r.status_code == 409, r.text
        msg = r.json()["description"]
        assert f"the record is {current}" in msg and target in msg
        allowed = ", ".join(TRANSITIONS[current]) or "none (final state)"
        assert f"allowed next: {allowed}" in msg
        assert counts(engine) == before


def test_lifecycle_documented_states():
    assert TRANSITIONS["in_progress"] == ("in_progress", "completed", "repurposed")
    assert "repurposed" not in TRANSITIONS["completed"]  # repurposing replaces restoration
    assert TRANSITIONS["accepted"] == TRANSITIONS["repurposed"] == ()


def test_progress_update_and_as_of(wdb, wclient):
    _, engine, keys = wdb
    fid = record_in(wclient, engine, keys, "in_progress")  # last event 2024-01-03
    r = post(
        wclient,
        keys,
        fid,
        {
            "status": "in_progress",
            "event_date": "2024-03-01",
            "restored_area_ha": 0.5,
            "evidence_ref": "photo-123",
            "deadline": "2025-06-30",
            "funding": "mixed",
        },
    )
    assert r.status_code == 201, r.text
    now = r.json()
    assert now["restored_area_ha"] == 0.5 and now["funding"] == "mixed"
    assert now["events"][-1]["evidence_ref"] == "photo-123"
    earlier = wclient.get(f"/features/{fid}/restoration", params={"as_of": "2024-02-29"}).json()
    assert earlier["restored_area_ha"] == 0 and earlier["funding"] is None
    assert [e["event_date"] for e in earlier["events"]][-1] == "2024-01-03"
    assert (
        wclient.get(f"/features/{fid}/restoration", params={"as_of": "2023-12-31"}).status_code
        == 404
    )
    # The summary as of 2024-02-29 does not see the update either.
    s = wclient.get("/progress", params={"as_of": "2024-02-29", "region": "652301"}).json()
    s2 = wclient.get("/progress", params={"as_of": "2024-03-01", "region": "652301"}).json()
    assert s2["total"]["restored_area_ha"] == pytest.approx(
        s["total"]["restored_area_ha"] + 0.5, abs=0.01
    )


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"restored_area_ha": 10_000}, "exceeds the feature's measured area"),
        ({"target_area_ha": 10_000}, "target_area_ha: 10000"),
        ({"target_area_ha": 0.2, "restored_area_ha": 0.3}, "exceeds the target area (0.2 ha)"),
        ({"restored_area_ha": -1}, "restored_area_ha: must be 0 or more, got -1"),
        ({"target_area_ha": -0.5}, "target_area_ha: must be 0 or more"),
        ({"event_date": (date.today() + timedelta(1)).isoformat()}, "is in the future"),
        ({"event_date": "2023-12-31"}, "before the record's last event (2024-01-03)"),
        ({"funding": "lottery"}, "funding"),
        ({"status": "done"}, "status"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_values_are_422_and_leave_no_trace(wdb, wclient, body, fragment):
    _, engine, keys = wdb
    fid = record_in(wclient, engine, keys, "in_progress")
    before = counts(engine)
    r = post(wclient, keys, fid, {"status": "in_progress", "event_date": "2024-02-01", **body})
    assert r.status_code == 422, r.text
    assert fragment in r.json()["description"]
    assert counts(engine) == before


def test_create_rules(wdb, wclient):
    _, engine, keys = wdb
    fid = new_pit(engine)
    before = counts(engine)
    r = post(wclient, keys, fid, {"status": "in_progress", "event_date": "2024-01-01"}, create=True)
    assert r.status_code == 409 and "starts as not_started or planned" in r.json()["description"]
    wsz = feature_id(engine, "WSZ-652301-001-1")
    r = post(wclient, keys, wsz, {"status": "not_started"}, create=True)
    assert r.status_code == 422 and "not restorable" in r.json()["description"]
    healthy = feature_id(engine, "WLP-652324-01-C")
    r = post(wclient, keys, healthy, {"status": "not_started"}, create=True)
    assert r.status_code == 422 and "not marked degraded" in r.json()["description"]
    assert post(wclient, keys, 10**9, {"status": "not_started"}, create=True).status_code == 404
    assert counts(engine) == before
    r = post(wclient, keys, fid, {"status": "planned", "plan_ref": "一坑一方案 X"}, create=True)
    assert r.status_code == 201 and r.json()["plan_ref"] == "一坑一方案 X"
    again = post(wclient, keys, fid, {"status": "not_started"}, create=True)
    assert (
        again.status_code == 409 and "already has restoration record" in again.json()["description"]
    )
    no_record = new_pit(engine)
    assert post(wclient, keys, no_record, {"status": "planned"}).status_code == 404


def test_auth(wdb, wclient):
    _, engine, keys = wdb
    pit_changji = feature_id(engine, "PIT-652301-0004")  # planned, Changji City
    pit_manas = feature_id(engine, "PIT-652324-0005")
    body = {"status": "planned", "event_date": date.today().isoformat(), "note": "auth"}
    before = counts(engine)
    url = f"/features/{pit_changji}/restoration/events"
    assert wclient.post(url, json=body).status_code == 401
    assert (
        wclient.post(url, json=body, headers={"Authorization": "Bearer rm_x_y"}).status_code == 401
    )
    assert wclient.post(url, json=body, headers=H(keys, "viewer")).status_code == 403
    r = wclient.post(url, json=body, headers=H(keys, "manas"))
    assert r.status_code == 403 and "652301" in r.json()["description"]
    assert counts(engine) == before
    state = wclient.get(f"/features/{pit_manas}/restoration").json()["status"]
    nxt = next(s for s in TRANSITIONS[state] if s != "repurposed") if TRANSITIONS[state] else None
    if nxt:
        r = wclient.post(
            f"/features/{pit_manas}/restoration/events",
            json={"status": nxt, "event_date": date.today().isoformat()},
            headers=H(keys, "manas"),
        )
        assert r.status_code == 201, r.text


def test_events_are_append_only(wdb):
    _, engine, _ = wdb
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE restoration_events SET note = 'x' WHERE id = 1"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM task_notes WHERE id = 1"))
    fid = new_pit(engine)
    with engine.begin() as conn:
        rid = conn.execute(
            text("INSERT INTO restoration_records (feature_id) VALUES (:f) RETURNING id"),
            {"f": fid},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO restoration_events (record_id, event_date, status, actor)"
                " VALUES (:r, '2024-01-01', 'not_started', 'test')"
            ),
            {"r": rid},
        )
        conn.execute(text("DELETE FROM features WHERE id = :f"), {"f": fid})  # cascades
        left = conn.execute(
            text("SELECT count(*) FROM restoration_events WHERE record_id = :r"), {"r": rid}
        ).scalar_one()
    assert left == 0


def test_load_samples_is_idempotent():
    name = create_database("rm_progress_idem")
    try:
        settings = Settings(database_url=url_for(name))
        db.upgrade(settings)
        engine = db.sync_engine(settings)
        snapshot = text(
            "SELECT (SELECT count(*) FROM restoration_records),"
            " (SELECT count(*) FROM restoration_events), (SELECT max(id) FROM restoration_events),"
            " (SELECT count(*) FROM task_notes), (SELECT count(*) FROM task_features),"
            " (SELECT md5(string_agg(code || title || coalesce(deadline::text, '-'), ','"
            " ORDER BY code)) FROM rectification_tasks)"
        )
        with engine.begin() as conn:
            first = load_samples(conn)
            s1 = conn.execute(snapshot).one()
        with engine.begin() as conn:
            second = load_samples(conn)
            s2 = conn.execute(snapshot).one()
        assert first == second and s1 == s2
        assert first["restoration_records"] == 459 and first["restoration_events"] == 1307
        assert first["rectification_tasks"] == 122
        engine.dispose()
        db.downgrade(settings, "0002_users")  # the migration goes down cleanly too
        db.upgrade(settings)
    finally:
        drop_database(name)
