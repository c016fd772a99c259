"""Load: 50 and 200 concurrent clients, each in a closed loop (next request when the last
answer has arrived) for a fixed time, against this service and tipg on the same data, both
with the same number of worker processes.

Two mixes. "common": items pages (bbox around the hot spots) and vector tiles (z8–z12) —
what both services offer, so the throughput ratio compares like with like. "full": the
common mix plus point checks, overlaps and progress — ours only (tipg has none of them).
Ours runs twice: as configured by default (its tile cache on; the mix repeats 24 tiles, so
they are served from it) and with the tile cache off (every tile built, as tipg does).

Reported per run: throughput of 2xx answers, p50/p95/p99 of 2xx latencies, errors counted
apart: 500s (any 5xx but 503), 503s (with and without Retry-After, their p50/p99/max latency:
overload must be answered in < 1 s), other statuses and transport failures; and the CPU each
answered request cost the server's processes and the database backends (bench/proc_cpu.py),
and the generator's own CPU share (bench/loadgen.py: light, the same for both servers).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from bench import loadgen, proc_cpu, servers
from bench.tiles import tile_of
from bench.timing import percentile

CLIENTS = (50, 200)
ITEM_LAYERS = ("mining_pits", "grassland_occupations", "water_source_zones")
TILE_LAYERS = ("grassland_occupations", "mining_pits")
ZOOMS = (8, 10, 12)
SPOTS = 4
WARMUP_S = 3.0
# The same connection budget as tipg (its asyncpg pool: 10 per worker, no overflow); the
# admission settings are the service's defaults.
OURS_ENV = {"RM_POOL_SIZE": "10", "RM_POOL_MAX_OVERFLOW": "0"}
GENERATOR = (
    "bench/loadgen.py: one process, uvloop, hand-written HTTP/1.1, one keep-alive connection "
    "per client, Accept-Encoding: gzip, Retry-After honoured, closed loop"
)


def _bbox(lon: float, lat: float, r: float) -> str:
    return f"{lon - r:.5f},{lat - r:.5f},{lon + r:.5f},{lat + r:.5f}"


def common_mix(hotspots: list[list[float]], tipg: bool) -> list[str]:
    """Items pages and tiles at the densest hot spots, in tipg's or our URL form."""
    spots = sorted(hotspots, key=lambda h: h[2])[:SPOTS]
    out = []
    for lon, lat, radius in spots:
        for layer in ITEM_LAYERS:
            name = f"bench.{layer}" if tipg else layer
            out.append(f"/collections/{name}/items?limit=100&bbox={_bbox(lon, lat, radius)}")
        for layer in TILE_LAYERS:
            for z in ZOOMS:
                x, y = tile_of(lon, lat, z)
                if tipg:
                    out.append(f"/collections/bench.{layer}/tiles/WebMercatorQuad/{z}/{x}/{y}")
                else:
                    out.append(f"/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    return out


def full_mix(hotspots: list[list[float]]) -> list[str]:
    """The common mix with point checks, overlaps (a bbox page) and progress added."""
    out = common_mix(hotspots, tipg=False)
    for lon, lat, radius in sorted(hotspots, key=lambda h: h[2])[:SPOTS]:
        out.append(f"/checks/point?lon={lon}&lat={lat}")
        out.append(
            "/overlaps?subject=mining_pits&protected=water_source_zones&limit=100"
            f"&bbox={_bbox(lon, lat, radius)}"
        )
        out.append("/progress")
    return out


def summarise(stats: loadgen.Stats, window: tuple[float, float]) -> dict:
    """Throughput (2xx arrived in the window), latencies of the requests sent in it, and
    every other outcome counted apart."""
    rec, seconds = stats.records, window[1] - window[0]
    ok = [r.done - r.sent for r in rec if r.status == 200]
    busy = [r.done - r.sent for r in rec if r.status == 503]
    counts = Counter(r.status for r in rec)
    other = {str(k): v for k, v in counts.items() if k not in (200, 503)}
    failed = Counter(r.url for r in rec if r.status not in (200, 503))

    def ms(values: list[float], q: float) -> float | None:
        return round(percentile(values, q) * 1000, 1) if values else None

    return {
        "requests": len(rec),
        "seconds": round(seconds, 1),
        "throughput_rps": round(
            sum(1 for r in rec if r.status == 200 and r.done <= window[1]) / seconds, 1
        ),
        "p50_ms": ms(ok, 50),
        "p95_ms": ms(ok, 95),
        "p99_ms": ms(ok, 99),
        "ok": len(ok),
        "errors_500": sum(v for k, v in counts.items() if isinstance(k, int) and k >= 500)
        - counts[503],
        "errors_503": counts[503],
        "503_without_retry_after": sum(1 for r in rec if r.status == 503 and not r.retry_after),
        "503_p50_ms": ms(busy, 50),
        "503_p99_ms": ms(busy, 99),
        "503_max_ms": round(max(busy) * 1000, 1) if busy else None,
        "other": other,
        "stale_keepalive_retries": stats.stale_retries,
        "failing_urls": dict(failed.most_common(5)),
    }


def _measure(base: str, pid: int, database: str, urls: list[str], clients: int, seconds: float):
    before = os.getloadavg()[0]
    marks: list = []

    def mark() -> None:  # window open / closed: CPU of the server, the database, ourselves
        marks.append((proc_cpu.snapshot(pid, database), time.process_time(), time.perf_counter()))

    stats, window, _ = loadgen.run(base, urls, clients, seconds, WARMUP_S, mark=mark)
    out = summarise(stats, window)
    (s0, g0, w0), (s1, g1, w1) = marks
    cpu = proc_cpu.used(s0, s1)
    answered = max(1, sum(1 for r in stats.records if r.done <= window[1]))
    out["cpu_ms_per_request"] = {
        "server": round(cpu["server_cpu_s"] * 1000 / answered, 2),
        "database": round(cpu["database_cpu_s"] * 1000 / answered, 2),
    }
    out["generator_cpu_share"] = round((g1 - g0) / (w1 - w0), 2)
    # The machine may be shared: its load average says how far the numbers can be trusted.
    out["loadavg_1m"] = [before, os.getloadavg()[0]]
    return out


# The contenders: ours as configured by default (its tile cache on) and with the tile cache
# off (every tile built, like tipg, which has no cache), and tipg.
CONTENDERS = ("ours_default", "tipg", "ours_nocache")
INHERITED_SETTINGS = ("RM_MAX_", "RM_POOL_", "RM_WORKERS", "RM_TILE_CACHE", "RM_RETRY_AFTER")


def _server(name: str, database_url: str, logs: Path, workers: int):
    if name == "tipg":
        return servers.tipg(database_url, logs / "load-tipg.log", workers)
    env = dict(OURS_ENV)
    if name == "ours_default":
        env["RM_TILE_CACHE_MB"] = os.environ.get("BENCH_LOAD_TILE_CACHE_MB", "128")
    else:
        env["RM_TILE_CACHE_MB"] = "0"
    return servers.ours(database_url, logs / f"load-{name}.log", workers, env)


def run(database_url: str, hotspots, logs: Path, seconds: float = 20.0) -> dict:
    workers = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 1))
    database = urlsplit(database_url).path.lstrip("/")
    out: dict = {"workers": workers, "seconds_per_run": seconds, "warmup_s": WARMUP_S,
                 "ours_env": OURS_ENV, "generator": GENERATOR, "runs": {}}  # fmt: skip
    # the pool and admission settings taken from the environment (servers.ours passes it
    # on); not every RM_ variable: keys and tokens must not end up in a result file
    out["ours_env_inherited"] = {
        k: v for k, v in os.environ.items() if k.startswith(INHERITED_SETTINGS)
    }
    partial = logs / "load-partial.json"  # each run kept as it ends (a killed run shows it)
    # Interleaved (each client count: every contender in turn), so drift in a shared
    # machine's load hits all alike; a server is started for each run and stopped after it.
    for n in CLIENTS:
        for name in CONTENDERS:
            mixes = {"common": common_mix(hotspots, name == "tipg")}
            if name == "ours_default":
                mixes["full"] = full_mix(hotspots)
            with _server(name, database_url, logs, workers) as (base, pid):
                for mix, urls in mixes.items():
                    key = f"{name}_{mix}_{n}"
                    out["runs"][key] = _measure(base, pid, database, urls, n, seconds)
                    partial.write_text(json.dumps(out, indent=1))
    return out


