"""Region matching has one definition (geo.kernel.regions): the Python rule (write scopes),
its SQL fragment (filters) and the database's own scope function must agree."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text

from geo.catalog.items import Where
from geo.kernel.auth import Principal
from geo.kernel.errors import InvalidParameter
from geo.kernel.regions import check_code, region_matches, region_prefix, region_sql

# Xinjiang (65), Changji prefecture (6523) and its counties, another prefecture (6527), a
# county-level city directly under the region (659001), Urumqi (6501) and its districts.
CODES = [
    "650000",
    "650100",
    "650102",
    "652300",
    "652301",
    "652302",
    "652324",
    "652328",
    "652700",
    "652701",
    "659001",
    "320000",
    "321000",
    "321002",
    "321100",
    "321102",
]
# A prefecture whose 4th digit is 0 (321000, Yangzhou) must not cover 3211xx (Zhenjiang): the
# database's rule trimmed zeros until migration 0012.
ZERO_PREFECTURE = [("321100", "321000"), ("321102", "321000"), ("321002", "321000")]
PAIRS = list(itertools.product(CODES, CODES))  # (code, region)


def _sql_fragment(conn, pairs) -> dict[tuple[str, str], bool]:
    out = {}
    for region in sorted({r for _, r in pairs}):
        where = Where()
        cond = region_sql("c.code", region, where.bind)
        rows = conn.execute(
            text(f"SELECT c.code, {cond} AS hit FROM unnest(CAST(:codes AS text[])) AS c(code)"),
            {"codes": [c for c, r in pairs if r == region], **where.params},
        )
        out.update({(code, region): hit for code, hit in rows})
    return out


def _db_function(conn, pairs) -> dict[tuple[str, str], bool]:
    rows = conn.execute(
        text(
            "SELECT c, r, rm_region_allowed(c, r) FROM unnest(CAST(:c AS text[]),"
            " CAST(:r AS text[])) AS t(c, r)"
        ),
        {"c": [c for c, _ in pairs], "r": [r for _, r in pairs]},
    )
    return {(c, r): hit for c, r, hit in rows}


def test_the_rule_by_example():
    assert region_prefix("650000") == "65" and region_prefix("652300") == "6523"
    assert region_matches("652324", "652300") and region_matches("652324", "652324")
    assert region_matches("652300", "652300") and region_matches("652324", "650000")
    assert not region_matches("652701", "652300") and not region_matches("652301", "652324")
    assert not region_matches("321102", "321000") and region_matches("321002", "321000")
    assert not region_matches(None, "652300")
    with pytest.raises(InvalidParameter, match="not a 6-digit division code"):
        check_code("6523", "region")


def test_python_rule_sql_fragment_and_scope_agree(engine):
    with engine.connect() as conn:
        fragment = _sql_fragment(conn, PAIRS)
        database = _db_function(conn, PAIRS)
    python = {(c, r): region_matches(c, r) for c, r in PAIRS}
    assert fragment == python
    assert database == python
    # A write scope is the same rule over several codes.
    manas_and_urumqi = Principal(1, "u", "editor", frozenset({"652324", "650100"}))
    for code in CODES:
        assert manas_and_urumqi.covers(code) == (
            region_matches(code, "652324") or region_matches(code, "650100")
        )
    assert sum(python.values()) > len(CODES)  # the table holds real matches, not only itself


def test_scope_function_agrees_on_prefectures_ending_in_zero(engine):
    with engine.connect() as conn:
        database = _db_function(conn, ZERO_PREFECTURE)
    assert database == {
        ("321100", "321000"): False,
        ("321102", "321000"): False,
        ("321002", "321000"): True,
    }
