"""Built tiles as files in one directory, shared by every worker process of a server.

A tile is written to a temporary file and renamed into place (``os.replace``, atomic on
one file system), so a reader sees a whole file or none. Each file carries a header -- a
magic number, the feature count, the truncation flag, the SHA-1 of the tile and its length --
and a read keeps the tile only when the length and the digest match: a file cut short or
damaged by anything is never served (it is dropped, and rebuilt on the next miss). The
digest is also the tile's ETag, so a hit does not hash the tile again.

The key names everything the bytes depend on (see :func:`geo.tiles.cache.tile_key`), so the
cache never has to be invalidated: a write moves the collection's data version, new requests
ask for new keys and old files age out.

Bounded by bytes: the total of the files is kept in ``.size`` under an exclusive ``flock``
taken by writers (readers take no lock). When a write would pass ``max_bytes``, the writer
scans the directory, which also corrects the total, and deletes the least recently used
files (a hit refreshes a file's mtime at most once a minute) down to 80 % of the bound. The
directory must be on a local file system (``flock``).

>>> import tempfile
>>> from geo.tiles.mvt import Tile
>>> c = FileTileCache(tempfile.mkdtemp(), max_bytes=10_000)
>>> c.put("ab" * 32, Tile(b"12345", 1, False)); c.get("ab" * 32).data, c.get("cd" * 32)
(b'12345', None)
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import threading
import time
import uuid
from pathlib import Path

from geo.tiles.mvt import Tile

MAGIC = b"RMT1"
# magic, features, truncated, sha1 of the tile, tile length
HEADER = struct.Struct("<4sIB20sQ")
SUFFIX = ".tile"
LOW_WATER = 0.8  # eviction frees down to this share of max_bytes
TOUCH_AFTER_S = 60  # a hit refreshes the mtime (LRU order) at most this often
STALE_PART_S = 300  # temporary files older than this are leftovers of a dead writer


def encode(tile: Tile) -> bytes:
    digest = bytes.fromhex(tile.sha1)
    return HEADER.pack(MAGIC, tile.features, tile.truncated, digest, len(tile.data)) + tile.data


def decode(blob: bytes) -> Tile | None:
    """The tile in ``blob``, or None unless the header, length and digest all check out.

    >>> blob = encode(Tile(b"abc", 2, True))
    >>> decode(blob)
    Tile(data=b'abc', features=2, truncated=True)
    >>> decode(blob[:-1]), decode(blob[:-1] + b"x"), decode(b"")
    (None, None, None)
    """
    if len(blob) < HEADER.size:
        return None
    magic, features, truncated, digest, length = HEADER.unpack_from(blob)
    data = blob[HEADER.size :]
    if magic != MAGIC or length != len(data) or truncated > 1:
        return None
    sha1 = hashlib.sha1(data, usedforsecurity=False)
    if sha1.digest() != digest:
        return None
    return Tile(data, features, bool(truncated), sha1.hexdigest())


class FileTileCache:
    """Tiles by key (a hex digest) in ``directory``, at most ``max_bytes`` of files."""

    shared = True  # other processes see what this one puts

    def __init__(self, directory: str | os.PathLike, max_bytes: int):
        self.root = Path(directory)
        self.max_bytes = max_bytes
        self.hits = self.misses = 0
        self._lock = threading.Lock()  # flock is per open file: threads need their own lock
        self._parts = self.root / "tmp"
        self._parts.mkdir(parents=True, exist_ok=True)
        self._lockfile = self.root / ".lock"
        self._sizefile = self.root / ".size"

    def path(self, key: str) -> Path:
        return self.root / key[:2] / (key + SUFFIX)

    def get(self, key: str) -> Tile | None:
        path = self.path(key)
        try:
            with open(path, "rb") as f:
                blob = f.read()
                mtime = os.fstat(f.fileno()).st_mtime
                tile = decode(blob)
                if tile is not None and time.time() - mtime > TOUCH_AFTER_S:
                    os.utime(f.fileno())
        except OSError:
            tile = None
        else:
            if tile is None:  # damaged or cut short: never served, dropped
                path.unlink(missing_ok=True)
        if tile is None:
            self.misses += 1
        else:
            self.hits += 1
        return tile

    def put(self, key: str, tile: Tile) -> None:
        """Stores ``tile`` (blocking file work: call it off the event loop)."""
        blob = encode(tile)
        if len(blob) > self.max_bytes:
            return
        path = self.path(key)
        part = self._parts / f"{os.getpid()}-{uuid.uuid4().hex}.part"
        part.write_bytes(blob)
        try:
            path.parent.mkdir(exist_ok=True)
            with self._lock, open(self._lockfile, "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                total = self._read_total()
                total += len(blob) - _size(path)
                if total > self.max_bytes:
                    total = self._evict(int(self.max_bytes * LOW_WATER) - len(blob)) + len(blob)
                os.replace(part, path)
                self._sizefile.write_text(str(total))
        finally:
            part.unlink(missing_ok=True)

    def total_bytes(self) -> int:
        """Bytes of tile files now in the directory (a scan)."""
        return sum(size for _, size, _ in self._files())

    def _read_total(self) -> int:
        try:
            return int(self._sizefile.read_text())
        except (OSError, ValueError):
            return self.total_bytes()

    def _files(self) -> list[tuple[float, int, str]]:
        out = []
        for shard in os.scandir(self.root):
            if not shard.is_dir() or shard.name == "tmp":
                continue
            for e in os.scandir(shard.path):
                try:
                    st = e.stat()
                except FileNotFoundError:
                    continue
                out.append((st.st_mtime, st.st_size, e.path))
        return out

    def _evict(self, target: int) -> int:
        """Deletes the least recently used files until at most ``target`` bytes remain (and
        leftover temporary files); returns the bytes that remain."""
        files = sorted(self._files())
        total = sum(size for _, size, _ in files)
        for _, size, name in files:
            if total <= target:
                break
            Path(name).unlink(missing_ok=True)
            total -= size
        now = time.time()
        for e in os.scandir(self._parts):
            try:
                if now - e.stat().st_mtime > STALE_PART_S:
                    os.unlink(e.path)
            except FileNotFoundError:
                continue
        return total


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
