"""Overlaps between two feature layers, with filters on each side, in ONE SQL statement.

Plan shape (EXPLAIN ANALYZE, grassland_occupations × wetland_parks, bench scale 1.0)::

    Sort ((s.id + 0), p.id)                              <- at the end: no limit (below)
      -> Nested Loop
           -> Nested Loop Left Join
                -> Nested Loop
                     -> Bitmap Heap Scan on features t_1       (the filtered protected side)
                     -> Nested Loop
                          -> Index Scan using ix_features_geom_layer on features t
                               Index Cond: ((geom && t_1.geom) AND (layer = …))  <- boxes meet
                          -> h: do they meet, on the pieces (Filter: h.hit)
                -> Index Scan using ix_violations_live_pair on violations v  <- stored overlap
           -> k: 'stored', 'covered' or 'intersects'
           -> x: the stored overlap, the subject itself, or ST_Intersection (OFFSET 0 fences)

The parts (stored overlaps, pieces, the covered shortcut) are geo.violations.overlap_plan's.
Attribute filters are JSONB containment, typed by each layer's schema
(geo/catalog/items.py ``filter_where``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncResult

from geo.catalog.items import ItemsQuery, envelope_sql, filter_where
from geo.catalog.sources import Collection
from geo.kernel import crs as crs_mod
from geo.kernel.crs import CRS
from geo.kernel.errors import InvalidParameter
from geo.kernel.sql import Where
from geo.kernel.streams import primed
from geo.violations.overlap_plan import VALUES, pairs_sql

# Properties of every overlap, in output (and CSV column) order.
FIELDS = [
    "subject_collection",
    "subject_id",
    "subject_code",
    "protected_collection",
    "protected_id",
    "protected_code",
    "area_m2",
    "area_ha",
    "area_mu",
    "share_of_subject",
    "share_of_protected",
    "region_code",
]


@dataclass
class OverlapQuery:
    subject: Collection
    protected: Collection
    subject_attributes: dict[str, str] = field(default_factory=dict)
    protected_attributes: dict[str, str] = field(default_factory=dict)
    # Parsed CQL2 trees (geo.catalog.filters.parse) on each side.
    subject_filter: dict[str, Any] | bool | None = None
    protected_filter: dict[str, Any] | bool | None = None
    region: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: CRS = crs_mod.DEFAULT
    min_area_m2: float = 0.0
    limit: int | None = None


def _side(coll: Collection, attrs: dict[str, str], cql: Any, prefix: str, q: OverlapQuery) -> Where:
    if coll.kind != "feature":
        raise InvalidParameter(
            f"{prefix}: {coll.id!r} is not a feature layer", parameter=prefix.rstrip("_")
        )
    src = replace(
        coll.source, where=f"t.layer = :{prefix}layer", params={f"{prefix}layer": coll.id}
    )
    iq = ItemsQuery(attributes=attrs, bbox=q.bbox, bbox_crs=q.bbox_crs, filter=cql)
    return filter_where(coll, iq, source=src, prefix=prefix)


def _named(fn, coll, attrs, cql, prefix, q) -> Where:
    """CQL2 errors name the side's parameter (subject-filter / protected-filter)."""
    try:
        return fn(coll, attrs, cql, prefix, q)
    except InvalidParameter as exc:
        if exc.parameter != "filter":
            raise
        side = "subject-filter" if prefix == "s_" else "protected-filter"
        raise InvalidParameter(
            f"{side}: {exc.description.removeprefix('filter: ')}", parameter=side
        ) from None


