"""Operator commands for keeping the ledger for years: backup, restore, migrate --check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.kernel.config import Settings


def migrate_check(settings: Settings) -> int:
    """0 when the database is at the head revision of this release, 1 otherwise."""
    from sqlalchemy.exc import OperationalError

    from geo.kernel.db import sync_engine
    from geo.ops import known_revisions, schema_status, script_heads

    engine = sync_engine(settings)
    try:
        with engine.connect() as conn:
            status = schema_status(conn, script_heads(settings), known_revisions(settings))
    except OperationalError as exc:
        print(f"database unreachable: {exc.orig}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(status.message, file=sys.stdout if status.at_head else sys.stderr)
    return 0 if status.at_head else 1


def worker_app():
    """The app of one worker of ``serve --workers N`` (a fresh process: its own logging)."""
    from app.main import configure_logging, create_app

    settings = Settings()
    configure_logging(fmt=settings.log_format)
    return create_app(settings)


def prepare_multiprocess_metrics() -> None:
    """Several workers share their metrics through PROMETHEUS_MULTIPROC_DIR (default
    var/prometheus), emptied at start (prometheus-client's multiprocess mode)."""
    import os

    # Default: a folder of the service's own, so `make run` (a worker per core) sums them.
    path = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "var/prometheus")
    Path(path).mkdir(parents=True, exist_ok=True)
    for stale in Path(path).glob("*.db"):
        stale.unlink()


def _backup(args, settings: Settings) -> int:
    from geo.ops import BackupError, backup

    try:
        m = backup(settings, Path(args.out), args.pg_bin_dir or settings.pg_bin_dir)
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    rows = sum(m.row_counts.values())
    print(f"backup written to {args.out}: schema {', '.join(m.revision) or '(none)'}")
    print(f"  {len(m.row_counts)} tables, {rows} rows, {len(m.photos)} photos")
    if m.missing_photos:
        print(
            f"warning: {len(m.missing_photos)} referenced photos were not on disk:", file=sys.stderr
        )
        for sha in m.missing_photos:
            print(f"  {sha}", file=sys.stderr)
    return 0


def _restore(args, settings: Settings) -> int:
    from geo.ops import RestoreError, restore

    try:
        report = restore(
            settings, Path(args.source), args.replace, args.pg_bin_dir or settings.pg_bin_dir
        )
    except RestoreError as exc:
        print(f"restore refused or failed: {exc}", file=sys.stderr)
        return 1
    if report.moved_aside:
        print(f"the previous photo directory was moved to {report.moved_aside}")
    if report.problems:
        print("restored, but it does not match the manifest:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    rows = sum(report.row_counts.values())
    tables = len(report.row_counts)
    print(f"restored into database {report.database} and {report.photo_dir}:")
    print(f"  {rows} rows in {tables} tables and {report.photos} photos, as in the manifest")
    return 0


def _rotate(args, settings: Settings) -> int:
    from datetime import timedelta

    from geo.kernel.db import sync_engine
    from geo.ops import rotate_keys

    if args.grace_hours < 0:
        print("error: --grace-hours must be 0 or more", file=sys.stderr)
        return 2
    with sync_engine(settings).begin() as conn:
        key, n = rotate_keys(conn, args.name, timedelta(hours=args.grace_hours), args.label)
    when = f"in {args.grace_hours:g} h" if args.grace_hours else "now"
    print(f"new key for {args.name}; {n} older key(s) expire {when}")
    print("API key (shown only once; send it as 'Authorization: Bearer <key>'):")
    print(key)
    return 0


def register_users(users: argparse._SubParsersAction) -> None:
    rk = users.add_parser("rotate", help="issue a new key; older keys expire after a grace period")
    rk.add_argument("--name", required=True)
    rk.add_argument(
        "--grace-hours", type=float, default=24.0, help="hours the old keys keep working (0: now)"
    )
    rk.add_argument("--label")
    rk.set_defaults(func=_rotate)


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="dump the database and photos, with a manifest")
    b.add_argument("--out", required=True, metavar="DIR", help="a new or empty directory")
    b.add_argument("--pg-bin-dir", help="where pg_dump lives (default: the server's version)")
    b.set_defaults(func=_backup)
    r = sub.add_parser("restore", help="restore a backup into an empty database and photo dir")
    r.add_argument("--from", dest="source", required=True, metavar="DIR")
    r.add_argument(
        "--replace",
        action="store_true",
        help="drop and recreate a non-empty database; move a non-empty photo dir aside",
    )
    r.add_argument("--pg-bin-dir", help="where pg_restore lives")
    r.set_defaults(func=_restore)
