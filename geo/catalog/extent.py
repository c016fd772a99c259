"""A collection's spatial extent, computed once per data version.

``ST_Extent`` reads every row of a layer, and clients ask for collection metadata and
TileJSON often; the data version (geo/catalog/versions.py) changes with every write, so a
cached extent is reused exactly as long as it is right."""

from __future__ import annotations

from threading import Lock

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import Collection
from geo.catalog.versions import data_version

BBox = list[float]


async def compute_extent(conn: AsyncConnection, coll: Collection) -> BBox | None:
    src = coll.source
    row = (
        await conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                f"(SELECT ST_Extent({src.geom_sql}) AS e FROM {src.from_sql} WHERE {src.where}) s"
            ),
            src.params,
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return [round(v, 6) for v in row]


class ExtentCache:
    """Extents by collection, each tagged with the data version it was computed at."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[int, BBox | None]] = {}
        self._lock = Lock()
        self.computed = 0

    async def extent(self, conn: AsyncConnection, coll: Collection) -> BBox | None:
        # The version is read first: a write in between leaves an older tag on a newer
        # extent, which the next request recomputes, never the reverse.
        version = await data_version(conn, coll.id)
        with self._lock:
            hit = self._items.get(coll.id)
        if hit is not None and hit[0] == version:
            return hit[1]
        bbox = await compute_extent(conn, coll)
        with self._lock:
            self._items[coll.id] = (version, bbox)
            self.computed += 1
        return bbox
