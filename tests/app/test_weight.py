"""Weight and caching (issue 13, item 9): one dataset tile for every layer, tiles and static
files cacheable by version, brotli/gzip by Accept-Encoding."""

from __future__ import annotations

import mapbox_vector_tile
from sqlalchemy import text

from tests.tiles.test_tiles import LAYERS, sample_point, tile_of, tile_url

IMMUTABLE = "public, max-age=31536000, immutable"


def _dataset_style(client) -> dict:
    return client.get("/styles/default.json?tiles=dataset").json()


def _dataset_url(client, z: int, y: int, x: int) -> str:
    template = _dataset_style(client)["sources"]["dataset"]["tiles"][0]
    path = template.split("://", 1)[1].split("/", 1)[1]
    return "/" + path.replace("{z}", str(z)).replace("{y}", str(y)).replace("{x}", str(x))


def test_dataset_tile_has_one_layer_per_collection_equal_to_the_collection_tiles(client, engine):
    _, _, lon, lat = sample_point(engine, "mining_pits")
    z, y, x = tile_of(lon, lat, 9)
    r = client.get(f"/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    combined = mapbox_vector_tile.decode(r.content)
    assert "mining_pits" in combined and "regions" in combined
    for layer in LAYERS:
        alone = client.get(tile_url(layer, z, y, x))
        ids = (
            {
                f["id"]
                for f in mapbox_vector_tile.decode(alone.content).get(layer, {}).get("features", [])
            }
            if alone.status_code == 200
            else set()
        )
        assert {f["id"] for f in combined.get(layer, {}).get("features", [])} == ids, layer


def test_dataset_tileset_lists_every_public_layer(client):
    doc = client.get("/tiles/WebMercatorQuad").json()
    assert {lyr["id"] for lyr in doc["layers"]} >= set(LAYERS)
    item = next(x for x in doc["links"] if x["rel"] == "item")
    assert item["href"].endswith("/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    assert client.get("/tiles").json()["tilesets"][0]["layers"]
    assert client.get("/tiles/NotATms").status_code == 404
    assert client.get("/tiles/WebMercatorQuad/3/0/9").status_code == 404
    assert client.get("/tiles/WebMercatorQuad/3/0/0?x=1").status_code == 400
    conf = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets" in conf


def test_dataset_style_uses_one_source_and_keeps_every_layer(client):
    per_layer = client.get("/styles/default.json").json()
    style = _dataset_style(client)
    vector = [k for k, s in style["sources"].items() if s.get("type") == "vector"]
    assert vector == ["dataset"]
    assert [x["id"] for x in style["layers"]] == [x["id"] for x in per_layer["layers"]]
    collections = {c["id"] for c in client.get("/collections").json()["collections"]}
    for layer in style["layers"]:
        if "source-layer" in layer:
            assert layer["source"] == "dataset" and layer["source-layer"] in collections
    assert client.get("/styles/default.json?tiles=nope").status_code in (400, 422)


def test_versioned_tiles_are_immutable_until_the_data_changes(client, engine):
    fid, _, lon, lat = sample_point(engine, "mining_pits")
    path = _dataset_url(client, *tile_of(lon, lat, 12))
    assert "?v=" in path
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["cache-control"] == IMMUTABLE
    assert client.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    unversioned = client.get(path.split("?")[0])
    assert unversioned.headers["cache-control"] == "public, no-cache"
    assert unversioned.headers["etag"] == first.headers["etag"]
    # per-collection URLs in the default style carry their layer's version too
    coll_tpl = client.get("/styles/default.json").json()["sources"]["mining_pits"]["tiles"][0]
    assert "?v=" in coll_tpl
    with engine.begin() as conn:
        old = conn.execute(text("SELECT name FROM features WHERE id = :id"), {"id": fid}).scalar()
        conn.execute(text("UPDATE features SET name = 'weight test' WHERE id = :id"), {"id": fid})
    try:
        new_path = _dataset_url(client, *tile_of(lon, lat, 12))
        assert new_path != path  # the style moved the map to new URLs
        stale = client.get(path)  # an old URL gets the current bytes, revalidated
        assert stale.headers["cache-control"] == "public, no-cache"
        assert stale.headers["etag"] != first.headers["etag"]
        fresh = client.get(new_path)
        assert fresh.headers["cache-control"] == IMMUTABLE
        feats = mapbox_vector_tile.decode(fresh.content)["mining_pits"]["features"]
        assert {f["id"]: f for f in feats}[fid]["properties"]["name"] == "weight test"
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE features SET name = :n WHERE id = :id"), {"n": old, "id": fid}
            )


def test_static_files_are_versioned_and_immutable(client):
    page = client.get("/dashboard").text
    src = next(p.split('"')[0] for p in page.split('src="')[1:] if "dashboard.js" in p)
    assert src.startswith("/static/dashboard.js?v=")
    r = client.get(src)
    assert r.status_code == 200 and r.headers["cache-control"] == IMMUTABLE
    assert client.get("/static/dashboard.js").headers["cache-control"] == "public, no-cache"
    assert client.get("/static/dashboard.js?v=0ld").headers["cache-control"] == "public, no-cache"


def test_brotli_when_accepted_else_gzip(client):
    br = client.get("/static/vendor/maplibre-gl.js", headers={"Accept-Encoding": "br"})
    assert br.headers["content-encoding"] == "br"
    gz = client.get("/static/vendor/maplibre-gl.js", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip"
    plain = client.get("/static/vendor/maplibre-gl.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    # httpx decodes br when the brotli package is installed: the bytes are the file's
    assert br.content == plain.content == gz.content
    raw = client.get(
        "/collections", headers={"Accept-Encoding": "br", "Accept": "application/json"}
    )
    assert raw.headers.get("content-encoding") == "br"


def test_dataset_tile_with_a_collections_selection(client, engine):
    _, _, lon, lat = sample_point(engine, "mining_pits")
    z, y, x = tile_of(lon, lat, 9)
    path = f"/tiles/WebMercatorQuad/{z}/{y}/{x}"
    r = client.get(path, params={"collections": "mining_pits,regions"})
    assert r.status_code == 200, r.text
    assert set(mapbox_vector_tile.decode(r.content)) == {"mining_pits", "regions"}
    alone = client.get(tile_url("mining_pits", z, y, x)).content
    assert (
        mapbox_vector_tile.decode(r.content)["mining_pits"]
        == (mapbox_vector_tile.decode(alone)["mining_pits"])
    )
    for bad in ("nope", "mining_pits,nope", ""):
        refused = client.get(path, params={"collections": bad})
        assert refused.status_code == 400, bad
        assert "collections" in refused.text
