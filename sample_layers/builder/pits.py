"""Layer 4: legacy mining pits (illustrative)."""

from __future__ import annotations

import math
import random

import shapely
from shapely.geometry import mapping

from builder.common import PLACE_GAP_M, blob, feature, geod_area_m2
from builder.places import CHANGJI_REPORT, MOUNTAIN_TOWNS, TOWNS
from builder.world import World

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


# Seeded conflicts: (county, zone code, mode, town, mineral, note). Only in sources the
# reports do not name, which carry fictitious names (builder.water.fictitious_name): the
# reports name other problems at the real sources (road crossings, a weighbridge, dry
# toilets, farming, construction waste), never a mining pit, and the sample must not say so.
CONFLICTS = [
    (
        "652324",
        "WSZ-652324-002-1",
        "partly",
        "塔西河哈萨克族乡",
        "sand_gravel",
        "玛纳斯县示例河流水源地002（虚构）一级保护区（fictitious source）",
    ),
    (
        "652301",
        "WSZ-652301-004-1",
        "wholly",
        "硫磺沟镇",
        "sand_gravel",
        "昌吉市示例水库水源地004（虚构）一级保护区（fictitious source）",
    ),
    (
        "652302",
        "WSZ-652302-003-1",
        "partly",
        "三工河哈萨克族乡",
        "clay",
        "阜康市示例河流水源地003（虚构）一级保护区（fictitious source）",
    ),
    (
        "652323",
        "WSZ-652323-001-1",
        "partly",
        "雀尔沟镇",
        "sand_gravel",
        "呼图壁县示例河流水源地001（虚构）一级保护区（fictitious source）",
    ),
    (
        "652325",
        "WSZ-652325-002-2",
        "grade2",
        "奇台镇",
        "sand_gravel",
        "奇台县示例地下水水源地002（虚构）二级保护区（fictitious source）",
    ),
    (
        "652323",
        "WSZ-652323-002-2",
        "grade2",
        "呼图壁镇",
        "clay",
        "呼图壁县示例地下水水源地002（虚构）二级保护区（fictitious source）",
    ),
]
MINERAL_CN = {
    "sand_gravel": "砂石",
    "coal": "煤矿",
    "limestone": "石灰岩",
    "clay": "黏土",
    "iron": "铁矿",
    "gold": "金矿",
    "other": "采矿",
}


def build_pits(world: World, rng: random.Random, wzones: dict):
    specs = _pit_specs(rng)
    conflict_idx = _assign_conflicts(specs)
    # place conflict pits first
    for i, (zcode, mode, note) in conflict_idx.items():
        s = specs[i]
        g = _place_conflict_pit(world, rng, wzones, s, zcode, mode)
        s["geom_m"] = g
        s["conflict_note"] = note
        world.placed_m.append(g)
    for s in specs:
        if "geom_m" in s:
            continue
        ax, ay = world.anchor(s["county"], *TOWNS[s["county"]][s["town"]], inset=2000)
        s["geom_m"] = world.place(rng, s["county"], ax, ay, s["area_ha"] * 1e4, spread=5000)
    return specs, conflict_idx


def _pit_specs(rng: random.Random) -> list[dict]:
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

    return specs


def _assign_conflicts(specs: list[dict]) -> dict:
    conflict_idx = {}
    used = set()
    for county, zcode, mode, town, mineral, note in CONFLICTS:
        # pick a non-restored spec of that county for the conflict pit (Shihuiyao: not started)
        cand = [
            i
            for i, s in enumerate(specs)
            if s["county"] == county
            and i not in used
            and (not s["restored"] if mode != "wholly" else s["restored"])
        ]
        i = cand[0]
        used.add(i)
        specs[i].update(town=town, mineral=mineral)
        conflict_idx[i] = (zcode, mode, note)

    return conflict_idx


