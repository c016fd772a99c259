"""Timing side by side: warm up once, then alternate the contenders run by run (so drift in
the machine or the database cache hits both alike) and keep every sample."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "median_s": statistics.median(samples),
        "p50_s": percentile(samples, 50),
        "p95_s": percentile(samples, 95),
        "min_s": min(samples),
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def alternate(
    contenders: dict[str, Callable[[], Any]],
    repeats: int,
    warmup: int = 1,
    self_timed: bool = True,
) -> dict[str, dict]:
    """Run each contender ``warmup`` times, then ``repeats`` rounds, alternating the order
    each round. Returns per contender: the summary and the last result. A self-timed
    contender returns ``(seconds, result)`` (e.g. HTTP time without client-side parsing)."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    last: dict[str, Any] = {}
    for i in range(repeats):
        for name in names if i % 2 == 0 else reversed(names):
            if self_timed:
                dt, last[name] = contenders[name]()
            else:
                dt, last[name] = timed(contenders[name])
            samples[name].append(dt)
    return {
        n: {**summary(samples[n]), "samples_s": samples[n], "result": last.get(n)} for n in names
    }


def ratio(slow: float, fast: float) -> float | None:
    """How many times faster ``fast`` is than ``slow`` (time ratio slow/fast)."""
    return None if not fast else round(slow / fast, 2)
