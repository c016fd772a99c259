"""Load: 50 and 200 concurrent clients, each in a closed loop (next request when the last
answer has arrived) for a fixed time, against this service and tipg on the same data, both
with the same number of worker processes.

Two mixes. "common": items pages (bbox around the hot spots) and vector tiles (z8–z12) —
what both services offer, so the throughput ratio compares like with like. "full": the
common mix plus point checks, overlaps and progress — ours only (tipg has none of them).
Reported per run: throughput of answered requests, p50/p95/p99 of 2xx latencies, and errors
counted apart: 500s (any 5xx but 503), 503s (with and without Retry-After, and their p99
latency: overload must be answered in < 1 s), other statuses and transport failures.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from pathlib import Path

import httpx

from bench import servers
from bench.tiles import tile_of
from bench.timing import percentile

CLIENTS = (50, 200)
ITEM_LAYERS = ("mining_pits", "grassland_occupations", "water_source_zones")
TILE_LAYERS = ("grassland_occupations", "mining_pits")
ZOOMS = (8, 10, 12)
SPOTS = 4


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


async def _client(http: httpx.AsyncClient, urls: list[str], start: int, until: float, rec):
    i = start
    while time.perf_counter() < until:
        url = urls[i % len(urls)]
        i += 1
        t0 = time.perf_counter()
        try:
            r = await http.get(url)
            status, retry = r.status_code, "retry-after" in r.headers
        except httpx.HTTPError:
            status, retry = "transport", False
        rec.append((status, time.perf_counter() - t0, retry, url))


async def _drive(base: str, urls: list[str], clients: int, seconds: float) -> tuple[list, float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Accept-Encoding": "gzip"}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60, headers=headers) as http:
        warm: list = []  # 2 s of the same load, discarded (connections, caches, plans)
        await asyncio.gather(
            *(_client(http, urls, k, time.perf_counter() + 2, warm) for k in range(clients))
        )
        rec: list = []
        t0 = time.perf_counter()
        until = t0 + seconds
        await asyncio.gather(*(_client(http, urls, k * 7, until, rec) for k in range(clients)))
        return rec, time.perf_counter() - t0


def summarise(rec: list, elapsed: float) -> dict:
    ok = [dt for status, dt, _, _ in rec if status == 200]
    busy = [dt for status, dt, _, _ in rec if status == 503]
    counts = Counter(status for status, _, _, _ in rec)
    other = {str(k): v for k, v in counts.items() if k not in (200, 503)}
    failed = Counter(url for status, _, _, url in rec if status not in (200, 503))
    return {
        "requests": len(rec),
        "seconds": round(elapsed, 1),
        "throughput_rps": round(len(ok) / elapsed, 1),
        "p50_ms": round(percentile(ok, 50) * 1000, 1) if ok else None,
        "p95_ms": round(percentile(ok, 95) * 1000, 1) if ok else None,
        "p99_ms": round(percentile(ok, 99) * 1000, 1) if ok else None,
        "ok": len(ok),
        "errors_500": sum(v for k, v in counts.items() if isinstance(k, int) and k >= 500)
        - counts[503],
        "errors_503": counts[503],
        "503_without_retry_after": sum(
            1 for status, _, retry, _ in rec if status == 503 and not retry
        ),
        "503_p99_ms": round(percentile(busy, 99) * 1000, 1) if busy else None,
        "other": other,
        "failing_urls": dict(failed.most_common(5)),
    }


def _measure(base: str, urls: list[str], clients: int, seconds: float) -> dict:
    before = os.getloadavg()[0]
    rec, elapsed = asyncio.run(_drive(base, urls, clients, seconds))
    # The machine is shared: its load average says how far the numbers can be trusted.
    return {**summarise(rec, elapsed), "loadavg_1m": [before, os.getloadavg()[0]]}


def run(database_url: str, hotspots, logs: Path, seconds: float = 20.0) -> dict:
    workers = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 1))
    out: dict = {"workers": workers, "seconds_per_run": seconds, "runs": {}}
    # The same connection budget as tipg (asyncpg pool of 10 per worker); a short bounded
    # wait and an in-flight limit, so overload is answered 503 quickly rather than queued.
    env = {
        "RM_POOL_SIZE": "10",
        "RM_POOL_MAX_OVERFLOW": "0",
        "RM_POOL_TIMEOUT_S": os.environ.get("BENCH_POOL_TIMEOUT_S", "0.5"),
        "RM_MAX_IN_FLIGHT": os.environ.get("BENCH_MAX_IN_FLIGHT", "30"),
    }
    out["ours_env"] = env
    partial = logs / "load-partial.json"  # each run kept as it ends (a killed run shows it)

    def measure(key: str, base: str, urls: list[str], n: int) -> None:
        out["runs"][key] = _measure(base, urls, n, seconds)
        partial.write_text(json.dumps(out, indent=1))

    with servers.ours(database_url, logs / "load-ours.log", workers, env) as (base, _):
        for n in CLIENTS:
            measure(f"ours_common_{n}", base, common_mix(hotspots, False), n)
            measure(f"ours_full_{n}", base, full_mix(hotspots), n)
    with servers.tipg(database_url, logs / "load-tipg.log", workers) as (base, _):
        for n in CLIENTS:
            measure(f"tipg_common_{n}", base, common_mix(hotspots, True), n)
    return out


def _line(r: dict) -> str:
    return (
        f"{r['throughput_rps']:,} req/s; p50/p95/p99 {r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']} ms; "
        f"500s {r['errors_500']}, 503s {r['errors_503']}"
        + (f" (p99 {r['503_p99_ms']} ms)" if r["errors_503"] else "")
        + (f", other {r['other']}" if r["other"] else "")
        + f"; load avg {r['loadavg_1m'][1]:.0f}"
    )


def report_rows(res: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(benchmark, ours, other, ratio, target, verdict) rows of the report table."""
    runs, rows = res["runs"], []
    for n in CLIENTS:
        ours, tipg = runs[f"ours_common_{n}"], runs[f"tipg_common_{n}"]
        speedup = round(ours["throughput_rps"] / tipg["throughput_rps"], 2) if tipg["ok"] else None
        errors = ours["errors_500"] + ours["errors_503"] + sum(ours["other"].values())
        if n == 50:
            target, met = "≥ 2× tipg, 0 errors", speedup is not None and speedup >= 2 and not errors
        else:
            target = "0× 500; 503 + Retry-After < 1 s"
            met = _overload_ok(ours)
        label = f"load {n} clients, items+tiles ({res['workers']} workers each)"
        verdict = "met" if met else "missed"
        rows.append(
            (label, _line(ours), "tipg " + _line(tipg), f"{speedup}× tipg", target, verdict)
        )
        full = runs[f"ours_full_{n}"]
        full_errors = full["errors_500"] + full["errors_503"] + sum(full["other"].values())
        ok = _overload_ok(full) and (n != 50 or full_errors == 0)
        rows.append(
            (
                f"load {n} clients, full mix (+checks, overlaps, progress)",
                _line(full),
                "tipg: no such routes",
                "",
                "0 errors" if n == 50 else "0× 500; 503 + Retry-After < 1 s",
                "met" if ok else "missed",
            )
        )
    return rows


def _overload_ok(r: dict) -> bool:
    slow_503 = r["503_p99_ms"] is not None and r["503_p99_ms"] >= 1000
    return not r["errors_500"] and not r["503_without_retry_after"] and not slow_503
