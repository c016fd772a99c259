"""The field map (issue 13): orientation, what applies here, and the map tools, at desktop
size (1440×900) in Debian's Chromium against the live server."""

from __future__ import annotations

import re

import pyproj
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import _recording_page, api, click_lonlat, open_map
from tests.browser.test_map import RENDERED, _grade1_point_with_company, _inside


@pytest.fixture
def desk(browser: Browser, request):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    yield from _recording_page(ctx, request)
    ctx.close()


def _rendered_layer(page: Page, layer: str) -> int:
    return page.evaluate("(l) => window.rmMap.queryRenderedFeatures({layers: [l]}).length", layer)


def _settle(page: Page) -> None:
    page.wait_for_function(
        "window.rmMap.loaded() && window.rmMap.areTilesLoaded() && !window.rmMap.isMoving()"
    )


def test_reference_layer_draws_chinese_labels_without_a_glyph_server(desk: Page, live_server):
    requests: list[str] = []
    desk.on("request", lambda r: requests.append(r.url))
    open_map(desk, live_server)
    desk.evaluate("window.rmMap.jumpTo({center: [87.25, 44.1], zoom: 9.5})")
    _settle(desk)
    # placed symbols only: a label that could not be drawn is not returned
    towns = desk.evaluate(
        "window.rmMap.queryRenderedFeatures({layers: ['ref-town-label']})"
        ".map((f) => f.properties.name)"
    )
    assert "榆树沟镇" in towns or "三工镇" in towns, towns
    assert _rendered_layer(desk, "ref-county-label") >= 1
    assert desk.evaluate("window.rmMap.getStyle().glyphs") is None
    assert all(
        u.split(":", 1)[0] in ("data", "blob") or u.startswith(live_server) for u in requests
    ), [u for u in requests if not u.startswith(live_server)]
    # English labels: pinyin from the same layer
    desk.click("#btn-lang")
    _settle(desk)
    names = desk.evaluate(
        "window.rmMap.queryRenderedFeatures({layers: ['ref-town-label']})"
        ".map((f) => f.properties.name_en)"
    )
    assert names and all(re.fullmatch(r"[A-Za-z]+", n) for n in names), names
    assert desk.console_log.errors() == []


def test_coordinates_are_shown_in_cgcs2000_and_gauss_kruger(desk: Page, live_server):
    open_map(desk, live_server)
    box = desk.locator("#map").bounding_box()
    x, y = box["x"] + 700, box["y"] + 400
    desk.mouse.move(x, y)
    ll = desk.evaluate("([x, y]) => window.rmMap.unproject([x, y])", [700, 400])
    zone = round(ll["lng"] / 3)
    epsg = 4513 + zone - 25  # CGCS2000 / 3-degree Gauss-Kruger zone 25 is EPSG:4513
    east, north = pyproj.Transformer.from_crs(4490, epsg, always_xy=True).transform(
        ll["lng"], ll["lat"]
    )
    text_ = desk.inner_text("#coords")
    assert f"GK 3° {zone} ({3 * zone}°E)" in text_
    m = re.search(r"X (\d+\.\d) Y (\d+\.\d)", text_)
    assert m, text_
    assert abs(float(m.group(1)) - north) < 0.2 and abs(float(m.group(2)) - east) < 0.2
    assert f"{ll['lat']:.6f}°N" in text_


def _search(page: Page, q: str) -> None:
    page.fill("#search-q", q)
    page.click("#search button[type=submit]")
    page.locator("#results h2").wait_for()
    page.wait_for_function("!document.querySelector('#results').textContent.includes('…')")


