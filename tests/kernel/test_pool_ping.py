"""Pooled connections are pinged only after an idle period (geo.kernel.pool_ping): a
connection whose backend died while it sat idle is replaced, not handed to a request; one
used a moment ago is not pinged (no round trip per request)."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import Engine, text

from geo.kernel import db
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
