"""Site check for a project type (issue 13, item 5): rules carry the project types they
judge (migration 0015_project_types), and a site check for one type uses only those."""

from __future__ import annotations

import json

from shapely.geometry import mapping, shape

from geo.samples.load import SAMPLE_DIR
from geo.violations.project_types import ALL, default_applies_to
from tests.fresh_db import make_key


def _zone(layer: str, code: str):
    fc = json.loads((SAMPLE_DIR / f"{layer}.geojson").read_text(encoding="utf-8"))
    return next(shape(f["geometry"]) for f in fc["features"] if f["properties"]["code"] == code)


def _rules(client) -> dict[str, dict]:
    return {r["code"]: r for r in client.get("/rules").json()["rules"]}


def test_rules_carry_project_types_from_their_legal_basis(client):
    rules = _rules(client)
    grade1 = rules["WPPL-65-OCC"]["applies_to"]
    assert "water_supply" not in grade1 and {"road", "mine", "farmland", "building"} <= set(grade1)
    assert rules["WETLAND-RECLAIM"]["applies_to"] == ["farmland"]
    assert rules["WPPL-66-OCC-SAND"]["applies_to"] == ["sand_quarry"]
    assert rules["WPPL-65-PIT"]["applies_to"] == []  # legacy pits, not proposals
    assert rules["WPPL-64-OUTLET"]["applies_to"] == ["sewage_outlet"]
    types = client.get("/checks/project-types").json()["project_types"]
    assert [t["id"] for t in types] == ALL
    road = next(t for t in types if t["id"] == "road")
    assert road["title_zh"] and "WPPL-65-OCC" in road["rules"]
    assert "WETLAND-RECLAIM" not in road["rules"]


def test_a_project_type_is_judged_by_its_rules_only(client):
    zone = _zone("water_source_zones", "WSZ-652324-001-1")
    site = mapping(zone.representative_point().buffer(0.001))
    road = client.post("/checks/site", params={"project_type": "road"}, json=site).json()
    assert road["project_type"] == "road"
    assert road["verdict"] == "must_relocate"
    assert {r["code"] for r in road["rules"]} == {"WPPL-65-OCC"}  # once, not per subject layer
    water = client.post("/checks/site", params={"project_type": "water_supply"}, json=site)
    assert water.json()["verdict"] == "clear"
    # Without a type every rule is used, as before (pits and occupations alike).
    anything = client.post("/checks/site", json=site).json()
    assert {"WPPL-65-OCC", "WPPL-65-PIT"} <= {r["code"] for r in anything["rules"]}


def test_farmland_in_a_wetland_park_but_not_a_road(client):
    use = _zone("wetland_parks", "WLP-652324-01-S")
    site = mapping(use.representative_point().buffer(0.001))
    farm = client.post("/checks/site", params={"project_type": "farmland"}, json=site).json()
    assert "WETLAND-RECLAIM" in {r["code"] for r in farm["rules"]}
    road = client.post("/checks/site", params={"project_type": "road"}, json=site).json()
    assert "WETLAND-RECLAIM" not in {r["code"] for r in road["rules"]}


def test_unknown_project_type_is_422_naming_the_choices(client):
    r = client.post("/checks/site", params={"project_type": "spaceport"}, json={})
    assert r.status_code in (400, 422)
    assert "road" in r.text


def test_new_rules_get_default_types_and_may_name_their_own(write_client, write_engine):
    admin_headers = make_key(write_engine, "pt-admin", "admin")
    body = {
        "code": "TEST-PT-ROAD",
        "name": "Road in a wetland park (test)",
        "subject_layer": "grassland_occupations",
        "subject_filter": {"purpose": "road"},
        "protected_layer": "wetland_parks",
        "predicate": "intersects",
        "severity": "low",
        "legal_basis": "test",
        "legal_basis_zh": "测试",
        "enabled": False,
    }
    r = write_client.post("/rules", json=body, headers=admin_headers)
    assert r.status_code == 201, r.text
    assert (
        r.json()["applies_to"]
        == ["road"]
        == default_applies_to("grassland_occupations", {"purpose": "road"})
    )
    rid = r.json()["id"]
    p = write_client.patch(
        f"/rules/{rid}", json={"applies_to": ["road", "pipeline"]}, headers=admin_headers
    )
    assert p.status_code == 200, p.text
    assert p.json()["applies_to"] == ["road", "pipeline"]
    bad = write_client.patch(
        f"/rules/{rid}", json={"applies_to": ["spaceport"]}, headers=admin_headers
    )
    assert bad.status_code == 422
    assert write_client.get(f"/rules/{rid}").json()["applies_to"] == ["road", "pipeline"]
