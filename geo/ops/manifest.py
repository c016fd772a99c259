"""The manifest of a backup: what was saved and how to check it came back whole.

It names the schema revision, the row count of every table (counted in the very snapshot
pg_dump saved), the SHA-256 of the dump, of the photo archive and of every photo in it, and
the versions of the programs that wrote it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Connection, text

FORMAT = "restoration-map-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
PHOTOS = "photos.tar"

_TABLES = text(
    "SELECT tablename, quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
    "AND tablename <> 'spatial_ref_sys' ORDER BY tablename"
)


@dataclass
class Manifest:
    created_at: str
    revision: list[str]
    row_counts: dict[str, int]
    dump_sha256: str
    photos_sha256: str
    photos: dict[str, str] = field(default_factory=dict)  # path under photo_dir -> SHA-256
    versions: dict[str, str] = field(default_factory=dict)
    # Photos the database refers to that were not on disk when the backup was taken.
    missing_photos: list[str] = field(default_factory=list)
    format: str = FORMAT

    def write(self, directory: Path) -> Path:
        """Written last, through a rename: a backup with a manifest is a complete one."""
        path = directory / MANIFEST
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        doc = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a backup of this service (format {doc.get('format')!r})")
        return cls(**doc)


def table_counts(conn: Connection) -> dict[str, int]:
    """``count(*)`` of every table in the public schema (PostGIS's own excepted)."""
    tables = conn.execute(_TABLES).all()
    # Names come from the catalog, quoted by quote_ident.
    return {
        name: conn.execute(text(f"SELECT count(*) FROM {q}")).scalar_one() for name, q in tables
    }


def revision(conn: Connection) -> list[str]:
    """The Alembic revision(s) the database is at (empty before the first migration)."""
    exists = conn.execute(text("SELECT to_regclass('public.alembic_version') IS NOT NULL"))
    if not exists.scalar_one():
        return []
    return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def photo_checksums(photo_dir: Path) -> dict[str, str]:
    """SHA-256 of every file under ``photo_dir``, by its path relative to it (POSIX)."""
    if not photo_dir.is_dir():
        return {}
    return {
        p.relative_to(photo_dir).as_posix(): sha256_file(p)
        for p in sorted(photo_dir.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def compare(expected: dict, actual: dict, what: str) -> list[str]:
    """Human-readable differences between two mappings (missing, extra, different).

    >>> compare({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 0}, "rows")
    ['rows b: expected 2, found 3', 'rows c: not in the backup']
    """
    problems = []
    for key in sorted(expected.keys() | actual.keys()):
        if key not in actual:
            problems.append(f"{what} {key}: missing")
        elif key not in expected:
            problems.append(f"{what} {key}: not in the backup")
        elif expected[key] != actual[key]:
            problems.append(f"{what} {key}: expected {expected[key]}, found {actual[key]}")
    return problems