def test_search_finds_towns_partial_names_lower_case_codes_and_coordinates(desk: Page, live_server):
    open_map(desk, live_server)
    _search(desk, "榆树沟镇")
    expect(desk.locator(".result-item[data-kind=place]", has_text="榆树沟镇")).to_be_visible()
    # features in that town too (their `town` attribute)
    pits = api(live_server, "/collections/mining_pits/items", town="榆树沟镇", limit=1)
    if pits["features"]:
        code = pits["features"][0]["properties"]["code"]
        expect(desk.locator(".result-item[data-kind=feature]", has_text=code)).to_be_visible()

    _search(desk, "玛纳斯")  # partial: the county and the town
    expect(desk.locator(".result-item[data-kind=place]", has_text="玛纳斯县 ·")).to_be_visible()
    expect(desk.locator(".result-item[data-kind=place]", has_text="玛纳斯镇 ·")).to_be_visible()

    _search(desk, "yushugou")  # pinyin
    expect(desk.locator(".result-item[data-kind=place]", has_text="榆树沟镇")).to_be_visible()

    first = api(live_server, "/collections/mining_pits/items", limit=1)["features"][0]
    code = first["properties"]["code"]
    _search(desk, code.lower()[:-1])  # lower case and partial
    expect(desk.locator(".result-item", has_text=code).first).to_be_visible()

    _search(desk, "44.05, 87.31")
    desk.wait_for_function("!window.rmMap.isMoving()")
    c = desk.evaluate("window.rmMap.getCenter()")
    assert abs(c["lng"] - 87.31) < 1e-4 and abs(c["lat"] - 44.05) < 1e-4

    east, north = pyproj.Transformer.from_crs(4490, 4518, always_xy=True).transform(89.6, 44.02)
    _search(desk, f"X {north:.1f} Y {east:.1f}")  # Gauss-Krüger zone 30 (奇台)
    expect(desk.locator(".result-item[data-kind=coordinate]")).to_contain_text("GK 3° 30")
    desk.wait_for_function("!window.rmMap.isMoving()")
    c = desk.evaluate("window.rmMap.getCenter()")
    assert abs(c["lng"] - 89.6) < 1e-5 and abs(c["lat"] - 44.02) < 1e-5
    assert desk.console_log.errors() == []


def test_popup_lists_every_feature_under_the_tap_with_prohibitions_and_legal_basis(
    desk: Page, live_server
):
    rules = api(live_server, "/rules")["rules"]
    viol = next(
        v
        for v in api(live_server, "/collections/violations/items", limit=100)["features"]
        if v["properties"]["protected_collection"] == "water_source_zones"
        and v["properties"]["severity"] == "critical"
    )
    lon, lat = _inside(viol["geometry"])
    zone = api(
        live_server, f"/collections/water_source_zones/items/{viol['properties']['protected_id']}"
    )
    open_map(desk, live_server)
    click_lonlat(desk, lon, lat, zoom=16)
    box = desk.locator(".popup-list")
    box.wait_for()
    sections = box.locator("section.popup")
    collections = [
        sections.nth(i).get_attribute("data-collection") for i in range(sections.count())
    ]
    # the zone and every violation at that point are listed; violations first
    assert "water_source_zones" in collections
    assert collections[0] == "violations", collections
    assert viol["properties"]["subject_collection"] in collections
    assert collections.count("regions") == 1  # the county, not Xinjiang and the prefecture
    zsec = box.locator(
        f'section.popup[data-collection="water_source_zones"][data-id="{zone["id"]}"]'
    )
    grade1 = [
        r
        for r in rules
        if r["protected_layer"] == "water_source_zones"
        and r["protected_filter"].get("grade") == "1"
        and r["enabled"]
    ]
    assert grade1
    for r in grade1:
        expect(zsec.locator("ul.applies")).to_contain_text(r["name_zh"])
        expect(zsec.locator("ul.applies")).to_contain_text(r["legal_basis_zh"][:30])
    # field names in the interface language, not raw keys
    zsec.locator("summary").click()
    dl = zsec.locator("dl").inner_text()
    assert "保护级别" in dl and "grade" not in dl and "一级" in dl
    assert "share_of_subject" not in box.inner_text()
    # no overlap with the zoom buttons
    pb = desk.locator(".maplibregl-popup").bounding_box()
    nb = desk.locator(".maplibregl-ctrl-group").bounding_box()
    assert not _overlap(pb, nb), (pb, nb)
    assert desk.console_log.errors() == []


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_what_is_here_says_what_is_prohibited_and_why(desk: Page, live_server):
    zone, lon, lat, body = _grade1_point_with_company(live_server)
    rules = {r["id"]: r for r in api(live_server, "/rules")["rules"]}
    open_map(desk, live_server)
    desk.evaluate("([lon, lat]) => window.rmWhatIsHere(lon, lat)", [lon, lat])
    li = desk.locator(f'#results ul.containing > li[data-code="{zone["properties"]["code"]}"]')
    expect(li.locator("ul.applies li").first).to_be_visible()
    for v in body["violations"]:
        expect(desk.locator("#results ul.violations")).to_contain_text(
            rules[v["rule_id"]]["legal_basis_zh"][:30]
        )
    # English: the same, in English
    desk.click("#btn-lang")
    desk.evaluate("([lon, lat]) => window.rmWhatIsHere(lon, lat)", [lon, lat])
    expect(desk.locator("#results ul.containing ul.applies").first).to_contain_text("Legal basis")
    assert "Water Pollution Prevention Law" in desk.inner_text("#results")


