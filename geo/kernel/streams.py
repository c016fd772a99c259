"""Streams whose first element is read before anyone answers: what fails before it (a
filter, the database, a whole file being written) fails while a proper error status can
still be sent, not after a 200 has started (the server must then cut the response)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def primed(items: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    """``items`` with its first element already read (and given first)."""
    try:
        first = await anext(items)
    except StopAsyncIteration:
        return _none()
    return _chain(first, items)


async def _chain(first: T, rest: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    try:
        yield first
        async for item in rest:
            yield item
    finally:  # closed early (the client went away): the source's own cleanup runs now
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()


async def _none() -> AsyncGenerator:
    return
    yield  # an async generator with nothing in it
