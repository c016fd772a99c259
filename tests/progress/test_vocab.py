"""The words of progress are defined once (geo.progress.vocab): the transitions, the ledger
labels, the database's CHECK constraints and the dashboard all use exactly those."""

from __future__ import annotations

import json
import re

from sqlalchemy import text

from geo.progress import vocab
from geo.progress.restoration import TRANSITIONS


def test_lifecycle_and_labels_cover_the_vocabulary():
    assert tuple(TRANSITIONS) == vocab.RESTORATION_STATUSES
    assert set(vocab.CLOSED) < set(vocab.STARTED) < set(vocab.RESTORATION_STATUSES)
    assert set(vocab.INITIAL) <= set(vocab.RESTORATION_STATUSES)
    assert tuple(vocab.RESTORATION_STATUS_ZH) == vocab.RESTORATION_STATUSES
    assert tuple(vocab.FUNDING_ZH) == vocab.FUNDING
    assert tuple(vocab.TASK_STATUS_ZH) == vocab.TASK_STATUSES
    assert vocab.TASK_DONE in vocab.TASK_STATUSES and vocab.NO_DATE in vocab.DEADLINE_KINDS


def _check_values(conn, table: str, name: str) -> set[str]:
    definition = conn.execute(
        text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = CAST(:t AS regclass) AND conname = :n"
        ),
        {"t": table, "n": f"ck_{table}_{name}"},
    ).scalar_one()
    return set(re.findall(r"'([a-z_]+)'::text", definition))


def test_database_checks_allow_exactly_the_vocabulary(engine):
    with engine.connect() as conn:
        assert _check_values(conn, "restoration_events", "status") == set(
            vocab.RESTORATION_STATUSES
        )
        assert _check_values(conn, "restoration_events", "funding") == set(vocab.FUNDING)
        assert _check_values(conn, "task_notes", "status") == set(vocab.TASK_STATUSES)
        assert _check_values(conn, "rectification_tasks", "deadline_kind") == set(
            vocab.DEADLINE_KINDS
        )


def test_dashboard_gets_the_lifecycle_from_the_server(client):
    page = client.get("/dashboard").text
    sent = re.search(r'<script id="rm-vocab" type="application/json">(.*?)</script>', page, re.S)
    assert sent is not None
    assert json.loads(sent.group(1)) == vocab.for_client()
    assert json.loads(sent.group(1))["restoration_statuses"] == list(vocab.RESTORATION_STATUSES)
