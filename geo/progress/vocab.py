"""The words of progress, defined once: restoration statuses and which of them are closed or
started, funding kinds, task statuses, deadline kinds, and their Chinese ledger labels.

Models build their CHECK constraints from these tuples, SQL receives them as bound arrays
(``status = ANY(:closed)``), the ledgers take their labels from here and the dashboard gets
the lifecycle order from the page the server renders (:func:`for_client`).
"""

from __future__ import annotations

from typing import Any

# In lifecycle order (the dashboard colours them from grey to green in this order).
RESTORATION_STATUSES = (
    "not_started",
    "planned",
    "in_progress",
    "completed",
    "accepted",
    "repurposed",
)
# Closed records: they count as complete and are never overdue.
CLOSED = ("completed", "accepted", "repurposed")
# Restoration has begun (the reports' "已完成和启动").
STARTED = ("in_progress", *CLOSED)
# A record starts in one of these; later states are appended as events.
INITIAL = ("not_started", "planned")
FUNDING = ("public", "social_capital", "mixed")

TASK_STATUSES = ("completed", "in_progress", "ongoing")
# A task is overdue unless it is completed by then.
TASK_DONE = "completed"
DEADLINE_KINDS = ("date", "immediate_ongoing", "date_then_ongoing")
# The deadline kind with no date (立行立改，长期坚持).
NO_DATE = "immediate_ongoing"

RESTORATION_STATUS_ZH = {
    "not_started": "未启动",
    "planned": "已编制方案",
    "in_progress": "治理中",
    "completed": "已完成",
    "accepted": "已验收",
    "repurposed": "转型利用",
}
FUNDING_ZH = {"public": "财政资金", "social_capital": "社会资本", "mixed": "混合"}
TASK_STATUS_ZH = {"completed": "已完成", "in_progress": "正在持续推进", "ongoing": "长期坚持"}


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's ``column IN (...)`` over literal values (DDL cannot bind).

    >>> sql_in("funding", FUNDING)
    "funding IN ('public', 'social_capital', 'mixed')"
    """
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def for_client() -> dict[str, Any]:
    """The vocabulary a page needs, as the server sends it to the browser."""
    return {
        "restoration_statuses": list(RESTORATION_STATUSES),
        "closed": list(CLOSED),
        "task_statuses": list(TASK_STATUSES),
        "deadline_kinds": list(DEADLINE_KINDS),
    }
