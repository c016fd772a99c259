"""A bounded in-process cache of built tiles, keyed by the collection's data version.

Every change to a collection bumps its row in ``data_versions`` in the same transaction
(triggers, migration 0010), and the version is part of the key, so a cached tile is never
served after its data changed, whatever path changed it. Reading the version is one
primary-key lookup; a hit then skips building the tile. Bounded by bytes (LRU).
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from geo.catalog.versions import data_version
from geo.tiles.mvt import Tile

__all__ = ["TileCache", "data_version"]

OVERHEAD = 200  # bytes per entry for the key and the objects, roughly


class TileCache:
    """LRU of tiles by key, holding at most ``max_bytes`` of tile data.

    >>> c = TileCache(max_bytes=410)  # room for one tile and a bit (200 bytes overhead each)
    >>> c.put(("a", 1), Tile(b"12345", 1, False)); c.put(("b", 1), Tile(b"678901", 1, False))
    >>> c.get(("a", 1)) is None, c.get(("b", 1)).data
    (True, b'678901')
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Tile | None:
        with self._lock:
            tile = self._items.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: tuple, tile: Tile) -> None:
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
