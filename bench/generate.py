"""Seeded synthetic layers over Xinjiang at a chosen scale, written as GeoPackages.

``--scale 1.0`` is the region: 200,000 mining pits, 20,000 water-source zones, 500,000
grassland patches and 2,000 wetland zones. Features lie inside the region outline
(``sample_layers/regions.geojson``, code 650000), 70 % of them around seeded hot spots (towns,
mining districts) so that tiles over dense areas are dense. Shapes: see ``bench/shapes.py``.

Overlaps are controlled: exactly ``round(rate·n)`` pits are placed inside a grade-1
water-source zone and every other pit is kept clear of all grade-1 zones (likewise grassland
patches and wetland zones). Output is a function of (seed, scale) only: every chunk draws
from its own generator ``default_rng([seed, layer, chunk])``.

    python -m bench.generate --scale 0.01 --out bench/data/0.01
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.strtree import STRtree

from bench.layer_columns import LAYER_COLUMNS
from bench.shapes import polygons, vertex_counts

ROOT = Path(__file__).resolve().parent.parent
REGION_CODE = "650000"
CHUNK = 20_000  # fixed: the random streams are per chunk, so output depends on it
HOTSPOTS = 60


@dataclass(frozen=True)
class LayerSpec:
    name: str
    prefix: str
    base_count: int
    radius_median_m: float
    radius_range_m: tuple[float, float]
    vertex_spread: float
    p_hole: float
    p_multi: float
    p_hotspot: float


SPECS = {
    s.name: s
    for s in (
        LayerSpec("water_source_zones", "WSZ", 20_000, 1200, (200, 8000), 0.9, 0.15, 0.10, 0.5),
        LayerSpec("wetland_parks", "WLP", 2_000, 3000, (500, 20000), 1.1, 0.20, 0.15, 0.5),
        LayerSpec("mining_pits", "PIT", 200_000, 80, (20, 600), 0.6, 0.08, 0.05, 0.7),
        LayerSpec("grassland_occupations", "GOC", 500_000, 150, (30, 1500), 0.6, 0.10, 0.08, 0.7),
    )
}
# Subject layer → (protected layer, which protected features count, default overlap rate).
OVERLAPS = {
    "mining_pits": ("water_source_zones", "grade = '1'", 0.02),
    "grassland_occupations": ("wetland_parks", "all", 0.01),
}

TOWNS = [
    "乌鲁木齐", "昌吉", "阜康", "呼图壁", "玛纳斯", "奇台", "吉木萨尔", "哈密", "库尔勒",
    "阿克苏", "喀什", "和田", "伊宁", "塔城", "阿勒泰", "博乐", "克拉玛依", "吐鲁番",
]  # fmt: skip


def region_outline() -> shapely.Geometry:
    fc = json.loads((ROOT / "sample_layers" / "regions.geojson").read_text(encoding="utf-8"))
    (feat,) = [f for f in fc["features"] if f["properties"]["code"] == REGION_CODE]
    geom = shapely.from_geojson(json.dumps(feat["geometry"]))
    shapely.prepare(geom)
    return geom


def points_inside(rng: np.random.Generator, region, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside the region (rejection sampling in its bounding box)."""
    x0, y0, x1, y1 = region.bounds
    xs, ys = np.empty(0), np.empty(0)
    while len(xs) < n:
        x, y = rng.uniform(x0, x1, 2 * n), rng.uniform(y0, y1, 2 * n)
        keep = shapely.contains_xy(region, x, y)
        xs, ys = np.r_[xs, x[keep]], np.r_[ys, y[keep]]
    return xs[:n], ys[:n]


def hotspots(seed: int, region) -> np.ndarray:
    """(lon, lat, sigma_deg) of the dense areas: the same for every layer and scale."""
    rng = np.random.default_rng([seed, 999])
    x, y = points_inside(rng, region, HOTSPOTS)
    return np.column_stack([x, y, rng.uniform(0.15, 0.6, HOTSPOTS)])


def centres(rng, region, spots: np.ndarray, n: int, p_hotspot: float):
    """Feature centres: a share around hot spots (Gaussian), the rest uniform; all inside."""
    x, y = points_inside(rng, region, n)
    near = rng.random(n) < p_hotspot
    k = rng.integers(0, len(spots), n)
    hx = spots[k, 0] + rng.normal(0, 1, n) * spots[k, 2]
    hy = spots[k, 1] + rng.normal(0, 1, n) * spots[k, 2] * 0.7
    use = near & shapely.contains_xy(region, hx, hy)
    return np.where(use, hx, x), np.where(use, hy, y)


