"""Operator command line: ``python -m app <command>``."""

from __future__ import annotations

import argparse
import sys

from app import cli_notify, cli_ops
from geo.kernel.config import Settings


def _migrate(args, settings: Settings) -> int:
    from app.cli_ops import migrate_check
    from geo.kernel import db

    if args.check:
        return migrate_check(settings)
    if args.downgrade:
        db.downgrade(settings, args.downgrade)
    else:
        db.upgrade(settings)
    print(f"migrated ({args.downgrade or 'head'})")
    return 0


def _load_samples(args, settings: Settings) -> int:
    """Sample layers into an empty database (the start-up path of ``make run``); with
    ``--force`` upserted whatever the database holds (edits to sample features are undone
    and deleted ones come back: an explicit choice, never a side effect of starting)."""
    from geo.kernel.db import sync_engine
    from geo.samples.load import load_samples, load_samples_if_empty
    from geo.violations.counts import open_violations

    engine = sync_engine(settings)
    with engine.begin() as conn:
        counts = load_samples(conn) if args.force else load_samples_if_empty(conn)
    if counts is None:
        print("the database already holds data: sample layers not loaded (--force reloads)")
        engine.dispose()
        return 0
    for name, n in sorted(counts.items()):
        print(f"{name:24s} {n:6d}")
    # Violations follow the data: the triggers on features evaluated the rules on load.
    with engine.connect() as conn:
        print(f"{'violations (open)':24s} {open_violations(conn):6d}")
    engine.dispose()
    return 0


def _evaluate(args, settings: Settings) -> int:
    from geo.kernel.db import sync_engine
    from geo.violations.counts import open_violations
    from geo.violations.rules import evaluate

    with sync_engine(settings).begin() as conn:
        counts = evaluate(conn, args.rule or None)
        open_n = open_violations(conn)
    for action in ("detected", "redetected_by_data", "resolved_by_data", "updated"):
        print(f"{action:20s} {counts.get(action, 0):6d}")
    print(f"{'open violations':20s} {open_n:6d}")
    return 0


def _serve(args, settings: Settings) -> int:
    """One process, or N worker processes sharing the socket (uvicorn's supervisor restarts
    a worker that dies). SIGTERM: every worker stops accepting and finishes its in-flight
    requests and streams before it exits."""
    import uvicorn

    from app.main import configure_logging, create_app

    configure_logging(fmt=settings.log_format)
    workers = args.workers or settings.worker_count
    # Our request log (app.observability) replaces uvicorn's access log.
    options = dict(host=args.host, port=args.port, proxy_headers=True, access_log=False)
    if workers > 1:
        cli_ops.prepare_multiprocess_metrics()
        # Each worker is a new process: it sets up logging and builds its app from the env.
        uvicorn.run(
            "app.cli_ops:worker_app", factory=True, workers=workers, log_config=None, **options
        )
    else:
        uvicorn.run(create_app(settings), log_config=None, **options)
    return 0


def _users_create(args, settings: Settings) -> int:
    from geo.kernel import auth
    from geo.kernel.db import sync_engine

    with sync_engine(settings).begin() as conn:
        user_id, key = auth.create_user(conn, args.name, args.role, args.region or None)
    scope = ", ".join(args.region) if args.region else "all regions"
    print(f"created user {args.name} (id {user_id}, role {args.role}, scope: {scope})")
    print("API key (shown only once; send it as 'Authorization: Bearer <key>'):")
    print(key)
    return 0


def _users_key(args, settings: Settings) -> int:
    from geo.kernel import auth
    from geo.kernel.db import sync_engine

    with sync_engine(settings).begin() as conn:
        uid = auth.user_id(conn, args.name)
        if uid is None:
            print(f"no user {args.name!r}", file=sys.stderr)
            return 1
        print(auth.create_key(conn, uid, args.label))
    return 0


def _users_revoke(args, settings: Settings) -> int:
    from geo.kernel import auth
    from geo.kernel.db import sync_engine

    with sync_engine(settings).begin() as conn:
        n = auth.revoke_keys(conn, args.name)
    print(f"revoked {n} key(s) of {args.name}")
    return 0


