"""Import: 100,000 features from a GeoPackage through the service's import
(``python -m app import <collection> <file>``) against ``ogr2ogr -f PostgreSQL … --config
PG_USE_COPY YES`` into a scratch table. Both timed as the commands a user runs (process
start to exit). The imported rows carry codes ending in ``-IMP`` and are deleted after each
run, so the layer is left as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pyogrio

from bench.benchdb import (
    ROOT,
    import_with_stand_in,
    insert_from_stage_sql,
    ogr2ogr,
    pg_conninfo,
    service_import_available,
)
from bench.timing import alternate, ratio

LAYER = "grassland_occupations"
N = 100_000


def import_file(data_dir: Path) -> tuple[Path, int]:
    """The first 100,000 grassland patches with fresh codes (written once per data set)."""
    path = data_dir / "import_100k.gpkg"
    if not path.exists():
        df = pyogrio.read_dataframe(data_dir / f"{LAYER}.gpkg", max_features=N)
        df["code"] = df["code"] + "-IMP"
        pyogrio.write_dataframe(
            df, path, layer=LAYER, driver="GPKG", dataset_options={"VERSION": "1.3"}
        )
    return path, pyogrio.read_info(path)["features"]


def _run(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - t0


def _ogr2ogr_command(database_url: str, path: Path) -> list[str]:
    """ogr2ogr loading the file into a staging table with COPY: the reference import."""
    return [
        "ogr2ogr",
        "-f",
        "PostgreSQL",
        pg_conninfo(database_url),
        str(path),
        "-nln",
        "bench_stage.import_ogr",
        "-overwrite",
        "--config",
        "PG_USE_COPY",
        "YES",
    ]


def run(database_url: str, data_dir: Path, repeats: int) -> dict:
    path, n = import_file(data_dir)
    conn = psycopg.connect(database_url, autocommit=True)
    conn.execute("CREATE SCHEMA IF NOT EXISTS bench_stage")

    def ogr():
        dt = _run(_ogr2ogr_command(database_url, path))
        conn.execute("DROP TABLE IF EXISTS bench_stage.import_ogr")
        return dt, None

    def service():
        env = {**os.environ, "DATABASE_URL": database_url}
        dt = _run([sys.executable, "-m", "app", "import", LAYER, str(path)], env)
        got = conn.execute(
            "DELETE FROM features WHERE layer = %s AND code LIKE '%%-IMP'", (LAYER,)
        ).rowcount
        if got != n:
            raise RuntimeError(f"service import wrote {got} rows, expected {n}")
        return dt, got

    def stand_in():
        # ogr2ogr into a staging table, then one INSERT … SELECT into features: what any
        # COPY-based import into the features table pays at least (trigger, generated
        # area, CHECK, four indexes). Not the service; the floor under it.
        t0 = time.perf_counter()
        import_with_stand_in(database_url, LAYER, path)
        dt = time.perf_counter() - t0
        conn.execute("DELETE FROM features WHERE layer = %s AND code LIKE '%%-IMP'", (LAYER,))
        return dt, None

    contenders = {"ogr2ogr": ogr, "stand_in": stand_in}
    available = service_import_available()
    if available:
        contenders["service_import"] = service
    # No warm-up run: each run is a fresh process on a 100,000-row file; the first is as
    # representative as the others (and a scale-1.0 service import takes minutes).
    res = alternate(contenders, repeats, warmup=0)
    # Every run imported and deleted 100,000 rows: 2 x repeats x 100,000 dead rows in
    # features (three times that in feature_generalised) left for the benchmarks that
    # follow (overhead, load) to read past. Production's autovacuum removes them; this
    # machine runs without it (BENCHMARKS.md, session 5).
    conn.execute("VACUUM ANALYZE features, feature_generalised, feature_parts, violations")
    conn.close()
    out = {"features": n, "service_import_available": available}
    for k, v in res.items():
        out[k] = {kk: vv for kk, vv in v.items() if kk != "result"}
        out[k]["features_per_s"] = round(n / v["median_s"])
    out["stand_in_over_ogr2ogr"] = ratio(res["stand_in"]["median_s"], res["ogr2ogr"]["median_s"])
    with staged(database_url, path):
        out["insert_plan"] = insert_plan(database_url)
        checks = mandated_checks(database_url)
    out["mandated_checks"] = checks
    out["mandated_floor_over_ogr2ogr"] = ratio(
        res["ogr2ogr"]["median_s"] + checks["median_s"], res["ogr2ogr"]["median_s"]
    )
    if available:
        out["service_over_ogr2ogr"] = ratio(
            res["service_import"]["median_s"], res["ogr2ogr"]["median_s"]
        )
    return out


@contextmanager
def staged(database_url: str, path: Path) -> Iterator[None]:
    """The import file in ``bench_stage.<LAYER>`` by ogr2ogr, dropped afterwards."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench_stage")
    ogr2ogr(database_url, path, f"bench_stage.{LAYER}", LAYER)
    try:
        yield
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE bench_stage.{LAYER}")


def insert_plan(database_url: str) -> str:
    """EXPLAIN ANALYZE of the INSERT … SELECT of the staged rows into features (rolled
    back): it shows where a bulk write into the features table spends its time, triggers
    included."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + insert_from_stage_sql(conn, LAYER),
            {"layer": LAYER, "source": "bench import plan"},
        ).fetchall()
        conn.rollback()
    return "\n".join(r[0] for r in rows)


# The per-feature work any import that keeps the service's checks must do, whatever its
# design: validity, the ellipsoidal area and the county of every row. Timed as one SQL
# statement over the rows ogr2ogr staged, it is a lower bound on (import - ogr2ogr).
MANDATED_CHECKS_SQL = f"""SELECT count(*) FILTER (WHERE ST_IsValid(geom)),
       sum(ST_Area(geom::geography)), count(rm_county_of(geom))
FROM bench_stage.{LAYER}"""


def mandated_checks(database_url: str, repeats: int = 3) -> dict:
    """Seconds of :data:`MANDATED_CHECKS_SQL` over the staged rows (median of ``repeats``,
    the same session): the floor under the import's ratio."""
    times = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET jit = off")  # as rm_evaluate runs; PostGIS costs trigger JIT
        for _ in range(repeats):
            t0 = time.perf_counter()
            conn.execute(MANDATED_CHECKS_SQL).fetchone()
            times.append(time.perf_counter() - t0)
    return {"median_s": sorted(times)[len(times) // 2], "runs_s": times}
