"""The overlap statement runs with the settings chosen by measurement (BENCHMARKS.md):
its cursor planned for every row, JIT off; both end with the request's transaction."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from geo.catalog.sources import get_collection
from geo.kernel import db
from geo.violations.overlaps import OverlapQuery, open_overlaps


def test_overlaps_run_without_jit_and_planned_for_every_row(settings):
    async def run() -> tuple[int, str, str, str]:
        eng = db.async_engine(settings)
        try:
            async with eng.connect() as conn:
                q = OverlapQuery(
                    subject=await get_collection(conn, "mining_pits"),
                    protected=await get_collection(conn, "water_source_zones"),
                )
                overlaps = await open_overlaps(conn, q)
                n = sum([len(b) async for b in overlaps])
                jit = (await conn.execute(text("SHOW jit"))).scalar_one()
                frac = (await conn.execute(text("SHOW cursor_tuple_fraction"))).scalar_one()
                await conn.rollback()
                after = (await conn.execute(text("SHOW jit"))).scalar_one()
                return n, jit, frac, after
        finally:
            await eng.dispose()

    n, jit, frac, after = asyncio.run(run())
    assert n > 0
    assert (jit, frac) == ("off", "1")
    assert after == "on"  # SET LOCAL: the next transaction has the server's default
