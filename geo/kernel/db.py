"""Engines and migrations. The app uses the async engine (pooled psycopg 3 connections);
commands and tests use the sync one."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from geo.kernel.auth import Principal
from geo.kernel.config import Settings
from geo.kernel.pool_ping import ping_after_idle
from geo.kernel.replicas import ReplicaSet, checkout

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("restoration_map.db")


def sync_engine(settings: Settings) -> Engine:
    return create_engine(
        settings.sqlalchemy_url, pool_pre_ping=True, pool_timeout=settings.pool_timeout_s
    )


def async_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    """The pooled engine of the primary, or of the replica at ``url``. A connection that sat
    idle is pinged on checkout (geo.kernel.pool_ping), so a database restart costs at most
    one failed (503) request per connection; a database that is away fails the checkout
    within ``connect_timeout_s`` (answered 503)."""
    engine = create_async_engine(
        url or settings.sqlalchemy_url,
        pool_size=settings.pool_size,
        max_overflow=(
            settings.pool_size if settings.pool_max_overflow is None else settings.pool_max_overflow
        ),
        pool_timeout=settings.pool_timeout_s,
        # The most recently used connection first: its prepared statements are warm, and
        # idle ones stay idle (and are pinged when they come back, geo.kernel.pool_ping).
        pool_use_lifo=True,
        connect_args={
            # Server-side statement cache for the queries every page repeats (off behind
            # a pooler in transaction mode that cannot keep prepared statements).
            "prepare_threshold": 3 if settings.db_prepared_statements else None,
            "application_name": "restoration-map",
            "connect_timeout": settings.connect_timeout_s,
        },
    )
    # Not pool_pre_ping (a round trip per request): ping the primary's connections only after
    # an idle period. A replica's are pinged at every checkout: a standby goes away on its own,
    # and a failed ping is what takes it out of rotation (geo.kernel.replicas).
    ping_after_idle(engine.sync_engine.pool, 0 if url else settings.pool_ping_idle_s)
    return engine


def alembic_config(settings: Settings) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = settings.sqlalchemy_url
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    command.downgrade(alembic_config(settings), revision)


_WRITE_CONTEXT_SQL = text(
    "SELECT set_config('rm.actor', :actor, true), set_config('rm.user_id', :uid, true),"
    " set_config('rm.regions', :regions, true)"
)


def write_context(
    actor: str, user_id: int | None = None, regions: frozenset[str] | None = None
) -> dict[str, str]:
    """The transaction-local settings every audited/scoped write sets ('*' = everywhere)."""
    return {
        "actor": actor,
        "uid": "" if user_id is None else str(user_id),
        "regions": "*" if regions is None else ",".join(sorted(regions)),
    }


def set_write_context(
    conn: Connection, actor: str, user_id: int | None = None, regions=None
) -> None:
    """Sync twin of :func:`write_transaction` for commands (loader, CLI import): call it at
    the start of the caller's transaction."""
    conn.execute(_WRITE_CONTEXT_SQL, write_context(actor, user_id, regions))


_STATEMENT_TIMEOUT_SQL = text("SELECT set_config('statement_timeout', :ms, false)")
_TIMEOUT_KEY = "rm_statement_timeout_ms"  # the session value set on a pooled connection


def statement_timeout(ms: int) -> dict[str, str]:
    """The parameters of ``_STATEMENT_TIMEOUT_SQL`` (0: no timeout)."""
    return {"ms": f"{int(ms)}ms"}


def set_statement_timeout(conn: Connection, ms: int) -> None:
    """For the caller's transaction only (sync connections: imports run in a thread)."""
    conn.execute(text("SELECT set_config('statement_timeout', :ms, true)"), statement_timeout(ms))