def overlap_sql(q: OverlapQuery, fmt: str = "json") -> tuple[str, dict[str, Any]]:
    """SQL yielding one row per overlap: (feature JSON) for json, plain columns for csv."""
    if q.min_area_m2 < 0:
        raise InvalidParameter("min_area_m2: must be >= 0", parameter="min_area_m2")
    subject_attrs = dict(q.subject_attributes)
    if q.region is not None:
        subject_attrs["region_code"] = q.region  # prefecture codes match their counties
    sw = _named(_side, q.subject, subject_attrs, q.subject_filter, "s_", q)
    pw = _named(_side, q.protected, q.protected_attributes, q.protected_filter, "o_", q)
    outer = Where(params={**sw.params, **pw.params}, prefix="x_")
    outer.add("h.hit AND NOT ST_IsEmpty(x.g)")
    outer.add(f"x.a >= {outer.bind(float(q.min_area_m2))}")
    if q.bbox is not None:
        outer.add(f"ST_Intersects(x.g, {envelope_sql(outer, q.bbox, q.bbox_crs)})")
    limit = f"LIMIT {outer.bind(int(q.limit))}" if q.limit is not None else ""
    # Without a limit the rows are sorted at the end (``s.id + 0``: no index gives that
    # order), so the planner picks the join order by cost alone. Given the subject's primary
    # key order for free, it drove grassland x wetlands from the 500,000 patches (6.7 s)
    # instead of the 2,000 wetlands (1.2 s; scale 1.0, BENCHMARKS.md, session 6). With a
    # limit that order lets the first rows come without computing every pair.
    order = "s.id, p.id" if q.limit is not None else "s.id + 0, p.id"
    if fmt == "csv":
        select = f"{VALUES}, ST_AsText(x.g) AS geometry_wkt"
    else:  # row_to_json: text directly (to_jsonb built a binary value first), FIELDS order
        select = (
            """'{"type":"Feature","id":"' || s.id || '-' || p.id || '","geometry":' ||"""
            " ST_AsGeoJSON(x.g, 7, 0) || ',\"properties\":' || row_to_json(v)::text || '}'"
        )
    sql = f"""
SELECT {select}
FROM {pairs_sql(sw.sql, pw.sql, q.subject.id == q.protected.id)}
CROSS JOIN LATERAL (SELECT {VALUES}) v
WHERE {outer.sql}
ORDER BY {order}
{limit}"""
    return sql, outer.params


BATCH = 500  # rows per fetch from the cursor


async def _read(result: AsyncResult, fmt: str) -> AsyncIterator[list]:
    """Rows in batches from a server-side cursor, never all in memory: for json each row is
    one Feature's JSON text, for csv the :data:`FIELDS` and the WKT."""
    try:
        async for partition in result.partitions(BATCH):
            yield [list(r) for r in partition] if fmt == "csv" else [r[0] for r in partition]
    finally:
        await result.close()


async def open_overlaps(
    conn: AsyncConnection, q: OverlapQuery, fmt: str = "json"
) -> AsyncIterator[list]:
    """The overlaps in batches (see :func:`_read`), the statement started on ``conn`` and its
    first batch read: bad parameters are 400s, and a lost database a 503, before any row."""
    sql, params = overlap_sql(q, fmt)
    # Both settings in one round trip, local to the request's transaction (is_local = true):
    # Cursors are planned for fast first rows (cursor_tuple_fraction = 0.1), which made
    # grassland × wetlands drive from the 500,000 patches: 26 s. Every row is read, so
    # plan for all of them: 4 s (bench scale 1.0, BENCHMARKS.md).
    # JIT off: PostGIS functions carry high costs, so these plans pass jit_above_cost and
    # compiling costs more than it saves: grassland × wetlands (scale 0.1, EXPLAIN ANALYZE,
    # 5 alternated runs) 514 ms with JIT (455 ms of it compiling) against 103 ms without;
    # pits × grade-1 zones stays under jit_above_cost (22 ms either way). BENCHMARKS.md.
    await conn.execute(
        text(
            "SELECT set_config('cursor_tuple_fraction', '1', true), set_config('jit', 'off', true)"
        )
    )
    result = await conn.stream(text(sql), params)
    # The rows come sorted, so the first fetch does nearly all the work: read it before the
    # first byte, and a database that fails meanwhile is a 503, not a cut-off stream.
    return await primed(_read(result, fmt))
