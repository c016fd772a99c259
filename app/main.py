"""The app factory: ``create_app(settings)`` builds a configured app, nothing at import time."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app import errors, observability, openapi
from app.compression import Compression
from app.connection import OneConnectionPerRequest
from app.limits import BodyLimit
from app.routers import (
    checks,
    fieldmap,
    imports,
    inspection_history,
    inspections,
    overlaps,
    pages,
    problems,
    progress,
    public,
    restoration,
    subscriptions,
    tasks,
    violation_summary,
    violations,
)
from app.routers.ogc import dataset_tiles, features, landing, tiles, transactions
from app.static_files import STATIC, VersionedStatic
from geo.catalog.extent import ExtentCache
from geo.catalog.live import LiveCatalog
from geo.kernel.config import Settings
from geo.kernel.db import async_engine, sync_engine
from geo.kernel.replicas import ReplicaSet
from geo.notify import NotifySettings
from geo.notify import queue_stats as notify_queue_stats
from geo.tiles.cache import open_tile_cache


def _lifespan(settings: Settings):
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        imports.clean_spool()  # uploads a crashed process left behind
        app.state.engine = async_engine(settings)
        # Blocking work (imports through COPY, file exports) runs in threads on this one.
        app.state.sync_engine = sync_engine(settings)
        replicas = [async_engine(settings, url) for url in settings.read_urls]
        app.state.replicas = ReplicaSet(replicas, settings.replica_retry_s) if replicas else None
        await app.state.catalog.start()
        try:
            yield
        finally:
            await app.state.catalog.stop()
            await app.state.engine.dispose()
            app.state.sync_engine.dispose()
            if app.state.replicas is not None:
                await app.state.replicas.dispose()

    return lifespan


def create_app(
    settings: Settings | None = None, notify_settings: NotifySettings | None = None
) -> FastAPI:
    settings = settings or Settings()

    app = FastAPI(
        title=settings.title,
        version="0.1.0",
        description=(
            "OGC API – Features over PostGIS for the ecological-restoration ledger of "
            "Changji Prefecture, Xinjiang."
        ),
        openapi_url="/api",
        docs_url="/api.html",
        redoc_url=None,
        lifespan=_lifespan(settings),
    )
    app.state.settings = settings
    app.state.tile_cache = open_tile_cache(settings.tile_cache_dir, settings.tile_cache_mb)
    app.state.extent_cache = ExtentCache()
    # Collections in memory, dropped on NOTIFY from the layers table (geo.catalog.live).
    app.state.catalog = LiveCatalog(settings.database_url)
    # brotli where the client accepts it (br), else gzip; tiles and JSON compress well.
    app.add_middleware(Compression)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        expose_headers=["ETag", "Location", "Content-Crs", "X-Request-ID"],
    )
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(OneConnectionPerRequest, settings=settings)
    errors.install(app)
    _include_routers(app, settings, notify_settings or NotifySettings())
    app.mount("/static", VersionedStatic(directory=STATIC), name="static")
    # Last: metrics, request ids and access lines wrap every other middleware.
    metrics = observability.install(app)
    metrics.add(
        observability.StatsGauges(app, "rm_notify", "Notification outbox", notify_queue_stats)
    )
    openapi.install(app)
    return app


def _include_routers(app: FastAPI, settings: Settings, notify_settings: NotifySettings) -> None:
    app.include_router(landing.router)
    app.include_router(features.build_router(settings))
    app.include_router(transactions.build_router(settings))
    app.include_router(imports.build_router(settings))
    app.include_router(progress.router)
    app.include_router(restoration.router)
    app.include_router(tasks.router)
    app.include_router(violation_summary.router)  # before /violations/{violation_id}
    app.include_router(problems.router)
    app.include_router(public.router)
    app.include_router(violations.router)
    app.include_router(overlaps.router)
    app.include_router(checks.router)
    app.include_router(tiles.router)
    app.include_router(dataset_tiles.router)
    app.include_router(inspection_history.router)  # before /inspections/{uuid}
    app.include_router(inspections.router)
    app.include_router(subscriptions.build_router(notify_settings))
    app.include_router(pages.router)
    app.include_router(fieldmap.router)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """One line per record, as text or JSON (``RM_LOG_FORMAT``), with the request id."""
    observability.configure_logging(fmt, level)
