"""Scopes by geometry, in the database (issue 11, item 4): a county-scoped user's feature
must lie wholly within their counties (a few metres of tolerance), whatever the write path.
The reproduction: a MultiPolygon with one part in the editor's county and a 2,000 ha part in
the next county was accepted, because the county came from one point on its surface."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.kernel import auth
from geo.kernel.db import set_write_context
from geo.kernel.errors import PermissionDenied, from_database
from tests.fresh_db import table_counts

PITS = "/collections/mining_pits/items"
MANAS, HUTUBI = "652324", "652323"  # neighbouring counties of Changji prefecture
GEOJSON = "application/geo+json"


def _square(conn, county: str, hectares: float) -> list:
    """Polygon coordinates of a square of ``hectares`` around the county's inscribed centre."""
    x, y = conn.execute(
        text(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT (ST_MaximumInscribedCircle(geom)).center c "
            "FROM regions WHERE code = :c) s"
        ),
        {"c": county},
    ).one()
    side = (hectares * 10_000) ** 0.5
    dy = side / 111_320 / 2
    dx = dy / conn.execute(text("SELECT cos(radians(:y))"), {"y": y}).scalar_one()
    return [
        [[x - dx, y - dy], [x + dx, y - dy], [x + dx, y + dy], [x - dx, y + dy], [x - dx, y - dy]]
    ]


@pytest.fixture(scope="module")
def shapes(write_engine) -> dict:
    with write_engine.begin() as conn:
        inside = _square(conn, MANAS, 3000)  # the larger part: its point on surface
        straddle = {"type": "MultiPolygon", "coordinates": [inside, _square(conn, HUTUBI, 2000)]}
        keys = {
            "manas": auth.create_user(conn, "scope-manas", "editor", [MANAS])[1],
            "admin": auth.create_user(conn, "scope-admin", "admin", None)[1],
        }
    return {
        "inside": {"type": "MultiPolygon", "coordinates": [inside]},
        "straddle": straddle,
        "keys": keys,
    }


def feature(code: str, geometry: dict) -> dict:
    props = {"code": code, "mineral": "sand_gravel", "legacy": True}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def h(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {key}", **extra}


def create(client, key: str, body: dict):
    return client.post(PITS, content=json.dumps(body), headers=h(key, **{"Content-Type": GEOJSON}))


def test_straddling_multipolygon_is_refused_on_insert(write_client, shapes, unchanged):
    r = create(write_client, shapes["keys"]["manas"], feature("SG-1", shapes["straddle"]))
    assert r.status_code == 403, r.text
    assert "beyond your counties" in r.json()["description"]


def test_inside_own_county_is_accepted(write_client, shapes):
    r = create(write_client, shapes["keys"]["manas"], feature("SG-OK", shapes["inside"]))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_own_feature_cannot_grow_into_the_next_county(write_client, write_engine, shapes, method):
    key = shapes["keys"]["manas"]
    r = create(write_client, key, feature(f"SG-{method}", shapes["inside"]))
    assert r.status_code == 201, r.text
    url = r.headers["Location"].split("testserver", 1)[-1]
    before = table_counts(write_engine)
    stored = write_client.get(url).json()["geometry"]
    tag = write_client.get(url).headers["ETag"]
    if method == "PUT":
        body, ctype = feature(f"SG-{method}", shapes["straddle"]), GEOJSON
    else:
        body, ctype = {"geometry": shapes["straddle"]}, "application/merge-patch+json"
    r = write_client.request(
        method,
        url,
        content=json.dumps(body),
        headers=h(key, **{"Content-Type": ctype, "If-Match": tag}),
    )
    assert r.status_code == 403, r.text
    assert write_client.get(url).json()["geometry"] == stored
    assert table_counts(write_engine) == before


def test_import_of_a_straddling_feature_is_refused(write_client, shapes, unchanged):
    doc = {"type": "FeatureCollection", "features": [feature("SG-IMP", shapes["straddle"])]}
    r = write_client.post(
        PITS.replace("/items", "/import"),
        files={"file": ("pits.geojson", json.dumps(doc).encode())},
        headers=h(shapes["keys"]["manas"]),
    )
    assert r.status_code == 403, r.text
    assert "beyond your counties" in r.text


def test_restoration_of_a_straddling_feature_is_refused(write_client, write_engine, shapes):
    # An unscoped admin may create it; the Manas editor may not record work on it.
    r = create(write_client, shapes["keys"]["admin"], feature("SG-REST", shapes["straddle"]))
    assert r.status_code == 201, r.text
    fid = r.json()["id"]
    with write_engine.connect() as conn:
        county = conn.execute(
            text("SELECT region_code FROM features WHERE id = :i"), {"i": fid}
        ).scalar_one()
    assert county == MANAS  # its point on surface is in Manas: the old check let it through
    before = table_counts(write_engine)
    r = write_client.post(
        f"/features/{fid}/restoration",
        json={"status": "not_started", "event_date": "2024-01-01"},
        headers=h(shapes["keys"]["manas"]),
    )
    assert r.status_code == 403, r.text
    assert table_counts(write_engine) == before


def test_raw_sql_is_refused_too(write_engine, shapes, unchanged):
    with pytest.raises(DBAPIError) as info, write_engine.begin() as conn:
        set_write_context(conn, "sql", None, frozenset({MANAS}))
        conn.execute(
            text(
                "INSERT INTO features (layer, code, geom) "
                "VALUES ('mining_pits', :c, ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326))"
            ),
            {"c": f"SG-SQL-{uuid.uuid4().hex[:4]}", "g": json.dumps(shapes["straddle"])},
        )
    assert isinstance(from_database(info.value), PermissionDenied)


@pytest.mark.parametrize(
    ("metres", "tolerance", "outside"), [(2, None, False), (50, None, True), (50, 80, False)]
)
def test_boundary_tolerance_in_metres(write_engine, metres, tolerance, outside):
    """The county itself grown by a little: within the tolerance (5 m unless
    rm.scope_tolerance_m says otherwise) it is inside, beyond it it is not."""
    with write_engine.begin() as conn:
        if tolerance is not None:
            conn.execute(
                text("SELECT set_config('rm.scope_tolerance_m', :t, true)"), {"t": str(tolerance)}
            )
        got = conn.execute(
            text(
                "SELECT rm_outside_scope(ST_Buffer(geom, :d), :scope) FROM regions WHERE code = :c"
            ),
            {"d": metres / 111_320, "scope": MANAS, "c": MANAS},
        ).scalar_one()
    assert got is outside
