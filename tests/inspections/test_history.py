"""Inspections drive violations and have a history (issue 13, item 6): a verdict moves the
violation along its lifecycle when the role allows; lookups by code; history per feature and
per violation with a photo gallery."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app
from tests.fresh_db import make_key, table_counts
from tests.inspections.test_inspections import body, jpeg


@pytest.fixture(scope="module")
def world(write_settings, write_engine, tmp_path_factory):
    s = write_settings.model_copy(update={"photo_dir": str(tmp_path_factory.mktemp("p"))})
    with TestClient(create_app(s)) as c:
        keys = {
            r: make_key(write_engine, f"{r}-{uuid.uuid4().hex[:6]}", r)
            for r in ("viewer", "inspector", "editor")
        }
        yield c, write_engine, keys


def _violation(engine, status: str = "detected") -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT v.id, v.subject_id, v.subject_code, ST_X(p) lon, ST_Y(p) lat"
                " FROM violations v, ST_PointOnSurface(v.geom) p"
                " WHERE v.status = :s AND v.region_code IS NOT NULL ORDER BY v.id LIMIT 1"
            ),
            {"s": status},
        ).one()
    return dict(row._mapping)


def _status(engine, vid: int) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT status FROM violations WHERE id = :i"), {"i": vid}
        ).scalar()


def _inspect(client, key, v, verdict, **extra):
    uid = str(uuid.uuid4())
    r = client.put(
        f"/inspections/{uid}",
        json=body(lon=v["lon"], lat=v["lat"], verdict=verdict, violation_id=v["id"], **extra),
        headers=key,
    )
    assert r.status_code in (200, 201), r.text
    return uid, r


def test_confirmed_verdict_confirms_a_detected_violation_once(world):
    client, engine, keys = world
    v = _violation(engine)
    uid, r = _inspect(client, keys["inspector"], v, "confirmed")
    step = r.json()["violation_step"]
    assert step == {"violation_id": v["id"], "from": "detected", "to": "confirmed", "applied": True}
    assert _status(engine, v["id"]) == "confirmed"
    with engine.connect() as conn:
        ev = conn.execute(
            text(
                "SELECT action, evidence FROM violation_events WHERE violation_id = :i"
                " ORDER BY id DESC LIMIT 1"
            ),
            {"i": v["id"]},
        ).one()
    assert ev.action == "confirm" and ev.evidence == {"inspection": uid}
    # the same PUT again (an offline retry) stores nothing and moves nothing
    before = table_counts(engine)
    again = client.put(
        f"/inspections/{uid}",
        json=body(lon=v["lon"], lat=v["lat"], verdict="confirmed", violation_id=v["id"]),
        headers=keys["inspector"],
    )
    assert again.status_code == 200 and "violation_step" not in again.json()
    assert table_counts(engine) == before


def test_a_step_the_role_may_not_take_records_the_inspection_only(world):
    client, engine, keys = world
    v = _violation(engine)
    # detected -> confirmed, then an inspector says "rectified": no step from confirmed
    _inspect(client, keys["inspector"], v, "confirmed")
    _, r = _inspect(client, keys["inspector"], v, "rectified")
    assert r.json()["violation_step"]["applied"] is False
    assert _status(engine, v["id"]) == "confirmed"
    # rectifying -> rectified needs an editor: an inspector's verdict records, moves nothing
    client.post(
        f"/violations/{v['id']}/transitions", json={"to": "rectifying"}, headers=keys["editor"]
    )
    _, r = _inspect(client, keys["inspector"], v, "rectified")
    step = r.json()["violation_step"]
    assert step["applied"] is False and "editor" in step["reason"]
    assert _status(engine, v["id"]) == "rectifying"
    _, r = _inspect(client, keys["editor"], v, "rectified")
    assert r.json()["violation_step"]["applied"] is True
    assert _status(engine, v["id"]) == "rectified"


def test_not_confirmed_dismisses(world):
    client, engine, keys = world
    v = _violation(engine)
    _inspect(client, keys["inspector"], v, "not_confirmed")
    assert _status(engine, v["id"]) == "dismissed"


def test_lookup_by_code_is_case_insensitive_and_knows_violations(world):
    client, engine, keys = world
    v = _violation(engine)
    code = v["subject_code"]
    r = client.get("/inspections/subjects", params={"code": code.lower()}, headers=keys["viewer"])
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["kind"] == "feature" and got["id"] == v["subject_id"] and got["code"] == code
    assert 85 < got["lon"] < 92
    r = client.get("/inspections/subjects", params={"code": f"v-{v['id']}"}, headers=keys["viewer"])
    assert r.json()["kind"] == "violation" and r.json()["id"] == v["id"]
    assert (
        client.get(
            "/inspections/subjects", params={"code": "NOPE-1"}, headers=keys["viewer"]
        ).status_code
        == 404
    )
    assert client.get("/inspections/subjects", params={"code": code}).status_code == 401
    assert client.get("/inspections/subjects", headers=keys["viewer"]).status_code == 422


def test_history_of_a_violation_and_its_feature_with_photos(world):
    client, engine, keys = world
    v = _violation(engine)
    uid, _ = _inspect(client, keys["inspector"], v, "confirmed")
    data = jpeg()
    p = client.post(
        f"/inspections/{uid}/photos",
        files={"file": ("a.jpg", data, "image/jpeg")},
        headers=keys["inspector"],
    )
    assert p.status_code == 201, p.text
    other, _ = _inspect(client, keys["inspector"], v, "needs_follow_up")
    h = client.get(
        "/inspections/history", params={"violation_id": v["id"]}, headers=keys["viewer"]
    ).json()
    assert [i["uuid"] for i in h["inspections"]][:2] and {uid, other} <= {
        i["uuid"] for i in h["inspections"]
    }
    assert [e["to_status"] for e in h["events"]][-1] == "confirmed"
    assert len(h["photos"]) == 1 and h["photos"][0]["inspection"] == uid
    photo = client.get(h["photos"][0]["href"], headers=keys["viewer"])
    assert photo.content == data
    # the feature's history includes its violations' inspections
    f = client.get(
        "/inspections/history", params={"feature_id": v["subject_id"]}, headers=keys["viewer"]
    ).json()
    assert {uid, other} <= {i["uuid"] for i in f["inspections"]}
    assert f["subject"]["kind"] == "feature" and "events" not in f
