"""What a progress text says, read by rule: numbered measures, dated statements, quantities,
the units it names and the places that must act. Pure functions over the reports' words;
every value carries the quote it came from. Used by build_tasks.py and build_campaign.py.
"""

from __future__ import annotations

import calendar
import re

# ---- measures -------------------------------------------------------------------------
MEASURE_RE = re.compile(r"^(\d{1,2})[.．](?!\d)(.*)$")


def measures(lines: list[str]) -> list[dict]:
    """Numbered measures ("1.…", "2.…"); a paragraph without a number belongs to the measure
    before it. A text with no numbered paragraph is one measure per paragraph (no number).
    Joining every measure's paragraphs with newlines gives the progress text back."""
    out: list[dict] = []
    numbered = any(MEASURE_RE.match(ln) for ln in lines)
    for ln in lines:
        m = MEASURE_RE.match(ln) if numbered else None
        if m or not out or not numbered:
            out.append({"no": int(m.group(1)) if m else None, "paragraphs": [ln]})
        else:
            out[-1]["paragraphs"].append(ln)
    for i, m in enumerate(out, 1):
        m["position"] = i
        m["text"] = "\n".join(m.pop("paragraphs"))
    return out


# ---- dated statements -----------------------------------------------------------------
# Longest forms first; "截至6月底" has the year of the report's cut-off.
DATE_RE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"|(?P<y2>\d{4})\s*年\s*(?P<m2>\d{1,2})\s*月(?:底|末)?"
    r"|(?P<y3>\d{4})\s*年(?:底|末)"
    r"|截至(?P<m4>\d{1,2})月(?:底|末)"
    # a plain year ("2022年，…", "2023年度…"), not one end of a range ("2022—2023年")
    r"|(?<![\d—－\-~])(?P<y5>\d{4})\s*年(?:度)?"
)
TITLE_RE = re.compile(r"《[^》]*》")
# A statement that the problem itself (not one measure) is rectified.
COMPLETION_RE = re.compile(r"完成整改|整改完成|已整改到位|整改到位|已整改|已完成整改")
SENTENCE_RE = re.compile(r"[^。；]+[。；]?")


def _period(m: re.Match, year: int) -> tuple[str, str, str]:
    """(start, end, precision) of a matched date; the end is when the fact is certain."""
    if m.group("y"):
        y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
        iso = f"{y:04d}-{mo:02d}-{d:02d}"
        return iso, iso, "day"
    if m.group("y2"):
        y, mo = int(m.group("y2")), int(m.group("m2"))
    elif m.group("y3") or m.group("y5"):
        y = m.group("y3") or m.group("y5")
        return f"{y}-01-01", f"{y}-12-31", "year"
    else:
        y, mo = year, int(m.group("m4"))
    last = calendar.monthrange(y, mo)[1]
    return f"{y:04d}-{mo:02d}-01", f"{y:04d}-{mo:02d}-{last:02d}", "month"


def dated_statements(text: str, cutoff: str) -> list[dict]:
    """Every sentence of ``text`` that gives a date (a past one: not after the cut-off),
    with its date, precision and whether it states the problem rectified. A plain year
    ("2022年，…") is a period, not a date of completion, and is kept with precision year only
    when written 年底."""
    out = []
    year = int(cutoff[:4])
    for para in text.split("\n"):
        for sent in SENTENCE_RE.findall(para):
            # a year inside a document's title (《…2016-2020年》) dates nothing
            m = DATE_RE.search(TITLE_RE.sub(lambda t: "＿" * len(t.group(0)), sent))
            if not m:
                continue
            start, end, precision = _period(m, year)
            if start > cutoff:  # a plan ("要求…于2025年底前完成") is not a fact
                continue
            # "截至6月底…已完成" bounds the fact (by then), it does not date it
            by = m.group(0).startswith("截至") or sent[: m.start()].endswith(("截至", "截止"))
            out.append(
                {
                    "date": start[: {"day": 10, "month": 7, "year": 4}[precision]],
                    "known_by": min(end, cutoff),
                    "precision": f"by_{precision}" if by else precision,
                    "completion": bool(COMPLETION_RE.search(sent))
                    and not re.search(r"计划|要求|前完成|正在|未", sent),
                    "quote": sent.strip(),
                }
            )
    return out


# ---- quantities -----------------------------------------------------------------------
UNITS = "立方米/日|立方米|万亩|万方|万吨|公顷|公里|千米|台|辆|亩|方|吨|家|处|个|座|套|眼|户|件|条|项|名|座"
NUM = r"(\d+(?:\.\d+)?)"
PLANNED_RE = re.compile(rf"计划(?:完成|实施|建设|改造|每年将)[^，。；\d]{{0,12}}?{NUM}({UNITS})")
DONE_RE = re.compile(
    rf"(?:已完成|已建设完成|完成|清理整治|已清理|已治理|已关停|已拆除|已淘汰|累计)"
    rf"[^，。；\d]{{0,10}}?{NUM}({UNITS})"
)