def _line(r: dict) -> str:
    cpu = r.get("cpu_ms_per_request", {})
    return (
        f"{r['throughput_rps']:,} req/s; p50/p95/p99 {r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']} ms; "
        f"500s {r['errors_500']}, 503s {r['errors_503']}"
        + (f" (p99 {r['503_p99_ms']} ms, max {r.get('503_max_ms')} ms)" if r["errors_503"] else "")
        + (f", other {r['other']}" if r["other"] else "")
        + (f"; CPU/request: server {cpu['server']}, database {cpu['database']} ms" if cpu else "")
        + f"; load avg {r['loadavg_1m'][1]:.0f}"
    )


def _errors(r: dict) -> int:
    return r["errors_500"] + r["errors_503"] + sum(r["other"].values())


LABELS = {"ours_default": "default config (tile cache on)", "ours_nocache": "tile cache off"}


def report_rows(res: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(benchmark, ours, other, ratio, target, verdict) rows of the report table."""
    runs, rows = res["runs"], []
    for n in CLIENTS:
        tipg = runs[f"tipg_common_{n}"]
        for name, label in LABELS.items():
            ours = runs[f"{name}_common_{n}"]
            speedup = (
                round(ours["throughput_rps"] / tipg["throughput_rps"], 2) if tipg["ok"] else None
            )
            if n == 50:
                target = "≥ 2× tipg, 0 errors"
                met = speedup is not None and speedup >= 2 and not _errors(ours)
            else:
                target, met = "0× 500; 503 + Retry-After < 1 s", _overload_ok(ours)
            rows.append((
                f"load {n} clients, items+tiles, {label} ({res['workers']} workers each)",
                _line(ours), "tipg " + _line(tipg), f"{speedup}× tipg", target,
                "met" if met else "missed",
            ))  # fmt: skip
        full = runs[f"ours_default_full_{n}"]
        ok = _overload_ok(full) and (n != 50 or not _errors(full))
        rows.append((
            f"load {n} clients, full mix (+checks, overlaps, progress), default config",
            _line(full), "tipg: no such routes", "",
            "0 errors" if n == 50 else "0× 500; 503 + Retry-After < 1 s",
            "met" if ok else "missed",
        ))  # fmt: skip
    return rows


def _overload_ok(r: dict) -> bool:
    slow_503 = r["503_max_ms"] is not None and r["503_max_ms"] >= 1000
    return not r["errors_500"] and not r["503_without_retry_after"] and not slow_503
