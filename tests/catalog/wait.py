"""Waiting for the in-process catalog to learn of a committed layer change (NOTIFY arrives
after the commit, asynchronously)."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient


def until_status(client: TestClient, path: str, statuses: tuple[int, ...], within_s: float = 10):
    """Requests ``path`` until it answers one of ``statuses``; fails after ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        status = client.get(path).status_code
        if status in statuses:
            return status
        assert time.monotonic() < deadline, f"{path}: still {status} after {within_s} s"
        time.sleep(0.02)
