"""Notifications: subscriptions by county, layer, severity or drawn area; an outbox written
by database triggers in the transaction of each change; a worker that delivers to webhooks,
WeCom / DingTalk group robots and e-mail (immediate or daily digest), and Atom feeds."""

from geo.notify.delivery import deliver_next
from geo.notify.kinds import CHANNELS, KINDS, LANGUAGES, MODES
from geo.notify.settings import NotifySettings
from geo.notify.stats import queue_stats, queue_stats_async
from geo.notify.worker import run, send_test

__all__ = [
    "CHANNELS",
    "KINDS",
    "LANGUAGES",
    "MODES",
    "NotifySettings",
    "deliver_next",
    "queue_stats",
    "queue_stats_async",
    "run",
    "send_test",
]
