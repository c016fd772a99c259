"""The two contenders as subprocesses: our service (``python -m app serve``) and tipg
(uvicorn in its own virtualenv ``bench/.tipg-venv``), both on the same database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TIPG_VENV = ROOT / "bench" / ".tipg-venv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(proc: subprocess.Popen, url: str, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not answer at {url}: {log.read_text()[-3000:]}")


@contextmanager
def serve(cmd: list[str], env: dict, ready_path: str, log: Path, cwd: Path):
    port = free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(proc, base + ready_path, log)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def tile_cache_mb() -> str:
    return os.environ.get("BENCH_TILE_CACHE_MB", "0")


def ours(database_url: str, log: Path, workers: int = 1, extra_env: dict | None = None):
    """One process by default: the memory benchmark measures it by its pid."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "RM_ITEMS_MAX_LIMIT": "10000",
        "RM_TILES_MAX_FEATURES": "20000",
        # tipg has no tile cache and the tile benchmark repeats the same tiles: compare the
        # work of building a tile, not cache hits (BENCH_TILE_CACHE_MB=128 measures warm).
        "RM_TILE_CACHE_MB": tile_cache_mb(),
        "RM_WORKERS": str(workers),
        **(extra_env or {}),
    }
    cmd = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", "{port}"]
    return serve(cmd, env, "/healthz", log, ROOT)


def tipg(database_url: str, log: Path, workers: int = 1):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "TIPG_DB_SCHEMAS": json.dumps(["bench"]),
        "TIPG_DB_SPATIAL_EXTENT": "false",
        "TIPG_DB_DATETIME_EXTENT": "false",
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        # The same feature cap per tile as the service (RM_TILES_MAX_FEATURES, 20,000), so
        # both build dense low-zoom tiles from the same rows.
        "TIPG_MAX_FEATURES_PER_TILE": "20000",
        "TIPG_CATALOG_TTL": "86400",
    }
    cmd = [
        str(TIPG_VENV / "bin" / "uvicorn"),
        "tipg.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    # cwd: a directory with no .env, so tipg reads only the settings above.
    return serve(cmd, env, "/collections", log, TIPG_VENV)


def tipg_version() -> str:
    r = subprocess.run(
        [str(TIPG_VENV / "bin" / "python"), "-c", "import tipg; print(tipg.__version__)"],
        capture_output=True,
        text=True,
    )
    return r.stdout.strip() or "not installed"
