"""Layout assertions for the browser tests: element boxes that must not overlap."""

from __future__ import annotations

from playwright.sync_api import Page

BOXES = """(sel) => [...document.querySelectorAll(sel)].filter((el) => {
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
}).map((el) => { const r = el.getBoundingClientRect();
  return {id: el.id || el.className || el.tagName, x: r.x, y: r.y, w: r.width, h: r.height}; })"""


def boxes(page: Page, selector: str) -> list[dict]:
    return page.evaluate(BOXES, selector)


def assert_no_overlap(page: Page, selector: str, tolerance: float = 0.5) -> int:
    """No two visible elements matched by ``selector`` overlap; returns how many were seen."""
    found = boxes(page, selector)
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            assert dx <= tolerance or dy <= tolerance, f"{a} overlaps {b}"
    return len(found)


def assert_inside_viewport(page: Page, selector: str) -> None:
    """Visible elements lie within the viewport's width (nothing scrolls sideways)."""
    width = page.viewport_size["width"]
    for b in boxes(page, selector):
        assert b["x"] >= -0.5 and b["x"] + b["w"] <= width + 0.5, (b, width)


def assert_min_target(page: Page, selector: str, size: float = 44) -> None:
    for b in boxes(page, selector):
        assert b["w"] >= size - 0.5 and b["h"] >= size - 0.5, b
