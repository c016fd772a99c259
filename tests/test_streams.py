"""Streams that can fail, fail before the first byte: bad cursor values are 400s, never a
200 whose body is cut off (issue 11, item 4)."""

from __future__ import annotations

import pytest

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
