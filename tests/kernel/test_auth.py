"""API keys, roles and scopes: the command line, bearer authentication, non-public layers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from geo.kernel.auth import Principal
from tests.catalog.wait import until_status

ROOT = Path(__file__).resolve().parents[2]


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def viewer_key(database_url) -> str:
    done = _cli(database_url, "users", "create", "--role", "viewer", "--name", "test-viewer")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("rm_")
    return key


@pytest.fixture
def private_layer(engine, client):
    # The app's catalog learns of the change through NOTIFY, after the commit: wait for it.
    with engine.begin() as conn:
        conn.execute(text("UPDATE layers SET public = false WHERE name = 'wetland_parks'"))
    until_status(client, "/collections/wetland_parks", (401,))
    yield "wetland_parks"
    with engine.begin() as conn:
        conn.execute(text("UPDATE layers SET public = true WHERE name = 'wetland_parks'"))
    until_status(client, "/collections/wetland_parks", (200,))


def test_key_is_stored_hashed_and_shown_once(database_url, engine, viewer_key):
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM api_keys")).scalars().all()
    assert viewer_key not in stored and all(len(h) == 64 for h in stored)
    listing = _cli(database_url, "users", "list")
    assert "test-viewer" in listing.stdout and viewer_key not in listing.stdout


def test_non_public_layer_needs_a_key(client, private_layer, viewer_key):
    anonymous = client.get(f"/collections/{private_layer}/items")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    ok = client.get(
        f"/collections/{private_layer}/items", headers={"Authorization": f"Bearer {viewer_key}"}
    )
    assert ok.status_code == 200
    assert viewer_key not in ok.text


@pytest.mark.parametrize(
    "header", ["Bearer rm_nope_nope", "Bearer garbage", "Basic dXNlcjpwYXNz", "Bearer "]
)
def test_bad_credentials_are_401_not_anonymous(client, header):
    resp = client.get("/collections/mining_pits/items", headers={"Authorization": header})
    assert resp.status_code == 401


def test_revoked_and_expired_keys_are_refused(client, database_url, engine, private_layer):
    made = _cli(database_url, "users", "create", "--role", "editor", "--name", "short-lived")
    key = made.stdout.strip().splitlines()[-1]
    url = f"/collections/{private_layer}/items"
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get(url, headers=auth).status_code == 200
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE api_keys SET expires_at = now() - interval '1 second' "
                "WHERE user_id = (SELECT id FROM users WHERE name = 'short-lived')"
            )
        )
    assert client.get(url, headers=auth).status_code == 401
    with engine.begin() as conn:
        conn.execute(text("UPDATE api_keys SET expires_at = NULL"))
    assert client.get(url, headers=auth).status_code == 200
    assert _cli(database_url, "users", "revoke", "--name", "short-lived").returncode == 0
    assert client.get(url, headers=auth).status_code == 401


def test_cli_refuses_unknown_regions_and_duplicates(database_url):
    bad = _cli(
        database_url, "users", "create", "--role", "editor", "--name", "x", "--region", "999999"
    )
    assert bad.returncode == 2 and "999999" in bad.stderr
    _cli(database_url, "users", "create", "--role", "editor", "--name", "dup")
    again = _cli(database_url, "users", "create", "--role", "editor", "--name", "dup")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_scopes_and_roles():
    manas = Principal(1, "m", "editor", frozenset({"652324"}))
    prefecture = Principal(2, "p", "editor", frozenset({"652300"}))
    everyone = Principal(3, "a", "admin", None)
    assert manas.covers("652324") and not manas.covers("652301") and not manas.covers(None)
    assert prefecture.covers("652301") and prefecture.covers("652328")
    assert not prefecture.covers("652701")
    assert everyone.covers(None) and everyone.covers("652301")
    assert manas.has_role("inspector") and not manas.has_role("admin")
