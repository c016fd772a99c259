"""An independent reference for the progress endpoints: raw rows read with plain SELECTs,
states and sums computed in Python, so the tests compare two separate computations."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import text

DONE = {"completed", "accepted", "repurposed"}
STARTED = {"in_progress"} | DONE


def raw_events(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.id, e.record_id, e.event_date, e.status, e.restored_area_ha,"
                " e.deadline, f.layer, f.region_code, f.area_m2 FROM restoration_events e"
                " JOIN restoration_records r ON r.id = e.record_id"
                " JOIN features f ON f.id = r.feature_id"
            )
        ).all()
    return [dict(r._mapping) for r in rows]


def states(events: list[dict], as_of: date) -> list[dict]:
    latest: dict[int, dict] = {}
    for e in events:
        if e["event_date"] > as_of:
            continue
        cur = latest.get(e["record_id"])
        if cur is None or (e["event_date"], e["id"]) > (cur["event_date"], cur["id"]):
            latest[e["record_id"]] = e
    out = []
    for e in latest.values():
        overdue = e["deadline"] is not None and e["deadline"] < as_of and e["status"] not in DONE
        out.append({**e, "area_ha": e["area_m2"] / 10000, "overdue": overdue})
    return out


def summarise(items: list[dict], keys: tuple[str, ...]) -> dict[tuple, dict]:
    groups: dict[tuple, dict] = defaultdict(
        lambda: {
            "count": 0,
            "area_ha": 0.0,
            "restored_area_ha": 0.0,
            "completed_count": 0,
            "started_count": 0,
            "overdue_count": 0,
            "completed_area_ha": 0.0,
            "by_status": defaultdict(lambda: [0, 0.0]),
        }
    )
    for it in items:
        g = groups[tuple(it[k] for k in keys)]
        g["count"] += 1
        g["area_ha"] += it["area_ha"]
        g["restored_area_ha"] += it["restored_area_ha"]
        g["completed_count"] += it["status"] in DONE
        g["completed_area_ha"] += it["area_ha"] if it["status"] in DONE else 0
        g["started_count"] += it["status"] in STARTED
        g["overdue_count"] += it["overdue"]
        g["by_status"][it["status"]][0] += 1
        g["by_status"][it["status"]][1] += it["area_ha"]
    return groups


def raw_tasks(engine) -> tuple[list[dict], list[dict]]:
    with engine.connect() as conn:
        tasks = [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT id, code, deadline, deadline_kind, party, round"
                    " FROM rectification_tasks"
                )
            )
        ]
        notes = [
            dict(r._mapping)
            for r in conn.execute(text("SELECT id, task_id, note_date, status FROM task_notes"))
        ]
    return tasks, notes


def task_states(tasks: list[dict], notes: list[dict], as_of: date) -> dict[str, dict]:
    """State from the evidence only: no status yet → unknown; a status dated on or after a
    passed deadline that is not complete → overdue; a passed deadline with the latest status
    dated before it → no report since; otherwise the latest status."""
    out = {}
    for t in tasks:
        mine = [n for n in notes if n["task_id"] == t["id"] and n["note_date"] <= as_of]
        if not mine:
            continue
        known = [n for n in mine if n["status"]]
        latest = max(known, key=lambda n: (n["note_date"], n["id"])) if known else None
        passed = t["deadline"] is not None and t["deadline"] < as_of
        if latest is None:
            state = "unknown"
        elif latest["status"] == "completed":
            state = "completed"
        elif passed and latest["note_date"] >= t["deadline"]:
            state = "overdue"
        elif passed:
            state = "no_report_since"
        else:
            state = latest["status"]
        out[t["code"]] = {
            **t,
            "status": latest and latest["status"],
            "status_date": latest and latest["note_date"],
            "state": state,
            "overdue": state == "overdue",
        }
    return out
