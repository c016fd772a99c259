"""The app factory: ``create_app(settings)`` builds a configured app, nothing at import time."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from app import errors
from app.connection import OneConnectionPerRequest
from app.limits import BodyLimit
from app.routers import (
    checks,
    imports,
    inspections,
    overlaps,
    pages,
    progress,
    restoration,
    subscriptions,
    tasks,
    violations,
)
from app.routers.ogc import features, landing, tiles, transactions
from geo.catalog.extent import ExtentCache
from geo.catalog.live import LiveCatalog
from geo.kernel.config import Settings
from geo.kernel.db import async_engine, sync_engine
from geo.notify import NotifySettings
from geo.tiles.cache import TileCache

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None, notify_settings: NotifySettings | None = None
) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = async_engine(settings)
        # Blocking work (imports through COPY, file exports) runs in threads on this one.
        app.state.sync_engine = sync_engine(settings)
        await app.state.catalog.start()
        try:
            yield
        finally:
            await app.state.catalog.stop()
            await app.state.engine.dispose()
            app.state.sync_engine.dispose()

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
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tile_cache = TileCache(settings.tile_cache_mb * 1024 * 1024)
    app.state.extent_cache = ExtentCache()
    # Collections in memory, dropped on NOTIFY from the layers table (geo.catalog.live).
    app.state.catalog = LiveCatalog(settings.database_url)
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        expose_headers=["ETag", "Location", "Content-Crs"],
    )
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(OneConnectionPerRequest, retry_after=settings.retry_after_s)
    errors.install(app)
    app.include_router(landing.router)
    app.include_router(features.build_router(settings))
    app.include_router(transactions.build_router(settings))
    app.include_router(imports.build_router(settings))
    app.include_router(progress.router)
    app.include_router(restoration.router)
    app.include_router(tasks.router)
    app.include_router(violations.router)
    app.include_router(overlaps.router)
    app.include_router(checks.router)
    app.include_router(tiles.router)
    app.include_router(inspections.router)
    app.include_router(subscriptions.build_router(notify_settings or NotifySettings()))
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
