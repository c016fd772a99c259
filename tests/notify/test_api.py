"""The subscriptions API and the events of every write path: secrets shown once and never
again, targets refused outside the public internet unless allowed, ownership, admin-only
metrics; violation status changes, confirming inspections, task notes, imports, tasks due
or overdue (sent once), drawn areas, dead letters, and ``notify test``."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app import cli
from app.main import create_app
from geo.notify import NotifySettings, run
from geo.notify.channels import Outgoing
from geo.notify.schedule import prune, scan_tasks
from geo.notify.transport import DeliveryFailed, post
from tests.notify.conftest import CHANGJI, insert_pit, pit_inside
from tests.notify.receivers import Endpoint, HTTPReceiver

ZONE = "WSZ-652301-001-1"  # Changji, grade 1


@pytest.fixture(scope="module")
def http(notify_db) -> Iterator[HTTPReceiver]:
    r = HTTPReceiver()
    yield r
    r.close()
    _, engine = notify_db
    with engine.begin() as conn:  # leave no queue behind for the other modules
        conn.execute(text("DELETE FROM notify_subscriptions WHERE name LIKE 'api:%'"))


def subscribe(client, headers, **body):
    spec = {"name": "api: test", "kinds": ["violation.new"], "channel": "atom", **body}
    return client.post("/subscriptions", json=spec, headers=headers)


def deliveries(engine, sub_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT e.kind, e.ref, d.status FROM notify_deliveries d"
                " JOIN notify_events e ON e.id = d.event_id WHERE d.subscription_id = :s"
                " ORDER BY d.id"
            ),
            {"s": sub_id},
        ).all()


def counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM notify_subscriptions),"
                " (SELECT count(*) FROM notify_deliveries)"
            )
        ).one()


def test_secrets_are_shown_once_and_stored_encrypted(notify_db, notify_client, users, http):
    _, engine = notify_db
    hook = Endpoint("webhook")
    url = http.add("secret-hook", hook)
    r = subscribe(notify_client, users["editor"], channel="webhook", target=url + "?key=K3Y")
    assert r.status_code == 201, r.text
    made = r.json()
    hook.secret = made["secret"]
    assert made["secret"].startswith("whsec_") and "token=" in made["feed_url"]
    sid = made["id"]
    ding = subscribe(
        notify_client,
        users["editor"],
        channel="dingtalk",
        target=http.add("ding", Endpoint("dingtalk", "SECdingding")),
        secret="SECdingding",
        language="en",
    ).json()
    for view in (
        notify_client.get(f"/subscriptions/{sid}", headers=users["editor"]).json(),
        notify_client.get(f"/subscriptions/{ding['id']}", headers=users["editor"]).json(),
        notify_client.get("/subscriptions", headers=users["editor"]).text,
    ):
        dump = view if isinstance(view, str) else json.dumps(view, ensure_ascii=False)
        assert "whsec_" not in dump and "K3Y" not in dump and "SECdingding" not in dump
        assert "feed_url" not in dump and "token=…" in dump
    assert made["target_hint"] == f"{http.base}/…"
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT row_to_json(s)::text FROM notify_subscriptions s WHERE id = ANY(:i)"),
            {"i": [sid, ding["id"]]},
        ).scalars()
        for row in stored:
            assert "K3Y" not in row and "whsec_" not in row and "SECdingding" not in row


@pytest.mark.parametrize(
    "target, words",
    [
        ("http://127.0.0.1:9/x", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://10.1.2.3/hook", "10.1.2.3"),
        ("ftp://example.org/x", "http(s)"),
        ("https://user:pw@example.org/x", "credentials"),
    ],
)
def test_private_and_malformed_targets_are_refused(notify_db, users, target, words):
    settings, engine = notify_db
    strict = NotifySettings(secret_key=None, key_file="/nonexistent/never-written.key")
    before = counts(engine)
    with TestClient(create_app(settings, strict)) as client:
        r = subscribe(client, users["editor"], channel="webhook", target=target)
    assert r.status_code == 422, r.text
    assert words in r.json()["description"]
    assert counts(engine) == before


def test_allowed_network_is_narrow(notify_client, users):
    # Loopback is allowed in these tests; link-local (cloud metadata) still is not.
    r = subscribe(
        notify_client, users["editor"], channel="wecom", target="http://169.254.169.254/x"
    )
    assert r.status_code == 422


def test_bad_requests_are_precise_and_change_nothing(notify_db, notify_client, users):
    _, engine = notify_db
    before = counts(engine)
    cases = [
        ({"kinds": ["violation.exploded"]}, 422),
        ({"layers": ["no_such_layer"]}, 422),
        ({"area": {"type": "Point", "coordinates": [87, 44]}}, 422),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                }
            },
            422,
        ),
        ({"channel": "email", "target": "not-an-address"}, 422),
        ({"channel": "wecom", "target": "http://127.0.0.1:9/x", "secret": "x"}, 422),
        ({"mode": "digest"}, 422),  # atom cannot be a digest
        ({"regions": ["652325"]}, 403),  # the Changji inspector asks for Qitai
    ]
    cases.append(({"regions": ["999999"], "_who": "editor"}, 422))  # unknown county
    for body, status in cases:
        who = body.pop("_who", "changji-inspector")
        r = subscribe(notify_client, users[who], **body)
        assert r.status_code == status, (body, r.text)
    assert subscribe(notify_client, {}, channel="atom").status_code == 401
    assert counts(engine) == before


def test_owners_only_and_admin_metrics(notify_client, users):
    r = subscribe(notify_client, users["changji-inspector"])
    sid = r.json()["id"]
    assert r.json()["regions"] == [CHANGJI]  # defaults to the caller's scope
    other = users["manas-office"]
    assert notify_client.get(f"/subscriptions/{sid}", headers=other).status_code == 404
    assert notify_client.delete(f"/subscriptions/{sid}", headers=other).status_code == 404
    assert notify_client.get(f"/subscriptions/{sid}/deliveries", headers=other).status_code == 404
    assert notify_client.get(f"/subscriptions/{sid}", headers=users["admin"]).status_code == 200
    assert notify_client.get("/subscriptions/stats", headers=other).status_code == 403
    stats = notify_client.get("/subscriptions/stats", headers=users["admin"]).json()
    assert {"queue_depth", "dead_letters", "failed_attempts", "due_now"} <= set(stats)
    r = notify_client.patch(
        f"/subscriptions/{sid}", json={"active": False}, headers=users["changji-inspector"]
    )
    assert r.json()["active"] is False
    assert (
        notify_client.delete(
            f"/subscriptions/{sid}", headers=users["changji-inspector"]
        ).status_code
        == 204
    )


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


def test_dead_letter_after_max_attempts_and_notify_test(
    notify_db, notify_client, notify_settings, users, http, monkeypatch, capsys
):
    settings, engine = notify_db
    endpoint = Endpoint("webhook", fail_first=1000)
    r = subscribe(
        notify_client, users["editor"], channel="webhook", target=http.add("dead", endpoint)
    )
    sid, endpoint.secret = r.json()["id"], r.json()["secret"]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RM_NOTIFY_SECRET_KEY", notify_settings.secret_key)
    monkeypatch.setenv("RM_NOTIFY_ALLOW_PRIVATE_TARGETS", '["127.0.0.0/8"]')
    monkeypatch.setenv("RM_NOTIFY_BACKOFF_BASE_S", "0.05")
    assert cli.main(["notify", "test", str(sid)]) == 1  # the receiver refuses: queued
    assert "not delivered" in capsys.readouterr().err
    fast = notify_settings.model_copy(update={"backoff_base_s": 0.05, "backoff_max_s": 0.05})
    for _ in range(60):
        run(engine, fast, once=True)
        with engine.connect() as conn:
            status = conn.execute(
                text("SELECT status, attempts FROM notify_deliveries WHERE subscription_id = :s"),
                {"s": sid},
            ).one()
        if status[0] == "dead":
            break
        time.sleep(0.06)
    assert tuple(status) == ("dead", notify_settings.max_attempts)
    assert len(endpoint.requests) == notify_settings.max_attempts
    assert endpoint.effects == {}
    stats = notify_client.get("/subscriptions/stats", headers=users["admin"]).json()
    assert stats["dead_letters"] >= 1 and stats["failed_attempts"] >= 4
    ok = Endpoint("webhook")
    r = subscribe(notify_client, users["editor"], channel="webhook", target=http.add("ok", ok))
    ok.secret = r.json()["secret"]
    assert cli.main(["notify", "test", str(r.json()["id"])]) == 0
    [body] = ok.effects.values()
    assert body["kind"] == "test" and body["events"][0]["title"] == "测试消息"


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


def test_timeouts_redirects_and_response_cap(http, notify_settings):
    release = threading.Event()
    slow = http.add("slow", Endpoint("wecom", hang_first=release))
    moved = http.add("moved", Endpoint("wecom", redirect_to="http://169.254.169.254/"))
    big = http.add("big", Endpoint("wecom", padding=1_000_000))
    quick = notify_settings.model_copy(update={"timeout_s": 0.5, "max_response_bytes": 4096})
    body = b'{"msgtype": "markdown", "markdown": {"content": "x"}}'
    try:
        with pytest.raises(DeliveryFailed, match="timed out"):
            post(Outgoing(slow, body, {}, True), quick)
    finally:
        release.set()
    with pytest.raises(DeliveryFailed, match="HTTP 302"):  # never followed
        post(Outgoing(moved, body, {}, True), quick)
    # A 1 MB answer is read only up to the cap: cut short, it is not the robot's JSON.
    with pytest.raises(DeliveryFailed, match="not JSON"):
        post(Outgoing(big, body, {}, True), quick)
    roomy = quick.model_copy(update={"max_response_bytes": 2_000_000})
    assert post(Outgoing(big, body, {}, True), roomy) == 200


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
