"""Layer 5: illegal grassland occupations (illustrative)."""

from __future__ import annotations

import random

from shapely.geometry import Point, box, mapping

from builder.common import blob, feature, geod_area_m2, ll_point_m
from builder.occupation_uses import construction, farming, mines, other_uses, roads, tourism
from builder.places import CHANGJI_REPORT, TOWNS, XJ_REPORT
from builder.world import World

# --------------------------------------------------------------------------------------
# 5. grassland occupations
# --------------------------------------------------------------------------------------
CHANGJI_REPORTED_MU = 11000  # “昌吉州向自治区林业和草原局报告全州违法占用草原面积1.1万亩”
MU_PER_HA = 15


class Occupations:
    """The occupations built so far; each is placed in the world unless given a geometry."""

    def __init__(self, world: World, rng: random.Random):
        self.world, self.rng, self.items = world, rng, []

    def add(
        self,
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
            ax, ay = (
                anchor if anchor else self.world.anchor(county, *TOWNS[county][town], inset=2000)
            )
            geom = self.world.place(
                self.rng, county, ax, ay, area_ha * 1e4, spread=spread, elong=elong
            )
        self.items.append(
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


def build_occupations(world: World, rng: random.Random, wet: dict):
    occ = Occupations(world, rng)
    _baoming(occ)
    _sand_quarries(occ)
    _wetland_farming(occ, wet)
    _wetland_sand(occ, wet)
    farming(occ)
    roads(occ)
    tourism(occ)
    construction(occ)
    mines(occ)
    other_uses(occ)
    return occ.items


def _baoming(occ: Occupations) -> None:
    # --- Baoming Mining, Shichanggou (石长沟) mine, Jimsar -----------------------------
    bm_src = (
        f"sample (illustrative geometry): 新疆宝明矿业有限公司 石长沟矿区, Jimsar; {XJ_REPORT} 31: "
        "“昌吉州宝明矿业公司石长沟矿区违法占用天然牧草地，选矿废水直排外环境”"
    )
    bx, by = occ.world.anchor("652327", 89.00, 43.75, inset=4000)
    for part, ha, dx, dy in [
        ("露天采场", 210, 0, 0),
        ("排土场", 140, 2600, 900),
        ("选矿厂及尾矿库", 65, -1500, 2300),
    ]:
        occ.add(
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


def _sand_quarries(occ: Occupations) -> None:
    # --- 13 sand quarries, left (west) bank of the Toutun River, Sangong town ----------
    sg_src = (
        f"sample (illustrative geometry): sand quarry on the left bank of the Toutun River, Sangong town, "
        f"Changji City; {XJ_REPORT} 31: “昌吉州三工镇头屯河左岸分布有13家采砂场，开采不规范，矿坑、料堆等违法占用草原”"
    )
    cj = occ.world.c_m["652301"]
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
        occ.add(
            "652301",
            "三工镇",
            f"三工镇头屯河左岸采砂场{n:02d}",
            f"头屯河左岸采砂企业{n:02d}（三工镇，样例）",
            "sand_quarry",
            "natural_pasture",
            "none" if n not in (4, 9) else "temporary",
            f"{2014 + n % 6}-0{1 + n % 9}-15",
            occ.rng.uniform(14, 38),
            sg_src,
            anchor=(ax, ay),
            spread=500,
            rep_factor=(0.05, 0.12),
            note="signed" if n != 13 else "unsigned",
        )


def _wetland_farming(occ: Occupations, wet: dict) -> None:
    # --- seeded wetland conflicts ----------------------------------------------------
    cons_m = wet["WLP-652324-01-C"][1]
    for t in range(500):
        p = (
            cons_m.representative_point()
            if t == 0
            else Point(occ.rng.uniform(*cons_m.bounds[0::2]), occ.rng.uniform(*cons_m.bounds[1::2]))
        )
        g = blob(p.x, p.y, 38e4, occ.rng, elong=(1.2, 1.6))
        others = [z for c, (_, z) in wet.items() if c != "WLP-652324-01-C"]
        if cons_m.buffer(-40).contains(g) and all(z.distance(g) > 150 for z in others):
            break
    occ.world.placed_m.append(g)
    occ.add(
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
    # found by the inspection of 2021-07-06..07-30 (the report gives the period, not the day):
    # judged under the rule versions in force then
    occ.items[-1]["detected_on"] = "2021-07-30"


def _wetland_sand(occ: Occupations, wet: dict) -> None:
    # The reports name no sand extraction in a wetland park: the invented one lies in the
    # fictitious Qitai park, not in the real Manas River park.
    zone = "WLP-652325-01-S"
    rest_m = wet[zone][1]
    for _attempt in range(500):
        p = Point(occ.rng.uniform(*rest_m.bounds[0::2]), occ.rng.uniform(*rest_m.bounds[1::2]))
        g = blob(p.x, p.y, 9e4, occ.rng, elong=(1.0, 1.5))
        others = [z for c, (_, z) in wet.items() if c != zone]
        if rest_m.buffer(-30).contains(g) and all(z.distance(g) > 150 for z in others):
            break  # wholly inside the zone, clear of the other zones
    occ.world.placed_m.append(g)
    occ.add(
        "652325",
        "西北湾镇",
        "示例湿地公园内采砂点（虚构）",
        "无证采砂人员（样例）",
        "sand_quarry",
        "natural_pasture",
        "none",
        "2019-09-01",
        0,
        "sample (illustrative geometry, FICTITIOUS park): sand extraction inside a wetland park "
        "(national wetland park rules forbid 采砂); not named in the reports; SEEDED CONFLICT",
        geom=g,
        rep_factor=(0.0, 0.0),
    )


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
        if o.get("detected_on"):
            props["detected_on"] = o["detected_on"]
        feats.append({"type": "Feature", "properties": props, "geometry": mapping(o["geom_ll"])})
    return feats
