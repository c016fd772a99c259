"""OGC API – Features Part 3: CQL2 filters, queryables, sortby and property selection.
Every result is checked against an independent SQL or Python computation."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box, shape
from sqlalchemy import text


def _all(client, collection: str, **params) -> list[dict]:
    """Every feature of a query, following next links."""
    out, url, p = [], f"/collections/{collection}/items", {"limit": 50, **params}
    while url:
        resp = client.get(url, params=p)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out += body["features"]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url, p = (nxt[0], None) if nxt else (None, None)
    return out


def _codes(engine, sql: str, **params) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text(sql), params).scalars())


def _props(engine, layer: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT code, region_code, area_m2, properties FROM features WHERE layer = :l"),
            {"l": layer},
        ).all()
    return [{"code": c, "region_code": r, "area_ha": a / 1e4, **p} for c, r, a, p in rows]


@pytest.mark.parametrize(
    ("cql", "predicate"),
    [
        ("mineral = 'coal'", lambda p: p["mineral"] == "coal"),
        (
            "mineral <> 'coal' AND area_ha > 20",
            lambda p: p["mineral"] != "coal" and p["area_ha"] > 20,
        ),
        ("region_code IN ('652324', '652327')", lambda p: p["region_code"] in ("652324", "652327")),
        ("area_ha BETWEEN 5 AND 10", lambda p: 5 <= p["area_ha"] <= 10),
        ("NOT (legacy = true)", lambda p: p["legacy"] is not True),
        ("pit_depth_m IS NULL", lambda p: p.get("pit_depth_m") is None),
        ("code LIKE 'PIT-652301-%'", lambda p: p["code"].startswith("PIT-652301-")),
        ("CASEI(mineral) = CASEI('COAL')", lambda p: p["mineral"] == "coal"),
        (
            "reported_area_ha < area_ha * 0.7",
            lambda p: (p.get("reported_area_ha") or 1e9) < p["area_ha"] * 0.7,
        ),
    ],
)
def test_cql2_text_attribute_filters(client, engine, cql, predicate):
    got = {f["properties"]["code"] for f in _all(client, "mining_pits", filter=cql)}
    want = {p["code"] for p in _props(engine, "mining_pits") if predicate(p)}
    assert want, "the check needs a non-empty answer to mean something"
    assert got == want


def test_cql2_json_equals_cql2_text(client):
    text_q = _all(client, "water_source_zones", filter="grade = '1' AND region_code = '652324'")
    json_q = _all(
        client,
        "water_source_zones",
        **{
            "filter-lang": "cql2-json",
            "filter": json.dumps(
                {
                    "op": "and",
                    "args": [
                        {"op": "=", "args": [{"property": "grade"}, "1"]},
                        {"op": "=", "args": [{"property": "region_code"}, "652324"]},
                    ],
                }
            ),
        },
    )
    assert {f["id"] for f in text_q} == {f["id"] for f in json_q} != set()


def test_spatial_filters_match_shapely(client, engine):
    area = box(86.0, 44.0, 86.6, 44.5)
    got = {
        f["properties"]["code"]
        for f in _all(
            client, "mining_pits", filter="S_INTERSECTS(geometry, BBOX(86.0, 44.0, 86.6, 44.5))"
        )
    }
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT code, ST_AsGeoJSON(geom) FROM features WHERE layer = 'mining_pits'")
        ).all()
    want = {c for c, g in rows if shape(json.loads(g)).intersects(area)}
    assert want and got == want
    polygon = "POLYGON((86 44, 86.6 44, 86.6 44.5, 86 44.5, 86 44))"
    within = {
        f["properties"]["code"]
        for f in _all(client, "mining_pits", filter=f"S_WITHIN(geometry, {polygon})")
    }
    assert within == {c for c, g in rows if shape(json.loads(g)).within(area)}


def test_filter_crs_gauss_kruger(client):
    """The same box given in EPSG:4538 (northing first) selects the same pits."""
    from pyproj import Transformer

    to_gk = Transformer.from_crs(4326, 4538)
    (n1, e1), (n2, e2) = to_gk.transform(44.0, 86.0), to_gk.transform(44.5, 86.6)
    plain = _all(
        client, "mining_pits", filter="S_INTERSECTS(geometry, BBOX(86.0, 44.0, 86.6, 44.5))"
    )
    gk = _all(
        client,
        "mining_pits",
        **{
            "filter": f"S_INTERSECTS(geometry, BBOX({min(n1, n2)}, {min(e1, e2)}, {max(n1, n2)}, {max(e1, e2)}))",
            "filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4538",
        },
    )
    # Box edges are straight in each CRS, so only features right at the edge may differ.
    a, b = {f["id"] for f in plain}, {f["id"] for f in gk}
    assert len(a ^ b) <= 2 and len(a & b) > 10


def test_temporal_filters(client, engine):
    got = {
        f["properties"]["code"]
        for f in _all(
            client, "grassland_occupations", filter="T_AFTER(occupied_since, DATE('2019-01-01'))"
        )
    }
    want = _codes(
        engine,
        "SELECT code FROM features WHERE layer = 'grassland_occupations' "
        "AND (properties->>'occupied_since')::date > '2019-01-01'",
    )
    assert want and got == want
    during = _all(
        client,
        "grassland_occupations",
        filter="T_DURING(occupied_since, INTERVAL('2015-01-01', '2019-01-01'))",
    )
    assert all("2015-01-01" < f["properties"]["occupied_since"] < "2019-01-01" for f in during)


@pytest.mark.parametrize(
    ("cql", "words"),
    [
        ("colour = 'red'", ["unknown property 'colour'"]),
        ("mineral > 3", ["mineral is a string"]),
        ("area_ha = 'big'", ["area_ha is a number"]),
        ("mineral = ", ["cannot parse"]),
        ("S_INTERSECTS(mineral, POINT(86 44))", ["not a geometry"]),
        ("mineral LIKE 3", ["like"]),
        ("T_AFTER(mineral, DATE('2020-01-01'))", ["needs a date property"]),
    ],
)
def test_bad_filters_are_400_naming_the_problem(client, cql, words):
    resp = client.get("/collections/mining_pits/items", params={"filter": cql})
    assert resp.status_code == 400, resp.text
    for w in words:
        assert w in resp.json()["description"]


def test_bad_filter_lang_and_json(client):
    r = client.get("/collections/mining_pits/items", params={"filter": "x", "filter-lang": "ecql"})
    assert r.status_code == 400 and "filter-lang" in r.json()["description"]
    r = client.get(
        "/collections/mining_pits/items", params={"filter": "{nope", "filter-lang": "cql2-json"}
    )
    assert r.status_code == 400 and "not valid JSON" in r.json()["description"]


def test_filter_values_are_bound_not_pasted(client, engine):
    hostile = "code = 'x'';DROP TABLE features;--'"
    resp = client.get("/collections/mining_pits/items", params={"filter": hostile})
    assert resp.status_code == 200 and resp.json()["features"] == []
    assert _codes(engine, "SELECT 'ok' FROM features LIMIT 1") == {"ok"}


def test_queryables_document(client):
    doc = client.get("/collections/grassland_occupations/queryables").json()
    assert doc["$schema"].startswith("https://json-schema.org/")
    props = doc["properties"]
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    assert props["approval_status"]["enum"] == ["approved", "temporary", "none"]
    assert {"region_code", "code", "area_ha", "occupied_since"} <= set(props)


@pytest.mark.parametrize(
    ("collection", "sortby", "key"),
    [
        ("mining_pits", "-area_ha", "area_ha"),
        ("grassland_occupations", "reported_area_ha,code", "reported_area_ha"),
        ("grassland_occupations", "-reported_area_ha", "reported_area_ha"),
        ("mining_pits", "region_code,-pit_depth_m", "pit_depth_m"),
    ],
)
def test_sortby_pages_through_everything_in_order(client, engine, collection, sortby, key):
    feats = _all(client, collection, sortby=sortby, limit=17)
    ids = [f["id"] for f in feats]
    assert len(ids) == len(set(ids))
    with engine.connect() as conn:
        total = conn.execute(
            text("SELECT count(*) FROM features WHERE layer = :l"), {"l": collection}
        ).scalar()
    assert len(ids) == total
    # Independent order check: NULLs last, then the direction asked for.
    specs = [(s.lstrip("+-"), s.startswith("-")) for s in sortby.split(",")]
    for a, b in zip(feats, feats[1:], strict=False):
        for name, desc in specs:
            va, vb = a["properties"].get(name), b["properties"].get(name)
            if va == vb:
                continue
            if va is None or vb is None:
                assert vb is None, f"NULLs must come last ({name})"
            else:
                assert (va > vb) if desc else (va < vb), (name, va, vb)
            break


def test_properties_selects_members(client):
    body = client.get(
        "/collections/mining_pits/items", params={"properties": "code,mineral", "limit": 3}
    ).json()
    assert all(set(f["properties"]) == {"code", "mineral"} for f in body["features"])
    bad = client.get("/collections/mining_pits/items", params={"properties": "code,colour"})
    assert bad.status_code == 400 and "colour" in bad.json()["description"]


def test_conformance_declares_part_3(client):
    classes = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in classes
