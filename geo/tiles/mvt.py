"""Mapbox Vector Tiles of any collection, built by PostGIS in one statement.

Every collection is read through its :class:`~geo.catalog.sources.Source`, so a collection another
module registers in ``SPECIAL_SOURCES`` (e.g. ``violations``) gets tiles with no change here.

The tile envelope is computed in EPSG:3857 (``ST_TileEnvelope``) and transformed once to the
storage SRID, so the filter ``geom && <envelope>`` runs on the GiST index. Ids are picked
first (cap + 1, by id); properties and geometry are read for the kept rows only. Geometry is
transformed to 3857 and simplified by half a screen pixel of the tile's zoom -- at z <= 10 for
feature layers it comes already so from ``feature_generalised`` (kept by the database,
geo/tiles/sql/generalised.sql), whose band partition is also where the ids are picked --
then clipped/quantised by ``ST_AsMVTGeom``.

>>> tile_pixel_m(0)  # one pixel of a 256 px tile at zoom 0, in metres of EPSG:3857
156543.03392804097
>>> validate_tile(3, 7, 8)
Traceback (most recent call last):
...
geo.kernel.errors.NotFound: tile column 8 is outside tile matrix 3 (0..7)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.sources import TILE_DROPPED_PROPERTIES, Collection, Source
from geo.kernel.errors import NotFound

# WebMercatorQuad (OGC 17-083r4): the square world of EPSG:3857, 256 px tiles.
WORLD_M = 2 * 20037508.342789244
TILE_PX = 256
MAX_ZOOM = 24
EXTENT = 4096  # MVT grid units per tile side
BUFFER = 64  # grid units of geometry kept outside the tile, so strokes join across tiles


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
    # SHA-1 of ``data`` (hex): computed once, kept by the file cache next to the bytes.
    sha1: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.sha1:
            digest = hashlib.sha1(self.data, usedforsecurity=False).hexdigest()
            object.__setattr__(self, "sha1", digest)

    @property
    def etag(self) -> str:
        """A validator derived from the bytes: it changes exactly when the tile does. Weak,
        because the HTTP layer may gzip the body (the same ETag for both encodings)."""
        return 'W/"' + self.sha1 + '"'


# Zooms at which feature_generalised keeps a simplified copy of every feature (EPSG:3857,
# simplified by half a pixel of that zoom: geo/tiles/sql/generalised.sql). A tile at zoom z
# reads the band of the smallest such zoom >= z; above the last band it reads the live geometry.
GENERALISED_BANDS = (6, 8, 10)


def generalised_band(z: int) -> int | None:
    """The band a tile at zoom ``z`` reads, or None for the live geometry.

    >>> [generalised_band(z) for z in (0, 6, 7, 8, 10, 11)]
    [6, 6, 8, 8, 10, None]
    """
    return next((b for b in GENERALISED_BANDS if b >= z), None)


_BOUNDS = f"""bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 4326) AS env4326
)"""


def _columns(src: Source, lean: bool = True) -> tuple[str, list[tuple[str, str]]]:
    """The MVT feature id and the attribute columns a tile carries, as (name, SQL over t):
    the Source's typed tile columns when it has them (and ``lean``), else one jsonb built
    from its properties (ST_AsMVT expands a jsonb column key by key)."""
    fid = f"{src.id_sql}::bigint" if src.id_is_int else "NULL::bigint"
    if lean and src.tile_columns:
        return fid, list(src.tile_columns)
    drop = "".join(f" - '{k}'" for k in TILE_DROPPED_PROPERTIES)
    props = f"jsonb_build_object('id', {src.id_sql}) || (({src.properties_sql}){drop})"
    return fid, [("props", props)]


def _simplified(geom: str) -> str:
    """``geom`` in EPSG:3857, simplified by half a pixel of the tile's zoom (:tol)."""
    return f"ST_Simplify(ST_Transform({geom}, 3857), :tol, true)"


