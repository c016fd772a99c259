"""OGC API – Tiles: vector tiles decoded and checked against the sample layers."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app

LAYERS = ["water_source_zones", "mining_pits", "grassland_occupations", "wetland_parks", "regions"]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
    return z, y, x


def tile_url(coll: str, z: int, y: int, x: int) -> str:
    return f"/collections/{coll}/tiles/WebMercatorQuad/{z}/{y}/{x}"


def sample_point(engine, layer: str) -> tuple[int, str, float, float]:
    with engine.connect() as conn:
        fid, code, lon, lat = conn.execute(
            text(
                "SELECT id, code, ST_X(p), ST_Y(p) FROM (SELECT id, code, "
                "ST_PointOnSurface(geom) p FROM features WHERE layer = :l ORDER BY id LIMIT 1) s"
            ),
            {"l": layer},
        ).one()
    return fid, code, lon, lat


def decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body)


@pytest.mark.parametrize("layer", [x for x in LAYERS if x != "regions"])
def test_tile_over_a_feature_holds_it(client, engine, layer):
    fid, code, lon, lat = sample_point(engine, layer)
    r = client.get(tile_url(layer, *tile_of(lon, lat, 12)))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    tile = decode(r.content)
    assert list(tile) == [layer]
    by_id = {f["id"]: f for f in tile[layer]["features"]}
    assert fid in by_id
    props = by_id[fid]["properties"]
    assert props["code"] == code
    assert props["id"] == fid
    assert props["region_code"].startswith("6523")
    assert "source" not in props and "updated_at" not in props
    assert by_id[fid]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    # sample data says so in every tile feature (the popup reads it)
    assert all(f["properties"].get("sample") is True for f in tile[layer]["features"])


def test_regions_tile_and_layer_attributes(client):
    r = client.get(tile_url("regions", *tile_of(86.3, 44.3, 7)))  # Manas
    tile = decode(r.content)
    codes = {f["properties"]["code"] for f in tile["regions"]["features"]}
    assert "652324" in codes
    manas = next(f for f in tile["regions"]["features"] if f["properties"]["code"] == "652324")
    assert manas["properties"]["level"] == "county"


def test_water_zone_tile_carries_grade(client, engine):
    _, _, lon, lat = sample_point(engine, "water_source_zones")
    tile = decode(client.get(tile_url("water_source_zones", *tile_of(lon, lat, 11))).content)
    grades = {f["properties"].get("grade") for f in tile["water_source_zones"]["features"]}
    assert grades & {"1", "2", "quasi"}


def test_empty_tile_far_away(client):
    r = client.get(tile_url("mining_pits", *tile_of(-30.0, 10.0, 8)))  # the Atlantic
    assert r.status_code == 204
    assert r.content == b""
    assert "etag" in r.headers


def test_simplification_adapts_to_zoom(client, engine):
    """The whole prefecture at a low zoom holds fewer vertices per region than close up."""

    def vertices(geom):
        coords = geom["coordinates"]
        if geom["type"] == "Polygon":
            coords = [coords]
        return sum(len(ring) for poly in coords for ring in poly)

    far = decode(client.get(tile_url("regions", *tile_of(87.3, 44.0, 5))).content)
    county_far = next(f for f in far["regions"]["features"] if f["properties"]["code"] == "652324")
    near_t = tile_of(86.2, 44.3, 9)
    near = decode(client.get(tile_url("regions", *near_t)).content)
    county_near = next(
        f for f in near["regions"]["features"] if f["properties"]["code"] == "652324"
    )
    assert vertices(county_far["geometry"]) < vertices(county_near["geometry"])


@pytest.mark.parametrize(
    "path, status",
    [
        ("/collections/mining_pits/tiles/WebMercatorQuad/x/1/1", 400),
        ("/collections/mining_pits/tiles/WebMercatorQuad/3/1/-1", 404),
        ("/collections/mining_pits/tiles/WebMercatorQuad/25/0/0", 404),
        ("/collections/mining_pits/tiles/WebMercatorQuad/-1/0/0", 404),
        ("/collections/mining_pits/tiles/WebMercatorQuad/3/8/0", 404),
        ("/collections/mining_pits/tiles/WebMercatorQuad/3/0/8", 404),
        ("/collections/mining_pits/tiles/WorldCRS84Quad/3/0/0", 404),
        ("/collections/nope/tiles/WebMercatorQuad/3/0/0", 404),
        ("/collections/mining_pits/tiles/WebMercatorQuad/3/0/0?foo=1", 400),
    ],
)
def test_invalid_tiles(client, path, status):
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.json()["code"]


def test_feature_cap(settings, engine):
    _, _, lon, lat = sample_point(engine, "mining_pits")
    z, y, x = tile_of(lon, lat, 6)
    capped = settings.model_copy(update={"tiles_max_features": 5})
    with TestClient(create_app(capped)) as c:
        r = c.get(tile_url("mining_pits", z, y, x))
    assert r.status_code == 200
    assert "x-tile-truncated" in r.headers
    assert 0 < len(decode(r.content)["mining_pits"]["features"]) <= 5


def test_tiles_without_the_cache_are_the_same_tiles(client, settings, engine):
    _, _, lon, lat = sample_point(engine, "water_source_zones")
    path = tile_url("water_source_zones", *tile_of(lon, lat, 11))
    uncached = settings.model_copy(update={"tile_cache_mb": 0})
    with TestClient(create_app(uncached)) as c:
        r = c.get(path)
        assert c.app.state.tile_cache.hits == c.app.state.tile_cache.misses == 0
    assert r.status_code == 200 and r.content == client.get(path).content


def test_etag_304_and_invalidation_after_an_edit(client, engine):
    fid, code, lon, lat = sample_point(engine, "mining_pits")
    path = tile_url("mining_pits", *tile_of(lon, lat, 12))
    first = client.get(path)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    with engine.begin() as conn:
        old = conn.execute(text("SELECT name FROM features WHERE id = :id"), {"id": fid}).scalar()
        conn.execute(
            text("UPDATE features SET name = 'renamed by the tile test' WHERE id = :id"),
            {"id": fid},
        )
    try:
        changed = client.get(path, headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        feats = {f["id"]: f for f in decode(changed.content)["mining_pits"]["features"]}
        assert feats[fid]["properties"]["name"] == "renamed by the tile test"
    finally:
        with engine.begin() as conn:
            restore = text("UPDATE features SET name = :n WHERE id = :id")
            conn.execute(restore, {"n": old, "id": fid})
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_tiles_are_served_from_the_cache_until_their_data_changes(client, engine):
    """A repeated tile comes from the cache; any write to the layer (here plain SQL) bumps
    its data version, so the next request builds the tile anew."""
    cache = client.app.state.tile_cache
    fid, _, lon, lat = sample_point(engine, "mining_pits")
    path = tile_url("mining_pits", *tile_of(lon, lat, 13))
    first = client.get(path)
    hits = cache.hits
    assert client.get(path).content == first.content
    assert cache.hits == hits + 1
    with engine.begin() as conn:
        old = conn.execute(text("SELECT name FROM features WHERE id = :id"), {"id": fid}).scalar()
        conn.execute(text("UPDATE features SET name = 'cache test' WHERE id = :id"), {"id": fid})
    try:
        misses = cache.misses
        changed = client.get(path)
        assert cache.misses == misses + 1
        feats = {f["id"]: f for f in decode(changed.content)["mining_pits"]["features"]}
        assert feats[fid]["properties"]["name"] == "cache test"
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE features SET name = :n WHERE id = :id"), {"n": old, "id": fid}
            )
    # Another layer's tiles were not invalidated by this layer's change.
    zone = sample_point(engine, "water_source_zones")
    zone_path = tile_url("water_source_zones", *tile_of(zone[2], zone[3], 13))
    client.get(zone_path)
    hits = cache.hits
    with engine.begin() as conn:
        conn.execute(text("UPDATE features SET name = name WHERE id = :id"), {"id": fid})
    client.get(zone_path)
    assert cache.hits == hits + 1


def test_tileset_documents(client):
    sets = client.get("/collections/mining_pits/tiles").json()
    ts = sets["tilesets"][0]
    assert ts["dataType"] == "vector"
    assert ts["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    item = next(x for x in ts["links"] if x["rel"] == "item")
    assert item["href"].endswith("/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    assert item["type"] == "application/vnd.mapbox-vector-tile"
    assert client.get("/collections/mining_pits/tiles/WebMercatorQuad").status_code == 200

    tms = client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad"
    assert tms["tileMatrices"][3]["matrixWidth"] == 8
    assert client.get("/tileMatrixSets").json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"
    assert client.get("/tileMatrixSets/Foo").status_code == 404


def test_tilejson(client):
    tj = client.get("/collections/wetland_parks/tiles/WebMercatorQuad/tilejson.json").json()
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"][0].endswith("/collections/wetland_parks/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert tj["vector_layers"][0]["id"] == "wetland_parks"
    assert "functional_zone" in tj["vector_layers"][0]["fields"]
    lon0, lat0, lon1, lat1 = tj["bounds"]
    assert 85 < lon0 < lon1 < 92 and 42 < lat0 < lat1 < 46


def test_collections_link_their_tiles_and_conformance(client):
    doc = client.get("/collections/mining_pits").json()
    rels = {x["rel"] for x in doc["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector" in rels
    conf = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conf
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core" in conf


def test_style_has_every_layer_and_no_glyphs(client):
    style = client.get("/styles/default.json").json()
    assert style["version"] == 8
    assert "glyphs" not in style and "sprite" not in style
    assert not [x for x in style["layers"] if x["type"] == "symbol"]
    for layer in LAYERS:
        assert layer in style["sources"]
        assert any(x.get("source") == layer for x in style["layers"])
    assert "basemap" not in style["sources"]


def test_style_with_a_basemap(settings):
    with_base = settings.model_copy(update={"basemap_url": "http://tiles.local/{z}/{x}/{y}.png"})
    with TestClient(create_app(with_base)) as c:
        style = c.get("/styles/default.json").json()
        assert style["sources"]["basemap"]["tiles"] == ["http://tiles.local/{z}/{x}/{y}.png"]
        assert "basemap" not in c.get("/styles/default.json?basemap=false").json()["sources"]
