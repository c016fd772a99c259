"""Exports read their first chunk before the response starts (GeoPackage, Shapefile and XLSX
write their whole file first): a database lost after that still gives a complete download,
one lost before it is an error before the first byte. Their temporary files go in every case."""

from __future__ import annotations

import asyncio
import tempfile

import openpyxl
import psycopg
import pyogrio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.catalog.items import ItemsQuery
from geo.catalog.sources import get_collection
from geo.files import exports
from geo.kernel import db


def _with_pits(settings, body):
    """Runs ``body(conn, pits, kill)`` on one connection; ``kill()`` ends its backend."""

    async def run():
        eng = db.async_engine(settings)
        try:
            async with eng.connect() as conn:
                pits = await get_collection(conn, "mining_pits")
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()

                def kill() -> None:
                    with psycopg.connect(settings.database_url) as other:
                        other.execute("SELECT pg_terminate_backend(%s)", [pid])

                return await body(conn, pits, kill)
        finally:
            await eng.dispose()

    return asyncio.run(run())


def test_a_geojson_export_is_read_before_its_response_starts(settings):
    async def body(conn, pits, kill) -> list[str]:
        out = await exports.export(conn, "geojson", pits, ItemsQuery())
        kill()  # after export() returned: what it read survives
        got: list[str] = []
        try:
            async for batch in out.features:
                got += batch
        except DBAPIError:  # a later fetch on the dead connection
            pass
        return got

    got, n = _with_pits(settings, body), _count_pits(settings)
    assert 0 < n < exports.CHUNK  # one chunk holds them all
    assert len(got) == n


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "xlsx"])
def test_a_file_export_that_fails_leaves_no_temporary_files(settings, fmt, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    async def body(conn, pits, kill) -> None:
        kill()  # the database goes while the file is built
        with pytest.raises(DBAPIError):
            await exports.export(conn, fmt, pits, ItemsQuery())

    _with_pits(settings, body)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "xlsx"])
def test_a_file_export_is_whole_before_its_response_starts(settings, fmt, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    async def body(conn, pits, kill) -> bytes:
        out = await exports.export(conn, fmt, pits, ItemsQuery())
        kill()  # the file is written: the download is still whole
        data = b"".join([block async for block in out.body])
        await conn.invalidate()  # it is dead: no rollback on the way out
        return data

    data = _with_pits(settings, body)
    assert list(tmp_path.iterdir()) == []  # sent, then removed
    assert _rows_in(data, fmt, tmp_path) == _count_pits(settings)


def _rows_in(data: bytes, fmt: str, folder) -> int:
    path = folder / f"export.{'zip' if fmt == 'shp' else fmt}"
    path.write_bytes(data)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return sum(1 for _ in sheet.iter_rows()) - 1  # the header row
    return pyogrio.read_info(f"/vsizip/{path}" if fmt == "shp" else path)["features"]


def _count_pits(settings) -> int:
    with psycopg.connect(settings.database_url) as conn:
        sql = "SELECT count(*) FROM features WHERE layer = 'mining_pits'"
        return conn.execute(sql).fetchone()[0]
