"""Exports read their first chunk before the response starts (GeoPackage, Shapefile and XLSX
write their whole file first): a database lost after that still gives a complete download,
one lost before it is an error before the first byte. Their temporary files go in every case."""

from __future__ import annotations

import asyncio
import tempfile

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.catalog.items import ItemsQuery
from geo.catalog.sources import get_collection
from geo.files import exports
from geo.kernel import db


async def _pid(conn) -> int:
    return (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()


def _kill(settings, pid: int) -> None:
    with psycopg.connect(settings.database_url) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_geojson_export_is_read_before_its_response_starts(settings):
    async def run() -> tuple[int, list[str]]:
        eng = db.async_engine(settings)
        try:
            async with eng.connect() as conn:
                pits = await get_collection(conn, "mining_pits")
                n = (
                    await conn.execute(
                        text("SELECT count(*) FROM features WHERE layer = 'mining_pits'")
                    )
                ).scalar_one()
                pid = await _pid(conn)
                out = await exports.export(conn, "geojson", pits, ItemsQuery())
                _kill(settings, pid)  # after export() returned: what it read survives
                got: list[str] = []
                try:
                    async for batch in out.features:
                        got += batch
                except DBAPIError:  # a later fetch on the dead connection
                    pass
                return n, got
        finally:
            await eng.dispose()

    n, got = asyncio.run(run())
    assert 0 < n < exports.CHUNK  # one chunk holds them all
    assert len(got) == n


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "xlsx"])
def test_a_file_export_that_fails_leaves_no_temporary_files(settings, fmt, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    async def run() -> None:
        eng = db.async_engine(settings)
        try:
            async with eng.connect() as conn:
                pits = await get_collection(conn, "mining_pits")
                _kill(settings, await _pid(conn))  # the database goes while the file is built
                with pytest.raises(DBAPIError):
                    await exports.export(conn, fmt, pits, ItemsQuery())
        finally:
            await eng.dispose()

    asyncio.run(run())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "xlsx"])
def test_a_file_export_is_whole_before_its_response_starts(settings, fmt, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    async def run() -> bytes:
        eng = db.async_engine(settings)
        try:
            async with eng.connect() as conn:
                pits = await get_collection(conn, "mining_pits")
                pid = await _pid(conn)
                out = await exports.export(conn, fmt, pits, ItemsQuery())
                _kill(settings, pid)  # the file is written: the download is still whole
                body = b"".join([block async for block in out.body])
                await conn.invalidate()  # it is dead: no rollback on the way out
                return body
        finally:
            await eng.dispose()

    body = asyncio.run(run())
    assert len(body) > 1000
    assert list(tmp_path.iterdir()) == []  # sent, then removed
