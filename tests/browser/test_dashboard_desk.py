"""The dashboard (issue 13, item 8): open violations by county and severity, axes with units,
a cumulative series titled as such, names in the interface language, PNG/CSV downloads of
every chart, and a phone layout that fits its width."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, api
from tests.browser.layout import assert_inside_viewport, assert_no_overlap


def _open(page: Page, base: str, lang: str = "zh") -> None:
    page.add_init_script(f"localStorage.setItem('rm.lang', '{lang}')")
    page.goto(base + "/dashboard")
    page.wait_for_function("window.rmDashboardReady === true")


def test_open_violations_axes_and_downloads(page: Page, live_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    summary = api(live_server, "/violations/open-summary")
    _open(page, live_server)
    bars = page.locator("#chart-open svg[data-chart=stacked] rect[data-key]")
    expect(bars).to_have_count(sum(len(g["by_severity"]) for g in summary["groups"]))
    for g in summary["groups"]:
        if g["region_name"]:
            expect(page.locator("#chart-open svg")).to_contain_text(g["region_name"])
    critical = sum(g["by_severity"].get("critical", {}).get("count", 0) for g in summary["groups"])
    if critical:
        expect(bars.and_(page.locator('[data-key="critical"]')).first).to_be_attached()
    # titles and axes say what is drawn, with units; the series is cumulative
    expect(page.locator("h2[data-i18n=dash_restored_title]")).to_have_text("累计修复面积（各月末）")
    expect(page.locator("#chart-series svg .axis-title").first).to_have_text("累计修复面积（公顷）")
    expect(page.locator("#chart-open svg .axis-title")).to_have_text("违规问题数（个）")
    expect(page.locator("#chart-status svg .axis-title")).to_have_text("图斑数（个）")
    ticks = page.eval_on_selector_all(
        "#chart-series svg text.tick", "els => els.map(e => e.textContent)"
    )
    values = [
        float(x.replace(" ", "")) for x in ticks if x.replace(" ", "").replace(".", "").isdigit()
    ]
    assert values, ticks
    # round ticks: each a multiple of the step
    step = values[1] - values[0]
    assert all(abs(v / step - round(v / step)) < 1e-6 for v in values), values
    # every chart downloads as PNG and CSV
    ARTIFACTS.mkdir(exist_ok=True)
    for chart in ("chart-status", "chart-open", "chart-series"):
        with page.expect_download() as dl:
            page.click(f"#{chart} .dl-png")
        png = Path(dl.value.path()).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000, chart
        (ARTIFACTS / f"dashboard_{chart}.png").write_bytes(png)
        with page.expect_download() as dl:
            page.click(f"#{chart} .dl-csv")
        text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) >= 2, chart
        if chart == "chart-open":
            total = sum(int(r[-1]) for r in rows[1:])
            assert total == summary["total"]["count"]
    page.screenshot(path=str(ARTIFACTS / "dashboard_desktop.png"), full_page=True)
    assert page.console_log.errors() == []


def test_dashboard_in_english_on_a_phone(phone_page: Page, live_server):
    page = phone_page
    _open(page, live_server, "en")
    regions = api(live_server, "/collections/regions/items", level="county", limit=100)
    names = {f["properties"]["code"]: f["properties"]["name_en"] for f in regions["features"]}
    manas = names["652324"]
    assert manas
    expect(page.locator("#f-region option[value='652324']")).to_have_text(manas)
    expect(page.locator("#chart-status svg")).to_contain_text(manas)
    expect(page.locator("#chart-status svg")).not_to_contain_text("玛纳斯县")
    expect(page.locator("h2[data-i18n=dash_restored_title]")).to_contain_text("cumulative")
    # nothing wider than the phone; the filters and cards do not overlap
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    assert_inside_viewport(page, "#filters label, #filters select, .card, .chart-downloads .btn")
    assert_no_overlap(page, "#filters > label, #filters .downloads, .card")
    assert_no_overlap(page, "#filters .downloads > *")
    page.select_option("#f-region", "652324")
    page.wait_for_function("window.rmDashboardReady === true")
    expect(page.locator("#chart-open svg")).to_contain_text(manas)
    page.screenshot(path=str(ARTIFACTS / "dashboard_phone_en.png"), full_page=True)
    assert page.console_log.errors() == []
