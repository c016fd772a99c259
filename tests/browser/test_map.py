"""The map page in a real browser against the live server."""

from __future__ import annotations

from playwright.sync_api import Page
from sqlalchemy import text

from tests.browser.conftest import open_map

LAYERS = ["water_source_zones", "mining_pits", "grassland_occupations", "wetland_parks", "regions"]

RENDERED = """(coll) => {
  const m = window.rmMap;
  const ids = m.getStyle().layers.filter((l) => l.metadata && l.metadata['rm:collection'] === coll)
    .map((l) => l.id);
  return m.queryRenderedFeatures({layers: ids}).length;
}"""


def test_map_loads_every_layer_without_errors(page: Page, live_server):
    open_map(page, live_server)
    for layer in LAYERS:
        assert page.evaluate(RENDERED, layer) > 0, layer
    assert page.console_log.errors() == []
    # every layer is listed in the layer panel with a legend
    page.click("#btn-layers")
    for layer in LAYERS:
        assert page.locator(f'input[data-collection="{layer}"]').is_checked()


def test_toggling_a_layer_hides_it(page: Page, live_server):
    open_map(page, live_server)
    assert page.evaluate(RENDERED, "water_source_zones") > 0
    page.click("#btn-layers")
    page.uncheck('input[data-collection="water_source_zones"]')
    page.wait_for_function("window.rmMap.loaded()")
    assert page.evaluate(RENDERED, "water_source_zones") == 0
    assert page.evaluate(RENDERED, "mining_pits") > 0
    page.check('input[data-collection="water_source_zones"]')
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    assert page.evaluate(RENDERED, "water_source_zones") > 0


def _pit(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT id, code, ST_X(p), ST_Y(p) FROM (SELECT id, code, ST_PointOnSurface(geom) p"
                " FROM features WHERE layer = 'mining_pits' ORDER BY area_m2 DESC LIMIT 1) s"
            )
        ).one()


def _click_lonlat(page: Page, lon: float, lat: float, zoom: int = 15) -> None:
    page.evaluate(
        "([lon, lat, z]) => window.rmMap.jumpTo({center: [lon, lat], zoom: z})", [lon, lat, zoom]
    )
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    box = page.locator("#map").bounding_box()
    xy = page.evaluate("([lon, lat]) => window.rmMap.project([lon, lat])", [lon, lat])
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])


def test_clicking_a_feature_opens_its_popup(page: Page, live_server, engine):
    fid, code, lon, lat = _pit(engine)
    open_map(page, live_server)
    _click_lonlat(page, lon, lat)
    popup = page.locator(f'.popup[data-collection="mining_pits"][data-id="{fid}"]')
    popup.wait_for()
    assert code in popup.inner_text()
    # restoration and tasks come from the progress stream; their absence is shown, not an error
    popup.locator("h4").nth(1).wait_for()
    assert [m for m in page.console_log.errors() if "pageerror" in m] == []


def test_search_by_code_finds_the_feature(page: Page, live_server, engine):
    fid, code, lon, lat = _pit(engine)
    open_map(page, live_server)
    page.fill("#search-q", code)
    page.click("#search button[type=submit]")
    page.locator(".result-item", has_text=code).wait_for()
    page.wait_for_function("window.rmMap.getZoom() > 12")


def test_search_by_place_name_finds_the_county(page: Page, live_server):
    open_map(page, live_server)
    page.fill("#search-q", "玛纳斯县")
    page.click("#search button[type=submit]")
    page.locator(".result-item", has_text="652324").wait_for()


def test_language_toggle(page: Page, live_server):
    open_map(page, live_server)
    assert page.inner_text("#btn-site") == "选址审查"
    page.click("#btn-lang")
    assert page.inner_text("#btn-site") == "Site check"
    page.reload()
    page.wait_for_function("window.rmReady === true")
    assert page.inner_text("#btn-site") == "Site check"
