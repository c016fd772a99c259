"""Overlaps between two feature layers, with filters on each side, in ONE SQL statement.

Plan shape (EXPLAIN ANALYZE, mining_pits × water_source_zones, sample data)::

    Sort (s.id, p.id)
      -> Nested Loop
           -> Nested Loop
                -> Bitmap Heap Scan on features t              (the smaller, filtered side)
                     -> Bitmap Index Scan on ix_features_layer_geom  Index Cond: layer = …
                -> Index Scan using ix_features_layer_geom on features t_1
                     Index Cond: ((layer = …) AND (geom && t.geom))  <- GiST (btree_gist)
                     Filter: st_intersects(geom, t.geom)
           -> Subquery Scan on x  (intersection computed once: OFFSET 0 fences inlining)
                Filter: NOT st_isempty(x.g) AND st_area(x.g::geography) >= min_area

With a selective protected filter (grade=1) the planner swaps the sides and probes the
subject layer's GiST instead: one GiST probe per feature of the outer side. Attribute
filters are JSONB containment, typed by each layer's schema (geo/catalog/items.py ``filter_where``).
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
    outer.add("NOT ST_IsEmpty(x.g)")
    outer.add(f"y.a >= {outer.bind(float(q.min_area_m2))}")
    if q.bbox is not None:
        outer.add(f"ST_Intersects(x.g, {envelope_sql(outer, q.bbox, q.bbox_crs)})")
    same_layer = "AND t.id <> s.id" if q.subject.id == q.protected.id else ""
    limit = f"LIMIT {outer.bind(int(q.limit))}" if q.limit is not None else ""
    values = (
        "s.layer AS subject_collection, s.id AS subject_id, s.code AS subject_code,"
        " p.layer AS protected_collection, p.id AS protected_id, p.code AS protected_code,"
        " round(y.a::numeric, 1)::float8 AS area_m2,"
        " round((y.a / 10000)::numeric, 4)::float8 AS area_ha,"
        " round((y.a * 15 / 10000)::numeric, 2)::float8 AS area_mu,"
        " round((y.a / nullif(s.area_m2, 0))::numeric, 4)::float8 AS share_of_subject,"
        " round((y.a / nullif(p.area_m2, 0))::numeric, 4)::float8 AS share_of_protected,"
        " s.region_code"
    )
    if fmt == "csv":
        select = f"{values}, ST_AsText(x.g) AS geometry_wkt"
    else:
        select = (
            """'{"type":"Feature","id":"' || s.id || '-' || p.id || '","geometry":' ||"""
            " ST_AsGeoJSON(x.g, 7, 0) || ',\"properties\":' || to_jsonb(v)::text || '}'"
        )
    sql = f"""
SELECT {select}
FROM (SELECT t.id, t.layer, t.code, t.region_code, t.geom, t.area_m2
      FROM features t WHERE {sw.sql}) s
JOIN LATERAL (SELECT t.id, t.layer, t.code, t.geom, t.area_m2
              FROM features t WHERE {pw.sql} AND ST_Intersects(t.geom, s.geom) {same_layer}) p
  ON TRUE
CROSS JOIN LATERAL (SELECT rm_violation_geom(s.geom, p.geom, 'intersects', NULL) AS g
                    OFFSET 0) x
CROSS JOIN LATERAL (SELECT coalesce(ST_Area(x.g::geography), 0) AS a) y
CROSS JOIN LATERAL (SELECT {values}) v
WHERE {outer.sql}
ORDER BY s.id, p.id
{limit}"""
    return sql, outer.params


@dataclass
class Overlaps:
    """Overlaps being read: rows in batches from a server-side cursor, never all in memory.
    For json each row is one Feature's JSON text; for csv the :data:`FIELDS` and the WKT."""

    fmt: str
    _result: AsyncResult

    async def batches(self) -> AsyncIterator[list]:
        try:
            async for partition in self._result.partitions(500):
                if self.fmt == "csv":
                    yield [list(r) for r in partition]
                else:
                    yield [r[0] for r in partition]
        finally:
            await self._result.close()


async def open_overlaps(conn: AsyncConnection, q: OverlapQuery, fmt: str = "json") -> Overlaps:
    """Starts the overlap statement on ``conn``; bad parameters are 400s before any row."""
    sql, params = overlap_sql(q, fmt)
    # Cursors are planned for fast first rows (cursor_tuple_fraction = 0.1), which made
    # grassland × wetlands drive from the 500,000 patches: 26 s. Every row is read, so
    # plan for all of them: 4 s (bench scale 1.0, BENCHMARKS.md). SET LOCAL: it ends with
    # the request's transaction.
    await conn.execute(text("SET LOCAL cursor_tuple_fraction = 1"))
    # PostGIS functions carry high costs, so these plans pass jit_above_cost and compiling
    # costs more than it saves: at scale 1.0 JIT took 1,215 ms of 1,624 ms (EXPLAIN ANALYZE,
    # pits x grade-1 zones), 1.03 s without it (BENCHMARKS.md). Chosen by that measurement.
    await conn.execute(text("SET LOCAL jit = off"))
    return Overlaps(fmt, await conn.stream(text(sql), params))
