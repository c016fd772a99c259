"""The campaign as the reports lay it out: round → aspect → problem → task → numbered measures,
with dated facts, quantities, named units and charged places; writes tasks.json and
campaign.json.

    python sample_layers/build_campaign.py [SEEDS_DIR]      # default /work/shared/seeds

build_tasks.py cuts the annexes into the 122 tasks (verbatim); this script reads what each
progress text says (campaign_text.py) and the reports' figures on accountability, petitions
and compensation (campaign_records.py). Deterministic: two runs give byte-identical output.
"""

from __future__ import annotations

import calendar
import json
import re
import sys
from pathlib import Path

import build_tasks as bt
import campaign_records
import campaign_text as ct

HERE = Path(__file__).resolve().parent
REPORTS = {"A": bt.REPORT_A, "B": bt.REPORT_B}
PARTY_DEFAULT = {"changji": "昌吉州", "xinjiang": "自治区", "bingtuan": "兵团"}
PARTY_PREFIX = {"changji": "CJ-R1", "xinjiang": "XJ-C2", "bingtuan": "BT-C2"}
DEFAULT_CODE = {"昌吉州": "652300", "自治区": "650000"}

# Report B's problems have no aspect: a category by weighted keywords, the most hits win
# (ties in this order). Air before water: "超标排放" of flue gas is not a water problem.
CATEGORY_WORDS = {
    "air": (
        "大气",
        "废气",
        "烟气",
        "重污染天气",
        "炉窑",
        "焦炉",
        "脱硫",
        "脱硝",
        "除尘",
        "扬尘",
        "异味",
        "兰炭",
        "锅炉",
        "挥发性有机物",
        "无组织排放",
        "颗粒物",
        "二氧化硫",
    ),
    "water": ("污水", "废水", "中水", "排污口", "水质", "尾水", "黑沟河", "氧化塘", "截污"),
    "water_resources": ("用水", "节水", "水资源", "水价", "水资源费", "灌区", "地下水"),
    "ecology": (
        "草原",
        "湿地",
        "生态流量",
        "生态水",
        "尾闾湖",
        "艾比湖",
        "博斯腾湖",
        "塔里木河",
        "牧草地",
        "拦水坝",
    ),
    "soil_waste": ("油泥", "固废", "危险废物", "污泥", "尾矿", "土壤"),
    "industry_energy": ("高耗能", "产能", "钢铁", "常减压", "挖矿", "节能审查", "炼油"),
    "governance": ("思想", "整改不严不实", "投诉", "土政策", "干部", "考核", "信访"),
}


def category_of(statement: str) -> str:
    scores = {c: sum(statement.count(w) for w in ws) for c, ws in CATEGORY_WORDS.items()}
    best = max(scores.values())
    return next(c for c, s in scores.items() if s == best) if best else "other"


