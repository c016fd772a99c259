"""The vocabularies of notifications, defined once (models, API and migration use them)."""

from __future__ import annotations

# What a subscription can ask for (``test`` is only sent by ``notify test``).
KINDS = (
    "violation.new",
    "violation.reopened",
    "violation.status",
    "task.due",
    "task.overdue",
    "task.status",
    "inspection.confirmed",
    "import",
)
EVENT_KINDS = (*KINDS, "test")
CHANNELS = ("webhook", "wecom", "dingtalk", "email", "atom")
MODES = ("immediate", "digest")
LANGUAGES = ("zh", "en")
# pending → delivered | dead; digest items wait, then ride in one digest delivery;
# atom subscriptions only list their events in the feed.
DELIVERY_STATUSES = ("pending", "delivered", "dead", "digest_wait", "in_digest", "feed")
