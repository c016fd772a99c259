"""Collection extents are computed once per data version (geo/catalog/extent.py), shared by
collection metadata and TileJSON, and follow every write whatever path made it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo.kernel.db import set_write_context

TILEJSON = "/collections/mining_pits/tiles/WebMercatorQuad/tilejson.json"


def _bounds(client) -> tuple[list[float], list[float]]:
    tj = client.get(TILEJSON)
    meta = client.get("/collections/mining_pits")
    assert tj.status_code == 200 and meta.status_code == 200
    return tj.json()["bounds"], meta.json()["extent"]["spatial"]["bbox"][0]


def test_extent_is_cached_per_data_version(write_client, write_engine):
    cache = write_client.app.state.extent_cache
    before_tj, before_meta = _bounds(write_client)
    assert before_tj == pytest.approx(before_meta)
    computed = cache.computed
    for _ in range(3):
        assert _bounds(write_client) == (before_tj, before_meta)
    assert cache.computed == computed  # no ST_Extent while the data did not change

    with write_engine.begin() as conn:  # a write outside the API: triggers bump the version
        set_write_context(conn, "test")
        moved = conn.execute(
            text(
                "UPDATE features SET geom = ST_Translate(geom, -2, 0) WHERE id = "
                "(SELECT id FROM features WHERE layer = 'mining_pits' "
                " ORDER BY ST_XMin(geom) LIMIT 1) RETURNING ST_XMin(geom)"
            )
        ).scalar_one()
    after_tj, after_meta = _bounds(write_client)
    assert cache.computed == computed + 1
    assert after_tj == pytest.approx(after_meta)
    assert after_tj[0] == pytest.approx(moved, abs=1e-5)
    assert after_tj[0] < before_tj[0] - 1.5
