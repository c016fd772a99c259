"""A bounded property-based fuzz of the whole OpenAPI document (issue 11, item 5): every
operation gets schemathesis-generated requests (fixed seed: derandomized; a small case
budget per operation), with an admin key so writes get past authentication, against a
database of its own. Any 5xx fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from app.main import create_app
from geo.kernel.config import Settings
from tests.fresh_db import fresh_database, make_key

CASES_PER_OPERATION = 10  # ~470 requests: about a minute on this machine
# The operations, read from the document itself (building it needs no database).
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, ops in create_app(Settings()).openapi()["paths"].items()
    for method in ops
]


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory) -> Iterator[dict]:
    photos = tmp_path_factory.mktemp("fuzz_photos")
    with fresh_database("rm_fuzz", photo_dir=str(photos)) as (s, engine):
        app = create_app(s)
        yield {
            "schema": schemathesis.openapi.from_asgi("/api", app),
            "admin": make_key(engine, "fuzz-admin", "admin"),
        }


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_operation_answers_5xx(fuzz_env, label):
    operation = fuzz_env["schema"].find_operation_by_label(label)
    assert operation is not None, label

    @given(case=operation.as_strategy())
    @settings(
        max_examples=CASES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def no_server_error(case):
        response = case.call(headers=fuzz_env["admin"])
        assert response.status_code < 500, (
            f"{response.status_code} for {case.as_curl_command()}\n{response.text[:500]}"
        )

    no_server_error()
