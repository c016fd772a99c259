"""Site check for a project type, undo of the last point, and the printable sheet as PDF
(issue 13, item 5), at desktop and phone sizes."""

from __future__ import annotations

import io
import json
import unicodedata

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import ARTIFACTS, click_map, open_map
from tests.browser.layout import assert_inside_viewport, assert_no_overlap
from tests.browser.test_site_check import _corridor, _show


def _draw_and_check(page: Page, base: str, project_type: str) -> tuple[dict, str]:
    bounds, _ = _corridor(base)
    west, south, east, north = bounds
    open_map(page, base)
    page.click("#btn-site")
    page.wait_for_function("document.querySelectorAll('#site-type option').length > 5")
    page.select_option("#site-type", project_type)
    _frame(page, bounds)
    page.click("#site-draw")
    expect(page.locator("#site-undo")).to_be_disabled()
    for lon, lat in [(west, south), (east, south), (east, north), (west, north)]:
        click_map(page, lon, lat)
    # a stray fifth point (inside the framed site, so on the map at any screen size), undone
    click_map(page, (west + east) / 2, (south + north) / 2)
    assert page.evaluate("RMSite.vertexCount") == 5
    page.click("#site-undo")
    assert page.evaluate("RMSite.vertexCount") == 4
    with page.expect_request(lambda r: "/checks/site" in r.url and r.method == "POST") as req:
        page.click("#site-finish")
    assert f"project_type={project_type}" in req.value.url
    sent = req.value.post_data
    assert len(json.loads(sent)["coordinates"][0]) == 5  # 4 vertices, closed
    expected = httpx_site(base, sent, project_type)
    expect(page.locator("#site-verdict")).to_have_class(f"verdict {expected['verdict']}")
    return expected, sent


def _frame(page: Page, bounds: list[float]) -> None:
    """Frames the corridor where the site panel does not cover the map: beside it on a
    desktop, above it (a bottom sheet) on a phone."""
    # Opening the panel re-pads the map (an eased move on a phone): frame once it has ended.
    page.wait_for_function("window.rmMap.loaded() && !window.rmMap.isMoving()")
    vw, vh = page.viewport_size["width"], page.viewport_size["height"]
    if vw > 640:
        _show(page, bounds)
        return
    panel = page.locator("#panel-site").bounding_box()
    mapbox = page.locator("#map").bounding_box()
    bottom = mapbox["y"] + mapbox["height"] - panel["y"] + 30
    # fitBounds adds its padding to the map's own (the map pads itself for the sheet)
    page.evaluate(
        "([b, bottom]) => { const p = window.rmMap.getPadding();"
        " window.rmMap.fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: {left: 30, right: 70,"
        " top: Math.max(0, 40 - p.top), bottom: Math.max(30, bottom - p.bottom)},"
        " animate: false}); }",
        [bounds, bottom],
    )
    page.wait_for_function("window.rmMap.loaded() && !window.rmMap.isMoving()")
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    assert vh > 0


def httpx_site(base: str, body: str, project_type: str) -> dict:
    import httpx

    r = httpx.post(
        f"{base}/checks/site?project_type={project_type}",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _rules_once(page: Page, expected: dict) -> None:
    codes = {r["code"] for r in expected["rules"]}
    assert codes, "the corridor breaks rules for farmland"
    items = page.locator("#site-rules li.rule")
    expect(items).to_have_count(len(codes))  # each rule once, however many zones it hits
    for code in codes:
        expect(page.locator(f'#site-rules li.rule[data-code="{code}"]')).to_have_count(1)


def _sheet_pdf(page: Page, name: str) -> str:
    with page.expect_popup() as pop:
        page.click("#site-print")
    sheet = pop.value
    sheet.wait_for_url("**/site-sheet")
    sheet.wait_for_function("window.rmSheetReady === true")
    ARTIFACTS.mkdir(exist_ok=True)
    sheet.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    pdf = sheet.pdf(format="A4", print_background=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    # CJK fonts map some glyphs to Kangxi radicals (⽬ for 目): NFKC folds them back.
    text = unicodedata.normalize("NFKC", text)
    sheet.close()
    return text


def test_farmland_site_check_with_undo_and_pdf_sheet(page: Page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    expected, sent = _draw_and_check(page, live_server, "farmland")
    assert "WETLAND-RECLAIM" in {r["code"] for r in expected["rules"]}
    assert expected == _api_answer_typed(live_server, sent, expected)
    _rules_once(page, expected)
    text = _sheet_pdf(page, "site_sheet_desktop")
    compact = text.replace(" ", "")
    for words in (
        "建设项目选址符合性审查单",
        "图例",
        "比例尺1:",
        "界址点坐标",
        "开垦种植",
        "须",
        "WETLAND-RECLAIM",
        "法律依据",
    ):
        assert words in compact, (words, text[:800])
    # the site's first vertex, as printed
    lon0 = json.loads(sent)["coordinates"][0][0][0]
    assert f"{lon0:.6f}" in compact
    assert page.console_log.errors() == []


def _api_answer_typed(base: str, body: str, expected: dict) -> dict:
    return httpx_site(base, body, expected["project_type"])


def test_site_check_and_sheet_on_a_phone_in_english(phone_page: Page, live_server):
    page = phone_page
    page.add_init_script("localStorage.setItem('rm.lang', 'en')")
    expected, _ = _draw_and_check(page, live_server, "road")
    _rules_once(page, expected)
    # the panel's own controls and result never overlap, and nothing scrolls sideways
    assert (
        assert_no_overlap(page, "#panel-site .row > *, #panel-site .site-type, #site-result > *")
        > 5
    )
    assert_inside_viewport(page, "#panel-site, #panel-site .row > *, #site-table")
    # the 7-column table is one card per row: no header row, labelled cells
    expect(page.locator("#site-table thead")).to_be_hidden()
    text = _sheet_pdf(page, "site_sheet_phone_en")
    for words in ("Site check of a proposed project", "Legend", "Scale 1:", "Road or railway"):
        assert words in text, (words, text[:800])
    assert page.console_log.errors() == []