def _users_list(args, settings: Settings) -> int:
    from geo.kernel import auth
    from geo.kernel.db import sync_engine

    with sync_engine(settings).connect() as conn:
        users = auth.list_users(conn)
    for u in users:
        print(f"{u.name:24s} {u.role:10s} {u.regions:20s} live keys: {u.live_keys}")
    return 0


def _import(args, settings: Settings) -> int:
    import json
    from pathlib import Path

    from tqdm import tqdm

    from app.routers.imports import parse_mapping
    from geo.files.load import ImportOptions, ImportRejected, collection, run_import
    from geo.kernel.db import sync_engine

    options = ImportOptions(
        args.crs, args.encoding, parse_mapping(args.map or []), args.mode, args.repair, args.layer
    )
    bar = tqdm(unit=" features", unit_scale=True, desc=f"import {args.collection}")

    def progress(n: int, total: int) -> None:
        bar.total = total
        bar.update(n)

    try:
        with sync_engine(settings).begin() as conn:
            coll = collection(conn, args.collection)
            report = run_import(
                conn, coll, Path(args.file), settings, options, actor=args.actor, progress=progress
            )
    except ImportRejected as exc:
        bar.close()
        print(json.dumps(exc.details, ensure_ascii=False, indent=1), file=sys.stderr)
        print(f"error: {exc.description}", file=sys.stderr)
        return 2
    bar.close()
    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"imported {report['inserted']} of {report['read']} features into {args.collection}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="upgrade the database to the newest schema")
    m.add_argument("--downgrade", metavar="REV", help="downgrade to REV instead (e.g. base)")
    m.add_argument(
        "--check", action="store_true", help="change nothing: exit 0 at head, 1 if not (2: no db)"
    )
    m.set_defaults(func=_migrate)
    ls = sub.add_parser("load-samples", help="load sample_layers/ into an empty database")
    ls.add_argument(
        "--force",
        action="store_true",
        help="upsert the samples even into a database with data (reverts edits to them)",
    )
    ls.set_defaults(func=_load_samples)
    ev = sub.add_parser("evaluate", help="re-evaluate violation rules over every feature")
    ev.add_argument("--rule", type=int, action="append", metavar="ID", help="only this rule")
    ev.set_defaults(func=_evaluate)
    s = sub.add_parser("serve", help="serve the API and web map")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (default RM_WORKERS or cores)"
    )
    s.set_defaults(func=_serve)
    users = sub.add_parser("users", help="manage users and API keys").add_subparsers(
        dest="users_command", required=True
    )
    uc = users.add_parser("create", help="create a user and print its first API key")
    uc.add_argument("--name", required=True)
    uc.add_argument("--role", required=True, choices=["viewer", "inspector", "editor", "admin"])
    uc.add_argument(
        "--region", action="append", metavar="CODE", help="limit writes to this county (repeatable)"
    )
    uc.set_defaults(func=_users_create)
    uk = users.add_parser("key", help="issue another API key for a user")
    uk.add_argument("--name", required=True)
    uk.add_argument("--label")
    uk.set_defaults(func=_users_key)
    ur = users.add_parser("revoke", help="revoke every key of a user")
    ur.add_argument("--name", required=True)
    ur.set_defaults(func=_users_revoke)
    users.add_parser("list", help="list users").set_defaults(func=_users_list)
    cli_ops.register_users(users)
    im = sub.add_parser("import", help="import a file into a layer (progress bar, report)")
    im.add_argument("collection")
    im.add_argument("file", help=".gpkg, .zip (Shapefile), .shp, .geojson, .kml or .csv")
    im.add_argument("--crs", help="EPSG:n or GCJ02 (overrides the file's CRS)")
    im.add_argument("--encoding", help="attribute encoding, e.g. GBK (overrides .cpg)")
    im.add_argument("--map", action="append", metavar="SRC=DST", help="column → attribute")
    im.add_argument("--mode", choices=["all", "partial"], default="all")
    im.add_argument("--repair", action="store_true", help="repair invalid geometry")
    im.add_argument("--layer", help="layer of a multi-layer file")
    im.add_argument("--actor", default="cli-import", help="name recorded in the audit log")
    im.set_defaults(func=_import)
    cli_notify.add_parser(sub)
    cli_ops.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from geo.kernel.errors import ServiceError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args, Settings())
    except ServiceError as exc:
        print(f"error: {exc.description}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
