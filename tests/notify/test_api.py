"""The subscriptions API: secrets shown once and never again, targets refused outside the
public internet unless allowed, precise refusals that change nothing, ownership, admin-only
metrics; dead letters, ``notify test``, timeouts, redirects and the response cap."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import text

from app import cli
from app.main import create_app
from geo.notify import NotifySettings, run
from geo.notify.channels import Outgoing
from geo.notify.transport import DeliveryFailed, post
from geo.notify.vault import SecretKeyError, decrypt, encrypt
from tests.notify.conftest import CHANGJI, subscribe
from tests.notify.receivers import Endpoint


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
        ({"area": {"type": "Polygon", "coordinates": [[1, 2]]}}, 422),  # not readable
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


def test_secret_key_rotation(notify_settings):
    """New key first: old secrets still open, new ones are sealed with the new key."""
    token = encrypt(notify_settings, "https://robot.example/send?key=abc")
    rotated = notify_settings.model_copy(
        update={"secret_key": f"{Fernet.generate_key().decode()},{notify_settings.secret_key}"}
    )
    assert decrypt(rotated, token) == "https://robot.example/send?key=abc"
    with pytest.raises(SecretKeyError, match="cannot be decrypted"):
        decrypt(notify_settings, encrypt(rotated, "x"))


def test_send_connects_to_the_address_it_checked(http, notify_settings, monkeypatch):
    """DNS rebinding: the name answers a permitted address when checked, then the cloud
    metadata address. The request still goes to the address that was checked, with the
    name in the Host header."""
    endpoint = Endpoint("wecom")
    port = http.server.server_address[1]
    http.add("pinned", endpoint)
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host, *args, **kwargs):
        if host == "rebind.test":
            host = next(answers, "169.254.169.254")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    quick = notify_settings.model_copy(update={"timeout_s": 2})
    body = b'{"msgtype": "markdown", "markdown": {"content": "x"}}'
    assert post(Outgoing(f"http://rebind.test:{port}/pinned", body, {}, True), quick) == 200
    [request] = endpoint.requests
    assert request.headers["Host"] == f"rebind.test:{port}"
    with pytest.raises(DeliveryFailed, match="169.254.169.254"):  # the next check refuses
        post(Outgoing(f"http://rebind.test:{port}/pinned", body, {}, True), quick)
