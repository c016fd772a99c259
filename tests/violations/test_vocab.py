"""One vocabulary for violations: the lifecycle table, the CHECK constraints, the map style
and its legend all speak the words of geo.violations.vocab."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from geo.violations import OPEN_STATUSES, SETTLED_STATUSES, SEVERITIES, STATUSES

# Steps that only a new finding takes (回头看): a status left only by them is settled.
REINSPECTION = {"redetect", "reopen"}


def evaluate(expr: Any, props: dict[str, Any]) -> Any:
    """The few MapLibre expression operators the style uses, evaluated for one feature."""
    if not isinstance(expr, list):
        return expr
    op, args = expr[0], expr[1:]
    if op == "literal":
        return args[0]
    if op == "get":
        return props.get(args[0])
    if op == "to-string":
        v = evaluate(args[0], props)
        return "" if v is None else str(v)
    if op == "in":
        return evaluate(args[0], props) in evaluate(args[1], props)
    if op == "==":
        return evaluate(args[0], props) == evaluate(args[1], props)
    if op == "any":
        return any(evaluate(a, props) for a in args)
    if op == "case":
        for cond, out in zip(args[:-1:2], args[1:-1:2], strict=True):
            if evaluate(cond, props):
                return evaluate(out, props)
        return evaluate(args[-1], props)
    if op == "match":
        value = evaluate(args[0], props)
        for label, out in zip(args[1:-1:2], args[2:-1:2], strict=True):
            if value == label:
                return evaluate(out, props)
        return evaluate(args[-1], props)
    raise AssertionError(f"operator {op!r} is not evaluated by this test")


def _violation_layers(client) -> dict[str, dict[str, Any]]:
    style = client.get("/styles/default.json").json()
    layers = [x for x in style["layers"] if x.get("source") == "violations"]
    assert layers, "the style draws the violations collection"
    return {x["type"]: x for x in layers}


def test_open_and_settled_statuses_follow_the_lifecycle_table(client, engine):
    with engine.connect() as conn:
        steps = conn.execute(
            text("SELECT from_status, to_status, action FROM violation_transitions")
        )
        steps = [tuple(r) for r in steps]
    assert {s for f, t, _ in steps for s in (f, t)} == set(STATUSES)
    leaving: dict[str, set[str]] = {}
    for from_status, _, action in steps:
        leaving.setdefault(from_status, set()).add(action)
    settled = {s for s, actions in leaving.items() if actions <= REINSPECTION}
    assert settled == set(SETTLED_STATUSES) == {"dismissed", "closed"}
    assert set(OPEN_STATUSES) == set(STATUSES) - settled
    assert len(OPEN_STATUSES) + len(SETTLED_STATUSES) == len(STATUSES)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("violation_rules", "severity", "major"),
        ("violation_rules", "severity", "minor"),
        ("violations", "status", "not_confirmed"),
    ],
)
def test_the_database_refuses_words_outside_the_vocabulary(engine, table, column, value):
    sql = f"UPDATE {table} SET {column} = :v WHERE id = (SELECT min(id) FROM {table})"
    with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"), engine.begin() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() > 0
        conn.execute(text(sql), {"v": value})


def test_the_style_speaks_the_models_vocabulary(client):
    layers = _violation_layers(client)
    fill = layers["fill"]
    legend = fill["metadata"]["rm:legend"]
    assert [e["label"] for e in legend] == list(SEVERITIES)
    assert len({e["color"] for e in legend}) == len(SEVERITIES)
    color = fill["paint"]["fill-color"]
    assert color[0] == "match" and color[2:-1:2] == list(SEVERITIES)
    assert fill["metadata"]["rm:settled_statuses"] == list(SETTLED_STATUSES)
    # The only statuses the style tests for are the model's settled ones.
    settled_test = fill["paint"]["fill-opacity"][1]
    status_tests = [a for a in settled_test[1:] if a[0] == "in"]
    assert [a[2] for a in status_tests] == [["literal", list(SETTLED_STATUSES)]]


def test_the_map_draws_dismissed_violations_as_settled(client):
    layers = _violation_layers(client)
    opacity = layers["fill"]["paint"]["fill-opacity"]
    width = layers["line"]["paint"]["line-width"]

    def drawn(status: str, resolved: bool = False) -> tuple[float, float]:
        props = {"status": status, "severity": "high", "resolved": resolved}
        return evaluate(opacity, props), evaluate(width, props)

    faint, strong = drawn("dismissed"), drawn("detected")
    assert faint[0] < strong[0] and faint[1] < strong[1]
    for status in SETTLED_STATUSES:
        assert drawn(status) == faint, status
    for status in OPEN_STATUSES:
        assert drawn(status) == strong, status
        assert drawn(status, resolved=True) == faint, status  # resolved by data
    # Every real severity has its own colour; nothing falls back to the default.
    fill_color = layers["fill"]["paint"]["fill-color"]
    colors = [evaluate(fill_color, {"severity": s}) for s in SEVERITIES]
    assert len(set(colors)) == len(SEVERITIES)
    assert evaluate(fill_color, {"severity": "major"}) not in colors


def test_the_violations_collection_schema_lists_the_same_words(client):
    props = client.get("/collections/violations/queryables").json()["properties"]
    assert props["status"]["enum"] == list(STATUSES)
    assert props["severity"]["enum"] == list(SEVERITIES)
