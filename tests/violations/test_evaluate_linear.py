"""Rule evaluation does work linear in the batch it evaluates (migration 0023).

Deleting 50,000 imported patches once took 131 s, 126 s of them in a nested loop between
two CTEs (resolved violations × their events): quadratic in the batch. The plans of the
statements a bulk insert and delete run are read from auto_explain (row counts, no
timing), and no join may discard more rows than a small multiple of the batch. The
violations and events the batch gets are checked too, so the rewrite keeps its results.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.fresh_db import fresh_database

N = 1200  # patches in the batch (2 violations each)
CODE = "LIN-%"


@pytest.fixture(scope="module")
def engine():
    with fresh_database("rm_vlin") as (_settings, engine):
        yield engine


def _plans(conn, statement: str) -> list[str]:
    """The plans auto_explain logs for ``statement`` and everything it runs (triggers)."""
    notices: list[str] = []
    raw = conn.connection.driver_connection

    def handler(d):
        notices.append(d.message_primary or "")

    raw.add_notice_handler(handler)
    for name, value in {
        "log_min_duration": "0",
        "log_analyze": "on",
        "log_timing": "off",
        "log_nested_statements": "on",
        "log_level": "notice",
    }.items():
        conn.execute(text(f"SET LOCAL auto_explain.{name} = '{value}'"))
    try:
        conn.execute(text(statement))
    finally:
        conn.execute(text("SET LOCAL auto_explain.log_min_duration = '-1'"))
        raw.remove_notice_handler(handler)
    return notices


def _most_rows_discarded(plans: list[str]) -> int:
    found = [
        int(n) for p in plans for n in re.findall(r"Rows Removed by (?:Join )?Filter: (\d+)", p)
    ]
    return max(found, default=0)


def _insert(n: int) -> str:
    """n cropland patches without approval, 0.0015° squares on a 40-column grid."""
    return f"""
INSERT INTO features (layer, code, properties, geom)
SELECT 'grassland_occupations', 'LIN-' || i,
       '{{"approval_status": "none", "purpose": "farming"}}'::jsonb,
       ST_Multi(ST_MakeEnvelope(80.0 + (i % 40) * 0.002, 41.0 + (i / 40) * 0.002,
                                80.0015 + (i % 40) * 0.002, 41.0015 + (i / 40) * 0.002, 4326))
FROM generate_series(1, {n}) i
"""


def test_a_batch_is_evaluated_without_quadratic_joins(engine):
    with engine.begin() as conn:
        conn.execute(text("LOAD 'auto_explain'"))
        inserted = _plans(conn, _insert(N))
        detected = conn.execute(
            text(
                "SELECT r.code, count(*) FROM violations v JOIN violation_rules r"
                " ON r.id = v.rule_id WHERE v.subject_code LIKE :c AND v.resolved_at IS NULL"
                " GROUP BY r.code ORDER BY r.code"
            ),
            {"c": CODE},
        ).all()
        # every patch breaks both attribute rules (no approval; cropland on grassland)
        assert detected == [("GRASSLAND-NO-APPROVAL", N), ("GRASSLAND-RECLAIM", N)]
        assert (
            conn.execute(
                text(
                    "SELECT count(*) FROM violation_events e JOIN violations v"
                    " ON v.id = e.violation_id WHERE v.subject_code LIKE :c"
                    " AND e.action = 'detected'"
                ),
                {"c": CODE},
            ).scalar_one()
            == 2 * N
        )

        deleted = _plans(conn, f"DELETE FROM features WHERE code LIKE '{CODE}'")
        events = conn.execute(
            text(
                "SELECT e.action, e.note, count(*) FROM violation_events e JOIN violations v"
                " ON v.id = e.violation_id WHERE v.subject_code LIKE :c"
                " GROUP BY e.action, e.note ORDER BY e.action"
            ),
            {"c": CODE},
        ).all()
        assert events == [
            ("detected", "detected by rule evaluation", 2 * N),
            ("resolved_by_data", "subject feature was deleted", 2 * N),
        ]
        assert (
            conn.execute(
                text(
                    "SELECT count(*) FROM violations WHERE subject_code LIKE :c AND resolved_at IS NULL"
                ),
                {"c": CODE},
            ).scalar_one()
            == 0
        )
        conn.rollback()

    assert any("rm_evaluate" in p or "violation_events" in p for p in deleted)
    # Linear: a join may pass each pair over every rule of the layer (about 20 × 2N);
    # a nested loop over two CTEs discarded (2N)² = 5.8 million rows here before 0023.
    assert _most_rows_discarded(inserted) < 100 * N
    assert _most_rows_discarded(deleted) < 100 * N


def _no_approval_violation(conn) -> tuple[int, bool]:
    """LIN-1's violation of GRASSLAND-NO-APPROVAL: its id, and whether it is live."""
    return conn.execute(
        text(
            "SELECT v.id, v.resolved_at IS NULL FROM violations v JOIN violation_rules r"
            " ON r.id = v.rule_id WHERE v.subject_code = 'LIN-1'"
            " AND r.code = 'GRASSLAND-NO-APPROVAL'"
        )
    ).one()


def _set_approval(conn, status: str) -> None:
    conn.execute(
        text(
            "UPDATE features SET properties = properties"
            " || jsonb_build_object('approval_status', CAST(:s AS text)) WHERE code = 'LIN-1'"
        ),
        {"s": status},
    )


def test_a_violation_that_comes_back_is_the_same_record(engine):
    """The UPDATE path of the rewrite: resolved by the data, then found again."""
    with engine.begin() as conn:
        conn.execute(text(_insert(3)))
        first, live = _no_approval_violation(conn)
        assert live
        _set_approval(conn, "approved")
        assert _no_approval_violation(conn) == (first, False)
        _set_approval(conn, "none")
        assert _no_approval_violation(conn) == (first, True)
        actions = conn.execute(
            text("SELECT action FROM violation_events WHERE violation_id = :v ORDER BY id"),
            {"v": first},
        ).scalars()
        assert list(actions) == ["detected", "resolved_by_data", "redetected_by_data"]
        conn.rollback()
