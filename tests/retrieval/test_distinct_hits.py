"""Five hits are five different things: a sentence two documents share is shown once, and the
other document still answers when it is asked for. Real model, a small corpus on tmp_path."""

from __future__ import annotations

import pytest

from assistant.services import Services
from tests.conftest import fixed_services, make_settings

MANIFEST = """
[[source]]
id = "nation"
title = "国家碳达峰行动方案"
level = "国家"
file = "nation.txt"

[[source]]
id = "province"
title = "湖南省碳达峰实施方案"
level = "省"
jurisdiction = "湖南省"
file = "province.txt"
"""
SHARED = (
    "到2025年，单位国内生产总值能耗比2020年下降13.5%，单位国内生产总值二氧化碳排放比2020年下降18%。"
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    root = tmp_path_factory.mktemp("distinct")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "sources.toml").write_text(MANIFEST, "utf-8")
    (corpus / "nation.txt").write_text(
        f"国家碳达峰行动方案\n一、主要目标\n1.能耗和排放。{SHARED}\n"
        "二、重点任务\n1.推广新能源汽车。大力推广新能源汽车，逐步降低传统燃油汽车占比。\n",
        "utf-8",
    )
    (corpus / "province.txt").write_text(
        f"湖南省碳达峰实施方案\n一、总体要求\n1.国家目标。{SHARED}\n"
        "二、湖南任务\n1.发展抽水蓄能。加快平江、安化抽水蓄能电站建设。\n",
        "utf-8",
    )
    built = fixed_services(make_settings(root / "data", root / "cache", corpus_dir=corpus))
    assert not built.ingest.ingest().failed
    return built


def _with_shared(hits: list) -> list:  # type: ignore[type-arg]
    return [h for h in hits if "13.5%" in h.text]


def test_a_shared_sentence_is_shown_once(services: Services) -> None:
    hits = services.search.search("单位国内生产总值能耗比2020年下降多少", k=5)
    assert len(hits) >= 2  # the other clauses still fill the list
    assert len(_with_shared(hits)) == 1


@pytest.mark.parametrize(
    ("asked", "source"),
    [
        ({"source_id": "province"}, "province"),
        ({"level": "省"}, "province"),
        ({"source_id": "nation"}, "nation"),
    ],
)
def test_the_other_document_answers_when_asked_for(
    services: Services, asked: dict[str, str], source: str
) -> None:
    hits = services.search.search("单位国内生产总值能耗比2020年下降多少", k=5, **asked)
    assert hits[0].source_id == source and "13.5%" in hits[0].text


def test_the_level_a_question_names_keeps_its_copy(services: Services) -> None:
    hits = services.search.search("湖南省要求单位国内生产总值能耗下降多少", k=5)
    assert [h.source_id for h in _with_shared(hits)] == ["province"]
    hits = services.search.search("国家要求单位国内生产总值能耗下降多少", k=5)
    assert [h.source_id for h in _with_shared(hits)] == ["nation"]
