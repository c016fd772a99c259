"""Violation counts for operator summaries (the CLI)."""

from __future__ import annotations

from sqlalchemy import Connection, text


def open_violations(conn: Connection) -> int:
    """How many violations are open (not resolved by the data)."""
    return conn.execute(
        text("SELECT count(*) FROM violations WHERE resolved_at IS NULL")
    ).scalar_one()
