"""Progress summaries, series, tasks and ledgers against the sample data (read-only), each
checked against an independent computation from the raw rows (tests/progress_reference.py)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from geo.progress.ledger import RESTORATION_COLUMNS, TASK_COLUMNS
from tests.progress import reference as ref

AS_OF_DATES = ["2021-07-03", "2022-06-30", "2022-12-31", "2023-11-30", "2025-01-15"]
GROUPINGS = {
    "": (),
    "region": ("region_code",),
    "layer": ("layer",),
    "status": ("status",),
    "region,layer,status": ("region_code", "layer", "status"),
}


@pytest.fixture(scope="module")
def events(engine):
    return ref.raw_events(engine)


def _check(group: dict, expected: dict) -> None:
    for key in ("count", "completed_count", "started_count", "overdue_count"):
        assert group[key] == expected[key], key
    for key in ("area_ha", "restored_area_ha", "completed_area_ha"):
        assert group[key] == pytest.approx(expected[key], abs=0.01), key
    assert group["area_mu"] == pytest.approx(expected["area_ha"] * 15, abs=0.15)
    assert set(group["by_status"]) == set(expected["by_status"])
    for status, (n, area) in expected["by_status"].items():
        assert group["by_status"][status]["count"] == n
        assert group["by_status"][status]["area_ha"] == pytest.approx(area, abs=0.01)
    if expected["count"]:
        assert group["completion_by_count"] == pytest.approx(
            expected["completed_count"] / expected["count"], abs=1e-4
        )


@pytest.mark.parametrize("as_of", AS_OF_DATES)
@pytest.mark.parametrize("group_by", list(GROUPINGS))
@pytest.mark.parametrize("layer", [None, "mining_pits"])
def test_summary_matches_independent_computation(client, events, as_of, group_by, layer):
    params = {"as_of": as_of, "group_by": group_by}
    if layer:
        params["layer"] = layer
    body = client.get("/progress", params=params).json()
    items = [
        s for s in ref.states(events, date.fromisoformat(as_of)) if not layer or s["layer"] == layer
    ]
    keys = GROUPINGS[group_by]
    expected = ref.summarise(items, keys)
    got = {tuple(g[k] for k in keys): g for g in body["groups"]}
    if keys:
        assert set(got) == set(expected)
        for k, exp in expected.items():
            _check(got[k], exp)
    total = ref.summarise(items, ())
    _check(body["total"], total[()] if items else {**ref.summarise([], ())[()], "by_status": {}})


def test_region_filter_is_a_county_or_its_prefecture(client, events):
    today = date.today()
    items = [s for s in ref.states(events, today) if s["region_code"] == "652327"]
    body = client.get("/progress", params={"region": "652327"}).json()
    _check(body["total"], ref.summarise(items, ())[()])
    whole = client.get("/progress", params={"region": "652300"}).json()["total"]
    assert whole["count"] == len(ref.states(events, today))


def test_pits_by_county_reproduce_the_report_and_change_with_as_of(client):
    """Report A: “截至2022年12月，各县市已完成和启动168处历史遗留采坑恢复治理工作，恢复治理面积
    2141.56公顷” and “尚有242处未完成治理”."""
    end_2022 = client.get(
        "/progress", params={"group_by": "region", "layer": "mining_pits", "as_of": "2022-12-31"}
    ).json()
    assert end_2022["total"]["started_count"] == 168
    assert end_2022["total"]["started_area_ha"] == pytest.approx(2141.56, abs=0.01)
    assert end_2022["total"]["count"] - end_2022["total"]["started_count"] == 242
    counts = {g["region_code"]: g["count"] for g in end_2022["groups"]}
    assert counts == {
        "652301": 80,
        "652302": 70,
        "652323": 50,
        "652324": 60,
        "652325": 60,
        "652327": 55,
        "652328": 35,
    }
    mid = client.get(
        "/progress", params={"group_by": "region", "layer": "mining_pits", "as_of": "2022-06-30"}
    ).json()
    now = client.get("/progress", params={"group_by": "region", "layer": "mining_pits"}).json()
    assert mid["total"]["started_count"] < 168
    assert [g["by_status"] for g in mid["groups"]] != [g["by_status"] for g in now["groups"]]


def test_as_of_before_any_event_sees_nothing(client):
    body = client.get("/progress", params={"as_of": "2021-06-30", "group_by": "region"}).json()
    assert body["groups"] == [] and body["total"]["count"] == 0


def test_series_equals_summary_at_each_month_end(client):
    series = client.get(
        "/progress/series",
        params={"layer": "mining_pits", "from": "2022-05-01", "to": "2023-01-15"},
    ).json()["months"]
    assert [m["month"] for m in series][:2] == ["2022-05", "2022-06"] and len(series) == 9
    for month, end in (("2022-06", "2022-06-30"), ("2022-12", "2022-12-31")):
        m = next(x for x in series if x["month"] == month)
        s = client.get("/progress", params={"layer": "mining_pits", "as_of": end}).json()["total"]
        assert m["by_status"] == {k: v["count"] for k, v in s["by_status"].items()}
        assert m["restored_area_ha"] == pytest.approx(s["restored_area_ha"], abs=0.01)


@pytest.mark.parametrize(
    "params",
    [{"group_by": "county"}, {"as_of": "2022-13-01"}, {"bogus": "1"}, {"region": "65"}],
)
def test_bad_parameters_are_400(client, params):
    r = client.get("/progress", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["description"]


# --- tasks -------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["2022-07-15", "2023-06-30", "2024-01-01", None])
def test_overdue_tasks_match_independent_computation(client, engine, as_of):
    tasks, notes = ref.raw_tasks(engine)
    d = date.fromisoformat(as_of) if as_of else date.today()
    expected = sorted(c for c, t in ref.task_states(tasks, notes, d).items() if t["overdue"])
    params = {"overdue": "true", **({"as_of": as_of} if as_of else {})}
    body = client.get("/tasks", params=params).json()
    assert [t["code"] for t in body["tasks"]] == expected
    assert all(t["overdue"] and t["status"] != "completed" for t in body["tasks"])
    # every overdue item carries the date and source of its latest status
    assert all(t["status_date"] and t["status_source"] for t in body["tasks"])
    summary = client.get("/tasks/summary", params={"as_of": as_of} if as_of else {}).json()
    assert summary["overdue"] == len(expected)
    states = ref.task_states(tasks, notes, d)
    silent = sorted(c for c, t in states.items() if t["state"] == "no_report_since")
    assert summary["no_report_since"] == len(silent)
    listed = client.get("/tasks", params={"state": "no_report_since", "as_of": d}).json()
    assert [t["code"] for t in listed["tasks"]] == silent


def test_task_summary_reproduces_report_totals(client):
    """A: 45 tasks, all completed by 2023-11; B: region 14 completed, Corps 19 completed."""
    s = client.get("/tasks/summary", params={"as_of": "2023-12-01"}).json()
    assert s["by_party"]["changji"]["count"] == 45
    assert s["by_party"]["bingtuan"]["count"] == 30
    assert s["by_party"]["xinjiang"]["count"] == 47  # 45 problems, problem 16 in three parts
    done = client.get("/tasks", params={"as_of": "2023-12-01", "status": "completed"}).json()
    by_party = {}
    for t in done["tasks"]:
        by_party[t["party"]] = by_party.get(t["party"], 0) + 1
    assert by_party == {"changji": 45, "xinjiang": 14, "bingtuan": 19}
    # Before any report the tasks exist (opened at the feedback) but their state is unknown.
    before = client.get("/tasks/summary", params={"as_of": "2022-03-01"}).json()
    assert before["total"] == 45 and before["by_state"] == {"unknown": 45}
    assert before["overdue"] == 0


def test_task_filters(client):
    r = client.get("/tasks", params={"region": "652327"}).json()["tasks"]
    codes = {t["code"] for t in r}
    assert {"XJ-C2-31", "CJ-R1-03-6"} <= codes  # via Baoming's occupations and the pits
    assert all(t["code"].startswith(("CJ", "XJ", "BT")) for t in r)
    ongoing = client.get("/tasks", params={"status": "ongoing"}).json()["tasks"]
    assert [t["code"] for t in ongoing] == ["BT-C2-01", "BT-C2-02", "BT-C2-16"]
    assert all(t["deadline_kind"] == "immediate_ongoing" and not t["overdue"] for t in ongoing)
    central = client.get("/tasks", params={"round": "central_2"}).json()
    assert central["count"] == 77
    assert client.get("/tasks", params={"status": "done"}).status_code == 400
    one = client.get("/tasks/BT-C2-30").json()
    assert one["deadline"] == "2022-08-31" and one["status"] == "completed"
    assert len(one["feature_ids"]) == 1 and len(one["notes"]) == 3
    # "2022年4月…已整改" dates the completion: month precision, with its quote
    assert one["completion"]["date"] == "2022-04" and one["completion"]["precision"] == "month"
    assert one["completion"]["given"] is True
    assert client.get("/tasks/NOPE").status_code == 404


# --- ledgers ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "path,columns,stem",
    [
        ("/tasks", TASK_COLUMNS, "rectification_tasks"),
        ("/restoration", RESTORATION_COLUMNS, "restoration_ledger"),
    ],
)
def test_xlsx_ledger(client, lang, path, columns, stem):
    r = client.get(path, params={"f": "xlsx", "lang": lang, "as_of": "2024-06-30"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    cd = r.headers["content-disposition"]
    assert cd.startswith(f'attachment; filename="{stem}_2024-06-30.xlsx"')
    assert ("filename*=UTF-8''" in cd) == (lang == "zh")
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    assert header == [c.header(lang) for c in columns]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width > 8
    n = client.get(path, params={"as_of": "2024-06-30"}).json()["count"]
    assert ws.max_row == n + 1


def test_csv_ledger_parses_with_bom_and_chinese(client):
    r = client.get("/restoration", params={"f": "csv", "lang": "zh", "layer": "mining_pits"})
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 410
    assert {
        "编号",
        "县市",
        "乡镇",
        "实测面积（公顷）",
        "治理状态",
        "完成时限",
        "责任单位",
        "最近更新",
    } <= set(rows[0])
    assert {r["治理状态"] for r in rows} <= {
        "未启动",
        "已编制方案",
        "治理中",
        "已完成",
        "已验收",
        "转型利用",
    }
    tasks = client.get("/tasks", params={"f": "csv"})
    trows = list(csv.DictReader(io.StringIO(tasks.content.decode("utf-8-sig"))))
    assert len(trows) == 122 and trows[0]["Code"]
    assert client.get("/tasks", params={"f": "pdf"}).status_code == 400


# --- reported vs measured ----------------------------------------------------------------


def test_reported_vs_measured(client, engine):
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT region_code, (properties->>'reported_area_ha')::float8 AS rep,"
                " area_m2 / 10000 AS mea FROM features WHERE layer = 'grassland_occupations'"
            )
        ).all()
    body = client.get(
        "/progress/reported-vs-measured",
        params={"layer": "grassland_occupations", "tolerance": 0.1},
    ).json()
    for county in body["counties"]:
        mine = [r for r in rows if r.region_code == county["region_code"]]
        assert county["count"] == len(mine)
        assert county["reported_ha"] == pytest.approx(sum(r.rep or 0 for r in mine), abs=0.01)
        assert county["measured_ha"] == pytest.approx(sum(r.mea for r in mine), abs=0.01)
        flagged = [r for r in mine if r.rep is None or abs(r.rep - r.mea) > 0.1 * r.mea]
        assert county["flagged_count"] == len(flagged)
    # B 32: “昌吉州向自治区林业和草原局报告全州违法占用草原面积1.1万亩，与实际情况差距很大”
    assert body["total"]["reported_mu"] == pytest.approx(11000, abs=1)
    assert body["total"]["ratio_reported_to_measured"] < 0.2
    pits = client.get(
        "/progress/reported-vs-measured", params={"layer": "mining_pits", "tolerance": 0.1}
    ).json()
    flagged_counties = {c["region_code"] for c in pits["counties"] if c["flagged_count"]}
    assert flagged_counties == {"652327", "652328"}  # Jimsar and Mori under-report
    loose = client.get(
        "/progress/reported-vs-measured", params={"layer": "mining_pits", "tolerance": 0.7}
    ).json()
    assert loose["total"]["flagged_count"] == 0
