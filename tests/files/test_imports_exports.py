"""File imports (HTTP and command line) and exports, on a database of their own."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

from geo.kernel import auth
from tests.fresh_db import table_counts

ROOT = Path(__file__).resolve().parents[2]
IMPORT = "/collections/mining_pits/import"
X0, Y0 = 86.20, 44.30  # Manas county


@pytest.fixture(scope="module")
def keys(write_engine) -> dict[str, str]:
    with write_engine.begin() as conn:
        return {
            "ed": auth.create_user(conn, "imp-ed", "editor")[1],
            "fukang": auth.create_user(conn, "imp-fk", "editor", ["652302"])[1],
        }


def pits(n: int, prefix: str, crs=4326) -> gpd.GeoDataFrame:
    i = np.arange(n)
    xs, ys = X0 + (i % 300) * 0.0012, Y0 + (i // 300) * 0.0012
    geoms = shapely.box(xs, ys, xs + 0.001, ys + 0.001)
    df = gpd.GeoDataFrame(
        {"code": [f"{prefix}-{k}" for k in i], "mineral": "coal", "legacy": True},
        geometry=geoms,
        crs=4326,
    )
    return df.to_crs(crs) if crs != 4326 else df


def count(engine, prefix: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM features WHERE code LIKE :p"), {"p": prefix + "-%"}
        ).scalar_one()


def upload(client, key, name: str, data: bytes, **params):
    return client.post(
        IMPORT,
        params=params,
        files={"file": (name, data)},
        headers={"Authorization": f"Bearer {key}"},
    )


def zipped(folder: Path, stem: str, skip: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in folder.glob(stem + ".*"):
            if p.suffix not in skip:
                zf.write(p, p.name)
    return buf.getvalue()


def test_cli_imports_100k_gpkg_with_progress_bar(tmp_path, write_settings, write_engine):
    path = tmp_path / "big.gpkg"
    pyogrio.write_dataframe(pits(100_000, "BIG"), path, layer="pits")
    env = {**os.environ, "DATABASE_URL": write_settings.database_url}
    cmd = [sys.executable, "-m", "app", "import", "mining_pits", str(path)]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "100%" in r.stderr and "100k/100k" in r.stderr  # the tqdm bar
    assert "imported 100000 of 100000" in r.stdout
    assert count(write_engine, "BIG") == 100_000


def test_cli_one_bad_row_imports_nothing_and_names_it(tmp_path, write_settings, write_engine):
    df = pits(100_000, "ONE")  # the same size as the good import: one bad row among 100,000
    x, y = df.geometry.iloc[54_320].exterior.coords[0]
    df.loc[54_320, "geometry"] = shapely.Polygon(
        [(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001), (x, y)]
    )
    path = tmp_path / "one_bad.gpkg"
    pyogrio.write_dataframe(df, path)
    env = {**os.environ, "DATABASE_URL": write_settings.database_url}
    cmd = [sys.executable, "-m", "app", "import", "mining_pits", str(path)]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 2
    assert "row 54321: geometry: invalid: Self-intersection" in r.stderr
    assert count(write_engine, "ONE") == 0


def test_geojson_import_and_partial_mode(write_client, write_engine, keys, tmp_path):
    df = pits(10, "GJ")
    df.loc[3, "mineral"] = "kryptonite"
    raw = df.to_json().encode()
    bad = upload(write_client, keys["ed"], "pits.geojson", raw)
    assert bad.status_code == 422
    assert bad.json()["rejected"] == [
        {
            "row": 4,
            "reason": "mineral: kryptonite is not one of sand_gravel, coal, limestone, "
            "clay, iron, gold, other",
        }
    ]
    assert count(write_engine, "GJ") == 0
    ok = upload(write_client, keys["ed"], "pits.geojson", raw, mode="partial")
    assert ok.status_code == 200, ok.text
    assert ok.json()["inserted"] == 9 and ok.json()["rejected"][0]["row"] == 4
    assert count(write_engine, "GJ") == 9


def test_empty_cells_are_absent_attributes(write_client, write_engine, keys):
    """A null (an empty cell) is no attribute: a required one is missing, an optional one
    is not stored, not a JSON null (the checks and the insert both see it stripped)."""
    df = pits(3, "NUL")
    df["town"] = ["Hutubi", None, None]
    df.loc[2, "mineral"] = None
    raw = df.to_json().encode()
    bad = upload(write_client, keys["ed"], "nulls.geojson", raw)
    assert bad.status_code == 422
    assert bad.json()["rejected"] == [{"row": 3, "reason": "mineral: required"}]
    ok = upload(write_client, keys["ed"], "nulls.geojson", raw, mode="partial")
    assert ok.status_code == 200 and ok.json()["inserted"] == 2, ok.text
    with write_engine.connect() as conn:
        rows = conn.execute(text("SELECT code, properties FROM features WHERE code LIKE 'NUL-%'"))
        props = {code: p for code, p in rows}
    assert props["NUL-0"]["town"] == "Hutubi" and "town" not in props["NUL-1"]


def test_gbk_shapefile_without_cpg(write_client, write_engine, keys, tmp_path):
    df = pits(5, "GBK")
    df["town"] = "玛纳斯镇"
    pyogrio.write_dataframe(df, tmp_path / "gbk.shp", encoding="GBK")
    data = zipped(tmp_path, "gbk", skip=(".cpg",))
    before = table_counts(write_engine)
    r = upload(write_client, keys["ed"], "gbk.zip", data)
    assert r.status_code == 422 and "GBK" in r.json()["description"]
    assert table_counts(write_engine) == before
    r = upload(write_client, keys["ed"], "gbk.zip", data, encoding="GBK")
    assert r.status_code == 200, r.text
    with write_engine.connect() as conn:
        towns = (
            conn.execute(
                text("SELECT DISTINCT properties->>'town' FROM features WHERE code LIKE 'GBK-%'")
            )
            .scalars()
            .all()
        )
    assert towns == ["玛纳斯镇"]


def test_zip_without_shp_and_shp_without_prj(write_client, keys, tmp_path, unchanged):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "no shapefile here")
    r = upload(write_client, keys["ed"], "x.zip", buf.getvalue())
    assert r.status_code == 422 and "no .shp" in r.json()["description"]
    pyogrio.write_dataframe(pits(3, "NOPRJ"), tmp_path / "noprj.shp")
    r = upload(write_client, keys["ed"], "noprj.zip", zipped(tmp_path, "noprj", (".prj",)))
    assert r.status_code == 422 and ".prj" in r.json()["description"]


def test_gauss_kruger_csv(write_client, write_engine, keys):
    df = pits(50, "GK", crs=4539)  # CGCS2000 3-degree GK, CM 87°E
    csv = (
        pd.DataFrame(
            {"code": df.code, "mineral": df.mineral, "legacy": "true", "wkt": df.geometry.to_wkt()}
        )
        .to_csv(index=False)
        .encode()
    )
    r = upload(write_client, keys["ed"], "gk.csv", csv, crs="EPSG:4539")
    assert r.status_code == 200, r.text
    with write_engine.connect() as conn:
        x, y = conn.execute(
            text("SELECT ST_XMin(geom), ST_YMin(geom) FROM features WHERE code = 'GK-0'")
        ).one()
    assert abs(x - X0) < 1e-6 and abs(y - Y0) < 1e-6


def test_csv_bad_wkt_on_row_5000(write_client, keys, unchanged):
    df = pits(6000, "CSV")
    wkt = df.geometry.to_wkt()
    wkt.iloc[4999] = "POLYGON((86.2 44.3, 86.3"
    csv = pd.DataFrame({"code": df.code, "mineral": "coal", "legacy": "yes", "wkt": wkt})
    r = upload(write_client, keys["ed"], "bad.csv", csv.to_csv(index=False).encode())
    assert r.status_code == 422
    assert r.json()["rejected"][0]["row"] == 5000
    assert "unparsable WKT" in r.json()["rejected"][0]["reason"]
    assert r.json()["rejected_count"] == 1


def test_gcj02_lonlat_csv(write_client, write_engine, keys):
    from geo.kernel.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(X0 + 0.3, Y0)
    csv = f"code,lon,lat,mineral,legacy\nPT-1,{lon},{lat},coal,true\n".encode()
    # A point into a polygon layer is refused: the type check runs on imports too.
    r = upload(write_client, keys["ed"], "pt.csv", csv, crs="GCJ02")
    assert r.status_code == 422 and "does not fit" in r.text


def test_kml_import(write_client, write_engine, keys, tmp_path):
    kml = pits(4, "KML").rename(columns={"code": "Name"})  # KML keeps the label in <name>
    pyogrio.write_dataframe(kml, tmp_path / "p.kml", driver="KML")
    r = upload(
        write_client, keys["ed"], "p.kml", (tmp_path / "p.kml").read_bytes(), map=["Name=code"]
    )
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 4


def test_scoped_editor_import_elsewhere_403(write_client, keys, unchanged):
    r = upload(write_client, keys["fukang"], "m.geojson", pits(3, "SCP").to_json().encode())
    assert r.status_code == 403
    assert "region scope" in r.json()["rejected"][0]["reason"]


def test_unknown_mapping_target_422(write_client, keys, unchanged):
    r = upload(
        write_client,
        keys["ed"],
        "m.geojson",
        pits(2, "MAP").to_json().encode(),
        map=["mineral=colour"],
    )
    assert r.status_code == 422 and "colour" in r.json()["description"]


# --- exports -----------------------------------------------------------------------------

ITEMS = "/collections/water_source_zones/items"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "shp", "geojson"])
def test_exports_follow_the_filters(write_client, write_engine, fmt, tmp_path):
    with write_engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(*) FROM features WHERE layer = 'water_source_zones' "
                "AND region_code = '652324'"
            )
        ).scalar_one()
    r = write_client.get(ITEMS, params={"f": fmt, "region_code": "652324"})
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    path = tmp_path / f"out.{'zip' if fmt == 'shp' else fmt}"
    path.write_bytes(r.content)
    if fmt == "csv":
        df = pd.read_csv(path)
        assert "wkt" in df.columns
    elif fmt == "xlsx":
        df = pd.read_excel(path)
    elif fmt == "shp":
        names = zipfile.ZipFile(path).namelist()
        assert {"water_source_zones.prj", "water_source_zones.cpg"} <= set(names)
        df = pyogrio.read_dataframe(f"/vsizip/{path}/water_source_zones.shp")
        assert "source_nam" in df.columns  # source_name cut to 10 characters
    else:
        df = pyogrio.read_dataframe(path)
    assert len(df) == expected > 0


def test_export_transforms_to_gauss_kruger(write_client):
    r = write_client.get(ITEMS, params={"f": "csv", "crs": "EPSG:4539", "limit": 1})
    wkt = pd.read_csv(io.BytesIO(r.content))["wkt"].iloc[0]
    x, y = (
        shapely.from_wkt(wkt).exterior.coords[0]
        if wkt.startswith("POLYGON")
        else shapely.from_wkt(wkt).geoms[0].exterior.coords[0]
    )
    lon, lat = Transformer.from_crs(4539, 4326, always_xy=True).transform(x, y)
    assert 73 < lon < 97 and 34 < lat < 50
