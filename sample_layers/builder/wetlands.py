"""Layer 3: wetland park zones (illustrative)."""

from __future__ import annotations

import random

from shapely.geometry import box

from builder.common import blob, feature, ll_point_m, to_m
from builder.places import CHANGJI_REPORT, XJ_REPORT
from builder.world import World


# --------------------------------------------------------------------------------------
# 3. wetland park (Manas River National Wetland Park)
# --------------------------------------------------------------------------------------
def build_wetland(world: World, rng: random.Random):
    feats, zones = _manas_park(*_manas_zones(world))
    props, g = _regional_park(world, rng)
    f, gll = feature(props, g_m=g)
    feats.append(f)
    zones[props["code"]] = (gll, to_m(gll))
    for _, (_gll, gm) in zones.items():
        world.protected_m.append(gm)
    return feats, zones


def _clean(g):
    g = g.buffer(60).buffer(-60).simplify(20)
    if g.geom_type == "MultiPolygon":
        g = max(g.geoms, key=lambda p: p.area)
    return g


def _manas_zones(world: World):
    """Conservation, restoration and sustainable-use zones along the Manas River."""
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

    cons = _clean(near.intersection(box(xw, ymid, xw + 40000, y1)))
    rest = _clean(near.intersection(box(xw, y0, xw + 40000, ymid - 1)))
    use = _clean(far.intersection(box(xw, y0 + 2500, xw + 40000, y1 - 4000)))
    return cons, rest, use


def _manas_park(cons, rest, use):
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
    return feats, zones


def _regional_park(world: World, rng: random.Random):
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
    return props, g
