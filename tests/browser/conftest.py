"""Browser fixtures: Debian's Chromium driven by Playwright (it cannot download its own),
a page that records console errors, and screenshots in tests/artifacts/ for people."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

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


@pytest.fixture(scope="session")
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


@pytest.fixture
def page(context, request) -> Iterator[Page]:
    pg = context.new_page()
    log = ConsoleLog()
    pg.on("console", lambda m: log.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: log.append(f"pageerror: {e}"))
    pg.on("response", lambda r: r.status >= 400 and log.append(f"http {r.status}: {r.url}"))
    pg.console_log = log  # type: ignore[attr-defined]
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))


def open_map(page: Page, base: str, path: str = "/map") -> None:
    page.goto(base + path)
    page.wait_for_function("window.rmReady === true")
    # Every source's visible tiles are in (no timing: wait for the map's own signal).
    page.wait_for_function("window.rmMap.areTilesLoaded() && window.rmMap.loaded()")
