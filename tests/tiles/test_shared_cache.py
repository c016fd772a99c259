"""The tile cache shared by worker processes (geo/tiles/filecache.py): a tile built by one
process is served by another; an edit through one changes what the other serves; the size
bound holds under writers in several processes; a damaged or partial file is never served.
Its own database (the tests write)."""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from geo.tiles.filecache import HEADER, FileTileCache
from geo.tiles.mvt import Tile
from tests.fresh_db import make_key
from tests.tiles.test_tiles import sample_point, tile_of, tile_url

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "shared-cache-metrics"
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "tiles"


@pytest.fixture
def two_apps(write_settings, cache_dir):
    shared = write_settings.model_copy(update={"tile_cache_dir": str(cache_dir)})
    with TestClient(create_app(shared)) as a, TestClient(create_app(shared)) as b:
        yield a, b


def names_in(tile: bytes, layer: str) -> dict[int, str]:
    feats = mapbox_vector_tile.decode(tile)[layer]["features"]
    return {f["id"]: f["properties"].get("name") for f in feats}


def rename(client, headers: dict, fid: int, name: str) -> None:
    """An edit through the API (OGC API Part 4) of the given app or server."""
    url = f"/collections/mining_pits/items/{fid}"
    tag = client.get(url).headers["ETag"]
    r = client.patch(
        url, json={"properties": {"name": name}}, headers={**headers, **MERGE, "If-Match": tag}
    )
    assert r.status_code == 200, r.text


def tile_files(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.glob("*/*.tile"))


def test_a_tile_built_by_one_app_is_served_by_the_other(two_apps, write_engine, cache_dir):
    a, b = two_apps
    _, _, lon, lat = sample_point(write_engine, "mining_pits")
    path = tile_url("mining_pits", *tile_of(lon, lat, 12))
    first = a.get(path)
    assert first.status_code == 200
    assert a.app.state.tile_cache.misses == 1 and len(tile_files(cache_dir)) == 1
    second = b.get(path)
    assert (b.app.state.tile_cache.hits, b.app.state.tile_cache.misses) == (1, 0)
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]


