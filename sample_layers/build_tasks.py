"""Extract the rectification tasks (整改任务) of the two official reports into tasks.json.

    python sample_layers/build_tasks.py [SEEDS_DIR]      # default /work/shared/seeds

The annexes of both reports are regular: a problem statement, then ``整改时限：…`` and
``整改进展情况：…``, then the progress text. This script cuts them at those markers, so every
title, deadline, status and quote in tasks.json is the report's own text; nothing is typed by
hand except the links to sample features and the units a problem statement names (both listed
below, with the reason). Deterministic: two runs give byte-identical output.
"""

from __future__ import annotations

import json
from pathlib import Path

from builder.task_text import (
    CATEGORY_A,
    ITEM_RE,
    SECTION_RE,
    STATUS,
    SUB_RE,
    category_of,
    cn_to_int,
    parse_deadline,
    region_of,
    title_of,
)

HERE = Path(__file__).resolve().parent

REPORT_A = {
    "key": "A",
    "file_prefix": "000_",
    "title": "昌吉回族自治州第一轮自治区生态环境保护督察整改落实情况报告",
    "date": "2023-12-25",
    "annex": "附件：昌吉回族自治州贯彻落实第一轮自治区生态环境保护督察报告具体问题整改落实情况",
    # “截至2023年11月底，45项整改任务全部完成整改”
    "as_of": "2023-11-30",
    "feedback": "2022-01-14",  # “2022年1月14日，督察组正式反馈了督察报告”
}
REPORT_B = {
    "key": "B",
    "file_prefix": "001_",
    "title": "新疆维吾尔自治区和新疆生产建设兵团第二轮中央生态环境保护督察整改落实情况报告",
    "date": "2023-10-10",
    # “截至2023年6月底，自治区已完成14项整改任务，兵团已完成19项整改任务”
    "as_of": "2023-06-30",
    "feedback": "2022-06-01",  # “并于6月1日反馈督察报告”
}


def _blocks(lines: list[str], headings) -> list[dict]:
    """Cut an annex into tasks: a task is the newest heading before a 整改时限 line."""
    tasks, heading, current = [], {}, None
    body_open = False
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        kind = headings(line, body_open)
        if kind is not None:
            level, label, text = kind
            heading = {**{k: v for k, v in heading.items() if k < level}, level: (label, text)}
            current, body_open = None, False
            continue
        if line.startswith("整改时限"):
            label_path = [heading[k] for k in sorted(heading)]
            current = {
                "path": label_path,
                "deadline_text": line.split("：", 1)[1].strip(),
                "status_text": None,
                "progress": [],
            }
            tasks.append(current)
            continue
        if line.startswith("整改进展情况") and current is not None:
            current["status_text"] = line.split("：", 1)[1].strip().rstrip("。")
            body_open = True
            continue
        if current is not None and body_open:
            current["progress"].append(line)
        elif heading:
            level = max(heading)
            label, text = heading[level]
            heading[level] = (label, text + line)
    return tasks


def _headings_a(line: str, body_open: bool):
    if m := SECTION_RE.match(line):
        return 0, m.group(1), m.group(2)
    if m := SUB_RE.match(line):
        return 1, m.group(1), m.group(2)
    if m := ITEM_RE.match(line):  # report A's progress texts never start with "1."
        return 2, m.group(1), m.group(2)
    return None


def _headings_b(line: str, body_open: bool):
    if m := SECTION_RE.match(line):
        return 0, m.group(1), m.group(2)
    if m := SUB_RE.match(line):
        return 1, m.group(1), m.group(2)
    return None


def _slice(text: str, start: str, end: str | None) -> list[str]:
    lines = text.splitlines()
    i = next(n for n, ln in enumerate(lines) if ln.strip() == start) + 1
    j = (
        len(lines)
        if end is None
        else next(n for n, ln in enumerate(lines) if n > i and ln.strip().startswith(end))
    )
    return lines[i:j]


