"""The words of the violation lifecycle, defined once: severities, statuses, and which
statuses are open or settled. Models (CHECK constraints), SQL (bound arrays), the map style
and its legend, the ledgers and the point check all read them from here.

Open vs. settled follows the lifecycle (``violation_transitions``, migration 0003): a record
is settled when no one has anything left to do about it: ``dismissed`` (field verification
found nothing, 不属实) or ``closed`` (accepted and signed off, 验收销号). Both can come back
(``redetect``, ``reopen``), but only by a new finding. Every other status waits for someone:
``rectified`` waits for acceptance, which may be refused. Independently of the status, a
record the data no longer supports has ``resolved_at`` set (resolved by data): it is not
open either, whatever its status.
"""

from __future__ import annotations

# Most severe first: the order of the legend and of the ledger's filters.
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
SEVERITY_ZH: dict[str, str] = {
    "critical": "特别严重",
    "high": "严重",
    "medium": "较重",
    "low": "一般",
}

# In lifecycle order.
STATUSES: tuple[str, ...] = (
    "detected",
    "confirmed",
    "dismissed",
    "rectifying",
    "rectified",
    "closed",
    "reopened",
)
STATUS_ZH: dict[str, str] = {
    "detected": "已发现",
    "confirmed": "核查属实",
    "dismissed": "核查不属实",
    "rectifying": "整改中",
    "rectified": "已整改",
    "closed": "已验收销号",
    "reopened": "回头看重新打开",
}
SETTLED_STATUSES: tuple[str, ...] = ("dismissed", "closed")
OPEN_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if s not in SETTLED_STATUSES)
