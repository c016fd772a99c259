"""Overlaps: pits × grade-1 water-source zones and grassland × wetland zones, three ways:
the service's ``/overlaps`` endpoint, the same SQL run bare (psycopg, fetching every row:
the floor) and geopandas ``overlay`` on the GeoPackages (what a planner would otherwise do:
read both files, overlay, measure the pieces in an equal-area projection).

The bare SQL is the service's own (``geo.violations.overlaps.overlap_sql``, the statement the
endpoint streams) when the violations stream's module is present; until it is merged, this module's
reference query (GiST join, geodesic overlap area) stands in, and the report says which.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import geopandas as gpd
import httpx
from sqlalchemy import create_engine, text

from bench.timing import alternate, ratio
from geo.kernel.config import Settings

# Equal-area projection for China (Albers, standard parallels 25°N and 47°N).
ALBERS_CHINA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m"

CASES = {
    "pits_x_grade1_zones": {
        "subject": "mining_pits",
        "protected": "water_source_zones",
        "protected_filter": {"grade": "1"},
        # Query of the service's endpoint (adjust to the violations stream's parameters).
        "endpoint": {
            "subject": "mining_pits",
            "protected": "water_source_zones",
            "protected.grade": "1",
        },
    },
    "grassland_x_wetlands": {
        "subject": "grassland_occupations",
        "protected": "wetland_parks",
        "protected_filter": {},
        "endpoint": {"subject": "grassland_occupations", "protected": "wetland_parks"},
    },
}

REFERENCE_SQL = """
SELECT a.id AS subject_id, b.id AS protected_id,
       ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS overlap_m2
FROM features a
JOIN features b
  ON b.layer = :protected AND b.properties @> CAST(:filter AS jsonb)
 AND ST_Intersects(a.geom, b.geom)
WHERE a.layer = :subject
"""


def service_sql(database_url: str, case: dict) -> tuple[str, dict] | None:
    """The endpoint's statement and parameters, built by the service's module (if merged)."""
    try:
        from geo.violations import overlaps as ov
    except ImportError:
        return None
    from geo.catalog.sources import get_collection
    from geo.kernel.config import Settings
    from geo.kernel.db import async_engine

    async def build():
        engine = async_engine(Settings(database_url=database_url))
        try:
            async with engine.connect() as conn:
                s = await get_collection(conn, case["subject"])
                p = await get_collection(conn, case["protected"])
        finally:
            await engine.dispose()
        q = ov.OverlapQuery(subject=s, protected=p, protected_attributes=case["protected_filter"])
        return ov.overlap_sql(q, "json")

    return asyncio.run(build())


def bare_sql(
    conn, case: dict, service: tuple[str, dict] | None, jit: bool = True
) -> tuple[float, int]:
    """The statement run bare, every row fetched: the floor the endpoint is measured against.
    ``jit=False`` runs it with PostgreSQL's JIT compilation off (see BENCHMARKS.md: PostGIS
    function costs push these plans over jit_above_cost, and compiling costs more than it
    saves)."""
    conn.rollback()
    if not jit:
        conn.execute(text("SET LOCAL jit = off"))
    t0 = time.perf_counter()
    if service is not None:
        sql, params = service
        n = len(conn.execute(text(sql), params).fetchall())
    else:
        params = {
            "subject": case["subject"],
            "protected": case["protected"],
            "filter": json.dumps(case["protected_filter"]),
        }
        rows = conn.execute(text(REFERENCE_SQL), params).fetchall()
        n = sum(1 for r in rows if r[2] > 0)
    dt = time.perf_counter() - t0
    conn.rollback()
    return dt, n


def geopandas_overlay(data_dir: Path, case: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    a = gpd.read_file(data_dir / f"{case['subject']}.gpkg", columns=["code"])
    b = gpd.read_file(data_dir / f"{case['protected']}.gpkg")
    for k, v in case["protected_filter"].items():
        b = b[b[k] == v]
    b = b[["code", "geometry"]]
    t_read = time.perf_counter() - t0
    pieces = gpd.overlay(a, b, how="intersection", keep_geom_type=True)
    area = pieces.to_crs(ALBERS_CHINA).area
    dt = time.perf_counter() - t0
    return dt, {"pairs": int((area > 0).sum()), "read_s": t_read}


def endpoint(client: httpx.Client, base: str, case: dict) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = client.get(f"{base}/overlaps", params=case["endpoint"])
    body = r.content
    dt = time.perf_counter() - t0
    r.raise_for_status()
    return dt, len(body)


def run(
    client: httpx.Client,
    ours: str,
    database_url: str,
    data_dir: Path,
    repeats: int,
    gpd_repeats: int,
) -> dict:
    probe = client.get(f"{ours}/overlaps", params=CASES["pits_x_grade1_zones"]["endpoint"])
    has_endpoint = probe.status_code == 200
    out: dict = {
        "endpoint_available": has_endpoint,
        "endpoint_probe_status": probe.status_code,
        "sql": "reference (bench/overlaps.py)",
    }
    engine = create_engine(Settings(database_url=database_url).sqlalchemy_url)
    with engine.connect() as conn:
        for name, case in CASES.items():
            service = service_sql(database_url, case)
            out["sql"] = "service (geo.violations.overlaps.overlap_sql)" if service else out["sql"]
            contenders = {
                "bare_sql": lambda c=case, s=service: bare_sql(conn, c, s),
                "bare_sql_jit_off": lambda c=case, s=service: bare_sql(conn, c, s, jit=False),
            }
            if has_endpoint:
                contenders["endpoint"] = lambda c=case: endpoint(client, ours, c)
            res = alternate(contenders, repeats)
            gp = alternate(
                {"geopandas": lambda c=case: geopandas_overlay(data_dir, c)}, gpd_repeats, warmup=0
            )
            row = {
                "bare_sql": _strip(res["bare_sql"]),
                "pairs_sql": res["bare_sql"]["result"],
                "geopandas": _strip(gp["geopandas"]),
                "pairs_geopandas": gp["geopandas"]["result"]["pairs"],
                "geopandas_read_s": gp["geopandas"]["result"]["read_s"],
                "geopandas_over_sql": ratio(
                    gp["geopandas"]["median_s"], res["bare_sql"]["median_s"]
                ),
                "bare_sql_jit_off": _strip(res["bare_sql_jit_off"]),
                "geopandas_over_sql_jit_off": ratio(
                    gp["geopandas"]["median_s"], res["bare_sql_jit_off"]["median_s"]
                ),
            }
            if has_endpoint:
                e = res["endpoint"]["median_s"]
                row["endpoint"] = _strip(res["endpoint"])
                row["endpoint_over_sql"] = ratio(e, res["bare_sql"]["median_s"])
                # the floor with the endpoint's own settings (it runs with JIT off)
                row["endpoint_over_sql_jit_off"] = ratio(e, res["bare_sql_jit_off"]["median_s"])
                row["geopandas_over_endpoint"] = ratio(gp["geopandas"]["median_s"], e)
            out[name] = row
    engine.dispose()
    return out


def _strip(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "result"}
