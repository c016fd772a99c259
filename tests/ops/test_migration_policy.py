"""Migrations that rewrite or copy whole tables say so (a ``Large tables:`` paragraph in
their docstring), and the batch helper for them commits batch by batch."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from geo.ops import run_in_batches
from tests.fresh_db import create_database, drop_database, url_for

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
DOLLAR_QUOTED = re.compile(r"\$(\w*)\$.*?\$\1\$", re.S)  # function bodies run later, per row
BULK = re.compile(
    r"\b(UPDATE\s+\w+\s+SET\b|INSERT\s+INTO\s+\w+[^;]*?\bSELECT\b[^;]*?\bFROM\b|DELETE\s+FROM\b)"
)


def bulk_statements(path: Path) -> list[str]:
    """Statements in upgrade() (or the module constants it uses) that touch every row."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
    names = {n.id for n in ast.walk(upgrade) if isinstance(n, ast.Name)}
    nodes = [upgrade] + [
        n
        for n in tree.body
        if isinstance(n, ast.Assign) and any(getattr(t, "id", None) in names for t in n.targets)
    ]
    texts = [
        c.value
        for node in nodes
        for c in ast.walk(node)
        if isinstance(c, ast.Constant) and isinstance(c.value, str)
    ]
    alter_types = [
        "ALTER COLUMN TYPE"
        for c in ast.walk(upgrade)
        if isinstance(c, ast.Call)
        and getattr(c.func, "attr", "") == "alter_column"
        and any(k.arg == "type_" for k in c.keywords)
    ]
    return [
        m.group(0) for t in texts for m in BULK.finditer(DOLLAR_QUOTED.sub("", t))
    ] + alter_types


def test_the_detector_finds_what_it_should():
    assert bulk_statements(VERSIONS / "0005_edits.py")  # the audit baseline copies features
    assert not bulk_statements(VERSIONS / "0010_data_versions.py")  # triggers only


@pytest.mark.parametrize("path", sorted(VERSIONS.glob("*.py")), ids=lambda p: p.stem)
def test_migrations_that_rewrite_tables_say_so(path: Path):
    found = bulk_statements(path)
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    if found:
        assert "Large tables:" in doc, (
            f"{path.name} touches every row ({found[0][:50]}…): say so in a 'Large tables:' "
            "paragraph of its docstring, and batch it (geo.ops.run_in_batches) when the "
            "table can be large"
        )


def test_batches_commit_one_by_one():
    name = create_database("rm_batches")
    engine = create_engine(url_for(name).replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id bigint PRIMARY KEY, v int)"))
            conn.execute(text("INSERT INTO t SELECT g, 0 FROM generate_series(3, 27) g"))
        seen: list[tuple[int, int, int]] = []

        def progress(done: int, total: int) -> None:
            with engine.connect() as other:  # another session sees only committed batches
                committed = other.execute(text("SELECT count(*) FROM t WHERE v = 1")).scalar()
            seen.append((done, total, committed))

        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            n = run_in_batches(
                conn, "t", "id", "UPDATE t SET v = 1 WHERE id >= :lo AND id < :hi", 10, progress
            )
        assert n == 25
        assert seen == [(10, 25, 10), (20, 25, 20), (25, 25, 25)]
    finally:
        engine.dispose()
        drop_database(name)
