"""End to end with real receivers: a pit created inside a grade-1 water-source zone in Manas
reaches the Manas office once per channel — a signed webhook (after two planned failures),
a WeCom-shaped and a DingTalk-shaped robot message, an e-mail, one line of an e-mail digest,
an Atom entry — and a rolled-back write reaches nobody."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from geo.notify import run
from tests.notify.conftest import GEOJSON, MANAS, PITS, pit_inside
from tests.notify.receivers import Endpoint, HTTPReceiver, SMTPReceiver

ZONE = "WSZ-652324-001-1"  # Manas, grade 1
DING_SECRET = "SECtest0123456789"


@pytest.fixture(scope="module")
def http() -> Iterator[HTTPReceiver]:
    r = HTTPReceiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def smtp(notify_settings) -> Iterator[SMTPReceiver]:
    r = SMTPReceiver()
    notify_settings.smtp_port = r.port
    yield r
    r.close()


def subscribe(client, headers, **body) -> dict:
    spec = {"name": "test", "kinds": ["violation.new"], "min_severity": "critical", **body}
    r = client.post("/subscriptions", json=spec, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def subs(notify_client, users, http, smtp) -> dict[str, dict]:
    office = users["manas-office"]
    made = {}
    webhook = Endpoint("webhook", fail_first=2)
    made["webhook"] = subscribe(
        notify_client, office, channel="webhook", target=http.add("hook", webhook), language="en"
    )
    webhook.secret = made["webhook"]["secret"]
    made["wecom"] = subscribe(
        notify_client, office, channel="wecom", target=http.add("wecom", Endpoint("wecom"))
    )
    made["dingtalk"] = subscribe(
        notify_client,
        office,
        channel="dingtalk",
        secret=DING_SECRET,
        target=http.add("ding?access_token=abc", Endpoint("dingtalk", DING_SECRET)),
    )
    made["email"] = subscribe(
        notify_client, office, channel="email", target="duty@example.org", language="en"
    )
    made["digest"] = subscribe(
        notify_client, office, channel="email", target="office@example.org", mode="digest"
    )
    made["atom"] = subscribe(notify_client, office, channel="atom")
    # Another county (Qitai): must hear nothing of Manas.
    made["elsewhere"] = subscribe(
        notify_client,
        users["editor"],
        channel="webhook",
        regions=["652325"],
        target=http.add("qitai", Endpoint("webhook")),
    )
    http.endpoints["/qitai"].secret = made["elsewhere"]["secret"]
    return made


def drain(engine, settings, until, timeout: float = 15.0) -> None:
    """Runs worker passes until ``until()`` holds (retries wait for their backoff)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run(engine, settings, once=True)
        if until():
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not get there in time")


def pending(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM notify_deliveries WHERE status = 'pending'")
        ).scalar_one()


@pytest.fixture(scope="module")
def pit_created(notify_db, notify_client, notify_settings, users, subs) -> None:
    """An editor creates a pit inside the grade-1 zone through the API; the worker drains."""
    _, engine = notify_db
    with engine.connect() as conn:
        geometry = pit_inside(conn, ZONE)
    feature = {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": "PIT-NOTIFY-1", "mineral": "sand_gravel", "legacy": True},
    }
    r = notify_client.post(
        PITS,
        content=json.dumps(feature),
        headers={**users["editor"], "Content-Type": GEOJSON},
    )
    assert r.status_code == 201, r.text
    drain(engine, notify_settings, lambda: pending(engine) == 0)


def by_recipient(smtp: SMTPReceiver, address: str) -> list:
    return [mail for rcpt, mail in smtp.messages if rcpt == [address]]


def test_one_signed_webhook_after_two_failures(pit_created, http):
    hook = http.endpoints["/hook"]
    assert hook.bad == []
    assert [q.answered for q in hook.requests] == [500, 500, 200]
    assert len({q.headers["Idempotency-Key"] for q in hook.requests}) == 1
    [body] = hook.effects.values()
    [event] = body["events"]
    assert event["kind"] == "violation.new" and body["language"] == "en"
    assert event["data"]["subject_code"] == "PIT-NOTIFY-1"
    assert event["data"]["protected_code"] == ZONE
    assert event["data"]["severity"] == "critical"
    assert event["link"].startswith("http://map.example.org/map#15/")
    assert http.endpoints["/qitai"].requests == []  # another county hears nothing


