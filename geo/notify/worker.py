"""The worker (``python -m app notify run``): looks for due tasks now and then, builds the
daily digests, and drains the queue; sleeps ``poll_interval_s`` when there is nothing to do.
Everything it knows lives in the database, so a restart loses nothing."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from geo.notify.delivery import deliver_id, deliver_next
from geo.notify.schedule import build_digests, prune, scan_tasks
from geo.notify.settings import NotifySettings

log = logging.getLogger(__name__)


def run(
    engine: Engine,
    settings: NotifySettings,
    stop: threading.Event | None = None,
    once: bool = False,
) -> int:
    """Works until ``stop`` is set (or one pass with ``once``); returns deliveries tried."""
    stop = stop or threading.Event()
    next_scan = 0.0
    tried = 0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_scan:
                with engine.begin() as conn:
                    queued = scan_tasks(conn)
                    if settings.retention_days:
                        prune(conn, settings.retention_days)
                if queued:
                    log.info("tasks due or overdue: %s new deliveries", queued)
                next_scan = time.monotonic() + settings.scan_interval_s
            with engine.begin() as conn:
                build_digests(conn, settings)
            while not stop.is_set() and deliver_next(engine, settings):
                tried += 1
        except OperationalError as exc:
            # The database is away (restart, failover): nothing is lost, try again later.
            if once:
                raise
            log.warning("database unavailable, retrying: %s", type(exc).__name__)
            stop.wait(max(5.0, settings.poll_interval_s))
            continue
        if once:
            break
        stop.wait(settings.poll_interval_s)
    return tried


TEST_EVENT = text(
    "INSERT INTO notify_events (kind, ref, payload) VALUES ('test', 'test',"
    " jsonb_build_object('subscription', CAST(:sid AS bigint))) RETURNING id"
)
TEST_DELIVERY = text(
    "INSERT INTO notify_deliveries (subscription_id, event_id, idempotency_key)"
    " SELECT s.id, :event, 'rm-' || :event || '-' || s.id FROM notify_subscriptions s"
    " WHERE s.id = :sid AND s.channel <> 'atom' RETURNING id"
)


def send_test(engine: Engine, subscription_id: int, settings: NotifySettings) -> tuple[int, bool]:
    """Queues a sample message for one subscription and tries it at once. Returns the
    delivery id and whether it arrived; a failed one stays queued for the worker's retries.
    Raises LookupError for an unknown or feed-only subscription."""
    with engine.begin() as conn:
        event = conn.execute(TEST_EVENT, {"sid": subscription_id}).scalar_one()
        delivery = conn.execute(TEST_DELIVERY, {"event": event, "sid": subscription_id}).scalar()
        if delivery is None:
            raise LookupError(f"no push subscription {subscription_id}")
    return delivery, bool(deliver_id(engine, delivery, settings))
