"""Alembic: upgrade from empty, models equal migrations, downgrade to base, upgrade again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import geo.all_models  # noqa: F401
from geo.kernel import db
from geo.kernel.config import Settings
from geo.kernel.models import Base
from tests.fresh_db import create_database, drop_database, url_for


def _include(obj, name, type_, reflected, compare_to):
    from geoalchemy2 import alembic_helpers

    if type_ == "table" and name not in Base.metadata.tables:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def test_upgrade_matches_models_and_downgrade_to_base():
    name = create_database("rm_migr")
    settings = Settings(database_url=url_for(name))
    engine = create_engine(settings.sqlalchemy_url)
    try:
        db.upgrade(settings)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": _include}
            )
            diff = compare_metadata(ctx, Base.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            layers = conn.execute(text("SELECT name FROM layers ORDER BY sort_order")).scalars()
            assert list(layers)[:5] == [
                "water_source_zones",
                "mining_pits",
                "grassland_occupations",
                "wetland_parks",
                "regions",
            ]
        db.downgrade(settings, "base")
        tables = set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
        assert tables == set(), f"left behind after downgrade: {tables}"
        with engine.connect() as conn:
            funcs = conn.execute(
                text("SELECT proname FROM pg_proc WHERE proname LIKE 'rm\\_%'")
            ).scalars()
            assert list(funcs) == []
        db.upgrade(settings)  # and back up again from base
        assert "features" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        drop_database(name)
