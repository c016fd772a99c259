"""``python -m app notify …``: the delivery worker, a test message, digests, queue stats."""

from __future__ import annotations

import json
import signal
import sys
import threading

from geo.kernel.config import Settings


def _run(args, settings: Settings) -> int:
    import logging

    from geo.kernel.db import sync_engine
    from geo.notify import NotifySettings, run

    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO: a robot URL carries its key. Never log it.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    engine = sync_engine(settings)
    try:
        tried = run(engine, NotifySettings(), stop, once=args.once)
    finally:
        engine.dispose()
    print(f"notify worker stopped ({tried} deliveries tried)")
    return 0


def _test(args, settings: Settings) -> int:
    from geo.kernel.db import sync_engine
    from geo.notify import NotifySettings, send_test

    engine = sync_engine(settings)
    try:
        delivery, ok = send_test(engine, args.subscription, NotifySettings())
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if ok:
        print(f"sent (delivery {delivery})")
        return 0
    print(
        f"not delivered (delivery {delivery}); see GET /subscriptions/{args.subscription}"
        "/deliveries — the worker retries it",
        file=sys.stderr,
    )
    return 1


def _digest(args, settings: Settings) -> int:
    from geo.kernel.db import sync_engine
    from geo.notify import NotifySettings
    from geo.notify.schedule import build_digests

    engine = sync_engine(settings)
    with engine.begin() as conn:
        n = build_digests(conn, NotifySettings(), force=args.now)
    engine.dispose()
    print(f"{n} digest(s) queued; the worker sends them")
    return 0


def _prune(args, settings: Settings) -> int:
    from geo.kernel.db import sync_engine
    from geo.notify.schedule import prune

    engine = sync_engine(settings)
    with engine.begin() as conn:
        n = prune(conn, args.days)
    engine.dispose()
    print(f"{n} event(s) older than {args.days} days forgotten")
    return 0


def _stats(args, settings: Settings) -> int:
    from geo.kernel.db import sync_engine
    from geo.notify import queue_stats

    engine = sync_engine(settings)
    with engine.connect() as conn:
        print(json.dumps(queue_stats(conn), indent=1))
    engine.dispose()
    return 0


def add_parser(sub) -> None:
    notify = sub.add_parser("notify", help="notifications: worker, test message, digests")
    cmds = notify.add_subparsers(dest="notify_command", required=True)
    r = cmds.add_parser("run", help="deliver notifications until stopped (SIGTERM)")
    r.add_argument("--once", action="store_true", help="one pass over the queue, then exit")
    r.set_defaults(func=_run)
    t = cmds.add_parser("test", help="send a sample message to one subscription now")
    t.add_argument("subscription", type=int, help="subscription id")
    t.set_defaults(func=_test)
    d = cmds.add_parser("digest", help="queue the daily digests that are due")
    d.add_argument("--now", action="store_true", help="gather every digest now")
    d.set_defaults(func=_digest)
    pr = cmds.add_parser("prune", help="forget old events and delivery logs")
    pr.add_argument("--days", type=int, default=90, help="keep this many days (default 90)")
    pr.set_defaults(func=_prune)
    cmds.add_parser("stats", help="queue depth, failures, dead letters").set_defaults(func=_stats)
