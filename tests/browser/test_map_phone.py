"""Phone-first layout (issue 13): at 390×844 and 360×640 with touch, in Chinese and English,
nothing covers the map's controls, every control is a finger's size, and a bottom sheet
never hides what it is about (the tapped feature, the drawn site). Boxes are measured."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, _recording_page, api, open_map
from tests.browser.test_map import _inside

SIZES = [(390, 844), (360, 640)]
CONTROLS = [
    ".maplibregl-ctrl-zoom-in",
    ".maplibregl-ctrl-zoom-out",
    "#btn-locate",
    "#btn-here",
    "#btn-measure",
]


@pytest.fixture(params=[(w, h, lang) for w, h in SIZES for lang in ("zh", "en")], ids=str)
def phone(browser: Browser, request):
    w, h, lang = request.param
    ctx = browser.new_context(
        viewport={"width": w, "height": h},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        permissions=["geolocation"],
    )
    ctx.add_init_script(f"localStorage.setItem('rm.lang', '{lang}')")
    pages = _recording_page(ctx, request)
    page = next(pages)
    page.size = (w, h)  # type: ignore[attr-defined]
    yield page
    next(pages, None)
    ctx.close()


def _box(page: Page, sel: str) -> dict:
    b = page.locator(sel).first.bounding_box()
    assert b is not None, f"{sel} is not displayed"
    return b


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"] + 0.5
        or b["x"] + b["width"] <= a["x"] + 0.5
        or a["y"] + a["height"] <= b["y"] + 0.5
        or b["y"] + b["height"] <= a["y"] + 0.5
    )


def _usable(page: Page, sel: str) -> dict:
    """On screen, at least 44×44 CSS px, and the topmost element at its centre."""
    w, h = page.size  # type: ignore[attr-defined]
    b = _box(page, sel)
    assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= w + 0.5, (sel, b)
    assert b["y"] + b["height"] <= h + 0.5, (sel, b)
    assert b["width"] >= 44 and b["height"] >= 44, (sel, b)
    cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
    top = page.evaluate(
        "([x, y, s]) => { const e = document.elementFromPoint(x, y); return !!e && !!e.closest(s); }",
        [cx, cy, sel],
    )
    assert top, f"{sel} is covered"
    return b


def _assert_controls_free(page: Page, also: list[str] = ()) -> None:
    boxes = {s: _usable(page, s) for s in CONTROLS}
    bar = _box(page, ".bar")
    mapbox = _box(page, "#map")
    assert mapbox["y"] >= bar["y"] + bar["height"] - 0.5, "the map starts under the header"
    for a, b in itertools.combinations(boxes, 2):
        assert not _overlap(boxes[a], boxes[b]), (a, b)
    for s in ("#coords", ".map-notes > :not([hidden])", *also):
        if page.locator(s).count() and page.locator(s).first.is_visible():
            other = _box(page, s)
            for c, cb in boxes.items():
                assert not _overlap(other, cb), (s, c, other, cb)
            assert not _overlap(other, bar) or s == ".bar", (s, "header")


def test_phone_controls_header_and_notices_never_overlap(phone: Page, live_server):
    page = phone
    open_map(page, live_server)
    page.wait_for_function(
        "!document.querySelector('.maplibregl-ctrl-attrib.maplibregl-compact-show')"
    )
    for sel in ("#btn-layers", "#btn-site", "#btn-inspect", "#btn-offline", "#search-q"):
        b = _box(page, sel)
        assert b["height"] >= 44 and b["width"] >= 44, (sel, b)
    _assert_controls_free(page)
    # offline with no package: the notice sits between header and controls, covering neither
    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    expect(page.locator("#offline-notice")).to_be_visible()
    _assert_controls_free(page, ["#offline-notice"])
    for sel in ("#btn-layers", "#btn-site"):
        assert not _overlap(_box(page, "#offline-notice"), _box(page, sel))
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    # measuring: its box is under the header, clear of the controls
    page.locator("#btn-measure").tap()
    _assert_controls_free(page, ["#measure-box"])
    _usable(page, "#measure-undo")
    _usable(page, "#measure-close")
    assert page.console_log.errors() == []


def test_phone_tap_opens_a_sheet_that_keeps_the_feature_in_view(phone: Page, live_server):
    page = phone
    viol = api(live_server, "/collections/violations/items", limit=1)["features"][0]
    lon, lat = _inside(viol["geometry"])
    open_map(page, live_server)
    page.evaluate("([lon, lat]) => window.rmMap.jumpTo({center: [lon, lat], zoom: 15})", [lon, lat])
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    box = _box(page, "#map")
    xy = page.evaluate("([lon, lat]) => window.rmMap.project([lon, lat])", [lon, lat])
    page.touchscreen.tap(box["x"] + xy["x"], box["y"] + xy["y"])
    sheet = page.locator("#panel-results")
    sec = sheet.locator(f'section.popup[data-collection="violations"][data-id="{viol["id"]}"]')
    expect(sec).to_be_visible()
    page.wait_for_function("!window.rmMap.isMoving()")
    sb = _box(page, "#panel-results")
    w, h = page.size  # type: ignore[attr-defined]
    assert sb["y"] >= h * 0.5 - 1, "the sheet takes at most half the screen"
    # the sheet's own title and close button are visible and usable
    title = _box(page, f'#panel-results section.popup[data-id="{viol["id"]}"] h3')
    assert title["y"] >= sb["y"] and title["y"] + title["height"] <= h
    _usable(page, "#panel-results .close")
    assert not _overlap(_box(page, "#panel-results .close"), title)
    # the tapped place is in the map above the sheet, below the header
    xy = page.evaluate("([lon, lat]) => window.rmMap.project([lon, lat])", [lon, lat])
    y = box["y"] + xy["y"]
    assert _box(page, "#map")["y"] < y < sb["y"], (y, sb)
    # every map control stays usable, above the sheet
    _assert_controls_free(page)
    for c in CONTROLS:
        assert not _overlap(_box(page, c), sb), c
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    assert page.evaluate(
        "([x, y]) => window.rmMap.queryRenderedFeatures([x, y]).length", [xy["x"], xy["y"]]
    ), "the tapped feature is drawn where it was tapped"
    page.screenshot(path=str(ARTIFACTS / f"map_phone_popup_{w}x{h}.png"))
    assert page.console_log.errors() == []


def test_phone_site_check_sheet_keeps_the_site_in_view_and_lists_rows(phone: Page, live_server):
    page = phone
    zones = api(live_server, "/collections/wetland_parks/items", limit=10)["features"]
    from shapely.geometry import shape

    g = shape(zones[0]["geometry"])
    cx, cy = g.representative_point().coords[0]
    d = 0.005
    site = [(cx - d, cy - d), (cx + d, cy - d), (cx + d, cy + d), (cx - d, cy + d)]
    open_map(page, live_server)
    page.locator("#btn-site").tap()
    # drawn in the upper left of the free map: the round buttons sit at its lower right
    page.evaluate(
        "([lon, lat]) => window.rmMap.easeTo({center: [lon, lat], zoom: 13, offset: [-70, 0],"
        " duration: 0})",
        [cx, cy],
    )
    page.wait_for_function("window.rmMap.loaded() && !window.rmMap.isMoving()")
    page.locator("#site-draw").tap()
    mb = _box(page, "#map")
    for lon, lat in site:
        xy = page.evaluate("([lon, lat]) => window.rmMap.project([lon, lat])", [lon, lat])
        x, y = mb["x"] + xy["x"], mb["y"] + xy["y"]
        # the vertex is tapped on the map itself, not on a button floating over it
        assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).tagName", [x, y]) == (
            "CANVAS"
        ), (lon, lat, x, y)
        page.touchscreen.tap(x, y)
    page.locator("#site-finish").tap()
    expect(page.locator("#site-verdict")).to_be_visible()
    page.wait_for_function("!window.rmMap.isMoving()")
    sb = _box(page, "#panel-site")
    w, h = page.size  # type: ignore[attr-defined]
    assert sb["y"] >= h * 0.5 - 1
    for lon, lat in site:  # the whole drawn site is in the map above the sheet
        xy = page.evaluate("([lon, lat]) => window.rmMap.project([lon, lat])", [lon, lat])
        assert 0 <= xy["x"] <= w and mb["y"] < mb["y"] + xy["y"] < sb["y"], (lon, lat, xy)
    # the result table is a list of cards: no cell is squeezed to a character per line
    cells = page.locator("#site-table td")
    for i in range(min(cells.count(), 7)):
        assert cells.nth(i).bounding_box()["width"] > w * 0.6
    _assert_controls_free(page)
    page.screenshot(path=str(ARTIFACTS / f"map_phone_site_{w}x{h}.png"))
