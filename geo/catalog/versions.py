"""Data versions: every change to a collection bumps its row in ``data_versions`` in the same
transaction (triggers, migration 0010), whatever path changed it. Caches of derived data
(tiles, extents) key on the version, so they never serve what a write has outdated."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def data_version(conn: AsyncConnection, name: str) -> int:
    """The collection's version (0 before its first change): one primary-key lookup."""
    row = (
        await conn.execute(text("SELECT version FROM data_versions WHERE name = :n"), {"n": name})
    ).first()
    return row[0] if row else 0
