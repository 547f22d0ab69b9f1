"""An app over the plan's services, and accounts to log in with."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services

PASSWORD = "correct horse battery"


@pytest.fixture
def client(plan_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(plan_services, session_secret="test-secret")) as test_client:
        yield test_client


def make_user(services: Services, role: str, department: str | None = None) -> str:
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    services.accounts.add_user(name, PASSWORD, role=role, department=department)
    return name


def bearer(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
