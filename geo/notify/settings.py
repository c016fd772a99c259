"""Settings of notifications (``RM_NOTIFY_*``), read once at start-up and passed explicitly."""

from __future__ import annotations

from ipaddress import ip_network

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    """Worker, channels and safety limits; environment variables ``RM_NOTIFY_*`` override."""

    model_config = SettingsConfigDict(env_prefix="RM_NOTIFY_", env_file=".env", extra="ignore")

    # Fernet key (``Fernet.generate_key()``) encrypting targets and channel secrets at rest.
    # Unset: a key is generated once into ``key_file`` (keep that file with the database).
    secret_key: str | None = Field(None, repr=False)
    key_file: str = "./var/notify.key"
    # Networks a target may resolve into although private, loopback or link-local
    # (e.g. ["127.0.0.0/8"] for a receiver on the same host). Empty: none.
    allow_private_targets: list[str] = Field(default_factory=list)
    timeout_s: float = Field(10.0, gt=0, le=120)
    max_response_bytes: int = Field(64 * 1024, ge=256)
    max_attempts: int = Field(8, ge=1, le=50, description="Attempts before the dead letter")
    backoff_base_s: float = Field(30.0, gt=0, description="First retry delay; doubles per try")
    backoff_max_s: float = Field(6 * 3600.0, gt=0)
    poll_interval_s: float = Field(2.0, gt=0, description="Worker sleep when the queue is empty")
    scan_interval_s: float = Field(
        300.0, gt=0, description="How often the worker looks for tasks due or overdue"
    )
    retention_days: int = Field(
        90, ge=0, description="Events and delivery logs older than this are pruned (0: never)"
    )
    digest_hour_utc: int = Field(0, ge=0, le=23, description="Daily digests (0 = 08:00 CST)")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL of links back to the map in messages"
    )
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = Field(None, repr=False)
    smtp_starttls: bool = False
    smtp_from: str = "restoration-map@localhost"

    @field_validator("allow_private_targets")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            ip_network(net, strict=False)  # a bad network fails at start-up, not at send time
        return value
