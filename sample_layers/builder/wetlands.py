"""Layer 3: wetland park zones (illustrative)."""

from __future__ import annotations

import random

import shapely
from shapely.geometry import LineString, MultiLineString, box, mapping
from shapely.ops import nearest_points

from builder.common import blob, feature, geod_area_m2, ll_point_m, to_ll, to_m
from builder.places import CHANGJI_REPORT, XJ_REPORT
from builder.world import World


# --------------------------------------------------------------------------------------
# 3. wetland park (Manas River National Wetland Park)
# --------------------------------------------------------------------------------------
def build_wetland(world: World, rng: random.Random):
    cons, rest, use, river = _manas_zones(world)
    feats, zones = _manas_park(cons, rest, use)
    world.manas_river_m, world.manas_rest_m = river, rest
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


# The published extent of the Manas National Wetland Park: 86°04′–86°18′E, 44°22′–44°31′N,
# 82,920 亩 (5,528 ha). The sample park lies inside that box with that area (±0.5%); its shape
# along the river is illustrative.
PARK_BOX = (86 + 4 / 60, 44 + 22 / 60, 86 + 18 / 60, 44 + 31 / 60)
PARK_MU = 82_920
PARK_M2 = PARK_MU * 10_000 / 15


def _manas_zones(world: World):
    """Conservation, restoration and sustainable-use zones along the Manas River, inside the
    published box, with the published total area."""
    manas = world.c_m["652324"]
    x0, y0 = ll_point_m(PARK_BOX[0], PARK_BOX[1])
    x1, y1 = ll_point_m(PARK_BOX[2], PARK_BOX[3])
    # the box in metres, shrunk so that the curved lon/lat edges stay outside the park
    xs = [ll_point_m(lon, lat)[0] for lon in PARK_BOX[::2] for lat in PARK_BOX[1::2]]
    ys = [ll_point_m(lon, lat)[1] for lon in PARK_BOX[::2] for lat in PARK_BOX[1::2]]
    frame = box(sorted(xs)[1], sorted(ys)[1], sorted(xs)[2], sorted(ys)[2]).buffer(-300)
    inner = manas.buffer(-350).intersection(frame)
    edge = (
        manas.exterior
        if manas.geom_type == "Polygon"
        else max(manas.geoms, key=lambda p: p.area).exterior
    )
    # the western edge of Manas county follows the Manas River
    river = edge.intersection(frame.buffer(5000))
    if river.geom_type == "MultiLineString":
        river = min(river.geoms, key=lambda line: line.centroid.x)

    def zones(width: float):
        near = river.buffer(width * 0.5).intersection(inner)
        far = river.buffer(width).intersection(inner).difference(river.buffer(width * 0.5))
        ymid = (frame.bounds[1] + frame.bounds[3]) / 2
        fb = frame.bounds
        cons = _clean(near.intersection(box(fb[0], ymid, fb[2], fb[3])))
        rest = _clean(near.intersection(box(fb[0], fb[1], fb[2], ymid - 1)))
        use = _clean(far.difference(cons.buffer(1)).difference(rest.buffer(1)))
        return cons, rest, use

    lo, hi = 500.0, 12000.0  # total width of the band: bisect to the published area
    for _ in range(40):
        mid = (lo + hi) / 2
        total = sum(geod_area_m2(to_ll(z)) for z in zones(mid))
        if abs(total - PARK_M2) / PARK_M2 < 0.002:
            break
        lo, hi = (mid, hi) if total < PARK_M2 else (lo, mid)
    return (*zones(mid), river)


def _manas_park(cons, rest, use):
    park = "玛纳斯河国家湿地公园"
    src = (
        "sample (illustrative shape; extent and area as published: 86°04′–86°18′E, 44°22′–44°31′N, "
        f"82,920 亩): Manas River National Wetland Park, Manas; {CHANGJI_REPORT} 17: "
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
        "name": "奇台县示例湿地公园（虚构）合理利用区",
        "source": "sample (FICTITIOUS name, illustrative geometry): a regional-level wetland park "
        "in Qitai; not named in the reports",
        "park_name": "奇台县示例湿地公园（虚构）",
        "level": "regional",
        "functional_zone": "sustainable_use",
        "degraded": False,
    }
    return props, g


def build_water_works(world: World):
    """The Corps' report item 三十: a dam in the Manas River inside the national wetland park,
    upstream of 夹河子水库, removed in April 2022. Its position is illustrative (the report gives
    none): a line across the river at the park's southern (upstream) end."""
    # beside the restoration zone (the degraded southern part), across the river; the
    # middle vertex lies east of the river, in Manas county (it fixes the feature's county)
    p = nearest_points(world.manas_river_m, world.manas_rest_m.representative_point())[0]
    dam = LineString([(p.x - 600, p.y), (p.x + 600, p.y), (p.x + 1200, p.y)])
    props = {
        "code": "WW-652324-001",
        "name": "玛纳斯河河道拦水坝（已拆除）",
        "source": f"sample (illustrative position): {XJ_REPORT} (兵团) 30: “石河子市水利工程管理服务中心"
        "违规在玛纳斯河国家湿地公园内的河道修筑拦水坝，截断湿地水源” / “2022年4月，夹河子水库上游玛纳斯河"
        "河道拦水坝已整改，恢复河道原貌，并通过验收”; detected_on: the last day of the inspection "
        "(2022-03-25 to 04-25; the report gives no day)",
        "work_type": "dam",
        "river": "玛纳斯河",
        "operator": "石河子市水利工程管理服务中心",
        "state": "removed",
        "cuts_off_flow": True,
        "removed_on": "2022-04",
        "detected_on": "2022-04-25",
    }
    g = shapely.set_precision(to_ll(dam), 1e-6)
    return [{"type": "Feature", "properties": props, "geometry": mapping(MultiLineString([g]))}]
