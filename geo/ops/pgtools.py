"""The PostgreSQL client programs (pg_dump, pg_restore), matched to the server's version,
and their connection settings passed as libpq environment variables: a password never
appears on a command line (where ``ps`` would show it) nor in a log."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

# libpq keyword -> environment variable (https://www.postgresql.org/docs/15/libpq-envars.html)
_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class ToolError(RuntimeError):
    """A client program is missing, too old for the server, or failed."""


def libpq_url(database_url: str) -> str:
    """The URL without a SQLAlchemy driver name.

    >>> libpq_url("postgresql+psycopg://u@h:5432/d")
    'postgresql://u@h:5432/d'
    """
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", database_url)


def libpq_env(database_url: str, dbname: str | None = None) -> dict[str, str]:
    """The process environment with the PG* variables of ``database_url`` (or of another
    database on the same server) set over it.

    >>> env = libpq_env("postgresql://ops:s3cret@db.example:6432/ledger")
    >>> env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"], env["PGPASSWORD"]
    ('db.example', '6432', 'ops', 'ledger', 's3cret')
    """
    params = conninfo_to_dict(libpq_url(database_url))
    if dbname is not None:
        params["dbname"] = dbname
    env = dict(os.environ)  # PGSSLMODE, PGPASSFILE… set by the operator still apply
    for key, value in params.items():
        if key in _ENV and value is not None:
            env[_ENV[key]] = str(value)
    return env


def tool_major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise ToolError(f"cannot read the version of {path}: {out!r}")
    return int(match.group(1))


def find_tool(name: str, server_major: int, bin_dir: str | None = None) -> str:
    """``pg_dump``/``pg_restore`` at least as new as the server (an older pg_dump refuses a
    newer server; Debian keeps each major version under /usr/lib/postgresql/N/bin)."""
    candidates = [
        Path(bin_dir) / name if bin_dir else None,
        Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"),
        Path(shutil.which(name) or ""),
    ]
    for path in candidates:
        usable = path and path.name == name and path.is_file() and os.access(path, os.X_OK)
        if usable and tool_major(str(path)) >= server_major:
            return str(path)
    raise ToolError(
        f"no {name} of PostgreSQL {server_major} or newer found (looked in "
        f"{bin_dir or '-'}, /usr/lib/postgresql/{server_major}/bin and PATH); "
        f"install postgresql-client-{server_major} or set RM_PG_BIN_DIR"
    )


def run(args: list[str], env: dict[str, str]) -> None:
    """Runs a client program; its stderr becomes the error message when it fails."""
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolError(f"{Path(args[0]).name} failed ({proc.returncode}): {proc.stderr.strip()}")
