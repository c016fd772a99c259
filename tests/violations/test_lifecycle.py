"""Violation lifecycle: every legal and illegal transition, roles, county scopes, events;
rules written through the API by an administrator. Runs in a database of its own."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from geo.violations.models import STATUSES
from tests.fresh_db import client_for, fresh_database, make_key, table_counts

LEGAL = {
    ("detected", "confirmed"),
    ("detected", "dismissed"),
    ("confirmed", "rectifying"),
    ("rectifying", "rectified"),
    ("rectified", "closed"),
    ("rectified", "rectifying"),
    ("closed", "reopened"),
    ("reopened", "rectifying"),
    ("dismissed", "detected"),
}
EDITOR_STEPS = {
    ("confirmed", "rectifying"),
    ("rectifying", "rectified"),
    ("rectified", "closed"),
    ("rectified", "rectifying"),
    ("reopened", "rectifying"),
}


@pytest.fixture(scope="module")
def world():
    with fresh_database("rm_vlife") as (settings, engine), client_for(settings) as client:
        keys = {
            role: make_key(engine, f"{role}-{uuid.uuid4().hex[:6]}", role)
            for role in ("viewer", "inspector", "editor", "admin")
        }
        keys["fukang_editor"] = make_key(engine, "fk-ed", "editor", ["652302"])
        yield client, engine, keys


def _violations(engine, rule_code: str) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT v.id FROM violations v JOIN violation_rules r ON r.id = v.rule_id"
                    " WHERE r.code = :c AND v.region_code <> '652302' ORDER BY v.id"
                ),
                {"c": rule_code},
            ).scalars()
        )


def _move(client, vid, to, key, **extra):
    return client.post(f"/violations/{vid}/transitions", json={"to": to, **extra}, headers=key)


def _check_illegal_from(client, engine, vid, status, keys):
    """Every target that is not a legal step from `status` is 409, database unchanged."""
    before = table_counts(engine)
    for target in STATUSES:
        if (status, target) in LEGAL:
            continue
        resp = _move(client, vid, target, keys["admin"])
        assert resp.status_code == 409, (status, target, resp.text)
        msg = resp.json()["description"]
        assert f"is {status!r}" in msg
        for s, t in LEGAL:
            if s == status:
                assert t in msg
    assert table_counts(engine) == before
    assert client.get(f"/violations/{vid}").json()["status"] == status


def test_every_legal_and_illegal_transition(world):
    client, engine, keys = world
    a, b = _violations(engine, "GRASSLAND-NO-APPROVAL")[:2]
    path_a = [
        "confirmed",
        "rectifying",
        "rectified",
        "rectifying",
        "rectified",
        "closed",
        "reopened",
        "rectifying",
    ]
    path_b = ["dismissed", "detected"]
    seen = set()
    for vid, path in ((a, path_a), (b, path_b)):
        status = "detected"
        for target in path:
            _check_illegal_from(client, engine, vid, status, keys)
            role = "editor" if (status, target) in EDITOR_STEPS else "inspector"
            resp = _move(
                client,
                vid,
                target,
                keys[role],
                note=f"{status}->{target}",
                evidence=[
                    {
                        "photo": "IMG_1.jpg",
                        "lon": 87.3,
                        "lat": 44.0,
                        "taken": "2026-11-20T10:00:00+08:00",
                    }
                ],
            )
            assert resp.status_code == 200, resp.text
            body = resp.json()
            assert body["status"] == target
            last = body["events"][-1]
            assert (last["from_status"], last["to_status"]) == (status, target)
            assert last["actor"].startswith(role) and last["note"] == f"{status}->{target}"
            assert last["evidence"][0]["photo"] == "IMG_1.jpg"
            seen.add((status, target))
            status = target
        _check_illegal_from(client, engine, vid, status, keys)
    assert seen == LEGAL
    _check_illegal_from(client, engine, a, "rectifying", keys)
    lifecycle = client.get("/violations/transitions").json()["transitions"]
    assert {(t["from_status"], t["to_status"]) for t in lifecycle} == LEGAL


def test_roles_and_scopes(world):
    client, engine, keys = world
    vid = _violations(engine, "GRASSLAND-NO-APPROVAL")[5]
    before = table_counts(engine)
    assert _move(client, vid, "confirmed", {}).status_code == 401
    assert (
        _move(client, vid, "confirmed", {"Authorization": "Bearer rm_nope_nope"}).status_code == 401
    )
    assert _move(client, vid, "confirmed", keys["viewer"]).status_code == 403
    # An editor outside the violation's county.
    resp = _move(client, vid, "confirmed", keys["fukang_editor"])
    assert resp.status_code == 403 and "652302" in resp.json()["description"]
    assert table_counts(engine) == before
    # Inspectors verify but do not drive rectification.
    assert _move(client, vid, "confirmed", keys["inspector"]).status_code == 200
    resp = _move(client, vid, "rectifying", keys["inspector"])
    assert resp.status_code == 403 and "editor" in resp.json()["description"]
    assert _move(client, vid, "rectifying", keys["editor"]).status_code == 200


@pytest.mark.parametrize(
    "body, status",
    [
        ({"to": "flying"}, 422),
        ({}, 422),
        ({"to": "confirmed", "action": "confirm", "colour": 1}, 422),
        ({"to": "confirmed", "note": "x" * 5000}, 422),
        ({"action": "confirm", "to": "dismissed"}, 409),
    ],
)
def test_bad_transition_bodies_change_nothing(world, body, status):
    client, engine, keys = world
    vid = _violations(engine, "GRASSLAND-NO-APPROVAL")[7]
    before = table_counts(engine)
    resp = client.post(f"/violations/{vid}/transitions", json=body, headers=keys["admin"])
    assert resp.status_code == status, resp.text
    assert table_counts(engine) == before
    assert (
        client.post(
            "/violations/999999/transitions", json={"to": "confirmed"}, headers=keys["admin"]
        ).status_code
        == 404
    )


def test_action_names_work_too(world):
    client, engine, keys = world
    vid = _violations(engine, "GRASSLAND-NO-APPROVAL")[8]
    assert vid in _open_here(client, engine, vid)
    resp = client.post(
        f"/violations/{vid}/transitions",
        json={"action": "dismiss", "note": "不属实"},
        headers=keys["inspector"],
    )
    assert resp.status_code == 200 and resp.json()["status"] == "dismissed"
    assert client.get("/violations", params={"status": "dismissed"}).json()["violations"]
    # Dismissed is settled: the point check no longer lists it as open.
    assert vid not in _open_here(client, engine, vid)


def _open_here(client, engine, vid: int) -> list[int]:
    """The open violations the point check finds on the violation's own ground."""
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p"
                " FROM violations WHERE id = :id) s"
            ),
            {"id": vid},
        ).one()
    resp = client.get("/checks/point", params={"lon": lon, "lat": lat, "radius_m": 10})
    assert resp.status_code == 200, resp.text
    return [v["id"] for v in resp.json()["violations"]]


