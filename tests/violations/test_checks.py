"""Point check and site check on the sample data (read-only)."""

from __future__ import annotations

import json

import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Point, box, mapping, shape
from sqlalchemy import text

from geo.kernel.crs import wgs84_to_gcj02
from geo.samples.load import SAMPLE_DIR

GEOD = Geod(ellps="WGS84")
# A corridor drawn across the Manas River National Wetland Park (west to east).
ACROSS_PARK = box(85.95, 44.50, 86.40, 44.51)


def _features(layer):
    fc = json.loads((SAMPLE_DIR / f"{layer}.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: shape(f["geometry"]) for f in fc["features"]}


def _counts(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM features), (SELECT count(*) FROM violations),"
                " (SELECT count(*) FROM violation_events), (SELECT count(*) FROM violation_rules)"
            )
        ).one()


def test_point_check_inside_a_grade_1_zone(client):
    zone = _features("water_source_zones")["WSZ-652324-002-1"]
    pt = zone.representative_point()
    resp = client.get("/checks/point", params={"lon": pt.x, "lat": pt.y})
    assert resp.status_code == 200
    body = resp.json()
    assert body["point"] == {"lon": pytest.approx(pt.x), "lat": pytest.approx(pt.y)}
    assert body["radius_m"] == 300 and isinstance(body["tasks"], list)
    hit = [c for c in body["containing"] if c["code"] == "WSZ-652324-002-1"]
    assert (
        hit
        and hit[0]["properties"]["grade"] == "1"
        and hit[0]["collection"] == "water_source_zones"
    )
    for item in body["nearby"]:
        assert set(item) >= {"collection", "id", "code", "name", "distance_m"}
        assert 0 < item["distance_m"] <= 300
    # The seeded pit overlapping this zone is an open violation concerning it.
    codes = {v["rule_name"] for v in body["violations"]}
    assert "Mining pit inside a grade-1 drinking-water source zone" in codes
    v = body["violations"][0]
    assert set(v) >= {
        "id",
        "rule_id",
        "rule_name",
        "severity",
        "status",
        "subject_collection",
        "subject_id",
        "protected_collection",
        "protected_id",
        "area_ha",
    }


def test_gcj02_point_lands_in_the_same_zone(client):
    zones = _features("wetland_parks")
    for code in ("WLP-652324-01-C", "WLP-652324-01-R"):
        pt = zones[code].representative_point()
        glon, glat = wgs84_to_gcj02(pt.x, pt.y)
        resp = client.get(
            "/checks/point", params={"lon": float(glon), "lat": float(glat), "crs": "GCJ02"}
        )
        assert resp.status_code == 200
        body = resp.json()
        assert body["input_crs"] == "GCJ02"
        assert body["point"]["lon"] == pytest.approx(pt.x, abs=1e-7)
        assert code in {c["code"] for c in body["containing"]}
        # The raw GCJ-02 numbers read as WGS 84 are ~290 m off.
        assert GEOD.inv(pt.x, pt.y, float(glon), float(glat))[2] > 200


def test_nearby_distances_are_ellipsoidal(client):
    zone = _features("wetland_parks")["WLP-652324-01-C"]
    pt = (86.3, 44.55)
    resp = client.get(
        "/checks/point", params={"lon": pt[0], "lat": pt[1], "radius_m": 5000, "crs": "EPSG:4326"}
    )
    body = resp.json()
    assert body["region"]["code"] == "652324"
    for item in body["nearby"]:
        if item["code"] == "WLP-652324-01-C":
            nearest = zone.exterior.interpolate(zone.exterior.project(Point(pt)))
            ref = GEOD.inv(pt[0], pt[1], nearest.x, nearest.y)[2]
            assert item["distance_m"] == pytest.approx(ref, rel=5e-3)


