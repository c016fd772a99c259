"""Vector tiles: a fixed list of tiles at z6, z8, z10 and z12 over the densest hot spots of
the generated data, p50 and p95 latency; ours against tipg on the same view.

Ours: ``/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}`` (OGC order: row, then column);
tipg: ``/collections/bench.{id}/tiles/WebMercatorQuad/{z}/{x}/{y}``.
"""

from __future__ import annotations

import math
import time

import httpx

from bench.timing import percentile, ratio

ZOOMS = (6, 8, 10, 12)
SPOTS = 4


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_list(hotspots: list[list[float]]) -> dict[int, list[tuple[int, int]]]:
    """Per zoom, the tiles at the centres of the densest (narrowest) hot spots."""
    dense = sorted(hotspots, key=lambda h: h[2])[:SPOTS]
    out = {}
    for z in ZOOMS:
        tiles = []
        for lon, lat, _ in dense:
            t = tile_of(lon, lat, z)
            if t not in tiles:
                tiles.append(t)
        out[z] = tiles
    return out


def fetch(client: httpx.Client, url: str) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    r = client.get(url)
    body = r.content
    return time.perf_counter() - t0, r.status_code, len(body)


def run(client: httpx.Client, ours: str, tipg: str, layer: str, hotspots, repeats: int) -> dict:
    tiles = tile_list(hotspots)
    ours_t, tipg_t = f"{ours}/collections/{layer}/tiles", f"{tipg}/collections/bench.{layer}/tiles"
    urls = {
        "ours": lambda z, x, y: f"{ours_t}/WebMercatorQuad/{z}/{y}/{x}",
        "tipg": lambda z, x, y: f"{tipg_t}/WebMercatorQuad/{z}/{x}/{y}",
    }
    z0, (x0, y0) = ZOOMS[0], tiles[ZOOMS[0]][0]
    available = {name: fetch(client, u(z0, x0, y0))[1] == 200 for name, u in urls.items()}
    out: dict = {"layer": layer, "tiles": {z: t for z, t in tiles.items()}, "available": available}
    names = [n for n, ok in available.items() if ok]
    for z in ZOOMS:
        samples: dict[str, list[float]] = {n: [] for n in names}
        sizes: dict[str, int] = {n: 0 for n in names}
        for x, y in tiles[z]:
            for n in names:  # warm-up
                fetch(client, urls[n](z, x, y))
            for i in range(repeats):
                for n in names if i % 2 == 0 else reversed(names):
                    dt, status, size = fetch(client, urls[n](z, x, y))
                    if status != 200:
                        raise RuntimeError(f"{n} tile {z}/{x}/{y}: HTTP {status}")
                    samples[n].append(dt)
                    sizes[n] = max(sizes[n], size)
        row: dict = {}
        for n in names:
            row[n] = {
                "p50_s": percentile(samples[n], 50),
                "p95_s": percentile(samples[n], 95),
                "n": len(samples[n]),
                "max_tile_bytes": sizes[n],
            }
        if len(names) == 2:
            row["p50_ratio_ours_over_tipg"] = ratio(row["ours"]["p50_s"], row["tipg"]["p50_s"])
        out[f"z{z}"] = row
    return out
