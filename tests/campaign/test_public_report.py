"""The public report rebuilt from the ledger: Changji's has 19 problems and 45 tasks, every
task's progress text in the generated HTML and DOCX equals the report's own (read by
tests/campaign/seed_reference.py), the DOCX opens in python-docx with the expected headings, and the
public page shows progress per problem without notes, users or exact geometry."""

from __future__ import annotations

import io
import json
import re
from html import unescape

import pytest
from docx import Document

from tests.campaign import seed_reference as seeds


def _progress_by_task(blocks: list[tuple[str, str]]) -> list[str]:
    """The paragraphs after each 整改进展情况 line up to the next heading or 整改时限."""
    out, cur = [], None
    for kind, text in blocks:
        if kind == "status":
            cur = []
            out.append(cur)
        elif kind == "body" and cur is not None and not text.startswith("整改时限："):
            cur.append(text)
        else:
            cur = None
    return ["\n".join(p) for p in out]


def _changji_numbered_items() -> int:
    text = next(seeds.SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
    annex = text[text.rindex("环境保护督察报告具体问题整改落实情况") :]
    annex = annex[: annex.index("中共昌吉回族自治州委员会")]
    return sum(1 for ln in annex.splitlines() if re.match(r"^\d+[.．]", ln.strip()))


@pytest.fixture(scope="module")
def seed_progress():
    return {
        party: ["\n".join(b["progress"]) for b in seeds.blocks() if b["party"] == party]
        for party in ("changji", "xinjiang", "bingtuan")
    }


def test_changji_report_structure_and_texts(client, seed_progress):
    doc = client.get("/public/reports/changji", params={"f": "json"}).json()
    assert doc["problem_count"] == 19 and doc["task_count"] == 45
    texts = [t["progress_text"] for p in doc["problems"] for t in p["tasks"]]
    assert texts == seed_progress["changji"]


@pytest.mark.parametrize("party", ["changji", "xinjiang", "bingtuan"])
def test_docx_opens_with_the_expected_headings_and_texts(client, seed_progress, party):
    r = client.get(f"/public/reports/{party}", params={"f": "docx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    d = Document(io.BytesIO(r.content))
    styles = [p.style.name for p in d.paragraphs]
    assert styles[0] == "Title"
    n_problems = {"changji": 19, "xinjiang": 45, "bingtuan": 30}[party]
    assert styles.count("Heading 2") == n_problems
    if party == "changji":
        aspects = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
        assert [a[:2] for a in aspects] == ["一、", "二、", "三、", "四、", "五、", "六、"]
        # a numbered item under a problem is a heading; a problem that is its own task has none
        assert styles.count("Heading 3") == _changji_numbered_items()
    blocks = [
        (
            "status"
            if p.text.startswith("整改进展情况：")
            else "body"
            if p.style.name == "Normal"
            else "heading",
            p.text,
        )
        for p in d.paragraphs[2:]
    ]
    assert _progress_by_task(blocks) == seed_progress[party]


def test_html_report_has_the_same_texts(client, seed_progress):
    r = client.get("/public/reports/changji")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    found = re.findall(r'<(h\d|p) class="(\w+)">(.*?)</\1>', r.text)
    blocks = [
        (
            "status" if k == "status" else "body" if k in ("measure", "deadline") else "heading",
            unescape(t),
        )
        for _, k, t in found
    ]
    assert _progress_by_task(blocks) == seed_progress["changji"]
    assert client.get("/public/reports/nobody").status_code == 404


def test_public_page_progress_per_problem_without_internal_details(client):
    r = client.get("/public", params={"f": "json", "as_of": "2026-01-01"})
    assert r.status_code == 200
    problems = r.json()["problems"]
    assert len(problems) == 94
    raw = json.dumps(problems, ensure_ascii=False)
    for word in ('"actor"', '"notes"', '"remark"', '"geometry"', "sample_layers"):
        assert word not in raw
    places = [pl for p in problems for t in p["tasks"] for pl in t["places"]]
    assert places and all(round(pl["lon"], 1) == pl["lon"] for pl in places)
    assert all(pl["sample"] for pl in places)  # every linked feature here is sample data
    p15 = next(p for p in problems if p["code"] == "XJ-C2-P15")
    assert p15["states"] == {"no_report_since": 1}
    page = client.get("/public")
    assert page.status_code == 200 and page.text.count("<tr data-code=") == 94
    assert "示例数据，非实测" in page.text
