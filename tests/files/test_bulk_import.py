"""The bulk import path (migration 0020): one audit event per import naming its rows, the
same features, counties, areas, violations and history as the per-row path, all-or-nothing,
and scopes enforced for the batch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import text

from geo.files.load import ImportOptions, ImportRejected, collection, run_import
from geo.kernel import auth
from tests.fresh_db import table_counts

LAYER = "mining_pits"


@pytest.fixture(scope="module")
def sample_pits(write_engine) -> gpd.GeoDataFrame:
    """Sample pits, those that break rules first, with their attributes (a realistic file)."""
    with write_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT f.properties, ST_AsBinary(f.geom) AS wkb FROM features f"
                " WHERE f.layer = :l ORDER BY EXISTS (SELECT 1 FROM violations v"
                " WHERE v.subject_id = f.id) DESC, f.id LIMIT 80"
            ),
            {"l": LAYER},
        ).all()
    props = [dict(r.properties) for r in rows]
    df = gpd.GeoDataFrame(props, geometry=shapely.from_wkb([bytes(r.wkb) for r in rows]), crs=4326)
    return df.drop(columns=[c for c in ("code", "name", "source") if c in df])


def write_file(df: gpd.GeoDataFrame, prefix: str, folder: Path) -> Path:
    out = df.copy()
    out["code"] = [f"{prefix}-{i}" for i in range(len(out))]
    path = folder / f"{prefix}.gpkg"
    out.to_file(path, driver="GPKG")
    return path


def do_import(engine, settings, path: Path, bulk: bool = True, principal=None) -> dict:
    with engine.begin() as conn:
        coll = collection(conn, LAYER)
        return run_import(
            conn, coll, path, settings, ImportOptions(bulk=bulk), principal, actor="bulk-test"
        )


def features_of(conn, prefix: str) -> dict[str, tuple]:
    rows = conn.execute(
        text(
            "SELECT split_part(code, '-', 2) AS k, region_code, area_m2, properties,"
            " md5(ST_AsBinary(geom)) FROM features WHERE code LIKE :p"
        ),
        {"p": prefix + "-%"},
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def violations_of(conn, prefix: str) -> dict[tuple, tuple]:
    rows = conn.execute(
        text(
            "SELECT split_part(v.subject_code, '-', 2), r.code, v.protected_code, v.area_m2,"
            " v.share_of_subject, v.share_of_protected, v.distance_m, v.severity,"
            " v.region_code, v.detected_on, v.status, md5(ST_AsBinary(v.geom)),"
            " (SELECT array_agg(e.action ORDER BY e.id) FROM violation_events e"
            "  WHERE e.violation_id = v.id)"
            " FROM violations v JOIN violation_rules r ON r.id = v.rule_id"
            " WHERE v.subject_code LIKE :p AND v.resolved_at IS NULL"
        ),
        {"p": prefix + "-%"},
    )
    return {tuple(r[:3]): tuple(r[3:]) for r in rows}


def test_bulk_and_row_paths_agree(tmp_path, sample_pits, write_settings, write_engine):
    bulk_file = write_file(sample_pits, "BK", tmp_path)
    row_file = write_file(sample_pits, "RW", tmp_path)
    with write_engine.connect() as conn:
        audit_before = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
    assert do_import(write_engine, write_settings, bulk_file)["inserted"] == len(sample_pits)
    with write_engine.connect() as conn:
        mid = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
    assert do_import(write_engine, write_settings, row_file, bulk=False)["inserted"] == len(
        sample_pits
    )
    with write_engine.connect() as conn:
        bulk_f, row_f = features_of(conn, "BK"), features_of(conn, "RW")
        assert len(bulk_f) == len(sample_pits) and bulk_f == row_f
        assert all(v[0] is not None for v in bulk_f.values())  # counties derived
        bulk_v, row_v = violations_of(conn, "BK"), violations_of(conn, "RW")
        assert bulk_v and bulk_v == row_v  # the file breaks rules, identically
        # ONE audit event for the bulk import, naming exactly its rows; one per row otherwise
        events = conn.execute(
            text(
                "SELECT op, after, row_ids::text FROM audit_log"
                " WHERE id > :a AND id <= :m AND table_name = 'features'"
            ),
            {"a": audit_before, "m": mid},
        ).all()
        assert [e.op for e in events] == ["IMPORT"]
        assert events[0].after["count"] == len(sample_pits)
        assert events[0].after["file"] == "BK.gpkg"
        ids = conn.execute(text("SELECT id FROM features WHERE code LIKE 'BK-%'")).scalars()
        covered = conn.execute(
            text(
                "SELECT count(*) FROM features f, audit_log a WHERE a.op = 'IMPORT'"
                " AND a.id > :a AND a.row_ids @> f.id AND f.code LIKE 'BK-%'"
            ),
            {"a": audit_before},
        ).scalar_one()
        assert covered == len(list(ids))
        per_row = conn.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE id > :m AND op = 'INSERT'"
                " AND table_name = 'features'"
            ),
            {"m": mid},
        ).scalar_one()
        assert per_row == len(sample_pits)
        assert_violations_audited(conn, audit_before, mid, len(row_v))


def assert_violations_audited(conn, audit_before: int, mid: int, row_path_count: int) -> None:
    """The violations the bulk import (audit ids audit_before..mid) detected have ONE audit
    event naming exactly them; the per-row import after it, one per violation. Each keeps
    its own `detected` event (violations_of compares them)."""
    vaudit = conn.execute(
        text(
            "SELECT a.op, a.after->>'file' AS file, (a.after->>'count')::int AS n, (SELECT"
            "  array_agg(v.id ORDER BY v.id)::text FROM violations v"
            "  WHERE v.subject_code LIKE 'BK-%' AND a.row_ids @> v.id) AS named"
            " FROM audit_log a WHERE a.id > :a AND a.id <= :m"
            " AND a.table_name = 'violations'"
        ),
        {"a": audit_before, "m": mid},
    ).all()
    bk_vids, bk_n = conn.execute(
        text(
            "SELECT array_agg(id ORDER BY id)::text, count(*) FROM violations"
            " WHERE subject_code LIKE 'BK-%'"
        )
    ).one()
    assert [(e.op, e.file, e.named, e.n) for e in vaudit] == [("IMPORT", "BK.gpkg", bk_vids, bk_n)]
    row_vaudit = conn.execute(
        text(
            "SELECT count(*) FROM audit_log WHERE id > :m AND op = 'INSERT'"
            " AND table_name = 'violations'"
        ),
        {"m": mid},
    ).scalar_one()
    assert row_vaudit == row_path_count


def _history(client, fid: int) -> list[dict]:
    r = client.get(f"/collections/{LAYER}/items/{fid}/history")
    assert r.status_code == 200, r.text
    return r.json()["history"]


def test_history_and_as_of_of_imported_feature(
    tmp_path, sample_pits, write_settings, write_engine, write_client
):
    do_import(write_engine, write_settings, write_file(sample_pits[:5], "HB", tmp_path))
    do_import(write_engine, write_settings, write_file(sample_pits[:5], "HR", tmp_path), False)
    with write_engine.begin() as conn:
        ids = dict(
            conn.execute(
                text("SELECT code, id FROM features WHERE code IN ('HB-1', 'HR-1', 'HB-2')")
            ).all()
        )
        imported_at = conn.execute(
            text("SELECT max(at) FROM audit_log WHERE op = 'IMPORT'")
        ).scalar_one()
    # HB-2 unchanged: its history is the import, with the row as it is
    (only,) = _history(write_client, ids["HB-2"])
    assert only["op"] == "INSERT" and only["before"] is None
    assert only["after"]["code"] == "HB-2" and only["after"]["geom"]["type"]
    # HB-1 and HR-1 renamed afterwards: the import shows the state as imported
    with write_engine.begin() as conn:
        conn.execute(text("SELECT set_config('rm.actor', 'renamer', true)"))
        conn.execute(
            text("UPDATE features SET name = 'renamed' WHERE id IN (:a, :b)"),
            {"a": ids["HB-1"], "b": ids["HR-1"]},
        )
    bulk_h, row_h = _history(write_client, ids["HB-1"]), _history(write_client, ids["HR-1"])
    assert [h["op"] for h in bulk_h] == [h["op"] for h in row_h] == ["INSERT", "UPDATE"]
    skip = {"id", "code", "source", "created_at", "updated_at"}
    for b, r in zip(bulk_h, row_h, strict=True):
        assert b["changed"] == r["changed"]
        assert {k: v for k, v in b["after"].items() if k not in skip} == {
            k: v for k, v in r["after"].items() if k not in skip
        }
    assert bulk_h[1]["changed"] == ["name"] and bulk_h[1]["after"]["name"] == "renamed"
    # as_of: before the import it does not exist; just after, it has its imported name
    before = (imported_at - timedelta(seconds=1)).isoformat()
    after = imported_at.isoformat()
    url = f"/collections/{LAYER}/items/{ids['HB-1']}"
    assert write_client.get(url, params={"as_of": before}).status_code == 404
    then = write_client.get(url, params={"as_of": after})
    assert then.status_code == 200, then.text
    assert then.json()["properties"]["name"] != "renamed"
    assert write_client.get(url).json()["properties"]["name"] == "renamed"
    listed = write_client.get(
        f"/collections/{LAYER}/items", params={"as_of": after, "code": "HB-2"}
    ).json()
    assert [f["properties"]["code"] for f in listed["features"]] == ["HB-2"]


def test_bad_row_in_the_middle_writes_nothing(tmp_path, sample_pits, write_settings, write_engine):
    df = sample_pits.copy()
    bowtie = shapely.Polygon([(86.2, 44.3), (86.21, 44.31), (86.21, 44.3), (86.2, 44.31)])
    df.loc[len(df) // 2, "geometry"] = bowtie
    path = write_file(df, "BAD", tmp_path)
    before = table_counts(write_engine)
    with pytest.raises(ImportRejected) as err:
        do_import(write_engine, write_settings, path)
    assert err.value.details["rejected"][0]["row"] == len(df) // 2 + 1
    assert table_counts(write_engine) == before


def test_scoped_editor_with_one_feature_outside_is_refused(
    tmp_path, sample_pits, write_settings, write_engine
):
    with write_engine.begin() as conn:
        counties = conn.execute(
            text("SELECT DISTINCT region_code FROM features WHERE code LIKE 'BK-%'")
        ).scalars()
        inside = sorted(c for c in counties if c)
        uid, _ = auth.create_user(conn, "bulk-scoped", "editor", inside[:1])
        principal = auth.Principal(uid, "bulk-scoped", "editor", frozenset(inside[:1]))
        region = inside[0]
    mine = sample_pits[
        np.array(
            [
                c == region
                for c in _counties(write_engine, list(sample_pits.geometry.representative_point()))
            ]
        )
    ]
    assert len(mine) >= 1
    far = shapely.box(88.6, 44.0, 88.601, 44.001)  # another county, far east of the sample
    df = gpd.GeoDataFrame(
        mine.drop(columns="geometry").iloc[[0] * 3].reset_index(drop=True),
        geometry=[mine.geometry.iloc[0], far, mine.geometry.iloc[0]],
        crs=4326,
    )
    df.loc[2, "geometry"] = shapely.affinity.translate(df.geometry[2], 0.00001, 0)
    path = write_file(df, "SC", tmp_path)
    before = table_counts(write_engine)
    with pytest.raises(ImportRejected) as err:
        do_import(write_engine, write_settings, path, principal=principal)
    assert err.value.status == 403
    assert [r["row"] for r in err.value.details["rejected"]] == [2]
    assert table_counts(write_engine) == before


def _counties(engine, points) -> list[str | None]:
    with engine.connect() as conn:
        return [
            conn.execute(
                text("SELECT rm_county_of(ST_GeomFromText(:w, 4326))"), {"w": p.wkt}
            ).scalar_one()
            for p in points
        ]
