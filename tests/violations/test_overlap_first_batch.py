"""/overlaps reads its first batch before the response starts. The rows come sorted, so that
first fetch does nearly all of the statement's work; a database lost during it must be a 503,
not a stream cut after the envelope's first byte (seen under load: tests/scale/test_db_restart)."""

from __future__ import annotations

import asyncio

import psycopg
from sqlalchemy import text

from geo.catalog.sources import get_collection
from geo.kernel import db
from geo.violations.overlaps import BATCH, OverlapQuery, open_overlaps


def test_the_first_batch_is_read_when_the_overlaps_are_opened(settings):
    async def run() -> tuple[int, list[str], BaseException | None]:
        eng = db.async_engine(settings)
        try:
            async with eng.connect() as conn:
                pits = await get_collection(conn, "mining_pits")
                q = OverlapQuery(
                    subject=pits, protected=await get_collection(conn, "water_source_zones")
                )
                expected = sum([len(b) async for b in await open_overlaps(conn, q)])
                await conn.rollback()
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                overlaps = await open_overlaps(conn, q)
                # The connection dies after open_overlaps returned: what it read survives.
                with psycopg.connect(settings.database_url) as other:
                    other.execute("SELECT pg_terminate_backend(%s)", [pid])
                got: list[str] = []
                error = None
                try:
                    async for batch in overlaps:
                        got += batch
                except Exception as exc:  # the next fetch, on the dead connection
                    error = exc
                return expected, got, error
        finally:
            await eng.dispose()

    expected, got, error = asyncio.run(run())
    assert 0 < expected < BATCH  # one batch holds them all
    assert len(got) == expected and all(f.startswith('{"type":"Feature"') for f in got), error
