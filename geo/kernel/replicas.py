"""Streaming replicas for reads: one chosen per request, a replica that is away skipped for a
while, and the primary when none answers. Which requests may read from a replica is the HTTP
layer's decision (app.connection); this module only knows the nodes."""

from __future__ import annotations

import logging
import random
import time

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from geo.kernel.errors import Overloaded

log = logging.getLogger("restoration_map.replicas")


async def checkout(engine: AsyncEngine, retry_after: int) -> AsyncConnection:
    """A pooled connection, or :class:`Overloaded` (503) after the engine's bounded wait."""
    try:
        return await engine.connect()
    except PoolTimeout:
        raise Overloaded(
            "every database connection is busy; retry shortly", retry_after=retry_after
        ) from None


class ReplicaSet:
    """The replicas' engines (geo.kernel.db.async_engine of each DATABASE_READ_URLS entry);
    one that refused a connection is skipped for ``retry_s`` seconds."""

    def __init__(self, engines: list[AsyncEngine], retry_s: float):
        self.engines = engines
        self.retry_s = retry_s
        self._down_until: dict[int, float] = {}

    def __len__(self) -> int:
        return len(self.engines)

    def healthy(self) -> list[int]:
        now = time.monotonic()
        return [i for i in range(len(self.engines)) if self._down_until.get(i, 0.0) <= now]

    async def connect(self, retry_after: int) -> AsyncConnection | None:
        """A connection to a replica that answers, chosen at random; None when every
        replica is away (the caller then reads from the primary). A full replica pool is
        an overload (503), not a reason to pile onto the primary."""
        candidates = self.healthy()
        random.shuffle(candidates)
        for i in candidates:
            try:
                return await checkout(self.engines[i], retry_after)
            except (DBAPIError, OSError) as exc:
                self._down_until[i] = time.monotonic() + self.retry_s
                log.warning(
                    "replica %d unavailable (%s); reading from elsewhere for %.0f s",
                    i,
                    type(exc).__name__,
                    self.retry_s,
                )
        return None

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()
