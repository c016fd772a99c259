"""OGC API – Features Part 1 (core) and Part 2 (CRS) against the sample layers."""

from __future__ import annotations

import json

import pytest
from pyproj import Geod, Transformer
from sqlalchemy import text

from app.main import create_app
from geo.kernel.config import Settings

COLLECTIONS = [
    "water_source_zones",
    "mining_pits",
    "grassland_occupations",
    "wetland_parks",
    "regions",
]
GK_ZONE_30 = "http://www.opengis.net/def/crs/EPSG/0/4539"  # CGCS2000 / 3-degree GK CM 90E
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOD = Geod(ellps="WGS84")


def _err(resp, status: int, *words: str) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) >= {"code", "description"}
    for w in words:
        assert w in body["description"], body["description"]


def test_landing_page_links(client):
    body = client.get("/").json()
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= rels


def test_conformance_declares_core_geojson_and_crs(client):
    classes = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_collections_lists_the_layers_with_extent_and_crs(client):
    body = client.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids[:5] == COLLECTIONS
    for c in body["collections"][:5]:
        assert c["extent"]["spatial"]["bbox"][0][0] > 73  # Xinjiang lies east of 73°E
        assert CRS84 in c["crs"] and GK_ZONE_30 in c["crs"]
        assert any(link["rel"] == "items" for link in c["links"])


def test_collection_and_unknown_collection(client):
    assert client.get("/collections/mining_pits").json()["id"] == "mining_pits"
    _err(client.get("/collections/nope"), 404, "nope")
    _err(client.get("/collections/nope/items"), 404, "nope")


def test_items_are_geojson_with_region_code_and_area(client, engine):
    resp = client.get("/collections/mining_pits/items", params={"limit": 5})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/geo+json")
    assert resp.headers["content-crs"] == f"<{CRS84}>"
    body = resp.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == 5 == len(body["features"])
    with engine.connect() as conn:
        total = conn.execute(
            text("SELECT count(*) FROM features WHERE layer='mining_pits'")
        ).scalar()
    assert body["numberMatched"] == total
    f = body["features"][0]
    assert f["geometry"]["type"] == "MultiPolygon"
    assert {"region_code", "area_ha", "code", "mineral", "source"} <= set(f["properties"])
    assert any(link["rel"] == "next" for link in body["links"])


def test_every_collection_has_region_code(client):
    for cid in COLLECTIONS:
        feats = client.get(f"/collections/{cid}/items", params={"limit": 3}).json()["features"]
        assert feats and all(f["properties"]["region_code"] for f in feats), cid


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_paging_returns_every_feature_exactly_once(client, engine, collection):
    seen: list = []
    url, params = f"/collections/{collection}/items", {"limit": 37}
    pages = 0
    while url:
        body = client.get(url, params=params).json()
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url, params = (nxt[0], None) if nxt else (None, None)
        pages += 1
        assert pages < 100
    table, key = ("regions", "code") if collection == "regions" else ("features", "id")
    where = "" if collection == "regions" else f"WHERE layer = '{collection}'"
    with engine.connect() as conn:
        expected = list(conn.execute(text(f"SELECT {key} FROM {table} {where}")).scalars())
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(expected)


def test_single_item_and_unknown_item(client):
    first = client.get("/collections/mining_pits/items", params={"limit": 1}).json()["features"][0]
    item = client.get(f"/collections/mining_pits/items/{first['id']}")
    assert item.status_code == 200 and item.json()["id"] == first["id"]
    assert item.headers["content-crs"] == f"<{CRS84}>"
    assert client.get("/collections/regions/items/652324").json()["properties"]["name"]
    _err(client.get("/collections/mining_pits/items/999999999"), 404, "999999999")
    _err(client.get("/collections/mining_pits/items/abc"), 404)
    # A feature of another layer is not an item of this one.
    zone = client.get("/collections/water_source_zones/items", params={"limit": 1}).json()
    _err(client.get(f"/collections/mining_pits/items/{zone['features'][0]['id']}"), 404)


def test_attribute_and_region_filters(client, engine):
    body = client.get(
        "/collections/water_source_zones/items", params={"grade": "1", "region_code": "652324"}
    ).json()
    assert body["features"]
    assert all(
        f["properties"]["grade"] == "1" and f["properties"]["region_code"] == "652324"
        for f in body["features"]
    )
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT count(*) FROM features WHERE layer='water_source_zones' "
                "AND properties->>'grade' = '1' AND region_code = '652324'"
            )
        ).scalar()
    assert body["numberMatched"] == n
    # A prefecture code matches all its counties.
    whole = client.get(
        "/collections/mining_pits/items", params={"region_code": "652300", "limit": 1}
    )
    with engine.connect() as conn:
        total = conn.execute(
            text("SELECT count(*) FROM features WHERE layer='mining_pits'")
        ).scalar()
    assert whole.json()["numberMatched"] == total
    legacy = client.get("/collections/mining_pits/items", params={"legacy": "true", "limit": 1})
    assert legacy.json()["features"][0]["properties"]["legacy"] is True
    _err(client.get("/collections/mining_pits/items", params={"legacy": "maybe"}), 400, "legacy")


