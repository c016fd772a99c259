"""The map page in a real browser against the live server."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from shapely.geometry import shape
from sqlalchemy import text

from geo.inspections import VERDICTS
from geo.violations import SEVERITIES
from tests.browser.conftest import api, click_lonlat, open_map

LAYERS = [
    "water_source_zones",
    "mining_pits",
    "grassland_occupations",
    "wetland_parks",
    "regions",
    "violations",
]

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
    click_lonlat(page, lon, lat, zoom)


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
    # the county as a place (from the reference layer) and as a region feature
    page.locator(".result-item[data-kind=place]", has_text="652324").wait_for()
    # (the sample water-source zones of Manas are named after the county too)
    page.locator(".result-item[data-kind=feature]", has_text="652324 玛纳斯县").wait_for()


def test_language_toggle(page: Page, live_server):
    open_map(page, live_server)
    assert page.inner_text("#btn-site") == "选址审查"
    page.click("#btn-lang")
    assert page.inner_text("#btn-site") == "Site check"
    page.reload()
    page.wait_for_function("window.rmReady === true")
    assert page.inner_text("#btn-site") == "Site check"


# --- after the merge: violations, restoration, what is here, a phone ----------------------


def _inside(geometry: dict) -> tuple[float, float]:
    """A point surely inside a GeoJSON (multi)polygon, away from its edges when possible."""
    geom = shape(geometry)
    core = geom.buffer(-0.0003)  # ~30 m in: a click lands inside at zoom 15
    pt = (core if not core.is_empty else geom).representative_point()
    return pt.x, pt.y


def test_clicking_a_violation_opens_its_popup(page: Page, live_server):
    first = api(live_server, "/collections/violations/items", limit=1)["features"][0]
    vid, props = first["id"], first["properties"]
    lon, lat = _inside(first["geometry"])
    open_map(page, live_server)
    _click_lonlat(page, lon, lat)
    popup = page.locator(f'.popup[data-collection="violations"][data-id="{vid}"]')
    expect(popup).to_be_visible()
    text_ = popup.inner_text()
    # the status in the interface language (zh by default)
    zh_status = {"detected": "已发现", "confirmed": "已确认", "rectifying": "整改中"}
    assert zh_status.get(props["status"], props["status"]) in text_
    assert props["name_zh"] in text_ or props["rule_name"] in text_
    assert props["rule_code"] in text_
    # the rule broken with its legal basis, and the tasks section (a list or "none")
    rule = api(live_server, f"/rules/{props['rule_id']}")
    expect(popup.locator("ul.applies")).to_contain_text(rule["legal_basis_zh"][:30])
    expect(popup.locator("h4")).to_have_count(2)
    assert page.console_log.errors() == []


def _pit_with_restoration_and_tasks(base: str) -> tuple[dict, dict, list[dict]]:
    """The largest mining pit with a restoration record and linked tasks, that no violation,
    grassland occupation or wetland zone is drawn over (its click must reach the pit)."""
    records = {
        r["feature_id"]: r for r in api(base, "/restoration", layer="mining_pits")["records"]
    }
    tasks = api(base, "/tasks")["tasks"]
    linked: dict[int, list[dict]] = {}
    for task in tasks:
        for fid in task["feature_ids"]:
            linked.setdefault(fid, []).append(task)
    candidates = sorted(
        (r for fid, r in records.items() if fid in linked),
        key=lambda r: -r["measured_area_ha"],
    )
    for rec in candidates:
        feature = api(base, f"/collections/mining_pits/items/{rec['feature_id']}")
        lon, lat = _inside(feature["geometry"])
        here = api(base, "/checks/point", lon=lon, lat=lat, radius_m=1)
        above = {c["collection"] for c in here["containing"]} & {
            "grassland_occupations",
            "wetland_parks",
        }
        if not above and not here["violations"]:
            return feature, rec, linked[rec["feature_id"]]
    raise AssertionError("the sample data has no clickable pit with restoration and tasks")


def test_pit_popup_shows_restoration_and_linked_tasks(page: Page, live_server):
    feature, rec, tasks = _pit_with_restoration_and_tasks(live_server)
    lon, lat = _inside(feature["geometry"])
    open_map(page, live_server)
    _click_lonlat(page, lon, lat)
    popup = page.locator(f'.popup[data-collection="mining_pits"][data-id="{feature["id"]}"]')
    expect(popup.locator(".restoration")).to_have_attribute("data-status", rec["status"])
    assert popup.locator(".restoration").inner_text().strip() not in ("", "undefined")
    if rec["deadline"]:
        expect(popup.locator(".restoration")).to_contain_text(rec["deadline"])
    items = popup.locator("ul.tasks li")
    expect(items).to_have_count(len(tasks))
    for task in tasks:
        expect(popup.locator("ul.tasks")).to_contain_text(task["code"])
    assert page.console_log.errors() == []


def _grade1_point_with_company(base: str) -> tuple[dict, float, float, dict]:
    """A point inside a grade-1 water-source zone where the point check also finds nearby
    features and open violations (the seeded pits inside grade-1 zones)."""
    zones = api(base, "/collections/water_source_zones/items", grade="1", limit=100)["features"]
    assert zones
    best = None
    for zone in zones:
        lon, lat = _inside(zone["geometry"])
        body = api(base, "/checks/point", lon=lon, lat=lat, radius_m=300)
        score = (bool(body["violations"]) + bool(body["nearby"]), len(body["violations"]))
        if best is None or score > best[0]:
            best = (score, zone, lon, lat, body)
    _, zone, lon, lat, body = best
    assert body["violations"], "no grade-1 zone with an open violation in the sample data"
    return zone, lon, lat, body


def test_right_click_shows_what_is_here(page: Page, live_server):
    zone, lon, lat, body = _grade1_point_with_company(live_server)
    open_map(page, live_server)
    click_lonlat(page, lon, lat, zoom=15, button="right")
    results = page.locator("#results")
    containing = results.locator("ul.containing")
    expect(containing).to_contain_text(zone["properties"]["code"])
    for c in body["containing"]:
        expect(containing).to_contain_text(c["code"])
    for n in body["nearby"]:
        expect(results.locator("ul.nearby")).to_contain_text(n["code"])
    violations = results.locator("ul.violations li")
    expect(violations).to_have_count(len(body["violations"]))
    for v in body["violations"]:
        expect(results.locator("ul.violations")).to_contain_text(f"V-{v['id']}")
    for x in body["tasks"]:
        expect(results.locator("ul.tasks")).to_contain_text(x["code"])
    assert "undefined" not in results.inner_text()
    assert page.console_log.errors() == []


def test_phone_layer_panel_and_locate_button(phone_page: Page, phone_context, live_server):
    """390×844: the layer panel opens as a bottom sheet inside the screen, switches a layer
    off and closes; the locate button is on screen, not covered, and answers what is here."""
    page = phone_page
    zone, lon, lat, body = _grade1_point_with_company(live_server)
    phone_context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 12})
    open_map(page, live_server)
    vw, vh = 390, 844

    def on_screen_and_on_top(selector: str) -> None:
        loc = page.locator(selector)
        expect(loc).to_be_visible()
        b = loc.bounding_box()
        assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= vw, (selector, b)
        assert b["y"] + b["height"] <= vh, (selector, b)
        assert b["width"] >= 44 and b["height"] >= 44, (selector, b)  # a finger's target
        cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        top = page.evaluate(
            "([x, y, sel]) => document.elementFromPoint(x, y)?.closest(sel) !== null",
            [cx, cy, selector],
        )
        assert top, f"{selector} is covered by another element"

    on_screen_and_on_top("#btn-layers")
    page.locator("#btn-layers").tap()
    panel = page.locator("#panel-layers")
    expect(panel).to_be_visible()
    pb = panel.bounding_box()
    assert pb["x"] >= 0 and pb["x"] + pb["width"] <= vw and pb["y"] + pb["height"] <= vh
    toggle = page.locator('input[data-collection="mining_pits"]')
    label = 'label:has(> input[data-collection="mining_pits"])'  # the finger's target
    page.locator(label).scroll_into_view_if_needed()  # the sheet scrolls
    on_screen_and_on_top(label)
    page.locator(label).tap()
    expect(toggle).not_to_be_checked()
    page.wait_for_function("window.rmMap.loaded()")
    assert page.evaluate(RENDERED, "mining_pits") == 0
    page.locator(label).tap()
    expect(toggle).to_be_checked()
    page.locator("#panel-layers .close").tap()
    expect(panel).to_be_hidden()

    on_screen_and_on_top("#btn-locate")
    page.locator("#btn-locate").tap()
    expect(page.locator("#results ul.containing")).to_contain_text(zone["properties"]["code"])
    page.wait_for_function("window.rmMap.getZoom() >= 14 && !window.rmMap.isMoving()")
    # the position is shown above the results sheet, not under it
    xy = page.evaluate("([lon, lat]) => window.rmMap.project([lon, lat])", [lon, lat])
    top_of_sheet = page.locator("#panel-results").bounding_box()["y"]
    assert 0 < page.locator("#map").bounding_box()["y"] + xy["y"] < top_of_sheet
    # and the buttons stay usable with the sheet open
    on_screen_and_on_top("#btn-locate")
    on_screen_and_on_top("#btn-here")
    assert page.console_log.errors() == []


def test_legend_and_form_speak_the_models_vocabulary(page: Page, live_server):
    open_map(page, live_server)
    page.click("#btn-layers")
    legend = page.locator('#layer-list li:has(input[data-collection="violations"]) .legend span')
    expect(legend).to_have_text(list(SEVERITIES))
    options = page.locator("#insp-verdict option")
    assert options.evaluate_all("(os) => os.map((o) => o.value)") == list(VERDICTS)
