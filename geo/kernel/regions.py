"""Administrative regions (GB/T 2260 codes): which codes a code stands for, defined once.

Codes nest by digits: ``65`` a region (650000), ``6523`` a prefecture (652300), ``652324`` a
county. A county code matches itself; a prefecture (…00) or region (…0000) code matches its
counties. :func:`region_matches` is the rule in Python (write scopes), :func:`region_sql` the
same rule as SQL with bound values (filters); tests/kernel/test_regions.py checks that they and the
database's ``rm_region_allowed`` agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geo.kernel.errors import InvalidParameter


def check_code(code: str, parameter: str = "region") -> str:
    """The code, if it is a 6-digit division code (422 otherwise)."""
    if not (len(code) == 6 and code.isdigit()):
        raise InvalidParameter(
            f"{parameter}: {code!r} is not a 6-digit division code", parameter=parameter
        )
    return code


def region_prefix(region: str) -> str:
    """The leading digits every code inside ``region`` shares.

    >>> region_prefix("650000"), region_prefix("652300"), region_prefix("652324")
    ('65', '6523', '652324')
    """
    if region.endswith("0000"):
        return region[:2]
    if region.endswith("00"):
        return region[:4]
    return region


def region_matches(code: str | None, region: str) -> bool:
    """Whether ``code`` lies in ``region``.

    >>> region_matches("652324", "652300"), region_matches("652701", "652300")
    (True, False)
    """
    return code is not None and code.startswith(region_prefix(region))


def region_sql(column: str, region: str, bind: Callable[[Any], str]) -> str:
    """The rule as a SQL condition on ``column``; ``bind`` (e.g. ``Where.bind``) binds a
    value and returns its placeholder."""
    prefix = region_prefix(region)
    if prefix == region:
        return f"{column} = {bind(region)}"
    return f"{column} LIKE {bind(prefix + '%')}"
