"""Real offline: the service worker and an offline area package. The package of a county is
downloaded, the browser goes offline, /map is reloaded, and the map draws that county from
what was stored; the server's access log proves that nothing reached it meanwhile."""

from __future__ import annotations

import os
import time
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, _recording_page, api, open_map
from tests.browser.test_map import RENDERED

COUNTY = "652301"  # 昌吉市


def _pit_in(base: str, county: str) -> tuple[float, float]:
    pits = api(base, "/collections/mining_pits/items", region_code=county, limit=1)["features"]
    ring = pits[0]["geometry"]["coordinates"][0][0]
    return (
        sum(p[0] for p in ring) / len(ring),
        sum(p[1] for p in ring) / len(ring),
    )


def _served(log: Path) -> list[str]:
    """Requests in the access log, less the browser's own update check of the service
    worker (Chromium makes it outside the page's emulated network conditions)."""
    return [line for line in log.read_text().splitlines() if "/sw.js" not in line]


def _settled(log: Path) -> list[str]:
    """The log once it has stopped growing: a request's line is written after its last byte,
    so a request that just returned (the test's own) may still be on its way."""
    lines, deadline = _served(log), time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if (now := _served(log)) == lines:
            return lines
        lines = now
    return lines


def test_offline_area_package_then_reload_with_no_network(browser: Browser, live_server, request):
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        service_workers="allow",
    )
    pages = _recording_page(ctx, request)
    page = next(pages)
    open_map(page, live_server)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.locator("#btn-offline").tap()
    page.select_option("#off-area", COUNTY)
    page.locator("#off-size-btn").tap()
    expect(page.locator("#off-size")).to_contain_text("z8–")
    expect(page.locator("#off-download")).to_be_enabled()
    page.locator("#off-download").tap()
    page.wait_for_selector(f'#off-state[data-done="{COUNTY}"]', timeout=240_000)
    assert page.evaluate("document.getElementById('off-progress').value") == page.evaluate(
        "document.getElementById('off-progress').max"
    )
    pkg = page.evaluate("JSON.parse(localStorage.getItem('rm.packages'))")
    assert [p["id"] for p in pkg] == [COUNTY]
    assert (pkg[0]["failed"], pkg[0]["tiles"] > 0, pkg[0]["bytes"] > 0) == (0, True, True), pkg
    assert pkg[0]["versions"]["mining_pits"] >= 1
    expect(page.locator(f'#off-list li[data-package="{COUNTY}"]')).to_be_visible()

    lon, lat = _pit_in(live_server, COUNTY)
    log = Path(os.environ["RM_LIVE_SERVER_LOG"])
    before = _settled(log)
    ctx.set_offline(True)
    page.reload()
    page.wait_for_function("window.rmReady === true")
    page.evaluate("([lon, lat]) => window.rmMap.jumpTo({center: [lon, lat], zoom: 13})", [lon, lat])
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    assert page.evaluate(RENDERED, "mining_pits") > 0
    expect(page.locator("#offline-notice")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map_offline_phone.png"))
    # the reference layer (outlines, towns and their labels) came from the package too
    page.evaluate("([lon, lat]) => window.rmMap.jumpTo({center: [lon, lat], zoom: 10})", [lon, lat])
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    labels = page.evaluate(
        "window.rmMap.queryRenderedFeatures({layers: ['ref-town-label']}).map(f => f.properties.name)"
    )
    assert labels, "no town label offline"
    assert page.evaluate(RENDERED, "mining_pits") > 0
    # outside the package: one clear notice, empty tiles instead of errors
    page.evaluate("window.rmMap.jumpTo({center: [89.6, 44.0], zoom: 12})")
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    expect(page.locator("#offline-notice")).to_be_visible()
    expect(page.locator("#offline-notice")).to_contain_text("不在已下载区域")
    page.screenshot(path=str(ARTIFACTS / "map_offline_outside.png"))
    assert _served(log) == before, "a request reached the server while offline"
    assert page.console_log.errors() == []
    ctx.set_offline(False)
    next(pages, None)  # its last screenshot
    ctx.close()
