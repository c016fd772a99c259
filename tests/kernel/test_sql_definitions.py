"""The live SQL definitions (geo/*/sql/*.sql) are exactly what the migrations leave.

A database migrated to head must have every function and trigger those files define, with
the file's definition, and none they do not define: a migration that changes a function
without its file (or adds one without a file) fails here. See geo/kernel/sql/README.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from geo.kernel import sqlfiles

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
FUNCTIONS = """
    SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
    WHERE p.proname LIKE 'rm\\_%' ORDER BY p.oid
"""
TRIGGERS = """
    SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
    WHERE NOT t.tgisinternal ORDER BY t.tgname
"""


def _normalised(rows) -> dict[str, str]:
    # Whitespace is layout (the migrations indented bodies inside Python strings); the rest
    # of a definition, comments inside bodies included, must be identical.
    return {name: " ".join(definition.split()) for name, definition in rows}


def _defined_in_files() -> tuple[set[str], set[str]]:
    text = "\n".join(sqlfiles.read(name) for name in sqlfiles.FILES)
    functions = set(re.findall(r"^CREATE OR REPLACE FUNCTION (\w+)\(", text, re.M))
    triggers = set(re.findall(r"^CREATE OR REPLACE TRIGGER (\w+) ", text, re.M))
    return functions, triggers


def test_every_function_and_trigger_has_a_definition_file(engine: Engine):
    functions, triggers = _defined_in_files()
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            live_functions = set(_normalised(cur.execute(FUNCTIONS).fetchall()))
            live_triggers = set(_normalised(cur.execute(TRIGGERS).fetchall()))
    finally:
        raw.close()
    assert functions == live_functions
    assert triggers == live_triggers
    assert len(functions) >= 20 and len(triggers) >= 60  # the files were read and parsed


def test_definition_files_equal_the_migrated_database(engine: Engine):
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            before = (
                _normalised(cur.execute(FUNCTIONS).fetchall()),
                _normalised(cur.execute(TRIGGERS).fetchall()),
            )
            sqlfiles.run(cur.execute)
            after = (
                _normalised(cur.execute(FUNCTIONS).fetchall()),
                _normalised(cur.execute(TRIGGERS).fetchall()),
            )
        raw.rollback()
    finally:
        raw.close()
    for live, from_files in zip(before, after, strict=True):
        changed = {n for n in live.keys() | from_files.keys() if live.get(n) != from_files.get(n)}
        assert not changed, f"database (head) and geo/*/sql/*.sql differ for: {sorted(changed)}"


def test_every_file_change_has_a_migration():
    # The newest migration that runs a file recorded the file's digest: a file edited
    # without a new migration would never reach databases that are already at head.
    recorded: dict[str, str] = {}
    for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions():  # newest first
        for name, digest in getattr(script.module, "SQL_FILES", {}).items():
            recorded.setdefault(name, digest)
    assert set(recorded) == set(sqlfiles.FILES), "every definition file is run by a migration"
    stale = {n for n in sqlfiles.FILES if sqlfiles.digest(n) != recorded[n]}
    assert not stale, (
        f"{sorted(stale)} changed after the newest migration that runs them: add a migration "
        "that runs them (with SQL_FILES) — see geo/kernel/sql/README.md"
    )
