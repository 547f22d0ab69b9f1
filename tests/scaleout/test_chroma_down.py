"""The Chroma server goes away (a TCP proxy in front of a real ``chroma run`` is cut): search keeps
answering from BM25 with a warning, and recovers by itself when the server is back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from assistant.settings import Settings
from policyqa.web import build_web_app
from tests.conftest import CORPUS, fixed_services
from tests.fakes.tcp_proxy import TcpProxy

QUESTION = "到2030年要新增多少公用充电桩？"
OTHER_QUESTION = "公用充电桩到2030年建多少个？"


@pytest.fixture
def proxy(chroma_url: str) -> Iterator[TcpProxy]:
    parts = urlparse(chroma_url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 8000))
    proxy.start()
    yield proxy
    proxy.stop()


def _settings(tmp_path: Path, proxy: TcpProxy, prefix: str) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / f"node-{uuid.uuid4().hex[:6]}",
        corpus_dir=CORPUS,
        cache_dir=tmp_path / "cache",
        chroma_url=f"http://127.0.0.1:{proxy.port}",
        retrieval={"collection_prefix": prefix},
    )


def test_search_degrades_to_bm25_and_recovers(tmp_path: Path, proxy: TcpProxy) -> None:
    prefix = f"d{uuid.uuid4().hex[:6]}_"
    services = fixed_services(_settings(tmp_path, proxy, prefix))
    services.ingest.ingest()
    with TestClient(build_web_app(services)) as client:
        healthy = client.post("/api/ask", json={"question": QUESTION}).json()
        assert healthy["warnings"] == [] and "1107" in healthy["answer"]

        proxy.stop()
        time.sleep(2.1)  # past the catalog check: the searcher finds the server gone
        for _ in range(2):  # a degraded answer is not cached: the second is degraded too
            degraded = client.post("/api/ask", json={"question": OTHER_QUESTION})
            assert degraded.status_code == 200
            body = degraded.json()
            assert body["warnings"] == ["search_degraded"]
            assert "1107" in body["answer"]
            assert body["citations"][0]["clause"] == "二、（一）2."
        # a question answered before the outage is repeated from the answer cache, in full
        assert client.post("/api/ask", json={"question": QUESTION}).json() == healthy
        hits = client.get("/api/search", params={"q": "公用充电桩", "k": 3})
        assert hits.status_code == 200 and hits.json()[0]["clause"] == "二、（一）2."
        assert client.get("/readyz").status_code == 200  # still serving

        proxy.start()
        time.sleep(2.1)
        back = client.post("/api/ask", json={"question": OTHER_QUESTION}).json()
        assert back["warnings"] == [] and "1107" in back["answer"]


def test_a_process_started_while_chroma_is_down(tmp_path: Path, proxy: TcpProxy) -> None:
    prefix = f"d{uuid.uuid4().hex[:6]}_"
    settings = _settings(tmp_path, proxy, prefix)
    fixed_services(settings).ingest.ingest()
    proxy.stop()
    services = fixed_services(settings)  # starts: the client connects on first use
    with TestClient(build_web_app(services)) as client:
        down = client.post("/api/ask", json={"question": QUESTION})
        assert down.status_code == 503
        assert down.json() == {"error": "检索服务暂时无法连接，请稍后再试。"}
        assert client.get("/readyz").status_code == 503
        proxy.start()
        up = client.post("/api/ask", json={"question": QUESTION})
        assert up.status_code == 200 and "1107" in up.json()["answer"]

    proxy.stop()
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_CACHE_DIR": str(settings.cache_dir),
        "POLICYQA_CHROMA_URL": settings.chroma_url or "",
        "POLICYQA_RETRIEVAL__COLLECTION_PREFIX": prefix,
    }
    for command in (["ask", QUESTION], ["ingest"]):
        result = subprocess.run(
            [sys.executable, "-m", "assistant", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 1, result.stderr
        assert "检索服务（Chroma）暂时无法连接" in result.stderr
        assert "Traceback" not in result.stderr
