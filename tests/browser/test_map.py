"""The map page in a real browser against the live server."""

from __future__ import annotations

from playwright.sync_api import Page

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
