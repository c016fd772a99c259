"""Accountability, petitions, compensation, disclosures and premature closures: the figures
the reports give, each read by a pattern that must match exactly once, kept with its quote.

A rule: (report, kind, party, problem or None, place, pattern with named figures). Figures
are integers (or a percentage): petitions handed over (交办), received (受理), closed (办结); a record without figures (a compensation under way) keeps
its status words verbatim.
"""

from __future__ import annotations

import re
from pathlib import Path

N = r"\s*(\d+(?:\.\d+)?)\s*"

RULES: list[tuple[str, str, str, str | None, str, str]] = [
    (
        "A",
        "petition",
        "changji",
        None,
        "昌吉州",
        rf"督察期间交办的(?P<handed_over>{N})件群众信访问题全部办结",
    ),
    (
        "A",
        "accountability",
        "changji",
        None,
        "昌吉州",
        rf"移交的(?P<cases>{N})个追责问题线索，按程序追究了(?P<people>{N})名相关责任人责任",
    ),
    (
        "A",
        "petition",
        "changji",
        "CJ-R1-P19",
        "昌吉州",
        rf"本次督察受理的(?P<received>{N})件信访投诉件",
    ),
    (
        "B",
        "accountability",
        "xinjiang",
        None,
        "自治区",
        rf"自治区纪委监委对督察移交的(?P<cases>{N})个生态环境损害责任追究问题[^。]*?"
        rf"对涉及的(?P<units>{N})个党组织进行通报批评、(?P<people>{N})名责任人追责问责",
    ),
    (
        "B",
        "accountability",
        "bingtuan",
        None,
        "兵团",
        rf"兵团纪委监委针对督察移交的(?P<cases>{N})个生态环境损害责任追究问题[^。]*?"
        rf"对(?P<units>{N})个单位和(?P<people>{N})名责任人追责问责",
    ),
    (
        "B",
        "disclosure",
        "xinjiang",
        None,
        "自治区",
        r"2023年6月19日，自治区和兵团对第二轮中央生态环境保护督察移交问题追责问责情况进行了公开",
    ),
    (
        "B",
        "petition",
        "xinjiang",
        None,
        "自治区",
        rf"兵地第一轮中央环境保护督察交办的(?P<handed_over>{N})件信访件已办结(?P<closed>{N})件",
    ),
    (
        "B",
        "petition",
        "xinjiang",
        None,
        "自治区",
        rf"第二轮中央生态环境保护督察交办信访件办结率(?P<closed_pct>{N})%",
    ),
    (
        "B",
        "compensation",
        "xinjiang",
        "XJ-C2-P31",
        "昌吉州",
        r"昌吉州正在与新疆宝明矿业有限公司对接生态环境损害赔偿工作",
    ),
    (
        "B",
        "disclosure",
        "xinjiang",
        "XJ-C2-P31",
        "昌吉州",
        rf"新疆宝明矿业和三工镇(?P<enterprises>{N})家违法占用草原的企业均已依法披露了环境信息",
    ),
    (
        "B",
        "compensation",
        "xinjiang",
        "XJ-C2-P31",
        "自治区",
        r"白银矿业、阿舍勒铜业已交纳生态环境损害赔偿金和开展相关信息披露工作",
    ),
    (
        "B",
        "compensation",
        "xinjiang",
        "XJ-C2-P31",
        "自治区",
        r"1\.金川矿业已启动生态环境损害赔偿调查，并正在磋商",
    ),
    (
        "B",
        "compensation",
        "bingtuan",
        None,
        "兵团",
        r"2022年8月，完成新疆大安特种钢有限公司污染物超标排放的环境违法行为生态环境损害赔偿工作",
    ),
    (
        "B",
        "compensation",
        "bingtuan",
        None,
        "兵团",
        r"2023年5月，该企业根据协议缴纳赔偿资金用于生态修复",
    ),
    # Closures found premature: first-round tasks reported done that were not.
    (
        "B",
        "premature_closure",
        "xinjiang",
        "XJ-C2-P15",
        "昌吉市、阜康市",
        rf"整改方案明确(?P<tasks>{N})项整改任务，上报(?P<reported_open>{N})项未完成整改，"
        r"经核实，实际还有部分未完成",
    ),
    (
        "B",
        "premature_closure",
        "bingtuan",
        "BT-C2-P09",
        "六师五家渠市",
        r"截至此次督察时仍有部分设施未建成[^。]*?但六师五家渠市已于2020年12月验收销号",
    ),
]
PLACE_CODES = {"昌吉州": "652300", "昌吉市": "652301", "阜康市": "652302", "自治区": "650000"}
# Records that name a date: the date the sentence gives.
DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?")


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence (between 。/newline) around a match."""
    a = max(text.rfind("。", 0, start), text.rfind("\n", 0, start)) + 1
    b = min(x for x in (text.find("。", end), text.find("\n", end), len(text)) if x != -1)
    return text[a : b + 1].strip() if b < len(text) and text[b] == "。" else text[a:b].strip()


def extract(seeds: Path) -> list[dict]:
    texts = {
        key: next(seeds.glob(f"{prefix}*.txt")).read_text(encoding="utf-8")
        for key, prefix in (("A", "000_"), ("B", "001_"))
    }
    out = []
    for i, (report, kind, party, problem, place, pattern) in enumerate(RULES, 1):
        found = list(re.finditer(pattern, texts[report]))
        assert len(found) == 1, (pattern, len(found))
        m = found[0]
        figures = {
            k: (float(v) if "." in v or k.endswith("_pct") else int(v))
            for k, v in m.groupdict().items()
        }
        if kind == "petition" and "全部办结" in m.group(0):
            figures["closed"] = figures["handed_over"]
        d = DATE_RE.search(m.group(0))
        out.append(
            {
                "ref": f"{report}-{i:02d}",
                "report": report,
                "kind": kind,
                "party": party,
                "problem_code": problem,
                "place": place,
                "regions": [c for c in map(PLACE_CODES.get, place.split("、")) if c],
                "figures": figures,
                "date": (
                    f"{int(d.group(1)):04d}-{int(d.group(2)):02d}"
                    + (f"-{int(d.group(3)):02d}" if d.group(3) else "")
                    if d
                    else None
                ),
                "quote": _sentence(texts[report], m.start(), m.end()),
            }
        )
    return out