def test_events_are_append_only(world):
    _, engine, _ = world
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE violation_events SET note = 'rewritten'"))
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM violation_events"))


def test_rules_api_needs_an_admin(world):
    client, engine, keys = world
    rule = {
        "code": "TEST-PIT-NEAR-WETLAND",
        "name": "Mining pit within 2 km of a wetland park",
        "subject_layer": "mining_pits",
        "protected_layer": "wetland_parks",
        "predicate": "dwithin",
        "distance_m": 2000,
        "severity": "low",
        "legal_basis": "test",
        "legal_basis_zh": "测试",
    }
    before = table_counts(engine)
    assert client.post("/rules", json=rule).status_code == 401
    assert client.post("/rules", json=rule, headers=keys["editor"]).status_code == 403
    assert table_counts(engine) == before
    resp = client.post("/rules", json=rule, headers=keys["admin"])
    assert resp.status_code == 201, resp.text
    rid = resp.json()["id"]
    assert client.post("/rules", json=rule, headers=keys["admin"]).status_code == 409
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM violations WHERE rule_id = :r AND resolved_at IS NULL"),
            {"r": rid},
        ).scalar_one()
        reference = conn.execute(
            text(
                "SELECT count(*) FROM features s JOIN features p ON p.layer = 'wetland_parks'"
                " WHERE s.layer = 'mining_pits'"
                " AND ST_DWithin(s.geom::geography, p.geom::geography, 2000)"
            )
        ).scalar_one()
    assert n == reference
    # Disable: its violations are resolved by data (kept, with a system event).
    resp = client.patch(f"/rules/{rid}", json={"enabled": False}, headers=keys["admin"])
    assert resp.status_code == 200 and resp.json()["enabled"] is False
    with engine.connect() as conn:
        open_n = conn.execute(
            text("SELECT count(*) FROM violations WHERE rule_id = :r AND resolved_at IS NULL"),
            {"r": rid},
        ).scalar_one()
        events = conn.execute(
            text(
                "SELECT e.actor, e.cause_actor, e.note FROM violation_events e"
                " JOIN violations v ON v.id = e.violation_id"
                " WHERE v.rule_id = :r AND e.action = 'resolved_by_data'"
            ),
            {"r": rid},
        ).all()
    assert open_n == 0 and len(events) == n
    assert all(e[0] == "system" and e[1].startswith("admin") and "disabled" in e[2] for e in events)
    assert (
        client.patch(f"/rules/{rid}", json={"enabled": True}, headers=keys["admin"]).status_code
        == 200
    )


@pytest.mark.parametrize(
    "change, word",
    [
        ({"subject_layer": "nowhere"}, "nowhere"),
        ({"protected_filter": {"colour": "red"}}, "colour"),
        ({"protected_filter": {"grade": "7"}}, "7"),
        ({"predicate": "dwithin", "distance_m": None}, "distance_m"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"kind": "attribute", "subject_filter": {}}, "subject_filter"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_rule_changes_are_422_and_change_nothing(world, change, word):
    client, engine, keys = world
    rid = client.get("/rules").json()["rules"][0]["id"]
    before = table_counts(engine)
    resp = client.patch(f"/rules/{rid}", json=change, headers=keys["admin"])
    assert resp.status_code == 422, resp.text
    assert word in resp.json()["description"]
    assert table_counts(engine) == before


def test_enabling_a_rule_on_a_missing_layer_is_refused(world):
    client, engine, keys = world
    outlet = next(r for r in client.get("/rules").json()["rules"] if r["code"] == "WPPL-64-OUTLET")
    resp = client.patch(f"/rules/{outlet['id']}", json={"enabled": True}, headers=keys["admin"])
    assert resp.status_code == 422 and "sewage_outlets" in resp.json()["description"]
