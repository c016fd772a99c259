"""Violations follow the data: inserts, updates and deletes by plain SQL re-evaluate the
rules for the features touched (statement-level triggers), in a database of its own.
Also: overlap areas on random polygons (holes, multipolygons, across the Gauss-Krüger
zone boundary at 88.5°E) against shapely + pyproj.Geod."""

from __future__ import annotations

import json
import math
import random

import pytest
from pyproj import Geod
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from sqlalchemy import text

from tests.fresh_db import client_for, fresh_database

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def world():
    with fresh_database("rm_vinc") as (settings, engine), client_for(settings) as client:
        yield client, engine


def _zone(conn, code):
    return conn.execute(
        text("SELECT id, ST_AsGeoJSON(geom) FROM features WHERE code = :c"), {"c": code}
    ).one()


def _violations_of(conn, code):
    return conn.execute(
        text(
            "SELECT v.id, r.code, v.protected_code, v.area_m2, v.status, v.resolved_at IS NOT NULL"
            " FROM violations v JOIN violation_rules r ON r.id = v.rule_id"
            " WHERE v.subject_code = :c ORDER BY r.code, v.protected_code"
        ),
        {"c": code},
    ).all()


def _events(conn, vid):
    return conn.execute(
        text(
            "SELECT action, actor, cause_actor, note FROM violation_events"
            " WHERE violation_id = :v ORDER BY id"
        ),
        {"v": vid},
    ).all()


def _as_actor(conn, name):
    conn.execute(text("SELECT set_config('rm.actor', :a, true)"), {"a": name})


PIT = {"mineral": "sand_gravel", "legacy": True}
RANDOM_ZONE = {"source_name": "随机", "water_body": "river", "grade": "quasi"}


def _insert_feature(conn, layer: str, code: str, properties: dict, geom) -> None:
    conn.execute(
        text(
            "INSERT INTO features (layer, code, properties, geom) VALUES"
            " (:l, :c, CAST(:p AS jsonb), ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326))"
        ),
        {"l": layer, "c": code, "p": json.dumps(properties), "g": json.dumps(mapping(geom))},
    )


def _shift_east(conn, code: str, degrees: float) -> None:
    conn.execute(
        text("UPDATE features SET geom = ST_Translate(geom, :dx, 0) WHERE code = :c"),
        {"dx": degrees, "c": code},
    )


def _set_grade(conn, zone_id, grade: str) -> None:
    conn.execute(
        text(
            "UPDATE features SET properties = properties"
            " || jsonb_build_object('grade', CAST(:g AS text)) WHERE id = :z"
        ),
        {"g": grade, "z": zone_id},
    )


