"""Tiles read ids first and, at low zooms, the zoom-banded geometry the database keeps
(feature_generalised): the same tiles as the one-pass, live-geometry statement, and the bands
follow every write."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, text

from geo.catalog.sources import Collection
from geo.tiles import mvt
from tests.tiles.test_tiles import sample_point, tile_of


def _coll(layer: str) -> Collection:
    return Collection(
        layer, layer, None, None, "feature", "MultiPolygon", {}, None, None, True, False
    )


def _tile(engine: Engine, coll: Collection, z: int, y: int, x: int, cap: int, **how):
    with engine.connect() as conn:
        return conn.execute(
            text(mvt.tile_sql(coll, z, **how)), mvt.tile_params(coll, z, y, x, cap)
        ).one()


def test_bands_and_tolerance_agree_with_python(engine: Engine):
    with engine.connect() as conn:
        bands = conn.execute(text("SELECT rm_generalised_bands()")).scalar_one()
        tols = conn.execute(
            text("SELECT array_agg(rm_tile_tolerance(z) ORDER BY z) FROM generate_series(0, 24) z")
        ).scalar_one()
    assert tuple(bands) == mvt.GENERALISED_BANDS
    assert tols == [mvt.tile_pixel_m(z) / 2 for z in range(25)]


# Band rows that disagree with their feature: geometry, layer or envelope of the full geometry
# (the pick `env && tile` must choose exactly the rows `geom && tile` would).
_STALE = (
    "NOT (g.geom = rm_generalise(f.geom, g.band) AND g.layer = f.layer"
    " AND g.env = ST_Envelope(f.geom))"
)


def band_faults(conn) -> tuple[int, int, int]:
    """Band rows missing, stale (see _STALE) and left over from deleted features."""
    missing, stale = conn.execute(
        text(
            "SELECT count(*) FILTER (WHERE g.geom IS NULL),"
            f" count(*) FILTER (WHERE g.geom IS NOT NULL AND {_STALE})"
            " FROM features f CROSS JOIN unnest(rm_generalised_bands()) b"
            " LEFT JOIN feature_generalised g ON g.feature_id = f.id AND g.band = b"
        )
    ).one()
    extra = conn.execute(
        text(
            "SELECT count(*) FROM feature_generalised g"
            " WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.id = g.feature_id)"
        )
    ).scalar_one()
    return missing, stale, extra


def test_every_feature_has_every_band(engine: Engine):
    with engine.connect() as conn:
        assert band_faults(conn) == (0, 0, 0)


@pytest.mark.parametrize("layer", ["grassland_occupations", "mining_pits", "water_source_zones"])
@pytest.mark.parametrize("z", [5, 6, 8, 9, 10, 12])
@pytest.mark.parametrize("cap", [3, 20000])
def test_tiles_equal_the_one_pass_live_statement(engine: Engine, layer, z, cap):
    _, _, lon, lat = sample_point(engine, layer)
    _, y, x = tile_of(lon, lat, z)
    coll = _coll(layer)
    new = _tile(engine, coll, z, y, x, cap)
    old = _tile(engine, coll, z, y, x, cap, ids_first=False, generalised=False)
    assert new.n == old.n > 0
    if mvt.generalised_band(z) in (z, None):  # same tolerance on the same geometry: same bytes
        assert bytes(new.mvt) == bytes(old.mvt)
    else:  # a finer band simplified again: the same features, geometry within a pixel
        assert _ids(new.mvt, layer) == _ids(old.mvt, layer)


def _ids(data: bytes, layer: str) -> set[int]:
    tile = mapbox_vector_tile.decode(bytes(data))
    return {f["id"] for f in tile.get(layer, {}).get("features", [])}


def test_writes_keep_the_bands(engine: Engine):
    square = (
        "ST_Multi(ST_GeomFromText('POLYGON((87 44,87.01 44,87.01 44.01,87 44.01,87 44))',4326))"
    )
    bigger = (
        "ST_Multi(ST_GeomFromText('POLYGON((87 44,87.02 44,87.02 44.02,87 44.02,87 44))',4326))"
    )
    count = "SELECT count(*) FROM feature_generalised WHERE feature_id = :id"
    same = (
        "SELECT bool_and(g.geom = rm_generalise(f.geom, g.band)) FROM feature_generalised g"
        " JOIN features f ON f.id = g.feature_id WHERE f.id = :id"
    )
    with engine.connect() as conn, conn.begin() as tx:
        fid = conn.execute(
            text(
                f"INSERT INTO features (layer, code, geom) VALUES ('mining_pits', 'GEN-1', {square})"
                " RETURNING id"
            )
        ).scalar_one()
        assert conn.execute(text(count), {"id": fid}).scalar_one() == len(mvt.GENERALISED_BANDS)
        before = conn.execute(
            text(
                "SELECT array_agg(ST_AsText(geom) ORDER BY band) FROM feature_generalised"
                " WHERE feature_id = :id"
            ),
            {"id": fid},
        ).scalar_one()
        conn.execute(text("UPDATE features SET name = 'renamed' WHERE id = :id"), {"id": fid})
        conn.execute(text(f"UPDATE features SET geom = {bigger} WHERE id = :id"), {"id": fid})
        after = conn.execute(
            text(
                "SELECT array_agg(ST_AsText(geom) ORDER BY band) FROM feature_generalised"
                " WHERE feature_id = :id"
            ),
            {"id": fid},
        ).scalar_one()
        assert after != before
        assert conn.execute(text(same), {"id": fid}).scalar_one() is True
        assert conn.execute(text(count), {"id": fid}).scalar_one() == len(mvt.GENERALISED_BANDS)
        conn.execute(text("DELETE FROM features WHERE id = :id"), {"id": fid})
        assert conn.execute(text(count), {"id": fid}).scalar_one() == 0
        tx.rollback()


def _features(data: bytes, layer: str) -> dict[int, tuple[dict, object]]:
    tile = mapbox_vector_tile.decode(bytes(data))
    return {
        f["id"]: (f["properties"], f["geometry"]) for f in tile.get(layer, {}).get("features", [])
    }


@pytest.mark.parametrize("z", [6, 10, 13])
def test_the_sources_tile_columns_give_the_generic_expressions_tile(engine: Engine, z):
    """feature_source's typed tile columns give every feature the properties and geometry
    the generic jsonb expression gives (the bytes differ: key order, integral numbers), also
    for attributes named like the dropped columns (set here, rolled back). An attribute
    named like a column is left out: the column's value is the one in the tile."""
    fid, _, lon, lat = sample_point(engine, "mining_pits")
    _, y, x = tile_of(lon, lat, z)
    coll = _coll("mining_pits")
    params = mvt.tile_params(coll, z, y, x, 20000)
    assert mvt.tile_sql(coll, z) != mvt.tile_sql(coll, z, lean=False)
    dropped = '{"source": "s", "updated_at": "u", "created_at": "c", "k": 1}'
    named_like_columns = '{"code": "attribute", "id": -1, "area_ha": "x", "sample": false}'
    change = "UPDATE features SET properties = properties || CAST(:p AS jsonb) WHERE id = :id"
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            for props in (None, dropped):
                if props:
                    conn.execute(text(change), {"p": props, "id": fid})
                lean = conn.execute(text(mvt.tile_sql(coll, z)), params).one()
                generic = conn.execute(text(mvt.tile_sql(coll, z, lean=False)), params).one()
                assert lean.n == generic.n > 0
                lean_f, generic_f = (_features(t.mvt, "mining_pits") for t in (lean, generic))
                assert lean_f == generic_f and fid in lean_f
                if props:
                    assert lean_f[fid][0]["k"] == 1 and "source" not in lean_f[fid][0]
            conn.execute(text(change), {"p": named_like_columns, "id": fid})
            code, sample = conn.execute(
                text("SELECT code, sample FROM features WHERE id = :id"), {"id": fid}
            ).one()
            tile = conn.execute(text(mvt.tile_sql(coll, z)), params).one()
            props = _features(tile.mvt, "mining_pits")[fid][0]
            assert props["code"] == code and props["id"] == fid
            assert isinstance(props["area_ha"], float)
            assert props.get("sample") is (True if sample else None)
        finally:
            tx.rollback()


