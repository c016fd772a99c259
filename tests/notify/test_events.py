"""Events of every write path reach the subscriptions that match them: violation status
changes, confirming inspections, task notes, imports (one event per county), tasks due or
overdue (each sent once), drawn areas, layers and severity; old events are pruned."""

from __future__ import annotations

import json
import uuid

import pytest
from shapely.geometry import box, mapping, shape
from sqlalchemy import text

from geo.notify.messages import render
from geo.notify.schedule import prune, scan_tasks
from tests.notify.conftest import CHANGJI, deliveries, insert_pit, pit_inside, subscribe

ZONE = "WSZ-652301-001-1"  # Changji, grade 1
pytestmark = pytest.mark.usefixtures("forget_api_subscriptions")


def inspect(conn, vid: int, verdict: str) -> None:
    uid = conn.execute(text("SELECT id FROM users WHERE name = 'editor'")).scalar_one()
    conn.execute(
        text(
            "INSERT INTO inspections (uuid, geom, observed_at, verdict, violation_id,"
            " region_code, inspector_id, body_hash) VALUES (:u,"
            " ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326)), now(), :v,"
            " :vid, :r, :uid, 'x')"
        ),
        {
            "u": uuid.uuid4(),
            "g": json.dumps(pit_inside(conn, ZONE)),
            "v": verdict,
            "vid": vid,
            "r": CHANGJI,
            "uid": uid,
        },
    )


def add_task(conn, code: str, days: int, note_days: int, status: str | None) -> None:
    """A Changji task due in ``days`` (negative: past) with a note dated ``note_days``."""
    tid = conn.execute(
        text(
            "INSERT INTO rectification_tasks (code, title, round, deadline_kind, deadline,"
            " region_code) VALUES (:c, 'Restore the pit', 'test', 'date',"
            " current_date + :d, :r) RETURNING id"
        ),
        {"c": code, "d": days, "r": CHANGJI},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO task_notes (task_id, note_date, status, text, actor) VALUES"
            " (:t, current_date + :n, :s, 'begun', 'test'),"
            " (:t, current_date + :n, NULL, 'a remark, no status', 'test')"
        ),
        {"t": tid, "n": note_days, "s": status},
    )


def test_every_write_path_emits(notify_db, notify_client, users):
    _, engine = notify_db
    kinds = ["violation.status", "inspection.confirmed", "task.status", "import"]
    sid = subscribe(notify_client, users["editor"], kinds=kinds, regions=[CHANGJI]).json()["id"]
    with engine.begin() as conn:
        insert_pit(conn, "PIT-API-1", ZONE)
        vid = conn.execute(
            text("SELECT id FROM violations WHERE subject_code = 'PIT-API-1'")
        ).scalar_one()
    r = notify_client.post(
        f"/violations/{vid}/transitions", json={"action": "confirm"}, headers=users["editor"]
    )
    assert r.status_code == 200, r.text
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('rm.actor', 'test', true)"))
        inspect(conn, vid, "confirmed")
        inspect(conn, vid, "not_confirmed")  # not an event
        add_task(conn, "API-T1", 3, 0, "in_progress")
        conn.execute(
            text(
                "INSERT INTO features (layer, code, source, properties, geom) VALUES"
                " ('mining_pits', 'PIT-IMPORTED', 'import: pits.gpkg',"
                ' \'{"mineral": "sand_gravel", "legacy": true}\','
                " ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326))"
            ),
            {"g": json.dumps(pit_inside(conn, ZONE, 0.001))},
        )
    got = deliveries(engine, sid)
    assert [(k, s) for k, _, s in got] == [
        ("violation.status", "feed"),
        ("inspection.confirmed", "feed"),
        ("task.status", "feed"),
        ("import", "feed"),
    ]
    assert got[0][1] == f"violation:{vid}" and got[2][1] == "task:API-T1"


