"""Shared fixtures: settings on tmp_path, a network guard, a fixed clock, and the plan ingested once.

No test reads the machine's calendar: services are built with ``fixed_services`` on a clock the
test sets (``NOW`` unless it says otherwise), so the suite passes on any date.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from pathlib import Path

import pytest

from assistant.services import Services
from assistant.settings import Settings
from policyqa.composition import build_services
from policyqa.storage import TIMEZONE
from retrieval.sources import Source, file_id, save_source

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


# A Tuesday in mid-September: no month end, no holiday near; tests about the calendar name theirs.
NOW = dt.datetime(2026, 9, 15, 10, 0, tzinfo=TIMEZONE)
# Before any day the suite runs on: a message queued then is due for a process on the machine's
# clock (a CLI, a bot, a dispatcher started by the test), whatever the date.
PAST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


class FixedClock:
    """A clock that says what the test sets: ``clock.now = …``."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def fixed_services(settings: Settings, clock: FixedClock | None = None) -> Services:
    """The product's services, on ``clock`` (a fixed ``NOW`` by default)."""
    return build_services(settings, clock=clock or FixedClock())


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # unix sockets


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk only to 127.0.0.1: a model download or telemetry call fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        if not _is_local(address):
            raise ConnectionRefusedError(f"tests may not reach {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the whole run, so the plan is embedded once."""
    return tmp_path_factory.mktemp("embedding-cache")


def make_settings(data_dir: Path, cache_dir: Path, **overrides: object) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        corpus_dir=overrides.pop("corpus_dir", CORPUS),
        cache_dir=cache_dir,
        **overrides,
    )


def list_file(data_dir: Path, path: Path, *, title: str = "", **entry: str) -> str:
    """Enter ``path`` in the uploads' manifest, as publishing an upload does, so that
    ``policyqa ingest PATH`` reads it as a listed (verified) document: into the ledger too.
    Named after the file; its id is returned."""
    source_id = file_id(path.stem)
    save_source(
        data_dir / "uploads" / "sources.toml",
        Source(id=source_id, title=title or path.stem, file=str(path), **entry),
    )
    return source_id


@pytest.fixture
def settings(tmp_path: Path, embedding_cache: Path) -> Settings:
    return make_settings(tmp_path / "data", embedding_cache)


@pytest.fixture(scope="session")
def plan_services(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Services:
    """Services over the county plan, ingested once with the real embedding model."""
    services = fixed_services(make_settings(tmp_path_factory.mktemp("plan"), embedding_cache))
    report = services.ingest.ingest()
    assert not report.failed, report.failed
    return services
