"""Real servers on 127.0.0.1: a Chroma server started from the chromadb package, and the
machine's PostgreSQL (a fresh database per test)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS
from tests.fakes.servers import free_port
from tests.registry.conftest import _postgres_database

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMA.exists():
        pytest.skip("the chroma command of the chromadb package is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    server = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("chroma server did not start")
    yield url
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def copy_corpus(tmp_path: Path) -> Path:
    """The corpus copied to ``tmp_path / "corpus"`` (once), for a test that changes it."""
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        shutil.copytree(CORPUS, corpus)
    return corpus


def node_env(tmp_path: Path, chroma_url: str, postgres_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``python -m assistant`` process on the shared servers, over a copy of
    the corpus (``tmp_path / "corpus"``) that a test may change, with index collections of its own;
    ``extra`` adds ``POLICYQA_*`` settings."""
    corpus = copy_corpus(tmp_path)
    return {
        **os.environ,
        "POLICYQA_DATA_DIR": str(tmp_path / "node"),
        "POLICYQA_CORPUS_DIR": str(corpus),
        "POLICYQA_CACHE_DIR": str(tmp_path / "cache"),
        "POLICYQA_CHROMA_URL": chroma_url,
        "POLICYQA_DATABASE_URL": postgres_url,
        "POLICYQA_RETRIEVAL__COLLECTION_PREFIX": f"n{uuid.uuid4().hex[:6]}_",
        **{f"POLICYQA_{key.upper()}": value for key, value in extra.items()},
    }
