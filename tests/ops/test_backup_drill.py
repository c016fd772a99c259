"""The restore drill: load the ledger, edit it through the API, add an inspection photo,
back up, destroy the database and the photos, restore into a new database and directory,
and compare everything: row counts, every feature's geometry and properties, the audit
log, the photos. A damaged backup or a non-empty target is refused, changing nothing."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest
from PIL import Image
from sqlalchemy import Engine, text

from app.cli import main
from geo.kernel import db
from geo.ops import script_heads
from tests.fresh_db import (
    ADMIN_URL,
    client_for,
    drop_database,
    fresh_database,
    make_key,
    table_counts,
    url_for,
)

PATCH = {"Content-Type": "application/merge-patch+json"}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (30, 140, 60)).save(out, "JPEG")
    return out.getvalue()


def edit_and_inspect(settings, engine) -> str:
    """A feature edited through the API and an inspection with a photo; the photo's hash."""
    editor = make_key(engine, "drill-editor", "editor")
    inspector = make_key(engine, "drill-inspector", "inspector")
    with engine.connect() as conn:
        fid = conn.execute(
            text("SELECT min(id) FROM features WHERE layer = 'mining_pits'")
        ).scalar_one()
    url = f"/collections/mining_pits/items/{fid}"
    with client_for(settings) as c:
        tag = c.get(url).headers["ETag"]
        r = c.patch(
            url,
            json={"properties": {"town": "恢复演练 drill"}},
            headers={**editor, **PATCH, "If-Match": tag},
        )
        assert r.status_code == 200, r.text
        uid = str(uuid.uuid4())
        body = {
            "lon": 86.2,
            "lat": 44.3,
            "observed_at": "2026-11-30T10:00:00+08:00",
            "verdict": "confirmed",
            "feature_id": fid,
        }
        assert c.put(f"/inspections/{uid}", json=body, headers=inspector).status_code == 201
        data = jpeg()
        r = c.post(f"/inspections/{uid}/photos", files={"file": ("p.jpg", data)}, headers=inspector)
        assert r.status_code == 201, r.text
    return hashlib.sha256(data).hexdigest()


def ledger(engine: Engine, photo_dir: Path) -> dict:
    """Everything the drill compares."""
    with engine.connect() as conn:
        features = dict(
            conn.execute(
                text(
                    "SELECT id, md5(ST_AsBinary(geom)) || md5(properties::text) || code || version FROM features"
                )
            ).all()
        )
        audit = conn.execute(
            text(
                "SELECT id, table_name, row_id, op, actor, user_id, at, before::text, after::text, "
                "md5(ST_AsBinary(before_geom)), md5(ST_AsBinary(after_geom)) FROM audit_log ORDER BY id"
            )
        ).all()
        photos = conn.execute(
            text("SELECT sha256, size_bytes FROM inspection_photos ORDER BY id")
        ).all()
    files = {
        p.relative_to(photo_dir).as_posix(): p.read_bytes()
        for p in photo_dir.rglob("*")
        if p.is_file()
    }
    return {
        "counts": table_counts(engine),
        "features": features,
        "audit": audit,
        "photo_rows": photos,
        "files": files,
    }


def database_exists(name: str) -> bool:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory):
    """A ledger that was loaded, edited and backed up, then destroyed: (backup dir, before)."""
    root = tmp_path_factory.mktemp("drill")
    photos, out = root / "photos", root / "backup"
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        fresh_database("rm_drill", photo_dir=str(photos)) as (settings, engine),
    ):
        sha = edit_and_inspect(settings, engine)
        before = ledger(engine, photos)
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        monkeypatch.setenv("RM_PHOTO_DIR", str(photos))
        assert main(["backup", "--out", str(out)]) == 0
        assert main(["backup", "--out", str(out)]) == 1  # never into a used directory
    shutil.rmtree(photos)  # the database was dropped on leaving the block
    assert sha in json.dumps(before["files"].keys().__repr__()) or any(
        sha in k for k in before["files"]
    )
    return out, before


def restore_target(monkeypatch, root: Path) -> tuple[str, Path]:
    name = f"rm_drill_restored_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DATABASE_URL", url_for(name))
    monkeypatch.setenv("RM_PHOTO_DIR", str(root / "restored-photos"))
    return name, root / "restored-photos"


def test_restore_drill(backed_up, monkeypatch, tmp_path):
    out, before = backed_up
    assert out.stat().st_mode & 0o777 == 0o700  # the ledger, key hashes included
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["row_counts"] == before["counts"]
    assert tuple(manifest["revision"]) == script_heads(db.Settings())
    assert sorted(manifest["photos"]) == sorted(before["files"])
    name, photos = restore_target(monkeypatch, tmp_path)
    try:
        assert main(["restore", "--from", str(out)]) == 0  # creates the database
        engine = db.sync_engine(db.Settings(database_url=url_for(name)))
        try:
            after = ledger(engine, photos)
            assert after["counts"] == before["counts"]
            assert after["features"] == before["features"]
            assert after["audit"] == before["audit"]
            assert any(row[4] == "drill-editor" and row[3] == "UPDATE" for row in after["audit"])
            assert after["photo_rows"] == before["photo_rows"]
            assert after["files"] == before["files"]
            # A second restore into the now non-empty ledger is refused and changes nothing.
            assert main(["restore", "--from", str(out)]) == 1
            assert ledger(engine, photos) == after
        finally:
            engine.dispose()
    finally:
        drop_database(name)


def test_a_damaged_backup_is_refused_before_anything_is_touched(
    backed_up, monkeypatch, tmp_path, capsys
):
    out = tmp_path / "copy"
    shutil.copytree(backed_up[0], out)
    dump = out / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    name, photos = restore_target(monkeypatch, tmp_path)
    assert main(["restore", "--from", str(out)]) == 1
    assert "damaged" in capsys.readouterr().err
    assert not database_exists(name) and not photos.exists()


def test_a_restore_that_does_not_match_its_manifest_fails(backed_up, monkeypatch, tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(backed_up[0], out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["row_counts"]["features"] += 1
    manifest["photos"]["00/missing.jpg"] = "0" * 64
    (out / "manifest.json").write_text(json.dumps(manifest))
    name, _ = restore_target(monkeypatch, tmp_path)
    try:
        assert main(["restore", "--from", str(out)]) == 1
        err = capsys.readouterr().err
        expected = manifest["row_counts"]["features"]
        assert f"rows in features: expected {expected}, found {expected - 1}" in err
        assert "photo 00/missing.jpg: missing" in err
    finally:
        drop_database(name)