def test_bands_are_partitions_tiles_read_alone(engine: Engine):
    """A tile at a band zoom reads that band's partition only (the point of partitioning)."""
    coll = _coll("mining_pits")
    params = mvt.tile_params(coll, 6, 23, 47, 100)
    with engine.connect() as conn:
        parts = conn.execute(
            text(
                "SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_inherits i"
                " JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'feature_generalised'::regclass"
            )
        ).scalar_one()
        plan = "\n".join(conn.execute(text("EXPLAIN " + mvt.tile_sql(coll, 6)), params).scalars())
    assert parts == sorted(f"feature_generalised_z{b}" for b in mvt.GENERALISED_BANDS)
    assert "feature_generalised_z6" in plan
    assert "feature_generalised_z8" not in plan and "feature_generalised_z10" not in plan


@pytest.mark.parametrize("z", [6, 9, 12])
def test_a_feature_moved_or_its_layer_renamed_is_drawn_in_its_new_layer(engine: Engine, z):
    """The band rows carry the layer their tiles pick by: a feature moved to another layer,
    and every feature of a renamed layer (the rename cascades through features), are drawn
    in the tiles of their new layer only -- and as the live statement draws them (rolled
    back)."""
    fid, _, lon, lat = sample_point(engine, "mining_pits")
    _, y, x = tile_of(lon, lat, z)

    def tiles(conn, layer: str):
        coll = _coll(layer)
        params = mvt.tile_params(coll, z, y, x, 20000)
        new = conn.execute(text(mvt.tile_sql(coll, z)), params).one()
        old = conn.execute(
            text(mvt.tile_sql(coll, z, ids_first=False, generalised=False)), params
        ).one()
        return _ids(new.mvt, layer), _ids(old.mvt, layer)

    with engine.connect() as conn:
        tx = conn.begin()
        try:
            conn.execute(
                text("UPDATE features SET layer = 'grassland_occupations' WHERE id = :id"),
                {"id": fid},
            )
            pits, pits_live = tiles(conn, "mining_pits")
            grass, grass_live = tiles(conn, "grassland_occupations")
            assert fid not in pits and fid in grass
            assert (pits, grass) == (pits_live, grass_live)
            conn.execute(text("UPDATE layers SET name = 'pits_renamed' WHERE name = 'mining_pits'"))
            renamed, renamed_live = tiles(conn, "pits_renamed")
            gone, _ = tiles(conn, "mining_pits")
            assert renamed == renamed_live == pits and gone == set()
            assert (
                conn.execute(
                    text(
                        f"SELECT count(*) FROM feature_generalised g"
                        f" JOIN features f ON f.id = g.feature_id WHERE {_STALE}"
                    )
                ).scalar_one()
                == 0
            )
        finally:
            tx.rollback()