def test_bbox_in_crs84_and_in_a_gauss_kruger_zone(client):
    feature = client.get(
        "/collections/wetland_parks/items", params={"functional_zone": "conservation"}
    ).json()["features"][0]
    ring = feature["geometry"]["coordinates"][0][0]
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    small = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    ids = [
        f["id"]
        for f in client.get("/collections/wetland_parks/items", params={"bbox": small}).json()[
            "features"
        ]
    ]
    assert feature["id"] in ids
    # The same box in EPSG:4539, given northing first as EPSG defines that CRS.
    to_gk = Transformer.from_crs(4326, 4539)  # authority axis order: (lat, lon) -> (N, E)
    n1, e1 = to_gk.transform(lat - 0.001, lon - 0.001)
    n2, e2 = to_gk.transform(lat + 0.001, lon + 0.001)
    gk_box = f"{min(n1, n2)},{min(e1, e2)},{max(n1, n2)},{max(e1, e2)}"
    resp = client.get(
        "/collections/wetland_parks/items", params={"bbox": gk_box, "bbox-crs": GK_ZONE_30}
    )
    assert feature["id"] in [f["id"] for f in resp.json()["features"]]
    far = client.get("/collections/wetland_parks/items", params={"bbox": "75,36,75.1,36.1"})
    assert far.json()["features"] == []


@pytest.mark.parametrize("srid", [4539, 4538, 4518])
def test_crs_round_trip_in_gauss_kruger_within_a_centimetre(client, engine, srid):
    uri = f"http://www.opengis.net/def/crs/EPSG/0/{srid}"
    body = client.get("/collections/mining_pits/items", params={"limit": 20, "crs": uri})
    assert body.headers["content-crs"] == f"<{uri}>"
    back = Transformer.from_crs(srid, 4326)  # (N, E) -> (lat, lon), EPSG axis order
    with engine.connect() as conn:
        for f in body.json()["features"]:
            raw = json.loads(
                conn.execute(
                    text("SELECT ST_AsGeoJSON(geom, 15) FROM features WHERE id = :i"),
                    {"i": f["id"]},
                ).scalar_one()
            )
            got = f["geometry"]["coordinates"][0][0][:5]
            want = raw["coordinates"][0][0][:5]
            for (northing, easting), (lon, lat) in zip(got, want, strict=True):
                assert northing > 4_000_000  # northing first
                lat2, lon2 = back.transform(northing, easting)
                _, _, dist = GEOD.inv(lon, lat, lon2, lat2)
                assert dist < 0.01


def test_epsg_4326_and_4490_are_latitude_first(client):
    plain = client.get("/collections/mining_pits/items", params={"limit": 1}).json()
    lon, lat = plain["features"][0]["geometry"]["coordinates"][0][0][0]
    for srid in (4326, 4490):
        uri = f"http://www.opengis.net/def/crs/EPSG/0/{srid}"
        body = client.get("/collections/mining_pits/items", params={"limit": 1, "crs": uri}).json()
        y, x = body["features"][0]["geometry"]["coordinates"][0][0][0]
        assert (y, x) == pytest.approx((lat, lon), abs=1e-6)


def test_datetime_filters_on_the_temporal_property(client, engine):
    body = client.get(
        "/collections/grassland_occupations/items",
        params={"datetime": "../2015-12-31", "limit": 1000},
    ).json()
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT count(*) FROM features WHERE layer='grassland_occupations' "
                "AND (properties->>'occupied_since')::date <= '2015-12-31'"
            )
        ).scalar()
    assert body["numberReturned"] == n
    _err(
        client.get("/collections/mining_pits/items", params={"datetime": "2020-01-01"}),
        400,
        "temporal",
    )
    _err(
        client.get("/collections/grassland_occupations/items", params={"datetime": "yesterday"}),
        400,
        "datetime",
    )


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "3,3,1,1"}, "bbox"),
        ({"crs": "EPSG:999999"}, "crs"),
        ({"bbox": "80,40,90,50", "bbox-crs": "urn:nonsense"}, "bbox-crs"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"colour": "red"}, "colour"),
        ({"f": "pdf"}, "f"),
    ],
)
def test_bad_parameters_get_400_naming_them(client, params, name):
    _err(client.get("/collections/mining_pits/items", params=params), 400, name)


def test_unknown_parameter_on_other_endpoints(client):
    _err(client.get("/collections", params={"x": "1"}), 400, "x")
    _err(client.get("/", params={"x": "1"}), 400, "x")


def test_openapi_declares_limit_default_and_maximum(client):
    api = client.get("/api").json()
    params = api["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    limit = next(p for p in params if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 10000
    assert limit["schema"]["default"] == 100


def test_html_for_browsers(client):
    for path in ("/", "/collections", "/collections/mining_pits", "/collections/mining_pits/items"):
        resp = client.get(path, headers={"accept": "text/html,application/xhtml+xml"})
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html"), (
            path
        )
    page = client.get("/collections/mining_pits/items", params={"f": "html", "limit": 3}).text
    assert "mineral" in page and "PIT-" in page


def test_healthz(client):
    assert client.get("/healthz").json()["database"] is True


def test_database_down_is_503_and_shows_no_internals():
    from fastapi.testclient import TestClient

    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        health = c.get("/healthz")
        assert health.status_code == 503
        resp = c.get("/collections")
        assert resp.status_code == 503
        assert "127.0.0.1" not in resp.text and "Traceback" not in resp.text


def test_web_maps_on_other_origins_may_read_without_credentials(client):
    pre = client.options(
        "/collections/mining_pits/items",
        headers={
            "Origin": "https://maps.example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in pre.headers
    got = client.get("/collections/mining_pits/items?limit=1", headers={"Origin": "https://x.org"})
    assert got.headers["access-control-allow-origin"] == "*"
    assert "content-crs" in got.headers["access-control-expose-headers"].lower()