def test_tasks_due_and_overdue_are_sent_once(notify_db, notify_client, users):
    _, engine = notify_db
    soon = subscribe(
        notify_client, users["editor"], kinds=["task.due"], regions=[CHANGJI], due_within_days=7
    ).json()["id"]
    later = subscribe(
        notify_client, users["editor"], kinds=["task.due"], regions=[CHANGJI], due_within_days=1
    ).json()["id"]
    late = subscribe(
        notify_client, users["editor"], kinds=["task.overdue"], regions=[CHANGJI]
    ).json()["id"]
    with engine.begin() as conn:
        add_task(conn, "API-LATE", -10, -20, "in_progress")
        add_task(conn, "API-DONE", -10, -20, "completed")  # overdue needs "not completed"
        add_task(conn, "API-UNKNOWN", -10, -20, None)  # … and evidence of a status
    for _ in range(3):  # the worker scans again and again; each is sent once
        with engine.begin() as conn:
            scan_tasks(conn)
    assert [(k, r) for k, r, _ in deliveries(engine, soon)] == [("task.due", "task:API-T1")]
    assert deliveries(engine, later) == []  # due in 3 days, this one wants 1
    assert [(k, r) for k, r, _ in deliveries(engine, late)] == [("task.overdue", "task:API-LATE")]
    with engine.connect() as conn:
        keys = (
            conn.execute(
                text(
                    "SELECT dedupe_key FROM notify_events WHERE ref IN ('task:API-T1', 'task:API-LATE')"
                    " AND kind <> 'task.status' ORDER BY 1"
                )
            )
            .scalars()
            .all()
        )
    assert len(keys) == 2 and keys[0].startswith("API-LATE|") and keys[0].endswith("|task.overdue")


def test_drawn_area_and_severity_filter(notify_db, notify_client, users):
    _, engine = notify_db
    with engine.connect() as conn:
        here = pit_inside(conn, ZONE)
    far = {"type": "Polygon", "coordinates": [[[80, 40], [80.1, 40], [80.1, 40.1], [80, 40]]]}
    inside = subscribe(notify_client, users["editor"], area=here).json()["id"]
    outside = subscribe(notify_client, users["editor"], area=far).json()["id"]
    low_only = subscribe(
        notify_client, users["editor"], min_severity="critical", layers=["grassland_occupations"]
    ).json()["id"]
    with engine.begin() as conn:
        insert_pit(conn, "PIT-API-AREA", ZONE)
    assert [k for k, _, _ in deliveries(engine, inside)] == ["violation.new"]
    assert deliveries(engine, outside) == []
    assert deliveries(engine, low_only) == []  # a pit, not a grassland occupation


def test_prune_keeps_what_is_still_waiting(notify_db, notify_client, users):
    _, engine = notify_db
    sid = subscribe(notify_client, users["editor"], regions=[CHANGJI]).json()["id"]
    with engine.begin() as conn:
        old = (
            conn.execute(
                text(
                    "INSERT INTO notify_events (kind, ref, payload, at) VALUES"
                    " ('test', 'old-done', '{}', now() - interval '100 days'),"
                    " ('test', 'old-waiting', '{}', now() - interval '100 days'),"
                    " ('test', 'recent', '{}', now() - interval '10 days') RETURNING id"
                )
            )
            .scalars()
            .all()
        )
        for event, status in zip(old, ("delivered", "pending", "delivered"), strict=True):
            conn.execute(
                text(
                    "INSERT INTO notify_deliveries (subscription_id, event_id, status,"
                    " idempotency_key) VALUES (:s, :e, :st, 'prune-' || :e)"
                ),
                {"s": sid, "e": event, "st": status},
            )
        assert prune(conn, 90) == 1
        left = (
            conn.execute(
                text("SELECT ref FROM notify_events WHERE id = ANY(:ids) ORDER BY id"), {"ids": old}
            )
            .scalars()
            .all()
        )
        assert left == ["old-waiting", "recent"]
        conn.execute(text("DELETE FROM notify_events WHERE id = ANY(:ids)"), {"ids": old})


