"""Site check (选址符合性审查) from the map: a corridor drawn, then uploaded as KML, across the
Manas River national wetland park; the page shows the verdict, the table and the overlaps
exactly as POST /checks/site answers them."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Page, expect
from shapely.geometry import box, shape

from tests.browser.conftest import api, click_map, open_map

PARK = "玛纳斯河国家湿地公园"
OVERLAPS_RENDERED = (
    "() => window.rmMap.queryRenderedFeatures({layers: ['site-overlaps-fill']}).length"
)


def _corridor(base: str) -> tuple[list[float], list[str]]:
    """A west-east corridor across the park's conservation and sustainable-use zones (not
    the restoration zone), from the zones' own geometry; returns its bounds and the codes
    of the zones it crosses."""
    zones = {
        f["properties"]["functional_zone"]: f
        for f in api(base, "/collections/wetland_parks/items", limit=100)["features"]
        if f["properties"].get("park_name") == PARK
    }
    cons, use = (
        shape(zones["conservation"]["geometry"]),
        shape(zones["sustainable_use"]["geometry"]),
    )
    rest = shape(zones["restoration"]["geometry"])
    both = cons.union(use)
    # a band of latitude 0.02° where both zones lie and the restoration zone does not
    south = max(cons.bounds[1], use.bounds[1], rest.bounds[3]) + 0.01
    north = min(cons.bounds[3], use.bounds[3])
    assert north - south > 0.03, (south, north)
    lat = (south + north) / 2
    west, east = both.bounds[0] - 0.03, both.bounds[2] + 0.03
    corridor = box(west, lat - 0.01, east, lat + 0.01)
    crossed = [z for z in zones.values() if shape(z["geometry"]).intersects(corridor)]
    codes = sorted(z["properties"]["code"] for z in crossed)
    assert {z["properties"]["functional_zone"] for z in crossed} == {
        "conservation",
        "sustainable_use",
    }
    return [west, lat - 0.01, east, lat + 0.01], codes


def _show(page: Page, bounds: list[float]) -> None:
    """Frames the corridor in the part of the map the site panel does not cover."""
    panel = page.locator("#panel-site").bounding_box()
    page.evaluate(
        "([b, left]) => window.rmMap.fitBounds([[b[0], b[1]], [b[2], b[3]]],"
        " {padding: {left: left, right: 40, top: 120, bottom: 120}, animate: false})",
        [bounds, panel["x"] + panel["width"] + 30],
    )
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")


def _api_answer(base: str, body: str) -> dict:
    r = httpx.post(
        base + "/checks/site", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 200, r.text
    return r.json()


def _assert_result(page: Page, expected: dict, codes: list[str]) -> None:
    assert expected["verdict"] == "must_avoid"
    verdict = page.locator("#site-verdict")
    expect(verdict).to_have_class("verdict must_avoid")
    expect(verdict).to_have_text("须避让")
    rows = page.locator("#site-table tbody tr")
    conflicts = [c for layer in expected["layers"] for c in layer["conflicts"]]
    assert sorted(c["code"] for c in conflicts) == codes
    expect(rows).to_have_count(len(conflicts))
    for c in conflicts:
        row = rows.filter(has_text=c["code"])
        expect(row).to_have_count(1)
        cells = row.locator("td")
        expect(cells.nth(3)).to_have_text(f"{c['overlap_ha']:.3f}")
        expect(cells.nth(4)).to_have_text(f"{c['overlap_mu']:.1f}")
        assert c["overlap_ha"] > 0
    for rule in expected["rules"]:
        # The page is in Chinese by default: rule names appear in Chinese.
        expect(page.locator("#site-result")).to_contain_text(rule["name_zh"] or rule["name"])
    page.wait_for_function(f"({OVERLAPS_RENDERED})() > 0")
    assert page.evaluate(OVERLAPS_RENDERED) > 0


def test_drawn_site_across_the_wetland_park_must_avoid(page: Page, live_server):
    bounds, codes = _corridor(live_server)
    west, south, east, north = bounds
    open_map(page, live_server)
    page.click("#btn-site")
    _show(page, bounds)
    page.click("#site-draw")
    for lon, lat in [(west, south), (east, south), (east, north), (west, north)]:
        click_map(page, lon, lat)
    expect(page.locator("#site-finish")).to_be_enabled()
    with page.expect_request(lambda r: "/checks/site" in r.url and r.method == "POST") as req:
        page.click("#site-finish")
    sent = req.value.post_data
    drawn = shape(json.loads(sent))
    assert drawn.is_valid and len(drawn.exterior.coords) == 5
    # The drawn polygon is the corridor to within a screen pixel or two.
    assert drawn.symmetric_difference(box(*bounds)).area < 0.05 * box(*bounds).area
    _assert_result(page, _api_answer(live_server, sent), codes)
    assert page.console_log.errors() == []


def _kml(bounds: list[float]) -> str:
    west, south, east, north = bounds
    ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    coords = " ".join(f"{x:.6f},{y:.6f},0" for x, y in ring)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
  <Document>
    <name>拟建项目选址</name>
    <Placemark>
      <name>穿越湿地公园的管线走廊</name>
      <Polygon>
        <outerBoundaryIs>
          <LinearRing>
            <coordinates>{coords}</coordinates>
          </LinearRing>
        </outerBoundaryIs>
      </Polygon>
    </Placemark>
  </Document>
</kml>
"""


def test_uploaded_kml_site_across_the_wetland_park_must_avoid(page: Page, live_server):
    bounds, codes = _corridor(live_server)
    open_map(page, live_server)
    page.click("#btn-site")
    _show(page, bounds)
    kml = _kml(bounds).encode("utf-8")
    with page.expect_request(lambda r: "/checks/site" in r.url and r.method == "POST") as req:
        page.set_input_files(
            "#site-file",
            files=[
                {
                    "name": "corridor.kml",
                    "mimeType": "application/vnd.google-earth.kml+xml",
                    "buffer": kml,
                }
            ],
        )
    sent = req.value.post_data
    # the KML's polygon, as written (6 decimals)
    assert shape(json.loads(sent)).symmetric_difference(box(*bounds)).area < 1e-8
    _assert_result(page, _api_answer(live_server, sent), codes)
    # the uploaded outline is drawn as the draft polygon
    assert page.evaluate(
        "() => window.rmMap.queryRenderedFeatures({layers: ['site-draft-line']}).length"
    )
    assert page.console_log.errors() == []
