"""Is the database at the schema this code expects? (``migrate --check`` and ``/readyz``.)

The expected heads come from the migration scripts shipped with the code; the current ones
from the database's ``alembic_version``. A database behind the code needs ``migrate``; one
ahead of it (a newer release migrated it, then the code was rolled back) needs the newer
code or a downgrade — either way it is not ready.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from geo.kernel.config import Settings
from geo.kernel.db import alembic_config


@dataclass(frozen=True)
class SchemaStatus:
    current: tuple[str, ...]
    heads: tuple[str, ...]
    unknown: tuple[str, ...]  # revisions in the database that this code does not know

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def message(self) -> str:
        """One line for an operator.

        >>> SchemaStatus(("a",), ("a",), ()).message
        'schema at head (a)'
        >>> SchemaStatus((), ("b",), ()).message
        'schema not migrated (empty database); expected b: run `python -m app migrate`'
        >>> SchemaStatus(("a",), ("b",), ()).message
        'schema at a, expected b: run `python -m app migrate`'
        """
        heads = ", ".join(self.heads)
        hint = "run `python -m app migrate`"
        if self.at_head:
            return f"schema at head ({heads})"
        if self.unknown:
            return (
                f"schema at {', '.join(self.unknown)}, unknown to this release (expected "
                f"{heads}): run the release that migrated it, or downgrade with it"
            )
        if not self.current:
            return f"schema not migrated (empty database); expected {heads}: {hint}"
        return f"schema at {', '.join(self.current)}, expected {heads}: {hint}"


def script_heads(settings: Settings) -> tuple[str, ...]:
    """The head revision(s) of the migration scripts (read from disk: cache the answer)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config(settings)).get_heads()))


def known_revisions(settings: Settings) -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config(settings))
    return frozenset(rev.revision for rev in script.walk_revisions())


def schema_status(
    conn: Connection, heads: tuple[str, ...], known: frozenset[str] | None = None
) -> SchemaStatus:
    """Compares the database behind ``conn`` with ``heads`` (works inside
    ``AsyncConnection.run_sync`` too)."""
    current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    unknown = tuple(r for r in current if known is not None and r not in known)
    return SchemaStatus(current, heads, unknown)
