"""Sign-off (验收销号) and reopening: evidence and an accepting unit required, only complete
tasks accepted, a reopening needs its finding and makes the task open (overdue when past its
deadline, with the reopening as its evidence); history kept; role- and county-checked
writes; refused writes leave the database as it was. Own throwaway database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from geo.kernel import auth
from geo.kernel.db import set_write_context
from tests.fresh_db import client_for, fresh_database

EVIDENCE = [
    {"kind": "document", "ref": "石水管〔2023〕12号 验收意见"},
    {"kind": "photo", "ref": "photo:4711"},
    {"kind": "inspection", "ref": "/inspections/1"},
]
FINDING = "回头看发现拦水坝恢复不彻底（示例 / sample finding）"


@pytest.fixture(scope="module")
def sdb():
    with fresh_database("rm_signoff") as (settings, engine):
        with engine.begin() as conn:
            keys = {
                "admin": auth.create_user(conn, "s-admin", "admin")[1],
                "changji": auth.create_user(conn, "s-changji", "editor", ["652300"])[1],
                "qitai": auth.create_user(conn, "s-qitai", "editor", ["652325"])[1],
                "viewer": auth.create_user(conn, "s-viewer", "viewer")[1],
            }
        yield settings, engine, keys


@pytest.fixture(scope="module")
def sc(sdb):
    with client_for(sdb[0]) as c:
        yield c


def H(keys, who):
    return {"Authorization": f"Bearer {keys[who]}"}


def snapshot(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM task_signoffs), (SELECT count(*) FROM task_notes),"
                " (SELECT count(*) FROM audit_log WHERE table_name = 'task_signoffs')"
            )
        ).one()


@pytest.mark.parametrize(
    "who, code, body, status",
    [
        (None, "BT-C2-30", {"step": "accepted"}, 401),
        ("viewer", "BT-C2-30", {"step": "accepted"}, 403),
        ("admin", "BT-C2-30", {"step": "accepted", "accepting_unit": "八师石河子市"}, 422),
        ("admin", "BT-C2-30", {"step": "accepted", "evidence": EVIDENCE}, 422),
        (
            "admin",
            "BT-C2-30",
            {
                "step": "accepted",
                "accepting_unit": "x",
                "evidence": [{"kind": "rumour", "ref": "y"}],
            },
            422,
        ),
        (
            "admin",
            "BT-C2-30",
            {
                "step": "accepted",
                "accepting_unit": "x",
                "evidence": EVIDENCE,
                "event_date": "2999-01-01",
            },
            422,
        ),
        ("admin", "BT-C2-30", {"step": "reopened", "finding": FINDING}, 409),  # not signed off
        (
            "admin",
            "XJ-C2-15",
            {"step": "accepted", "accepting_unit": "x", "evidence": EVIDENCE},
            409,
        ),  # still in progress: not complete
        (
            "qitai",
            "CJ-R1-11-1",
            {"step": "accepted", "accepting_unit": "x", "evidence": EVIDENCE},
            403,
        ),  # Changji City's task, a Qitai editor
        ("admin", "NOPE", {"step": "accepted", "accepting_unit": "x", "evidence": EVIDENCE}, 404),
    ],
)
def test_refused_writes_leave_no_trace(sc, sdb, who, code, body, status):
    _, engine, keys = sdb
    before = snapshot(engine)
    r = sc.post(f"/tasks/{code}/signoffs", json=body, headers=H(keys, who) if who else {})
    assert r.status_code == status, r.text
    assert r.json().get("description") or r.json().get("detail")
    assert snapshot(engine) == before


def test_sign_off_then_reopen_keeps_history_and_reopens_the_task(sc, sdb):
    _, engine, keys = sdb
    accepted = {
        "step": "accepted",
        "event_date": "2023-07-10",
        "accepting_unit": "第八师石河子市生态环境局（示例 / sample）",
        "evidence": EVIDENCE,
    }
    r = sc.post("/tasks/BT-C2-30/signoffs", json=accepted, headers=H(keys, "admin"))
    assert r.status_code == 201, r.text
    again = sc.post("/tasks/BT-C2-30/signoffs", json=accepted, headers=H(keys, "admin"))
    assert again.status_code == 409
    reopen = {"step": "reopened", "event_date": "2023-09-01", "finding": FINDING}
    r = sc.post("/tasks/BT-C2-30/signoffs", json=reopen, headers=H(keys, "admin"))
    assert r.status_code == 201, r.text
    steps = r.json()["signoffs"]
    assert [s["step"] for s in steps] == ["accepted", "reopened"]
    assert steps[0]["evidence"] == EVIDENCE and steps[1]["finding"] == FINDING
    # Reopened after its deadline (2022-08-31): overdue, with the reopening as evidence.
    t = sc.get("/tasks/BT-C2-30", params={"as_of": "2023-10-01"}).json()
    assert t["state"] == "overdue" and t["status_date"] == "2023-09-01"
    assert t["status_words"] == FINDING and t["status_source"].startswith("note #")
    # Before the reopening, the reports' completion still stands.
    assert sc.get("/tasks/BT-C2-30", params={"as_of": "2023-08-01"}).json()["state"] == (
        "completed"
    )
    with engine.connect() as conn:
        audited = conn.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE table_name = 'task_signoffs'"
                " AND actor = 's-admin'"
            )
        ).scalar_one()
    assert audited == 2  # the database audited both writes, under the caller's name
    assert sc.get("/tasks/BT-C2-30/signoffs").json()["signoffs"] == steps


def test_county_editor_signs_off_in_scope(sc, sdb):
    _, _, keys = sdb
    body = {
        "step": "accepted",
        "event_date": "2024-01-05",
        "accepting_unit": "昌吉州生态环境局",
        "evidence": EVIDENCE[:1],
    }
    r = sc.post("/tasks/CJ-R1-11-1/signoffs", json=body, headers=H(keys, "changji"))
    assert r.status_code == 201, r.text
    assert len(sc.get("/tasks/CJ-R1-11-1/signoffs").json()["signoffs"]) == 1


def test_the_database_scopes_sign_offs_whatever_the_path(sdb):
    """A Qitai-scoped transaction cannot write a sign-off of a Changji City task in SQL."""
    _, engine, _ = sdb
    before = snapshot(engine)
    with pytest.raises(DBAPIError, match="region scope"), engine.begin() as conn:
        set_write_context(conn, "psql-user", None, frozenset({"652325"}))
        conn.execute(
            text(
                "INSERT INTO task_signoffs (task_id, step, event_date, accepting_unit,"
                " evidence, region_code, actor) SELECT id, 'accepted', '2024-01-01', 'x',"
                ' \'[{"kind": "photo", "ref": "p"}]\', region_code, \'psql-user\''
                " FROM rectification_tasks WHERE code = 'CJ-R1-11-1'"
            )
        )
    assert snapshot(engine) == before


def test_after_reopening_a_new_completion_can_be_signed_off_again(sc, sdb):
    _, engine, keys = sdb
    before = snapshot(engine)
    refused = [
        ({"text": "x", "status": "done"}, "admin", 422),
        ({"text": "x", "note_date": "2999-01-01"}, "admin", 400),
        ({"text": "x", "status": "completed"}, "qitai", 403),
        ({"text": "x"}, "viewer", 403),
    ]
    for body, who, status in refused:
        r = sc.post("/tasks/CJ-R1-11-2/notes", json=body, headers=H(keys, who))
        assert r.status_code == status, (body, who, r.text)
    assert snapshot(engine) == before
    code = "CJ-R1-11-2"
    ok = {
        "step": "accepted",
        "event_date": "2024-02-01",
        "accepting_unit": "昌吉州生态环境局",
        "evidence": EVIDENCE[:2],
    }
    assert (
        sc.post(f"/tasks/{code}/signoffs", json=ok, headers=H(keys, "changji")).status_code == 201
    )
    reopen = {"step": "reopened", "event_date": "2024-03-01", "finding": FINDING}
    assert (
        sc.post(f"/tasks/{code}/signoffs", json=reopen, headers=H(keys, "changji")).status_code
        == 201
    )
    again = {**ok, "event_date": "2024-03-02"}
    r = sc.post(f"/tasks/{code}/signoffs", json=again, headers=H(keys, "changji"))
    # reopened after its deadline (2022-12-31): overdue, so not signed off
    assert r.status_code == 409 and "overdue" in r.json()["description"]
    done = {"note_date": "2024-04-01", "status": "completed", "text": "旱厕已拆除（示例 / sample）"}
    r = sc.post(f"/tasks/{code}/notes", json=done, headers=H(keys, "changji"))
    assert r.status_code == 201 and r.json()["state"] == "completed"
    assert r.json()["completion"]["known_by"] == "2024-04-01"
    again = {**ok, "event_date": "2024-04-02"}
    r = sc.post(f"/tasks/{code}/signoffs", json=again, headers=H(keys, "changji"))
    assert r.status_code == 201
    assert [s["step"] for s in r.json()["signoffs"]] == ["accepted", "reopened", "accepted"]