def test_insert_update_delete_follow_the_data(world):
    _, engine = world
    with engine.begin() as conn:
        zid, zgeo = _zone(conn, "WSZ-652324-002-1")  # a Manas grade-1 zone (fictitious source)
        inner = shape(json.loads(zgeo)).representative_point().buffer(0.002)
        _as_actor(conn, "field-editor")
        _insert_feature(conn, "mining_pits", "PIT-TEST-1", PIT, inner)
    with engine.connect() as conn:
        rows = _violations_of(conn, "PIT-TEST-1")
        assert [(r[1], r[2]) for r in rows] == [("WPPL-65-PIT", "WSZ-652324-002-1")]
        vid = rows[0][0]
        zone_geom = shape(json.loads(zgeo))
        expected = abs(GEOD.geometry_area_perimeter(inner.intersection(zone_geom))[0])
        assert rows[0][3] == pytest.approx(expected, rel=1e-3)
        assert _events(conn, vid) == [
            ("detected", "system", "field-editor", "detected by rule evaluation")
        ]

    # Move it far away: resolved by data, not deleted.
    with engine.begin() as conn:
        _shift_east(conn, "PIT-TEST-1", 0.5)
    with engine.connect() as conn:
        rows = _violations_of(conn, "PIT-TEST-1")
        assert [(r[0], r[5]) for r in rows] == [(vid, True)]
        assert _events(conn, vid)[-1][:2] == ("resolved_by_data", "system")

    # An accepted and closed record whose overlap comes back is reopened (same record).
    with engine.begin() as conn:
        conn.execute(text("UPDATE violations SET status = 'closed' WHERE id = :v"), {"v": vid})
        _shift_east(conn, "PIT-TEST-1", -0.5)
    with engine.connect() as conn:
        rows = _violations_of(conn, "PIT-TEST-1")
        assert [(r[0], r[4], r[5]) for r in rows] == [(vid, "reopened", False)]
        last = _events(conn, vid)[-1]
        assert last[:2] == ("redetected_by_data", "system")

    # An attribute change on the protected side: grade 1 -> 2 moves it to art. 66.
    with engine.begin() as conn:
        _set_grade(conn, zid, "2")
    with engine.connect() as conn:
        rows = _violations_of(conn, "PIT-TEST-1")
        state = {(r[1], r[2]): r[5] for r in rows}
        assert state[("WPPL-65-PIT", "WSZ-652324-002-1")] is True  # resolved
        assert state[("WPPL-66-PIT", "WSZ-652324-002-1")] is False  # detected
        # The seeded Manas pit followed the zone too.
        seeded = {(r[1], r[2]): r[5] for r in _violations_of(conn, "PIT-652324-0001")}
        assert seeded[("WPPL-65-PIT", "WSZ-652324-002-1")] is True
    with engine.begin() as conn:
        _set_grade(conn, zid, "1")
        conn.execute(text("DELETE FROM features WHERE code = 'PIT-TEST-1'"))
    with engine.connect() as conn:
        rows = _violations_of(conn, "PIT-TEST-1")
        assert all(r[5] for r in rows)
        assert _events(conn, vid)[-1][3] == "subject feature was deleted"
        seeded = {(r[1], r[2]): r[5] for r in _violations_of(conn, "PIT-652324-0001")}
        assert seeded[("WPPL-65-PIT", "WSZ-652324-002-1")] is False


def test_unrelated_update_writes_nothing(world):
    _, engine = world
    with engine.connect() as conn:
        before = conn.execute(
            text("SELECT (SELECT count(*) FROM violation_events), max(updated_at) FROM violations")
        ).one()
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE features SET name = name, source = source WHERE layer = 'mining_pits'")
        )
        conn.execute(text("UPDATE features SET geom = geom WHERE layer = 'water_source_zones'"))
    with engine.connect() as conn:
        assert (
            conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM violation_events), max(updated_at)"
                    " FROM violations"
                )
            ).one()
            == before
        )


def test_bulk_insert_in_one_statement_and_attribute_rule(world):
    _, engine = world
    occ = {"occupant": "测试（样例）", "purpose": "road", "approval_status": "none"}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO features (layer, code, properties, geom)"
                " SELECT 'grassland_occupations', 'GOC-TEST-' || i, CAST(:p AS jsonb),"
                " ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(87.0 + i * 0.01, 44.8), 4326), 0.001))"
                " FROM generate_series(1, 20) i"
            ),
            {"p": json.dumps(occ)},
        )
        n = conn.execute(
            text(
                "SELECT count(*) FROM violations WHERE subject_code LIKE 'GOC-TEST-%'"
                " AND resolved_at IS NULL"
            )
        ).scalar_one()
        assert n == 20
        conn.execute(
            text(
                'UPDATE features SET properties = properties || \'{"approval_status": "approved"}\''
                " WHERE code LIKE 'GOC-TEST-%'"
            )
        )
        n = conn.execute(
            text(
                "SELECT count(*) FROM violations WHERE subject_code LIKE 'GOC-TEST-%'"
                " AND resolved_at IS NULL"
            )
        ).scalar_one()
        assert n == 0
        conn.execute(text("DELETE FROM features WHERE code LIKE 'GOC-TEST-%'"))


