"""Where to keep tiles shared by worker processes: files in a directory or an UNLOGGED table?

In one process on one open connection, alternated run by run, for a large and a small tile
of the hot spots (grassland z8, pits z12):

- ``build``: the tile statement (what a miss costs; the floor a cache must beat);
- ``memory``: the data-version lookup and a dictionary hit (the in-process cache);
- ``file``: the same lookup and a read of the tile file (geo.tiles.filecache);
- ``table``: one statement reading the version and the tile from an UNLOGGED table whose key
  is computed from the version in SQL (one round trip, as a table cache would do);
- ``file_put`` / ``table_put``: storing the tile (a miss's extra work).

    python -m bench.tile_cache --database-url postgresql://…/rm_bench_x --data bench/data/0.1

It creates ``bench_tile_cache_probe`` (UNLOGGED) in the database given and drops it after.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from pathlib import Path

import psycopg

from bench.overhead import _alternate, _pg
from bench.tiles import tile_list
from geo.catalog.sources import Collection
from geo.tiles import mvt
from geo.tiles.cache import TileCache, tile_key
from geo.tiles.filecache import FileTileCache
from geo.tiles.versions import Stamp

STAMP = "SELECT version, changed_at FROM data_versions WHERE name = %s"
TABLE_HIT = """SELECT d.version, c.data FROM data_versions d
    LEFT JOIN bench_tile_cache_probe c ON c.key = md5(%s || d.version || d.changed_at::text)
    WHERE d.name = %s"""
TABLE_PUT = """INSERT INTO bench_tile_cache_probe (key, data)
    SELECT md5(%s || d.version || d.changed_at::text), %s FROM data_versions d WHERE d.name = %s
    ON CONFLICT (key) DO UPDATE SET data = excluded.data"""


def _coll(layer: str) -> Collection:
    return Collection(
        layer, layer, None, None, "feature", "MultiPolygon", {}, None, None, True, False
    )


def _case(conn, layer: str, z: int, x: int, y: int, repeats: int, tmp: Path) -> dict:
    coll = _coll(layer)
    sql, params = mvt.tile_sql(coll, z), mvt.tile_params(coll, z, y, x, 20000)
    q = _pg(sql)
    n, data = conn.execute(q, params).fetchone()
    tile = mvt.Tile(bytes(data or b""), min(n, 20000), n > 20000)
    v, at = conn.execute(STAMP, (layer,)).fetchone()
    key = tile_key("bench", Stamp(v, at.isoformat()), sql, params)
    prefix = uuid.uuid4().hex
    memory, files = TileCache(1 << 30), FileTileCache(tmp, 1 << 30)
    memory.put(key, tile)
    files.put(key, tile)
    conn.execute(TABLE_PUT, (prefix, tile.data, layer))

    def via(cache):
        def hit():
            r = conn.execute(STAMP, (layer,)).fetchone()
            t = cache.get(tile_key("bench", Stamp(r[0], r[1].isoformat()), sql, params))
            assert t is not None and t.data == tile.data

        return hit

    def table_hit():
        row = conn.execute(TABLE_HIT, (prefix, layer)).fetchone()
        assert bytes(row[1]) == tile.data

    reads = _alternate(
        {
            "build": lambda: conn.execute(q, params).fetchone(),
            "memory": via(memory),
            "file": via(files),
            "table": table_hit,
        },
        repeats,
    )
    writes = _alternate(
        {
            "file_put": lambda: files.put(key, tile),
            "table_put": lambda: conn.execute(TABLE_PUT, (prefix, tile.data, layer)),
        },
        repeats,
    )
    return {"tile": f"{layer} {z}/{y}/{x}", "bytes": len(tile.data), **reads, **writes}


def run(database_url: str, data: Path, repeats: int) -> list[dict]:
    hotspots = json.loads((data / "manifest.json").read_text())["hotspots"]
    tiles = tile_list(hotspots)
    cases = [("grassland_occupations", 8, *tiles[8][0]), ("mining_pits", 12, *tiles[12][0])]
    out = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_tile_cache_probe "
            "(key text PRIMARY KEY, data bytea NOT NULL)"
        )
        try:
            with tempfile.TemporaryDirectory() as tmp:
                for layer, z, x, y in cases:
                    out.append(_case(conn, layer, z, x, y, repeats, Path(tmp)))
        finally:
            conn.execute("DROP TABLE bench_tile_cache_probe")
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database-url", required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--repeats", type=int, default=200)
    a = p.parse_args(argv)
    for case in run(a.database_url, a.data, a.repeats):
        ms = {k: round(v["median_s"] * 1000, 3) for k, v in case.items() if isinstance(v, dict)}
        print(case["tile"], f"{case['bytes']:,} bytes", "medians ms:", json.dumps(ms))


if __name__ == "__main__":
    main()
