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


def _dataset_layers(client: httpx.Client, ours: str) -> list[str]:
    doc = client.get(f"{ours}/tiles/WebMercatorQuad").json()
    return [layer["id"] for layer in doc["layers"]]


def _sum_of(client: httpx.Client, urls: list[str]) -> tuple[float, int, int]:
    """One position's tiles fetched one after the other, as a map would without dataset
    tiles: total time, worst status, total bytes."""
    total, worst, size = 0.0, 200, 0
    for u in urls:
        dt, status, n = fetch(client, u)
        total, size = total + dt, size + n
        worst = status if status not in (200, 204) else worst
    return total, worst, size


def _dataset_contenders(client, ours: str, tipg: str, layers, tipg_layers, z, x, y) -> dict:
    dataset = f"{ours}/tiles/WebMercatorQuad/{z}/{y}/{x}"
    by_layer = [f"{ours}/collections/{c}/tiles/WebMercatorQuad/{z}/{y}/{x}" for c in layers]
    tipg_urls = [
        f"{tipg}/collections/bench.{c}/tiles/WebMercatorQuad/{z}/{x}/{y}" for c in tipg_layers
    ]
    same = f"{dataset}?collections={','.join(tipg_layers)}"
    return {
        "ours": lambda: fetch(client, dataset),
        "ours_tipg_layers": lambda: fetch(client, same),
        "ours_by_layer": lambda: _sum_of(client, by_layer),
        "tipg_by_layer": lambda: _sum_of(client, tipg_urls),
    }


def run_dataset(
    client: httpx.Client, ours: str, tipg: str, tipg_layers: list[str], hotspots, repeats: int
) -> dict:
    """The combined dataset tile (every public layer in one MVT, one request) at the densest
    hot spot, against the same position fetched layer by layer: from tipg (the layers it
    serves; ours restricted to the same layers with ``collections=``) and from our own
    collection tiles (every layer of the dataset tile)."""
    layers = _dataset_layers(client, ours)
    out: dict = {"layers": layers, "tipg_layers": tipg_layers}
    for z in ZOOMS:
        x, y = tile_list(hotspots)[z][0]
        contenders = _dataset_contenders(client, ours, tipg, layers, tipg_layers, z, x, y)
        samples: dict[str, list[float]] = {n: [] for n in contenders}
        sizes: dict[str, int] = {}
        for fn in contenders.values():
            fn()  # warm-up
        for i in range(repeats):
            for n in list(contenders) if i % 2 == 0 else reversed(list(contenders)):
                dt, status, size = contenders[n]()
                if status not in (200, 204):
                    raise RuntimeError(f"{n} dataset tile {z}/{x}/{y}: HTTP {status}")
                samples[n].append(dt)
                sizes[n] = size
        row: dict = {"tile": [z, x, y]}
        for n, s in samples.items():
            row[n] = {"p50_s": percentile(s, 50), "p95_s": percentile(s, 95), "bytes": sizes[n]}
        row["p50_ratio_ours_over_tipg"] = ratio(
            row["ours_tipg_layers"]["p50_s"], row["tipg_by_layer"]["p50_s"]
        )
        row["p50_ratio_ours_over_by_layer"] = ratio(
            row["ours"]["p50_s"], row["ours_by_layer"]["p50_s"]
        )
        out[f"z{z}"] = row
    return out
