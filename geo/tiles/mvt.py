"""Mapbox Vector Tiles of any collection, built by PostGIS in one statement.

Every collection is read through its :class:`~geo.catalog.sources.Source`, so a collection another
module registers in ``SPECIAL_SOURCES`` (e.g. ``violations``) gets tiles with no change here.

The tile envelope is computed in EPSG:3857 (``ST_TileEnvelope``) and transformed once to the
storage SRID, so the filter ``geom && <envelope>`` runs on the GiST index; only the selected
rows are transformed to 3857, simplified with a tolerance of half a screen pixel at the tile's
zoom, and clipped/quantised by ``ST_AsMVTGeom``.

>>> tile_pixel_m(0)  # one pixel of a 256 px tile at zoom 0, in metres of EPSG:3857
156543.03392804097
>>> validate_tile(3, 7, 8)
Traceback (most recent call last):
...
geo.kernel.errors.NotFound: tile column 8 is outside tile matrix 3 (0..7)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import Collection
from geo.kernel.errors import NotFound

# WebMercatorQuad (OGC 17-083r4): the square world of EPSG:3857, 256 px tiles.
WORLD_M = 2 * 20037508.342789244
TILE_PX = 256
MAX_ZOOM = 24
EXTENT = 4096  # MVT grid units per tile side
BUFFER = 64  # grid units of geometry kept outside the tile, so strokes join across tiles

# Properties a tile carries besides the layer attributes: what a popup needs, small.
DROPPED_PROPERTIES = ("source", "updated_at", "created_at")


def tile_pixel_m(z: int) -> float:
    """Size of one screen pixel of a tile at zoom ``z``, in EPSG:3857 metres."""
    return WORLD_M / (TILE_PX * 2**z)


def validate_tile(z: int, row: int, col: int) -> None:
    """Tile coordinates outside WebMercatorQuad's matrices name no tile: 404."""
    if not 0 <= z <= MAX_ZOOM:
        raise NotFound(f"tile matrix {z} is not in WebMercatorQuad (0..{MAX_ZOOM})")
    n = 2**z
    if not 0 <= row < n:
        raise NotFound(f"tile row {row} is outside tile matrix {z} (0..{n - 1})")
    if not 0 <= col < n:
        raise NotFound(f"tile column {col} is outside tile matrix {z} (0..{n - 1})")


@dataclass(frozen=True)
class Tile:
    data: bytes
    features: int
    truncated: bool

    @property
    def etag(self) -> str:
        """A validator derived from the bytes: it changes exactly when the tile does. Weak,
        because the HTTP layer may gzip the body (the same ETag for both encodings)."""
        return 'W/"' + hashlib.sha1(self.data, usedforsecurity=False).hexdigest() + '"'


def tile_sql(coll: Collection) -> str:
    """The one statement that builds a tile of ``coll``; parameters z, x, y, cap, tol plus
    the Source's own. Ordered by id so that a capped tile is deterministic."""
    src = coll.source
    props = src.properties_sql
    drop = "".join(f" - '{k}'" for k in DROPPED_PROPERTIES)
    fid = f"{src.id_sql}::bigint" if src.id_is_int else "NULL::bigint"
    return f"""
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 4326) AS env4326
),
picked AS (
    SELECT {src.id_sql} AS k, {fid} AS fid,
           jsonb_build_object('id', {src.id_sql}) || (({props}){drop}) AS props,
           {src.geom_sql} AS geom
    FROM {src.from_sql}
    WHERE ({src.where}) AND {src.geom_sql} && (SELECT env4326 FROM bounds)
    ORDER BY {src.id_sql}
    LIMIT :cap + 1
),
shaped AS (
    SELECT p.fid, p.props,
           ST_AsMVTGeom(ST_Simplify(ST_Transform(p.geom, 3857), :tol, true),
                        b.env, {EXTENT}, {BUFFER}, true) AS geom
    FROM (SELECT * FROM picked ORDER BY k LIMIT :cap) p, bounds b
)
SELECT (SELECT count(*) FROM picked) AS n,
       (SELECT ST_AsMVT(s, :layer, {EXTENT}, 'geom', 'fid')
        FROM (SELECT fid, props, geom FROM shaped WHERE geom IS NOT NULL) s) AS mvt
"""


async def build_tile(
    conn: AsyncConnection, coll: Collection, z: int, row: int, col: int, cap: int
) -> Tile:
    validate_tile(z, row, col)
    params: dict[str, Any] = {
        **coll.source.params,
        "z": z,
        "x": col,
        "y": row,
        "cap": cap,
        "tol": tile_pixel_m(z) / 2,
        "layer": coll.id,
    }
    n, mvt = (await conn.execute(text(tile_sql(coll)), params)).one()
    data = bytes(mvt or b"")
    return Tile(data=data, features=min(n, cap), truncated=n > cap)
