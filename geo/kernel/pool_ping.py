"""Ping a pooled connection before use only when it has sat idle.

``pool_pre_ping`` sends a round trip on every checkout: on a small tile that was as costly as
the tile's own SQL. A connection that was in use a moment ago is alive with near certainty;
one that sat in the pool for ``idle_s`` (a database restart, a firewall dropping idle
sockets) is pinged, and replaced if dead (DisconnectionError makes the pool retry).

A database that stopped answering (a restart kills every backend at once) makes every pooled
connection suspect: :func:`suspect` (called when the pool invalidates a connection, and by the
HTTP layer on any "database unavailable") has every connection last taken out before that
moment pinged at its next checkout. A backend killed while its connection sat in the pool
leaves a message in the socket that only the next use reads; without this, that use would be
a user's request, up to ``idle_s`` after the database came back.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

IDLE_KEY = "rm_idle_since"
OUT_KEY = "rm_taken_at"
_SUSPECT_SINCE: weakref.WeakKeyDictionary[Pool, float] = weakref.WeakKeyDictionary()


def suspect(pool: Pool) -> None:
    """Every connection of ``pool`` taken out before now is pinged at its next checkout."""
    _SUSPECT_SINCE[pool] = time.monotonic()


def ping_after_idle(pool: Pool, idle_s: float) -> None:
    @event.listens_for(pool, "invalidate")
    def _invalidated(dbapi_conn: Any, record: Any, exception: BaseException | None) -> None:
        suspect(pool)

    @event.listens_for(pool, "connect")
    def _connected(dbapi_conn: Any, record: Any) -> None:
        record.info[IDLE_KEY] = time.monotonic()

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_conn: Any, record: Any) -> None:
        record.info[IDLE_KEY] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        now = time.monotonic()
        since = record.info.get(IDLE_KEY)
        taken = record.info.get(OUT_KEY, now)
        record.info[OUT_KEY] = now
        fresh = taken >= _SUSPECT_SINCE.get(pool, float("-inf"))
        if since is not None and now - since < idle_s and fresh:
            return
        try:
            cur = dbapi_conn.cursor()
            cur.execute("SELECT 1")
            cur.close()
        except Exception as e:  # noqa: BLE001 - any failure means: not usable
            raise DisconnectionError(f"pooled connection failed its ping: {e}") from e
