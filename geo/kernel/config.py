"""Settings, read once at start-up and passed explicitly (never read at import time)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/restoration_map"


class Settings(BaseSettings):
    """Service settings; environment variables override (``DATABASE_URL``, ``RM_*``)."""

    model_config = SettingsConfigDict(env_prefix="RM_", env_file=".env", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias="DATABASE_URL",
        description="libpq-style URL of the PostGIS database",
    )
    database_read_urls: str = Field(
        "",
        validation_alias="DATABASE_READ_URLS",
        description="Comma-separated URLs of streaming replicas for anonymous reads",
    )
    # A client that wrote gets a cookie sending its reads to the primary this long.
    read_your_writes_s: int = Field(10, ge=1, le=3600)
    # A replica that refused a connection is skipped (reads go elsewhere) this long.
    replica_retry_s: float = Field(10.0, gt=0, le=3600)
    # Worker processes of `serve` (None: one per core).
    workers: int | None = Field(None, ge=1, le=64)
    # Seconds to open a new database connection before the request is answered 503.
    connect_timeout_s: int = Field(3, ge=1, le=60)
    # Server-side prepared statements; turn off behind a pooler that cannot keep them
    # (PgBouncer in transaction mode before 1.21 or without max_prepared_statements).
    db_prepared_statements: bool = True
    pool_size: int = Field(10, ge=1, le=100)
    # Connections beyond pool_size under a burst (None: as many as pool_size).
    pool_max_overflow: int | None = Field(None, ge=0, le=100)
    # How long an admitted request waits for a pooled connection before it is answered 503:
    # the backstop behind admission (max_queue_wait_s), which refuses at once beyond it.
    pool_timeout_s: float = Field(5.0, gt=0, le=60)
    # A pooled connection idle this long is pinged before use (geo.kernel.pool_ping). Under
    # load connections are reused within milliseconds and never pinged; after a database
    # restart, a worker that served nothing meanwhile still holds dead ones: 1 s keeps a
    # user's first request after the restart from finding one (tests/scale/test_db_restart).
    pool_ping_idle_s: float = Field(1.0, ge=0, le=3600)
    retry_after_s: int = Field(2, ge=1, description="Retry-After of a 503 when the pool is full")
    # Statement timeouts per route class (0: none). A statement that runs longer is cancelled
    # and the request answered 503 + Retry-After. A streamed page or export is many short
    # FETCH statements, so the timeout bounds each of them, not the whole download.
    read_statement_timeout_ms: int = Field(30_000, ge=0, description="GET/HEAD requests")
    write_statement_timeout_ms: int = Field(60_000, ge=0, description="POST/PUT/PATCH/DELETE")
    import_statement_timeout_ms: int = Field(600_000, ge=0, description="…/import uploads")
    # Admission (app/admission.py): a request is taken only while its expected wait for a
    # pooled connection (measured hold times) is within max_queue_wait_s, and never beyond
    # max_in_flight requests per worker (None: 8 x the pool's connections); the rest are
    # answered 503 + Retry-After at once instead of queueing. Default 2 s: at scale 1.0 on
    # two cores, 50 clients got 25 x 503 with 0.5 s, 7 with 1 s and none with 2 s, while
    # 200 clients were still refused within 51 ms (default config; BENCHMARKS.md, Session 4).
    # Well under the pool timeout, so an estimate that is off (a saturated CPU) seldom ends
    # in a late 503.
    max_in_flight: int | None = Field(None, ge=1, le=10_000)
    max_queue_wait_s: float = Field(2.0, gt=0, le=60)
    items_default_limit: int = Field(100, ge=1, le=10_000)
    items_max_limit: int = Field(10_000, ge=1, le=100_000)
    # numberMatched is only reported when counting finishes within this budget.
    count_timeout_ms: int = Field(300, ge=0)
    # Editing and imports (OGC API Features Part 4, /import).
    max_body_bytes: int = Field(
        10_000_000, ge=1024, description="Largest JSON body of a write (413 beyond)"
    )
    max_upload_bytes: int = Field(
        500_000_000, ge=1024, description="Largest file accepted by /collections/{id}/import"
    )
    max_vertices: int = Field(100_000, ge=4, description="Most vertices in one geometry")
    extent_buffer_deg: float = Field(
        0.05,
        ge=0,
        description="Tolerance around the Xinjiang outline (region 650000) for new geometry",
    )
    # Site check (POST /checks/site): the largest site, and the largest request body.
    site_max_area_km2: float = Field(100.0, gt=0)
    site_max_body_bytes: int = Field(2_000_000, ge=1000)
    title: str = "Ecological restoration ledger — Changji, Xinjiang"
    public_url: str | None = Field(
        None, description="Base URL when behind a proxy; links are derived from requests otherwise"
    )
    # Web maps on other origins read the API; keys travel in a header, never in cookies,
    # so no credentialed CORS is needed.
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])
    basemap_url: str | None = Field(
        None, description="XYZ raster tile URL template for the web map; none gives a clean map"
    )
    # 天地图 (Tianditu, CGCS2000) basemaps, proxied by /basemap/tianditu/... so the key never
    # reaches the browser; none gives no Tianditu entry in the map's basemap switcher.
    tianditu_key: SecretStr | None = Field(None, description="Tianditu key (RM_TIANDITU_KEY)")
    tianditu_url: str = Field(
        "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
        "&TILECOL={x}&tk={key}",
        description="Upstream WMTS template of Tianditu (Web Mercator 'w' matrix set)",
    )
    tiles_max_features: int = Field(
        20_000, ge=1, description="Feature cap per vector tile (the lowest ids are kept)"
    )
    tiles_min_zoom: int = Field(0, ge=0, le=24, description="minzoom announced in TileJSON")
    tiles_max_zoom: int = Field(
        16, ge=0, le=24, description="maxzoom announced in TileJSON (clients overzoom beyond)"
    )
    tile_cache_mb: int = Field(
        128, ge=0, description="Bytes of built tiles kept (keyed by data version; 0: no cache)"
    )
    tile_cache_dir: str = Field(
        "./var/tile-cache",
        description="Directory of built tiles shared by the worker processes (local disk); "
        "empty: each process keeps its own in memory",
    )
    photo_dir: str = Field("./var/photos", description="Where inspection photos are stored")
    photo_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest accepted inspection photo, in bytes"
    )
    # Operations (README: Operating it).
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token that Prometheus sends to /metrics (admin keys work too)"
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Request and error logs: one line each, as text or JSON"
    )
    pg_bin_dir: str | None = Field(
        None, description="Where pg_dump/pg_restore live (default: the server's version)"
    )

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the psycopg 3 driver named, as SQLAlchemy wants it."""
        return psycopg_url(self.database_url)

    @property
    def read_urls(self) -> list[str]:
        """The replicas' URLs (SQLAlchemy form), in the order given."""
        return [psycopg_url(u.strip()) for u in self.database_read_urls.split(",") if u.strip()]

    @property
    def pool_capacity(self) -> int:
        """Connections a worker's pool opens at most (size + overflow)."""
        overflow = self.pool_size if self.pool_max_overflow is None else self.pool_max_overflow
        return self.pool_size + overflow

    @property
    def in_flight_limit(self) -> int:
        return self.max_in_flight or 8 * self.pool_capacity

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


def psycopg_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