def _select(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{sql} AS {name}" for name, sql in columns)


def _candidates(src: Source, select: str) -> str:
    """The first cap + 1 rows meeting the tile, by id (a capped tile is deterministic)."""
    return f"""SELECT {select}
    FROM {src.from_sql}
    WHERE ({src.where}) AND {src.geom_sql} && (SELECT env4326 FROM bounds)
    ORDER BY {src.id_sql}
    LIMIT :cap + 1"""


def _final(shaped: str, names: list[str]) -> str:
    # OFFSET 0 keeps "geom IS NOT NULL" from being pushed into the join, where the planner
    # would compute ST_AsMVTGeom twice per row (once to filter, once for the tile).
    return f"""SELECT (SELECT count(*) FROM picked) AS n,
       (SELECT ST_AsMVT(s, :layer, {EXTENT}, 'geom', 'fid')
        FROM (SELECT fid, {", ".join(names)}, geom FROM ({shaped}
              OFFSET 0) sh WHERE geom IS NOT NULL) s) AS mvt"""


def tile_sql(
    coll: Collection,
    z: int,
    *,
    ids_first: bool | None = None,
    generalised: bool | None = None,
    lean: bool = True,
) -> str:
    """The one statement that builds the tile of ``coll`` at zoom ``z``; parameters z, x, y,
    cap, tol, layer plus the Source's own (see :func:`tile_params`). It returns the number of
    candidates (at most cap + 1: more than cap means truncated) and the MVT layer's bytes,
    so a combined tile can concatenate the layers of several collections. ``ids_first`` and
    ``generalised`` default to what the Source allows (tests compare the plans); ``lean``
    False builds properties generically even where the Source has typed tile columns."""
    src = coll.source
    fid, columns = _columns(src, lean)
    use_bands = bool(src.generalised) and generalised is not False
    band = generalised_band(z) if use_bands else None
    if not (src.refetch_by_id if ids_first is None else ids_first):
        picked, shaped = _one_pass(src, fid, columns)
    elif band is not None:
        picked, shaped = _from_band(src, fid, columns, z, band)
    else:
        picked, shaped = _ids_first(src, fid, columns, lean and bool(src.tile_carry))
    names = [name for name, _ in columns]
    return f"WITH {_BOUNDS},\npicked AS MATERIALIZED (\n{picked}\n)\n{_final(shaped, names)}"


def _one_pass(src: Source, fid: str, columns: list[tuple[str, str]]) -> tuple[str, str]:
    """A derived relation (e.g. a layer as of a past instant): one pass."""
    picked = _candidates(
        src, f"{src.id_sql} AS k, {fid} AS fid, {_select(columns)}, {src.geom_sql} AS geom"
    )
    shaped = f"""SELECT p.fid, {", ".join("p." + name for name, _ in columns)},
               ST_AsMVTGeom({_simplified("p.geom")},
                            b.env, {EXTENT}, {BUFFER}, true) AS geom
        FROM (SELECT * FROM picked ORDER BY k LIMIT :cap) p, bounds b"""
    return picked, shaped


def _ids_first(
    src: Source, fid: str, columns: list[tuple[str, str]], carried: bool
) -> tuple[str, str]:
    """Above the bands: ids first, properties and live geometry only for the kept rows."""
    live = _simplified(src.geom_sql)
    if not carried:
        shaped = f"""SELECT {fid} AS fid, {_select(columns)},
               ST_AsMVTGeom({live}, b.env, {EXTENT}, {BUFFER}, true) AS geom
        FROM (SELECT k FROM picked ORDER BY k LIMIT :cap) i, bounds b, {src.from_sql}
        WHERE {src.id_sql} = i.k AND ({src.where})
        ORDER BY i.k"""
        return _candidates(src, f"{src.id_sql} AS k"), shaped
    # The id pick carries the raw columns the tile columns read, and the geometry, so no
    # kept row is read a second time.
    carry = ", ".join([*(f"t.{c}" for c in src.tile_carry), f"{src.geom_sql} AS geom"])
    shaped = f"""SELECT {"t.k::bigint" if src.id_is_int else "NULL::bigint"} AS fid,
               {_select(columns)},
               ST_AsMVTGeom({_simplified("t.geom")}, b.env, {EXTENT}, {BUFFER}, true) AS geom
        FROM (SELECT * FROM picked ORDER BY k LIMIT :cap) t CROSS JOIN bounds b
        ORDER BY t.k"""
    return _candidates(src, f"{src.id_sql} AS k, {carry}"), shaped


def _from_band(
    src: Source, fid: str, columns: list[tuple[str, str]], z: int, band: int
) -> tuple[str, str]:
    """At a band's zooms the rows are picked from that band's partition of
    feature_generalised, by the envelope of their full geometry (the rows ``geom && tile``
    picks), with their simplified geometry; the kept rows' columns are then read by id."""
    pre = "p.geom" if band == z else "ST_Simplify(p.geom, :tol, true)"
    picked = f"""SELECT g.feature_id AS k, g.geom
    FROM feature_generalised g
    WHERE g.band = {band} AND ({src.generalised}) AND g.env && (SELECT env4326 FROM bounds)
    ORDER BY g.feature_id
    LIMIT :cap + 1"""
    shaped = f"""SELECT {fid} AS fid, {_select(columns)},
               ST_AsMVTGeom({pre}, b.env, {EXTENT}, {BUFFER}, true) AS geom
        FROM (SELECT * FROM picked ORDER BY k LIMIT :cap) p
             JOIN {src.from_sql} ON {src.id_sql} = p.k
             CROSS JOIN bounds b
        ORDER BY p.k"""
    return picked, shaped


def tile_params(coll: Collection, z: int, row: int, col: int, cap: int) -> dict[str, Any]:
    return {
        **coll.source.params,
        "z": z,
        "x": col,
        "y": row,
        "cap": cap,
        "tol": tile_pixel_m(z) / 2,
        "layer": coll.id,
    }


# Statements already built, by what determines their text (a collection's Source follows from
# its id, kind and whether it is read as of an instant, and the statement from that and z):
# built once per process, not once per request.
_STATEMENTS: dict[tuple[str, str, bool, int], str] = {}


def tile_statement(
    coll: Collection, z: int, row: int, col: int, cap: int
) -> tuple[str, dict[str, Any]]:
    """The statement and parameters that build one tile: together with the data version they
    determine its bytes (the tile cache's key is made of them)."""
    validate_tile(z, row, col)
    key = (coll.id, coll.kind, coll.as_of is not None, z)
    sql = _STATEMENTS.get(key)
    if sql is None:
        sql = _STATEMENTS[key] = tile_sql(coll, z)
    return sql, tile_params(coll, z, row, col, cap)


@lru_cache(maxsize=1024)
def _text(sql: str) -> TextClause:
    """The clause of a tile statement, parsed for its bind parameters once, not per request."""
    return text(sql)


async def run_tile(conn: AsyncConnection, sql: str, params: dict[str, Any], cap: int) -> Tile:
    n, mvt = (await conn.execute(_text(sql), params)).one()
    data = bytes(mvt or b"")
    return Tile(data=data, features=min(n, cap), truncated=n > cap)


async def build_tile(
    conn: AsyncConnection, coll: Collection, z: int, row: int, col: int, cap: int
) -> Tile:
    sql, params = tile_statement(coll, z, row, col, cap)
    return await run_tile(conn, sql, params, cap)
