"""Shared constants, geometry helpers and writers of the sample builder."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path

import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient

from geo.kernel import crs

HERE = Path(__file__).resolve().parent.parent  # sample_layers/
SEED = 20210706  # the day the inspection team arrived in Changji
GEOD = pyproj.Geod(ellps="WGS84")
LAEA = "+proj=laea +lat_0=44 +lon_0=88 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
_TO_M = pyproj.Transformer.from_crs("EPSG:4326", LAEA, always_xy=True)
_TO_LL = pyproj.Transformer.from_crs(LAEA, "EPSG:4326", always_xy=True)
TODAY = dt.date(2026, 11, 23)  # reference "today" for overdue checks in README
REPAIRED: list = []  # counts geometries that rounding made invalid (repaired)
MIN_GAP_M = 50.0  # required clearance of non-conflict features from protected zones
PLACE_GAP_M = 300.0  # clearance used when placing them (safety margin)

COUNTIES = {
    "652301": ("昌吉市", "Changji City"),
    "652302": ("阜康市", "Fukang City"),
    "652323": ("呼图壁县", "Hutubi County"),
    "652324": ("玛纳斯县", "Manas County"),
    "652325": ("奇台县", "Qitai County"),
    "652327": ("吉木萨尔县", "Jimsar County"),
    "652328": ("木垒哈萨克自治县", "Mori Kazakh Autonomous County"),
}


# --------------------------------------------------------------------------------------
# geometry helpers
# --------------------------------------------------------------------------------------
def to_m(g):
    return shapely.transform(g, lambda a: _stack(_TO_M.transform(a[:, 0], a[:, 1])))


def to_ll(g):
    return shapely.transform(g, lambda a: _stack(_TO_LL.transform(a[:, 0], a[:, 1])))


def _stack(xy):
    import numpy as np

    return np.column_stack(xy)


def gcj_geom_to_wgs(g):
    """GCJ-02 (AMap) to WGS 84 with the service's own conversion (geo.kernel.crs)."""

    def f(a):
        lon, lat = crs.gcj02_to_wgs84(a[:, 0], a[:, 1])
        return _stack((lon, lat))

    return shapely.transform(g, f)


def as_multipolygon(g) -> MultiPolygon:
    if g.is_empty:
        raise ValueError("empty geometry")
    if g.geom_type == "Polygon":
        g = MultiPolygon([g])
    elif g.geom_type == "GeometryCollection":
        g = MultiPolygon([p for p in g.geoms if p.geom_type == "Polygon"])
    elif g.geom_type != "MultiPolygon":
        raise ValueError(g.geom_type)
    return MultiPolygon([orient(p, 1.0) for p in g.geoms])


def round_geom(g, nd: int = 6) -> MultiPolygon:
    """Round to nd decimals, keep validity (repair if rounding broke it)."""
    r = shapely.set_precision(g, 10**-nd)
    if not r.is_valid:
        REPAIRED.append(1)
        r = shapely.make_valid(r)
    r = as_multipolygon(r)
    # set_precision keeps exact grid values; make sure no float noise remains
    r = shapely.transform(r, lambda a: a.round(nd))
    assert r.is_valid, "invalid after rounding"
    return r


def geod_area_m2(g) -> float:
    return abs(GEOD.geometry_area_perimeter(g)[0])


def blob(
    cx: float,
    cy: float,
    area_m2: float,
    rng: random.Random,
    elong=(1.0, 2.2),
    rough: float = 0.22,
    nv=(11, 19),
    angle: float | None = None,
) -> Polygon:
    """An irregular, star-shaped polygon of the given planar area around (cx, cy) in metres."""
    n = rng.randint(*nv)
    harmonics = [
        (rng.randint(2, 5), rng.uniform(0, 2 * math.pi), rng.uniform(0.3, 1.0)) for _ in range(3)
    ]
    wsum = sum(h[2] for h in harmonics)
    pts = []
    for i in range(n):
        t = 2 * math.pi * (i + rng.uniform(-0.3, 0.3)) / n
        r = 1.0 + rough * sum(w * math.sin(k * t + ph) for k, ph, w in harmonics) / wsum
        r *= 1.0 + rng.uniform(-0.06, 0.06)
        pts.append((r * math.cos(t), r * math.sin(t)))
    p = Polygon(pts)
    e = rng.uniform(*elong)
    p = shapely.affinity.scale(p, e, 1.0 / e, origin=(0, 0))
    p = shapely.affinity.rotate(p, rng.uniform(0, 180) if angle is None else angle, origin=(0, 0))
    if not p.is_valid:
        p = p.buffer(0)
    s = math.sqrt(area_m2 / p.area)
    p = shapely.affinity.scale(p, s, s, origin=(0, 0))
    return shapely.affinity.translate(p, cx, cy)


def ll_point_m(lon: float, lat: float) -> tuple[float, float]:
    x, y = _TO_M.transform(lon, lat)
    return x, y


def feature(props: dict, g_m=None, g_ll=None):
    g = round_geom(to_ll(g_m) if g_ll is None else g_ll)
    return {"type": "Feature", "properties": props, "geometry": mapping(g)}, g


# --------------------------------------------------------------------------------------
# 7. restoration records
# --------------------------------------------------------------------------------------
def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def rand_date(rng, a: str | dt.date, b: str | dt.date) -> dt.date:
    a = d(a) if isinstance(a, str) else a
    b = d(b) if isinstance(b, str) else b
    if b <= a:
        return a
    return a + dt.timedelta(days=rng.randint(0, (b - a).days))


# --------------------------------------------------------------------------------------
def fc(features, name):
    return {"type": "FeatureCollection", "name": name, "features": features}


def write_json(path: Path, obj, compact=False):
    txt = json.dumps(
        obj,
        ensure_ascii=False,
        separators=(",", ":") if compact else None,
        indent=None if compact else 1,
    )
    path.write_text(txt + "\n", encoding="utf-8")


def write_geojson(path: Path, obj):
    # one feature per line: diff-friendly and compact
    lines = ['{"type":"FeatureCollection","name":' + json.dumps(obj["name"]) + ',"features":[']
    for i, f in enumerate(obj["features"]):
        lines.append(
            json.dumps(f, ensure_ascii=False, separators=(",", ":"))
            + ("," if i < len(obj["features"]) - 1 else "")
        )
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
