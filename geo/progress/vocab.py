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

# A task's notes: opened at the feedback, a dated statement of its progress text, the
# dated completion it states, the report's status at its cut-off, a note written later.
NOTE_KINDS = ("opened", "dated_fact", "completion", "report_status", "update")
# "by_…": the text bounds the date ("截至6月底…已完成"): true by the end of that period.
PRECISIONS = ("day", "month", "year", "by_day", "by_month", "by_year")

# A task's state as of a date, derived from its notes (geo.progress.tasks):
#   completed        the latest known status is complete
#   in_progress / ongoing  the latest known status, the deadline not passed
#   overdue          deadline passed and a status dated on/after it says not complete
#   no_report_since  deadline passed, the latest status is dated before the deadline
#   unknown          no status reported yet as of the date (never overdue)
TASK_STATES = ("completed", "ongoing", "in_progress", "overdue", "no_report_since", "unknown")

RESTORATION_STATUS_ZH = {
    "not_started": "未启动",
    "planned": "已编制方案",
    "in_progress": "治理中",
    "completed": "已完成",
    "accepted": "已验收",
    "repurposed": "转型利用",
}
FUNDING_ZH = {"public": "财政资金", "social_capital": "社会资本", "mixed": "混合"}
# Ledger labels of the task statuses. The reports' own words are kept per task (its
# status_text, e.g. "已按要求整改，长期坚持"); these label the derived states only.
TASK_STATUS_ZH = {"completed": "已完成", "in_progress": "推进中", "ongoing": "长期坚持"}
TASK_STATE_ZH = {
    **TASK_STATUS_ZH,
    "overdue": "逾期未完成",
    "no_report_since": "此后未见报告",
    "unknown": "尚无报告",
}


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
        "task_states": list(TASK_STATES),
    }
