"""Layer 2: drinking-water source protection zones (illustrative)."""

from __future__ import annotations

import math
import random

import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from builder.common import COUNTIES, blob, feature, to_m
from builder.places import SOURCES
from builder.world import World

# --------------------------------------------------------------------------------------
# 2. water-source zones
# --------------------------------------------------------------------------------------
BODY_CN = {"river": "河流", "groundwater": "地下水", "reservoir": "水库", "lake": "湖泊"}


def fictitious_name(county: str, key: str, body: str) -> str:
    """A source the reports do not name gets a name no real source has: invented conflicts
    there accuse no real place."""
    return f"{COUNTIES[county][0]}示例{BODY_CN[body]}水源地{key}（虚构）"


def build_water(world: World, rng: random.Random):
    feats, zones = [], {}
    for key, county, name, body, (lon, lat), a1, a2, aq, src in SOURCES:
        if "name choice" in src:
            name = fictitious_name(county, key, body)
            src = src.replace(
                "illustrative geometry and name choice", "illustrative geometry, FICTITIOUS name"
            )
        cx, cy = world.anchor(county, lon, lat, inset=6000)
        river = body == "river"
        angle = rng.uniform(60, 120) if river else None  # rivers here run roughly N-S
        for _ in range(200):
            g1, outer2, outq = _rings(rng, cx, cy, (a1, a2, aq), river, angle)
            outermost = outq if aq else outer2
            if world.c_inner[county].buffer(-200).contains(outermost) and all(
                z.distance(outermost) > 2000 for z in world.protected_m
            ):
                break
            cx, cy = cx + rng.gauss(0, 1500), cy + rng.gauss(0, 1500)
        else:
            raise RuntimeError(f"cannot place water source {name}")
        world.protected_m.append(outermost)
        parts = [("1", g1), ("2", outer2.difference(g1))]
        if aq:
            parts.append(("quasi", outq.difference(outer2)))
        for grade, g in parts:
            f, gll = _zone_feature(key, county, name, body, src, grade, g)
            feats.append(f)
            zones[f["properties"]["code"]] = (gll, to_m(gll))
    return feats, zones


def _rings(rng: random.Random, cx, cy, areas_km2, river: bool, angle):
    """Grade-1 zone, outer edge of the grade-2 ring and of the quasi zone (None without)."""
    a1, a2, aq = areas_km2
    g1 = blob(
        cx, cy, a1 * 1e6, rng, elong=(2.2, 3.0) if river else (1.0, 1.5), rough=0.15, angle=angle
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
    outer2 = Polygon(outer2.exterior) if outer2.geom_type == "Polygon" else outer2.convex_hull
    # rescale the ring to the wanted grade-2 area
    for _ in range(6):
        s = math.sqrt((a2 * 1e6 + g1.area) / outer2.area)
        outer2 = shapely.affinity.scale(outer2, s, s, origin=(cx, cy))
        outer2 = Polygon(unary_union([outer2, g1.buffer(250)]).exterior)
        if abs(outer2.area - g1.area - a2 * 1e6) / (a2 * 1e6) < 0.02:
            break
    outq = None
    if aq:
        outq = blob(cx, cy, (a1 + a2 + aq) * 1e6, rng, elong=(1.8, 2.4), rough=0.12, angle=angle)
        outq = Polygon(unary_union([outq, outer2.buffer(300)]).exterior)
    return g1, outer2, outq


def _zone_feature(key, county, name, body, src, grade, g):
    suffix = {"1": "1", "2": "2", "quasi": "Q"}[grade]
    gname = {"1": "一级保护区", "2": "二级保护区", "quasi": "准保护区"}[grade]
    props = {
        "code": f"WSZ-{county}-{key}-{suffix}",
        "name": f"{name}{gname}",
        "source": src,
        "source_name": name,
        "water_body": body,
        "grade": grade,
        "approval_document": f"新政函〔2019〕样例{int(key) + 10 * list(COUNTIES).index(county)}号"
        f"（示意，非真实文号 / illustrative, not a real document number）",
    }
    return feature(props, g_m=g)
