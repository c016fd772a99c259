"""Legal citations checked against public copies of the texts (migration 0020_law_citations):
every rule names its law and the source checked, a verified citation names a source one can
open (a URL or repository + path + commit), and the corrected facts hold for the rule in
force at a detection date. Writes happen in a transaction that is rolled back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from geo.kernel import db
from geo.kernel.config import Settings
from tests.fresh_db import create_database, drop_database, url_for
from tests.violations.test_law_periods import _add, _far_spot, _judged, _spot_in_park

ROOT = Path(__file__).resolve().parents[2]
CHECKED = json.loads((ROOT / "migrations/data/rules_0020.json").read_text(encoding="utf-8"))
PREVIOUS = json.loads((ROOT / "migrations/data/rules_0013.json").read_text(encoding="utf-8"))
COLUMNS = ("legal_basis", "legal_basis_zh", "notes", "law_issuer", "law_doc_number")
COLUMNS += ("law_article", "law_source", "law_verified")
# A source one can open again: a web address, or owner/repo path @ a full commit hash.
CHECKABLE = re.compile(r"https?://\S+|\b[\w.-]+/[\w.-]+ \S+ @ [0-9a-f]{40}\b")
A65 = "已建成的与供水设施和保护水源无关的建设项目，由县级以上人民政府责令拆除或者关闭"


@pytest.fixture
def conn(write_engine):
    with write_engine.connect() as c:
        tx = c.begin()
        c.execute(text("SELECT set_config('rm.actor', 'test-law', true)"))
        yield c
        tx.rollback()


def _rule(conn, code: str) -> dict:
    row = conn.execute(text("SELECT * FROM violation_rules WHERE code = :c"), {"c": code})
    return dict(row.mappings().one())


def test_every_rule_names_its_law_and_a_checkable_source(engine):
    with engine.connect() as c:
        rows = c.execute(text("SELECT * FROM violation_rules ORDER BY code")).mappings().all()
    assert len(rows) >= 35
    for r in rows:
        assert r["law_title"] and r["law_article"] and r["law_source"], r["code"]
        assert r["valid_from"], r["code"]
        if r["law_verified"]:
            assert CHECKABLE.search(r["law_source"]), r["code"]
            assert "文号未核实" not in r["law_doc_number"], r["code"]
        else:
            assert "UNVERIFIED" in r["law_source"], r["code"]
    verified = {r["code"] for r in rows if r["law_verified"]}
    assert {"WPPL-65-PIT", "WPPL-67-OCC-MINING", "WETLAND-RECLAIM.2022"} <= verified
    assert {"GRASSLAND-NO-APPROVAL", "GRASSLAND-RECLAIM"} <= verified
    # not found: the 2008 water law text and the national wetland park measures' articles
    assert not verified & {"WPPL-65-PIT.2008", "WETLAND-RECLAIM.2018", "WETLAND-CONSERVATION-OCC"}


def test_the_database_holds_the_checked_citations(engine):
    with engine.connect() as c:
        rows = c.execute(text("SELECT * FROM violation_rules")).mappings().all()
    by_code = {r["code"]: r for r in rows}
    for rule in CHECKED:
        assert {k: by_code[rule["code"]][k] for k in COLUMNS} == {k: rule[k] for k in COLUMNS}


def test_periods_and_filters_are_untouched():
    """0020 changes citations only: the rule in force at a date is the one 0013 defined."""
    keys = set().union(*CHECKED) - {"code"}
    assert keys == set(COLUMNS)
    assert [r["code"] for r in CHECKED] == [r["code"] for r in PREVIOUS]


@pytest.mark.parametrize(
    ("detected_on", "code", "article", "verified"),
    [
        ("2017-05-01", "WPPL-65-PIT.2008", "第五十八条", False),
        ("2019-05-01", "WPPL-65-PIT", "第六十五条第一款", True),
    ],
)
def test_a_pit_in_a_grade_1_zone_is_cited_under_the_text_in_force(
    conn, detected_on, code, article, verified
):
    x, y = _far_spot(conn)
    zone = {"source_name": "测试水源", "water_body": "groundwater", "grade": "1"}
    _add(conn, "water_source_zones", "T-WSZ-1", zone, x, y, half=0.02)
    pit = {"mineral": "sand_gravel", "legacy": False, "detected_on": detected_on}
    sid = _add(conn, "mining_pits", "T-PIT", pit, x, y)
    assert _judged(conn, sid) == {code: detected_on}
    rule = _rule(conn, code)
    assert (rule["law_article"], rule["law_verified"]) == (article, verified)
    # the quote as the 2017 text has it (0013 had shortened it to "已建成的，由…")
    assert A65 in rule["legal_basis_zh"]
    if verified:
        assert rule["law_doc_number"].startswith("中华人民共和国主席令第七十号")
        assert "中华人民共和国水污染防治法_20170627.json" in rule["law_source"]


def test_the_wetland_law_citation_in_force_from_june_2022(conn):
    x, y = _spot_in_park(conn)
    farm = {"occupant": "测试", "purpose": "farming", "approval_status": "none"}
    sid = _add(conn, "grassland_occupations", "T-FARM", {**farm, "detected_on": "2022-07-01"}, x, y)
    assert "WETLAND-RECLAIM.2022" in _judged(conn, sid)
    rule = _rule(conn, "WETLAND-RECLAIM.2022")
    assert rule["law_doc_number"] == "中华人民共和国主席令第一〇二号"
    assert "（一）开（围）垦、排干自然湿地，永久性截断自然湿地水源" in rule["legal_basis_zh"]
    # the park measures are cited beside it, and said to be unchecked
    assert "条号与原文未核实" in rule["legal_basis_zh"] and rule["law_verified"]
    cutoff = _rule(conn, "WETLAND-WATER-CUTOFF")
    assert "永久性截断自然湿地水源" in cutoff["legal_basis_zh"]


def test_grassland_approval_is_given_at_provincial_level():
    rule = next(r for r in CHECKED if r["code"] == "GRASSLAND-NO-APPROVAL")
    assert "必须经省级以上人民政府草原行政主管部门审核同意" in rule["legal_basis_zh"]
    temporary = "需要临时占用草原的，应当经县级以上地方人民政府草原行政主管部门审核同意"
    assert temporary in rule["legal_basis_zh"]
    reclaim = next(r for r in CHECKED if r["code"] == "GRASSLAND-RECLAIM")
    assert reclaim["legal_basis_zh"].endswith("已造成沙化、盐碱化、石漠化的，应当限期治理。")


def test_downgrade_restores_the_0013_citations_and_upgrade_reapplies():
    name = create_database("rm_law")
    settings = Settings(database_url=url_for(name))
    engine = create_engine(settings.sqlalchemy_url)
    script = ScriptDirectory.from_config(db.alembic_config(settings))
    before = script.get_revision("0020_law_citations").down_revision

    def citations() -> dict[str, tuple]:
        with engine.connect() as c:
            rows = c.execute(text("SELECT * FROM violation_rules")).mappings().all()
        return {r["code"]: tuple(r[k] for k in COLUMNS) for r in rows}

    try:
        db.upgrade(settings, "0020_law_citations")
        assert citations() == {r["code"]: tuple(r[k] for k in COLUMNS) for r in CHECKED}
        db.downgrade(settings, before)
        assert citations() == {r["code"]: tuple(r[k] for k in COLUMNS) for r in PREVIOUS}
    finally:
        engine.dispose()
        drop_database(name)
