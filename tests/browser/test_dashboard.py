"""The dashboard against the real progress endpoints: charts, overdue tasks, the county
filter and the ledger downloads."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = {
    "dl-restoration-xlsx": XLSX,
    "dl-restoration-csv": "text/csv",
    "dl-tasks-xlsx": XLSX,
    "dl-tasks-csv": "text/csv",
}


def _open(page: Page, base: str) -> None:
    page.goto(base + "/dashboard")
    page.wait_for_function("window.rmDashboardReady === true")


def test_dashboard_loads_with_filters_and_ledger_links(page: Page, live_server):
    _open(page, live_server)
    assert page.locator("#f-region option").count() == 1 + 7  # all + the seven counties
    assert page.locator("#f-layer option[value=mining_pits]").count() == 1
    page.select_option("#f-region", "652324")
    page.wait_for_function("document.getElementById('dl-restoration-xlsx').href.includes('652324')")
    href = page.get_attribute("#dl-restoration-xlsx", "href")
    assert href == "/restoration?f=xlsx&region=652324"
    assert [m for m in page.console_log if m.startswith("pageerror")] == []


def test_dashboard_charts_show_the_real_progress(page: Page, live_server):
    progress = api(live_server, "/progress", group_by="region")
    # Overdue needs a status dated after the deadline; the reports' silence since their
    # cut-off is "no report since", listed with the overdue ones, each with its state.
    overdue = [
        *api(live_server, "/tasks", state="overdue")["tasks"],
        *api(live_server, "/tasks", state="no_report_since")["tasks"],
    ]
    assert progress["groups"] and overdue  # the sample data has records and silent tasks
    _open(page, live_server)

    bars = page.locator("#chart-status svg[data-chart=stacked] rect[data-key]")
    cells = sum(len(g["by_status"]) for g in progress["groups"])
    expect(bars).to_have_count(cells)
    for g in progress["groups"]:
        expect(page.locator("#chart-status svg")).to_contain_text(g["region_name"])
    # every status has bars (the legend names them in the page's language)
    for status in {s for g in progress["groups"] for s in g["by_status"]}:
        assert bars.and_(page.locator(f'[data-key="{status}"]')).count() > 0, status

    line = page.locator("#chart-series svg[data-chart=line] polyline")
    expect(line).to_have_count(1)
    months = api(live_server, "/progress/series")["months"]
    points = line.get_attribute("points").split()
    assert len(points) == len(months) > 1
    # the restored area grows: the last point is higher (smaller y) than the first
    assert float(points[-1].split(",")[1]) < float(points[0].split(",")[1])

    rows = page.locator("#overdue-table tbody tr")
    expect(rows).to_have_count(len(overdue))
    for task in overdue[:5]:
        expect(page.locator("#overdue-table")).to_contain_text(task["code"])
        cell = page.locator(f'#overdue-table td[data-status="{task["state"]}"]').first
        expect(cell).to_be_visible()
    assert page.console_log.errors() == []


def test_county_filter_changes_the_charts(page: Page, live_server):
    manas = api(live_server, "/progress", group_by="region", region="652324")
    _open(page, live_server)
    chart = page.locator("#chart-status svg[data-chart=stacked]")
    before = chart.inner_html()
    bars_before = chart.locator("rect[data-key]").count()
    series_before = page.locator("#chart-series polyline").get_attribute("points")
    page.select_option("#f-region", "652324")
    page.wait_for_function(
        "(before) => document.querySelector('#chart-status svg[data-chart=stacked]')"
        "?.innerHTML !== before",
        arg=before,
    )
    expect(chart.locator("rect[data-key]")).to_have_count(len(manas["groups"][0]["by_status"]))
    assert chart.locator("rect[data-key]").count() < bars_before
    expect(chart).to_contain_text("玛纳斯县")
    expect(chart).not_to_contain_text("昌吉市")
    page.wait_for_function(
        "(before) => document.querySelector('#chart-series polyline')"
        "?.getAttribute('points') !== before",
        arg=series_before,
    )
    # the overdue tasks follow the county too
    overdue = [
        *api(live_server, "/tasks", state="overdue", region="652324")["tasks"],
        *api(live_server, "/tasks", state="no_report_since", region="652324")["tasks"],
    ]
    expect(page.locator("#overdue-table tbody tr")).to_have_count(max(1, len(overdue)))
    assert page.console_log.errors() == []


def test_ledger_downloads_work(page: Page, live_server):
    _open(page, live_server)
    for region in ("", "652324"):
        if region:
            page.select_option("#f-region", region)
            page.wait_for_function(
                "(r) => document.getElementById('dl-tasks-csv').href.includes(r)", arg=region
            )
        for link, content_type in DOWNLOADS.items():
            href = page.get_attribute(f"#{link}", "href")
            assert (f"region={region}" in href) == bool(region), href
            r = httpx.get(urljoin(live_server + "/dashboard", href), timeout=60)
            assert r.status_code == 200, (href, r.text[:300])
            assert r.headers["content-type"].startswith(content_type), href
            assert "attachment" in r.headers.get("content-disposition", ""), href
            if content_type == XLSX:
                assert r.content[:2] == b"PK"  # a zip container
            else:
                header = r.text.splitlines()[0].lower()
                assert "code" in header, header
