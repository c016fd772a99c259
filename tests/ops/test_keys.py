"""Key rotation: `users rotate` issues a new key; the old ones keep working for the grace
period, or stop at once with --grace-hours 0."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.cli import main
from app.main import create_app
from tests.fresh_db import make_key


@pytest.fixture(scope="module")
def api(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def rotate(monkeypatch, capsys, settings, *args: str) -> dict[str, str]:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert main(["users", "rotate", *args]) == 0
    return {"Authorization": f"Bearer {capsys.readouterr().out.strip().splitlines()[-1]}"}


def test_rotation_with_and_without_grace(api, engine, settings, monkeypatch, capsys):
    name = f"rotating-admin-{uuid.uuid4().hex[:6]}"
    first = make_key(engine, name, "admin")
    assert api.get("/metrics", headers=first).status_code == 200
    second = rotate(monkeypatch, capsys, settings, "--name", name, "--grace-hours", "2")
    assert api.get("/metrics", headers=first).status_code == 200  # still in its grace period
    assert api.get("/metrics", headers=second).status_code == 200
    with engine.connect() as conn:
        left = conn.execute(
            text(
                "SELECT expires_at - now() FROM api_keys k JOIN users u ON u.id = k.user_id "
                "WHERE u.name = :n AND k.label IS DISTINCT FROM 'rotated'"
            ),
            {"n": name},
        ).scalar_one()
    assert 1.9 * 3600 < left.total_seconds() <= 2 * 3600
    third = rotate(monkeypatch, capsys, settings, "--name", name, "--grace-hours", "0")
    assert api.get("/metrics", headers=first).status_code == 401
    assert api.get("/metrics", headers=second).status_code == 401
    assert api.get("/metrics", headers=third).status_code == 200


def test_rotation_of_an_unknown_user_or_a_negative_grace_is_refused(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    assert main(["users", "rotate", "--name", "nobody-here"]) == 2
    assert main(["users", "rotate", "--name", "nobody-here", "--grace-hours", "-1"]) == 2
