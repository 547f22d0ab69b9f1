"""Incremental, crash-safe ingest on a small corpus in tmp_path, with the real model."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.settings import Settings
from tests.conftest import fixed_services, make_settings

MANIFEST = """
[[source]]
id = "a"
title = "甲县节能方案"
level = "县"
file = "a.txt"

[[source]]
id = "b"
title = "乙市充电设施规划"
level = "市"
file = "b.txt"
"""


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "sources.toml").write_text(MANIFEST, "utf-8")
    (corpus / "a.txt").write_text(
        "甲县节能方案\n一、目标\n1.推广屋顶光伏。到2027年新增屋顶光伏50兆瓦。（县发改局牵头）\n",
        "utf-8",
    )
    (corpus / "b.txt").write_text(
        "乙市充电设施规划\n一、任务\n1.建设充电桩。到2028年建成公共充电桩300个。（市住建局负责）\n",
        "utf-8",
    )
    return corpus


@pytest.fixture
def corpus_settings(tmp_path: Path, small_corpus: Path, embedding_cache: Path) -> Settings:
    return make_settings(tmp_path / "data", embedding_cache, corpus_dir=small_corpus)


def test_unchanged_documents_are_skipped(corpus_settings: Settings) -> None:
    services = fixed_services(corpus_settings)
    first = services.ingest.ingest().index
    assert sorted(first.updated) == ["a", "b"] and first.documents == 2
    second = services.ingest.ingest().index
    assert second.updated == [] and sorted(second.unchanged) == ["a", "b"]
    assert second.embedded == 0
    assert "文档 2 篇" in second.summary() and "分块" in second.summary()


def test_changed_document_is_replaced_and_others_kept(
    corpus_settings: Settings, small_corpus: Path
) -> None:
    services = fixed_services(corpus_settings)
    services.ingest.ingest()
    (small_corpus / "a.txt").write_text(
        "甲县节能方案\n一、目标\n1.推广地源热泵。到2027年推广地源热泵20台。（县住建局负责）\n",
        "utf-8",
    )
    report = services.ingest.ingest().index
    assert report.updated == ["a"] and report.unchanged == ["b"]
    # A fresh process sees the new generation: old text gone, untouched document still there.
    fresh = fixed_services(corpus_settings)
    assert "地源热泵" in fresh.search.search("地源热泵", k=1)[0].text
    assert all("屋顶光伏" not in h.text for h in fresh.search.search("屋顶光伏", k=5))
    assert fresh.search.search("公共充电桩", k=1)[0].document == "乙市充电设施规划"


def test_a_failed_file_leaves_the_rest_and_the_previous_index(
    corpus_settings: Settings, small_corpus: Path
) -> None:
    services = fixed_services(corpus_settings)
    services.ingest.ingest()
    (small_corpus / "a.txt").write_bytes(b"")
    report = services.ingest.ingest().index
    assert [path for path, _ in report.failed] == [str(small_corpus / "a.txt")]
    assert "a.txt" in report.failed[0][1]
    assert "屋顶光伏" in services.search.search("屋顶光伏", k=1)[0].text


def test_ingest_killed_mid_way_leaves_the_previous_index_serving(
    corpus_settings: Settings, small_corpus: Path
) -> None:
    services = fixed_services(corpus_settings)
    services.ingest.ingest()
    # Enough new clauses that embedding takes seconds, so the kill lands inside the ingest.
    body = "\n".join(f"{n}.第{n}号示范项目完成节能改造{n * 7}处。" for n in range(1, 121))
    (small_corpus / "a.txt").write_text(f"甲县节能方案\n一、目标\n{body}\n", "utf-8")
    cache = corpus_settings.embedding_cache
    before = _cached_rows(cache)
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(corpus_settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(small_corpus),
        "POLICYQA_CACHE_DIR": str(cache.parent),
    }
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ingest"], env=env)
    deadline = time.monotonic() + 120
    while _cached_rows(cache) == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "ingest finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    fresh = fixed_services(corpus_settings)
    assert "屋顶光伏" in fresh.search.search("屋顶光伏", k=1)[0].text
    report = fresh.ingest.ingest().index
    assert report.updated == ["a"]
    assert report.embedded < 120  # what was embedded before the kill is reused
    assert "示范项目" in fresh.search.search("第7号示范项目", k=1)[0].text


def _cached_rows(cache: Path) -> int:
    with sqlite3.connect(cache) as db:
        return db.execute("SELECT count(*) FROM embeddings").fetchone()[0]


def test_ingest_a_file_for_a_manifest_entry(corpus_settings: Settings, tmp_path: Path) -> None:
    services = fixed_services(corpus_settings)
    services.ingest.ingest()
    newer = tmp_path / "b-2026.md"
    newer.write_text(
        "# 乙市充电设施规划\n## 一、任务\n1.建设换电站。到2029年建成换电站12座。\n", "utf-8"
    )
    report = services.ingest.ingest([newer], source_id="b").index
    assert report.updated == ["b"] and report.documents == 2
    hit = services.search.search("换电站", k=1)[0]
    assert hit.document == "乙市充电设施规划" and hit.clause == "一、1."
