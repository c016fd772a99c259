"""What only works when the parts work together: edits re-evaluate violations, county scopes
hold on every write endpoint (and in the database), every kind of change is audited, and the
point check brings tasks along."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.kernel import auth

MANAS, CHANGJI = "652324", "652301"


def _key(engine, name: str, role: str, regions=None) -> dict:
    with engine.begin() as conn:
        _, key = auth.create_user(conn, name, role, regions)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def manas_editor(write_engine):
    return _key(write_engine, "manas-editor", "editor", [MANAS])


@pytest.fixture(scope="module")
def admin(write_engine):
    return _key(write_engine, "ops-admin", "admin")


def _one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def _clean_pit(engine, county: str):
    """A pit of the county with no violation at all."""
    return _one(
        engine,
        "SELECT f.id, ST_AsGeoJSON(f.geom) FROM features f WHERE f.layer = 'mining_pits' "
        "AND f.region_code = :c AND NOT EXISTS (SELECT 1 FROM violations v "
        "WHERE v.subject_id = f.id) ORDER BY f.id LIMIT 1",
        c=county,
    )


def test_patch_with_etag_re_evaluates_violations_and_keeps_history(
    write_client, write_engine, manas_editor
):
    pit_id, original = _clean_pit(write_engine, MANAS)
    # A small square well inside a grade-1 water-source zone of the same county.
    inside = _one(
        write_engine,
        "SELECT ST_AsGeoJSON(ST_Multi(ST_Buffer(ST_PointOnSurface(geom)::geography, 30)::geometry)) "
        "FROM features WHERE layer = 'water_source_zones' AND properties->>'grade' = '1' "
        "AND region_code = :c LIMIT 1",
        c=MANAS,
    )[0]
    url = f"/collections/mining_pits/items/{pit_id}"
    etag = write_client.get(url).headers["etag"]
    patch = {"Content-Type": "application/merge-patch+json", **manas_editor}

    moved = write_client.patch(
        url,
        content=json.dumps({"geometry": json.loads(inside)}),
        headers={**patch, "If-Match": etag},
    )
    assert moved.status_code == 200, moved.text
    open_now = write_client.get(
        "/collections/violations/items", params={"filter": f"subject_id = {pit_id}"}
    ).json()["features"]
    assert open_now, "moving a pit into a grade-1 zone must create a violation"
    assert {f["properties"]["status"] for f in open_now} == {"detected"}

    back = write_client.patch(
        url,
        content=json.dumps({"geometry": json.loads(original)}),
        headers={**patch, "If-Match": moved.headers["etag"]},
    )
    assert back.status_code == 200, back.text
    resolved = _one(
        write_engine,
        "SELECT count(*) FILTER (WHERE resolved_at IS NULL), count(*) FROM violations "
        "WHERE subject_id = :i",
        i=pit_id,
    )
    assert resolved == (0, len(open_now)), "the overlap is gone: resolved by data, not deleted"

    history = write_client.get(f"{url}/history", headers=manas_editor).json()
    entries = (
        history if isinstance(history, list) else history.get("history", history.get("changes"))
    )
    updates = [h for h in entries if h["op"] == "UPDATE"]
    assert len(updates) >= 2 and all(h["actor"] == "manas-editor" for h in updates)
    # The geometry is in the history, before and after, exactly as it was.
    first = updates[0]
    assert "geom" in first["changed"]
    assert first["before"]["geom"]["type"] == first["after"]["geom"]["type"] == "MultiPolygon"
    assert first["after"]["geom"] != first["before"]["geom"]


# A small square inside Changji, outside Manas: where the Manas editor may not write.
_CHANGJI_SQUARE = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[87.30, 44.02], [87.301, 44.02], [87.301, 44.021], [87.30, 44.021], [87.30, 44.02]]]
    ],
}


def _geojson_upload(feature: dict) -> dict:
    """The multipart files of an import of this one feature."""
    body = json.dumps({"type": "FeatureCollection", "features": [feature]})
    return {"file": ("one.geojson", body, "application/geo+json")}


def test_a_county_scoped_editor_cannot_write_outside_the_county(
    write_client, write_engine, manas_editor, unchanged
):
    pit_id, _ = _clean_pit(write_engine, CHANGJI)
    url = f"/collections/mining_pits/items/{pit_id}"
    etag = write_client.get(url).headers["etag"]
    h = manas_editor
    square = _CHANGJI_SQUARE
    assert (
        _one(write_engine, "SELECT rm_county_of(ST_GeomFromGeoJSON(:g))", g=json.dumps(square))[0]
        == CHANGJI
    )
    feature = {
        "type": "Feature",
        "geometry": square,
        "properties": {"code": "SCOPE-TEST-1", "mineral": "clay", "legacy": True},
    }
    violation_id = _one(
        write_engine, "SELECT id FROM violations WHERE region_code = :c LIMIT 1", c=CHANGJI
    )[0]
    attempts = {
        "create": write_client.post("/collections/mining_pits/items", json=feature, headers=h),
        "replace": write_client.put(url, json=feature, headers={**h, "If-Match": etag}),
        "update": write_client.patch(
            url,
            content=json.dumps({"properties": {"town": "x"}}),
            headers={**h, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
        ),
        "delete": write_client.delete(url, headers={**h, "If-Match": etag}),
        "restoration": write_client.post(
            f"/features/{pit_id}/restoration/events", json={"status": "planned"}, headers=h
        ),
        "violation": write_client.post(
            f"/violations/{violation_id}/transitions", json={"action": "confirm"}, headers=h
        ),
        "inspection": write_client.put(
            f"/inspections/{uuid.uuid4()}",
            json={
                "lon": 87.3005,
                "lat": 44.0205,
                "observed_at": "2026-11-20T10:00:00+08:00",
                "verdict": "confirmed",
            },
            headers=h,
        ),
        "import": write_client.post(
            "/collections/mining_pits/import",
            files=_geojson_upload(feature),
            headers=h,
        ),
    }
    for what, resp in attempts.items():
        assert resp.status_code == 403, f"{what}: {resp.status_code} {resp.text[:200]}"


@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("features", "UPDATE features SET name = 'x' WHERE id = :fid"),
        (
            "restoration_events",
            "INSERT INTO restoration_events (record_id, event_date, status, actor) "
            "SELECT r.id, current_date, 'planned', 'someone' FROM restoration_records r "
            "WHERE r.feature_id = :fid",
        ),
        (
            "violation_events",
            "INSERT INTO violation_events (violation_id, action, from_status, to_status, actor) "
            "SELECT v.id, 'confirm', v.status, 'confirmed', 'someone' FROM violations v "
            "WHERE v.subject_id = :fid LIMIT 1",
        ),
    ],
)
def test_the_database_itself_refuses_out_of_scope_writes(write_engine, table, sql):
    """Even SQL that bypasses every endpoint is refused once the transaction carries a scope."""
    fid = _one(
        write_engine,
        "SELECT f.id FROM features f JOIN restoration_records r ON r.feature_id = f.id "
        "JOIN violations v ON v.subject_id = f.id WHERE f.region_code = :c LIMIT 1",
        c=CHANGJI,
    )
    assert fid is not None, "the sample data has a Changji City pit with a record and a violation"
    with pytest.raises(DBAPIError) as err, write_engine.begin() as conn:
        conn.execute(text("SELECT set_config('rm.regions', :s, true)"), {"s": MANAS})
        conn.execute(text(sql), {"fid": fid[0]})
    assert err.value.orig.sqlstate == "RM403"


def test_rule_changes_and_violation_steps_are_audited(write_client, write_engine, admin):
    rule = write_client.get("/rules").json()
    rules = rule if isinstance(rule, list) else rule.get("rules", [])
    target = next(r for r in rules if r["enabled"])
    resp = write_client.patch(
        f"/rules/{target['id']}",
        json={"severity": target["severity"], "notes": "reviewed"},
        headers=admin,
    )
    assert resp.status_code == 200, resp.text
    vid = _one(write_engine, "SELECT id FROM violations WHERE status = 'detected' LIMIT 1")[0]
    step = write_client.post(
        f"/violations/{vid}/transitions", json={"action": "confirm"}, headers=admin
    )
    assert step.status_code == 200, step.text
    with write_engine.connect() as conn:
        audited = conn.execute(
            text("SELECT table_name, op FROM audit_log WHERE actor = 'ops-admin'")
        ).all()
    assert ("violation_rules", "UPDATE") in audited
    assert ("violations", "UPDATE") in audited
    assert ("violation_events", "INSERT") not in audited  # events are their own append-only log


def test_point_check_lists_the_tasks_of_what_is_here(client, engine):
    lon, lat, fid = _one(
        engine,
        "SELECT ST_X(p), ST_Y(p), f.id FROM features f "
        "JOIN task_features tf ON tf.feature_id = f.id, ST_PointOnSurface(f.geom) p "
        "WHERE f.layer = 'water_source_zones' LIMIT 1",
    )
    body = client.get("/checks/point", params={"lon": lon, "lat": lat, "radius_m": 100}).json()
    assert fid in [z["id"] for z in body["containing"]]
    assert body["tasks"], "a zone linked to rectification tasks brings them along"
    today = {t["code"]: t for t in client.get("/tasks", params={"feature_id": fid}).json()["tasks"]}
    for task in body["tasks"]:
        assert task["status"] == today[task["code"]]["status"]
        assert task["overdue"] == today[task["code"]]["overdue"]
