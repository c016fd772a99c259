"""Pooled connections are pinged only after an idle period (geo.kernel.pool_ping): a
connection whose backend died while it sat idle is replaced, not handed to a request; one
used a moment ago is not pinged (no round trip per request)."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import Engine, text

from geo.kernel import db, pool_ping
from geo.kernel.config import Settings

PID = text("SELECT pg_backend_pid()")


async def _pid(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(PID)).scalar_one()


def _kill(engine: Engine, pid: int) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    time.sleep(0.3)  # let the backend exit


def test_a_connection_dead_after_idling_is_replaced(settings: Settings, engine: Engine):
    async def run() -> tuple[int, int]:
        eng = db.async_engine(settings.model_copy(update={"pool_size": 1, "pool_ping_idle_s": 0.2}))
        try:
            first = await _pid(eng)
            _kill(engine, first)  # idles past 0.2 s meanwhile
            return first, await _pid(eng)
        finally:
            await eng.dispose()

    first, second = asyncio.run(run())
    assert second != first


def test_a_connection_used_a_moment_ago_is_not_pinged(settings: Settings, engine: Engine):
    async def run() -> tuple[int, int, bool]:
        eng = db.async_engine(settings.model_copy(update={"pool_size": 1, "pool_ping_idle_s": 60}))
        try:
            first = await _pid(eng)
            _kill(engine, first)
            try:  # not pinged: the dead connection is used, fails once, and is replaced
                await _pid(eng)
                failed = False
            except Exception:  # noqa: BLE001
                failed = True
            return first, await _pid(eng), failed
        finally:
            await eng.dispose()

    first, second, failed = asyncio.run(run())
    assert failed and second != first


def test_suspect_has_every_connection_pinged(settings: Settings, engine: Engine):
    """After "database unavailable" (app.errors calls suspect()), connections used a moment
    ago are pinged too: backends killed by a restart while their connections sat in the pool
    are replaced before a request gets them."""

    async def hold_two(eng) -> list[int]:
        async with eng.connect() as a, eng.connect() as b:
            return [(await c.execute(PID)).scalar_one() for c in (a, b)]

    async def run() -> tuple[list[int], list[int]]:
        eng = db.async_engine(settings.model_copy(update={"pool_size": 2, "pool_ping_idle_s": 60}))
        try:
            first = await hold_two(eng)
            for pid in first:
                _kill(engine, pid)
            pool_ping.suspect(eng.sync_engine.pool)
            return first, await hold_two(eng)
        finally:
            await eng.dispose()

    first, second = asyncio.run(run())
    assert not set(second) & set(first)
