"""Run every benchmark side by side in one process and write
``bench/results/<timestamp>.json`` and ``.md``; prints the table of ratios.

    python -m bench.run --database-url postgresql://postgres@127.0.0.1:5432/rm_bench \\
        --data bench/data/1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

import geopandas
import httpx
import psycopg
import pyogrio

from bench import explain, imports, items, load, memory, overhead, overlaps, servers, tiles
from bench.report import markdown, ratio_table

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ("items", "memory", "tiles", "overlaps", "import", "explain", "overhead", "load")
# These start servers of their own (after the shared single-process ones have stopped).
OWN_SERVERS = ("overhead", "load")


def machine() -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {"nproc": os.cpu_count(), "ram_gib": round(mem_kb / 1024**2, 1), "cpu": cpu}


def versions(database_url: str) -> dict:
    with psycopg.connect(database_url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    ogr = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "postgresql": pg,
        "postgis": postgis,
        "python": platform.python_version(),
        "tipg": servers.tipg_version(),
        "ogr2ogr": ogr,
        "gdal_in_pyogrio": pyogrio.__gdal_version_string__,
        "geopandas": geopandas.__version__,
    }


def layer_counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return dict(conn.execute("SELECT layer, count(*) FROM features GROUP BY layer").fetchall())


def _run_own_servers(a, manifest: dict, logs: Path, result: dict, only: set[str]) -> None:
    steps = {
        "overhead": lambda: overhead.run(a.database_url, a.data, a.overhead_repeats),
        "load": lambda: load.run(a.database_url, manifest["hotspots"], logs, a.load_seconds),
    }
    for name in OWN_SERVERS:
        if name not in only:
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        try:
            result["results"][name] = steps[name]()
        except Exception as exc:
            result["errors"][name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--database-url", required=True)
    p.add_argument("--data", type=Path, required=True, help="directory written by generate.py")
    p.add_argument("--repeats", type=int, default=7, help="timed runs per page/query")
    p.add_argument("--full-repeats", type=int, default=3, help="timed whole-layer downloads")
    p.add_argument("--only", default=",".join(BENCHMARKS))
    p.add_argument("--load-seconds", type=float, default=20.0, help="per load run")
    p.add_argument("--overhead-repeats", type=int, default=200, help="alternated requests")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    return p.parse_args(argv)


def _steps(
    a: argparse.Namespace, client: httpx.Client, ours, tipg, counts: dict, manifest: dict
) -> dict:
    """Each single-process benchmark as a call against the running servers."""
    return {
        "items": lambda: items.run(
            client,
            ours[0],
            tipg[0],
            "mining_pits",
            counts["mining_pits"],
            a.repeats,
            a.full_repeats,
        ),
        "memory": lambda: memory.run(
            client, ours, tipg, "grassland_occupations", counts["grassland_occupations"]
        ),
        "tiles": lambda: {
            **tiles.run(
                client,
                ours[0],
                tipg[0],
                "grassland_occupations",
                manifest["hotspots"],
                max(3, a.repeats // 2),
            ),
            "dataset": tiles.run_dataset(
                client, ours[0], tipg[0], sorted(counts), manifest["hotspots"], 3
            ),
            # 0 unless BENCH_TILE_CACHE_MB is set: then repeated tiles are cache hits.
            "tile_cache_mb": int(servers.tile_cache_mb()),
        },
        "overlaps": lambda: overlaps.run(
            client, ours[0], a.database_url, a.data, a.repeats, max(1, a.full_repeats)
        ),
        "import": lambda: imports.run(a.database_url, a.data, max(1, a.full_repeats)),
        "explain": lambda: explain.run(
            a.database_url, client, tipg[0], counts, manifest["hotspots"]
        ),
    }


def _write(out: Path, result: dict) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stamp}.json").write_text(json.dumps(result, indent=2, default=str))
    (out / f"{stamp}.md").write_text(markdown(result))
    print(ratio_table(result))
    print(f"\nwritten: bench/results/{stamp}.json and .md", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    a = _arguments(argv)
    only = set(a.only.split(","))
    # A terminated run still stops both servers (the context managers below run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    manifest = json.loads((a.data / "manifest.json").read_text())
    counts = layer_counts(a.database_url)
    result: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(a.database_url),
        "scale": manifest["scale"],
        "seed": manifest["seed"],
        "counts": counts,
        "repeats": a.repeats,
        "full_repeats": a.full_repeats,
        "http": "httpx, one client, Accept-Encoding: identity, keep-alive",
        "results": {},
        "errors": {},
    }
    logs = a.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    client = httpx.Client(timeout=1800, headers={"Accept-Encoding": "identity"})
    with (
        servers.ours(a.database_url, logs / "ours.log") as ours,
        servers.tipg(a.database_url, logs / "tipg.log") as tipg,
    ):
        steps = _steps(a, client, ours, tipg, counts, manifest)
        for name in BENCHMARKS:
            if name not in only or name in OWN_SERVERS:
                continue
            print(f"== {name}", file=sys.stderr, flush=True)
            try:
                result["results"][name] = steps[name]()
            except Exception as exc:  # one failing benchmark must not hide the others
                result["errors"][name] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
    client.close()
    _run_own_servers(a, manifest, logs, result, only)
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write(a.out, result)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
