"""What the public sees: the report of one party rebuilt from the ledger in the reports'
own structure (aspect → problem → task → 整改时限 → 整改进展情况 → numbered measures), and
progress per problem for the public page. Only the reports' texts and derived states leave
here: no notes written by users, no user names, and linked features only as a generalised
location (the county and a point rounded to 0.1°), never their geometry, and marked
``sample`` when the feature is illustrative sample data."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from geo.campaign.problems import PARTIES, list_problems
from geo.kernel.errors import NotFound

PARTY_TITLES = {
    "changji": "昌吉回族自治州贯彻落实第一轮自治区生态环境保护督察报告具体问题整改落实情况",
    "xinjiang": "新疆维吾尔自治区贯彻落实第二轮中央生态环境保护督察报告具体问题整改进展情况",
    "bingtuan": "新疆生产建设兵团贯彻落实第二轮中央生态环境保护督察报告具体问题整改进展情况",
}
# Coarse enough not to point at a site (about 10 km), fine enough to place it in its county.
GRID_DEG = 0.1

_PLACES = """
SELECT t.code, f.layer, g.name AS county, left(coalesce(f.source, ''), 6) = 'sample' AS sample,
       round(ST_X(ST_PointOnSurface(f.geom))::numeric, 1)::float8 AS lon,
       round(ST_Y(ST_PointOnSurface(f.geom))::numeric, 1)::float8 AS lat
FROM task_features tf JOIN rectification_tasks t ON t.id = tf.task_id
JOIN features f ON f.id = tf.feature_id LEFT JOIN regions g ON g.code = f.region_code
WHERE t.problem_code = ANY(:codes)
GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
"""


def _item_label(task: dict[str, Any], problem: dict[str, Any]) -> str | None:
    """The task's own number under its problem ("1." in Changji's annex, "（一）" in the
    region's problem 十六), or None when the problem is the task."""
    item = (task["source"] or {}).get("item", "")
    rest = item.removeprefix(problem["label"].rstrip("、")).strip("、 ")
    if not rest or rest == item:
        return None
    return f"{rest}." if rest.isdigit() else rest


def _task_doc(task: dict[str, Any], problem: dict[str, Any]) -> dict[str, Any]:
    src = task["source"] or {}
    label = _item_label(task, problem)
    return {
        "code": task["code"],
        "label": label,
        "statement": task["problem_statement"] if label else None,
        "deadline_text": task["deadline_text"],
        # the report's words, never a later note's
        "status_quote": src.get("status_quote"),
        "progress_text": task["progress_text"] or "",
        "measures": [m["text"] for m in task["measures"]],
        "state": task["state"],
        "status_date": task["status_date"] if task["status_source"] else None,
    }


async def _statements(conn: AsyncConnection, codes: list[str]) -> dict[str, str]:
    rows = await conn.execute(
        text("SELECT code, problem FROM rectification_tasks WHERE problem_code = ANY(:c)"),
        {"c": codes},
    )
    return {r.code: r.problem for r in rows}


async def party_report(conn: AsyncConnection, party: str, as_of: date) -> dict[str, Any]:
    """One party's report, from the ledger, in the seeds' structure."""
    if party not in PARTIES:
        raise NotFound(f"no report for party {party!r}; parties: {', '.join(PARTIES)}")
    problems = await list_problems(conn, as_of, party=party)
    statements = await _statements(conn, [p["code"] for p in problems])
    out = []
    for p in problems:
        tasks = [{**t, "problem_statement": statements[t["code"]]} for t in p["tasks"]]
        out.append(
            {
                "code": p["code"],
                "aspect": (
                    f"{p['aspect_label']}{p['aspect_title']}" if p["aspect_label"] else None
                ),
                "heading": f"{p['label']}{p['statement']}",
                "tasks": [_task_doc(t, p) for t in tasks],
            }
        )
    return {
        "party": party,
        "title": PARTY_TITLES[party],
        "as_of": as_of.isoformat(),
        "problem_count": len(out),
        "task_count": sum(len(p["tasks"]) for p in out),
        "problems": out,
    }


async def public_progress(conn: AsyncConnection, as_of: date) -> list[dict[str, Any]]:
    """Progress per problem for every party: task states counted, the report's status words,
    and generalised places of linked features."""
    problems = await list_problems(conn, as_of)
    places: dict[str, list[dict[str, Any]]] = {}
    for r in await conn.execute(text(_PLACES), {"codes": [p["code"] for p in problems]}):
        places.setdefault(r.code, []).append(
            {
                "layer": r.layer,
                "county": r.county,
                "lon": r.lon,
                "lat": r.lat,
                # illustrative sample features, never presented as surveyed sites
                "sample": r.sample,
            }
        )
    out = []
    for p in problems:
        states: dict[str, int] = {}
        for t in p["tasks"]:
            states[t["state"]] = states.get(t["state"], 0) + 1
        out.append(
            {
                "code": p["code"],
                "party": p["party"],
                "label": p["label"],
                "statement": p["statement"],
                "charged_places": p["charged_places"],
                "states": states,
                "tasks": [
                    {
                        "code": t["code"],
                        "title": t["title"],
                        "deadline_text": t["deadline_text"],
                        "state": t["state"],
                        "status_quote": (t["source"] or {}).get("status_quote"),
                        "places": places.get(t["code"], []),
                    }
                    for t in p["tasks"]
                ],
            }
        )
    return out
