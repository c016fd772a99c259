"""The live definitions of the database's functions and triggers, one file per concept.

Each feature package keeps its database code in ``geo/<package>/sql/*.sql`` (CREATE OR
REPLACE, so running a file twice changes nothing). Migrations stay append-only history: a
change to a function is an edit of its file plus a new migration that runs the file with
:func:`run` (see geo/kernel/sql/README.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

GEO = Path(__file__).resolve().parent.parent

# Execution order: SQL-language functions are checked when created, so what they call first.
FILES = (
    "kernel/sql/touch.sql",
    "kernel/sql/regions.sql",
    "kernel/sql/scopes.sql",
    "kernel/sql/audit.sql",
    "edits/sql/row_versions.sql",
    "progress/sql/append_only.sql",
    "violations/sql/evaluate.sql",
    "violations/sql/parts.sql",
    "tiles/sql/data_versions.sql",
    "tiles/sql/generalised.sql",
    "catalog/sql/layers_notify.sql",
    "notify/sql/outbox.sql",
    "campaign/sql/signoffs.sql",
)


def path(name: str) -> Path:
    """The file ``name`` (relative to geo/, e.g. "kernel/sql/audit.sql")."""
    return GEO / name


def read(name: str) -> str:
    return path(name).read_text(encoding="utf-8")


def digest(name: str) -> str:
    """A short SHA-256 of the file: the newest migration that runs a file records it, and
    tests/kernel/test_sql_definitions.py fails when the file changed without such a migration."""
    return hashlib.sha256(path(name).read_bytes()).hexdigest()[:16]


def run(execute: Callable[[str], object], *names: str) -> None:
    """Run the named files in order (all of FILES when none is named) with ``execute``,
    e.g. alembic's ``op.execute``."""
    for name in names or FILES:
        execute(read(name))