def test_one_wecom_and_one_dingtalk_message(pit_created, http):
    wecom = http.endpoints["/wecom"]
    assert wecom.bad == [] and len(wecom.requests) == 1
    content = json.loads(wecom.requests[0].body)["markdown"]["content"]
    assert "新发现违法违规问题" in content and "PIT-NOTIFY-1" in content
    ding = http.endpoints["/ding"]
    assert ding.bad == [] and len(ding.requests) == 1
    assert "access_token=abc&timestamp=" in ding.requests[0].path
    assert "PIT-NOTIFY-1" in json.loads(ding.requests[0].body)["markdown"]["text"]


def test_delivery_log_shows_each_attempt(pit_created, notify_client, users, subs, http):
    [key] = http.endpoints["/hook"].effects
    log = notify_client.get(
        f"/subscriptions/{subs['webhook']['id']}/deliveries", headers=users["manas-office"]
    ).json()["deliveries"]
    assert [(d["status"], d["attempts"], d["idempotency_key"]) for d in log] == [
        ("delivered", 3, key)
    ]
    assert [(a["ok"], a["status_code"]) for a in log[0]["log"]] == [
        (False, 500),
        (False, 500),
        (True, 200),
    ]


def test_immediate_email_links_to_the_map(pit_created, smtp):
    [mail] = by_recipient(smtp, "duty@example.org")
    assert mail["Subject"] == "New violation"
    assert "PIT-NOTIFY-1" in mail.get_body(("plain",)).get_content()
    assert "http://map.example.org/map#15/" in mail.get_body(("html",)).get_content()


def test_daily_digest_has_one_line(pit_created, notify_db, notify_settings, subs, smtp):
    _, engine = notify_db
    assert by_recipient(smtp, "office@example.org") == []  # its hour has not come
    with engine.begin() as conn:  # … now it has: the last digest was two days ago
        conn.execute(
            text(
                "UPDATE notify_subscriptions SET last_digest_at = now() - interval '2 days'"
                " WHERE id = :id"
            ),
            {"id": subs["digest"]["id"]},
        )
    drain(engine, notify_settings, lambda: by_recipient(smtp, "office@example.org") != [])
    run(engine, notify_settings, once=True)  # a second pass sends no second digest
    [mail] = by_recipient(smtp, "office@example.org")
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert plain.count("PIT-NOTIFY-1") == 1
    assert "http://map.example.org/map#15/" in plain and "map#15/" in html
    assert mail["Message-ID"].startswith("<rm-digest-")


def test_atom_feed_needs_its_token(pit_created, notify_client, subs):
    feed_url = subs["atom"]["feed_url"].replace("http://testserver", "")
    atom = notify_client.get(feed_url)
    assert atom.status_code == 200
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert atom.text.count("<entry>") == 1 and "PIT-NOTIFY-1" in atom.text
    assert notify_client.get(feed_url[:-4] + "xxxx").status_code == 404


def test_rolled_back_write_emits_nothing(notify_db, notify_settings, subs, http, smtp):
    _, engine = notify_db
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM notify_events")).scalar_one()
        sent = {p: len(e.requests) for p, e in http.endpoints.items()}
    conn = engine.connect()
    tx = conn.begin()
    conn.execute(text("SELECT set_config('rm.actor', 'test', true)"))
    conn.execute(
        text(
            "INSERT INTO features (layer, code, properties, geom) VALUES ('mining_pits',"
            ' \'PIT-ROLLED-BACK\', \'{"mineral": "sand_gravel", "legacy": true}\','
            " ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326))"
        ),
        {"g": json.dumps(pit_inside(conn, ZONE, 0.0005))},
    )
    # Inside the transaction the outbox has the event and its deliveries …
    inside = conn.execute(
        text(
            "SELECT count(*) FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id"
            " WHERE e.payload->>'subject_code' = 'PIT-ROLLED-BACK'"
        )
    ).scalar_one()
    assert inside == 6
    tx.rollback()
    conn.close()
    # … and after the rollback, nothing exists and nothing is sent.
    run(engine, notify_settings, once=True)
    with engine.connect() as conn:
        after = conn.execute(text("SELECT count(*) FROM notify_events")).scalar_one()
    assert after == before
    assert {p: len(e.requests) for p, e in http.endpoints.items()} == sent


def test_county_user_cannot_subscribe_elsewhere(notify_client, users):
    r = notify_client.post(
        "/subscriptions",
        json={"name": "x", "kinds": ["violation.new"], "channel": "atom", "regions": ["652325"]},
        headers=users["manas-office"],
    )
    assert r.status_code == 403 and "652325" in r.json()["description"]
    mine = notify_client.get("/subscriptions", headers=users["manas-office"]).json()
    assert all(s["regions"] == [MANAS] for s in mine["subscriptions"])
