"""A second, deliberately small reading of the two reports, written apart from
sample_layers/build_*.py (it imports nothing of them): the annexes cut at their
``整改时限`` / ``整改进展情况`` lines, in order, with each block's deadline, status words
and progress text. The tests compare the service's answers with what this reading gives."""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path

SEEDS = Path("/work/shared/seeds")
# Each annex: (party, file prefix, first line, line that ends it, report cut-off, feedback).
ANNEXES = (
    (
        "changji",
        "000_",
        "环境保护督察报告具体问题整改落实情况",
        "中共昌吉回族自治州委员会",
        date(2023, 11, 30),
    ),
    ("xinjiang", "001_", "附件①", "附件②", date(2023, 6, 30)),
    ("bingtuan", "001_", "附件②", "中共新疆维吾尔自治区委员会", date(2023, 6, 30)),
)
DONE_WORDS = ("已完成", "已完成，长期坚持", "完成整改")


def _text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}*.txt")).read_text(encoding="utf-8")


def _deadline(words: str) -> date | None:
    if m := re.search(r"(\d{4})\s*年\s*(\d+)月(\d+)日", words):
        return date(*map(int, m.groups()))
    if m := re.search(r"(\d{4})\s*年\s*(\d+)月底", words):
        y, mo = map(int, m.groups())
        return date(y, mo, calendar.monthrange(y, mo)[1])
    if m := re.search(r"(\d{4})\s*年底", words):
        return date(int(m.group(1)), 12, 31)
    return None  # 立行立改，长期坚持


def blocks() -> list[dict]:
    """Every task block of the three annexes in report order."""
    out = []
    for party, prefix, first, last, cutoff in ANNEXES:
        lines = [ln.strip() for ln in _text(prefix).splitlines()]
        start = max(i for i, ln in enumerate(lines) if ln.startswith(first))
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(last))
        cur = None
        for ln in lines[start:end]:
            if ln.startswith("整改时限："):
                cur = {"party": party, "cutoff": cutoff, "deadline_words": ln[5:].strip()}
                cur["deadline"] = _deadline(cur["deadline_words"])
                cur["progress"] = []
                out.append(cur)
            elif ln.startswith("整改进展情况：") and cur is not None:
                cur["status_words"] = ln[7:].rstrip("。")
            elif cur is not None and "status_words" in cur:
                if re.match(r"^[一二三四五六七八九十]+、|^（[一二三四五六七八九十]+）", ln):
                    cur = None  # the next problem's heading
                elif party == "changji" and re.match(r"^\d+[.．]", ln):
                    cur = None  # Changji's next numbered item
                elif ln:
                    cur["progress"].append(ln)
    return out


def dated_completion(progress: list[str], cutoff: date) -> tuple[date, str, bool] | None:
    """The latest sentence that dates the rectification itself ("2022年6月…完成整改"):
    (the day it is certain, the date as written, whether the text only bounds it: 截至)."""
    found = []
    for para in progress:
        for sent in re.findall(r"[^。；]+", para):
            if not re.search(r"完成整改|整改完成|已整改|整改到位", sent):
                continue
            if re.search(r"计划|要求|前完成|正在|未", sent):
                continue
            by = bool(re.search(r"截[至止]", sent))
            if m := re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", sent):
                y, mo, d = map(int, m.groups())
                found.append((date(y, mo, d), f"{y:04d}-{mo:02d}-{d:02d}", by))
            elif m := re.search(r"(\d{4})年(\d{1,2})月", sent):
                y, mo = map(int, m.groups())
                end = date(y, mo, calendar.monthrange(y, mo)[1])
                found.append((end, f"{y:04d}-{mo:02d}", by))
            elif m := re.search(r"截至(\d{1,2})月底", sent):  # the cut-off's year
                y, mo = cutoff.year, int(m.group(1))
                end = date(y, mo, calendar.monthrange(y, mo)[1])
                found.append((end, f"{y:04d}-{mo:02d}", True))
    found = [f for f in found if f[0] <= cutoff]
    return max(found) if found else None


def dated_sentences(progress: list[str], cutoff: date) -> list[str]:
    """Sentences that give a date (day, month, 截至N月底, year-end or a plain year — not a
    year inside a 《title》 nor one end of a range) on or before the report's cut-off."""
    out = []
    for para in progress:
        for sent in re.findall(r"[^。；]+[。；]?", para):
            bare = re.sub(r"《[^》]*》", lambda t: "#" * len(t.group(0)), sent)
            years = re.findall(r"(?<![\d—－\-~])(\d{4})\s*年", bare)
            months = re.findall(r"截至(\d{1,2})月", bare)
            if years:
                first = re.search(r"(?<![\d—－\-~])(\d{4})\s*年\s*(\d{1,2})?", bare)
                y, mo = int(first.group(1)), int(first.group(2) or 1)
                if date(y, mo, 1) <= cutoff:
                    out.append(sent.strip())
            elif months and int(months[0]) <= cutoff.month:
                out.append(sent.strip())
    return out


def state(block: dict, as_of: date) -> str:
    """What the reports support as of a date: a dated completion, then the report's status at
    its cut-off; nothing before."""
    done_words = block["status_words"] in DONE_WORDS
    dated = dated_completion(block["progress"], block["cutoff"]) if done_words else None
    if dated and dated[0] <= as_of:
        return "completed"
    if as_of < block["cutoff"]:
        return "unknown"
    if done_words:
        return "completed"
    d = block["deadline"]
    if d is not None and d < as_of:
        return "overdue" if block["cutoff"] >= d else "no_report_since"
    return "ongoing" if "长期坚持" in block["status_words"] else "in_progress"
