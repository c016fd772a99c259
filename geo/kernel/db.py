"""Engines and migrations. The app uses the async engine (pooled psycopg 3 connections);
commands and tests use the sync one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from geo.kernel.auth import Principal
from geo.kernel.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def sync_engine(settings: Settings) -> Engine:
    return create_engine(settings.sqlalchemy_url, pool_pre_ping=True)


def async_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.sqlalchemy_url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
        # Server-side statement cache for the queries every page repeats.
        connect_args={"prepare_threshold": 3, "application_name": "restoration-map"},
    )


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


@asynccontextmanager
async def write_transaction(
    engine: AsyncEngine, principal: Principal
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
