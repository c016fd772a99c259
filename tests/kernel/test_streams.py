"""geo.kernel.streams.primed: the first element is read at once, the rest as they are asked
for, and the source is closed with the stream (its cleanup: a cursor, a temporary file)."""

from __future__ import annotations

import asyncio

import pytest

from geo.kernel.streams import primed


def test_the_first_element_is_read_at_once_and_everything_is_given_in_order():
    read: list[int] = []

    async def source():
        for i in range(3):
            read.append(i)
            yield i

    async def run():
        stream = await primed(source())
        assert read == [0]  # before anyone asked
        return [x async for x in stream]

    assert asyncio.run(run()) == [0, 1, 2]


def test_a_failure_before_the_first_element_is_raised_by_primed():
    async def source():
        raise ConnectionError("the database went away")
        yield  # an async generator

    with pytest.raises(ConnectionError):
        asyncio.run(primed(source()))


def test_an_empty_source_gives_an_empty_stream():
    async def source():
        return
        yield

    async def run():
        return [x async for x in await primed(source())]

    assert asyncio.run(run()) == []


def test_closing_the_stream_early_closes_its_source():
    closed: list[bool] = []

    async def source():
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    async def run():
        stream = await primed(source())
        assert await anext(stream) == 1
        await stream.aclose()  # the client went away after the first chunk
        return list(closed)

    assert asyncio.run(run()) == [True]