@pytest.mark.parametrize(
    "params, name",
    [
        ({"lon": 200, "lat": 44}, "lon"),
        ({"lon": 87, "lat": -91}, "lat"),
        ({"lon": 87, "lat": 44, "crs": "EPSG:9999"}, "crs"),
        ({"lon": 87, "lat": 44, "crs": "EPSG:4539"}, "crs"),
        ({"lon": 87, "lat": 44, "radius_m": 50000}, "radius_m"),
        ({"lon": "east", "lat": 44}, "lon"),
        ({"lon": 87, "lat": 44, "zoom": 3}, "zoom"),
    ],
)
def test_point_check_bad_input_is_400(client, params, name):
    resp = client.get("/checks/point", params=params)
    assert resp.status_code == 400 and name in resp.json()["description"]


def test_site_across_the_manas_wetland_park_must_avoid(client):
    resp = client.post("/checks/site", json=mapping(ACROSS_PARK))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["verdict"] == "must_avoid"
    site_area = abs(GEOD.geometry_area_perimeter(ACROSS_PARK)[0])
    assert body["site_area_m2"] == pytest.approx(site_area, rel=1e-3)
    wet = next(layer for layer in body["layers"] if layer["collection"] == "wetland_parks")
    zones = _features("wetland_parks")
    got = {c["code"]: c for c in wet["conflicts"]}
    assert set(got) == {code for code, g in zones.items() if g.intersects(ACROSS_PARK)}
    assert got
    for code, c in got.items():
        ref = abs(GEOD.geometry_area_perimeter(zones[code].intersection(ACROSS_PARK))[0])
        assert c["overlap_m2"] == pytest.approx(ref, rel=1e-3)
        assert c["overlap_mu"] == pytest.approx(c["overlap_m2"] * 15 / 1e4, abs=0.01)
        assert c["share_of_site"] == pytest.approx(ref / site_area, abs=1e-3)
        assert c["properties"]["park_name"] == "玛纳斯河国家湿地公园"
    assert {r["protected_collection"] for r in body["rules"]} == {"wetland_parks"}
    assert all(r["legal_basis"] for r in body["rules"])
    assert len(body["overlaps"]["features"]) == len(got)
    assert {layer["collection"] for layer in body["layers"]} == {
        "water_source_zones",
        "wetland_parks",
    }