class RequestConnection:
    """The one pooled connection of a request: taken on first use (a request that never
    touches the database holds none), shared by every step of the request (key lookup,
    collection lookup, count, stream, write) and given back by :meth:`close` when the
    response has been sent. Two connections held by one request let a burst of requests
    deadlock the pool, each holding one and waiting for a second.

    It also stands in for the engine (``connect``/``begin``), so code written against an
    engine uses the request's connection too. A full pool is waited on for the engine's
    bounded ``pool_timeout`` and then refused with :class:`Overloaded` (503)."""

    def __init__(
        self,
        engine: AsyncEngine,
        retry_after: int = 2,
        statement_timeout_ms: int = 0,
        replicas: ReplicaSet | None = None,
        read_only: bool = False,
    ):
        self.engine = engine
        self.retry_after = retry_after
        self.statement_timeout_ms = statement_timeout_ms
        # A GET/HEAD: its open read transaction is ended with COMMIT, not ROLLBACK (close).
        self.read_only = read_only
        # Set for read-only requests that may be served by a streaming replica.
        self.replicas = replicas
        self.node: str | None = None  # "primary" or "replica" once connected
        self._conn: AsyncConnection | None = None
        self._taken_at = 0.0
        # For admission control: how long the request waited for and held its connection.
        self.waited_s = self.held_s = 0.0

    async def get(self) -> AsyncConnection:
        if self._conn is None:
            asked_at = time.perf_counter()
            conn = None
            if self.replicas is not None:
                conn = await self.replicas.connect(self.retry_after)
                self.node = "replica" if conn is not None else None
            if conn is None:
                conn = await checkout(self.engine, self.retry_after)
                self.node = "primary"
            try:
                await self._set_statement_timeout(conn)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
            self._taken_at = time.perf_counter()
            self.waited_s += self._taken_at - asked_at
        return self._conn

    async def _set_statement_timeout(self, conn: AsyncConnection) -> None:
        """The route class's timeout, session-level. A pooled connection keeps the value the
        last request set (remembered in its ``info``, which a replaced connection starts
        without), so it is sent only when it changes: most requests are reads, and setting
        it every time was three round trips (BEGIN, set_config, COMMIT) per request."""
        if conn.info.get(_TIMEOUT_KEY) == self.statement_timeout_ms:
            return
        conn.info.pop(_TIMEOUT_KEY, None)
        await conn.execute(_STATEMENT_TIMEOUT_SQL, statement_timeout(self.statement_timeout_ms))
        await conn.commit()  # session-level: it outlives this transaction
        conn.info[_TIMEOUT_KEY] = self.statement_timeout_ms

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        yield await self.get()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A transaction on the request's connection; reads before it are ended first."""
        if self.node == "replica":  # a write never goes to a replica: move to the primary
            await self.close()
        self.replicas = None
        conn = await self.get()
        if conn.in_transaction():
            await conn.commit()
        async with conn.begin():
            yield conn

    async def close(self, succeeded: bool = False) -> None:
        """Gives the connection back. After a read that ``succeeded`` its open transaction
        is ended with COMMIT, which for a read is what ROLLBACK would do, except that psycopg
        forgets its prepared statements on ROLLBACK (and sends DEALLOCATE ALL): the hot
        statements of reads would never stay prepared. Anything else is rolled back."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        self.held_s += time.perf_counter() - self._taken_at
        try:
            if succeeded and self.read_only and conn.in_transaction():
                # On failure: rolled back and, if broken, invalidated by close() below.
                with contextlib.suppress(DBAPIError):
                    await conn.commit()
            await conn.close()  # rolls back what is still open, returns it to the pool
        except DBAPIError as exc:
            # The database went away under it (a restart): SQLAlchemy has invalidated it
            # (the pool drops it, pre-ping replaces the others); the response is sent.
            log.warning("a connection was lost while being given back: %s", exc.orig)


Connectable = AsyncEngine | RequestConnection


@asynccontextmanager
async def write_transaction(
    engine: Connectable, principal: Principal
) -> AsyncIterator[AsyncConnection]:
    """A transaction for every write on behalf of a user. It tells the database who writes
    and where they may write (``rm.actor``, ``rm.user_id``, ``rm.regions``: transaction-local
    settings), so triggers can audit and enforce region scopes whatever the write path."""
    async with engine.begin() as conn:
        await conn.execute(
            _WRITE_CONTEXT_SQL,
            write_context(principal.name, principal.user_id, principal.regions),
        )
        yield conn


async def postgis_version(conn: AsyncConnection) -> str:
    """The PostGIS library version: a health check that also proves the extension works."""
    return (await conn.execute(text("SELECT postgis_lib_version()"))).scalar_one()
