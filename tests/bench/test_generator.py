"""The scale generator of bench/: reproducible, valid, schema-conformant, skewed vertex
counts and the overlap rate it promises (run at a tiny scale: a few hundred features)."""

from __future__ import annotations

import json
import math

import numpy as np
import pyogrio
import pytest
import shapely

from bench import generate
from geo.catalog.validation import attribute_errors

SCALE = 0.0005  # 10 zones, 1 wetland, 100 pits, 250 grassland patches
RATES = {"mining_pits": 0.1, "grassland_occupations": 0.1}
LAYERS = ("water_source_zones", "wetland_parks", "mining_pits", "grassland_occupations")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    manifest = generate.generate(out, SCALE, seed=11, rates=RATES, log=lambda *_: None)
    return out, manifest


def _read(path):
    return pyogrio.read_dataframe(path)


def test_same_seed_same_output_other_seed_other_output(data, tmp_path):
    out, manifest = data
    again = generate.generate(tmp_path / "a", SCALE, seed=11, rates=RATES, log=lambda *_: None)
    generate.generate(tmp_path / "b", SCALE, seed=12, rates=RATES, log=lambda *_: None)
    assert again == manifest
    for layer in LAYERS:
        a, b = _read(out / f"{layer}.gpkg"), _read(tmp_path / "a" / f"{layer}.gpkg")
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert (shapely.to_wkb(a.geometry.values) == shapely.to_wkb(b.geometry.values)).all()
        c = _read(tmp_path / "b" / f"{layer}.gpkg")
        assert not (shapely.to_wkb(a.geometry.values[:1]) == shapely.to_wkb(c.geometry.values[:1]))[
            0
        ]


def test_counts_and_valid_multipolygons_inside_xinjiang(data):
    out, manifest = data
    region = generate.region_outline()
    expected = generate.counts(SCALE)
    for layer in LAYERS:
        df = _read(out / f"{layer}.gpkg")
        assert len(df) == expected[layer] == manifest["layers"][layer]["count"]
        geoms = df.geometry.values
        assert set(shapely.get_type_id(geoms)) == {shapely.GeometryType.MULTIPOLYGON}
        assert shapely.is_valid(geoms).all()
        assert shapely.contains(region, shapely.point_on_surface(geoms)).all()
        assert df["code"].is_unique


def test_vertex_counts_are_skewed_within_20_to_2000(data):
    out, _ = data
    geoms = np.concatenate([_read(out / f"{lr}.gpkg").geometry.values for lr in LAYERS])
    n = shapely.get_num_coordinates(geoms)
    assert n.min() >= 20 and n.max() <= 2000
    assert np.median(n) < n.mean()  # most are small, a long tail is large
    assert np.median(n) <= 60
    # Holes and multipolygons occur.
    assert (shapely.get_num_geometries(geoms) > 1).any()
    assert (shapely.get_num_interior_rings(shapely.get_geometry(geoms, 0)) > 0).any()


def test_attributes_follow_the_layer_schemas(data):
    out, _ = data
    layers = json.loads(
        (generate.ROOT / "migrations" / "data" / "builtin_layers_0001.json").read_text()
    )
    schemas = {lr["name"]: lr["attribute_schema"] for lr in layers}
    for layer in LAYERS:
        df = _read(out / f"{layer}.gpkg").drop(columns=["geometry", "code", "name"])
        for record in df.to_dict("records"):
            attrs = {
                k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in record.items()
            }
            attrs = {k: (bool(v) if isinstance(v, np.bool_) else v) for k, v in attrs.items()}
            assert attribute_errors(schemas[layer], attrs) == [], (layer, attrs)


@pytest.mark.parametrize(
    ("subject", "protected", "grade1"),
    [
        ("mining_pits", "water_source_zones", True),
        ("grassland_occupations", "wetland_parks", False),
    ],
)
def test_overlap_rate_is_what_was_asked(data, subject, protected, grade1):
    out, manifest = data
    zones = _read(out / f"{protected}.gpkg")
    if grade1:
        zones = zones[zones["grade"] == "1"]
    subjects = _read(out / f"{subject}.gpkg").geometry.values
    tree = shapely.STRtree(zones.geometry.values)
    overlapping = len(np.unique(tree.query(subjects, predicate="intersects")[0]))
    planned = manifest["layers"][subject]["overlaps"]["count"]
    assert planned == round(RATES[subject] * len(subjects))
    assert overlapping == planned
