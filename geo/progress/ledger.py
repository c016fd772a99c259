"""Ledgers (台账) of restoration records and tasks: their columns, in English or Chinese.
Writing them as XLSX or CSV is geo.kernel.tabular's job (one serializer per format for every
ledger). No HTTP here: the routers wrap these in responses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from geo.kernel import tabular
from geo.progress.summary import MU_PER_HA
from geo.progress.vocab import FUNDING_ZH, RESTORATION_STATUS_ZH, TASK_STATE_ZH


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    width: int = 14
    value: Callable[[dict[str, Any], str], Any] | None = None

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def get(self, row: dict[str, Any], lang: str) -> Any:
        v = self.value(row, lang) if self.value else row.get(self.key)
        if isinstance(v, list | tuple):
            return "; ".join(str(x) for x in v)
        return v


LAYER_ZH = {
    "mining_pits": "历史遗留采坑",
    "grassland_occupations": "违法占用草原",
    "wetland_parks": "湿地公园",
    "water_source_zones": "饮用水水源保护区",
}
ROUND_ZH = {"xj_regional_1": "自治区第一轮督察", "central_2": "第二轮中央督察"}
PARTY_ZH = {"changji": "昌吉州", "xinjiang": "自治区", "bingtuan": "兵团"}


def _zh(mapping: dict[str, str], key: str) -> Callable[[dict[str, Any], str], Any]:
    return lambda row, lang: (
        mapping.get(row.get(key), row.get(key)) if lang == "zh" else row.get(key)
    )


def _completion(row: dict[str, Any], lang: str) -> str | None:
    """The date the text gives, or "by <cut-off>, date not given"."""
    c = row.get("completion")
    if not c:
        return None
    if c.get("date"):
        return (
            c["date"]
            if not (c.get("precision") or "").startswith("by_")
            else (f"截至{c['date']}" if lang == "zh" else f"by {c['date']}")
        )
    by = c.get("known_by")
    return f"截至{by}已完成，未注明日期" if lang == "zh" else f"by {by}, date not given"


def _yes_no(key: str) -> Callable[[dict[str, Any], str], Any]:
    def f(row, lang):
        v = row.get(key)
        if lang == "zh":
            return "是" if v else "否"
        return "yes" if v else "no"

    return f


RESTORATION_COLUMNS: Sequence[Column] = (
    Column("code", "Code", "编号", 18),
    Column("name", "Name", "名称", 28),
    Column("layer", "Layer", "类型", 16, _zh(LAYER_ZH, "layer")),
    Column("region_name", "County", "县市", 14),
    Column("region_code", "County code", "行政区划代码", 12),
    Column("town", "Town", "乡镇", 14),
    Column("measured_area_ha", "Measured area (ha)", "实测面积（公顷）", 14),
    Column(
        "measured_area_mu",
        "Measured area (mu)",
        "实测面积（亩）",
        14,
        lambda r, lang: round(r["measured_area_ha"] * MU_PER_HA, 2),
    ),
    Column("target_area_ha", "Target area (ha)", "治理目标面积（公顷）", 14),
    Column("restored_area_ha", "Restored area (ha)", "已治理面积（公顷）", 14),
    Column("status", "Status", "治理状态", 12, _zh(RESTORATION_STATUS_ZH, "status")),
    Column("plan_ref", "Plan (one plan per pit)", "治理方案（一坑一方案）", 36),
    Column("funding", "Funding", "资金来源", 12, _zh(FUNDING_ZH, "funding")),
    Column("deadline", "Deadline", "完成时限", 12),
    Column("overdue", "Overdue", "是否逾期", 8, _yes_no("overdue")),
    Column("completion", "Completed", "完成时间", 16, lambda r, lang: _completion(r, lang)),
    Column("responsible_unit", "Responsible unit", "责任单位", 26),
    Column("last_event_date", "Last update", "最近更新", 12),
    Column("last_note", "Last note", "最新进展", 40),
)

TASK_COLUMNS: Sequence[Column] = (
    Column("code", "Code", "编号", 14),
    Column("round", "Inspection round", "督察轮次", 16, _zh(ROUND_ZH, "round")),
    Column("party", "Rectifying party", "整改主体", 10, _zh(PARTY_ZH, "party")),
    Column("category", "Category", "类别", 14),
    Column("title", "Problem", "问题", 50),
    Column("region_name", "Region", "地区", 14),
    Column(
        "charged_places",
        "Charged to",
        "整改责任地区",
        18,
        lambda r, lang: "、".join(r.get("charged_places") or []),
    ),
    Column(
        "deadline",
        "Deadline",
        "整改时限",
        16,
        lambda r, lang: (
            r["deadline"] or ("立行立改，长期坚持" if lang == "zh" else "immediate, ongoing")
        ),
    ),
    Column("deadline_text", "Deadline (as written)", "整改时限（原文）", 18),
    # The report's own words, never rewritten; the derived state next to them.
    Column("status_words", "Status (as reported)", "整改进展情况（原文）", 24),
    Column("status_date", "Status as of", "进展截至", 12),
    Column("state", "State", "状态", 14, _zh(TASK_STATE_ZH, "state")),
    Column("overdue", "Overdue", "是否逾期", 8, _yes_no("overdue")),
    Column("completion", "Completed", "完成时间", 16, lambda r, lang: _completion(r, lang)),
    Column("lead_unit", "Lead unit", "牵头单位", 20),
    Column("responsible_units", "Responsible units", "责任单位", 30),
    Column("last_update", "Last update", "最近更新", 12),
    Column(
        "feature_count",
        "Linked features",
        "关联图斑数",
        10,
        lambda r, lang: len(r.get("feature_ids") or []),
    ),
    Column(
        "source_item",
        "Source",
        "出处",
        30,
        lambda r, lang: (
            f"{(r.get('source') or {}).get('report', '')} "
            f"{(r.get('source') or {}).get('item', '')}".strip()
        ),
    ),
)


def _values(columns: Sequence[Column], rows: list[dict[str, Any]], lang: str):
    return ([c.get(row, lang) for c in columns] for row in rows)


def to_csv(columns: Sequence[Column], rows: list[dict[str, Any]], lang: str) -> bytes:
    headers = [c.header(lang) for c in columns]
    return "".join(tabular.csv_chunks(headers, _values(columns, rows, lang))).encode("utf-8")


def to_xlsx(columns: Sequence[Column], rows: list[dict[str, Any]], lang: str, sheet: str) -> bytes:
    """One row per item under a bold, frozen header row (no title row, so the sheet reads
    back as a table), with column widths set."""
    return tabular.xlsx_bytes(
        sheet,
        [c.header(lang) for c in columns],
        _values(columns, rows, lang),
        [c.width for c in columns],
    )
