"""上位依据: the clauses above a ledger task, checked against hand labels (tests/data/basis_labels.toml,
written from the documents), shown only from texts that apply to the task's plan, and answered in
a conversation."""

from __future__ import annotations

import tomllib
from pathlib import Path

from assistant.services import Services
from tests.conftest import fixed_services, list_file, make_settings

LABELS = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "data" / "basis_labels.toml").read_text("utf-8")
)["task"]


def _agreed(label: dict, source_id: str, clause: str) -> bool:
    return any(b["source"] == source_id and clause.startswith(b["clause"]) for b in label["basis"])


def test_most_links_of_the_county_tasks_are_ones_a_person_agrees_with(
    plan_services: Services,
) -> None:
    tasks = {t.clause: t for t in plan_services.registry.tasks(document="xiangyin-plan")}
    shown = agreed = first = 0
    for label in (x for x in LABELS if x["plan"] == "xiangyin-plan"):
        links = plan_services.basis.basis(tasks[label["clause"]]).links
        marks = [_agreed(label, link.source_id, link.clause) for link in links]
        assert 3 <= len(links) <= 5, label["clause"]
        shown, agreed, first = shown + len(marks), agreed + sum(marks), first + marks[0]
    assert agreed / shown >= 0.75 and first >= 9, (agreed, shown, first)


def test_links_come_from_the_texts_above_the_plan(plan_services: Services) -> None:
    for task in plan_services.registry.tasks(document="xiangyin-plan"):
        for link in plan_services.basis.basis(task).links:
            assert link.level in ("国家", "省") and link.source_id != "xiangyin-plan"
            assert link.source_id != "green-living-guide"


def test_a_document_the_task_names_is_listed_even_without_its_text(
    plan_services: Services,
) -> None:
    air = next(t for t in plan_services.registry.tasks() if t.clause == "二、（二）1.")
    named = plan_services.basis.basis(air).named
    assert [d.title for d in named] == ["长江中游城市群大气污染防治攻坚三年行动方案（2026—2028年）"]


def test_another_provinces_plan_gets_no_text_of_this_province(
    tmp_path: Path, embedding_cache: Path
) -> None:
    services = fixed_services(make_settings(tmp_path / "data", embedding_cache))
    services.ingest.ingest()
    plan = tmp_path / "孝感市秸秆综合利用工作方案.txt"
    plan.write_text(
        "孝感市秸秆综合利用工作方案\n"
        "为贯彻落实湖北省部署，制定本方案。\n"
        "一、重点任务\n"
        "（一）推进秸秆综合利用。加强秸秆禁烧管控，完善秸秆收储运体系，推进秸秆肥料化、饲料化、"
        "能源化利用，到2025年秸秆综合利用率稳定在90%以上。（市农业农村局牵头，各县市区人民政府负责）\n",
        encoding="utf-8",
    )
    list_file(services.settings.data_dir, plan, title="孝感市秸秆综合利用工作方案")
    services.ingest.ingest([plan])
    task = next(t for t in services.registry.tasks() if t.document.startswith("孝感市"))
    links = services.basis.basis(task).links
    assert links and {link.level for link in links} == {"国家"}


def test_the_basis_of_the_task_just_discussed(plan_services: Services) -> None:
    ask = plan_services.answers.ask
    ask("秸秆禁烧谁牵头？", conversation_id="basis")
    answer = ask("这项任务的上位依据是什么？", conversation_id="basis")
    assert answer.kind == "basis"
    assert answer.citations[0].clause == "二、（二）1."
    higher = answer.citations[1:]
    assert len(higher) >= 3 and all(c.level in ("国家", "省") for c in higher)
    assert all(f"《{c.document}》{c.clause}" in answer.answer for c in higher)
    assert "《长江中游城市群大气污染防治攻坚三年行动方案（2026—2028年）》" in answer.answer
    assert "长江中游城市群大气污染防治攻坚三年行动方案" in answer.citations[0].text


def test_the_basis_of_a_task_named_by_its_topic(plan_services: Services) -> None:
    answer = plan_services.answers.ask("充电桩建设的上位依据是什么？")
    assert answer.kind == "basis" and answer.citations[0].clause == "二、（一）2."
