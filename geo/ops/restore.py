"""``python -m app restore``: a backup back into an empty database and photo directory,
then checked against its manifest (schema revision, row counts, every photo's SHA-256).

It never overwrites a ledger by accident: a database with tables or a photo directory with
files is refused unless ``replace`` is given, which drops and recreates the database and
moves the old photo directory aside (renamed, not deleted).
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from geo.kernel.config import Settings
from geo.kernel.db import sync_engine
from geo.ops import pgtools
from geo.ops.manifest import (
    DUMP,
    PHOTOS,
    Manifest,
    compare,
    photo_checksums,
    revision,
    sha256_file,
    table_counts,
)

# Relations a user made (extension-owned ones, such as PostGIS's, do not count).
_USER_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
"""


class RestoreError(RuntimeError):
    """The restore was refused or failed; the message says why."""


@dataclass
class RestoreReport:
    database: str
    photo_dir: Path
    photos: int
    row_counts: dict[str, int]
    moved_aside: Path | None = None
    problems: list[str] = field(default_factory=list)


def _check_files(src: Path, manifest: Manifest) -> None:
    for name, expected in ((DUMP, manifest.dump_sha256), (PHOTOS, manifest.photos_sha256)):
        path = src / name
        if not path.is_file():
            raise RestoreError(f"{path} is missing: not a complete backup")
        if sha256_file(path) != expected:
            raise RestoreError(f"{path} does not match its SHA-256 in the manifest: damaged")


def _maintenance(settings: Settings) -> psycopg.Connection:
    url = pgtools.libpq_url(settings.database_url)
    return psycopg.connect(url, dbname="postgres", autocommit=True, connect_timeout=10)


def _database_state(settings: Settings, name: str) -> int | None:
    """None when the database does not exist, else the number of user relations in it."""
    with _maintenance(settings) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not exists:
        return None
    url = pgtools.libpq_url(settings.database_url)
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        return conn.execute(_USER_RELATIONS).fetchone()[0]


def _prepare_database(settings: Settings, name: str, state: int | None, replace: bool) -> None:
    with _maintenance(settings) as conn:
        if state is not None and replace:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            state = None
        if state is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _refuse_non_empty(name: str, state: int | None, photo_dir: Path) -> None:
    problems = []
    if state:
        problems.append(f"database {name!r} is not empty ({state} tables, views or sequences)")
    if photo_dir.is_dir() and any(photo_dir.iterdir()):
        problems.append(f"photo directory {photo_dir} is not empty")
    if problems:
        raise RestoreError(
            "; ".join(problems) + ": restore into an empty database and directory, or pass "
            "--replace to drop and recreate the database and move the photos aside"
        )


def _move_aside(photo_dir: Path) -> Path | None:
    if not photo_dir.is_dir() or not any(photo_dir.iterdir()):
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = photo_dir.with_name(f"{photo_dir.name}.before-restore-{stamp}")
    photo_dir.rename(aside)
    return aside


def restore(
    settings: Settings, src: Path, replace: bool = False, pg_bin_dir: str | None = None
) -> RestoreReport:
    """Restores the backup in ``src`` into ``settings.database_url`` and ``photo_dir``."""
    src, photo_dir = Path(src), Path(settings.photo_dir)
    try:
        manifest = Manifest.read(src)
    except (OSError, ValueError, TypeError) as exc:
        raise RestoreError(f"cannot read {src}/manifest.json: {exc}") from exc
    _check_files(src, manifest)
    name = psycopg.conninfo.conninfo_to_dict(pgtools.libpq_url(settings.database_url))["dbname"]
    state = _database_state(settings, name)
    if not replace:
        _refuse_non_empty(name, state, photo_dir)
    _prepare_database(settings, name, state, replace)
    with _maintenance(settings) as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    try:
        pg_restore = pgtools.find_tool("pg_restore", major, pg_bin_dir)
        # One transaction: a restore that fails leaves the database empty, not half-filled.
        pgtools.run(
            [pg_restore, "--exit-on-error", "--single-transaction", f"--dbname={name}",
             str(src / DUMP)],
            pgtools.libpq_env(settings.database_url),
        )  # fmt: skip
    except pgtools.ToolError as exc:
        raise RestoreError(str(exc)) from exc
    aside = _move_aside(photo_dir) if replace else None
    photo_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(src / PHOTOS) as tar:
        tar.extractall(photo_dir, filter="data")  # no absolute paths, links or devices
    return _verify(settings, manifest, name, photo_dir, aside)


def _verify(
    settings: Settings, manifest: Manifest, name: str, photo_dir: Path, aside: Path | None
) -> RestoreReport:
    engine = sync_engine(settings)
    try:
        with engine.connect() as conn:
            counts, rev = table_counts(conn), revision(conn)
    finally:
        engine.dispose()
    photos = photo_checksums(photo_dir)
    problems = compare(manifest.row_counts, counts, "rows in")
    problems += compare(manifest.photos, photos, "photo")
    if rev != manifest.revision:
        problems.append(f"schema revision {rev}, the backup has {manifest.revision}")
    return RestoreReport(name, photo_dir, len(photos), counts, aside, problems)
