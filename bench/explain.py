"""EXPLAIN (ANALYZE, BUFFERS) of the hot queries, built by the service's own code where it
exists (items page, deep page, count), and a check that tipg's queries through the
``bench`` views use the GiST index of ``features`` (index scan counters before/after)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import psycopg
from sqlalchemy import create_engine, text

from bench.overlaps import CASES, REFERENCE_SQL, service_sql
from bench.tiles import tile_list
from geo.catalog import items
from geo.catalog.items import ItemsQuery
from geo.catalog.sources import get_collection
from geo.kernel.config import Settings
from geo.kernel.crs import DEFAULT
from geo.kernel.db import async_engine

TILE_SQL = """
WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env),
mvt AS (
  SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), b.env, 4096, 256, true) AS geom, t.id
  FROM bench.{layer} t, b
  WHERE ST_Intersects(t.geom, ST_Transform(b.env, 4326))
)
SELECT ST_AsMVT(mvt.*, 'default') FROM mvt
"""


async def _service_plans(database_url: str, layer: str, count: int) -> dict[str, str]:
    engine = async_engine(Settings(database_url=database_url))
    out = {}
    try:
        async with engine.connect() as conn:
            coll = await get_collection(conn, layer)
            mid = (
                await conn.execute(
                    text("SELECT id FROM features WHERE layer = :l ORDER BY id OFFSET :o LIMIT 1"),
                    {"l": layer, "o": count // 2},
                )
            ).scalar_one()
            for name, q in (
                ("items_first_page", ItemsQuery(limit=1000, crs=DEFAULT)),
                ("items_deep_page", ItemsQuery(limit=1000, cursor=items.encode_cursor([mid]))),
            ):
                sql, params = items.page_sql(coll, q)
                out[name] = await _explain(conn, sql, params)
            where = items.filter_where(coll, ItemsQuery())
            out["items_count"] = await _explain(
                conn, f"SELECT count(*) FROM {coll.source.from_sql} WHERE {where.sql}", where.params
            )
    finally:
        await engine.dispose()
    return out


async def _explain(conn, sql: str, params: dict) -> str:
    rows = await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params)
    return "\n".join(r[0] for r in rows)


def _psql_explain(conn: psycopg.Connection, sql: str, params: dict) -> str:
    rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
    return "\n".join(r[0] for r in rows)


def gist_scans(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'ix_features_geom_layer'"
    ).fetchone()[0]


def tipg_uses_gist(
    conn: psycopg.Connection, client: httpx.Client, tipg: str, layer: str, hotspots
) -> dict:
    """Index scans of ix_features_geom_layer counted around one tipg tile and one bbox
    request through the view (statistics are flushed asynchronously: wait a little)."""
    z = 10
    (x, y) = tile_list(hotspots)[z][0]
    out = {}
    for name, url in (
        ("tile", f"{tipg}/collections/bench.{layer}/tiles/WebMercatorQuad/{z}/{x}/{y}"),
        (
            "bbox_items",
            f"{tipg}/collections/bench.{layer}/items?limit=100&bbox="
            + ",".join(str(v) for v in _bbox(hotspots)),
        ),
    ):
        conn.execute("SELECT pg_stat_clear_snapshot()")
        before = gist_scans(conn)
        client.get(url).raise_for_status()
        time.sleep(1.5)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        out[name] = {"url": url, "gist_index_scans": gist_scans(conn) - before}
    return out


def _bbox(hotspots) -> tuple[float, float, float, float]:
    lon, lat, _ = sorted(hotspots, key=lambda h: h[2])[0]
    return (round(lon - 0.05, 4), round(lat - 0.05, 4), round(lon + 0.05, 4), round(lat + 0.05, 4))


def run(database_url: str, client: httpx.Client, tipg: str, counts: dict, hotspots) -> dict:
    plans = asyncio.run(_service_plans(database_url, "mining_pits", counts["mining_pits"]))
    with psycopg.connect(database_url, autocommit=True) as conn:
        z = 10
        (x, y) = tile_list(hotspots)[z][0]
        plans[f"tile_z{z}_view_mvt (tipg-style, on bench.grassland_occupations)"] = _psql_explain(
            conn, TILE_SQL.format(layer="grassland_occupations"), {"z": z, "x": x, "y": y}
        )
        case = CASES["pits_x_grade1_zones"]
        service = service_sql(database_url, case)
        label = "service's geo.violations.overlaps.overlap_sql" if service else "reference SQL"
        sql, params = service or (
            REFERENCE_SQL,
            {
                "subject": case["subject"],
                "protected": case["protected"],
                "filter": json.dumps(case["protected_filter"]),
            },
        )
        engine = create_engine(Settings(database_url=database_url).sqlalchemy_url)
        with engine.connect() as sconn:
            rows = sconn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params)
            plans[f"overlap_pits_x_grade1 ({label})"] = "\n".join(r[0] for r in rows)
        engine.dispose()
        index_check = tipg_uses_gist(conn, client, tipg, "grassland_occupations", hotspots)
    return {"plans": plans, "tipg_gist_check": index_check}
