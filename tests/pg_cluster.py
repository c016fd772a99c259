"""PostgreSQL clusters owned by a test: a throwaway primary (initdb on a free port, in a
temporary directory, run as the postgres user) and streaming standbys made from it with
pg_basebackup. The machine's main cluster is never touched, restarted or reconfigured."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg

from geo.kernel import db
from geo.kernel.config import Settings
from geo.samples.load import load_samples
from tests.conftest import _free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
APP_DB = "rm_cluster"


def as_postgres(*cmd: str) -> None:
    """Runs a server command as the postgres user (the tests run as root)."""
    r = subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stdout}{r.stderr}")


def _postgres_dir() -> Path:
    # Not under pytest's tmp_path: its parents are closed to the postgres user.
    path = Path(tempfile.mkdtemp(prefix="rm_pg_"))
    shutil.chown(path, "postgres", "postgres")
    return path


class Cluster:
    def __init__(self, root: Path, port: int):
        self.root, self.port = root, port
        self.data = root / "data"

    def url(self, dbname: str = APP_DB) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> Cluster:
        opts = f"-p {self.port} -k {self.root}"
        log = str(self.root / "server.log")
        as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", log, "-w", "start"
        )
        return self

    def stop(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        r = subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "status",
            ],
            capture_output=True,
        )
        return r.returncode == 0

    def execute(self, sql: str, dbname: str = APP_DB):
        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else None

    def remove(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def new_primary() -> Cluster:
    """initdb with trust on loopback (replication included), streaming WAL enabled."""
    cluster = Cluster(_postgres_dir(), _free_port())
    as_postgres(
        str(PG_BIN / "initdb"),
        "-D",
        str(cluster.data),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
    )
    conf = (
        "listen_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 5\n"
        "hot_standby = on\nfsync = off\nshared_buffers = 32MB\nmax_connections = 100\n"
    )
    with open(cluster.data / "postgresql.auto.conf", "a") as f:
        f.write(conf)
    return cluster.start()


def new_standby(primary: Cluster) -> Cluster:
    """A hot standby streaming from ``primary`` (pg_basebackup -R writes its settings)."""
    standby = Cluster(_postgres_dir(), _free_port())
    as_postgres(
        str(PG_BIN / "pg_basebackup"),
        *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
        *("-D", str(standby.data), "-R", "-X", "stream", "-c", "fast"),
    )
    return standby.start()


def load_app_database(cluster: Cluster) -> str:
    """The service's database on ``cluster``: PostGIS, migrations at head, sample layers."""
    cluster.execute(f"CREATE DATABASE {APP_DB}", "postgres")
    cluster.execute("CREATE EXTENSION postgis")
    settings = Settings(database_url=cluster.url())
    db.upgrade(settings)
    engine = db.sync_engine(settings)
    with engine.begin() as conn:
        load_samples(conn)
    engine.dispose()
    return cluster.url()


@contextmanager
def clusters(standby: bool) -> Iterator[tuple[Cluster, Cluster | None]]:
    """A loaded primary (and its standby), stopped and deleted afterwards."""
    primary, replica = new_primary(), None
    try:
        load_app_database(primary)
        if standby:
            replica = new_standby(primary)
        yield primary, replica
    finally:
        for c in (replica, primary):
            if c is not None:
                c.remove()


def wait_until(check, timeout: float = 20.0, step: float = 0.2):
    """Polls ``check`` until it returns a truthy value; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {check}")
        time.sleep(step)


def run_async(coro):
    """``asyncio.run`` in a thread of its own: in a whole-suite run the browser tests'
    Playwright keeps an event loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
