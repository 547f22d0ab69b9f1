"""Another county's plan, with no alias table of its departments: officials' questions are answered
from its ledger as they are for 湘阴县 (临澧县碳达峰行动实施方案, tests/data/plans/lines-plan.txt;
expected units from its hand labels, lines-plan.toml)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from assistant.services import Services
from tests.conftest import fixed_services, make_settings

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "tests" / "data" / "plans" / "lines-plan.txt"
MANIFEST = """
[[source]]
id = "linli-plan"
title = "临澧县碳达峰行动实施方案"
issuer = "临澧县人民政府"
level = "县"
jurisdiction = "临澧县"
file = "linli-plan.txt"
"""


@pytest.fixture(scope="module")
def linli(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Services:
    corpus = tmp_path_factory.mktemp("linli-corpus")
    shutil.copy(PLAN, corpus / "linli-plan.txt")
    # the shipped word lists, not 湘阴县's departments.toml
    for name in ("terms.txt", "stopwords.txt", "synonyms.toml"):
        shutil.copy(REPO / "corpus" / name, corpus / name)
    (corpus / "sources.toml").write_text(MANIFEST, "utf-8")
    settings = make_settings(
        tmp_path_factory.mktemp("linli-data"), embedding_cache, county="临澧县", corpus_dir=corpus
    )
    services = fixed_services(settings)
    report = services.ingest.ingest()
    assert not report.failed, report.failed
    return services


def _ask(services: Services, question: str):  # type: ignore[no-untyped-def]
    return services.answers.ask(question, audience="official", conversation_id=question)


def test_a_department_no_table_lists_is_known_by_the_ledger(linli: Services) -> None:
    answer = _ask(linli, "县住建局负责哪些任务？")

    assert answer.kind == "department_tasks"
    assert "五项任务（牵头三项、配合二项）" in answer.answer
    for clause in ("二、（三）1.（1）", "二、（三）1.（2）", "二、（三）2.", "二、（六）1."):
        assert clause in answer.answer
    assert "二、（二）2.（2）" in answer.answer  # the second note of 二、（二）2.: 县住建局配合


def test_a_unit_is_asked_by_its_short_name(linli: Services) -> None:
    answer = _ask(linli, "供电公司有哪些任务？")

    assert answer.kind == "department_tasks"
    assert answer.answer.startswith("国网临澧县供电公司")
    assert "二、（一）3.加快新型电力系统建设（牵头）" in answer.answer
    assert "二、（一）1.大力发展可再生能源（配合）" in answer.answer


def test_the_tasks_a_department_leads(linli: Services) -> None:
    answer = _ask(linli, "县工信局牵头的有哪些？")

    assert answer.kind == "department_tasks"
    for clause in ("二、（二）1.", "二、（二）2.（2）", "二、（二）3."):
        assert clause in answer.answer
    assert "二、（一）2." not in answer.answer  # 县工信局 only 配合 there


def test_who_leads_a_measure_of_a_clause_with_two_notes(linli: Services) -> None:
    # 二、（二）2. holds two notes: （县经开区管委会负责） after the 园区 sentence, then
    # （县工信局牵头，…配合） after the 固体废物 one
    answer = _ask(linli, "园区循环化改造谁牵头？")

    assert answer.kind == "responsibility"
    assert "县经开区管委会" in answer.answer and "县工信局" not in answer.answer
    assert [c.clause for c in answer.citations] == ["二、（二）2.（1）"]


def test_a_main_target_without_a_note_is_quoted(linli: Services) -> None:
    answer = _ask(linli, "到2027年非化石能源消费比重要达到多少？")

    assert answer.kind == "target"
    assert "22%左右" in answer.answer
    assert [c.clause for c in answer.citations] == ["一、（二）"]
    assert "22%左右" in answer.citations[0].text


def test_an_indicator_is_not_taken_for_another_sharing_a_word(linli: Services) -> None:
    # 二、（五）1. sets 森林抚育2.5万亩; the 森林覆盖率 is in the 主要目标
    answer = _ask(linli, "森林覆盖率目标是多少？")

    assert answer.kind == "target"
    assert "35%以上" in answer.answer and "抚育" not in answer.answer
    assert [c.clause for c in answer.citations] == ["一、（二）"]


def test_a_figure_the_plan_does_not_state_is_not_invented(linli: Services) -> None:
    answer = _ask(linli, "到2027年森林蓄积量要达到多少？")  # the plan sets no 蓄积量

    assert answer.kind == "not_covered"
    assert not re.search(r"\d", answer.answer)


def test_a_lead_without_co_units_reads_plainly(linli: Services) -> None:
    answer = _ask(linli, "人工造林要完成多少亩？")

    assert answer.kind == "target"
    assert "人工造林1.2万亩" in answer.answer
    assert "责任单位：县林业局牵头。" in answer.answer


def test_when_a_departments_tasks_are_due(linli: Services) -> None:
    answer = _ask(linli, "县农业农村局的任务什么时候完成？")

    assert answer.kind == "department_tasks"
    assert "二、（五）2.提升农业农村减排固碳能力（牵头；完成时限：长期坚持）" in answer.answer
    assert "二、（六）1.加强统计核算能力建设（配合；完成时限：每年）" in answer.answer
    # "2026年起新建农房…" is a start, not a time limit
    assert "二、（三）2.推进城乡用能清洁化（配合；方案未写明完成时限）" in answer.answer


def test_a_city_bureaus_branch_is_asked_as_its_branch(linli: Services) -> None:
    answer = _ask(linli, "生态环境分局有什么任务？")

    assert answer.kind == "department_tasks"
    assert answer.answer.startswith(
        "市生态环境局临澧分局在《临澧县碳达峰行动实施方案》中承担四项任务"
    )


def test_a_clause_label_with_two_notes_answers_both(linli: Services) -> None:
    answer = _ask(linli, "二、（二）2.谁负责？")

    assert answer.kind == "responsibility"
    assert [c.clause for c in answer.citations] == ["二、（二）2.（1）", "二、（二）2.（2）"]
    assert "由县经开区管委会牵头" in answer.answer
    assert "由县工信局牵头，市生态环境局临澧分局、县住建局按职责分工负责" in answer.answer


def test_a_branch_is_asked_by_the_county_part_of_its_name(linli: Services) -> None:
    answer = _ask(linli, "临澧分局牵头哪些任务？")

    assert answer.kind == "department_tasks"
    assert answer.answer.startswith("市生态环境局临澧分局")
    assert "没有牵头的任务" in answer.answer  # 配合 in all four (lines-plan.toml)


def test_the_tasks_two_departments_share(linli: Services) -> None:
    led = _ask(linli, "县发改局和县工信局共同牵头的是哪项？")

    assert led.kind == "department_tasks"
    assert led.answer.startswith("县发改局、县工信局共同牵头的任务有一项：")
    assert [c.clause for c in led.citations] == ["二、（二）3."]
    shared = _ask(linli, "县住建局和县农业农村局一起负责哪些任务？")
    assert [c.clause for c in shared.citations] == ["二、（三）2.", "二、（六）1."]
    assert "（县住建局牵头、县农业农村局配合）" in shared.answer
    none = _ask(linli, "县发改局和县住建局共同牵头的有哪些？")
    assert none.answer == "台账中没有县发改局、县住建局共同牵头的任务。"
