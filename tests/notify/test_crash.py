"""Killing the worker mid-delivery (SIGKILL while the receiver holds the request) and
restarting it delivers every event once in effect: the interrupted delivery is sent again
with the same idempotency key, the receiver drops the repeat, and the database records one
successful attempt per delivery. Two workers after the restart share the queue
(``FOR UPDATE SKIP LOCKED``) without sending anything twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from sqlalchemy import text

from tests.notify.conftest import FUKANG, insert_pit
from tests.notify.receivers import Endpoint, HTTPReceiver

ROOT = Path(__file__).resolve().parents[2]
ZONE = "WSZ-652302-001-1"  # Fukang, grade 1


def start_worker(database_url: str, notify_settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "RM_NOTIFY_SECRET_KEY": notify_settings.secret_key,
        "RM_NOTIFY_ALLOW_PRIVATE_TARGETS": json.dumps(notify_settings.allow_private_targets),
        "RM_NOTIFY_POLL_INTERVAL_S": "0.1",
        "RM_NOTIFY_BACKOFF_BASE_S": "0.2",
        "RM_NOTIFY_TIMEOUT_S": "30",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app", "notify", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def running(worker: subprocess.Popen, database_url: str) -> bool:
    """The worker holds a database connection: it has set its SIGTERM handler (it does so
    before it connects), so a SIGTERM now is a graceful stop, not the default kill that a
    worker still importing at start-up would get."""
    try:
        conns = psutil.Process(worker.pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return False
    port = urlsplit(database_url).port or 5432
    return any(c.raddr and c.raddr.port == port for c in conns)


def _subscribe(client, users, http, endpoint) -> int:
    r = client.post(
        "/subscriptions",
        json={
            "name": "Fukang office",
            "kinds": ["violation.new"],
            "regions": [FUKANG],
            "channel": "webhook",
            "target": http.add("crash?key=TOPSECRET-ROBOT-KEY", endpoint),
        },
        headers=users["editor"],
    )
    assert r.status_code == 201, r.text
    endpoint.secret = r.json()["secret"]
    return r.json()["id"]


def _statuses(engine, sub_id: int) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT status, attempts FROM notify_deliveries WHERE subscription_id = :s"
                " ORDER BY id"
            ),
            {"s": sub_id},
        ).all()


def test_worker_killed_mid_delivery_delivers_each_event_once(
    notify_db, notify_client, notify_settings, users
):
    settings, engine = notify_db
    http = HTTPReceiver()
    release = threading.Event()
    endpoint = Endpoint("webhook", hang_first=release)
    sub_id = _subscribe(notify_client, users, http, endpoint)
    with engine.begin() as conn:
        for n in range(3):
            insert_pit(conn, f"PIT-CRASH-{n}", ZONE)

    def statuses() -> list[tuple[str, int]]:
        return _statuses(engine, sub_id)

    assert [s for s, _ in statuses()] == ["pending"] * 3
    worker = start_worker(settings.database_url, notify_settings)
    try:
        assert endpoint.hung.wait(30), worker.communicate(timeout=5)[0]
        worker.kill()  # SIGKILL: between send and commit
        worker.wait(10)
    finally:
        release.set()
    assert [s for s, _ in statuses()] == ["pending"] * 3  # nothing was recorded

    workers = [start_worker(settings.database_url, notify_settings) for _ in range(2)]
    try:
        wait_for(lambda: [s for s, _ in statuses()] == ["delivered"] * 3)
        wait_for(lambda: all(running(w, settings.database_url) for w in workers))
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(15) for w in workers]
        http.close()
    assert codes == [0, 0]
    logs = b"".join(w.communicate()[0] for w in [worker, *workers]).decode()
    assert "notify worker stopped" in logs
    assert "TOPSECRET" not in logs and endpoint.secret not in logs  # never logged

    keys = [q.headers["Idempotency-Key"] for q in endpoint.requests]
    assert len(keys) == 4 and len(set(keys)) == 3
    assert keys.count(keys[0]) == 2  # only the interrupted one was sent again
    assert endpoint.bad == []
    assert len(endpoint.effects) == 3  # each event took effect once
    assert statuses() == [("delivered", 1)] * 3
    with engine.connect() as conn:
        attempts = conn.execute(
            text(
                "SELECT count(*) FROM notify_attempts a JOIN notify_deliveries d"
                " ON d.id = a.delivery_id WHERE d.subscription_id = :s"
            ),
            {"s": sub_id},
        ).scalar_one()
    assert attempts == 3
