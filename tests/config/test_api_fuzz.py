"""Schemathesis over every endpoint of /api/schema/ on a live Daphne.

No input makes a 500, anonymous or signed in as an owner, and every response with a documented
status matches its documented schema.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import Application, Role

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def api_schema(live_server_url, transactional_db):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_url(f"{live_server_url}/api/schema/?format=json")


@pytest.fixture
def auth_headers(user_factory, bearer, transactional_db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    Application.objects.get_or_create(game_id="spacegame", defaults={"name": "Space Game"})
    owner = user_factory(email="fuzz-owner@example.com", role=Role.OWNER)
    return {"Authorization": f"Bearer {bearer(owner)}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_a_server_error(case, auth_headers):  # type: ignore[no-untyped-def]
    for headers in ({}, auth_headers):
        response = case.call_and_validate(
            headers=headers, timeout=15, checks=[response_schema_conformance]
        )
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
        )
