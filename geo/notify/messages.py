"""What an event says, in Chinese or English: a title, a few lines and a link back to the
map at its position (``/map#zoom/lat/lon``) or to the record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITY = {
    "zh": {"critical": "严重", "high": "高", "medium": "中", "low": "低"},
    "en": {"critical": "critical", "high": "high", "medium": "medium", "low": "low"},
}
# The lifecycle and task states in Chinese (English keeps the codes).
STATUS_ZH = {
    "detected": "已发现",
    "confirmed": "核查属实",
    "dismissed": "核查不属实",
    "rectifying": "整改中",
    "rectified": "已整改",
    "closed": "已验收销号",
    "reopened": "重新打开",
    "completed": "已完成",
    "in_progress": "推进中",
    "ongoing": "长期坚持",
}
LAYER_ZH = {
    "water_source_zones": "饮用水水源保护区",
    "mining_pits": "历史遗留采坑",
    "grassland_occupations": "违法占用草原",
    "wetland_parks": "湿地公园",
}
TITLES = {
    "violation.new": ("新发现违法违规问题", "New violation"),
    "violation.reopened": ("问题反弹（重新打开）", "Violation reopened"),
    "violation.status": ("问题状态变化", "Violation status changed"),
    "task.due": ("整改任务即将到期", "Rectification task due soon"),
    "task.overdue": ("整改任务已逾期", "Rectification task overdue"),
    "task.status": ("整改任务进展", "Rectification task progress"),
    "inspection.confirmed": ("现场核查属实", "Field inspection confirmed a problem"),
    "import": ("数据导入", "Data imported"),
    "test": ("测试消息", "Test message"),
}
LABELS = {
    "zh": {
        "rule": "规则",
        "severity": "严重程度",
        "region": "区县",
        "subject": "对象",
        "protected": "保护区",
        "area": "面积",
        "status": "状态",
        "deadline": "整改时限",
        "note": "说明",
        "actor": "操作人",
        "layer": "图层",
        "count": "条数",
        "file": "文件",
        "map": "在地图上查看",
        "test": "这是一条测试消息，订阅配置正确。",
    },
    "en": {
        "rule": "Rule",
        "severity": "Severity",
        "region": "County",
        "subject": "Feature",
        "protected": "Protected zone",
        "area": "Area",
        "status": "Status",
        "deadline": "Deadline",
        "note": "Note",
        "actor": "By",
        "layer": "Layer",
        "count": "Features",
        "file": "File",
        "map": "Open on the map",
        "test": "This is a test message: the subscription works.",
    },
}


@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    lines: list[tuple[str, str]]  # (label, value)
    link: str
    at: str

    def text(self) -> str:
        body = "\n".join(f"{label}: {value}" for label, value in self.lines)
        return f"{self.title}\n{body}\n{self.link}"

    def markdown(self, link_label: str) -> str:
        body = "\n".join(f"> {label}: {value}" for label, value in self.lines)
        return f"### {self.title}\n{body}\n\n[{link_label}]({self.link})"


def link(base: str, payload: dict[str, Any]) -> str:
    """The map at the event's position, else the record it is about.

    >>> link("http://h", {"position": {"lon": 87.1, "lat": 44.2}})
    'http://h/map#15/44.2/87.1'
    >>> link("http://h/", {"task_code": "T-1"})
    'http://h/tasks/T-1'
    """
    base = base.rstrip("/")
    pos = payload.get("position")
    if pos:
        return f"{base}/map#15/{pos['lat']}/{pos['lon']}"
    if payload.get("violation_id"):
        return f"{base}/violations/{payload['violation_id']}"
    if payload.get("task_code"):
        return f"{base}/tasks/{payload['task_code']}"
    if payload.get("layer"):
        return f"{base}/collections/{payload['layer']}/items"
    return f"{base}/map"


def _status(value: str | None, lang: str) -> str | None:
    return STATUS_ZH.get(value or "", value) if lang == "zh" else value


def _layer(value: str | None, lang: str) -> str | None:
    return LAYER_ZH.get(value or "", value) if lang == "zh" else value


def area(m2: float | None, lang: str) -> str | None:
    """Hectares (and mu in Chinese) of an area in square metres.

    >>> area(12345.6, "zh"), area(12345.6, "en")
    ('1.2346 公顷（18.52 亩）', '1.2346 ha')
    """
    if m2 is None:
        return None
    ha = float(m2) / 10_000
    return f"{ha:.4f} 公顷（{ha * 15:.2f} 亩）" if lang == "zh" else f"{ha:.4f} ha"


def _region(p: dict[str, Any], lang: str) -> str | None:
    name = p.get("region_name_en") if lang == "en" else p.get("region_name")
    code = p.get("region_code")
    return f"{name or ''} {code}".strip() if code else None


def _lines(kind: str, p: dict[str, Any], lang: str) -> list[tuple[str, str | None]]:
    sev = SEVERITY[lang].get(p.get("severity") or "", None)
    if kind.startswith("violation."):
        rule = p.get("rule_name_zh") if lang == "zh" else p.get("rule_name")
        status = _status(p.get("to_status"), lang)
        if p.get("from_status") and p.get("from_status") != p.get("to_status"):
            status = f"{_status(p['from_status'], lang)} → {status}"
        return [
            ("rule", f"{rule} ({p.get('rule_code')})"),
            ("severity", sev),
            ("region", _region(p, lang)),
            # an import's detections come as one event per rule and county: a count, no code
            (
                "subject",
                " ".join(
                    filter(None, (_layer(p.get("subject_layer"), lang), p.get("subject_code")))
                ),
            ),
            ("count", p.get("count")),
            ("file", p.get("file")),
            ("protected", p.get("protected_code")),
            ("area", area(p.get("area_m2"), lang)),
            ("status", status),
            ("note", p.get("note")),
            ("actor", p.get("actor")),
        ]
    if kind.startswith("task."):
        return [
            ("subject", f"{p.get('task_code')} {p.get('title')}"),
            ("region", _region(p, lang)),
            ("deadline", p.get("deadline") or p.get("deadline_text")),
            ("status", _status(p.get("status"), lang)),
            ("note", p.get("note")),
        ]
    if kind == "inspection.confirmed":
        return [
            ("subject", p.get("feature_code") or p.get("violation_id")),
            ("severity", sev),
            ("region", _region(p, lang)),
            ("note", p.get("note")),
            ("actor", p.get("inspector")),
        ]
    if kind == "import":
        return [
            ("layer", _layer(p.get("layer"), lang)),
            ("file", p.get("file")),
            ("count", p.get("count")),
            ("region", _region(p, lang)),
            ("actor", p.get("actor")),
        ]
    return [("note", LABELS[lang]["test"])]


def render(kind: str, payload: dict[str, Any], at: str, lang: str, base_url: str) -> Message:
    """The message of one event in ``lang`` ('zh' or 'en')."""
    labels = LABELS[lang]
    zh, en = TITLES[kind]
    lines = [(labels[k], str(v)) for k, v in _lines(kind, payload, lang) if v not in (None, "")]
    return Message(kind, zh if lang == "zh" else en, lines, link(base_url, payload), at)
