"""The same code on a Chroma server and PostgreSQL: several processes serve one index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from assistant.settings import Settings
from tests.conftest import fixed_services
from tests.fakes.servers import free_port
from tests.scaleout.conftest import copy_corpus, node_env

PLAN_ID = "xiangyin-plan"


def _settings(
    tmp_path: Path, chroma_url: str, postgres_url: str, prefix: str, corpus: Path
) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / f"node-{uuid.uuid4().hex[:6]}",  # nothing shared on local disk
        corpus_dir=corpus,
        cache_dir=tmp_path / "cache",
        chroma_url=chroma_url,
        database_url=postgres_url,
        retrieval={"collection_prefix": prefix},
    )


def test_two_nodes_share_index_and_registry(
    tmp_path: Path, chroma_url: str, postgres_url: str
) -> None:
    corpus = copy_corpus(tmp_path)
    prefix = f"t{uuid.uuid4().hex[:6]}_"
    first = fixed_services(_settings(tmp_path, chroma_url, postgres_url, prefix, corpus))
    second = fixed_services(_settings(tmp_path, chroma_url, postgres_url, prefix, corpus))
    report = first.ingest.ingest()
    assert report.index.chunks > 20 and not report.failed
    # the other node sees what the first ingested: index from Chroma, ledger from PostgreSQL
    assert second.search.search("到2030年要新增多少公用充电桩", k=1)[0].clause == "二、（一）2."
    assert [t.clause for t in second.registry.tasks(department="林业局")] == [
        "二、（一）4.",
        "二、（二）5.",
        "二、（三）",
    ]

    plan = corpus / "xiangyin-shuangtan-plan.txt"
    plan.write_text(plan.read_text("utf-8").replace("1107个", "1300个"), "utf-8")
    assert first.ingest.ingest().index.updated == [PLAN_ID]
    deadline = time.monotonic() + 10
    while "1300个" not in second.search.search("公用充电桩", k=1)[0].text:
        assert time.monotonic() < deadline, "the second node kept serving the old index"
        time.sleep(0.5)


def test_counties_see_their_own_plans_and_the_shared_ones(
    tmp_path: Path, chroma_url: str, postgres_url: str
) -> None:
    corpus = copy_corpus(tmp_path)
    (corpus / "other.txt").write_text(
        "示例县碳达峰方案\n一、任务\n1.建设充电桩。至2030年新增公用充电桩88个。（示例县发改局负责）\n",
        "utf-8",
    )
    (corpus / "province.txt").write_text(
        "湖南省充电设施规划\n一、目标\n1.全省充电网络。到2030年全省建成充电桩50万个。\n", "utf-8"
    )
    with (corpus / "sources.toml").open("a", encoding="utf-8") as manifest:
        manifest.write(
            '\n[[source]]\nid = "other-county"\ntitle = "示例县碳达峰方案"\nlevel = "县"\n'
            'jurisdiction = "示例县"\nfile = "other.txt"\n'
            '\n[[source]]\nid = "hunan-charging"\ntitle = "湖南省充电设施规划"\nlevel = "省"\n'
            'jurisdiction = "湖南省"\nfile = "province.txt"\n'
        )
    prefix = f"t{uuid.uuid4().hex[:6]}_"
    xiangyin = fixed_services(_settings(tmp_path, chroma_url, postgres_url, prefix, corpus))
    xiangyin.ingest.ingest()
    documents = {h.document for h in xiangyin.search.search("充电桩", k=10)}
    assert "示例县碳达峰方案" not in documents
    assert {"落实好重“双碳”促转型的任务实施方案", "湖南省充电设施规划"} <= documents
    other = {h.document for h in xiangyin.search.search("充电桩", k=10, county="示例县")}
    assert {"示例县碳达峰方案", "湖南省充电设施规划"} <= other  # its own and the shared ones
    assert "落实好重“双碳”促转型的任务实施方案" not in other


def test_two_api_workers_serve_a_new_ingest(
    tmp_path: Path, chroma_url: str, postgres_url: str
) -> None:
    env = node_env(
        tmp_path,
        chroma_url,
        postgres_url,
        api__public_rate_limit="1000/minute",
        api__session_secret="shared-by-all-workers",
    )
    corpus = Path(env["POLICYQA_CORPUS_DIR"])
    cli = [sys.executable, "-m", "assistant"]
    subprocess.run([*cli, "ingest"], env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url)
        plan = corpus / "xiangyin-shuangtan-plan.txt"
        plan.write_text(plan.read_text("utf-8").replace("1107个", "1400个"), "utf-8")
        subprocess.run([*cli, "ingest"], env=env, check=True, capture_output=True, timeout=300)
        deadline = time.monotonic() + 15
        fresh = 0
        while fresh < 20:  # twenty answers in a row, new connections each: both workers serve it
            assert time.monotonic() < deadline, "a worker kept serving the old index"
            with httpx.Client() as client:
                text = client.get(f"{url}/api/search", params={"q": "公用充电桩", "k": 1}).json()[
                    0
                ]["text"]
            fresh = fresh + 1 if "1400个" in text else 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_several_workers_refuse_an_embedded_index(tmp_path: Path) -> None:
    env = {**os.environ, "POLICYQA_DATA_DIR": str(tmp_path)}
    env.pop("POLICYQA_CHROMA_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and "POLICYQA_CHROMA_URL" in result.stderr


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("workers did not become ready")
