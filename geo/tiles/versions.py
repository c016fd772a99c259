"""Data versions of every collection, for clients that keep tiles (offline area packages):
a package is stale once any of the versions it was downloaded at has moved on; and the
version stamps the tile cache keys on."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def all_data_versions(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(text("SELECT name, version FROM data_versions ORDER BY name"))
    return {name: int(version) for name, version in rows}


@dataclass(frozen=True)
class Stamp:
    """A collection's data version and the time of the write that set it. The version alone
    could come back with other data after a restore from a backup (the counter restarts from
    the backup's value); the pair cannot: a later write has a later time."""

    version: int
    changed_at: str

    def __str__(self) -> str:
        return f"{self.version}@{self.changed_at}"


async def version_stamps(conn: AsyncConnection, names: list[str]) -> dict[str, Stamp]:
    """The stamp of each named collection (version 0 for one never changed): one index scan
    of ``data_versions``."""
    rows = await conn.execute(
        text("SELECT name, version, changed_at FROM data_versions WHERE name = ANY(:names)"),
        {"names": names},
    )
    found = {name: Stamp(int(v), at.isoformat()) for name, v, at in rows}
    return {n: found.get(n, Stamp(0, "")) for n in names}
