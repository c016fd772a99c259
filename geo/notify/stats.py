"""Queue metrics for operators (GET /subscriptions/stats; Prometheus can read the same)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

QUEUE_STATS = text(
    """
SELECT count(*) FILTER (WHERE status = 'pending') AS queue_depth,
       count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now()) AS due_now,
       count(*) FILTER (WHERE status = 'pending' AND attempts > 0) AS retrying,
       count(*) FILTER (WHERE status = 'dead') AS dead_letters,
       count(*) FILTER (WHERE status = 'digest_wait') AS waiting_for_digest,
       count(*) FILTER (WHERE status = 'delivered') AS delivered,
       coalesce(extract(epoch FROM now() - min(next_attempt_at)
                FILTER (WHERE status = 'pending' AND next_attempt_at <= now())), 0)::float8
           AS oldest_due_age_s,
       (SELECT count(*) FROM notify_attempts WHERE NOT ok) AS failed_attempts,
       (SELECT count(*) FROM notify_attempts WHERE NOT ok AND at > now() - interval '1 hour')
           AS failed_attempts_last_hour,
       (SELECT count(*) FROM notify_events) AS events
FROM notify_deliveries
"""
)


def queue_stats(conn: Connection) -> dict[str, Any]:
    """Queue depth, due now, retrying, dead letters, failures (total and last hour)."""
    return dict(conn.execute(QUEUE_STATS).mappings().one())


async def queue_stats_async(conn: AsyncConnection) -> dict[str, Any]:
    return dict((await conn.execute(QUEUE_STATS)).mappings().one())
