"""Hardening fixtures: apps without rate limits, services with a registry of their own over the
plan's index, and a PostgreSQL database when the local server is reachable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from tests.conftest import fixed_services, make_settings
from tests.registry.conftest import _postgres_database, sync_plan

UNLIMITED = "1000000/minute"


def make_app(services: Services, **options: Any) -> FastAPI:
    """The app with limits no test reaches (rate limiting has tests of its own)."""
    options = {"public_rate_limit": UNLIMITED, "login_rate_limit": UNLIMITED, **options}
    return create_app(services, session_secret="hardening", **options)


def services_over_the_plan(plan_services: Services, database_url: str) -> Services:
    """Services sharing the plan's index (read only) with their own registry, synced from the
    plan: tests that write to the registry leave the session's plan untouched."""
    plan = plan_services.settings
    settings = make_settings(plan.data_dir, plan.embedding_cache.parent, database_url=database_url)
    services = fixed_services(settings)
    sync_plan(services.registry)
    return services


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'registry.sqlite3'}"


@pytest.fixture(scope="module")
def services(plan_services: Services, tmp_path_factory: pytest.TempPathFactory) -> Services:
    return services_over_the_plan(plan_services, sqlite_url(tmp_path_factory.mktemp("registry")))


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(make_app(services)) as test_client:
        yield test_client


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server (skips when there is none)."""
    yield from _postgres_database()
