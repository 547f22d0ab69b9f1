"""Schemathesis over the app's own OpenAPI schema, in process: valid and invalid requests to
every operation, logged in as the office, and never a server error.

Driven through schemathesis' Python API (its lazy pytest fixture loader does not run on pytest 9).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from assistant.services import Services
from tests.hardening.conftest import make_app

FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_no_request_makes_a_server_error(services: Services) -> None:
    account = services.accounts.add_user(
        "fuzz-office", "fuzz password", role="office", department=None
    )
    office = {"Authorization": f"Bearer {services.accounts.issue_token(account)}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", make_app(services))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/ask", "/api/search", "/api/tasks/{task_id}"}
    for operation in operations:
        for mode in GenerationMode:

            @FUZZ
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=office, checks=[not_a_server_error])

            try:
                fuzz()
            except Unsatisfiable:  # no input to get wrong (GET /healthz)
                assert mode is GenerationMode.NEGATIVE, operation.label
