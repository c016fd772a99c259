"""The inspection form with a weak signal: queued in IndexedDB while offline, sent once the
connection returns, stored exactly once (the client UUID makes the PUT idempotent)."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from playwright.sync_api import Page
from sqlalchemy import text

from geo import auth
from tests.browser.conftest import open_map


@pytest.fixture
def inspector_key(engine) -> str:
    with engine.begin() as conn:
        _, key = auth.create_user(conn, f"field-{uuid.uuid4().hex[:8]}", "inspector")
    return key


def _counts(engine, note: str) -> tuple[int, int]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(DISTINCT i.uuid), count(p.id) FROM inspections i"
                " LEFT JOIN inspection_photos p ON p.inspection_uuid = i.uuid WHERE i.note = :n"
            ),
            {"n": note},
        ).one()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def _fill_form(page: Page, key: str, note: str) -> None:
    page.click("#btn-inspect")
    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")
    page.click("#insp-use-center")
    page.select_option("#insp-verdict", "needs_follow_up")
    page.fill("#insp-note", note)
    page.set_input_files(
        "#insp-photos", files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )


def test_inspection_made_offline_is_sent_once_when_back_online(
    page: Page, context, live_server, engine, inspector_key
):
    note = f"offline test {uuid.uuid4()}"
    open_map(page, live_server)
    _fill_form(page, inspector_key, note)
    context.set_offline(True)
    page.click("#inspect-form button[type=submit]")
    page.wait_for_function("document.getElementById('queue-count').textContent === '1'")
    assert _counts(engine, note) == (0, 0)
    context.set_offline(False)
    page.wait_for_function(
        "document.getElementById('queue-count').textContent === '0'", timeout=60_000
    )
    assert _counts(engine, note) == (1, 1)


def test_a_lost_response_is_retried_without_a_duplicate(
    page: Page, live_server, engine, inspector_key
):
    """The server stores the inspection but the phone never hears back: the retry (same
    UUID, same body) gets a 200 and the database still holds one row."""
    note = f"lost response {uuid.uuid4()}"
    lost = []

    def lose_first_answer(route):
        if route.request.method == "PUT" and not lost:
            route.fetch()  # reaches the server...
            lost.append(route.request.url)
            route.abort("connectionreset")  # ...but the answer is lost on the way back
        else:
            route.continue_()

    open_map(page, live_server)
    page.route("**/inspections/*", lose_first_answer)
    _fill_form(page, inspector_key, note)
    with page.expect_request(lambda r: r.method == "PUT"):
        page.click("#inspect-form button[type=submit]")
    page.wait_for_function(
        "document.getElementById('queue-count').textContent === '0'", timeout=60_000
    )
    assert lost
    assert _counts(engine, note) == (1, 1)
