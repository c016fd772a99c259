"""The OGC API HTML pages (issue 13, item 10): both languages, field titles instead of raw
names, a small map of the items, no sideways scrolling on a phone, and a favicon."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, api
from tests.browser.layout import assert_no_overlap

PAGES = [
    "/?f=html",
    "/conformance?f=html",
    "/collections?f=html",
    "/collections/mining_pits?f=html",
    "/collections/mining_pits/queryables?f=html",
    "/collections/mining_pits/items?f=html&limit=20",
]


def _item_page(base: str) -> str:
    pit = api(base, "/collections/mining_pits/items", limit=1)["features"][0]
    return f"/collections/mining_pits/items/{pit['id']}?f=html"


def test_favicon(live_server):
    ico = httpx.get(live_server + "/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    svg = httpx.get(live_server + "/favicon.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")


def test_items_page_has_titles_a_map_and_both_languages(page: Page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(live_server + "/collections/mining_pits/items?f=html&limit=20")
    page.wait_for_function("window.rmOgcReady === true")
    header = page.locator("table.items tr").first
    expect(header).to_contain_text("编号")  # the code field's Chinese title
    expect(header.locator(".l-en").first).to_be_hidden()
    drawn = page.evaluate(
        "() => window.rmOgcMap.queryRenderedFeatures({layers: ['fill', 'line', 'point']}).length"
    )
    assert drawn > 0
    page.click("#ogc-lang")
    expect(header).to_contain_text("Code")
    expect(header.locator(".l-zh").first).to_be_hidden()
    assert page.evaluate("localStorage.getItem('rm.lang')") == "en"
    page.screenshot(path=str(ARTIFACTS / "ogc_items_desktop_en.png"))
    # the item page shows titles with the raw name beside them, and its own shape
    page.goto(live_server + _item_page(live_server))
    page.wait_for_function("window.rmOgcReady === true")
    expect(page.locator(".props")).to_contain_text("Code")
    assert page.evaluate(
        "() => window.rmOgcMap.queryRenderedFeatures({layers: ['fill', 'line']}).length"
    )
    assert page.console_log.errors() == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_fits_a_phone(phone_page: Page, live_server, lang):
    page = phone_page
    page.add_init_script(f"localStorage.setItem('rm.lang', '{lang}')")
    for path in [*PAGES, _item_page(live_server)]:
        page.goto(live_server + path)
        if page.locator("#ogc-map").count():
            page.wait_for_function("window.rmOgcReady === true")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        hidden = ".l-en" if lang == "zh" else ".l-zh"
        assert (
            page.locator(f"h1 {hidden}").count() == 0
            or not page.locator(f"h1 {hidden}").first.is_visible()
        ), path
        assert_no_overlap(page, ".ogc-bar > a, .ogc-bar nav > *")
        assert_no_overlap(page, "main > *")
        nav = page.locator(".ogc-bar nav a, .ogc-bar .lang")
        for i in range(nav.count()):
            assert nav.nth(i).bounding_box()["height"] >= 44, path
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ogc_item_phone_{lang}.png"), full_page=True)
    assert page.console_log.errors() == []
