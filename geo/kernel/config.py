"""Settings, read once at start-up and passed explicitly (never read at import time)."""

from __future__ import annotations

from pydantic import Field
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
    pool_size: int = Field(10, ge=1, le=100)
    # Connections beyond pool_size under a burst (None: as many as pool_size).
    pool_max_overflow: int | None = Field(None, ge=0, le=100)
    # How long a request waits for a pooled connection before it is answered 503.
    pool_timeout_s: float = Field(2.0, gt=0, le=60)
    # A pooled connection idle this long is pinged before use (geo.kernel.pool_ping).
    pool_ping_idle_s: float = Field(10.0, ge=0, le=3600)
    retry_after_s: int = Field(2, ge=1, description="Retry-After of a 503 when the pool is full")
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
    tiles_max_features: int = Field(
        20_000, ge=1, description="Feature cap per vector tile (the lowest ids are kept)"
    )
    tiles_min_zoom: int = Field(0, ge=0, le=24, description="minzoom announced in TileJSON")
    tiles_max_zoom: int = Field(
        16, ge=0, le=24, description="maxzoom announced in TileJSON (clients overzoom beyond)"
    )
    tile_cache_mb: int = Field(
        128, ge=0, description="Memory for built tiles (keyed by data version; 0 turns it off)"
    )
    photo_dir: str = Field("./var/photos", description="Where inspection photos are stored")
    photo_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest accepted inspection photo, in bytes"
    )

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the psycopg 3 driver named, as SQLAlchemy wants it."""
        url = self.database_url
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
