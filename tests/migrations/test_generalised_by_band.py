"""Migration 0026 on a database with features: the band rows written before it are copied
into the band partitions with their feature's layer and envelope, a band row that was
missing is generalised, and the downgrade gives the old table back with every row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from geo.kernel import db
from geo.kernel.config import Settings
from geo.samples.load import load_samples
from tests.fresh_db import create_database, drop_database, url_for
from tests.tiles.test_generalised import band_faults

BEFORE = "0025_overlap_kind_inline"
FROZEN_0018 = Path(__file__).parents[2] / "migrations" / "data" / "generalised_0018.sql"
COUNT = "SELECT count(*) FROM feature_generalised"


def test_the_band_partitions_are_filled_from_the_rows_before_them():
    name = create_database("rm_bands")
    settings = Settings(database_url=url_for(name))
    engine = create_engine(settings.sqlalchemy_url)
    try:
        db.upgrade(settings, BEFORE)
        with engine.begin() as conn:
            # Migrations run today's SQL files: a database that really stood at 0025 had run
            # 0018 when its trigger was this one (written before the layer and envelope).
            conn.exec_driver_sql(FROZEN_0018.read_text(encoding="utf-8"))
            load_samples(conn)
            # a feature whose band rows are gone (the tiles would no longer draw it)
            conn.execute(
                text(
                    "DELETE FROM feature_generalised WHERE feature_id ="
                    " (SELECT min(id) FROM features WHERE layer = 'grassland_occupations')"
                )
            )
            before = conn.execute(text(COUNT)).scalar_one()
            features = conn.execute(text("SELECT count(*) FROM features")).scalar_one()
        assert before == 3 * features - 3 and features > 0
        db.upgrade(settings)
        with engine.connect() as conn:
            assert band_faults(conn) == (0, 0, 0)
            assert conn.execute(text(COUNT)).scalar_one() == 3 * features
        db.downgrade(settings, BEFORE)
        with engine.connect() as conn:
            assert conn.execute(text(COUNT)).scalar_one() == 3 * features
            stale = conn.execute(
                text(
                    "SELECT count(*) FROM feature_generalised g JOIN features f"
                    " ON f.id = g.feature_id WHERE NOT g.geom = rm_generalise(f.geom, g.band)"
                )
            ).scalar_one()
            assert stale == 0
    finally:
        engine.dispose()
        drop_database(name)
