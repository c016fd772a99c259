"""Streams that can fail, fail before the first byte: bad cursor values are 400s, never a
200 whose body is cut off (issue 11, item 4)."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.render.features import feature_collection
from geo.catalog.items import encode_cursor

ITEMS = "/collections/mining_pits/items"


@pytest.mark.parametrize(
    ("params", "values"),
    [
        ({}, [2**70]),  # an id beyond bigint
        ({}, [-(2**63) - 1]),
        ({"sortby": "-area_ha"}, [False, "not a number", 5]),  # a sort key of the wrong type
        ({"sortby": "-area_ha"}, [False, 1.5, "5"]),  # a text id for an integer key
    ],
)
def test_bad_cursor_values_are_400_before_the_stream(client, params, values):
    r = client.get(ITEMS, params={**params, "cursor": encode_cursor(values), "limit": 5})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "InvalidParameterValue"
    assert r.json()["description"].startswith("cursor:")


def test_a_valid_cursor_still_pages(client):
    first = client.get(ITEMS, params={"sortby": "-area_ha", "limit": 5}).json()
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(nxt.replace(str(client.base_url), "")).json()
    assert second["numberReturned"] == 5
    assert not {f["id"] for f in first["features"]} & {f["id"] for f in second["features"]}


async def _collect(stream) -> list[bytes]:
    return [chunk async for chunk in stream]


def test_the_envelope_is_closed_only_after_every_feature():

    async def batches():
        yield ['{"type":"Feature","id":1}', '{"type":"Feature","id":2}']
        yield []
        yield ['{"type":"Feature","id":3}']

    body = b"".join(asyncio.run(_collect(feature_collection(batches(), lambda n: {"n": n}))))
    doc = json.loads(body)
    assert [f["id"] for f in doc["features"]] == [1, 2, 3] and doc["n"] == 3
    empty = b"".join(asyncio.run(_collect(feature_collection(_none(), lambda n: {}))))
    assert json.loads(empty) == {"type": "FeatureCollection", "features": []}


async def _none():
    return
    yield  # an async generator with no batches


def test_a_fault_after_the_first_byte_never_closes_the_envelope():
    """The error propagates (the server then aborts the response): no closing bracket, so no
    client can take the cut-off body for a complete FeatureCollection."""

    sent: list[bytes] = []

    async def failing():
        yield ['{"type":"Feature","id":1}']
        raise ConnectionError("the database went away")

    async def run():
        async for chunk in feature_collection(failing(), lambda n: {"numberReturned": n}):
            sent.append(chunk)

    with pytest.raises(ConnectionError):
        asyncio.run(run())
    body = b"".join(sent)
    assert body.startswith(b'{"type":"FeatureCollection"') and b"numberReturned" not in body
    with pytest.raises(ValueError):
        json.loads(body)
