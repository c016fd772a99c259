"""The collection catalog kept in memory, dropped on PostgreSQL ``NOTIFY``.

Every request used to look its collection up in ``layers`` (a round trip as costly as a
small tile). Here the layers are read once and kept until a trigger on ``layers``
(geo/catalog/sql/layers_notify.sql) notifies channel ``rm_catalog``, which PostgreSQL does
when the writing transaction commits. A listener connection of its own receives them; each
lookup first drains what has arrived on that socket (libpq ``consume_input``: no round trip),
so a change committed before the request reached the server's socket is seen. While the
listener is not connected (start-up, a lost connection) every lookup reads the database,
as before: a stale layer (e.g. one made private) is never served from memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import psycopg
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import Collection, list_collections
from geo.kernel.errors import NotFound

CHANNEL = "rm_catalog"
RETRY_S = 1.0
CONNECT_TIMEOUT_S = 5  # start-up never waits longer than this for the listener
log = logging.getLogger(__name__)

Connect = Callable[[], Awaitable[AsyncConnection]]


class LiveCatalog:
    def __init__(self, database_url: str):
        self.database_url = database_url
        self._listener: psycopg.AsyncConnection | None = None
        self._reconnect: asyncio.Task | None = None
        self._layers: dict[str, Collection] | None = None
        self.loads = 0  # database reads of the catalog (tests and diagnostics)

    @property
    def listening(self) -> bool:
        return self._listener is not None

    @property
    def listener_pid(self) -> int | None:
        """The listener's backend process id (diagnostics, tests)."""
        return None if self._listener is None else self._listener.info.backend_pid

    async def start(self) -> None:
        """Connect the listener; on failure lookups read the database and it retries."""
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.database_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
            )
            await conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as e:
            log.warning("catalog listener not connected (%s); retrying in %s s", e, RETRY_S)
            return
        self._layers = None  # whatever was read before LISTEN may be stale
        self._listener = conn

    async def stop(self) -> None:
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
        await self._drop_listener()

    async def _drop_listener(self) -> None:
        conn, self._listener, self._layers = self._listener, None, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                await conn.close()

    async def _retry(self) -> None:
        while self._listener is None:
            await asyncio.sleep(RETRY_S)
            await self.start()

    def _changed(self) -> bool:
        """Drain notifications already on the listener's socket; True if any arrived or the
        connection is gone (then the cache is no longer trustworthy)."""
        pg = self._listener.pgconn  # type: ignore[union-attr]
        try:
            pg.consume_input()
        except psycopg.OperationalError:
            return True
        seen = False
        while pg.notifies() is not None:
            seen = True
        return seen

    async def _current(self) -> dict[str, Collection] | None:
        """The cached layers if they are still current, else None."""
        if self._listener is None:
            if self._reconnect is None or self._reconnect.done():
                self._reconnect = asyncio.create_task(self._retry())
            return None
        if self._changed():
            self._layers = None
            if self._listener.pgconn.status != psycopg.pq.ConnStatus.OK:
                await self._drop_listener()
                return None
        return self._layers

    async def collections(self, connect: Connect) -> dict[str, Collection]:
        """Every registered collection by id, in catalog order. ``connect`` gives the
        request's connection; it is only taken when the catalog must be read."""
        layers = await self._current()
        if layers is not None:
            return layers
        self.loads += 1
        layers = {c.id: c for c in await list_collections(await connect())}
        # Kept only if no notification arrived while reading (it may predate the read).
        if self._listener is not None and not self._changed():
            self._layers = layers
        return layers

    async def get(self, connect: Connect, collection_id: str) -> Collection:
        coll = (await self.collections(connect)).get(collection_id)
        if coll is None:
            raise NotFound(f"collection {collection_id!r} does not exist")
        return coll