def test_after_an_edit_through_one_app_the_other_serves_the_new_tile(
    two_apps, write_engine, cache_dir
):
    a, b = two_apps
    fid, _, lon, lat = sample_point(write_engine, "mining_pits")
    path = tile_url("mining_pits", *tile_of(lon, lat, 13))
    before = b.get(path).content
    assert a.get(path).content == before  # a: from b's file
    editor = make_key(write_engine, f"tile-editor-{uuid.uuid4().hex[:8]}", "editor")
    rename(a, editor, fid, "renamed through app a")
    misses = b.app.state.tile_cache.misses
    after = b.get(path)
    assert b.app.state.tile_cache.misses == misses + 1  # a new key: built, not served stale
    assert names_in(after.content, "mining_pits")[fid] == "renamed through app a"
    assert a.get(path).content == after.content
    assert len(tile_files(cache_dir)) == 2  # the old tile's file stays until evicted


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "empty", "header only"])
def test_a_damaged_or_partial_file_is_never_served(two_apps, write_engine, cache_dir, damage):
    a, b = two_apps
    _, _, lon, lat = sample_point(write_engine, "water_source_zones")
    path = tile_url("water_source_zones", *tile_of(lon, lat, 11))
    good = a.get(path).content
    (file,) = tile_files(cache_dir)
    blob = file.read_bytes()
    bad = {
        "flip a byte": blob[:-1] + bytes([blob[-1] ^ 0xFF]),
        "cut short": blob[: len(blob) // 2],
        "empty": b"",
        "header only": blob[: HEADER.size],
    }[damage]
    file.write_bytes(bad)
    misses = b.app.state.tile_cache.misses
    r = b.get(path)
    assert r.status_code == 200 and r.content == good
    assert b.app.state.tile_cache.misses == misses + 1
    assert file.read_bytes() == blob  # rebuilt and stored whole again


def _put_many(directory: str, max_bytes: int, worker: int, count: int) -> None:
    cache = FileTileCache(directory, max_bytes)
    for i in range(count):
        cache.put(f"{worker:02x}{i:062x}", Tile(os.urandom(1000 + 37 * i), i, False))


def test_the_size_bound_holds_with_writers_in_several_processes(cache_dir):
    bound = 40_000
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_put_many, args=(str(cache_dir), bound, w, 60)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = FileTileCache(cache_dir, bound)
    files = tile_files(cache_dir)
    assert sum(f.stat().st_size for f in files) == cache.total_bytes() <= bound
    assert len(files) >= 10  # evicted down to 80 %, not emptied
    assert not list((cache_dir / "tmp").iterdir())  # no temporary file left behind
    newest = max(files, key=lambda f: f.stat().st_mtime)
    assert cache.get(newest.stem) is not None


def test_eviction_drops_the_least_recently_used(tmp_path):
    cache = FileTileCache(tmp_path, 10_000)
    keys = [f"{i:064x}" for i in range(4)]
    for i, key in enumerate(keys):
        cache.put(key, Tile(bytes(2000), 1, False))
        os.utime(cache.path(key), (1000 + i, 1000 + i))  # put in this order, long ago
    assert cache.get(keys[0]) is not None  # a hit makes the oldest the most recent
    cache.put(f"{9:064x}", Tile(bytes(3000), 1, False))
    assert cache.get(keys[0]) is not None and cache.get(keys[1]) is None
    assert cache.total_bytes() <= 10_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str, cache_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RM_TILE_CACHE_DIR": str(cache_dir),
        "RM_METRICS_TOKEN": TOKEN,
        "RM_WORKERS": "1",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cmd = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "w") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _tile_cache_counts(base: str) -> tuple[float, float]:
    r = httpx.get(base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    samples = {s.name: s.value for f in text_string_to_metric_families(r.text) for s in f.samples}
    return samples["rm_tile_cache_hits_total"], samples["rm_tile_cache_misses_total"]


@pytest.fixture
def two_servers(write_settings, cache_dir, tmp_path):
    ports = [_free_port(), _free_port()]
    procs = [
        _serve(write_settings.database_url, cache_dir, p, tmp_path / f"s{p}.log") for p in ports
    ]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        deadline = time.monotonic() + 40
        for base, proc in zip(bases, procs, strict=True):
            while True:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


def test_two_server_processes_share_tiles_and_an_edit_through_one_reaches_the_other(
    two_servers, write_engine
):
    a, b = two_servers
    fid, _, lon, lat = sample_point(write_engine, "mining_pits")
    path = tile_url("mining_pits", *tile_of(lon, lat, 14))
    first = httpx.get(a + path)
    assert first.status_code == 200
    assert _tile_cache_counts(a) == (0, 1)
    assert httpx.get(b + path).content == first.content
    assert _tile_cache_counts(b) == (1, 0)  # served from a's file
    editor = make_key(write_engine, f"tile-editor-{uuid.uuid4().hex[:8]}", "editor")
    with httpx.Client(base_url=a) as client:
        rename(client, editor, fid, "renamed through server a")
    after = httpx.get(b + path)
    assert _tile_cache_counts(b) == (1, 1)
    assert names_in(after.content, "mining_pits")[fid] == "renamed through server a"


def test_an_unusable_cache_directory_never_fails_a_tile(write_settings, write_engine, tmp_path):
    _, _, lon, lat = sample_point(write_engine, "wetland_parks")
    path = tile_url("wetland_parks", *tile_of(lon, lat, 10))
    a_file = tmp_path / "not-a-directory"
    a_file.write_text("x")
    broken = write_settings.model_copy(update={"tile_cache_dir": str(a_file)})
    with TestClient(create_app(broken)) as c:  # starts, keeping tiles in memory
        assert not getattr(c.app.state.tile_cache, "shared", False)
        assert c.get(path).status_code == 200
    usable = write_settings.model_copy(update={"tile_cache_dir": str(tmp_path / "tiles")})
    with TestClient(create_app(usable)) as c:
        parts = tmp_path / "tiles" / "tmp"
        parts.rmdir()
        parts.write_text("in the way")  # every write of a tile file now fails
        r = c.get(path)
        assert r.status_code == 200 and not tile_files(tmp_path / "tiles")
