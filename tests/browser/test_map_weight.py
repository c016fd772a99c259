"""The map's weight (issue 13, item 9): one combined tile request per tile position, tiles
kept by the browser (immutable under the data version), so a reload asks the server for no
tile again; compressed responses; at desktop and phone sizes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import open_map

DATASET = re.compile(r"/tiles/WebMercatorQuad/\d+/\d+/\d+\?v=[0-9a-f]+$")


def _server_tile_hits() -> int:
    log = Path(os.environ["RM_LIVE_SERVER_LOG"]).read_text(errors="replace")
    # one request-log line per request (app.observability; the path without its query)
    return len(re.findall(r"GET /tiles/WebMercatorQuad/\d+/\d+/\d+ 200 ", log))


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_one_tile_request_per_position_and_none_on_reload(browser, live_server, request, size):
    phone = size[0] < 500
    ctx = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
    )
    page: Page = ctx.new_page()
    tiles, per_layer, encodings, caching = [], [], {}, set()

    def seen(resp):
        url = resp.url
        if "/collections/" in url and "/tiles/" in url:
            per_layer.append(url)
        if DATASET.search(url):
            tiles.append(url)
            caching.add(resp.headers.get("cache-control"))
        if url.endswith(".js") or ".js?" in url:
            encodings[url] = resp.headers.get("content-encoding")

    page.on("response", seen)
    try:
        open_map(page, live_server)
        assert tiles, "the map drew from the dataset tiles"
        assert per_layer == []  # no per-collection tile requests
        assert len(tiles) == len(set(tiles))  # one request per tile position
        assert caching == {"public, max-age=31536000, immutable"}
        maplibre = next(u for u in encodings if "maplibre-gl.js" in u)
        assert encodings[maplibre] in ("br", "gzip")
        hits = _server_tile_hits()
        assert hits >= len(tiles)  # the log sees tile requests (this one and earlier tests')
        page.reload()
        page.wait_for_function("window.rmReady === true")
        page.wait_for_function("window.rmMap.areTilesLoaded() && window.rmMap.loaded()")
        # the same view again: every tile from the browser's cache, none from the server
        assert _server_tile_hits() == hits
    finally:
        page.screenshot(
            path=str(Path(__file__).parent.parent / "artifacts" / f"{request.node.name}.png")
        )
        ctx.close()
