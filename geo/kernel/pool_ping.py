"""Ping a pooled connection before use only when it has sat idle.

``pool_pre_ping`` sends a round trip on every checkout: on a small tile that was as costly as
the tile's own SQL. A connection that was in use a moment ago is alive with near certainty;
one that sat in the pool for ``idle_s`` (a database restart, a firewall dropping idle
sockets) is pinged, and replaced if dead (DisconnectionError makes the pool retry).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

IDLE_KEY = "rm_idle_since"


def ping_after_idle(pool: Pool, idle_s: float) -> None:
    @event.listens_for(pool, "connect")
    def _connected(dbapi_conn: Any, record: Any) -> None:
        record.info[IDLE_KEY] = time.monotonic()

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_conn: Any, record: Any) -> None:
        record.info[IDLE_KEY] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(IDLE_KEY)
        if since is not None and time.monotonic() - since < idle_s:
            return
        try:
            cur = dbapi_conn.cursor()
            cur.execute("SELECT 1")
            cur.close()
        except Exception as e:  # noqa: BLE001 - any failure means: not usable
            raise DisconnectionError(f"pooled connection failed its ping: {e}") from e
