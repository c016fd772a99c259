"""Time-driven work of the worker: tasks due within N days or overdue (each sent once,
deduplicated by task code + deadline + kind), and the daily digests."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo.notify.settings import NotifySettings

# Latest stated status of each dated task; "overdue" needs evidence: the deadline passed and
# the latest known status is not completed (no status yet: unknown, not overdue).
SCAN_TASKS = text(
    """
WITH horizon AS (
    SELECT coalesce(max(due_within_days), -1) AS days FROM notify_subscriptions
    WHERE active AND 'task.due' = ANY(kinds)
), latest AS (
    SELECT t.code, t.title, t.deadline, t.deadline_text, t.region_code,
           (SELECT n.status FROM task_notes n WHERE n.task_id = t.id AND n.status IS NOT NULL
            ORDER BY n.note_date DESC, n.id DESC LIMIT 1) AS status
    FROM rectification_tasks t WHERE t.deadline IS NOT NULL
), open AS (
    SELECT l.*, CASE WHEN l.deadline < current_date THEN 'task.overdue' ELSE 'task.due' END
           AS kind
    FROM latest l CROSS JOIN horizon h
    WHERE l.status IS DISTINCT FROM 'completed'
      AND ((l.deadline < current_date AND l.status IS NOT NULL)
           OR l.deadline BETWEEN current_date AND current_date + h.days)
), keyed AS (
    SELECT o.*, o.code || '|' || o.deadline || '|' || o.kind AS dedupe_key FROM open o
), inserted AS (
    INSERT INTO notify_events (kind, region_code, ref, dedupe_key, payload)
    SELECT k.kind, k.region_code, 'task:' || k.code, k.dedupe_key,
           jsonb_build_object(
               'task_code', k.code, 'title', k.title, 'deadline', k.deadline,
               'deadline_text', k.deadline_text, 'status', k.status,
               'days_left', k.deadline - current_date, 'region_code', k.region_code,
               'region_name', g.name, 'region_name_en', g.name_en)
    FROM keyed k LEFT JOIN regions g ON g.code = k.region_code
    ORDER BY k.deadline, k.code
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) AS new_events,
       ARRAY(SELECT dedupe_key FROM keyed WHERE kind = 'task.due') AS due_keys
"""
)
# A subscription whose N days are fewer than another's hears of a due task later: queue it
# for every still-open due event once it falls within its own N (unique per subscription).
CATCH_UP = text(
    "SELECT rm_notify_deliver_to(ARRAY(SELECT id FROM notify_events"
    " WHERE dedupe_key = ANY(CAST(:keys AS text[]))))"
)


def scan_tasks(conn: Connection) -> int:
    """Emits the due/overdue events not emitted before; returns deliveries queued."""
    row = conn.execute(SCAN_TASKS).one()
    queued = conn.execute(CATCH_UP, {"keys": list(row.due_keys)}).scalar_one()
    return int(row.new_events) + int(queued)


BUILD_DIGESTS = text(
    """
WITH due AS (
    SELECT s.id, b.boundary
    FROM notify_subscriptions s
    CROSS JOIN LATERAL (
        SELECT CASE WHEN :force THEN now()
                    ELSE date_trunc('day', now() - make_interval(hours => :hour))
                         + make_interval(hours => :hour) END AS boundary) b
    WHERE s.mode = 'digest' AND s.active AND s.channel <> 'atom'
      AND s.last_digest_at < b.boundary
    FOR UPDATE OF s SKIP LOCKED
), stamped AS (
    UPDATE notify_subscriptions s SET last_digest_at = d.boundary FROM due d WHERE s.id = d.id
), digests AS (
    INSERT INTO notify_deliveries (subscription_id, status, idempotency_key)
    SELECT d.id, 'pending',
           'rm-digest-' || d.id || '-'
           || to_char(d.boundary AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS')
    FROM due d
    WHERE EXISTS (SELECT 1 FROM notify_deliveries i
                  WHERE i.subscription_id = d.id AND i.status = 'digest_wait')
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, subscription_id
)
UPDATE notify_deliveries i SET status = 'in_digest', digest_id = g.id
FROM digests g WHERE i.subscription_id = g.subscription_id AND i.status = 'digest_wait'
RETURNING g.id
"""
)


def build_digests(conn: Connection, settings: NotifySettings, force: bool = False) -> int:
    """Gathers the waiting items of every digest subscription whose daily time
    (``digest_hour_utc``) has come — or all of them now, with ``force`` — into one
    delivery each; returns the number of digests queued."""
    rows = conn.execute(BUILD_DIGESTS, {"force": force, "hour": settings.digest_hour_utc})
    return len({r[0] for r in rows})


PRUNE = text(
    "DELETE FROM notify_events e WHERE e.at < now() - make_interval(days => :days)"
    " AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.event_id = e.id"
    " AND d.status IN ('pending', 'digest_wait'))"
)
PRUNE_DIGESTS = text(
    "DELETE FROM notify_deliveries d WHERE d.event_id IS NULL AND d.status <> 'pending'"
    " AND d.created_at < now() - make_interval(days => :days)"
)


def prune(conn: Connection, days: int) -> int:
    """Forgets events older than ``days`` that nothing waits for, with their deliveries and
    attempts (the log is kept that long); returns the number of events deleted."""
    deleted = conn.execute(PRUNE, {"days": days}).rowcount
    conn.execute(PRUNE_DIGESTS, {"days": days})
    return deleted