def region_names() -> dict[str, str]:
    fc = json.loads((HERE / "regions.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f["properties"]["name"] for f in fc["features"]}


def charged_places(task: dict) -> list[str]:
    """Who must act, as the text names them. Changji's annex: the county a problem statement
    opens with, else the prefecture. The region's and the Corps' annexes: the places that
    open the measures' paragraphs, else the one the problem opens with, else the party."""
    lead = re.sub(r"^[^，。]{0,14}?年[^，。]{0,6}?，", "", task["problem"])
    if task["party"] == "changji":
        names = ct.subjects(lead)
    else:
        names = [n for p in task["progress_text"].split("\n") for n in ct.subjects(p)]
        names = names or ct.subjects(lead)
    return ct.charged(names) or [PARTY_DEFAULT[task["party"]]]


def primary_region(codes: list[str]) -> str:
    """The one region column (kept for older clients): the only code, or their parent."""
    if len(codes) == 1:
        return codes[0]
    return "652300" if codes and all(c.startswith("6523") for c in codes) else "650000"


def notes_of(task: dict, report: dict, events: list[dict]) -> tuple[list[dict], dict | None]:
    """The task's dated notes: opened at the feedback, each dated statement of its progress
    text (known at the end of the period it names), and the report's status at its cut-off.
    Returns (notes, completion); completion is None unless the report says completed."""
    cutoff = report["as_of"]
    done = [e for e in events if e["completion"]] if task["status"] == "completed" else []
    last_done = max(done, key=lambda e: e["known_by"]) if done else None
    notes = [
        {
            "date": report["feedback"],
            "status": None,
            "kind": "opened",
            "text": "督察反馈，任务建立",
            "note": "the task exists from the feedback date; the report gives no status then",
        }
    ]
    for e in events:
        notes.append(
            {
                "date": e["known_by"],
                "status": "completed" if e is last_done else None,
                "kind": "completion" if e is last_done else "dated_fact",
                "text": e["quote"],
                "date_text": e["date"],
                "precision": e["precision"],
            }
        )
    completion = None
    if task["status"] == "completed":
        completion = (
            {
                "date": last_done["date"],
                "precision": last_done["precision"],
                "quote": last_done["quote"],
            }
            if last_done
            else {"date": None, "by": cutoff, "note": f"completed by {cutoff}, date not given"}
        )
    remark = (
        completion["note"]
        if completion and completion["date"] is None
        else f"status as the report states it at its cut-off date {cutoff}"
    )
    notes.append(
        {
            "date": cutoff,
            "status": task["status"],
            "kind": "report_status",
            "text": f"整改进展情况：{task['status_text']}",
            "note": remark,
            "date_text": cutoff,
            "precision": "day",
        }
    )
    return notes, completion


def _sentences(text: str) -> list[str]:
    return [p for p in re.split(r"(?<=[。；])", text) if p]


def distinct_titles(tasks: list[dict]) -> None:
    """Titles are the statement's first sentence; where tasks share it, each adds the first
    sentence of its statement that the others do not share (the report's words, "…" between).
    """
    groups: dict[str, list[dict]] = {}
    for t in tasks:
        groups.setdefault(t["title"], []).append(t)
    for group in (g for g in groups.values() if len(g) > 1):
        split = [_sentences(t["problem"]) for t in group]
        i = 0
        while all(len(s) > i for s in split) and len({s[i] for s in split}) == 1:
            i += 1
        for t, s in zip(group, split, strict=True):
            rest = s[i].rstrip("。；") if len(s) > i else ""
            title = f"{s[0].rstrip('。；')}…{rest}"
            t["title"] = title if len(title) <= 120 else title[:119] + "…"
    titles = [t["title"] for t in tasks]
    assert len(set(titles)) == len(titles), "titles still shared"


def enrich(task: dict, names: dict[str, str]) -> list[dict]:
    """Adds notes, completion, units and places to ``task``; returns its measures."""
    report = REPORTS[task["source"]["report"]]
    events = ct.dated_statements(task["progress_text"], report["as_of"])
    task["notes"], task["completion"] = notes_of(task, report, events)
    text = task["problem"] + "\n" + task["progress_text"]
    task["lead_unit"], lead_quote = ct.lead_unit(text)
    task["responsible_units"] = ct.units(text)
    task["units_note"] = (
        f"牵头单位 as the text names it: “{lead_quote}”"
        if lead_quote
        else "报告未列明牵头单位; responsible_units = the units the problem statement and "
        "progress text name (at fault or acting), verbatim"
    )
    places = charged_places(task)
    task["charged_places"] = places
    task["charged_regions"] = [c for c in map(ct.place_code, places) if c] or (
        [DEFAULT_CODE[places[0]]] if places[0] in DEFAULT_CODE else []
    )
    task["region_code"] = primary_region(task["charged_regions"])
    task["places_named"] = list(dict.fromkeys(ct.PLACE_RE.findall(text)))
    if task["party"] != "changji":
        task["category"] = category_of(task["problem"])
    task["problem_code"] = problem_code(task)
    lines = [ln for ln in task["progress_text"].split("\n") if ln]
    out = []
    for m in ct.measures(lines):
        out.append(
            {
                "task_code": task["code"],
                **m,
                "places": ct.charged([n for p in m["text"].split("\n") for n in ct.subjects(p)]),
                "units": ct.units(m["text"]),
                "quantities": ct.quantities(m["text"]),
            }
        )
    return out


def problem_code(task: dict) -> str:
    return f"{PARTY_PREFIX[task['party']]}-P{task['problem_ref']['no']:02d}"


def problems_of(tasks: list[dict]) -> list[dict]:
    out: dict[str, dict] = {}
    for t in tasks:
        code = t["problem_code"]
        p = out.setdefault(
            code,
            {
                "code": code,
                "report": t["source"]["report"],
                "party": t["party"],
                "round": t["round"],
                "aspect_no": t["aspect"]["no"] if t["aspect"] else None,
                "aspect_label": t["aspect"]["label"] if t["aspect"] else None,
                "aspect_title": t["aspect"]["title"] if t["aspect"] else None,
                "no": t["problem_ref"]["no"],
                "label": t["problem_ref"]["label"],
                "statement": t["problem_ref"]["text"],
                "task_codes": [],
                "charged_places": [],
                "charged_regions": [],
            },
        )
        p["task_codes"].append(t["code"])
        p["charged_places"] = list(dict.fromkeys(p["charged_places"] + t["charged_places"]))
        p["charged_regions"] = list(dict.fromkeys(p["charged_regions"] + t["charged_regions"]))
    return list(out.values())


def premature_signoffs(records: list[dict], tasks: list[dict]) -> list[dict]:
    """A closure the report dates and then finds premature ("…但六师五家渠市已于2020年12月
    验收销号") is the task's sign-off history: accepted by the unit the text names, reopened
    with the finding on the feedback date of the inspection that found it."""
    out = []
    for r in records:
        if r["kind"] != "premature_closure" or not r["date"]:
            continue
        (task,) = [t for t in tasks if t["problem_code"] == r["problem_code"]]
        y, m = map(int, r["date"].split("-")[:2])
        report = REPORTS[r["report"]]
        out += [
            {
                "task_code": task["code"],
                "step": "accepted",
                "event_date": f"{y:04d}-{m:02d}-{calendar.monthrange(y, m)[1]:02d}",
                "date_text": r["date"],
                "accepting_unit": r["place"],
                "evidence": [{"kind": "document", "ref": report["title"], "note": r["quote"]}],
                "finding": None,
            },
            {
                "task_code": task["code"],
                "step": "reopened",
                "event_date": report["feedback"],
                "date_text": report["feedback"],
                "accepting_unit": None,
                "evidence": [{"kind": "inspection", "ref": report["title"]}],
                "finding": task["problem"],
            },
        ]
    return out


def build(seeds: Path) -> tuple[list[dict], dict]:
    tasks = bt.build(seeds)
    names = region_names()
    measures = [m for t in tasks for m in enrich(t, names)]
    distinct_titles(tasks)
    problems = problems_of(tasks)
    for t in tasks:
        del t["aspect"], t["problem_ref"]
    records = campaign_records.extract(seeds)
    counts = {p: sum(x["party"] == p for x in problems) for p in PARTY_PREFIX}
    assert counts == {"changji": 19, "xinjiang": 45, "bingtuan": 30}, counts
    campaign = {
        "note": "Extracted by sample_layers/build_campaign.py from the two official reports "
        "in /work/shared/seeds; every text field is the reports' own words.",
        "reports": [
            {k: r[k] for k in ("key", "title", "date", "as_of", "feedback")}
            for r in REPORTS.values()
        ],
        "problems": problems,
        "measures": measures,
        "records": records,
        "signoffs": premature_signoffs(records, tasks),
    }
    return tasks, campaign


def main() -> None:
    seeds = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/seeds")
    tasks, campaign = build(seeds)
    for name, data in (("tasks.json", tasks), ("campaign.json", campaign)):
        out = HERE / name
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{out}: written")


if __name__ == "__main__":
    main()
