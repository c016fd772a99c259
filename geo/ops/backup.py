"""``python -m app backup``: one consistent snapshot of the ledger.

The database and the photo directory are the ledger. The database part is pg_dump's custom
format taken from a snapshot this module exports and holds open, so the row counts in the
manifest are counted in exactly the state the dump saved. Photos are content-addressed and
never rewritten, so copying them after the snapshot was taken includes every photo the dump
refers to (a newer one is merely unreferenced); any referenced photo missing from disk is
named in the manifest.
"""

from __future__ import annotations

import platform
import tarfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import Connection, text

from geo.kernel.config import Settings
from geo.kernel.db import sync_engine
from geo.ops import pgtools
from geo.ops.manifest import DUMP, PHOTOS, Manifest, revision, sha256_file, table_counts


class BackupError(RuntimeError):
    """The backup could not be written; the directory holds no manifest."""


def _referenced_photos(conn: Connection) -> set[str]:
    if not conn.execute(text("SELECT to_regclass('public.inspection_photos')")).scalar_one():
        return set()
    return set(conn.execute(text("SELECT DISTINCT sha256 FROM inspection_photos")).scalars())


def _server_versions(conn: Connection) -> dict[str, str]:
    versions = {"postgresql": conn.execute(text("SHOW server_version")).scalar_one()}
    postgis = conn.execute(
        text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
    ).scalar_one_or_none()
    if postgis:
        versions["postgis"] = postgis
    return versions


def _tar_photos(photo_dir: Path, target: Path) -> dict[str, str]:
    """Every file under ``photo_dir`` into an uncompressed tar (JPEG and HEIC do not
    compress); returns their SHA-256 by relative path."""
    sums: dict[str, str] = {}
    with tarfile.open(target, "w") as tar:
        if photo_dir.is_dir():
            for path in sorted(photo_dir.rglob("*")):
                if path.is_file() and not path.name.startswith("."):  # skip half-written temps
                    name = path.relative_to(photo_dir).as_posix()
                    sums[name] = sha256_file(path)
                    tar.add(path, arcname=name, recursive=False)
    return sums


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: back up into a new directory")
    # The whole ledger, users and key hashes included: readable by its owner only.
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    out.chmod(0o700)


def backup(settings: Settings, out: Path, pg_bin_dir: str | None = None) -> Manifest:
    """Writes ``database.dump``, ``photos.tar`` and ``manifest.json`` into ``out``."""
    out = Path(out)
    _prepare(out)
    engine = sync_engine(settings)
    try:
        # The exporting transaction stays open until pg_dump has imported its snapshot
        # (and finished): counts and dump see the same committed state.
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            major = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
            pg_dump = pgtools.find_tool("pg_dump", major, pg_bin_dir)
            pgtools.run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={out / DUMP}"],
                pgtools.libpq_env(settings.database_url),
            )
            counts, rev = table_counts(conn), revision(conn)
            referenced = _referenced_photos(conn)
            versions = _server_versions(conn)
            conn.rollback()
    except pgtools.ToolError as exc:
        raise BackupError(str(exc)) from exc
    finally:
        engine.dispose()
    photos = _tar_photos(Path(settings.photo_dir), out / PHOTOS)
    missing = sorted(referenced - set(photos.values()))
    versions |= {
        "restoration-map": metadata.version("restoration-map"),
        "python": platform.python_version(),
        "pg_dump": str(pgtools.tool_major(pg_dump)),
    }
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        revision=rev,
        row_counts=counts,
        dump_sha256=sha256_file(out / DUMP),
        photos_sha256=sha256_file(out / PHOTOS),
        photos=photos,
        versions=versions,
        missing_photos=missing,
    )
    manifest.write(out)
    return manifest
