"""Open violations by county and severity (the dashboard's chart), against the table."""

from __future__ import annotations

from sqlalchemy import text


def test_open_summary_matches_the_violations_table(client, engine):
    body = client.get("/violations/open-summary").json()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT region_code, severity, count(*) FROM violations WHERE resolved_at IS NULL"
                " AND status NOT IN ('dismissed', 'closed') GROUP BY 1, 2"
            )
        ).all()
    want = {(r, s): n for r, s, n in rows}
    got = {
        (g["region_code"], s): v["count"]
        for g in body["groups"]
        for s, v in g["by_severity"].items()
    }
    assert got == want and want
    assert body["total"]["count"] == sum(want.values())
    manas = next(g for g in body["groups"] if g["region_code"] == "652324")
    assert manas["region_name"] == "玛纳斯县" and manas["region_name_en"]
    only = client.get("/violations/open-summary", params={"region": "652324"}).json()
    assert [g["region_code"] for g in only["groups"]] == ["652324"]
    assert client.get("/violations/open-summary", params={"region": "x"}).status_code == 400
    assert client.get("/violations/open-summary", params={"bogus": 1}).status_code == 400
