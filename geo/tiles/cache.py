"""The tile cache: built tiles kept under a key that names everything their bytes depend on.

The key (:func:`tile_key`) is a digest of the database it serves, the collection's
:class:`~geo.tiles.versions.Stamp` (data version and the time of the write that set it), and
the statement and parameters that build the tile (collection, z/x/y, cap, tolerance, and
whatever a Source binds, such as an ``as_of`` instant). Every change to a collection bumps
its row in ``data_versions`` in the same transaction (triggers, migration 0010), whatever path
changed it, so a cached tile is never served after its data changed; a new release whose
statement builds other bytes asks for other keys too. Reading the stamp is one index lookup;
a hit then skips building the tile.

Two stores, chosen by :func:`open_tile_cache`: files in a directory shared by every worker
process (:mod:`geo.tiles.filecache`, the default), or an LRU in the process's memory
(``RM_TILE_CACHE_DIR`` empty). ``RM_TILE_CACHE_MB`` bounds either; 0 turns the cache off.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from threading import Lock
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import Collection
from geo.tiles.filecache import FileTileCache
from geo.tiles.mvt import Tile, run_tile, tile_statement
from geo.tiles.versions import Stamp

__all__ = ["FileTileCache", "TileCache", "cached_tile", "open_tile_cache", "tile_key"]

log = logging.getLogger(__name__)

OVERHEAD = 200  # bytes per entry for the key and the objects, roughly


class Store(Protocol):
    max_bytes: int
    hits: int
    misses: int

    def get(self, key: str) -> Tile | None: ...
    def put(self, key: str, tile: Tile) -> None: ...


class TileCache:
    """LRU of tiles by key in this process's memory, holding at most ``max_bytes`` of tiles.

    >>> c = TileCache(max_bytes=410)  # room for one tile and a bit (200 bytes overhead each)
    >>> c.put("a", Tile(b"12345", 1, False)); c.put("b", Tile(b"678901", 1, False))
    >>> c.get("a") is None, c.get("b").data
    (True, b'678901')
    """

    shared = False

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> Tile | None:
        with self._lock:
            tile = self._items.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: str, tile: Tile) -> None:
        size = len(tile.data) + OVERHEAD
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.data) + OVERHEAD
            self._items[key] = tile
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.data) + OVERHEAD


def open_tile_cache(directory: str, max_mb: int) -> TileCache | FileTileCache:
    """The files in ``directory`` (shared by the worker processes), or with no directory
    this process's memory; ``max_mb`` 0 turns caching off (a store that keeps nothing)."""
    max_bytes = max_mb * 1024 * 1024
    if directory and max_bytes:
        try:
            return FileTileCache(directory, max_bytes)
        except OSError as exc:  # a cache must not keep the service from starting
            log.warning(
                "tile cache directory %s unusable (%s): tiles kept in memory", directory, exc
            )
    return TileCache(max_bytes)


def tile_key(database: str, stamp: Stamp, sql: str, params: dict[str, Any]) -> str:
    """A digest of everything a tile's bytes depend on.

    >>> s = Stamp(3, "2026-01-01T00:00:00+00:00")
    >>> tile_key("db", s, "SELECT 1", {"z": 1}) == tile_key("db", s, "SELECT 1", {"z": 1})
    True
    >>> tile_key("db", s, "SELECT 1", {"z": 1}) == tile_key("db", Stamp(4, s.changed_at),
    ...                                                      "SELECT 1", {"z": 1})
    False
    """
    text = json.dumps([database, str(stamp), sql, params], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def cached_tile(
    cache: Store,
    database: str,
    conn: AsyncConnection,
    coll: Collection,
    stamp: Stamp,
    tile: tuple[int, int, int],
    cap: int,
) -> Tile:
    """The tile ``(z, row, col)`` of ``coll`` as of ``stamp``: from the cache, or built and
    kept. Files are written off the event loop."""
    z, row, col = tile
    sql, params = tile_statement(coll, z, row, col, cap)
    if cache.max_bytes == 0:
        return await run_tile(conn, sql, params, cap)
    key = tile_key(database, stamp, sql, params)
    t = cache.get(key)
    if t is None:
        t = await run_tile(conn, sql, params, cap)
        try:
            if getattr(cache, "shared", False):
                await asyncio.to_thread(cache.put, key, t)
            else:
                cache.put(key, t)
        except OSError as exc:  # disk full, directory removed: serve the tile all the same
            log.warning("tile not cached: %s", exc)
    return t
