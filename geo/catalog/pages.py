"""A page of items as a result object: its count, its rows as a stream, its next cursor.

The statement is started (and its first rows fetched) before the page is handed back, so
whatever can fail — a filter, a cursor, the database — fails before the first byte of a
response; only a fault in the middle of a stream can still happen after it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncResult

from geo.catalog.items import ItemsQuery, encode_cursor, filter_where, page_sql
from geo.catalog.sources import Collection
from geo.kernel.errors import InvalidParameter
from geo.kernel.streams import primed

PARTITION = 500


@dataclass
class Page:
    """Feature JSON texts in batches (:meth:`batches`); ``returned`` and ``next_cursor``
    are known once the batches have been read."""

    limit: int
    matched: int | None
    _partitions: AsyncGenerator[list[Any], None]  # primed: the first already read
    returned: int = 0
    next_cursor: str | None = None
    _last_keys: list[Any] = field(default_factory=list)

    async def batches(self) -> AsyncIterator[list[str]]:
        try:
            async for partition in self._partitions:
                batch, more = self._take(partition)
                if batch:
                    yield batch
                if more:
                    self.next_cursor = encode_cursor(self._last_keys)
                    return
        finally:
            await self._partitions.aclose()

    def _take(self, partition: list[Any]) -> tuple[list[str], bool]:
        room = self.limit - self.returned
        rows = partition[:room]
        if rows:
            self.returned += len(rows)
            self._last_keys = list(rows[-1][1:])
        return [r[0] for r in rows], len(partition) > room

    async def all(self) -> list[str]:
        return [f for batch in [b async for b in self.batches()] for f in batch]


async def open_page(
    conn: AsyncConnection, coll: Collection, q: ItemsQuery, count_timeout_ms: int
) -> Page:
    """The page of ``q``: counted on the first page only (later pages never pay for a
    count), started on ``conn`` — the request's one connection."""
    sql, params = page_sql(coll, q)  # bad parameters are 400s here
    matched = None
    if q.cursor is None:
        matched = await count_matched(conn, coll, q, count_timeout_ms)
    try:
        result = await conn.stream(text(sql), params)
        partitions = await primed(_partitions(result))
    except DBAPIError as exc:
        # A cursor token carries sort-key values; one that does not fit its key's type is
        # the caller's error (22xxx: data exception), found before the first byte.
        state = getattr(exc.orig, "sqlstate", None) or ""
        if q.cursor is not None and state.startswith("22"):
            msg = "cursor: not a token this service issued (or from a different sortby)"
            raise InvalidParameter(msg, parameter="cursor") from None
        raise
    return Page(limit=q.limit, matched=matched, _partitions=partitions)


async def _partitions(result: AsyncResult) -> AsyncIterator[list[Any]]:
    try:
        async for partition in result.partitions(PARTITION):
            yield list(partition)
    finally:
        await result.close()


async def count_matched(
    conn: AsyncConnection, coll: Collection, q: ItemsQuery, timeout_ms: int
) -> int | None:
    """numberMatched, only where it is cheap: a count that exceeds the budget is dropped."""
    if timeout_ms <= 0:
        return None
    src = coll.source
    where = filter_where(coll, q)
    if conn.in_transaction():
        # End the request's read transaction: a SET LOCAL inside a savepoint would outlive
        # the count and cut the page's own statement short.
        await conn.commit()
    try:
        async with conn.begin():
            await conn.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
            sql = f"SELECT count(*) FROM {src.from_sql} WHERE {where.sql}"
            return (await conn.execute(text(sql), where.params)).scalar_one()
    except DBAPIError as exc:
        if "statement timeout" in str(exc.orig):
            return None
        raise
