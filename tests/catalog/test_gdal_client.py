"""Real OGC API clients against the live server: Debian's ogrinfo/ogr2ogr (GDAL 3.6) and the
GDAL bundled with pyogrio (a current release, which reads the limits declared in /api)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pyogrio
from sqlalchemy import text

COLLECTIONS = [
    "water_source_zones",
    "mining_pits",
    "grassland_occupations",
    "wetland_parks",
    "regions",
]


def _db_count(engine, collection: str) -> int:
    with engine.connect() as conn:
        if collection == "regions":
            return conn.execute(text("SELECT count(*) FROM regions")).scalar()
        return conn.execute(
            text("SELECT count(*) FROM features WHERE layer = :l"), {"l": collection}
        ).scalar()


def test_ogrinfo_lists_every_collection_with_its_feature_count(live_server, engine):
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{live_server}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    counts = dict(re.findall(r"Layer name: (\w+).*?Feature Count: (\d+)", out, re.S))
    for collection in COLLECTIONS:
        assert int(counts[collection]) == _db_count(engine, collection), collection


def test_ogr2ogr_downloads_a_whole_layer(live_server, engine, tmp_path: Path):
    out = tmp_path / "pits.gpkg"
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{live_server}", "mining_pits"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    info = pyogrio.read_info(out, layer="mining_pits")
    assert info["features"] == _db_count(engine, "mining_pits")


def test_current_gdal_downloads_a_layer_in_a_handful_of_requests(live_server, engine):
    log = Path(os.environ["RM_LIVE_SERVER_LOG"])
    before = log.read_text(errors="replace").count("/collections/mining_pits/items")
    df = pyogrio.read_dataframe(f"OAPIF:{live_server}", layer="mining_pits")
    requests = log.read_text(errors="replace").count("/collections/mining_pits/items") - before
    assert len(df) == _db_count(engine, "mining_pits")
    assert df["code"].is_unique
    assert requests <= 4, f"{requests} item requests for {len(df)} features"
