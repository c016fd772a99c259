"""Memory: resident set size of a server process (sampled every 20 ms with psutil) while a
client streams a whole layer through ``next`` links; growth = peak − RSS before the walk."""

from __future__ import annotations

import threading
import time

import httpx
import psutil

from bench.items import walk


class RssSampler:
    def __init__(self, pid: int, interval: float = 0.02):
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def rss(self) -> int:
        # The server and any children (uvicorn may fork workers).
        procs = [self.proc, *self.proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def measure(client: httpx.Client, pid: int, first_url: str, expected: int) -> dict:
    walk(client, first_url, max_pages=2)  # warm-up: imports, pools, caches
    sampler = RssSampler(pid)
    before = sampler.rss()
    t0 = time.perf_counter()
    with sampler:
        http_s, (n, _) = walk(client, first_url)
    if n != expected:
        raise RuntimeError(f"streamed {n} features, expected {expected}")
    mb = 1024 * 1024
    return {
        "features": n,
        "wall_s": round(time.perf_counter() - t0, 2),
        "rss_before_mb": round(before / mb, 1),
        "rss_peak_mb": round(sampler.peak / mb, 1),
        "rss_growth_mb": round((sampler.peak - before) / mb, 1),
    }


def run(
    client: httpx.Client,
    ours: tuple[str, int],
    tipg: tuple[str, int],
    layer: str,
    count: int,
    page: int = 10_000,
) -> dict:
    (ob, opid), (tb, tpid) = ours, tipg
    return {
        "layer": layer,
        "page_size": page,
        "ours": measure(client, opid, f"{ob}/collections/{layer}/items?limit={page}", count),
        "tipg": measure(client, tpid, f"{tb}/collections/bench.{layer}/items?limit={page}", count),
    }
