"""/overlaps answers from stored overlaps (violations) and subdivided protected geometry
(feature_parts) exactly what computing every overlap from scratch gives: the same pairs, the
same areas and shares (within their rounding), the same geometry, JSON and CSV alike; on the
sample data and again after inserts, updates and deletes, in a database of its own."""

from __future__ import annotations

import csv
import io
import json

import pytest
import shapely.wkt
from shapely.geometry import shape
from sqlalchemy import text

from geo.violations.overlap_plan import HAS_PARTS_SQL, HIT_SQL, KIND_SQL
from tests.fresh_db import client_for, fresh_database

# Every overlap of (subject, protected), computed from the full geometries: the statement
# /overlaps ran before it read stored overlaps and pieces (ST_Intersects, ST_Intersection,
# ellipsoidal area).
REFERENCE = """
SELECT s.id, p.id, s.code, p.code, round(y.a::numeric, 1)::float8,
       round((y.a / nullif(s.area_m2, 0))::numeric, 4)::float8,
       round((y.a / nullif(p.area_m2, 0))::numeric, 4)::float8, s.region_code,
       ST_AsGeoJSON(x.g, 7, 0)
FROM features s
JOIN features p ON p.layer = :p AND p.properties @> CAST(:pf AS jsonb)
     AND ST_Intersects(p.geom, s.geom) AND p.id <> s.id
CROSS JOIN LATERAL (SELECT rm_violation_geom(s.geom, p.geom, 'intersects', NULL) AS g) x
CROSS JOIN LATERAL (SELECT coalesce(ST_Area(x.g::geography), 0) AS a) y
WHERE s.layer = :s AND NOT ST_IsEmpty(x.g) AND y.a >= :m
ORDER BY s.id, p.id
"""

PAIRS = [  # (subject, protected, protected filter): rule pairs, mixed, ad hoc, same layer
    ("mining_pits", "water_source_zones", {"grade": "1"}),
    ("grassland_occupations", "wetland_parks", {}),
    ("mining_pits", "grassland_occupations", {}),
    ("mining_pits", "mining_pits", {}),
    ("wetland_parks", "water_source_zones", {}),
]
SHIFT = "UPDATE features SET geom = ST_Translate(geom, :dx, 0) WHERE id = :i"
PIT = {"mineral": "sand_gravel", "legacy": True}


@pytest.fixture(scope="module")
def world():
    with fresh_database("rm_ovst") as (settings, engine), client_for(settings) as client:
        yield client, engine


def _reference(engine, s: str, p: str, pf: dict, m: float = 0.0) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text(REFERENCE), {"s": s, "p": p, "pf": json.dumps(pf), "m": m})
        return [tuple(r) for r in rows]


def _endpoint(client, s: str, p: str, pf: dict, **extra) -> list[dict]:
    params = {"subject": s, "protected": p, **{f"protected.{k}": v for k, v in pf.items()}}
    resp = client.get("/overlaps", params={**params, **extra})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["numberReturned"] == len(body["features"])
    return body["features"]


def _assert_same(features: list[dict], reference: list[tuple]) -> None:
    got = [(f["properties"]["subject_id"], f["properties"]["protected_id"]) for f in features]
    assert got == [(r[0], r[1]) for r in reference]
    for f, r in zip(features, reference, strict=True):
        props = f["properties"]
        assert f["id"] == f"{r[0]}-{r[1]}"
        assert (props["subject_code"], props["protected_code"]) == (r[2], r[3])
        assert props["area_m2"] == pytest.approx(r[4], abs=0.11)
        assert props["share_of_subject"] == pytest.approx(r[5], abs=1.1e-4)
        assert props["share_of_protected"] == pytest.approx(r[6], abs=1.1e-4)
        assert props["region_code"] == r[7]
        ours, theirs = shape(f["geometry"]), shape(json.loads(r[8]))
        assert ours.geom_type == theirs.geom_type
        assert ours.area == pytest.approx(theirs.area, rel=1e-6, abs=1e-12)
        assert ours.symmetric_difference(theirs).area <= 1e-6 * max(theirs.area, 1e-9)


def _assert_all_pairs(client, engine) -> None:
    for s, p, pf in PAIRS:
        _assert_same(_endpoint(client, s, p, pf), _reference(engine, s, p, pf))