def _task(
    report: dict,
    party: str,
    round_: str,
    raw: dict,
    code: str,
    section: str,
    label: str,
    statement: str,
    category: str,
    default_region: str,
) -> dict:
    deadline, kind = parse_deadline(raw["deadline_text"])
    status = STATUS[raw["status_text"]]
    quote = statement if len(statement) <= 120 else statement[:119] + "…"
    progress = "\n".join(raw["progress"]).strip()
    return {
        "code": code,
        "title": title_of(statement),
        "problem": statement,
        "round": round_,
        "party": party,
        "category": category,
        "section": section,
        "deadline": deadline,
        "deadline_kind": kind,
        "deadline_text": raw["deadline_text"],
        "status": status,
        "status_text": raw["status_text"],
        "lead_unit": None,
        "responsible_units": [],
        "units_note": "报告附件未列明牵头单位和责任单位 (the annex does not name lead or responsible units)",
        "region_code": region_of(statement, default_region),
        "feature_codes": [],
        "violation_ids": [],
        "progress_text": progress,
        "source": {
            "report": report["key"],
            "document": report["title"],
            "report_date": report["date"],
            "item": label,
            "quote": quote,
            "deadline_quote": f"整改时限：{raw['deadline_text']}",
            "status_quote": f"整改进展情况：{raw['status_text']}",
        },
    }


def extract_a(text: str) -> list[dict]:
    lines = _slice(text, "昌吉回族自治州贯彻落实第一轮自治区生态", "中共昌吉回族自治州委员会")
    lines = lines[lines.index(next(ln for ln in lines if ln.startswith("一、"))) :]
    out = []
    for raw in _blocks(lines, _headings_a):
        (sec_no, sec_text), (sub_no, sub_text), *rest = raw["path"]
        n_sub = cn_to_int(sub_no)
        if rest:
            item_no, statement = rest[0]
            code = f"CJ-R1-{n_sub:02d}-{int(item_no)}"
            label = f"（{sub_no}）{item_no}"
        else:
            code, statement, label = f"CJ-R1-{n_sub:02d}", sub_text, f"（{sub_no}）"
        section = f"{sec_no}、{sec_text.split('。')[0]} / （{sub_no}）{sub_text.split('。')[0]}"
        task = _task(
            REPORT_A,
            "changji",
            "xj_regional_1",
            raw,
            code,
            section,
            label,
            statement.strip(),
            CATEGORY_A[sec_no],
            "652300",
        )
        task["aspect"] = {"no": cn_to_int(sec_no), "label": f"{sec_no}、", "title": sec_text}
        task["problem_ref"] = {"no": n_sub, "label": f"（{sub_no}）", "text": sub_text.strip()}
        out.append(task)
    return out


def extract_b(text: str) -> tuple[list[dict], list[dict]]:
    region, corps = [], []
    for start, end, party, prefix, out in (
        ("附件①", "附件②", "xinjiang", "XJ-C2", region),
        ("附件②", "中共新疆维吾尔自治区委员会", "bingtuan", "BT-C2", corps),
    ):
        lines = _slice(text, start, end)
        lines = lines[lines.index(next(ln for ln in lines if ln.startswith("一、"))) :]
        for raw in _blocks(lines, _headings_b):
            (no, statement), *rest = raw["path"]
            n = cn_to_int(no)
            problem_ref = {"no": n, "label": f"{no}、", "text": statement.strip()}
            if rest:  # a problem with sub-problems, each with its own deadline (region 16)
                sub_no, sub_text = rest[0]
                code, label = f"{prefix}-{n:02d}-{cn_to_int(sub_no)}", f"{no}（{sub_no}）"
                lead = statement.split("。")[0]
                statement = sub_text.strip()
                section = f"{no}、{lead}"
            else:
                code, label, section = f"{prefix}-{n:02d}", f"{no}、", f"{no}、"
            which = "附件①（自治区）" if party == "xinjiang" else "附件②（兵团）"
            t = _task(
                REPORT_B,
                party,
                "central_2",
                raw,
                code,
                f"{which} {section}".strip(),
                label,
                statement.strip(),
                category_of(statement),
                "650000",
            )
            if party == "bingtuan":
                t["region_code"] = "650000"
            t["aspect"] = None
            t["problem_ref"] = problem_ref
            out.append(t)
    return region, corps


