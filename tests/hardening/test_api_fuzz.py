"""Schemathesis over the app's own OpenAPI schema, in process: valid and invalid requests to
every operation, logged in as the office, and never a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from assistant.services import Services
from tests.hardening.conftest import make_app


@pytest.fixture(scope="module")
def api_schema(services: Services) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_asgi("/openapi.json", make_app(services))
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return schema


@pytest.fixture(scope="module")
def office(services: Services) -> dict[str, str]:
    account = services.accounts.add_user(
        "fuzz-office", "fuzz password", role="office", department=None
    )
    return {"Authorization": f"Bearer {services.accounts.issue_token(account)}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_a_server_error(case: schemathesis.Case, office: dict[str, str]) -> None:
    case.call_and_validate(headers=office, checks=[not_a_server_error])
