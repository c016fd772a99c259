"""Sample data says so where a person looks: the notice is visible on /map, /dashboard and
an HTML items page at phone size, and covers none of the map's controls."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import open_map


def _box(page: Page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not laid out"
    return box


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _visible_notice(page: Page) -> dict:
    notice = page.locator("#sample-notice")
    assert notice.is_visible()
    assert "样例数据" in notice.inner_text() and "sample" in notice.inner_text().lower()
    box = _box(page, "#sample-notice")
    viewport = page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    return box


def test_notice_on_the_map_at_phone_size_covers_no_control(phone_page: Page, live_server):
    open_map(phone_page, live_server)
    notice = _visible_notice(phone_page)
    for control in (
        ".maplibregl-ctrl-zoom-in",
        ".maplibregl-ctrl-zoom-out",
        ".maplibregl-ctrl-scale",
        "#btn-locate",
        "#btn-here",
        "header.bar nav",
        "#search",
        "#map",  # the notice is a line of the header: nothing of the map is covered
    ):
        assert not _overlap(notice, _box(phone_page, control)), control


def test_notice_on_the_dashboard_at_phone_size(phone_page: Page, live_server):
    phone_page.goto(f"{live_server}/dashboard")
    _visible_notice(phone_page)


def test_notice_on_an_html_items_page_at_phone_size(phone_page: Page, live_server):
    phone_page.goto(f"{live_server}/collections/mining_pits/items?f=html")
    _visible_notice(phone_page)