# --- hand-made links: sample features a task concerns (codes from sample_layers/*.geojson) ---
def _codes(layer: str, pred=lambda p: True) -> list[str]:
    fc = json.loads((HERE / f"{layer}.geojson").read_text(encoding="utf-8"))
    return sorted(f["properties"]["code"] for f in fc["features"] if pred(f["properties"]))


def links() -> dict[str, tuple[list[str], str]]:
    wetland_manas = _codes("wetland_parks", lambda p: p["code"].startswith("WLP-652324-01"))
    return {
        # “应在2020年完成城市周边50%矿业权灭失矿山的治理恢复工作，目前仅完成了43处，尚有242处未完成治理”
        "CJ-R1-03-6": (_codes("mining_pits"), "every legacy pit of the sample ledger"),
        "CJ-R1-11-1": (
            ["WSZ-652301-001-1", "WSZ-652301-002-1", "WSZ-652301-003-1"],
            "大西渠镇、二六工镇、榆树沟镇水源地一级保护区",
        ),
        "CJ-R1-11-2": (
            ["WSZ-652302-001-1", "WSZ-652302-002-2"],
            "水磨河水源地一级保护区; 城郊地下水水源地二级保护区",
        ),
        "CJ-R1-11-3": (["WSZ-652324-001-1"], "玛纳斯石灰窑水源地一级保护区"),
        "CJ-R1-17": (
            [*wetland_manas, "GOC-652324-001"],
            "玛纳斯河国家湿地公园 and the cropland not withdrawn (退耕还湿未做到应退尽退)",
        ),
        "XJ-C2-03": (
            _codes(
                "grassland_occupations",
                lambda p: p["purpose"] == "farming" and p["grassland_type"] == "natural_pasture",
            ),
            "开垦天然牧草地: the sample's farming occupations of natural pasture",
        ),
        "XJ-C2-31": (
            _codes(
                "grassland_occupations",
                lambda p: (
                    p["code"].startswith("GOC-652327-00")
                    and p["occupant"] == "新疆宝明矿业有限公司"
                    or p.get("town") == "三工镇"
                ),
            ),
            "宝明矿业石长沟矿区; 三工镇头屯河左岸13家采砂场",
        ),
        "XJ-C2-32": (
            _codes("grassland_occupations"),
            "“昌吉州向自治区林业和草原局报告全州违法占用草原面积1.1万亩，与实际情况差距很大”",
        ),
        "XJ-C2-34": (wetland_manas, "玛纳斯河 ecological flow; 玛纳斯国家湿地公园生态功能退化区域"),
        "BT-C2-30": (
            ["WLP-652324-01-R"],
            "the dried-up restoration zone of the Manas wetland park",
        ),
    }


def build(seeds: Path) -> list[dict]:
    def read(prefix: str) -> str:
        (path,) = sorted(seeds.glob(f"{prefix}*.txt"))
        return path.read_text(encoding="utf-8")

    a = extract_a(read(REPORT_A["file_prefix"]))
    b_region, b_corps = extract_b(read(REPORT_B["file_prefix"]))
    # The reports' own totals: 45 tasks (A); 45 problems of the region, one of them (16) in
    # three sub-problems with their own deadlines; 30 of the Corps; 14 and 19 completed.
    assert len(a) == 45, len(a)
    assert len({t["code"].split("-")[2] for t in b_region}) == 45 and len(b_region) == 47
    assert len(b_corps) == 30, len(b_corps)
    assert sum(t["status"] == "completed" for t in a) == 45
    assert sum(t["status"] == "completed" for t in b_region) == 14
    assert sum(t["status"] == "completed" for t in b_corps) == 19
    tasks = a + b_region + b_corps
    by_code = {t["code"]: t for t in tasks}
    assert len(by_code) == len(tasks)
    for code, (codes, why) in links().items():
        by_code[code]["feature_codes"] = codes
        by_code[code]["feature_note"] = f"illustrative sample features: {why}"
    return tasks


def main() -> None:
    """tasks.json is written together with campaign.json, from the same reading."""
    import build_campaign

    build_campaign.main()


if __name__ == "__main__":
    main()
