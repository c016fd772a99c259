"""Inspections: idempotent PUT by client UUID, roles and county scopes, photos on disk."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from app.main import create_app
from geo.kernel import auth

MANAS = (86.2, 44.3)  # a point in Manas county (652324)
QITAI = (89.6, 44.0)  # a point in Qitai county (652325)


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("photos")


@pytest.fixture(scope="module")
def api(settings, photo_dir):
    s = settings.model_copy(update={"photo_dir": str(photo_dir), "photo_max_bytes": 200_000})
    with TestClient(create_app(s)) as c:
        yield c


def make_user(engine, role: str, regions: list[str] | None = None) -> dict[str, str]:
    with engine.begin() as conn:
        _, key = auth.create_user(conn, f"{role}-{uuid.uuid4().hex[:8]}", role, regions)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def inspector(engine):
    return make_user(engine, "inspector")


def body(**over):
    lon, lat = MANAS
    return {
        "lon": lon,
        "lat": lat,
        "accuracy_m": 8.5,
        "observed_at": "2025-06-01T10:30:00+08:00",
        "verdict": "confirmed",
        "note": "采坑未回填 / pit not refilled",
        **over,
    }


def count(engine, uid: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM inspections WHERE uuid = :u"), {"u": uid}
        ).scalar_one()


def jpeg(gps: tuple[float, float] | None = (44.5, 86.25), size: int = 32) -> bytes:
    img = Image.new("RGB", (size, size), (120, 90, 40))
    exif = Image.Exif()
    exif[0x0132] = "2025:06:01 10:31:00"
    if gps:
        lat, lon = gps
        exif[0x8825] = {1: "N", 2: (lat, 0.0, 0.0), 3: "E", 4: (lon, 0.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_put_is_idempotent(api, engine, inspector):
    uid = str(uuid.uuid4())
    first = api.put(f"/inspections/{uid}", json=body(), headers=inspector)
    assert first.status_code == 201, first.text
    rec = first.json()
    assert rec["uuid"] == uid
    assert rec["region_code"] == "652324"
    assert rec["verdict"] == "confirmed"
    assert rec["position"] == {"lon": MANAS[0], "lat": MANAS[1]}
    again = api.put(f"/inspections/{uid}", json=body(), headers=inspector)
    assert again.status_code == 200
    assert again.json() == rec
    assert count(engine, uid) == 1
    assert api.get(f"/inspections/{uid}", headers=inspector).json() == rec


def test_different_body_for_an_existing_uuid_is_a_conflict(api, engine, inspector):
    uid = str(uuid.uuid4())
    assert api.put(f"/inspections/{uid}", json=body(), headers=inspector).status_code == 201
    r = api.put(f"/inspections/{uid}", json=body(verdict="rectified"), headers=inspector)
    assert r.status_code == 409
    assert api.get(f"/inspections/{uid}", headers=inspector).json()["verdict"] == "confirmed"
    assert count(engine, uid) == 1


def test_gcj02_position_is_converted(api, inspector):
    from geo.kernel.crs import wgs84_to_gcj02

    glon, glat = (float(v) for v in wgs84_to_gcj02(*MANAS))
    uid = str(uuid.uuid4())
    r = api.put(f"/inspections/{uid}", json=body(lon=glon, lat=glat, gcj02=True), headers=inspector)
    assert r.status_code == 201
    rec = r.json()
    assert rec["input_crs"] == "GCJ02"
    assert rec["position"]["lon"] == pytest.approx(MANAS[0], abs=1e-7)
    assert rec["position"]["lat"] == pytest.approx(MANAS[1], abs=1e-7)


def test_roles_and_scopes(api, engine):
    uid = str(uuid.uuid4())
    assert api.put(f"/inspections/{uid}", json=body()).status_code == 401
    viewer = make_user(engine, "viewer")
    assert api.put(f"/inspections/{uid}", json=body(), headers=viewer).status_code == 403
    manas_only = make_user(engine, "inspector", ["652324"])
    lon, lat = QITAI
    r = api.put(f"/inspections/{uid}", json=body(lon=lon, lat=lat), headers=manas_only)
    assert r.status_code == 403
    assert count(engine, uid) == 0
    assert api.put(f"/inspections/{uid}", json=body(), headers=manas_only).status_code == 201
    assert api.get(f"/inspections/{uid}").status_code == 401


@pytest.mark.parametrize(
    "bad",
    [
        {"verdict": "maybe"},
        {"observed_at": "2025-06-01T10:30:00"},
        {"observed_at": "yesterday"},
        {"lon": 200},
        {"accuracy_m": -1},
        {"feature_id": 999_999_999},
        {"colour": "red"},
    ],
)
def test_bad_bodies_are_refused(api, engine, inspector, bad):
    uid = str(uuid.uuid4())
    r = api.put(f"/inspections/{uid}", json=body(**bad), headers=inspector)
    assert r.status_code == 422, r.text
    assert count(engine, uid) == 0


def test_bad_uuid_and_unknown_inspection(api, inspector):
    assert api.put("/inspections/not-a-uuid", json=body(), headers=inspector).status_code == 400
    assert api.get(f"/inspections/{uuid.uuid4()}", headers=inspector).status_code == 404


def test_linked_feature_and_listing(api, engine, inspector):
    with engine.connect() as conn:
        fid = conn.execute(
            text("SELECT id FROM features WHERE region_code = '652324' ORDER BY id LIMIT 1")
        ).scalar_one()
    uid = str(uuid.uuid4())
    r = api.put(f"/inspections/{uid}", json=body(feature_id=fid), headers=inspector)
    assert r.status_code == 201
    listed = api.get(f"/inspections?feature_id={fid}", headers=inspector).json()["inspections"]
    assert uid in [x["uuid"] for x in listed]


def test_photo_upload_keeps_exif_and_is_idempotent(api, engine, inspector, photo_dir):
    uid = str(uuid.uuid4())
    api.put(f"/inspections/{uid}", json=body(), headers=inspector)
    data = jpeg()
    files = {"file": ("IMG_0001.png", data, "image/png")}  # the name lies; the bytes do not
    r = api.post(f"/inspections/{uid}/photos", files=files, headers=inspector)
    assert r.status_code == 201, r.text
    photo = r.json()
    sha = hashlib.sha256(data).hexdigest()
    assert photo["sha256"] == sha
    assert photo["content_type"] == "image/jpeg"
    assert photo["position"]["lat"] == pytest.approx(44.5)
    assert photo["position"]["lon"] == pytest.approx(86.25)
    assert datetime.fromisoformat(photo["taken_at"]) == datetime.fromisoformat(
        "2025-06-01T10:31:00+08:00"
    )
    stored = photo_dir / sha[:2] / f"{sha}.jpg"
    assert stored.read_bytes() == data
    again = api.post(f"/inspections/{uid}/photos", files=files, headers=inspector)
    assert again.status_code == 200
    with engine.connect() as conn:
        n, b64 = conn.execute(
            text(
                "SELECT count(*), bool_or(to_jsonb(p)::text LIKE '%/9j/%') "
                "FROM inspection_photos p WHERE inspection_uuid = :u"
            ),
            {"u": uid},
        ).one()
    assert (n, b64) == (1, False)
    got = api.get(f"/inspections/{uid}/photos/{sha}", headers=inspector)
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"] == "image/jpeg"
    rec = api.get(f"/inspections/{uid}", headers=inspector).json()
    assert rec["photos"][0]["href"].endswith(f"/inspections/{uid}/photos/{sha}")


def test_png_and_heic_photos(api, inspector):
    import pillow_heif

    pillow_heif.register_heif_opener()
    uid = str(uuid.uuid4())
    api.put(f"/inspections/{uid}", json=body(), headers=inspector)
    png, heic = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (16, 16)).save(png, "PNG")
    exif = Image.Exif()
    exif[0x0132] = "2025:06:02 09:00:00"
    Image.new("RGB", (16, 16)).save(heic, "HEIF", exif=exif.tobytes())
    r = api.post(
        f"/inspections/{uid}/photos", files={"file": ("a.jpg", png.getvalue())}, headers=inspector
    )
    assert (r.status_code, r.json()["content_type"], r.json()["position"]) == (
        201,
        "image/png",
        None,
    )
    r = api.post(
        f"/inspections/{uid}/photos", files={"file": ("b.HEIC", heic.getvalue())}, headers=inspector
    )
    assert r.status_code == 201
    assert r.json()["content_type"] == "image/heic"
    taken = datetime.fromisoformat(r.json()["taken_at"])
    assert taken == datetime.fromisoformat("2025-06-02T09:00:00+08:00")


def test_bad_photos(api, engine, inspector):
    uid = str(uuid.uuid4())
    api.put(f"/inspections/{uid}", json=body(), headers=inspector)
    fake = {"file": ("photo.jpg", b"<html>not an image</html>", "image/jpeg")}
    assert api.post(f"/inspections/{uid}/photos", files=fake, headers=inspector).status_code == 415
    big = {"file": ("big.jpg", b"\xff\xd8\xff" + b"0" * 300_000, "image/jpeg")}
    assert api.post(f"/inspections/{uid}/photos", files=big, headers=inspector).status_code == 413
    ok = {"file": ("a.jpg", jpeg(), "image/jpeg")}
    assert api.post(f"/inspections/{uid}/photos", files=ok).status_code == 401
    missing = f"/inspections/{uuid.uuid4()}/photos"
    assert api.post(missing, files=ok, headers=inspector).status_code == 404
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM inspection_photos WHERE inspection_uuid = :u"), {"u": uid}
        ).scalar_one()
    assert n == 0
