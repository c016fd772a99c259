"""Administrative regions (GB/T 2260 codes): which codes a code stands for."""

from __future__ import annotations


def region_filter(region: str | None, column: str = "f.region_code") -> str:
    """A county code matches itself; a prefecture (…00) or region (..0000) its counties."""
    if not region:
        return "TRUE"
    return (
        f"({column} = :region OR (right(:region, 2) = '00' AND "
        f"{column} LIKE rtrim(:region, '0') || '%'))"
    )