def test_an_import_is_one_event_per_county(notify_db, notify_client, users):
    _, engine = notify_db
    sid = subscribe(notify_client, users["editor"], kinds=["import"], regions=[CHANGJI]).json()[
        "id"
    ]
    with engine.connect() as conn:
        geometry = pit_inside(conn, ZONE, 0.002)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"code": f"PIT-IMP-{n}", "mineral": "coal", "legacy": True, **extra},
            }
            for n, extra in enumerate([{}, {"source": "county survey 2024"}])
        ],
    }
    r = notify_client.post(
        "/collections/mining_pits/import",
        files={"file": ("pits.geojson", json.dumps(collection).encode())},
        headers=users["editor"],
    )
    assert r.status_code == 200 and r.json()["inserted"] == 2, r.text
    with engine.connect() as conn:
        payloads = (
            conn.execute(
                text(
                    "SELECT e.payload FROM notify_deliveries d JOIN notify_events e"
                    " ON e.id = d.event_id WHERE d.subscription_id = :s"
                ),
                {"s": sid},
            )
            .scalars()
            .all()
        )
    assert [(p["count"], p["layer"], p["region_code"]) for p in payloads] == [
        (2, "mining_pits", CHANGJI)
    ]
    assert payloads[0]["actor"] == "editor"


def test_an_imports_detections_are_one_event_per_rule_and_county(notify_db, notify_client, users):
    _, engine = notify_db
    with engine.connect() as conn:
        pits = [pit_inside(conn, ZONE, offset) for offset in (0.0, 0.0005, 0.001)]
    far = {"type": "Polygon", "coordinates": [[[80, 40], [80.1, 40], [80.1, 40.1], [80, 40]]]}
    county = subscribe(notify_client, users["editor"], regions=[CHANGJI]).json()["id"]
    here = subscribe(notify_client, users["editor"], area=pits[0]).json()["id"]
    away = subscribe(notify_client, users["editor"], area=far).json()["id"]
    # inside the extent of the pits (octagons), outside every one of them
    x0, y0, x1, y1 = shape(pits[-1]).bounds
    dx, dy = (x1 - x0) / 20, (y1 - y0) / 20
    corner = subscribe(notify_client, users["editor"], area=mapping(box(x1 - dx, y1 - dy, x1, y1)))
    corner = corner.json()["id"]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": g,
                "properties": {"code": f"PIT-BULKV-{n}", "mineral": "coal", "legacy": True},
            }
            for n, g in enumerate(pits)
        ],
    }
    r = notify_client.post(
        "/collections/mining_pits/import",
        files={"file": ("bulk-pits.geojson", json.dumps(collection).encode())},
        headers=users["editor"],
    )
    assert r.status_code == 200 and r.json()["inserted"] == 3, r.text
    with engine.connect() as conn:
        detected = conn.execute(
            text(
                "SELECT r.code, v.region_code, count(*), round(sum(v.area_m2)::numeric, 1)"
                " FROM violations v JOIN violation_rules r ON r.id = v.rule_id"
                " WHERE v.subject_code LIKE 'PIT-BULKV-%' GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ).all()
        got = conn.execute(
            text(
                "SELECT e.payload FROM notify_deliveries d JOIN notify_events e"
                " ON e.id = d.event_id WHERE d.subscription_id = :s ORDER BY 1"
            ),
            {"s": county},
        ).scalars()
        payloads = sorted(got, key=lambda p: (p["rule_code"], p["region_code"]))
    assert detected and all(n == 3 for _, _, n, _ in detected)  # each pit breaks each rule
    # one event per rule and county, carrying the count and area of what it stands for
    assert [(p["rule_code"], p["region_code"], p["count"], p["area_m2"]) for p in payloads] == [
        (c, rc, n, float(a)) for c, rc, n, a in detected
    ]
    assert all(p["file"] == "bulk-pits.geojson" and "violation_id" not in p for p in payloads)
    assert [k for k, _, _ in deliveries(engine, here)] == ["violation.new"] * len(detected)
    assert deliveries(engine, away) == deliveries(engine, corner) == []
    msg = render("violation.new", payloads[0], "2026-12-04", "en", "http://h")
    assert ("Features", "3") in msg.lines and msg.link.startswith("http://h/map#15/")
