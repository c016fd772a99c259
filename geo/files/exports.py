"""Exports of any collection under any items filter: one serializer per format, shared by
every route (``FORMATS``). Rows are read from a server-side cursor in chunks and written as
they come, on the request's one (async) connection; GeoPackage, Shapefile and XLSX are
written chunk by chunk in a worker thread (GDAL through pyogrio, openpyxl) to a temporary
file, which is then streamed and deleted. GeoJSON is handed back as batches of feature JSON
for the one FeatureCollection renderer of the HTTP layer.

Shapefile field names are cut to 10 characters (dBase); when two names collide the later
gets a numeric suffix (``reported_area_ha`` → ``reported_a``, ``responsible_party`` →
``responsibl``). The zip carries ``<layer>_fields.csv`` with the mapping, a ``.prj`` and a
``.cpg`` (UTF-8).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.items import ItemsQuery, feature_json_sql, filter_where
from geo.catalog.sources import Collection
from geo.kernel import tabular
from geo.kernel.streams import primed

CHUNK = 5000
XLSX_CELL_MAX = 32_767
EXTRA_COLUMNS = {"area_ha": "number", "source": "string", "updated_at": "string"}
_CASTS = {"number": "float8", "integer": "bigint", "boolean": "boolean"}


def _kind(schema: dict[str, Any]) -> str:
    types = schema.get("type", "string")
    return next(
        (t for t in ([types] if isinstance(types, str) else types) if t != "null"), "string"
    )


@dataclass(frozen=True)
class Export:
    coll: Collection
    query: ItemsQuery
    limit: int | None = None

    def columns(self) -> dict[str, str]:
        out = {name: _kind(schema) for name, schema in self.coll.attributes.items()}
        for name, kind in EXTRA_COLUMNS.items():
            out.setdefault(name, kind)
        return out

    def _where(self):
        where = filter_where(self.coll, self.query)
        if self.limit is not None:
            where.params["_limit"] = self.limit
        return where

    def tabular_sql(self, geometry: str) -> tuple[str, dict[str, Any]]:
        """id, one typed column per attribute, and the geometry (``wkt`` or ``wkb``) in the
        output CRS with x = longitude/easting."""
        src = self.coll.source
        where = self._where()
        g = src.geom_sql
        if self.query.crs.srid != 4326:
            g = f"ST_Transform({g}, {int(self.query.crs.srid)})"
        g = f"ST_AsText({g}, 9)" if geometry == "wkt" else f"ST_AsBinary({g})"
        cols = []
        for i, (name, kind) in enumerate(self.columns().items()):
            where.params[f"_c{i}"] = name
            cast = f"::{_CASTS[kind]}" if kind in _CASTS else ""
            cols.append(f"(s.p ->> :_c{i}){cast}")
        limit = " LIMIT :_limit" if self.limit is not None else ""
        sql = (
            f"SELECT s.id, {', '.join(cols)}, s.g FROM (SELECT {src.id_sql} AS id, "
            f"({src.properties_sql}) AS p, {g} AS g FROM {src.from_sql} WHERE {where.sql} "
            f"ORDER BY {src.id_sql}{limit}) s"
        )
        return sql, where.params

    async def chunks(self, conn: AsyncConnection, geometry: str) -> AsyncIterator[list[tuple]]:
        sql, params = self.tabular_sql(geometry)
        result = await conn.stream(text(sql), params)
        try:
            async for part in result.partitions(CHUNK):
                yield [tuple(r) for r in part]
        finally:
            await result.close()


# --- serializers -------------------------------------------------------------------------


async def geojson_features(conn: AsyncConnection, ex: Export) -> AsyncIterator[list[str]]:
    """Feature JSON texts in batches, in id order (the envelope is the renderer's)."""
    src = ex.coll.source
    where = ex._where()
    limit = " LIMIT :_limit" if ex.limit is not None else ""
    sql = (
        f"SELECT {feature_json_sql(src, ex.query.crs)} FROM {src.from_sql} "
        f"WHERE {where.sql} ORDER BY {src.id_sql}{limit}"
    )
    result = await conn.stream(text(sql), where.params)
    try:
        async for part in result.partitions(CHUNK):
            yield [r[0] for r in part]
    finally:
        await result.close()


async def _csv(conn: AsyncConnection, ex: Export) -> AsyncIterator[bytes]:
    headers: list[str] | None = ["id", *ex.columns(), "wkt"]
    async for rows in ex.chunks(conn, "wkt"):
        for piece in tabular.csv_chunks(headers, rows):
            yield piece.encode()
        headers = None
    if headers is not None:  # no rows: the header alone
        for piece in tabular.csv_chunks(headers, []):
            yield piece.encode()


async def _file(build: Callable[[str], Awaitable[str]]) -> AsyncIterator[bytes]:
    """The bytes of the file that ``build(tmp)`` writes in a new temporary directory (it
    returns the file's path); the directory is removed afterwards, also when building or
    sending fails."""
    tmp = tempfile.mkdtemp(prefix="rm-export-")
    try:
        path = await build(tmp)
        with open(path, "rb") as fh:
            while block := await asyncio.to_thread(fh.read, 1 << 20):
                yield block
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _xlsx_rows(ws, rows: list[tuple]) -> None:
    for row in rows:
        wkt = row[-1]
        if wkt is not None and len(wkt) > XLSX_CELL_MAX:
            wkt = "(geometry longer than an Excel cell holds: export f=gpkg)"
        ws.append([*row[:-1], wkt])


def _xlsx(conn: AsyncConnection, ex: Export) -> AsyncIterator[bytes]:
    async def build(tmp: str) -> str:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(ex.coll.id[:31])
        ws.append(["id", *ex.columns(), "wkt"])
        path = os.path.join(tmp, "export.xlsx")
        try:
            async for rows in ex.chunks(conn, "wkt"):
                await asyncio.to_thread(_xlsx_rows, ws, rows)
        except BaseException:
            # openpyxl removes its own temporary file (outside tmp) only when it saves
            with contextlib.suppress(Exception):
                wb.save(path)
            raise
        await asyncio.to_thread(wb.save, path)
        return path

    return _file(build)


def shp_field_names(names: list[str]) -> dict[str, str]:
    """Column → dBase field name (≤ 10 characters, unique, case-insensitively).

    >>> shp_field_names(["reported_area_ha", "reported_area_m2", "code"])
    {'reported_area_ha': 'reported_a', 'reported_area_m2': 'reported_1', 'code': 'code'}
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        short, n = name[:10], 0
        while short.lower() in used:
            n += 1
            short = name[: 10 - len(str(n))] + str(n)
        used.add(short.lower())
        out[name] = short
    return out


def _ogr_chunk(ex: Export, rows: list[tuple], path: str, driver: str, rename, append: bool):
    """One chunk of rows appended to the layer (runs in a worker thread: GDAL blocks)."""
    columns = ["id", *ex.columns()]
    crs = f"EPSG:{ex.query.crs.srid}"
    if rows:
        df = pd.DataFrame([r[:-1] for r in rows], columns=columns)
        gdf = gpd.GeoDataFrame(df, geometry=shapely.from_wkb([r[-1] for r in rows]), crs=crs)
    else:  # no rows: still a valid, empty layer with the right fields
        df = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    if rename:
        gdf = gdf.rename(columns=rename)
    pyogrio.write_dataframe(
        gdf, path, driver=driver, layer=ex.coll.id, append=append, encoding="UTF-8"
    )


async def _write_ogr(
    conn: AsyncConnection, ex: Export, path: str, driver: str, rename=None
) -> None:
    first = True
    async for rows in ex.chunks(conn, "wkb"):
        await asyncio.to_thread(_ogr_chunk, ex, rows, path, driver, rename, not first)
        first = False
    if first:
        await asyncio.to_thread(_ogr_chunk, ex, [], path, driver, rename, False)


def _gpkg(conn: AsyncConnection, ex: Export) -> AsyncIterator[bytes]:
    async def build(tmp: str) -> str:
        path = os.path.join(tmp, f"{ex.coll.id}.gpkg")
        await _write_ogr(conn, ex, path, "GPKG")
        return path

    return _file(build)


def _zip_shapefile(tmp: str, layer: str, rename: dict[str, str]) -> str:
    with open(os.path.join(tmp, f"{layer}_fields.csv"), "w", encoding="utf-8") as fh:
        fh.write("column,shapefile_field\n")
        fh.writelines(f"{k},{v}\n" for k, v in rename.items())
    path = os.path.join(tmp, "export.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(os.listdir(tmp)):
            if name != "export.zip":
                zf.write(os.path.join(tmp, name), name)
    return path


def _shp(conn: AsyncConnection, ex: Export) -> AsyncIterator[bytes]:
    async def build(tmp: str) -> str:
        rename = shp_field_names(["id", *ex.columns()])
        await _write_ogr(conn, ex, os.path.join(tmp, f"{ex.coll.id}.shp"), "ESRI Shapefile", rename)
        return await asyncio.to_thread(_zip_shapefile, tmp, ex.coll.id, rename)

    return _file(build)


@dataclass(frozen=True)
class Format:
    media_type: str
    extension: str
    # None for GeoJSON: its features go to the FeatureCollection renderer.
    write: Callable[[AsyncConnection, Export], AsyncIterator[bytes]] | None


FORMATS: dict[str, Format] = {
    "geojson": Format("application/geo+json", "geojson", None),
    "csv": Format("text/csv; charset=utf-8", "csv", _csv),
    "xlsx": Format(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", _xlsx
    ),
    "gpkg": Format("application/geopackage+sqlite3", "gpkg", _gpkg),
    "shp": Format("application/zip", "zip", _shp),
}


@dataclass(frozen=True)
class ExportResult:
    """An export under way: ``features`` (batches of feature JSON) for GeoJSON, else
    ``body`` (the file's bytes)."""

    format: Format
    features: AsyncIterator[list[str]] | None = None
    body: AsyncIterator[bytes] | None = None


async def export(
    conn: AsyncConnection, fmt: str, coll: Collection, query: ItemsQuery, limit=None
) -> ExportResult:
    """Filters are validated here, and the first chunk read (for GeoPackage, Shapefile and
    XLSX the whole file written), before the first byte: a database that fails meanwhile is
    a 503, not a cut-off download."""
    ex = Export(coll, query, limit)
    ex.tabular_sql("wkt")  # raises the 400s of bad filters now, not mid-stream
    spec = FORMATS[fmt]
    if spec.write is None:
        return ExportResult(spec, features=await primed(geojson_features(conn, ex)))
    return ExportResult(spec, body=await primed(spec.write(conn, ex)))


__all__ = ["FORMATS", "ExportResult", "export", "shp_field_names"]
