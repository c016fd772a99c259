"""Key rotation: a new API key for a user, the old ones expiring after a grace period (so
clients can switch without an outage) or at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, text

from geo.kernel import auth
from geo.kernel.errors import NotFound


def rotate_keys(
    conn: Connection, name: str, grace: timedelta, label: str | None = None
) -> tuple[str, int]:
    """Issues a new key for ``name`` and makes every older live key expire ``grace`` from now
    (never later than it already would). Returns the new key and how many old keys expire."""
    user = conn.execute(text("SELECT id FROM users WHERE name = :n"), {"n": name}).first()
    if user is None:
        raise NotFound(f"user {name!r} does not exist")
    n = conn.execute(
        text(
            "UPDATE api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), "
            "now() + :grace) WHERE user_id = :u AND revoked_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > now())"
        ),
        {"u": user[0], "grace": grace},
    ).rowcount
    return auth.create_key(conn, user[0], label or "rotated"), n