def _place_conflict_pit(world: World, rng: random.Random, wzones: dict, s: dict, zcode, mode):
    g1_m = wzones[zcode][1]
    for _attempt in range(2000):
        g, ok = _conflict_candidate(rng, wzones, g1_m, zcode, mode, s["area_ha"] * 1e4)
        if ok:
            # must not touch any other protected zone
            others = [z for c, (_, z) in wzones.items() if c[:-2] != zcode[:-2]]
            if all(z.distance(g) > PLACE_GAP_M for z in others) and world.free(
                g, gap_protected=-1, county=s["county"]
            ):
                return g
    raise RuntimeError(f"cannot place conflict pit in {zcode}")


def _conflict_candidate(rng: random.Random, wzones: dict, g1_m, zcode, mode, area):
    if mode == "wholly":
        area = min(area, g1_m.area * 0.15)
        p = g1_m.representative_point()
        g = blob(p.x + rng.gauss(0, 80), p.y + rng.gauss(0, 80), area, rng, elong=(1.0, 1.4))
        return g, g1_m.buffer(-30).contains(g)
    if mode == "partly":
        area = min(area, g1_m.area * 0.25)
        ring = g1_m.exterior if g1_m.geom_type == "Polygon" else g1_m.geoms[0].exterior
        p = ring.interpolate(rng.uniform(0, ring.length))
        g = blob(p.x, p.y, area, rng, elong=(1.0, 1.6))
        frac = g.intersection(g1_m).area / g.area
        return g, 0.25 < frac < 0.75
    # grade2: inside the grade-2 ring, clear of the grade-1 zone
    area = min(area, 12e4)
    ring2 = g1_m.exterior if g1_m.geom_type == "Polygon" else g1_m.geoms[0].exterior
    p = ring2.interpolate(rng.uniform(0, ring2.length))
    g = blob(p.x, p.y, area, rng, elong=(1.0, 1.6))
    g1_code = zcode[:-1] + "1"
    ok = wzones[g1_code][1].distance(g) > 150 and g.intersection(g1_m).area / g.area > 0.3
    return g, ok


def finish_pits(specs, rng):
    _measure(specs)
    _match_restored_total(specs)
    counters = {}
    feats = []
    for s in specs:
        c = s["county"]
        counters[c] = counters.get(c, 0) + 1
        s["code"] = f"PIT-{c}-{counters[c]:04d}"
        props = _pit_properties(s, counters[c], rng)
        feats.append({"type": "Feature", "properties": props, "geometry": mapping(s["geom_ll"])})
    return feats


def _measure(specs: list[dict]) -> None:
    for s in specs:
        f, gll = feature({}, g_m=s["geom_m"])
        s["geom_ll"] = gll
        s["true_ha"] = geod_area_m2(gll) / 1e4


def _match_restored_total(specs: list[dict]) -> None:
    """Exact area of the restored group: measure and correct the largest restored pit."""
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


def _pit_properties(s: dict, number: int, rng: random.Random) -> dict:
    c = s["county"]
    rep = s["true_ha"] * rng.uniform(*UNDER_REPORTING_PITS.get(c, (0.97, 1.03)))
    legacy = not (s["county"] in ("652325", "652302") and rng.random() < 0.05 and not s["restored"])
    mineral_cn = MINERAL_CN[s["mineral"]]
    src = (
        "sample (illustrative geometry): legacy mining pit ledger of Changji Prefecture; "
        f"{CHANGJI_REPORT} 6: “截至2022年12月，各县市已完成和启动168处历史遗留采坑恢复治理工作，"
        "恢复治理面积2141.56公顷” / “尚有242处未完成治理”"
    )
    if "conflict_note" in s:
        src += f"; SEEDED CONFLICT: overlaps {s['conflict_note']}"
    return {
        "code": s["code"],
        "name": f"{s['town']}{mineral_cn}采坑{number:03d}",
        "source": src,
        "mineral": s["mineral"],
        "legacy": legacy,
        "responsible_party": rng.choice(PARTIES) if legacy else "在产矿山企业（样例）",
        "town": s["town"],
        "reported_area_ha": round(rep, 2),
        "pit_depth_m": None
        if rng.random() < 0.2
        else round(
            rng.uniform(2, 9) if s["mineral"] in ("sand_gravel", "clay") else rng.uniform(8, 45),
            1,
        ),
    }
