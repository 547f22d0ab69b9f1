"""Registry fixtures: every test runs on a SQLite file and on the local PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assistant.settings import Settings
from policyqa.storage import build_registry
from registry.service import Registry
from retrieval.ingest import parse_source
from retrieval.loaders import read_blocks
from retrieval.sources import load_sources
from tests.conftest import CORPUS, NOW, FixedClock

# The server this machine kind and CI run (trust auth); override for another one.
ADMIN_URL = os.environ.get(
    "POLICYQA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_database() -> Iterator[str]:
    admin_url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg")
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc.__class__.__name__}")
    name = f"policyqa_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        # the plain form users write; the registry picks the driver
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None  # the default: a SQLite file under DATA_DIR
    else:
        yield from _postgres_database()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def registry_settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        _env_file=None, data_dir=tmp_path / "data", corpus_dir=CORPUS, database_url=database_url
    )


@pytest.fixture
def registry(registry_settings: Settings, clock: FixedClock) -> Registry:
    return build_registry(registry_settings, clock=clock)


def sync_plan(registry: Registry, text: str | None = None, tmp_path: Path | None = None) -> None:
    """Extract the plan (or a changed text of it) into the registry, as ingest does."""
    source = load_sources(CORPUS / "sources.toml")["xiangyin-plan"]
    path = CORPUS / source.file
    if text is not None:
        assert tmp_path is not None
        path = tmp_path / "plan.txt"
        path.write_text(text, "utf-8")
    document = parse_source(read_blocks(path), source)
    registry.sync_document(
        source_id=source.id, title=document.title, level=source.level, document=document
    )


@pytest.fixture
def plan_registry(registry: Registry) -> Registry:
    sync_plan(registry)
    return registry