def _sources(engine, s: str, p: str, pf: dict) -> dict[str, int]:
    """How many overlaps of the pair have a stored overlap, and how many do not."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE v.id IS NOT NULL), count(*) FILTER (WHERE v.id IS"
                f" NULL) FROM ({REFERENCE}) o(sid, pid) LEFT JOIN LATERAL (SELECT v.id FROM"
                " violations v WHERE v.subject_id = o.sid AND v.protected_id = o.pid"
                " AND v.resolved_at IS NULL LIMIT 1) v ON TRUE"
            ),
            {"s": s, "p": p, "pf": json.dumps(pf), "m": 0.0},
        ).one()
    return {"stored": row[0], "computed": row[1]}


def _insert(conn, layer: str, code: str, props: dict, wkt: str) -> int:
    return conn.execute(
        text(
            "INSERT INTO features (layer, code, properties, geom) VALUES"
            " (:l, :c, CAST(:p AS jsonb), ST_GeomFromText(:w, 4326)) RETURNING id"
        ),
        {"l": layer, "c": code, "p": json.dumps(props), "w": wkt},
    ).scalar_one()


def _parts_cover(conn, fid: int) -> tuple[int, bool]:
    """How many pieces feature fid has, and whether they make up its geometry."""
    return tuple(
        conn.execute(
            text(
                "SELECT count(fp.id), coalesce(ST_Area(ST_SymDifference(ST_Union(fp.geom),"
                " f.geom)) < 1e-9 * ST_Area(f.geom), false)"
                " FROM features f LEFT JOIN feature_parts fp ON fp.feature_id = f.id"
                " WHERE f.id = :i GROUP BY f.geom"
            ),
            {"i": fid},
        ).one()
    )


def test_sample_data_overlaps_equal_the_computed_ones(world):
    client, engine = world
    _assert_all_pairs(client, engine)
    # the rule pairs are answered from stored overlaps (the sample overlaps are all violations)
    assert _sources(engine, *PAIRS[0])["stored"] > 0
    assert _sources(engine, *PAIRS[1])["stored"] > 0


def test_with_the_rules_disabled_every_overlap_is_computed(world):
    client, engine = world
    wetland_rules = (
        "UPDATE violation_rules SET enabled = :e WHERE protected_layer = 'wetland_parks'"
    )
    moved = _reference(engine, *PAIRS[1])[0][0]
    with engine.begin() as conn:
        conn.execute(text(wetland_rules), {"e": False})
    try:
        assert _sources(engine, *PAIRS[1]) == {
            "stored": 0,
            "computed": len(_reference(engine, *PAIRS[1])),
        }
        assert _sources(engine, *PAIRS[1])["computed"] > 0
        _assert_all_pairs(client, engine)
        # a subject moved while its records are resolved: their overlaps are stale now
        with engine.begin() as conn:
            conn.execute(text(SHIFT), {"dx": 0.0003, "i": moved})
        _assert_all_pairs(client, engine)
    finally:
        with engine.begin() as conn:
            conn.execute(text(SHIFT), {"dx": -0.0003, "i": moved})
            conn.execute(text(wetland_rules), {"e": True})


ZONE = "ST_Buffer(ST_MakePoint(87.95, 44.65)::geography, 3000, 'quad_segs=100')::geometry"
PITS = {
    "inside": "POLYGON((87.949 44.649,87.951 44.649,87.951 44.651,87.949 44.651,87.949 44.649))",
    "across": "POLYGON((87.985 44.64,87.995 44.64,87.995 44.66,87.985 44.66,87.985 44.64))",
    "before": "POLYGON((87.94 44.64,87.942 44.64,87.942 44.642,87.94 44.642,87.94 44.64))",
    "outside": "POLYGON((88.1 44.8,88.11 44.8,88.11 44.81,88.1 44.81,88.1 44.8))",
}
# 3 m over the zone's eastern edge, 22 m high: about 60 m² inside
SLIVER = (
    "SELECT ST_AsText(ST_MakeEnvelope(x - 0.00004, 44.6499, x + 0.001, 44.6501, 4326))"
    " FROM (SELECT ST_XMax(geom) AS x FROM features WHERE id = :z) e"
)


def _zone_with_pits(conn) -> tuple[int, dict[str, int]]:
    """A grade-1 zone of 400 vertices (cut into pieces) with pits: one inside, one across its
    edge, one sliver under the rules' 100 m² (never stored), one detected before any rule
    version was in force (never stored), one outside."""
    zid = _insert(
        conn,
        "water_source_zones",
        "WSZ-TEST-BIG",
        {"source_name": "测试", "water_body": "reservoir", "grade": "1"},
        conn.execute(text(f"SELECT ST_AsText({ZONE})")).scalar_one(),
    )
    pits = {**PITS, "sliver": conn.execute(text(SLIVER), {"z": zid}).scalar_one()}
    ids = {}
    for name, wkt in pits.items():
        props = {**PIT, "detected_on": "2001-05-01"} if name == "before" else PIT
        ids[name] = _insert(conn, "mining_pits", f"PIT-OVST-{name}", props, wkt)
    assert _parts_cover(conn, zid)[0] > 1
    assert _parts_cover(conn, zid)[1]
    kinds = dict(
        conn.execute(
            text(
                "SELECT s.code, CASE WHEN h.hit THEN k.kind END FROM features s CROSS JOIN"
                f" (SELECT t.id, t.geom, {HAS_PARTS_SQL} AS has_parts FROM features t"
                "  WHERE t.id = :z) p"
                f" CROSS JOIN LATERAL ({HIT_SQL}) h"
                " CROSS JOIN LATERAL (SELECT NULL::geometry AS geom) st"  # nothing stored
                f" CROSS JOIN LATERAL ({KIND_SQL}) k WHERE s.code LIKE 'PIT-OVST-%'"
            ),
            {"z": zid},
        ).all()
    )
    assert kinds["PIT-OVST-sliver"] == kinds["PIT-OVST-across"] == "intersects"
    assert kinds["PIT-OVST-before"] == "covered"
    assert kinds["PIT-OVST-outside"] is None
    return zid, ids


def test_after_inserts_updates_and_deletes_both_agree(world):
    client, engine = world
    with engine.begin() as conn:
        zid, ids = _zone_with_pits(conn)
    ours = _endpoint(client, *PAIRS[0])
    mine = {
        f["properties"]["subject_code"]: f for f in ours if f["properties"]["protected_id"] == zid
    }
    assert set(mine) == {"PIT-OVST-inside", "PIT-OVST-across", "PIT-OVST-sliver", "PIT-OVST-before"}
    assert 0 < mine["PIT-OVST-sliver"]["properties"]["area_m2"] < 100
    assert mine["PIT-OVST-inside"]["properties"]["share_of_subject"] == 1.0
    assert _sources(engine, *PAIRS[0])["computed"] >= 2  # sliver and before: not stored
    _assert_all_pairs(client, engine)

    # Move the zone east (its pieces are cut again), grow a pit, delete another.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE features SET geom = ST_Translate(geom, 0.02, 0) WHERE id = :z"),
            {"z": zid},
        )
        conn.execute(
            text("UPDATE features SET geom = ST_Buffer(geom, 0.003) WHERE id = :i"),
            {"i": ids["inside"]},
        )
        conn.execute(text("DELETE FROM features WHERE id = :i"), {"i": ids["across"]})
        assert _parts_cover(conn, zid)[1]
    _assert_all_pairs(client, engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM features WHERE id = :z"), {"z": zid})
        left = conn.execute(
            text("SELECT count(*) FROM feature_parts WHERE feature_id = :z"), {"z": zid}
        ).scalar_one()
        assert left == 0
    _assert_all_pairs(client, engine)


def test_filters_limit_and_csv_agree(world):
    client, engine = world
    s, p, pf = PAIRS[1]
    reference = _reference(engine, s, p, pf, m=5000.0)
    ours = _endpoint(client, s, p, pf, min_area_m2=5000)
    _assert_same(ours, reference)
    assert _endpoint(client, s, p, pf, min_area_m2=5000, limit=3) == ours[:3]
    resp = client.get("/overlaps", params={"subject": s, "protected": p, "f": "csv"})
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    everything = _endpoint(client, s, p, pf)
    assert [(int(r["subject_id"]), int(r["protected_id"])) for r in rows] == [
        (f["properties"]["subject_id"], f["properties"]["protected_id"]) for f in everything
    ]
    for r, f in zip(rows, everything, strict=True):
        assert float(r["area_m2"]) == f["properties"]["area_m2"]
        assert r["subject_code"] == f["properties"]["subject_code"]
        ours = shapely.wkt.loads(r["geometry_wkt"])
        assert ours.area == pytest.approx(shape(f["geometry"]).area, rel=1e-6)


def test_parts_follow_the_rules(world):
    """A rule naming another protected layer gives that layer pieces; removing it takes them."""
    _, engine = world
    big = "ST_Buffer(ST_MakePoint(87.5, 44.5)::geography, 2000, 'quad_segs=100')::geometry"
    with engine.begin() as conn:
        fid = _insert(
            conn,
            "grassland_occupations",
            "GO-OVST-BIG",
            {"purpose": "farming"},
            conn.execute(text(f"SELECT ST_AsText({big})")).scalar_one(),
        )
        assert _parts_cover(conn, fid)[0] == 0  # grassland is no rule's protected layer
        rid = conn.execute(
            text(
                "INSERT INTO violation_rules (code, family, name, kind, subject_layer,"
                " protected_layer, predicate, min_area_m2, severity, enabled, legal_basis,"
                " legal_basis_zh) VALUES ('TEST-OVST', 'TEST-OVST', 'test', 'overlap',"
                " 'mining_pits', 'grassland_occupations', 'intersects', 100, 'low', false,"
                " 'l', 'l') RETURNING id"
            )
        ).scalar_one()
        assert _parts_cover(conn, fid)[0] > 1
        conn.execute(text("DELETE FROM violation_rules WHERE id = :r"), {"r": rid})
        assert _parts_cover(conn, fid)[0] == 0
        conn.execute(text("DELETE FROM features WHERE id = :i"), {"i": fid})
