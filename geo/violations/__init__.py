"""Violations: rules as data, the records and their lifecycle, the ledger, overlaps, and
the point and site checks. Siblings use the vocabulary exported here; the HTTP layer uses
the functions."""

from geo.violations.checks import check_point
from geo.violations.ledger import Ledger, LedgerFilter, ledger
from geo.violations.lifecycle import TransitionIn, get_violation, transition, transitions
from geo.violations.site import check_site
from geo.violations.vocab import (
    OPEN_STATUSES,
    SETTLED_STATUSES,
    SEVERITIES,
    SEVERITY_ZH,
    STATUS_ZH,
    STATUSES,
)

__all__ = [
    "OPEN_STATUSES",
    "SETTLED_STATUSES",
    "SEVERITIES",
    "SEVERITY_ZH",
    "STATUSES",
    "STATUS_ZH",
    "Ledger",
    "LedgerFilter",
    "TransitionIn",
    "check_point",
    "check_site",
    "get_violation",
    "ledger",
    "transition",
    "transitions",
]
