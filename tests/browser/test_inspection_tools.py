"""The inspection form's field tools (issue 13, item 6): a feature picked by its code
(lower case too) or by tapping it, a violation by V-<id>, GPS into the form, photo
previews, the verdict kept after saving, and the history with its photo gallery; at
desktop and phone sizes."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from shapely.geometry import shape

from geo.kernel import auth
from tests.browser.conftest import ARTIFACTS, api, click_lonlat, open_map
from tests.browser.layout import assert_inside_viewport, assert_no_overlap


@pytest.fixture
def inspector_key(engine) -> str:
    with engine.begin() as conn:
        _, key = auth.create_user(conn, f"tools-{uuid.uuid4().hex[:8]}", "inspector")
    return key


def _jpeg(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def _sign_in(page: Page, key: str) -> None:
    page.click("#btn-inspect")
    page.fill("#api-key", key)
    page.click("#key-form button[type=submit]")


def _violation(base: str) -> dict:
    """A violation still 'detected' (a follow-up verdict does not move it)."""
    feats = api(base, "/collections/violations/items", limit=200)["features"]
    return next(f for f in feats if f["properties"]["status"] == "detected")


def _record(page: Page, base: str, note: str) -> tuple[dict, str]:
    v = _violation(base)
    page.fill("#insp-code", f"v-{v['id']}")
    page.click("#insp-code-find")
    expect(page.locator("#insp-subject")).to_contain_text(f"V-{v['id']}")
    expect(page.locator("#insp-violation")).to_have_value(str(v["id"]))
    expect(page.locator("#insp-feature")).to_have_value(str(v["properties"]["subject_id"]))
    page.select_option("#insp-verdict", "needs_follow_up")
    page.fill("#insp-note", note)
    page.set_input_files(
        "#insp-photos",
        files=[
            {"name": "north.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((200, 60, 40))},
            {"name": "south.jpg", "mimeType": "image/jpeg", "buffer": _jpeg((40, 90, 200))},
        ],
    )
    expect(page.locator("#insp-preview img")).to_have_count(2)
    page.wait_for_function(
        "[...document.querySelectorAll('#insp-preview img')].every(i => i.naturalWidth === 64)"
    )
    page.click("#insp-use-center")
    with page.expect_response(lambda r: r.request.method == "PUT" and r.status == 201) as resp:
        page.click("#inspect-form button[type=submit]")
    step = resp.value.json()["violation_step"]
    uid = resp.value.json()["uuid"]
    assert step == {
        "violation_id": v["id"],
        "from": "detected",
        "to": None,
        "applied": False,
        "reason": "no step from 'detected' for 'needs_follow_up'",
    }
    expect(page.locator("#queue-count")).to_have_text("0", timeout=30_000)
    # the verdict stays as chosen; the photos and their previews are gone
    expect(page.locator("#insp-verdict")).to_have_value("needs_follow_up")
    expect(page.locator("#insp-preview img")).to_have_count(0)
    return v, uid


def _history(page: Page, v: dict, note: str, uid: str) -> None:
    page.fill("#insp-code", f"V-{v['id']}")
    page.click("#insp-code-find")
    expect(page.locator("#insp-violation")).to_have_value(str(v["id"]))
    page.click("#insp-history-btn")
    hist = page.locator("#insp-history")
    expect(hist).to_contain_text(note)
    gallery = page.locator(f'#insp-gallery a[data-inspection="{uid}"] img')
    expect(gallery).to_have_count(2, timeout=20_000)
    page.wait_for_function(
        "[...document.querySelectorAll('#insp-gallery img')].every(i => i.naturalWidth > 0)"
    )


def test_code_gps_preview_and_history_on_a_desktop(page: Page, context, live_server, inspector_key):
    page.set_viewport_size({"width": 1440, "height": 900})
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"longitude": 86.21, "latitude": 44.31, "accuracy": 7})
    open_map(page, live_server)
    _sign_in(page, inspector_key)
    # a feature by its code, typed in lower case
    pit = api(live_server, "/collections/mining_pits/items", limit=1)["features"][0]
    page.fill("#insp-code", pit["properties"]["code"].lower())
    page.click("#insp-code-find")
    expect(page.locator("#insp-subject")).to_contain_text(pit["properties"]["code"])
    expect(page.locator("#insp-feature")).to_have_value(str(pit["id"]))
    page.fill("#insp-code", "NO-SUCH-CODE")
    page.click("#insp-code-find")
    expect(page.locator("#insp-subject")).to_have_text("没有这个编号")
    # GPS into the form
    page.click("#insp-gps")
    expect(page.locator("#insp-pos")).to_have_text("86.210000, 44.310000")
    expect(page.locator("#insp-acc")).to_have_value("7")
    note = f"tools desktop {uuid.uuid4()}"
    v, uid = _record(page, live_server, note)
    _history(page, v, note, uid)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#panel-inspect").screenshot(path=str(ARTIFACTS / "inspection_history.png"))
    # pick by tapping: the pit's own shape
    page.click("#insp-pick")
    expect(page.locator("#panel-inspect")).to_be_hidden()
    geom = shape(pit["geometry"])
    pt = (
        geom.buffer(-0.0002) if not geom.buffer(-0.0002).is_empty else geom
    ).representative_point()
    click_lonlat(page, pt.x, pt.y, zoom=16)
    expect(page.locator("#panel-inspect")).to_be_visible()
    expect(page.locator("#insp-feature")).to_have_value(str(pit["id"]))
    expect(page.locator("#insp-subject")).to_contain_text(pit["properties"]["code"])
    # the one failed request is the unknown code, answered 404 as it should be
    http = [m for m in page.console_log if m.startswith("http ")]
    assert len(http) == 1 and "404" in http[0] and "NO-SUCH-CODE" in http[0], http
    assert len(page.console_log.errors()) == 1


def test_inspection_tools_on_a_phone(phone_page: Page, live_server, inspector_key):
    page = phone_page
    page.add_init_script("localStorage.setItem('rm.lang', 'en')")
    open_map(page, live_server)
    _sign_in(page, inspector_key)
    note = f"tools phone {uuid.uuid4()}"
    v, uid = _record(page, live_server, note)
    leaves = (
        "#key-form > *, #inspect-form > label, #inspect-form > .btn, #insp-gps,"
        " .insp-subject label, .insp-subject .row > *, output#insp-subject, #insp-preview"
    )
    assert assert_no_overlap(page, leaves) > 12
    assert_inside_viewport(page, "#panel-inspect, #panel-inspect .btn, #inspect-form > *")
    _history(page, v, note, uid)
    expect(page.locator("#insp-history")).to_contain_text("Needs follow-up")
    assert_inside_viewport(page, "#insp-gallery img")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#insp-gallery").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "inspection_history_phone.png"))
    assert page.console_log.errors() == []
