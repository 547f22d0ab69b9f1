"""The ``policyqa`` command line, run as a real subprocess: scripts rely on its exact output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.sources import load_sources
from tests.conftest import CORPUS

QUESTION = "到2030年要新增多少公用充电桩"


def run(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(tmp_path_factory.mktemp("cli-data")),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_CACHE_DIR": str(embedding_cache),
    }
    result = run(["ingest"], environment)
    assert result.returncode == 0, result.stderr
    # every manifest entry with a text: the plan, the guide, the policies above the plan
    texts = [s for s in load_sources(CORPUS / "sources.toml").values() if s.file]
    assert result.stdout.startswith(f"入库完成：文档 {len(texts)} 篇")
    assert "台账更新：任务 10 项" in result.stdout
    return environment


def test_search_json_contract(env: dict[str, str]) -> None:
    result = run(["search", QUESTION, "--json", "-k", "3"], env)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert set(hits[0]) == {"document", "clause", "heading", "text", "score"}
    assert hits[0]["clause"] == "二、（一）2."
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_reads_questions_from_stdin_in_order(env: dict[str, str]) -> None:
    result = run(["search", "-", "-k", "2"], env, stdin=f"{QUESTION}\n专班办公室设在哪里\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])[0]["clause"] == "二、（一）2."
    assert json.loads(lines[1])[0]["clause"] == "三、"


def test_guides_are_searched_only_when_asked(env: dict[str, str]) -> None:
    plain = json.loads(run(["search", "旧冰箱怎么处理", "--json"], env).stdout)
    both = json.loads(run(["search", "旧冰箱怎么处理", "--json", "--include-guides"], env).stdout)
    assert all(h["document"] != "湘阴县绿色生活指南" for h in plain)
    assert both[0]["document"] == "湘阴县绿色生活指南"


def test_ask_json_contract(env: dict[str, str]) -> None:
    result = run(["ask", "县林业局负责哪些任务？", "--json"], env)
    answer = json.loads(result.stdout)
    assert set(answer) == {"answer", "citations", "kind"}
    assert answer["kind"] == "department_tasks"
    assert [c["clause"] for c in answer["citations"]][:3] == [
        "二、（一）4.",
        "二、（二）5.",
        "二、（三）",
    ]
    assert set(answer["citations"][0]) == {"document", "clause", "text"}
    lines = run(
        ["ask", "-", "--audience", "public"], env, stdin="旧冰箱怎么处理\n明天下雨吗\n"
    ).stdout
    kinds = [json.loads(line)["kind"] for line in lines.splitlines()]
    assert kinds == ["green_living", "out_of_scope"]


def test_plain_search_output_cites_document_and_clause(env: dict[str, str]) -> None:
    result = run(["search", QUESTION, "-k", "1"], env)
    assert "《落实好重“双碳”促转型的任务实施方案》二、（一）2." in result.stdout


def test_second_ingest_is_skipped(env: dict[str, str]) -> None:
    result = run(["ingest"], env)
    assert result.returncode == 0
    assert "更新 0，未变 2" in result.stdout and "台账无变化" in result.stdout


def test_unknown_source_id_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    doc = tmp_path / "x.txt"
    doc.write_text("一、测试\n内容。", "utf-8")
    result = run(["ingest", str(doc), "--source-id", "nope"], env)
    assert result.returncode == 1
    assert "来源清单中没有 nope" in result.stderr
    assert "Traceback" not in result.stderr


def test_search_before_ingest_says_what_to_do(tmp_path: Path, embedding_cache: Path) -> None:
    environment = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(tmp_path),
        "POLICYQA_CACHE_DIR": str(embedding_cache),
    }
    result = run(["search", QUESTION], environment)
    assert result.returncode == 1
    assert "请先运行 policyqa ingest" in result.stderr
