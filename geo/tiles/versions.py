"""Data versions of every collection, for clients that keep tiles (offline area packages):
a package is stale once any of the versions it was downloaded at has moved on."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def all_data_versions(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(text("SELECT name, version FROM data_versions ORDER BY name"))
    return {name: int(version) for name, version in rows}