def test_measuring_is_geodesic(desk: Page, live_server):
    open_map(desk, live_server)
    desk.evaluate("window.rmMap.jumpTo({center: [87.3, 44.1], zoom: 12})")
    _settle(desk)
    desk.click("#btn-measure")
    box = desk.locator("#map").bounding_box()
    pts = [(500, 300), (900, 320), (880, 650)]
    for x, y in pts:
        desk.mouse.click(box["x"] + x, box["y"] + y)
    lls = [desk.evaluate("([x, y]) => window.rmMap.unproject([x, y])", list(p)) for p in pts]
    geod = pyproj.Geod(ellps="GRS80")
    lons, lats = [p["lng"] for p in lls], [p["lat"] for p in lls]
    dist = geod.line_length(lons, lats)
    area = abs(geod.polygon_area_perimeter(lons, lats)[0])
    out = desk.locator("#measure-out")
    assert abs(float(out.get_attribute("data-distance")) - dist) < 0.05
    assert abs(float(out.get_attribute("data-area")) - area) / area < 1e-4
    expect(out).to_contain_text("亩")
    desk.click("#measure-undo")
    assert out.get_attribute("data-area") == ""
    desk.click("#measure-close")
    expect(desk.locator("#measure-box")).to_be_hidden()


def test_url_restores_position_layers_opacity_and_date(desk: Page, live_server):
    url = "/map#pos=11.50/44.10000/87.30000&hide=wetland_parks&op=mining_pits:0.4&as_of=2020-01-01"
    open_map(desk, live_server, url)
    c = desk.evaluate("window.rmMap.getCenter()")
    assert abs(c["lng"] - 87.3) < 1e-4 and abs(c["lat"] - 44.1) < 1e-4
    assert abs(desk.evaluate("window.rmMap.getZoom()") - 11.5) < 1e-6
    desk.click("#btn-layers")
    expect(desk.locator('input[data-collection="wetland_parks"]')).not_to_be_checked()
    expect(desk.locator('input[data-opacity="mining_pits"]')).to_have_value("0.4")
    assert desk.evaluate(RENDERED, "wetland_parks") == 0
    # as of 2020 the ledger had no pits yet (the sample was loaded now): none drawn
    expect(desk.locator("#as-of-badge")).to_contain_text("2020-01-01")
    expect(desk.locator("#as-of")).to_have_value("2020-01-01")
    _settle(desk)
    assert desk.evaluate(RENDERED, "mining_pits") == 0
    assert desk.evaluate(RENDERED, "regions") > 0  # no history: shown as it is
    # back to today: the pits return; the URL follows every change
    desk.click("#as-of-clear")
    _settle(desk)
    assert desk.evaluate(RENDERED, "mining_pits") > 0
    desk.check('input[data-collection="wetland_parks"]')
    desk.evaluate("window.rmMap.jumpTo({center: [89.6, 44.0], zoom: 10})")
    desk.wait_for_function("location.hash.includes('pos=10.00/44.00000/89.60000')")
    h = desk.evaluate("location.hash")
    assert "as_of" not in h and "wetland_parks" not in h and "mining_pits:0.4" in h


def test_opacity_slider_changes_the_layer(desk: Page, live_server):
    open_map(desk, live_server)
    desk.click("#btn-layers")
    desk.locator('input[data-opacity="water_source_zones"]').fill("0.5")
    op = desk.evaluate("window.rmMap.getPaintProperty('water_source_zones-fill', 'fill-opacity')")
    base = api(live_server, "/styles/default.json")["layers"]
    orig = next(x for x in base if x["id"] == "water_source_zones-fill")["paint"]["fill-opacity"]
    assert op == pytest.approx(orig * 0.5)
