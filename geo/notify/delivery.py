"""Delivering one queued notification: claimed with ``FOR UPDATE SKIP LOCKED`` (so any
number of workers share the queue), sent while the row stays locked, and the outcome
recorded in the same transaction. A worker killed between send and commit leaves the row
pending; it is sent again with the same idempotency key (at-least-once transport; the
receiver drops the repeat: exactly-once effect)."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Connection, Engine, text

from geo.kernel.errors import ServiceError
from geo.notify import channels
from geo.notify.messages import Message, render
from geo.notify.settings import NotifySettings
from geo.notify.transport import DeliveryFailed, post, send_mail
from geo.notify.vault import decrypt

log = logging.getLogger(__name__)

_CLAIM = """
SELECT d.id, d.subscription_id, d.event_id, d.attempts, d.idempotency_key,
       s.channel, s.target_enc, s.secret_enc, s.language
FROM notify_deliveries d
JOIN notify_subscriptions s ON s.id = d.subscription_id
WHERE d.status = 'pending' AND {where}
ORDER BY d.next_attempt_at, d.id
LIMIT 1
FOR UPDATE OF d SKIP LOCKED
"""
CLAIM_NEXT = text(_CLAIM.format(where="d.next_attempt_at <= now() AND s.active"))
CLAIM_ONE = text(_CLAIM.format(where="d.id = :id"))

EVENTS = text(
    "SELECT e.id, e.kind, e.payload, to_char(e.at AT TIME ZONE 'UTC',"
    ' \'YYYY-MM-DD"T"HH24:MI:SS"Z"\') AS at'
    " FROM notify_events e WHERE e.id = :event"
    " OR e.id IN (SELECT i.event_id FROM notify_deliveries i WHERE i.digest_id = :delivery)"
    " ORDER BY e.id"
)
DELIVERED = text(
    "UPDATE notify_deliveries SET status = 'delivered', attempts = attempts + 1,"
    " delivered_at = now(), last_error = NULL WHERE id = :id"
)
FAILED = text(
    "UPDATE notify_deliveries SET attempts = attempts + 1, last_error = :error,"
    " status = CASE WHEN attempts + 1 >= :max THEN 'dead' ELSE 'pending' END,"
    " next_attempt_at = now() + make_interval(secs => :delay) WHERE id = :id"
)
ATTEMPT = text(
    "INSERT INTO notify_attempts (delivery_id, attempt, ok, status_code, error, duration_ms)"
    " VALUES (:id, :attempt, :ok, :code, :error, :ms)"
)


def backoff_s(attempt: int, settings: NotifySettings) -> float:
    """Delay after failed attempt number ``attempt`` (1-based): base · 2^(attempt-1), capped.

    >>> s = NotifySettings(backoff_base_s=30, backoff_max_s=600)
    >>> [backoff_s(n, s) for n in (1, 2, 3, 6)]
    [30.0, 60.0, 120.0, 600.0]
    """
    return min(settings.backoff_base_s * 2 ** (attempt - 1), settings.backoff_max_s)


def _send(row: Any, events: list[Any], settings: NotifySettings) -> int | None:
    """Builds the channel's message and sends it; returns an HTTP status code if any."""
    lang = row.language
    messages: list[Message] = [
        render(e.kind, e.payload, e.at, lang, settings.public_url) for e in events
    ]
    key = row.idempotency_key
    target = decrypt(settings, row.target_enc)
    secret = decrypt(settings, row.secret_enc)
    now = time.time()
    if row.channel == "webhook":
        evs = [{"id": e.id, "payload": e.payload} for e in events]
        out = channels.webhook(
            target, secret, key, row.subscription_id, lang, messages, evs, int(now)
        )
    elif row.channel == "wecom":
        out = channels.wecom(target, key, lang, messages)
    elif row.channel == "dingtalk":
        out = channels.dingtalk(target, secret, key, lang, messages, int(now * 1000))
    elif row.channel == "email":
        send_mail(channels.email(settings.smtp_from, target, key, lang, messages), settings)
        return None
    else:
        raise DeliveryFailed(f"channel {row.channel!r} is not pushed")
    return post(out, settings)


def attempt(conn: Connection, row: Any, settings: NotifySettings) -> bool:
    """Sends the claimed delivery ``row`` and records the attempt; True when delivered."""
    events = conn.execute(EVENTS, {"event": row.event_id, "delivery": row.id}).all()
    number = row.attempts + 1
    started = time.monotonic()
    code, error = None, None
    try:
        if not events:
            raise DeliveryFailed("nothing to send: the events are gone")
        code = _send(row, events, settings)
    except DeliveryFailed as exc:
        code, error = exc.status_code, exc.reason
    except ServiceError as exc:  # e.g. a secret that no longer decrypts: say so
        error = exc.description
    except Exception as exc:  # a bug must not retry forever unseen: it is logged and counted
        log.exception("delivery %s failed unexpectedly", row.id)
        error = f"internal error: {type(exc).__name__}"
    ms = int((time.monotonic() - started) * 1000)
    conn.execute(
        ATTEMPT,
        {
            "id": row.id,
            "attempt": number,
            "ok": error is None,
            "code": code,
            "error": error,
            "ms": ms,
        },
    )
    if error is None:
        conn.execute(DELIVERED, {"id": row.id})
        return True
    conn.execute(
        FAILED,
        {
            "id": row.id,
            "error": error,
            "max": settings.max_attempts,
            "delay": backoff_s(number, settings),
        },
    )
    log.info("delivery %s attempt %s failed: %s", row.id, number, error)
    return False


def deliver_next(engine: Engine, settings: NotifySettings) -> bool:
    """Claims and sends the oldest due delivery, in its own transaction; False if none."""
    with engine.begin() as conn:
        row = conn.execute(CLAIM_NEXT).first()
        if row is None:
            return False
        attempt(conn, row, settings)
    return True


def deliver_id(engine: Engine, delivery_id: int, settings: NotifySettings) -> bool | None:
    """Sends one pending delivery now (``notify test``); None when it is not pending or
    another worker holds it."""
    with engine.begin() as conn:
        row = conn.execute(CLAIM_ONE, {"id": delivery_id}).first()
        return None if row is None else attempt(conn, row, settings)
