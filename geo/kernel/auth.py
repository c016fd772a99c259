"""Users, roles, region scopes and API keys (no HTTP here).

A key looks like ``rm_<prefix>_<secret>``; only its SHA-256 digest is stored, and it is
shown once, when created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.kernel.errors import Conflict, InvalidInput, NotFound
from geo.kernel.regions import region_matches

ROLES = ("viewer", "inspector", "editor", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    user_id: int
    name: str
    role: str
    # County/prefecture codes this user may write in; None means everywhere.
    regions: frozenset[str] | None

    def has_role(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    def covers(self, region_code: str | None) -> bool:
        """Whether a write in ``region_code`` is inside this user's scope. Features outside
        every county (no code) are only writable by unscoped users."""
        if self.regions is None:
            return True
        if region_code is None:
            return False
        return any(region_matches(region_code, r) for r in self.regions)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _split(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)  # the secret itself may contain underscores
    if len(parts) != 3 or parts[0] != "rm" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def new_key() -> tuple[str, str]:
    """A fresh key and its lookup prefix."""
    prefix = secrets.token_hex(6)
    return f"rm_{prefix}_{secrets.token_urlsafe(32)}", prefix


def _check_regions(conn: Connection, regions: list[str] | None) -> None:
    if not regions:
        return
    known = set(
        conn.execute(
            text("SELECT code FROM regions WHERE code = ANY(:c)"), {"c": regions}
        ).scalars()
    )
    unknown = sorted(set(regions) - known)
    if unknown:
        raise InvalidInput(f"regions: unknown division code(s) {', '.join(unknown)}")


def create_user(
    conn: Connection, name: str, role: str, regions: list[str] | None = None
) -> tuple[int, str]:
    """Creates a user with a first key; returns (user id, the key, shown only now)."""
    if role not in ROLES:
        raise InvalidInput(f"role: must be one of {', '.join(ROLES)}")
    _check_regions(conn, regions)
    exists = conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": name}).first()
    if exists:
        raise Conflict(f"user {name!r} already exists")
    user_id = conn.execute(
        text("INSERT INTO users (name, role, regions) VALUES (:n, :r, :g) RETURNING id"),
        {"n": name, "r": role, "g": sorted(regions) if regions else None},
    ).scalar_one()
    return user_id, create_key(conn, user_id)


def create_key(
    conn: Connection, user_id: int, label: str | None = None, expires_at: datetime | None = None
) -> str:
    key, prefix = new_key()
    conn.execute(
        text(
            "INSERT INTO api_keys (user_id, prefix, key_hash, label, expires_at) "
            "VALUES (:u, :p, :h, :l, :e)"
        ),
        {"u": user_id, "p": prefix, "h": _digest(key), "l": label, "e": expires_at},
    )
    return key


def user_id(conn: Connection, name: str) -> int | None:
    """The id of the user called ``name``, or None."""
    return conn.execute(text("SELECT id FROM users WHERE name = :n"), {"n": name}).scalar()


def revoke_keys(conn: Connection, name: str) -> int:
    """Revokes every live key of a user; returns how many."""
    uid = user_id(conn, name)
    if uid is None:
        raise NotFound(f"user {name!r} does not exist")
    return conn.execute(
        text("UPDATE api_keys SET revoked_at = now() WHERE user_id = :u AND revoked_at IS NULL"),
        {"u": uid},
    ).rowcount


@dataclass(frozen=True)
class UserSummary:
    name: str
    role: str
    regions: str  # comma-separated codes, '*' for everywhere
    live_keys: int


def list_users(conn: Connection) -> list[UserSummary]:
    """Every user with its scope and number of live keys (never the keys), by name."""
    rows = conn.execute(
        text(
            """
            SELECT u.name, u.role, coalesce(array_to_string(u.regions, ','), '*'),
                   count(k.id) FILTER (WHERE k.revoked_at IS NULL)
            FROM users u LEFT JOIN api_keys k ON k.user_id = u.id
            GROUP BY u.id ORDER BY u.name
            """
        )
    ).all()
    return [UserSummary(*row) for row in rows]


async def authenticate(conn: AsyncConnection, key: str) -> Principal | None:
    """The principal of a live key, or None (unknown, revoked, expired, disabled user)."""
    parts = _split(key)
    if parts is None:
        return None
    row = (
        await conn.execute(
            text(
                "SELECT k.id, k.key_hash, u.id, u.name, u.role, u.regions FROM api_keys k "
                "JOIN users u ON u.id = k.user_id "
                "WHERE k.prefix = :p AND k.revoked_at IS NULL AND u.disabled_at IS NULL "
                "AND (k.expires_at IS NULL OR k.expires_at > now())"
            ),
            {"p": parts[0]},
        )
    ).first()
    if row is None or not hmac.compare_digest(row[1], _digest(key)):
        return None
    await conn.execute(
        text(
            "UPDATE api_keys SET last_used_at = now() WHERE id = :id "
            "AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"
        ),
        {"id": row[0]},
    )
    await conn.commit()
    return Principal(row[2], row[3], row[4], frozenset(row[5]) if row[5] else None)
