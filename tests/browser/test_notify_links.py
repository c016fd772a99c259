"""Links in notifications open the map where the event is: ``/map#zoom/lat/lon``."""

from __future__ import annotations

from playwright.sync_api import Page

from geo.notify.messages import link
from tests.browser.conftest import open_map


def test_notification_link_opens_the_map_at_the_event(page: Page, live_server):
    url = link(live_server, {"position": {"lon": 86.2012, "lat": 44.3021}})
    open_map(page, live_server, url.removeprefix(live_server))
    zoom, lon, lat = page.evaluate(
        "() => { const c = window.rmMap.getCenter(); return [window.rmMap.getZoom(), c.lng, c.lat]; }"
    )
    assert zoom == 15
    assert abs(lon - 86.2012) < 1e-3 and abs(lat - 44.3021) < 1e-3
    assert page.console_log.errors() == []
