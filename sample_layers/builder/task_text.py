"""The vocabulary of the two reports' annexes and the parsers of their text (build_tasks.py)."""

from __future__ import annotations

import calendar
import re

CN_NUM = "一二三四五六七八九十"
SECTION_RE = re.compile(r"^([一二三四五六七八九十]+)、(.*)$")
SUB_RE = re.compile(r"^（([一二三四五六七八九十]+)）(.*)$")
ITEM_RE = re.compile(r"^(\d+)[.．](.*)$")

STATUS = {
    "已完成": "completed",
    "已完成，长期坚持": "completed",
    "完成整改": "completed",
    "正在持续推进": "in_progress",
    "达到序时进度，持续推进": "in_progress",
    # The Corps counts these apart from its 19 completed tasks: kept up, never closed.
    "已按要求整改，长期坚持": "ongoing",
}

COUNTIES = {
    "昌吉市": "652301",
    "阜康": "652302",
    "呼图壁": "652323",
    "玛纳斯县": "652324",
    "玛纳斯石灰窑": "652324",
    "奇台": "652325",
    "吉木萨尔": "652327",
    "木垒": "652328",
}

CATEGORY_A = {  # Report A's six sections
    "一": "governance",
    "二": "industry_energy",
    "三": "air",
    "四": "water",
    "五": "soil_waste",
    "六": "other",
}
# Report B has no sections: a keyword rule, first match wins (documented as derived).
CATEGORY_RULES = [
    ("ecology", ("草原", "湿地", "生态流量", "生态水", "尾闾湖", "艾比湖", "博斯腾湖", "塔里木河")),
    ("soil_waste", ("油泥", "固废", "危险废物")),
    ("water", ("污水", "废水", "中水", "排污口", "黑沟河", "用水", "节水", "水资源", "水价")),
    ("air", ("大气", "废气", "重污染", "炉窑", "焦化", "焦炉", "烟气", "超标排放", "排污", "兰炭")),
    ("industry_energy", ("高耗能", "产能", "钢铁", "项目", "常减压", "挖矿")),
    ("governance", ("思想", "整改", "投诉", "土政策", "干部")),
]


def cn_to_int(s: str) -> int:
    """'十六' → 16, '三十一' → 31, '四十五' → 45."""
    if s == "十":
        return 10
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (CN_NUM.index(tens) + 1 if tens else 1) * 10 + (
            CN_NUM.index(ones) + 1 if ones else 0
        )
    return CN_NUM.index(s) + 1


def parse_deadline(text: str) -> tuple[str | None, str]:
    """(ISO date or None, deadline_kind) from the report's words."""
    t = text.strip().rstrip("。")
    if re.fullmatch(r"立行立改[，、,]\s*长期坚持", t):
        return None, "immediate_ongoing"
    ongoing = "长期坚持" in t
    if m := re.search(r"(\d{4})\s*年\s*(\d{1,2})月(\d{1,2})日", t):
        y, mo, d = map(int, m.groups())
    elif m := re.search(r"(\d{4})\s*年\s*(\d{1,2})月底", t):
        y, mo = map(int, m.groups())
        d = calendar.monthrange(y, mo)[1]
    elif m := re.search(r"(\d{4})\s*年底", t):
        y, mo, d = int(m.group(1)), 12, 31
    else:
        raise ValueError(f"deadline not understood: {text!r}")
    return f"{y:04d}-{mo:02d}-{d:02d}", ("date_then_ongoing" if ongoing else "date")


def title_of(statement: str) -> str:
    """The first sentence of the problem statement (at most 80 characters)."""
    first = re.split(r"(?<=[。；])", statement, maxsplit=1)[0].rstrip("。；")
    return first if len(first) <= 80 else first[:79] + "…"


def region_of(statement: str, default: str) -> str:
    found = {code for name, code in COUNTIES.items() if name in statement}
    if len(found) == 1:
        return found.pop()
    if found or "昌吉" in statement:
        return "652300"
    return default


def category_of(statement: str) -> str:
    for cat, words in CATEGORY_RULES:
        if any(w in statement for w in words):
            return cat
    return "other"
