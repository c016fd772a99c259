"""Browser fixtures: Debian's Chromium driven by Playwright (it cannot download its own),
a page that records console errors, and screenshots in tests/artifacts/ for people."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


# Package scope: Playwright's sync API keeps an event loop running in this thread while it
# lives, so it must stop before tests outside tests/browser call asyncio.run().
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is required for the browser tests at {CHROMIUM} (make test installs it)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class ConsoleLog(list):
    def errors(self) -> list[str]:
        return [m for m in self if m.startswith("error:") or m.startswith("pageerror:")]


@pytest.fixture
def context(browser: Browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    yield ctx
    ctx.close()


def _recording_page(ctx: BrowserContext, request) -> Iterator[Page]:
    """A page whose console errors, page errors and HTTP errors are kept in
    ``page.console_log``; a screenshot of its last state goes to tests/artifacts/."""
    pg = ctx.new_page()
    log = ConsoleLog()
    pg.on("console", lambda m: log.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: log.append(f"pageerror: {e}"))
    pg.on("response", lambda r: r.status >= 400 and log.append(f"http {r.status}: {r.url}"))
    pg.console_log = log  # type: ignore[attr-defined]
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))


@pytest.fixture
def page(context, request) -> Iterator[Page]:
    yield from _recording_page(context, request)


@pytest.fixture
def phone_context(browser: Browser):
    """A phone: 390×844 CSS px, touch, geolocation allowed (tests set the position)."""
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        permissions=["geolocation"],
    )
    yield ctx
    ctx.close()


@pytest.fixture
def phone_page(phone_context, request) -> Iterator[Page]:
    yield from _recording_page(phone_context, request)


def open_map(page: Page, base: str, path: str = "/map") -> None:
    page.goto(base + path)
    page.wait_for_function("window.rmReady === true")
    # Every source's visible tiles are in (no timing: wait for the map's own signal).
    page.wait_for_function("window.rmMap.areTilesLoaded() && window.rmMap.loaded()")


def click_lonlat(
    page: Page, lon: float, lat: float, zoom: float = 15, button: str = "left"
) -> None:
    """Centres the map on (lon, lat) at ``zoom``, waits for its tiles, then clicks there."""
    page.evaluate(
        "([lon, lat, z]) => window.rmMap.jumpTo({center: [lon, lat], zoom: z})", [lon, lat, zoom]
    )
    page.wait_for_function("window.rmMap.loaded() && window.rmMap.areTilesLoaded()")
    click_map(page, lon, lat, button)


def click_map(page: Page, lon: float, lat: float, button: str = "left") -> None:
    """Clicks the map canvas where (lon, lat) is drawn now (no camera change)."""
    box = page.locator("#map").bounding_box()
    xy = page.evaluate("([lon, lat]) => window.rmMap.project([lon, lat])", [lon, lat])
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"], button=button)


def api(base: str, path: str, **params):
    """GET a JSON document from the live server (what the page reads)."""
    r = httpx.get(base + path, params=params, headers={"Accept": "application/json"}, timeout=30)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return r.json()
