"""Rewriting a large table in batches, for migrations.

A migration that updates or copies every row of a big table (features, audit_log) in one
statement holds its locks and one huge transaction for the whole run, and leaves all the
dead rows for one vacuum. In batches of a key range, each committed on its own when run
inside ``op.get_context().autocommit_block()``, writers wait at most one batch and a failed
run resumes where it stopped (write the statement so that a batch done twice is harmless)::

    from geo.ops import run_in_batches

    def upgrade() -> None:
        with op.get_context().autocommit_block():
            run_in_batches(op.get_bind(), "features", "id",
                           "UPDATE features SET area_m2 = ST_Area(geom::geography) "
                           "WHERE id >= :lo AND id < :hi AND area_m2 IS NULL")

Such a migration says so in its docstring, in a paragraph starting ``Large tables:``
(tests/ops/test_migration_policy.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text


def run_in_batches(
    conn: Connection,
    table: str,
    key: str,
    statement: str,
    batch_size: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Runs ``statement`` (with ``:lo``/``:hi`` bounds on the integer ``key``) over ranges of
    ``batch_size`` keys from the smallest to the largest key of ``table``; returns the rows
    it touched. ``table`` and ``key`` are identifiers written by the migration's author."""
    bounds = conn.execute(text(f'SELECT min("{key}"), max("{key}") FROM "{table}"')).one()
    if bounds[0] is None:
        return 0
    lo, last = int(bounds[0]), int(bounds[1])
    touched = 0
    sql = text(statement)
    while lo <= last:
        touched += conn.execute(sql, {"lo": lo, "hi": lo + batch_size}).rowcount
        lo += batch_size
        if progress:
            progress(min(lo, last + 1) - int(bounds[0]), last + 1 - int(bounds[0]))
    return touched
