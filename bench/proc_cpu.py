"""CPU seconds spent by a server (its process and every descendant: uvicorn's workers) and by
the PostgreSQL backends connected to one database, read from /proc before and after a run.

Divided by the requests answered, this says where a request's cost lies (the service's Python
or the database) independently of how busy the shared machine was: a CPU-bound service on 2
cores can answer at most 2 / (CPU seconds per request) requests a second."""

from __future__ import annotations

import os
from dataclasses import dataclass

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Snapshot:
    server: dict[int, float]
    database: dict[int, float]


def snapshot(server_pid: int, database: str) -> Snapshot:
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := _stat(int(name))) is not None:
            stats[int(name)] = st
    tree, grew = {server_pid}, True
    while grew:
        kids = {pid for pid, (ppid, _) in stats.items() if ppid in tree} - tree
        tree |= kids
        grew = bool(kids)
    # A backend's title: "postgres: 15/main: <user> <database> <client> <state>".
    marker = f" {database} "
    backends = {
        pid: cpu
        for pid, (_, cpu) in stats.items()
        if pid not in tree and (cmd := _cmdline(pid)).startswith("postgres:") and marker in cmd
    }
    return Snapshot({pid: stats[pid][1] for pid in tree if pid in stats}, backends)


def used(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds between two snapshots (processes that started in between count from 0)."""

    def delta(a: dict[int, float], b: dict[int, float]) -> float:
        return sum(cpu - a.get(pid, 0.0) for pid, cpu in b.items())

    return {
        "server_cpu_s": round(delta(before.server, after.server), 2),
        "database_cpu_s": round(delta(before.database, after.database), 2),
    }
