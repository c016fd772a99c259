"""Prometheus metrics (prometheus-client): requests by route template and status, latency
histograms, import and streamed rows, and live gauges read from the running app at scrape
time (database pools, tile cache) through custom collectors.

Other modules add their own with :func:`register_collector` (any object with ``collect()``
yielding metric families), e.g. a queue depth counted in SQL::

    register_collector(app, SqlGauge(app, "rm_outbox_depth", "Unsent notifications",
                                     "SELECT count(*) FROM outbox WHERE sent_at IS NULL"))

Several worker processes: when ``PROMETHEUS_MULTIPROC_DIR`` is set, counters and histograms
are written there by every worker and summed at scrape time (prometheus-client's
multiprocess mode); the live gauges describe the worker that answered, labelled ``pid``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, text

log = logging.getLogger("restoration_map.metrics")

# Seconds: tiles and pages take milliseconds, exports and imports minutes.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """The metrics of one app (its own registry, so tests may build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.live: list[Collector] = []  # per-process collectors, read at scrape time
        labels = ("method", "route", "status")
        self.requests = Counter(
            "rm_http_requests", "HTTP requests answered", labels, registry=self.registry
        )
        self.latency = Histogram(
            "rm_http_request_duration_seconds",
            "Time from request to the last byte of the response",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rows_streamed = Counter(
            "rm_rows_streamed", "Features/rows written into responses", ("route",),
            registry=self.registry,
        )  # fmt: skip
        self.import_rows = Counter(
            "rm_import_rows",
            "Rows of imported files, by collection and outcome (inserted, rejected)",
            ("collection", "outcome"),
            registry=self.registry,
        )
        if multiprocess_dir() is None:
            ProcessCollector(registry=self.registry)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, str(status))
        self.requests.labels(*key).inc()
        self.latency.labels(*key).observe(seconds)

    def add(self, collector: Collector) -> None:
        self.live.append(collector)
        if multiprocess_dir() is None:
            self.registry.register(collector)

    def exposition(self) -> bytes:
        """The text format of every metric (blocking: collectors may query the database)."""
        if multiprocess_dir() is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in self.live:
            registry.register(_WithPid(collector))
        return generate_latest(registry)


def observe_import(request: Any, collection: str, report: dict[str, Any]) -> None:
    """Counts the rows of a finished import (its report, geo.files.load.run_import)."""
    counter = request.app.state.metrics.import_rows
    counter.labels(collection, "inserted").inc(report.get("inserted", 0))
    counter.labels(collection, "rejected").inc(report.get("rejected_count", 0))
    request.state.rows = report.get("inserted", 0)


def register_collector(app: Any, collector: Collector) -> None:
    """The hook for other modules: ``collector.collect()`` runs at every scrape."""
    app.state.metrics.add(collector)


class _WithPid(Collector):
    """A per-process collector, labelled with the worker's pid (multiprocess mode)."""

    def __init__(self, inner: Collector) -> None:
        self.inner = inner

    def collect(self) -> Iterator[Metric]:
        pid = str(os.getpid())
        for family in self.inner.collect():
            for sample in family.samples:
                sample.labels["pid"] = pid
            yield family


def _waiting(pool: Any) -> int:
    """Checkouts blocked on a full pool. SQLAlchemy does not publish this; it is the number
    of waiters on the pool's queue (asyncio.Queue for async engines, a Condition for sync)."""
    queue = getattr(pool, "_pool", None)
    aio = getattr(queue, "__dict__", {}).get("_queue")  # created on first use
    if aio is not None:
        return sum(1 for f in getattr(aio, "_getters", ()) if not f.done())
    cond = getattr(queue, "not_empty", None)
    return len(getattr(cond, "_waiters", ()))


class PoolCollector(Collector):
    """Connections of the app's pools: ``async`` (requests) and ``sync`` (imports, exports)."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def pools(self) -> Iterable[tuple[str, Any]]:
        for name, attr in (("async", "engine"), ("sync", "sync_engine")):
            engine = getattr(self.state, attr, None)
            if engine is not None and hasattr(engine.pool, "checkedout"):
                yield name, engine.pool

    def collect(self) -> Iterator[Metric]:
        doc = {
            "in_use": "Connections checked out of the pool",
            "idle": "Connections open in the pool and free",
            "waiting": "Requests waiting for a connection (the pool is exhausted)",
            "max": "Most connections the pool will open (size + overflow)",
        }
        families = {
            k: GaugeMetricFamily(f"rm_db_pool_{k}", v, labels=["pool"]) for k, v in doc.items()
        }
        for name, pool in self.pools():
            families["in_use"].add_metric([name], pool.checkedout())
            families["idle"].add_metric([name], pool.checkedin())
            families["waiting"].add_metric([name], _waiting(pool))
            families["max"].add_metric([name], pool.size() + max(pool._max_overflow, 0))
        yield from families.values()


class TileCacheCollector(Collector):
    """Hits and misses of the in-process tile cache (geo.tiles.cache.TileCache)."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        cache = getattr(self.state, "tile_cache", None)
        if cache is None:
            return
        hits = CounterMetricFamily("rm_tile_cache_hits", "Tiles served from the cache")
        hits.add_metric([], cache.hits)
        misses = CounterMetricFamily("rm_tile_cache_misses", "Tiles built (not in the cache)")
        misses.add_metric([], cache.misses)
        yield hits
        yield misses


def _read_at_scrape(app: Any, label: str, read: Callable[[Connection], Any]) -> Any | None:
    """``read(conn)`` on the app's sync engine; None (logged) when the database does not
    answer: a scrape must not fail for one reading."""
    engine = getattr(app.state, "sync_engine", None)
    if engine is None:
        return None
    try:
        with engine.connect() as conn:
            return read(conn)
    except Exception as exc:  # noqa: BLE001
        log.warning("metrics %s not collected: %s", label, type(exc).__name__)
        return None


class StatsGauges(Collector):
    """Gauges read at scrape time: ``read(conn)`` returns named numbers, each published as
    ``<prefix>_<name>`` (left out of a scrape when the database does not answer)."""

    def __init__(
        self,
        app: Any,
        prefix: str,
        documentation: str,
        read: Callable[[Connection], dict[str, Any]],
    ) -> None:
        self.app, self.prefix, self.documentation, self.read = app, prefix, documentation, read

    def collect(self) -> Iterator[Metric]:
        values = _read_at_scrape(self.app, self.prefix, self.read) or {}
        for name, value in values.items():
            yield GaugeMetricFamily(
                f"{self.prefix}_{name}", f"{self.documentation}: {name}", value=float(value or 0)
            )


class SqlGauge(Collector):
    """A gauge whose value is one SQL scalar, read at scrape time (left out of a scrape when
    the database does not answer)."""

    def __init__(self, app: Any, name: str, documentation: str, sql: str) -> None:
        self.app, self.name, self.documentation, self.sql = app, name, documentation, text(sql)

    def collect(self) -> Iterator[Metric]:
        read = _read_at_scrape(self.app, self.name, lambda c: [c.execute(self.sql).scalar_one()])
        if read is not None:
            yield GaugeMetricFamily(self.name, self.documentation, value=float(read[0] or 0))
