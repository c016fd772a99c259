"""Seeing the service run: metrics (``/metrics``), request logs with request ids, and
readiness (``/readyz``). :func:`install` wires it into an app; call it last in
``create_app`` so its middleware is the outermost and sees every request whole."""

from __future__ import annotations

from fastapi import FastAPI

from app.observability.metrics import (
    Metrics,
    PoolCollector,
    SqlGauge,
    StatsGauges,
    TileCacheCollector,
    observe_import,
    register_collector,
)
from app.observability.request_log import RequestObserver, configure_logging, note_rows
from app.observability.routes import router


def install(app: FastAPI) -> Metrics:
    metrics = Metrics()
    app.state.metrics = metrics
    metrics.add(PoolCollector(app.state))
    metrics.add(TileCacheCollector(app.state))
    app.include_router(router)
    app.add_middleware(RequestObserver, metrics=metrics)
    return metrics


__all__ = [
    "Metrics",
    "SqlGauge",
    "StatsGauges",
    "configure_logging",
    "install",
    "note_rows",
    "observe_import",
    "register_collector",
]
