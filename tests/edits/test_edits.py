"""OGC API – Features Part 4 on a database of its own: ETags, If-Match, validation of
geometry and attributes, region scopes (app and database), history and as_of."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from geo.kernel import auth
from tests.catalog.wait import until_status

PITS = "/collections/mining_pits/items"
MANAS, CHANGJI = "652324", "652301"
GEOJSON = "application/geo+json"


def box(x: float, y: float, d: float = 0.002) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]],
    }


def feature(code: str, geometry=None, **attrs) -> dict:
    props = {"code": code, "mineral": "sand_gravel", "legacy": True, **attrs}
    return {"type": "Feature", "geometry": geometry or box(*SPOT[MANAS]), "properties": props}


SPOT: dict[str, tuple[float, float]] = {}


@pytest.fixture(scope="module")
def keys(write_engine) -> dict[str, str]:
    out = {}
    with write_engine.begin() as conn:
        for name, role, regions in (
            ("ed", "editor", None),
            ("manas", "editor", [MANAS]),
            ("view", "viewer", None),
            ("insp", "inspector", None),
        ):
            out[name] = auth.create_user(conn, name, role, regions)[1]
        uid = auth.create_user(conn, "old", "editor")[0]
        out["expired"] = auth.create_key(
            conn, uid, expires_at=datetime.now(UTC) - timedelta(days=1)
        )
        out["revoked"] = auth.create_user(conn, "gone", "editor")[1]
        auth.revoke_keys(conn, "gone")
        # A point well inside each county, for new features.
        for code in (MANAS, CHANGJI):
            x, y = conn.execute(
                text(
                    "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
                    "FROM regions WHERE code = :c) s"
                ),
                {"c": code},
            ).one()
            SPOT[code] = (x, y)
    return out


def h(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def post(client, key, body, **params):
    return client.post(
        PITS, content=json.dumps(body), params=params, headers=h(key, **{"Content-Type": GEOJSON})
    )


def existing(engine, county: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT min(id) FROM features WHERE layer = 'mining_pits' AND region_code = :c"),
            {"c": county},
        ).scalar_one()


def test_conformance_declares_part4(write_client):
    classes = write_client.get("/conformance").json()["conformsTo"]
    base = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"
    for c in ("create-replace-delete", "update", "features"):
        assert base + c in classes


def test_create_gets_201_location_etag_and_history(write_client, keys):
    r = post(write_client, keys["ed"], feature("NEW-1", town="Test"))
    assert r.status_code == 201, r.text
    assert r.headers["ETag"].startswith('"')
    loc = r.headers["Location"]
    fid = int(loc.rsplit("/", 1)[1])
    got = write_client.get(f"{PITS}/{fid}")
    assert got.headers["ETag"] == r.headers["ETag"]
    assert got.json()["properties"]["region_code"] == MANAS
    again = write_client.get(f"{PITS}/{fid}", headers={"If-None-Match": got.headers["ETag"]})
    assert again.status_code == 304
    hist = write_client.get(f"{PITS}/{fid}/history", headers=h(keys["view"])).json()["history"]
    assert hist[0]["op"] == "INSERT" and hist[0]["actor"] == "ed"


def test_patch_with_stale_etag_412_then_right_etag_succeeds(write_client, write_engine, keys):
    fid = existing(write_engine, MANAS)
    url = f"{PITS}/{fid}"
    tag = write_client.get(url).headers["ETag"]
    patch = {"properties": {"town": "Stale"}}
    ctype = {"Content-Type": "application/merge-patch+json"}
    ok = write_client.patch(
        url,
        json={"properties": {"town": "First"}},
        headers=h(keys["ed"], **ctype, **{"If-Match": tag}),
    )
    assert ok.status_code == 200, ok.text
    before = write_client.get(url).json()
    stale = write_client.patch(url, json=patch, headers=h(keys["ed"], **ctype, **{"If-Match": tag}))
    assert stale.status_code == 412
    assert write_client.get(url).json() == before  # nothing changed
    missing = write_client.patch(url, json=patch, headers=h(keys["ed"], **ctype))
    assert missing.status_code == 428
    fresh = write_client.get(url).headers["ETag"]
    r = write_client.patch(
        url,
        json={"properties": {"town": "Right", "pit_depth_m": None}},
        headers=h(keys["ed"], **ctype, **{"If-Match": fresh}),
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert props["town"] == "Right" and "pit_depth_m" not in props  # null deletes
    assert r.headers["ETag"] != fresh
    last = write_client.get(f"{url}/history", headers=h(keys["view"])).json()["history"][-1]
    assert last["op"] == "UPDATE" and last["actor"] == "ed"
    assert last["before"]["properties"]["town"] == "First"
    assert last["after"]["properties"]["town"] == "Right"
    assert "properties.town" in last["changed"]


def test_put_replaces_and_delete_needs_if_match(write_client, keys):
    r = post(write_client, keys["ed"], feature("NEW-PUT"))
    url, tag = r.headers["Location"], r.headers["ETag"]
    body = feature("NEW-PUT", box(SPOT[MANAS][0] + 0.01, SPOT[MANAS][1]), mineral="coal")
    put = write_client.put(
        url,
        content=json.dumps(body),
        headers=h(keys["ed"], **{"Content-Type": GEOJSON, "If-Match": tag}),
    )
    assert put.status_code == 200, put.text
    assert put.json()["properties"]["mineral"] == "coal"
    assert write_client.delete(url, headers=h(keys["ed"])).status_code == 428
    assert write_client.delete(url, headers=h(keys["ed"], **{"If-Match": tag})).status_code == 412
    gone = write_client.delete(url, headers=h(keys["ed"], **{"If-Match": put.headers["ETag"]}))
    assert gone.status_code == 204
    assert write_client.get(url).status_code == 404


def test_duplicate_code_refused(write_client, keys):
    assert post(write_client, keys["ed"], feature("DUP-2")).status_code == 201
    assert post(write_client, keys["ed"], feature("DUP-2")).status_code == 409


# --- bad input: precise 4xx, nothing changes ---------------------------------------------

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[87.0, 44.3], [87.01, 44.31], [87.01, 44.3], [87.0, 44.31], [87.0, 44.3]]],
}


@pytest.mark.parametrize(
    ("name", "geometry", "status", "needle"),
    [
        ("bowtie", BOWTIE, 422, "Self-intersection at 87.005"),
        (
            "unclosed",
            {
                "type": "Polygon",
                "coordinates": [[[87.0, 44.3], [87.01, 44.3], [87.01, 44.31], [87.0, 44.31]]],
            },
            422,
            "unclosed ring",
        ),
        (
            "lat>90",
            {"type": "Polygon", "coordinates": [[[87, 91], [87.1, 91], [87.1, 92], [87, 91]]]},
            422,
            "latitude 91",
        ),
        ("null", None, 422, "null"),
        ("empty", {"type": "Polygon", "coordinates": []}, 422, "empty"),
        ("wrong type", {"type": "Point", "coordinates": [87.0, 44.3]}, 422, "does not fit"),
        (
            "3D",
            {
                "type": "Polygon",
                "coordinates": [
                    [[87.0, 44.3, 1], [87.01, 44.3, 1], [87.01, 44.31, 1], [87.0, 44.3, 1]]
                ],
            },
            422,
            "3D",
        ),
        ("collection", {"type": "GeometryCollection", "geometries": []}, 422, "GeometryCollection"),
        ("outside Xinjiang", box(116.39, 39.9), 422, "outside"),
    ],
)
def test_bad_geometry(write_client, keys, unchanged, name, geometry, status, needle):
    body = feature(f"BAD-{name}")
    body["geometry"] = geometry
    r = post(write_client, keys["ed"], body)
    assert r.status_code == status, r.text
    assert needle in r.json()["description"]


def test_bowtie_repaired_on_request(write_client, keys):
    x, y = SPOT[MANAS]
    bow = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 0.01, y + 0.01], [x + 0.01, y], [x, y + 0.01], [x, y]]],
    }
    r = post(write_client, keys["ed"], feature("REPAIRED", bow), repair="true")
    assert r.status_code == 201, r.text
    assert "ST_MakeValid" in r.headers["X-Geometry-Repaired"]
    assert r.json()["geometry"]["type"] == "MultiPolygon"


def test_nan_and_infinity_refused(write_client, keys, unchanged):
    x, y = SPOT[MANAS]
    for bad in ("NaN", "Infinity", "-Infinity", "1e999"):
        ring = f"[[{x}, {y}], [{bad}, {y}], [{x + 0.01}, {y + 0.01}], [{x}, {y}]]"
        raw = (
            '{"type": "Feature", "properties": {"code": "NAN", "mineral": "coal", '
            '"legacy": true}, "geometry": {"type": "Polygon", "coordinates": [' + ring + "]}}"
        )
        r = write_client.post(PITS, content=raw, headers=h(keys["ed"], **{"Content-Type": GEOJSON}))
        assert r.status_code == 422, (bad, r.text)


def test_truncated_json_400(write_client, keys, unchanged):
    raw = json.dumps(feature("TRUNC"))[:-7]
    r = write_client.post(PITS, content=raw, headers=h(keys["ed"], **{"Content-Type": GEOJSON}))
    assert r.status_code == 400 and "not valid JSON" in r.json()["description"]


def test_million_vertices_413(write_client, keys, unchanged):
    x, y = SPOT[MANAS]
    ring = [[x + i * 1e-7, y] for i in range(1_000_000)] + [[x, y + 0.01], [x, y]]
    body = feature("BIG", {"type": "Polygon", "coordinates": [ring]})
    r = post(write_client, keys["ed"], body)
    assert r.status_code == 413


def test_unknown_attribute_422_names_it(write_client, keys, unchanged):
    r = post(write_client, keys["ed"], feature("UNK", colour="red"))
    assert r.status_code == 422 and "colour" in r.json()["description"]


def test_bad_enum_422(write_client, keys, unchanged):
    r = post(write_client, keys["ed"], feature("ENUM", mineral="unobtainium"))
    assert r.status_code == 422 and "mineral" in r.json()["description"]


# --- auth and scopes ---------------------------------------------------------------------


def test_expired_and_revoked_keys_are_401(write_client, keys, unchanged):
    for k in ("expired", "revoked"):
        r = post(write_client, keys[k], feature(f"K-{k}"))
        assert r.status_code == 401, k
        assert write_client.get(PITS, headers=h(keys[k])).status_code == 401
    assert post(write_client, "rm_nothing_here", feature("K")).status_code == 401


def test_roles(write_client, keys, unchanged):
    assert post(write_client, keys["view"], feature("R-1")).status_code == 403
    assert post(write_client, keys["insp"], feature("R-2")).status_code == 403
    r = write_client.post(PITS, json=feature("R-3"))
    assert r.status_code == 401


def test_scoped_editor_cannot_write_elsewhere(write_client, write_engine, keys, unchanged):
    other = existing(write_engine, CHANGJI)
    url = f"{PITS}/{other}"
    tag = write_client.get(url).headers["ETag"]
    k = keys["manas"]
    assert post(write_client, k, feature("SC-1", box(*SPOT[CHANGJI]))).status_code == 403
    body = feature("SC-2", box(*SPOT[CHANGJI]))
    put = write_client.put(
        url, content=json.dumps(body), headers=h(k, **{"Content-Type": GEOJSON, "If-Match": tag})
    )
    assert put.status_code == 403
    patch = write_client.patch(
        url,
        json={"properties": {"town": "x"}},
        headers=h(k, **{"If-Match": tag, "Content-Type": "application/merge-patch+json"}),
    )
    assert patch.status_code == 403
    assert write_client.delete(url, headers=h(k, **{"If-Match": tag})).status_code == 403
    # Moving one's own feature out of the county is refused too.
    mine = existing(write_engine, MANAS)
    mtag = write_client.get(f"{PITS}/{mine}").headers["ETag"]
    move = write_client.patch(
        f"{PITS}/{mine}",
        json={"geometry": box(*SPOT[CHANGJI])},
        headers=h(k, **{"If-Match": mtag, "Content-Type": "application/merge-patch+json"}),
    )
    assert move.status_code == 403


def test_scoped_editor_writes_in_own_county(write_client, keys):
    assert post(write_client, keys["manas"], feature("SC-OK")).status_code == 201


def test_database_refuses_out_of_scope_writes_whatever_the_path(write_engine, unchanged):
    """The trigger is the backstop: raw SQL with a county scope cannot touch another county."""
    from sqlalchemy.exc import DBAPIError

    from geo.kernel.db import set_write_context
    from geo.kernel.errors import PermissionDenied, from_database

    with pytest.raises(DBAPIError) as info, write_engine.begin() as conn:
        set_write_context(conn, "sql", None, frozenset({MANAS}))
        conn.execute(text("DELETE FROM features WHERE region_code = :c"), {"c": CHANGJI})
    assert isinstance(from_database(info.value), PermissionDenied)


def test_audit_log_is_append_only(write_engine, unchanged):
    from sqlalchemy.exc import DBAPIError

    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), write_engine.begin() as conn:
            conn.execute(text(sql))


def test_private_layer_needs_a_viewer_key(write_client, write_engine, keys):
    with write_engine.begin() as conn:
        conn.execute(text("UPDATE layers SET public = false WHERE name = 'wetland_parks'"))
    try:  # the catalog learns of it through NOTIFY, after the commit
        until_status(write_client, "/collections/wetland_parks", (401,))
        assert write_client.get("/collections/wetland_parks/items").status_code == 401
        ok = write_client.get("/collections/wetland_parks/items", headers=h(keys["view"]))
        assert ok.status_code == 200
        assert write_client.get("/collections/mining_pits/items?limit=1").status_code == 200
    finally:
        with write_engine.begin() as conn:
            conn.execute(text("UPDATE layers SET public = true WHERE name = 'wetland_parks'"))
        until_status(write_client, "/collections/wetland_parks", (200,))


def test_as_of_reconstructs_the_past(write_client, keys):
    r = post(write_client, keys["ed"], feature("ASOF", town="Before"))
    url, tag = r.headers["Location"], r.headers["ETag"]
    time.sleep(0.05)
    then = datetime.now(UTC)
    time.sleep(0.05)
    ctype = {"Content-Type": "application/merge-patch+json"}
    p = write_client.patch(
        url,
        json={"properties": {"town": "After"}},
        headers=h(keys["ed"], **ctype, **{"If-Match": tag}),
    )
    assert p.status_code == 200
    write_client.delete(url, headers=h(keys["ed"], **{"If-Match": p.headers["ETag"]}))
    fid = url.rsplit("/", 1)[1]
    past = write_client.get(f"{PITS}/{fid}", params={"as_of": then.isoformat()})
    assert past.status_code == 200, past.text
    assert past.json()["properties"]["town"] == "Before"
    items = write_client.get(PITS, params={"as_of": then.isoformat(), "code": "ASOF"}).json()
    assert [f["properties"]["town"] for f in items["features"]] == ["Before"]
    now = write_client.get(PITS, params={"code": "ASOF"}).json()
    assert now["features"] == []
    assert write_client.get(PITS, params={"as_of": "yesterday"}).status_code == 400
