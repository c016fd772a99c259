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
    items_default_limit: int = Field(100, ge=1, le=10_000)
    items_max_limit: int = Field(10_000, ge=1, le=100_000)
    # numberMatched is only reported when counting finishes within this budget.
    count_timeout_ms: int = Field(300, ge=0)
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

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the psycopg 3 driver named, as SQLAlchemy wants it."""
        url = self.database_url
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