def test_evaluate_command_finds_nothing_new(world):
    _, engine = world
    from geo.violations.rules import evaluate

    with engine.begin() as conn:
        counts = evaluate(conn)
    assert counts.get("detected", 0) == 0 and counts.get("resolved_by_data", 0) == 0


# --- random polygons ---------------------------------------------------------------------


def _blob(rng: random.Random, lon: float, lat: float, r: float) -> Polygon:
    n = rng.randint(6, 14)
    pts = []
    for k in range(n):
        a = 2 * 3.141592653589793 * k / n
        rr = r * rng.uniform(0.5, 1.0)
        pts.append((lon + rr * 1.4 * math.cos(a), lat + rr * math.sin(a)))
    return Polygon(pts)


def _random_shape(rng: random.Random, lon: float, lat: float) -> MultiPolygon:
    outer = _blob(rng, lon, lat, rng.uniform(0.01, 0.05))
    if rng.random() < 0.5:  # a hole
        hole = affinity.scale(outer, 0.3, 0.3)
        outer = Polygon(outer.exterior.coords, [hole.exterior.coords])
    parts = [outer]
    if rng.random() < 0.5:  # a second part, away from the first
        parts.append(_blob(rng, lon + 0.12, lat, rng.uniform(0.01, 0.03)))
    geom = MultiPolygon(parts)
    assert geom.is_valid
    return geom


def _geodesic_overlaps(subjects: dict, zones: dict) -> dict[tuple[str, str], float]:
    """(subject, zone) → geodesic overlap area in m², for every pair that overlaps at all."""
    expected = {}
    for s, sg in subjects.items():
        for z, zg in zones.items():
            inter = sg.intersection(zg)
            area = abs(GEOD.geometry_area_perimeter(inter)[0]) if not inter.is_empty else 0
            if area > 0:
                expected[(s, z)] = area
    return expected


def test_overlap_areas_on_random_polygons_across_zone_29_30(world):
    client, engine = world
    rng = random.Random(20261123)
    subjects, zones = {}, {}
    for i in range(25):
        lon = 88.5 + rng.uniform(-0.06, 0.06)  # straddles the GK zone boundary
        lat = 44.0 + rng.uniform(-0.1, 0.1)
        subjects[f"PIT-RND-{i}"] = _random_shape(rng, lon, lat)
        zones[f"WSZ-RND-{i}"] = _random_shape(
            rng, lon + rng.uniform(-0.03, 0.03), lat + rng.uniform(-0.03, 0.03)
        )
    with engine.begin() as conn:
        for code, g in subjects.items():
            _insert_feature(conn, "mining_pits", code, PIT, g)
        for code, g in zones.items():
            _insert_feature(conn, "water_source_zones", code, RANDOM_ZONE, g)
    try:
        resp = client.get(
            "/overlaps",
            params={
                "subject": "mining_pits",
                "protected": "water_source_zones",
                "bbox": "88.2,43.7,88.9,44.3",
            },
        )
        assert resp.status_code == 200
        got = {
            (f["properties"]["subject_code"], f["properties"]["protected_code"]): f["properties"][
                "area_m2"
            ]
            for f in resp.json()["features"]
            if f["properties"]["subject_code"].startswith("PIT-RND")
        }
        expected = _geodesic_overlaps(subjects, zones)
        assert set(got) == {k for k, a in expected.items() if a >= 0.05}
        crossing = [k for k in got if subjects[k[0]].bounds[0] < 88.5 < subjects[k[0]].bounds[2]]
        assert len(got) >= 10 and crossing
        for key, area in got.items():
            assert area == pytest.approx(expected[key], rel=1e-3, abs=0.1)
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM features WHERE code LIKE 'PIT-RND-%' OR code LIKE 'WSZ-RND-%'")
            )
