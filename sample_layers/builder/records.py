"""Restoration records with event histories (restoration.json)."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import shape

from builder.common import COUNTIES, d, geod_area_m2, rand_date
from builder.events import BASE, INSPECTION_NOTE, make_events, record


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
        overdue = id(s) in overdue_ids
        if id(s) in pre43:
            steps, deadline = _pit_done_before_inspection(rng)
        elif id(s) in repurp:
            steps, deadline = _pit_repurposed(rng)
            funding = "social_capital"
        elif id(s) in rest:
            steps, deadline = _pit_started(rng, overdue)
            if rng.random() < 0.2:
                funding = "mixed"
        else:  # not started yet (242)
            steps, deadline = _pit_not_started(rng, overdue)
        ev = make_events(rng, t, steps)
        recs.append(
            record("mining_pits", s["code"], t, ev, plan, funding, deadline.isoformat(), unit)
        )
    return recs


def _pit_done_before_inspection(rng):
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
    return steps, deadline


def _pit_repurposed(rng):
    p = rand_date(rng, "2021-09-01", "2022-05-31")
    i = rand_date(rng, p + dt.timedelta(days=20), "2022-12-20")
    r = rand_date(rng, "2023-02-01", "2023-11-30")
    steps = [
        ("not_started", BASE, 0, INSPECTION_NOTE),
        ("planned", p, 0, "一坑一方案 编制并评审"),
        ("in_progress", i, 0.3, "引进社会资本"),
        ("repurposed", r, 1, "转型利用 “已有13处历史遗留采坑通过引进社会资本进行转型利用”"),
    ]
    deadline = d("2023-12-31")
    return steps, deadline


def _pit_started(rng, overdue: bool):
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
    if overdue:
        deadline = d(rng.choice(["2024-12-31", "2025-06-30", "2025-12-31"]))
        steps.append(
            (
                "in_progress",
                rand_date(rng, "2024-03-01", "2025-09-30"),
                rng.uniform(0.4, 0.7),
                "进度滞后 (behind schedule)",
            )
        )
        return steps, deadline
    deadline = _pit_started_progress(rng, steps)
    return steps, deadline


def _pit_started_progress(rng, steps: list) -> dt.date:
    """The later steps of a pit started on time; returns its deadline."""
    r = rng.random()
    deadline = d(rng.choice(["2023-12-31", "2024-12-31", "2025-12-31"]))
    if r < 0.55:
        c = rand_date(rng, "2023-05-01", min(deadline, d("2025-10-31")))
        steps.append(("completed", c, 1, "治理完成 (works completed)"))
        if rng.random() < 0.6:
            steps.append(
                (
                    "accepted",
                    rand_date(rng, c + dt.timedelta(days=30), c + dt.timedelta(days=300)),
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
    return deadline


def _pit_not_started(rng, overdue: bool):
    steps = [("not_started", BASE, 0, INSPECTION_NOTE + "; “尚有242处未完成治理”")]
    if overdue:
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
    return steps, deadline


def occupation_records(occ, rng):
    recs = []
    for o in occ:
        t = round(o["true_ha"], 2)
        unit = f"{COUNTIES[o['county']][0]}林业和草原局"
        steps, plan, deadline, funding, unit = _occupation_plan(o, rng, unit)
        ev = make_events(rng, t, steps)
        recs.append(
            record(
                "grassland_occupations", o["code"], t, ev, plan, funding, deadline.isoformat(), unit
            )
        )
    return recs


def _occupation_plan(o, rng, unit):
    """(steps, plan, deadline, funding, responsible unit) of one occupation's record."""
    if o["occupant"] == "新疆宝明矿业有限公司":
        return _baoming_plan(o, rng, unit)
    elif o["purpose"] == "sand_quarry" and o["town"] == "三工镇":
        return _sangong_plan(o, rng, unit)
    elif o["purpose"] == "farming" and o["county"] == "652324" and "湿地" in o["name"]:
        return _wetland_farming_plan(o, rng, unit)
    elif o["purpose"] == "sand_quarry":
        return _wetland_sand_plan(o, rng, unit)
    elif o["approval_status"] == "approved":
        return _approved_plan(o, rng, unit)
    return _restoration_plan(o, rng, unit)


def _baoming_plan(o, rng, unit, funding="public"):
    """Baoming Mining: the general plan of 2022-12, still in progress."""
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
    return steps, plan, deadline, funding, unit


def _sangong_plan(o, rng, unit, funding="public"):
    """The 13 sand quarries of Sangong: 12 signed restoration contracts."""
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
    return steps, plan, deadline, funding, unit


def _wetland_farming_plan(o, rng, unit, funding="public"):
    """Cropland inside the wetland park: partly returned to wetland."""
    plan, deadline = "退耕还湿实施方案（玛纳斯河国家湿地公园，样例）", d("2022-12-31")
    unit = "玛纳斯县林业和草原局（玛纳斯河国家湿地公园管理局）"
    steps = [
        ("not_started", BASE, 0, INSPECTION_NOTE),
        ("planned", d("2022-03-15"), 0, "退耕还湿方案"),
        ("in_progress", d("2022-09-10"), 0.4, "退耕 (crop removal)"),
        ("in_progress", d("2024-05-20"), 0.7, "部分地块未退 (partly still farmed)"),
    ]
    return steps, plan, deadline, funding, unit


def _wetland_sand_plan(o, rng, unit, funding="public"):
    """Sand extraction in the wetland park: stopped and restored."""
    plan, deadline = "湿地公园非法采砂点生态修复（样例）", d("2023-06-30")
    unit = "玛纳斯县林业和草原局（玛纳斯河国家湿地公园管理局）"
    steps = [
        ("not_started", BASE, 0, INSPECTION_NOTE),
        ("planned", d("2022-05-10"), 0, "取缔并制定修复方案"),
        ("in_progress", d("2022-08-01"), 0.3, "回填平整"),
        ("completed", d("2023-05-30"), 1, "修复完成"),
        ("accepted", d("2023-09-15"), 1, "验收销号"),
    ]
    return steps, plan, deadline, funding, unit


def _approved_plan(o, rng, unit, funding="public"):
    """Approved use: nothing to restore before the permit ends."""
    plan, deadline = "草原征占用审批手续齐全；临时用地到期复垦方案（样例）", d("2028-12-31")
    steps = [("not_started", BASE, 0, INSPECTION_NOTE + "; 已审批")]
    return steps, plan, deadline, funding, unit


def _restoration_plan(o, rng, unit, funding="public"):
    """Any other occupation: a restoration plan, done, behind or not yet."""
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
    return steps, plan, deadline, funding, unit


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
