"""The restoration and task listings as result objects: the rows as of a date with the JSON
body, the ledger columns and the file names a router needs to render them in any format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from geo.progress import ledger, restoration, tasks


@dataclass(frozen=True)
class Listing:
    as_of: date
    rows: list[dict[str, Any]]
    # The key of the rows in the JSON body ("records", "tasks").
    key: str
    columns: Sequence[ledger.Column]
    # File and sheet names: (English, Chinese).
    stems: tuple[str, str]

    @property
    def body(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "count": len(self.rows), self.key: self.rows}


async def restoration_listing(
    conn: AsyncConnection,
    as_of: date,
    layer: str | None = None,
    region: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
) -> Listing:
    """One row per restoration record as of ``as_of`` (the restoration ledger)."""
    rows = await restoration.list_records(conn, as_of, layer, region, status, overdue)
    return Listing(
        as_of, rows, "records", ledger.RESTORATION_COLUMNS, ("restoration_ledger", "恢复治理台账")
    )


async def task_listing(
    conn: AsyncConnection,
    as_of: date,
    status: str | None = None,
    overdue: bool | None = None,
    round_: str | None = None,
    region: str | None = None,
    party: str | None = None,
    feature_id: int | None = None,
    state: str | None = None,
) -> Listing:
    """The tasks that exist as of ``as_of`` (the rectification-task ledger)."""
    rows = await tasks.list_tasks(
        conn, as_of, status, overdue, round_, region, party, feature_id, state=state
    )
    return Listing(
        as_of, rows, "tasks", ledger.TASK_COLUMNS, ("rectification_tasks", "整改任务台账")
    )