def test_site_in_gauss_kruger_and_gcj02_gives_the_same_answer(client):
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4539", always_xy=True)  # zone 30, CM 90°E
    ring = [to_gk.transform(x, y) for x, y in ACROSS_PARK.exterior.coords]
    gk = {"type": "Polygon", "coordinates": [[[n, e] for e, n in ring]]}  # northing first
    ref = client.post("/checks/site", json=mapping(ACROSS_PARK)).json()
    resp = client.post(
        "/checks/site",
        params={"crs": "EPSG:4539"},
        json={"type": "Feature", "properties": {}, "geometry": gk},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["verdict"] == ref["verdict"] == "must_avoid"
    assert body["site_area_m2"] == pytest.approx(ref["site_area_m2"], rel=1e-3)
    lon, lat = wgs84_to_gcj02(
        [p[0] for p in ACROSS_PARK.exterior.coords], [p[1] for p in ACROSS_PARK.exterior.coords]
    )
    gcj = {
        "type": "Polygon",
        "coordinates": [[[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]],
    }
    body = client.post("/checks/site", params={"crs": "GCJ02"}, json=gcj).json()
    assert body["verdict"] == "must_avoid"
    assert body["site_area_m2"] == pytest.approx(ref["site_area_m2"], rel=1e-3)
    # Read as lon/lat (wrong axis order) the GK numbers are out of range: a precise 422.
    bad = client.post("/checks/site", json=gk)
    assert bad.status_code == 422 and "out of range" in bad.json()["description"]


def test_site_verdicts_clear_and_must_relocate(client):
    clear = client.post("/checks/site", json=mapping(box(88.9, 45.3, 88.91, 45.31))).json()
    assert clear["verdict"] == "clear" and clear["rules"] == []
    zone = _features("water_source_zones")["WSZ-652324-002-1"]
    inside = zone.representative_point().buffer(0.001)
    body = client.post("/checks/site", json=mapping(inside)).json()
    assert body["verdict"] == "must_relocate"
    assert any(r["severity"] == "critical" for r in body["rules"])
    # A sand quarry inside the sustainable-use zone only: >= 50 % inside -> must_relocate.
    use = _features("wetland_parks")["WLP-652324-01-S"]
    site = use.representative_point().buffer(0.001)
    body = client.post(
        "/checks/site",
        params={"subject": "grassland_occupations"},
        json={
            "type": "Feature",
            "properties": {"purpose": "sand_quarry"},
            "geometry": mapping(site),
        },
    ).json()
    assert body["verdict"] == "must_relocate"
    assert {r["code"] for r in body["rules"]} == {"WETLAND-SAND"}
    # The same site as a tourism project breaks none of the wetland rules there.
    body = client.post(
        "/checks/site",
        params={"subject": "grassland_occupations"},
        json={"type": "Feature", "properties": {"purpose": "tourism"}, "geometry": mapping(site)},
    ).json()
    assert body["verdict"] == "clear"


@pytest.mark.parametrize(
    "payload, status, words",
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 422, "empty"),
        (json.dumps({"type": "Point", "coordinates": [87, 44]}).encode(), 422, "Point"),
        (
            json.dumps({"type": "FeatureCollection", "features": []}).encode(),
            422,
            "FeatureCollection",
        ),
        (json.dumps({"type": "Polygon", "coordinates": []}).encode(), 422, "ring"),
        (
            json.dumps(
                {"type": "Polygon", "coordinates": [[[87, 44], [87.1, 44], [87, 44]]]}
            ).encode(),
            422,
            "4 positions",
        ),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [[[87, 44], [87.1, 44], [87.1, 44.1], [87, 44.2]]],
                }
            ).encode(),
            422,
            "not closed",
        ),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [[[87, 44], [87.1, 44.1], [87.1, 44], [87, 44.1], [87, 44]]],
                }
            ).encode(),
            422,
            "Self-intersection at (87.05, 44.05)",
        ),
        (
            json.dumps(
                {"type": "Polygon", "coordinates": [[[87, 44], ["x", 44], [87.1, 44.1], [87, 44]]]}
            ).encode(),
            422,
            "finite number",
        ),
        (json.dumps(mapping(box(86, 44, 87, 45))).encode(), 422, "km²"),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [[[300, 44], [300.1, 44], [300.1, 44.1], [300, 44]]],
                }
            ).encode(),
            422,
            "out of range",
        ),
        (b" " * 2_100_000, 413, "limit"),
    ],
)
def test_site_check_bad_input(client, engine, payload, status, words):
    before = _counts(engine)
    resp = client.post(
        "/checks/site", content=payload, headers={"content-type": "application/json"}
    )
    assert resp.status_code == status, resp.text
    assert words in resp.json()["description"]
    assert _counts(engine) == before


def test_site_check_bad_parameters(client):
    site = mapping(ACROSS_PARK)
    assert client.post("/checks/site", params={"crs": "EPSG:1"}, json=site).status_code == 400
    assert client.post("/checks/site", params={"subject": "nope"}, json=site).status_code == 404
    assert client.post("/checks/site", params={"radius_m": -1}, json=site).status_code == 400
    assert client.post("/checks/site", params={"colour": "x"}, json=site).status_code == 400


def test_point_check_lists_the_tasks_of_what_is_here(client, engine):
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT f.code, t.code FROM task_features tf JOIN features f ON f.id = tf.feature_id"
                " JOIN rectification_tasks t ON t.id = tf.task_id"
                " WHERE f.layer = 'mining_pits' ORDER BY f.id LIMIT 1"
            )
        ).one()
    pit = _features("mining_pits")[row[0]].representative_point()
    body = client.get("/checks/point", params={"lon": pit.x, "lat": pit.y}).json()
    assert row[1] in {t["code"] for t in body["tasks"]}
    assert {"id", "code", "title", "deadline"} <= set(body["tasks"][0])
