"""The violations ledger (违法问题台账): the filtered listing and its columns, in English or
Chinese. Writing it as CSV or XLSX is the shared ledger writer's job (geo.kernel.tabular)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.catalog.items import Where, region_clause
from geo.kernel.errors import InvalidParameter
from geo.violations.lifecycle import RECORD_SQL, jsonable
from geo.violations.vocab import SEVERITIES, SEVERITY_ZH, STATUS_ZH, STATUSES

# Ledger columns: key, English header, Chinese header.
LEDGER_COLUMNS: list[tuple[str, str, str]] = [
    ("id", "Violation id", "问题编号"),
    ("region_code", "County code", "行政区划代码"),
    ("region_name", "County", "县市"),
    ("rule_code", "Rule", "规则代码"),
    ("rule_name", "Rule name", "规则名称"),
    ("severity", "Severity", "严重程度"),
    ("subject_code", "Subject code", "问题图斑编号"),
    ("protected_code", "Protected zone code", "保护区编号"),
    ("area_ha", "Area (ha)", "面积（公顷）"),
    ("area_mu", "Area (mu)", "面积（亩）"),
    ("status", "Status", "状态"),
    ("resolved", "Resolved by data", "数据已消除"),
    ("detected_date", "Detected", "发现日期"),
    ("last_status_change", "Last status change", "最近状态变更"),
    (
        "legal_basis",
        "Legal basis (the text in force on the detection date)",
        "法律依据（发现日期时有效的文本）",
    ),
    ("sample", "Sample data (illustrative)", "样例数据（示意）"),
]
FILENAME = "violations_ledger"
SHEET = {"en": "Violations", "zh": "违法问题台账"}


@dataclass
class LedgerFilter:
    status: str | None = None
    severity: str | None = None
    rule_id: int | None = None
    region: str | None = None
    subject_collection: str | None = None
    protected_collection: str | None = None
    resolved: bool | None = None


def ledger_sql(flt: LedgerFilter) -> tuple[str, dict[str, Any]]:
    where = Where()
    for name, values in (("status", STATUSES), ("severity", SEVERITIES)):
        value = getattr(flt, name)
        if value is None:
            continue
        wanted = value.split(",")
        bad = sorted(set(wanted) - set(values))
        if bad:
            raise InvalidParameter(
                f"{name}: unknown value(s) {', '.join(bad)}; use {', '.join(values)}",
                parameter=name,
            )
        where.add(f"t.{name} = ANY({where.bind(wanted)})")
    if flt.rule_id is not None:
        where.add(f"t.rule_id = {where.bind(flt.rule_id)}")
    if flt.region is not None:
        region_clause(where, "t.region_code", flt.region, "region")
    if flt.subject_collection is not None:
        where.add(f"t.subject_layer = {where.bind(flt.subject_collection)}")
    if flt.protected_collection is not None:
        where.add(f"t.protected_layer = {where.bind(flt.protected_collection)}")
    if flt.resolved is not None:
        where.add(f"(t.resolved_at IS NOT NULL) = {where.bind(flt.resolved)}")
    return RECORD_SQL + f" WHERE {where.sql} ORDER BY t.id", where.params


def ledger_row(record: dict[str, Any], lang: str) -> list[Any]:
    """One ledger row (values in the column order), in Chinese where ``lang`` is zh."""
    zh = lang == "zh"
    r = dict(record)
    r["detected_date"] = str(r["detected_on"])[:10]
    r["last_status_change"] = str(r["status_changed_at"])[:19].replace("T", " ")
    if zh:
        r["region_name"] = r["region_name"]
        r["rule_name"] = r["rule_name_zh"] or r["rule_name"]
        r["severity"] = SEVERITY_ZH.get(r["severity"], r["severity"])
        r["status"] = STATUS_ZH.get(r["status"], r["status"])
        r["resolved"] = "是" if r["resolved"] else "否"
        r["sample"] = "是" if r["sample"] else "否"
        r["legal_basis"] = r["legal_basis_zh"]
    else:
        r["region_name"] = r["region_name_en"] or r["region_name"]
        r["resolved"] = "yes" if r["resolved"] else "no"
        r["sample"] = "yes" if r["sample"] else "no"
    return [r[key] for key, _, _ in LEDGER_COLUMNS]


def ledger_headers(lang: str) -> list[str]:
    return [zh if lang == "zh" else en for _, en, zh in LEDGER_COLUMNS]


@dataclass
class Ledger:
    """The violations a filter selects, ready for JSON or for the tabular writer."""

    records: list[dict[str, Any]]
    filename: str = FILENAME

    def sheet(self, lang: str) -> str:
        return SHEET[lang]

    def json(self) -> dict[str, Any]:
        return {"violations": [jsonable(r) for r in self.records]}

    def headers(self, lang: str) -> list[str]:
        return ledger_headers(lang)

    def rows(self, lang: str) -> Iterator[list[Any]]:
        return (ledger_row(r, lang) for r in self.records)


async def ledger(conn: AsyncConnection, flt: LedgerFilter) -> Ledger:
    sql, params = ledger_sql(flt)
    return Ledger([dict(r._mapping) for r in await conn.execute(text(sql), params)])
