"""The benchmark database: created and migrated with the project's own code, loaded with the
generated layers, and given one view per layer in schema ``bench`` for tipg.

Loading goes through the service's bulk path, ``python -m app import <collection> <file>``,
when the service has it; until then through a stand-in (ogr2ogr into a staging table with
COPY, then one INSERT … SELECT into ``features``), and the report says which one was used.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from geo.kernel import db
from geo.kernel.config import Settings
from geo.samples.load import FEATURE_LAYERS, load_samples

ROOT = Path(__file__).resolve().parent.parent


def admin_url(url: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/postgres"


def pg_conninfo(url: str) -> str:
    """``PG:`` connection string for GDAL."""
    u = urlsplit(url)
    parts = [
        f"host={u.hostname or '127.0.0.1'}",
        f"port={u.port or 5432}",
        f"user={u.username or 'postgres'}",
        f"dbname={u.path.lstrip('/')}",
    ]
    if u.password:
        parts.append(f"password={u.password}")
    return "PG:" + " ".join(parts)


def ensure_database(url: str) -> None:
    """Create the database (with PostGIS) if missing, migrate it to head, load the regions."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    settings = Settings(database_url=url)
    db.upgrade(settings)
    engine = db.sync_engine(settings)
    with engine.begin() as conn:
        # The project's loader brings the region and county outlines (the county trigger
        # needs them); its sample features are not part of the benchmark data.
        load_samples(conn)
        conn.exec_driver_sql("DELETE FROM features WHERE source LIKE 'sample%%'")
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
        conn.execute("CREATE TABLE IF NOT EXISTS bench.loaded (layer text PRIMARY KEY, sig text)")


def service_import_available() -> bool:
    r = subprocess.run(
        [sys.executable, "-m", "app", "import", "--help"], cwd=ROOT, capture_output=True
    )
    return r.returncode == 0


def import_with_service(url: str, layer: str, path: Path) -> None:
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "app", "import", layer, str(path)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


# The stand-in: what a COPY-based import does, in two steps. The attributes are the
# staging table's other columns ({attrs}); the geometry never passes through to_jsonb.
_INSERT_FROM_STAGE = """
INSERT INTO features (layer, code, name, properties, geom, source)
SELECT %(layer)s, s.code, s.name,
       jsonb_strip_nulls(to_jsonb((SELECT a FROM (SELECT {attrs}) a))),
       ST_Multi(s.geom), %(source)s
FROM bench_stage.{layer} s
"""


def insert_from_stage_sql(conn: psycopg.Connection, layer: str) -> str:
    cols = [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "'bench_stage' AND table_name = %s ORDER BY ordinal_position",
            (layer,),
        )
        if r[0] not in ("ogc_fid", "code", "name", "geom")
    ]
    return _INSERT_FROM_STAGE.format(layer=layer, attrs=", ".join(f"s.{c}" for c in cols))


def import_with_stand_in(url: str, layer: str, path: Path) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench_stage")
    ogr2ogr(url, path, f"bench_stage.{layer}", layer)
    with psycopg.connect(url) as conn:
        conn.execute(
            insert_from_stage_sql(conn, layer),
            {"layer": layer, "source": f"synthetic (bench/generate.py): {path.parent.name}"},
        )
        conn.execute(f"DROP TABLE bench_stage.{layer}")


def ogr2ogr(url: str, path: Path, table: str, src_layer: str) -> None:
    """ogr2ogr with COPY into ``table`` (replaced): the import a GIS user would run."""
    subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "PostgreSQL",
            pg_conninfo(url),
            str(path),
            src_layer,
            "-nln",
            table,
            "-overwrite",
            "-lco",
            "GEOMETRY_NAME=geom",
            "-lco",
            "FID=ogc_fid",
            "-lco",
            "SPATIAL_INDEX=NONE",
            "-nlt",
            "MULTIPOLYGON",
            "--config",
            "PG_USE_COPY",
            "YES",
        ],
        check=True,
    )


def load(url: str, data_dir: Path, log=print) -> dict:
    """Load every generated layer (skipping those already loaded from the same files)."""
    manifest = json.loads((data_dir / "manifest.json").read_text())
    sig_base = f"seed={manifest['seed']} scale={manifest['scale']}"
    use_service = service_import_available()
    report = {"loader": "python -m app import" if use_service else "stand-in (ogr2ogr+INSERT)"}
    with psycopg.connect(url, autocommit=True) as conn:
        for layer in FEATURE_LAYERS:
            info = manifest["layers"][layer]
            sig = f"{sig_base} n={info['count']}"
            row = conn.execute("SELECT sig FROM bench.loaded WHERE layer = %s", (layer,)).fetchone()
            if row and row[0] == sig:
                log(f"{layer}: already loaded ({sig})")
                continue
            conn.execute("DELETE FROM features WHERE layer = %s", (layer,))
            t0 = time.monotonic()
            path = data_dir / info["file"]
            if use_service:
                import_with_service(url, layer, path)
            else:
                import_with_stand_in(url, layer, path)
            n = conn.execute("SELECT count(*) FROM features WHERE layer = %s", (layer,)).fetchone()
            if n[0] != info["count"]:
                raise RuntimeError(f"{layer}: loaded {n[0]} rows, expected {info['count']}")
            conn.execute(
                "INSERT INTO bench.loaded VALUES (%s, %s) ON CONFLICT (layer) DO UPDATE "
                "SET sig = EXCLUDED.sig",
                (layer, sig),
            )
            report[layer] = round(time.monotonic() - t0, 1)
            log(f"{layer}: {n[0]:,} rows in {report[layer]} s via {report['loader']}")
        # Every table, not only features: PostgreSQL's autovacuum does this in production;
        # the CI machine turns it off (conf.d/90-ci.conf), and the rule evaluation's plans
        # over violations are only as good as its statistics.
        conn.execute("VACUUM ANALYZE")
        create_views(conn)
    return report


def create_views(conn: psycopg.Connection) -> None:
    """One view per layer for tipg, which serves tables and views (not a layer column)."""
    for layer in FEATURE_LAYERS:
        conn.execute(
            f"CREATE OR REPLACE VIEW bench.{layer} AS SELECT id, code, region_code, properties,"
            f" geom FROM public.features WHERE layer = '{layer}'"
        )


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description="create, migrate and load the benchmark database")
    p.add_argument("--database-url", required=True)
    p.add_argument("--data", type=Path, required=True)
    a = p.parse_args()
    ensure_database(a.database_url)
    print(json.dumps(load(a.database_url, a.data)))
