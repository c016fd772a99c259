"""Law with dates (migration 0013_law_periods): a violation is judged under the rule version in
force at its detection date; grassland reclamation whatever the approval; quasi-protection
zones; cropland in a wetland park is not a Grassland-Law matter; cutting off a wetland's
water. Each test writes in a transaction it rolls back."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Connection, text

PARK = "WLP-652324-01-C"


@pytest.fixture
def conn(write_engine):
    with write_engine.connect() as c:
        tx = c.begin()
        c.execute(text("SELECT set_config('rm.actor', 'test-law', true)"))
        yield c
        tx.rollback()


def _spot_in_park(conn: Connection) -> tuple[float, float]:
    return tuple(
        conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p"
                " FROM features WHERE layer = 'wetland_parks' AND code = :c) s"
            ),
            {"c": PARK},
        ).one()
    )


def _far_spot(conn: Connection) -> tuple[float, float]:
    """A point of Changji at least 5 km from every feature (no other rule interferes)."""
    return tuple(
        conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints("
                " ST_Buffer(geom, -0.05), 400, 7))).geom AS p FROM regions WHERE code = '652325') g"
                " WHERE NOT EXISTS (SELECT 1 FROM features f"
                "   WHERE ST_DWithin(f.geom::geography, g.p::geography, 5000))"
                " LIMIT 1"
            )
        ).one()
    )


def _add(
    conn: Connection,
    layer: str,
    code: str,
    props: dict,
    x: float,
    y: float,
    half: float = 0.002,
    line: bool = False,
) -> int:
    shape = (
        "ST_MakeLine(ST_MakePoint(:x - :h, :y), ST_MakePoint(:x + :h, :y))"
        if line
        else "ST_MakeEnvelope(:x - :h, :y - :h, :x + :h, :y + :h)"
    )
    return conn.execute(
        text(
            "INSERT INTO features (layer, code, name, properties, geom, source)"
            f" VALUES (:layer, :code, :code, CAST(:p AS jsonb), ST_Multi(ST_SetSRID({shape}, 4326)),"
            " 'test') RETURNING id"
        ),
        {"layer": layer, "code": code, "p": json.dumps(props), "x": x, "y": y, "h": half},
    ).scalar_one()


def _judged(conn: Connection, subject_id: int) -> dict[str, str]:
    rows = conn.execute(
        text(
            "SELECT r.code, v.detected_on::text FROM violations v"
            " JOIN violation_rules r ON r.id = v.rule_id"
            " WHERE v.subject_id = :s AND v.resolved_at IS NULL"
        ),
        {"s": subject_id},
    ).all()
    return dict(rows)


def _farm(approval: str, detected_on: str | None = None) -> dict:
    p = {"occupant": "测试", "purpose": "farming", "approval_status": approval}
    if detected_on:
        p["detected_on"] = detected_on
    return p


@pytest.mark.parametrize(
    ("detected_on", "rule", "law"),
    [
        ("2021-07-30", "WETLAND-RECLAIM.2018", "国家湿地公园管理办法"),
        ("2022-05-31", "WETLAND-RECLAIM.2018", "国家湿地公园管理办法"),
        ("2022-06-01", "WETLAND-RECLAIM.2022", "中华人民共和国湿地保护法"),
        ("2023-03-01", "WETLAND-RECLAIM", "中华人民共和国湿地保护法"),
    ],
)
def test_the_rule_in_force_at_detection_judges(conn, detected_on, rule, law):
    x, y = _spot_in_park(conn)
    sid = _add(conn, "grassland_occupations", "T-FARM", _farm("none", detected_on), x, y)
    judged = _judged(conn, sid)
    reclaim = {c: d for c, d in judged.items() if c.startswith("WETLAND-RECLAIM")}
    assert reclaim == {rule: detected_on}
    title = conn.execute(
        text("SELECT law_title FROM violation_rules WHERE code = :c"), {"c": rule}
    ).scalar_one()
    assert title == law


def test_a_corrected_detection_date_moves_the_violation_to_the_other_version(conn):
    x, y = _spot_in_park(conn)
    sid = _add(conn, "grassland_occupations", "T-FARM", _farm("none", "2021-07-30"), x, y)
    assert "WETLAND-RECLAIM.2018" in _judged(conn, sid)
    conn.execute(
        text(
            'UPDATE features SET properties = properties || \'{"detected_on": "2023-01-02"}\''
            " WHERE id = :id"
        ),
        {"id": sid},
    )
    judged = _judged(conn, sid)
    assert "WETLAND-RECLAIM" in judged and "WETLAND-RECLAIM.2018" not in judged


def test_cropland_in_a_wetland_park_is_not_cited_under_the_grassland_law(conn):
    x, y = _spot_in_park(conn)
    sid = _add(conn, "grassland_occupations", "T-FARM", _farm("none", "2021-07-30"), x, y)
    judged = _judged(conn, sid)
    assert not [c for c in judged if c.startswith("GRASSLAND")], judged
    assert {"WETLAND-RECLAIM.2018", "WETLAND-CONSERVATION-OCC.2018"} <= set(judged)


def test_grassland_reclamation_is_flagged_even_with_approval(conn):
    x, y = _far_spot(conn)
    sid = _add(conn, "grassland_occupations", "T-FARM", _farm("approved"), x, y)
    assert set(_judged(conn, sid)) == {"GRASSLAND-RECLAIM"}
    # a mining occupation with approval breaks neither grassland rule
    mid = _add(
        conn,
        "grassland_occupations",
        "T-MINE",
        {"occupant": "测试", "purpose": "mining", "approval_status": "approved"},
        x + 0.02,
        y,
    )
    assert _judged(conn, mid) == {}


def test_a_farm_half_in_a_park_is_cited_under_the_grassland_law_for_the_half_outside(conn):
    x, y = _spot_in_park(conn)
    sid = _add(conn, "grassland_occupations", "T-FARM", _farm("approved"), x, y, half=0.2)
    area, total = conn.execute(
        text(
            "SELECT v.area_m2, f.area_m2 FROM violations v JOIN violation_rules r"
            " ON r.id = v.rule_id JOIN features f ON f.id = v.subject_id"
            " WHERE r.code = 'GRASSLAND-RECLAIM' AND v.subject_id = :s"
        ),
        {"s": sid},
    ).one()
    inside = conn.execute(
        text(
            "SELECT ST_Area(ST_Intersection(f.geom, (SELECT ST_Union(geom) FROM features"
            " WHERE layer = 'wetland_parks'))::geography) FROM features f WHERE f.id = :s"
        ),
        {"s": sid},
    ).scalar_one()
    assert inside > 0
    assert area == pytest.approx(total - inside, rel=1e-3)


def test_quasi_protection_zone_rule_fires(conn):
    x, y = _far_spot(conn)
    _add(
        conn,
        "water_source_zones",
        "T-WSZ-Q",
        {"source_name": "测试水源", "water_body": "groundwater", "grade": "quasi"},
        x,
        y,
        half=0.02,
    )
    mine = {"occupant": "测试", "purpose": "mining", "approval_status": "approved"}
    sid = _add(conn, "grassland_occupations", "T-MINE", mine, x, y)
    road = {"occupant": "测试", "purpose": "road", "approval_status": "approved"}
    rid = _add(conn, "grassland_occupations", "T-ROAD", road, x + 0.005, y)
    assert set(_judged(conn, sid)) == {"WPPL-67-OCC-MINING"}
    assert _judged(conn, rid) == {}


def test_a_dam_cutting_off_a_wetland_park_is_judged_at_its_detection(conn):
    x, y = _spot_in_park(conn)
    dam = {
        "work_type": "dam",
        "state": "in_place",
        "cuts_off_flow": True,
        "detected_on": "2022-04-25",
    }
    sid = _add(conn, "water_works", "T-DAM", dam, x, y, line=True)
    assert _judged(conn, sid) == {"WETLAND-WATER-CUTOFF.2018": "2022-04-25"}
    removed = {**dam, "state": "removed", "removed_on": "2022-04"}
    rid = _add(conn, "water_works", "T-DAM-2", removed, x, y + 0.001, line=True)
    assert _judged(conn, rid) == {}


def test_versions_of_one_family_never_overlap(conn):
    from sqlalchemy.exc import IntegrityError

    with (
        pytest.raises(IntegrityError, match="ex_violation_rules_versions"),
        conn.begin_nested(),
    ):
        conn.execute(
            text(
                "UPDATE violation_rules SET valid_to = '2023-06-01'"
                " WHERE code = 'WETLAND-RECLAIM.2022'"
            )
        )


def test_every_rule_names_its_legal_text_and_the_source_checked(conn):
    rows = conn.execute(
        text(
            "SELECT code, law_title, law_article, law_source, law_verified, valid_from"
            " FROM violation_rules"
        )
    ).all()
    assert len(rows) >= 30
    for code, title, article, source, verified, valid_from in rows:
        assert title and article and source and valid_from, code
        # an unverified citation says so in its source note
        assert verified or "UNVERIFIED" in source, code


def test_every_sample_item_and_violation_says_sample(client):
    for layer in ("mining_pits", "grassland_occupations", "wetland_parks", "water_source_zones"):
        r = client.get(f"/collections/{layer}/items", params={"limit": 1000})
        assert r.status_code == 200
        feats = r.json()["features"]
        assert feats and all(f["properties"].get("sample") is True for f in feats), layer
    r = client.get("/collections/violations/items", params={"limit": 1000})
    feats = r.json()["features"]
    assert feats and all(f["properties"].get("sample") is True for f in feats)
    assert all(f["properties"]["law_title"] for f in feats)


def test_the_sample_manas_park_has_the_published_extent(conn):
    """86°04′–86°18′E, 44°22′–44°31′N, 82,920 亩 (one 亩 = 10,000/15 m²)."""
    mu, x0, y0, x1, y1 = conn.execute(
        text(
            "SELECT ST_Area(u::geography) * 15 / 10000, ST_XMin(u), ST_YMin(u), ST_XMax(u),"
            " ST_YMax(u) FROM (SELECT ST_Union(geom) AS u FROM features"
            " WHERE layer = 'wetland_parks' AND code LIKE 'WLP-652324-%') s"
        )
    ).one()
    assert mu == pytest.approx(82_920, rel=0.01)
    assert x0 >= 86 + 4 / 60 and x1 <= 86 + 18 / 60
    assert y0 >= 44 + 22 / 60 and y1 <= 44 + 31 / 60


def test_the_sample_dam_is_recorded_but_not_flagged_after_its_removal(conn):
    sid, detected, state = conn.execute(
        text(
            "SELECT id, properties->>'detected_on', properties->>'state' FROM features"
            " WHERE layer = 'water_works' AND code = 'WW-652324-001'"
        )
    ).one()
    assert (detected, state) == ("2022-04-25", "removed")
    assert _judged(conn, sid) == {}
    conn.execute(
        text(
            'UPDATE features SET properties = properties || \'{"state": "in_place"}\' WHERE id = :i'
        ),
        {"i": sid},
    )
    assert _judged(conn, sid) == {"WETLAND-WATER-CUTOFF.2018": "2022-04-25"}


def test_invented_conflicts_lie_in_fictitious_zones_only(conn):
    """An illustrative conflict never sits in a zone the reports name (a real place)."""
    rows = conn.execute(
        text(
            "SELECT v.subject_code, p.name, p.source FROM violations v"
            " JOIN features p ON p.id = v.protected_id WHERE v.resolved_at IS NULL"
        )
    ).all()
    assert rows
    for subject, name, source in rows:
        if subject == "GOC-652324-001":  # the cropland the Changji report names (item 17)
            assert "退耕还湿" in source
            continue
        assert "虚构" in name and "FICTITIOUS" in source, (subject, name)


def test_the_rules_api_refuses_overlapping_versions_and_backward_periods(
    write_client, write_engine
):
    from tests.fresh_db import make_key, table_counts

    admin = make_key(write_engine, "law-admin", "admin")
    before = table_counts(write_engine)
    rule = {
        "code": "WETLAND-RECLAIM.TEST",
        "family": "WETLAND-RECLAIM",
        "name": "test version",
        "subject_layer": "grassland_occupations",
        "subject_filter": {"purpose": "farming"},
        "protected_layer": "wetland_parks",
        "predicate": "intersects",
        "severity": "low",
        "legal_basis": "test",
        "legal_basis_zh": "测试",
        "valid_from": "2020-01-01",
    }
    r = write_client.post("/rules", json=rule, headers=admin)
    assert r.status_code == 409 and "WETLAND-RECLAIM" in r.text, r.text
    r = write_client.post("/rules", json={**rule, "valid_to": "2019-01-01"}, headers=admin)
    assert r.status_code == 422 and "valid_to" in r.text
    assert table_counts(write_engine) == before
