"""Repeated questions come from the answer cache, and never outlive the data they were built on:
a registry write, another day or a new index generation gives a fresh answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assistant.answer_cache import AnswerCache
from assistant.answers import AnswerService
from assistant.conversation import ConversationStore
from assistant.services import Services
from policyqa.storage import build_registry
from tests.conftest import FixedClock, make_settings
from tests.registry.conftest import sync_plan

QUESTION = "这个月有哪些到期事项？"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 9, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))


@pytest.fixture
def answers(plan_services: Services, tmp_path: Path, clock: FixedClock) -> AnswerService:
    """Answers over the plan's index, a registry of this test's own, and an empty cache."""
    registry = build_registry(make_settings(tmp_path / "data", tmp_path / "cache"), clock=clock)
    sync_plan(registry)
    core = plan_services.answers
    return AnswerService(
        searcher=core._searcher,
        registry=registry,
        tokenizer=core._tokenizer,
        conversations=ConversationStore(),
        texts=plan_services.texts,
        cache=AnswerCache(size=16),
        county=plan_services.settings.county,
    )


def _cache(answers: AnswerService) -> AnswerCache:
    assert answers._cache is not None
    return answers._cache


def test_repeats_are_cached_until_the_registry_or_the_day_changes(
    answers: AnswerService, clock: FixedClock
) -> None:
    cache = _cache(answers)
    registry = answers._registry
    forestry = next(t for t in registry.tasks() if t.clause == "二、（一）4.")
    milestone = registry.add_milestone(
        forestry.id, due=dt.date(2026, 9, 30), description="完成造林选址", actor="专班办公室"
    )

    first = answers.ask(QUESTION, audience="official")
    assert "（待完成）二、（一）4.构建绿色转型新模式：完成造林选址" in first.answer
    again = answers.ask(QUESTION, audience="official", conversation_id="c1")
    assert (cache.hits, cache.misses) == (1, 1)
    assert again.answer == first.answer and again.conversation_id == "c1"

    # the public asking the same words gets its own answer, never the official one
    public = answers.ask(QUESTION, audience="public")
    assert "完成造林选址" not in public.answer and "公众渠道不提供" in public.answer
    assert cache.hits == 1

    # a write to the registry: the next answer is built afresh and shows it
    registry.complete_milestone(milestone.id, actor="专班办公室")
    after_write = answers.ask(QUESTION, audience="official")
    assert cache.hits == 1 and "完成造林选址" not in after_write.answer

    # another day: what was due is now overdue
    registry.add_milestone(
        forestry.id, due=dt.date(2026, 9, 30), description="完成苗木采购", actor="专班办公室"
    )
    assert "（待完成）" in answers.ask(QUESTION, audience="official").answer
    clock.now += dt.timedelta(days=16)
    assert "（已逾期）" in answers.ask(QUESTION, audience="official").answer


def test_a_follow_up_is_never_answered_from_the_cache(answers: AnswerService) -> None:
    cache = _cache(answers)
    answers.ask("县林业局负责哪些任务？", conversation_id="a")
    answers.ask("秸秆禁烧谁牵头？", conversation_id="b")
    # the same words after different turns mean different things
    first = answers.ask("那它的目标是什么？", conversation_id="a")
    second = answers.ask("那它的目标是什么？", conversation_id="b")
    assert cache.hits == 0
    assert first.citations and second.citations
    assert {c.clause for c in first.citations} != {c.clause for c in second.citations}
