"""The dashboard page itself (its charts need the progress stream's endpoints)."""

from __future__ import annotations

from playwright.sync_api import Page


def test_dashboard_loads_with_filters_and_ledger_links(page: Page, live_server):
    page.goto(live_server + "/dashboard")
    page.wait_for_function("window.rmDashboardReady === true")
    assert page.locator("#f-region option").count() == 1 + 7  # all + the seven counties
    assert page.locator("#f-layer option[value=mining_pits]").count() == 1
    page.select_option("#f-region", "652324")
    page.wait_for_function("document.getElementById('dl-restoration-xlsx').href.includes('652324')")
    href = page.get_attribute("#dl-restoration-xlsx", "href")
    assert href == "/restoration?f=xlsx&region=652324"
    assert [m for m in page.console_log if m.startswith("pageerror")] == []
