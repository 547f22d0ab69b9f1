"""Another county runs the product by configuration: no code names a county or a plan."""

from __future__ import annotations

from pathlib import Path

from assistant.texts import build_texts
from retrieval.sources import load_sources
from tests.conftest import CORPUS, fixed_services, make_settings


def test_the_county_plan_names_itself_from_the_manifest() -> None:
    texts = build_texts(
        county="湘阴县",
        plan_title="",
        assistant_name="",
        sources=load_sources(CORPUS / "sources.toml"),
    )
    assert texts.assistant_name == "湘阴县“双碳”政策助手"
    assert "《落实好重“双碳”促转型的任务实施方案》" in texts.welcome
    assert texts.county_words == ("湘阴县", "湘阴")


def test_another_county_by_settings_alone(tmp_path: Path, embedding_cache: Path) -> None:
    settings = make_settings(
        tmp_path / "data",
        embedding_cache,
        county="临澧县",
        plan_title="临澧县碳达峰行动实施方案",
    )
    services = fixed_services(settings)
    texts = services.texts
    assert texts.assistant_name == "临澧县“双碳”政策助手"
    assert "《临澧县碳达峰行动实施方案》" in texts.welcome and "湘阴" not in texts.welcome
    assert "临澧县“双碳”政策助手" in texts.system_prompt
    refusal = services.answers.ask("明天会下雨吗", audience="public")
    assert refusal.kind == "out_of_scope"
    assert "临澧县" in refusal.answer and "湘阴" not in refusal.answer
