"""Detection on the sample data: every seeded conflict is a violation and nothing else;
attribute-only violations match the data; overlaps endpoint and the OGC collection."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from pyproj import Geod
from shapely.geometry import shape
from shapely.ops import unary_union
from sqlalchemy import text

from geo.samples.load import SAMPLE_DIR

GEOD = Geod(ellps="WGS84")
EXPECTED = json.loads((SAMPLE_DIR / "expected_conflicts.json").read_text(encoding="utf-8"))
EXPECTED_PAIRS = {(c["subject_code"], c["protected_code"]): c for c in EXPECTED}


def _layer(name: str) -> dict[str, dict]:
    fc = json.loads((SAMPLE_DIR / f"{name}.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f for f in fc["features"]}


def _geodesic_overlap(a: dict, b: dict) -> float:
    inter = shape(a["geometry"]).intersection(shape(b["geometry"]))
    return abs(GEOD.geometry_area_perimeter(inter)[0])


def test_every_seeded_conflict_is_a_violation_and_nothing_else(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT v.subject_code, v.protected_code, v.area_m2, r.code, v.status"
                " FROM violations v JOIN violation_rules r ON r.id = v.rule_id"
                " WHERE r.kind = 'overlap' AND v.resolved_at IS NULL"
            )
        ).all()
    found = {(r[0], r[1]) for r in rows}
    assert found == set(EXPECTED_PAIRS)
    for subject, protected, area, _, status in rows:
        expected = EXPECTED_PAIRS[(subject, protected)]["overlap_area_m2"]
        assert area == pytest.approx(expected, rel=1e-3)
        assert status == "detected"
    rules = {(r[0], r[1], r[3]) for r in rows}
    # The rules each pair breaks, from the law (design.md).
    assert ("PIT-652324-0001", "WSZ-652324-002-1", "WPPL-65-PIT") in rules
    assert ("PIT-652324-0001", "WSZ-652324-002-2", "WPPL-66-PIT") in rules
    assert ("GOC-652325-001", "WLP-652325-01-S", "WETLAND-SAND") in rules
    # found by the 2021 inspection (detected_on 2021-07-30): the 2017 measures judged it
    farming = {r for (s, p, r) in rules if s == "GOC-652324-001"}
    assert farming == {"WETLAND-RECLAIM.2018", "WETLAND-CONSERVATION-OCC.2018"}


def test_independent_areas_of_the_seeded_conflicts(engine):
    layers = {n: _layer(n) for n in ("mining_pits", "grassland_occupations")}
    zones = {**_layer("water_source_zones"), **_layer("wetland_parks")}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT subject_layer, subject_code, protected_code, area_m2"
                " FROM violations WHERE protected_id IS NOT NULL"
            )
        ).all()
    for layer, subject, protected, area in rows:
        reference = _geodesic_overlap(layers[layer][subject], zones[protected])
        assert area == pytest.approx(reference, rel=1e-3)


def test_attribute_only_violations_are_the_occupations_without_approval(engine):
    occupations = _layer("grassland_occupations")
    # Inside a wetland park the land is a wetland-law matter (rule outside_layer): only the
    # part of an occupation outside every park is cited under the Grassland Law.
    parks = unary_union([shape(f["geometry"]) for f in _layer("wetland_parks").values()])
    outside = {c: shape(f["geometry"]).difference(parks) for c, f in occupations.items()}
    illegal = {
        c
        for c, f in occupations.items()
        if f["properties"]["approval_status"] == "none" and not outside[c].is_empty
    }
    assert illegal
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT v.subject_code, v.area_m2, v.share_of_subject, v.protected_id"
                " FROM violations v JOIN violation_rules r ON r.id = v.rule_id"
                " WHERE r.code = 'GRASSLAND-NO-APPROVAL' AND v.resolved_at IS NULL"
            )
        ).all()
    assert {r[0] for r in rows} == illegal
    for code, area, share, protected in rows:
        geom = outside[code]
        assert area == pytest.approx(abs(GEOD.geometry_area_perimeter(geom)[0]), rel=1e-3)
        whole = abs(GEOD.geometry_area_perimeter(shape(occupations[code]["geometry"]))[0])
        assert share == pytest.approx(area / whole, rel=1e-3) and protected is None


def test_every_detection_has_a_system_event(engine):
    with engine.connect() as conn:
        missing = conn.execute(
            text(
                "SELECT count(*) FROM violations v WHERE NOT EXISTS (SELECT 1 FROM"
                " violation_events e WHERE e.violation_id = v.id AND e.action = 'detected'"
                " AND e.actor = 'system')"
            )
        ).scalar_one()
    assert missing == 0


def test_overlaps_endpoint_returns_the_seeded_pit_conflicts(client):
    resp = client.get(
        "/overlaps", params={"subject": "mining_pits", "protected": "water_source_zones"}
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/geo+json")
    fc = resp.json()
    got = {
        (f["properties"]["subject_code"], f["properties"]["protected_code"]): f
        for f in fc["features"]
    }
    expected = {k: v for k, v in EXPECTED_PAIRS.items() if v["subject_layer"] == "mining_pits"}
    assert set(got) == set(expected)
    pits, zones = _layer("mining_pits"), _layer("water_source_zones")
    for (s, p), feat in got.items():
        props = feat["properties"]
        reference = _geodesic_overlap(pits[s], zones[p])
        assert props["area_m2"] == pytest.approx(reference, rel=1e-3)
        assert props["area_ha"] == pytest.approx(props["area_m2"] / 1e4, abs=1e-4)
        assert props["area_mu"] == pytest.approx(props["area_m2"] * 15 / 1e4, abs=0.01)
        geom = shape(feat["geometry"])
        assert abs(GEOD.geometry_area_perimeter(geom)[0]) == pytest.approx(reference, rel=1e-3)
        assert props["share_of_subject"] == pytest.approx(
            reference / abs(GEOD.geometry_area_perimeter(shape(pits[s]["geometry"]))[0]), abs=1e-3
        )
        assert props["region_code"] == s.split("-")[1]
        assert {"subject_id", "protected_id", "share_of_protected"} <= set(props)


def test_overlap_filters_on_each_side(client):
    def codes(**params):
        resp = client.get("/overlaps", params=params)
        assert resp.status_code == 200, resp.text
        return {
            (f["properties"]["subject_code"], f["properties"]["protected_code"])
            for f in resp.json()["features"]
        }

    base = {"subject": "mining_pits", "protected": "water_source_zones"}
    grade1 = codes(**base, **{"protected.grade": "1"})
    assert grade1 == {k for k in EXPECTED_PAIRS if k[1].endswith("-1") and k[0].startswith("PIT")}
    manas = codes(**base, **{"protected.grade": "1", "region": "652324"})
    assert manas == {("PIT-652324-0001", "WSZ-652324-002-1")}
    assert codes(**base, region="652300") == codes(**base)
    assert codes(**base, **{"subject.legacy": "false"}) | codes(
        **base, **{"subject.legacy": "true"}
    ) == codes(**base)
    assert codes(**base, min_area_m2="60000") == {
        k
        for k, v in EXPECTED_PAIRS.items()
        if v["subject_layer"] == "mining_pits" and v["overlap_area_m2"] >= 60000
    }
    assert codes(**base, bbox="86.5,44.2,86.9,44.5") <= codes(**base)
    wet = codes(
        subject="grassland_occupations",
        protected="wetland_parks",
        **{"subject.purpose": "sand_quarry"},
    )
    assert wet == {("GOC-652325-001", "WLP-652325-01-S")}


def test_overlaps_csv(client):
    resp = client.get(
        "/overlaps",
        params={"subject": "mining_pits", "protected": "water_source_zones", "f": "csv"},
    )
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text.lstrip("\ufeff"))))
    assert len(rows) == 9 and rows[0]["geometry_wkt"].startswith("MULTIPOLYGON")
    assert {"area_ha", "area_mu", "share_of_subject", "region_code"} <= set(rows[0])


@pytest.mark.parametrize(
    "params, name",
    [
        ({"subject": "mining_pits", "protected": "water_source_zones", "colour": "red"}, "colour"),
        (
            {"subject": "mining_pits", "protected": "water_source_zones", "subject.grade": "1"},
            "subject.grade",
        ),
        (
            {
                "subject": "mining_pits",
                "protected": "water_source_zones",
                "subject.legacy": "maybe",
            },
            "legacy",
        ),
        ({"subject": "mining_pits", "protected": "water_source_zones", "region": "6523"}, "region"),
        ({"subject": "mining_pits", "protected": "water_source_zones", "bbox": "1,2,3"}, "bbox"),
        ({"subject": "mining_pits", "protected": "water_source_zones", "f": "xml"}, "f"),
        ({"subject": "mining_pits", "protected": "regions"}, "feature layer"),
        ({"subject": "mining_pits"}, "protected"),
    ],
)
def test_overlaps_bad_parameters(client, params, name):
    resp = client.get("/overlaps", params=params)
    assert resp.status_code == 400, resp.text
    assert name in resp.json()["description"]


def test_unknown_overlap_layer_is_404(client):
    resp = client.get("/overlaps", params={"subject": "nope", "protected": "water_source_zones"})
    assert resp.status_code == 404


def test_violations_collection_lists_and_filters(client):
    resp = client.get("/collections/violations/items", params={"limit": 1000})
    assert resp.status_code == 200
    feats = resp.json()["features"]
    overlap = {
        (f["properties"]["subject_code"], f["properties"]["protected_code"])
        for f in feats
        if f["properties"]["protected_id"]
    }
    assert overlap == set(EXPECTED_PAIRS)
    props = feats[0]["properties"]
    for key in (
        "status",
        "severity",
        "rule_id",
        "rule_name",
        "region_code",
        "area_ha",
        "subject_id",
        "protected_id",
    ):
        assert key in props

    def count(**params):
        r = client.get("/collections/violations/items", params={"limit": 1000, **params})
        assert r.status_code == 200, r.text
        return r.json()["features"]

    critical = count(severity="critical")
    assert {f["properties"]["rule_code"] for f in critical} == {"WPPL-65-PIT"}
    assert len(count(status="detected")) == len(feats)
    assert count(status="closed") == []
    manas = count(region_code="652324")
    assert manas and all(f["properties"]["region_code"] == "652324" for f in manas)
    rule_id = critical[0]["properties"]["rule_id"]
    assert len(count(rule_id=str(rule_id))) == 4
    assert client.get("/collections/violations/items", params={"colour": "x"}).status_code == 400
    one = client.get(f"/collections/violations/items/{feats[0]['id']}")
    assert one.status_code == 200 and one.json()["properties"]["status"] == "detected"
    listing = client.get("/collections").json()["collections"]
    assert "violations" in {c["id"] for c in listing}


def test_ledger_json_csv_xlsx(client):
    data = client.get("/violations").json()["violations"]
    # Attribute rules apply outside wetland parks only: occupations without approval, and
    # grassland reclaimed for farming whatever the approval (Grassland Law art. 46).
    parks = unary_union([shape(f["geometry"]) for f in _layer("wetland_parks").values()])
    occ = [
        f
        for f in _layer("grassland_occupations").values()
        if not shape(f["geometry"]).difference(parks).is_empty
    ]
    no_approval = sum(f["properties"]["approval_status"] == "none" for f in occ)
    farming = sum(f["properties"]["purpose"] == "farming" for f in occ)
    assert len(data) == len(EXPECTED_PAIRS) + 1 + no_approval + farming  # farm plot: 2 rules
    resp = client.get("/violations", params={"f": "csv", "lang": "zh", "region": "652324"})
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["问题编号", "行政区划代码", "县市", "规则代码"]
    assert all(r[1] == "652324" and r[2] == "玛纳斯县" for r in rows[1:])
    resp = client.get("/violations", params={"f": "xlsx", "severity": "critical"})
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    values = list(ws.values)
    assert values[0][0] == "Violation id" and "Area (mu)" in values[0]
    assert len(values) == 1 + 4 and all(v[5] == "critical" for v in values[1:])
    assert client.get("/violations", params={"status": "bogus"}).status_code == 400
    assert client.get("/violations", params={"f": "pdf"}).status_code == 400


def test_rules_are_public_and_cite_the_law(client):
    rules = client.get("/rules").json()["rules"]
    by_code = {r["code"]: r for r in rules}
    assert by_code["WPPL-65-PIT"]["protected_filter"] == {"grade": "1"}
    assert "第六十五条" in by_code["WPPL-65-PIT"]["legal_basis_zh"]
    assert by_code["WPPL-64-OUTLET"]["enabled"] is False
    assert by_code["GRASSLAND-NO-APPROVAL"]["kind"] == "attribute"
    assert all(r["notes"] for r in rules if r["code"].startswith("WPPL-66"))
    assert client.get(f"/rules/{by_code['WPPL-65-PIT']['id']}").json()["code"] == "WPPL-65-PIT"
    assert client.get("/rules/99999").status_code == 404


def test_overlaps_with_cql2_filters_on_each_side(client):
    def pairs(**params):
        resp = client.get(
            "/overlaps",
            params={"subject": "mining_pits", "protected": "water_source_zones", **params},
        )
        assert resp.status_code == 200, resp.text
        return {
            (f["properties"]["subject_code"], f["properties"]["protected_code"])
            for f in resp.json()["features"]
        }

    grade1 = pairs(**{"protected.grade": "1"})
    assert pairs(**{"protected-filter": "grade = '1'"}) == grade1
    cql_json = json.dumps({"op": "=", "args": [{"property": "grade"}, "1"]})
    assert pairs(**{"protected-filter": cql_json, "filter-lang": "cql2-json"}) == grade1
    big = pairs(**{"subject-filter": "area_ha > 10"})
    assert big < pairs()
    bad = client.get(
        "/overlaps",
        params={
            "subject": "mining_pits",
            "protected": "water_source_zones",
            "subject-filter": "colour = 'red'",
        },
    )
    assert bad.status_code == 400 and "subject-filter" in bad.json()["description"]


def test_violations_collection_cql2(client):
    resp = client.get(
        "/collections/violations/items",
        params={"filter": "severity = 'critical' AND area_ha > 3", "limit": 100},
    )
    assert resp.status_code == 200, resp.text
    feats = resp.json()["features"]
    assert feats and all(
        f["properties"]["severity"] == "critical" and f["properties"]["area_ha"] > 3 for f in feats
    )
    q = client.get("/collections/violations/queryables")
    assert q.status_code == 200 and "status" in q.json()["properties"]
