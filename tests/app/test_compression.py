"""Response compression (app/compression.py): gzip or brotli by Accept-Encoding, whole and
streamed bodies, small bodies and 304s left alone, the bytes always those of the plain
response."""

from __future__ import annotations

import gzip
import json

import brotli

from app.compression import choose
from tests.tiles.test_tiles import sample_point, tile_of, tile_url

ITEMS = "/collections/mining_pits/items?limit=50"


def _raw(client, path: str, encoding: str, **headers):
    """The response with its body as sent (not decoded by the client)."""
    with client.stream("GET", path, headers={"Accept-Encoding": encoding, **headers}) as r:
        return r, b"".join(r.iter_raw())


def test_streamed_items_page_is_gzip_and_decodes_to_the_plain_page(client):
    plain = client.get(ITEMS, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    r, body = _raw(client, ITEMS, "gzip")
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    page = json.loads(gzip.decompress(body))
    assert page["features"] == plain.json()["features"]
    assert len(body) < len(plain.content)


def test_brotli_preferred_when_accepted(client):
    r, body = _raw(client, ITEMS, "gzip, deflate, br")
    assert r.headers["content-encoding"] == "br"
    assert json.loads(brotli.decompress(body))["type"] == "FeatureCollection"


def test_whole_body_tile_is_gzip_with_its_length_and_etag(client, engine):
    _, _, lon, lat = sample_point(engine, "mining_pits")
    z, y, x = tile_of(lon, lat, 10)
    url = tile_url("mining_pits", z, y, x)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    r, body = _raw(client, url, "gzip")
    if len(plain.content) >= 1024:
        assert r.headers["content-encoding"] == "gzip"
        assert int(r.headers["content-length"]) == len(body)
    decoded = gzip.decompress(body) if r.headers.get("content-encoding") else body
    assert decoded == plain.content
    assert r.headers["etag"] == plain.headers["etag"]
    # A revalidation answers 304 with no body, whatever the encoding asked for.
    again, body = _raw(client, url, "gzip", **{"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and body == b""
    assert "content-encoding" not in again.headers


def test_small_bodies_are_sent_as_they_are(client):
    r, body = _raw(client, "/healthz", "gzip")
    assert r.status_code == 200
    assert "content-encoding" not in r.headers
    assert json.loads(body)


def test_accept_encoding_parsing():
    assert choose("gzip;q=0, br;q=0") is None
    assert choose("identity") is None
    assert choose("*") == "gzip"
    assert choose("GZIP") == "gzip"
    assert choose("br;q=0.0, gzip") == "gzip"