def quantities(text: str) -> list[dict]:
    """Planned and done quantities with units, each with its clause. A number after 计划 is
    planned; after 已完成/完成/清理整治/… it is done."""
    out = []
    for para in text.split("\n"):
        for clause in re.split(r"(?<=[，。；：])", para):
            for kind, rx in (("planned", PLANNED_RE), ("done", DONE_RE)):
                for m in rx.finditer(clause):
                    if kind == "done" and clause[max(0, m.start() - 2) : m.start()] == "计划":
                        continue
                    out.append(
                        {
                            "kind": kind,
                            "value": float(m.group(1)),
                            "unit": m.group(2),
                            "item": re.split(r"[，。；、]", clause[m.end() :])[0][:30],
                            "quote": clause.strip(),
                        }
                    )
    return out


# ---- units ----------------------------------------------------------------------------
UNIT_STEMS = (
    "发展改革委|发展改革部门|发展和改革委员会|工业和信息化厅|工业和信息化局|工业和信息化部门"
    "|住房和城乡建设厅|住房和城乡建设局|住房和城乡建设部门|住房城乡建设部门|生态环境厅|生态环境局"
    "|生态环境部门|自然资源厅|自然资源局|自然资源部门|林业和草原局|林草局|水利厅|水利局|水利部门"
    "|交通运输厅|交通运输局|公安厅|公安局|商信部门|商务局|财政厅|财政局|农业农村厅|农业农村局"
    "|市场监管局|纪委监委|流域管理局|湿地公园管理局|水利工程管理服务中心|农业农村部门"
    "|公安部门|交通运输部门|交通部门|河湖长制办公室|重污染天气应急指挥部办公室"
    "|大气污染防治指挥中心"
)
ISSUER = r"(自治区|兵团|昌吉州|州|[\u4e00-\u9fff]{2,4}?(?:市|县|地区|师))"
UNIT_RE = re.compile(rf"{ISSUER}({UNIT_STEMS})")
LEAD_RE = re.compile(rf"{ISSUER}({UNIT_STEMS})牵头")


def units(text: str) -> list[str]:
    """Units the text names, verbatim (issuer + unit), in order of first appearance."""
    seen: list[str] = []
    for m in UNIT_RE.finditer(text):
        name = m.group(1) + m.group(2)
        if name not in seen:
            seen.append(name)
    return seen


def lead_unit(text: str) -> tuple[str | None, str | None]:
    """The unit the text says leads ("州林草局牵头…"), with the clause, or (None, None)."""
    m = LEAD_RE.search(text)
    if not m:
        return None, None
    clause = next(c for c in re.split(r"(?<=[，。；])", text) if m.group(0) in c)
    return m.group(1) + m.group(2), clause.strip()


# ---- places ---------------------------------------------------------------------------
# Names a report uses for the counties of Changji (codes in sample_layers/regions.geojson).
CHANGJI_COUNTIES = {
    "昌吉市": "652301",
    "阜康市": "652302",
    "阜康": "652302",
    "呼图壁县": "652323",
    "呼图壁": "652323",
    "玛纳斯县": "652324",
    "玛纳斯石灰窑": "652324",
    "奇台县": "652325",
    "吉木萨尔县": "652327",
    "木垒县": "652328",
    "木垒": "652328",
}
PREFECTURE = {"昌吉州": "652300", "昌吉回族自治州": "652300"}
# Other places the reports charge (no boundary in the sample regions layer: code None).
OTHERS = (
    "乌鲁木齐市|克拉玛依市|吐鲁番市|哈密市|伊犁州|伊宁县|尼勒克县|霍城县|塔城地区|阿勒泰地区"
    "|阿克苏地区|喀什地区|和田地区|巴州|博州|克州|奎屯市|库车|石河子市|五家渠市"
    "|第[一二三四五六七八九十]+师|[一二三四五六七八九十]+师"
)
PLACE_RE = re.compile(
    "|".join(sorted((*CHANGJI_COUNTIES, *PREFECTURE), key=len, reverse=True) + [OTHERS])
)
LEADING_RE = re.compile(r"^(?:\d{1,2}[.．])?(?:(?:截至|截止)?[^，。]{0,12}?[年月底]，)?")


def place_code(name: str) -> str | None:
    return CHANGJI_COUNTIES.get(name) or PREFECTURE.get(name)


def subjects(paragraph: str) -> list[str]:
    """Places that are the subject of a paragraph: named at its start (after the measure's
    number and a leading date), "昌吉市、阜康市严格…", "昌吉市：…"."""
    head = LEADING_RE.sub("", paragraph, count=1)
    found = []
    while m := PLACE_RE.match(head):
        found.append(m.group(0))
        head = head[m.end() :].lstrip("、和及：:")
    return found


def charged(names: list[str]) -> list[str]:
    """Distinct names in order; a prefecture is dropped when its counties are named."""
    out = list(dict.fromkeys(names))
    if any(n in CHANGJI_COUNTIES for n in out):
        out = [n for n in out if n not in PREFECTURE]
    # one place may go by two names (阜康 / 阜康市): keep the first of each code
    seen, keep = set(), []
    for n in out:
        key = place_code(n) or n
        if key not in seen:
            seen.add(key)
            keep.append(n)
    return keep