def shapes_for(rng, spec: LayerSpec, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    n = len(x)
    lo, hi = spec.radius_range_m
    radius = np.clip(rng.lognormal(np.log(spec.radius_median_m), 0.6, n), lo, hi)
    nverts = vertex_counts(rng, n, spec.vertex_spread)
    return polygons(
        rng, x, y, radius, nverts, rng.random(n) < spec.p_hole, rng.random(n) < spec.p_multi
    )


def attributes(rng, layer: str, start: int, n: int) -> dict[str, list]:
    """Columns valid for the layer's JSON schema (migrations/data/builtin_layers_0001.json)."""
    spec = SPECS[layer]
    seq = np.arange(start + 1, start + n + 1)
    town = rng.choice(TOWNS, n)
    cols: dict[str, list] = {
        "code": [f"{spec.prefix}-{REGION_CODE}-{i:07d}" for i in seq],
    }
    layer_columns = LAYER_COLUMNS.get(layer)
    if layer_columns is not None:
        cols.update(layer_columns(rng, town, seq, n))
    return cols


def counts(scale: float) -> dict[str, int]:
    return {name: max(1, round(spec.base_count * scale)) for name, spec in SPECS.items()}


class Protected:
    """The protected features a subject layer must avoid, or overlap on purpose."""

    def __init__(self, geoms: np.ndarray, cx: np.ndarray, cy: np.ndarray, radius: np.ndarray):
        self.geoms, self.cx, self.cy, self.radius = geoms, cx, cy, radius
        self.tree = STRtree(geoms)

    def hits(self, geoms: np.ndarray) -> np.ndarray:
        """Boolean per geometry: does it intersect any protected feature?"""
        if len(self.geoms) == 0:
            return np.zeros(len(geoms), bool)
        idx = self.tree.query(geoms, predicate="intersects")[0]
        out = np.zeros(len(geoms), bool)
        out[idx] = True
        return out


def _near_protected(rng, protected: Protected, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres within 0.4 R of random protected features' centres (inside them unless the
    point falls in a hole; the caller checks and redraws)."""
    k = rng.integers(0, len(protected.geoms), n)
    ang, dist = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 0.4, n)
    dm = dist * protected.radius[k]
    coslat = np.cos(np.radians(protected.cy[k]))
    x = protected.cx[k] + dm * np.cos(ang) / (111_320 * coslat)
    y = protected.cy[k] + dm * np.sin(ang) / 110_574
    return x, y


def chunk(rng, spec, region, spots, n: int, overlap_n: int, protected: Protected | None):
    """Geometries of one chunk: the first ``overlap_n`` overlap a protected feature, the rest
    avoid all of them (each group redrawn until it holds)."""
    x, y = centres(rng, region, spots, n, spec.p_hotspot)
    wants = np.zeros(n, bool)  # True: must overlap; False: must not
    if protected is not None and overlap_n:
        wants[:overlap_n] = True
        x[:overlap_n], y[:overlap_n] = _near_protected(rng, protected, overlap_n)
    geoms = shapes_for(rng, spec, x, y)

    def ok(g: np.ndarray, want: np.ndarray) -> np.ndarray:
        # Overlapping features only need to touch their zone (zones are inside the region).
        good = want | shapely.within(g, region)
        if protected is not None:
            good &= protected.hits(g) == want
        return good

    bad = np.flatnonzero(~ok(geoms, wants))
    for _ in range(50):
        if len(bad) == 0:
            break
        bx, by = centres(rng, region, spots, len(bad), spec.p_hotspot)
        w = wants[bad]
        if w.any():
            bx[w], by[w] = _near_protected(rng, protected, int(w.sum()))
        g = shapes_for(rng, spec, bx, by)
        good = ok(g, w)
        fixed = bad[good]
        geoms[fixed], x[fixed], y[fixed] = g[good], bx[good], by[good]
        bad = bad[~good]
    else:
        raise RuntimeError(f"{spec.name}: could not place {len(bad)} features")
    return geoms, x, y


def _overlap_target(
    name: str, n: int, rates: dict[str, float], protected: dict[str, Protected]
) -> tuple[Protected | None, int]:
    """The protected features a layer overlaps on purpose, and how many of its features do."""
    if name not in OVERLAPS:
        return None, 0
    prot = protected[OVERLAPS[name][0]]
    # No protected feature at all (only at tiny scales): nothing to overlap.
    return prot, round(rates[name] * n) if len(prot.geoms) else 0


def _protected_selection(name: str, cols: dict[str, list], m: int) -> np.ndarray:
    """Which features of a chunk later layers must avoid: grade-1 water zones, every park."""
    if name == "water_source_zones":
        return np.asarray(cols["grade"]) == "1"
    return np.ones(m, bool)


def _write_chunk(df: gpd.GeoDataFrame, path: Path, name: str, append: bool) -> None:
    pyogrio.write_dataframe(
        df,
        path,
        layer=name,
        driver="GPKG",
        append=append,
        geometry_type="MultiPolygon",
        promote_to_multi=True,
        # GPKG 1.3: what Debian's GDAL 3.6 (ogr2ogr) reads without a warning.
        dataset_options={"VERSION": "1.3"},
    )


def _layer_manifest(
    path: Path, name: str, n: int, vertices: int, rates: dict[str, float], overlap_total: int
) -> dict:
    return {
        "file": path.name,
        "count": n,
        "vertices": vertices,
        "overlaps": None
        if name not in OVERLAPS
        else {
            "protected": OVERLAPS[name][0],
            "filter": OVERLAPS[name][1],
            "rate": rates[name],
            "count": overlap_total,
        },
    }


def generate(
    out: Path,
    scale: float,
    seed: int = 7,
    rates: dict[str, float] | None = None,
    layers: list[str] | None = None,
    log=print,
) -> dict:
    """Write ``<out>/<layer>.gpkg`` for every layer and ``<out>/manifest.json``."""
    out.mkdir(parents=True, exist_ok=True)
    region = region_outline()
    spots = hotspots(seed, region)
    n_by_layer = counts(scale)
    rates = {k: v[2] for k, v in OVERLAPS.items()} | (rates or {})
    protected: dict[str, Protected] = {}
    manifest: dict = {
        "seed": seed,
        "scale": scale,
        "region": REGION_CODE,
        "hotspots": spots.round(5).tolist(),
        "layers": {},
    }
    order = [n for n in SPECS if layers is None or n in layers]
    for li, name in enumerate(SPECS):
        if name not in order:
            continue
        spec, n = SPECS[name], n_by_layer[name]
        path = out / f"{name}.gpkg"
        path.unlink(missing_ok=True)
        prot, overlap_total = _overlap_target(name, n, rates, protected)
        keep_geoms, keep_x, keep_y, keep_r = [], [], [], []
        t0, written, vertices = time.monotonic(), 0, 0
        for ci, start in enumerate(range(0, n, CHUNK)):
            m = min(CHUNK, n - start)
            rng = np.random.default_rng([seed, li, ci])
            # Overlapping features are spread evenly over the chunks.
            ov = round(overlap_total * (start + m) / n) - round(overlap_total * start / n)
            geoms, x, y = chunk(rng, spec, region, spots, m, ov, prot)
            cols = attributes(rng, name, start, m)
            df = gpd.GeoDataFrame(pd.DataFrame(cols), geometry=geoms, crs="EPSG:4326")
            _write_chunk(df, path, name, append=start > 0)
            written += m
            vertices += int(shapely.get_num_coordinates(geoms).sum())
            if name in ("water_source_zones", "wetland_parks"):
                sel = _protected_selection(name, cols, m)
                keep_geoms.append(geoms[sel])
                keep_x.append(x[sel])
                keep_y.append(y[sel])
                keep_r.append(_radius_of(geoms[sel], x[sel], y[sel]))
            log(f"{name}: {written:,}/{n:,} ({time.monotonic() - t0:.0f} s)")
        if keep_geoms:
            protected[name] = Protected(
                np.concatenate(keep_geoms),
                np.concatenate(keep_x),
                np.concatenate(keep_y),
                np.concatenate(keep_r),
            )
        manifest["layers"][name] = _layer_manifest(path, name, n, vertices, rates, overlap_total)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def _radius_of(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The smallest distance (m) from a zone's centre to its first part's shell: a pit
    centred within 0.7 of it lies inside the zone."""
    first = shapely.get_exterior_ring(shapely.get_geometry(geoms, 0))
    d_deg = shapely.distance(first, shapely.points(x, y))
    # Conservative metres: degrees of longitude are the shorter ones at these latitudes.
    return d_deg * 111_320 * np.cos(np.radians(y)) / 0.55


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, help="default: bench/data/<scale>")
    p.add_argument("--pit-overlap-rate", type=float, default=OVERLAPS["mining_pits"][2])
    p.add_argument(
        "--grassland-overlap-rate", type=float, default=OVERLAPS["grassland_occupations"][2]
    )
    p.add_argument("--force", action="store_true", help="regenerate even if up to date")
    a = p.parse_args(argv)
    out = a.out or ROOT / "bench" / "data" / f"{a.scale:g}"
    rates = {"mining_pits": a.pit_overlap_rate, "grassland_occupations": a.grassland_overlap_rate}
    done = out / "manifest.json"
    if done.exists() and not a.force:
        old = json.loads(done.read_text())
        same_rates = all(old["layers"][k]["overlaps"]["rate"] == v for k, v in rates.items())
        if old["scale"] == a.scale and old["seed"] == a.seed and same_rates:
            print(f"{out}: up to date (scale {a.scale}, seed {a.seed}); --force regenerates")
            return 0
    t0 = time.monotonic()
    m = generate(out, a.scale, a.seed, rates)
    total = sum(v["count"] for v in m["layers"].values())
    print(f"wrote {total:,} features to {out} in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
