"""Officials' due questions: "我们局" is the asker's own department (the account's, or the one
its chat is bound to), and "逾期" lists only what is overdue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.services import Services
from tests.api.conftest import PASSWORD, make_user
from tests.conftest import fixed_services, make_settings
from tests.registry.conftest import sync_plan

OFFICE = "专班办公室"


@pytest.fixture
def services(tmp_path: Path, embedding_cache: Path) -> Services:
    """The plan's ledger (on the fixed clock, 2026-09-15) with three milestones: 县林业局's
    overdue and due soon, and one of a task that does not name it, overdue."""
    built = fixed_services(make_settings(tmp_path / "data", embedding_cache))
    registry = built.registry
    sync_plan(registry)
    forest = next(t for t in registry.tasks(department="县林业局") if t.clause == "二、（一）4.")
    water = next(
        t for t in registry.tasks() if t.clause == "二、（二）2."
    )  # 县水利局's, not 林业局's
    assert "县林业局" not in (*water.lead_departments, *water.co_departments)
    for task, due, what in (
        (forest, dt.date(2026, 9, 1), "完成碳汇摸底"),
        (forest, dt.date(2026, 9, 25), "完成造林选址"),
        (water, dt.date(2026, 9, 2), "完成河湖水质评估"),
    ):
        registry.add_milestone(task.id, due=due, description=what, actor=OFFICE)
    return built


def test_our_bureau_is_the_askers_and_overdue_means_overdue(services: Services) -> None:
    answers = services.answers
    ours = answers.ask("我们局有哪些逾期的？", audience="official", department="县林业局")
    assert ours.kind == "due"
    assert ours.answer.startswith("县林业局逾期未完成的里程碑有一个：")
    assert "完成碳汇摸底" in ours.answer
    assert "完成造林选址" not in ours.answer  # due soon, not overdue
    assert "完成河湖水质评估" not in ours.answer  # another department's
    both = answers.ask(
        "本单位有哪些任务快到期或已逾期？", audience="official", department="县林业局"
    )
    assert "完成碳汇摸底" in both.answer and "完成造林选址" in both.answer
    # an office account has no bureau of its own: it is told, and sees the county
    office = answers.ask("我们局有哪些逾期的？", audience="official")
    assert office.answer.startswith("您的账号没有所属部门，以下是全县的情况。")
    assert "完成碳汇摸底" in office.answer and "完成河湖水质评估" in office.answer
    # never to the public
    public = answers.ask("我们局有哪些逾期的？", audience="public", department="县林业局")
    assert "完成碳汇摸底" not in public.answer


def test_an_account_of_no_department_is_asked_which_unit(services: Services) -> None:
    ask = services.answers.ask
    for question in ("我们局有哪些任务", "本单位牵头的有哪些", "我们局的任务都什么时候完成"):
        answer = ask(question, audience="official", conversation_id=question)
        assert answer.kind == "not_covered", question
        assert answer.answer.startswith("您的账号没有所属部门，无法确定")
        assert "请在问题中写明单位名称" in answer.answer and not answer.citations
    # who has not reported: the county's list, said to be the county's
    county = ask("我们局还有哪些没报进展", audience="official", conversation_id="progress")
    assert county.kind == "progress"
    assert county.answer.startswith(
        "您的账号没有所属部门，以下是全县的情况。\n尚未报送进展的单位有"
    )
    assert "- 县林业局：" in county.answer
    # with a department the same questions are its own
    ours = ask("我们局的任务都什么时候完成", audience="official", department="县林业局")
    assert ours.kind == "department_tasks" and ours.answer.startswith("县林业局")


def test_the_web_chat_knows_the_logged_in_department(services: Services) -> None:
    forestry = make_user(services, "department", "县林业局")
    with TestClient(create_app(services, session_secret="own")) as client:
        client.post("/login", data={"username": forestry, "password": PASSWORD})
        answer = client.post(
            "/api/ask", json={"question": "我局有哪些逾期的", "audience": "official"}
        ).json()
    assert "完成碳汇摸底" in answer["answer"]
    assert "完成河湖水质评估" not in answer["answer"]


def _report(services: Services) -> None:
    registry = services.registry
    forest = next(t for t in registry.tasks(department="县林业局") if t.clause == "二、（一）4.")
    registry.add_progress(
        forest.id,
        department="县林业局",
        status="进行中",
        note="全县林业碳汇资源摸底完成六成",
        reporter="林业局李四",
        on=dt.date(2026, 9, 10),
    )


def test_officials_ask_what_was_reported(services: Services) -> None:
    """Issue 19: "进展怎么样", "报了没有", "谁还没报": the reports as filed, with dates and
    reporters; never to the public."""
    _report(services)
    ask = services.answers.ask
    task = ask("二、（一）4.的进展怎么样？", audience="official")
    assert task.kind == "progress"
    assert "最近一次 2026-09-10 县林业局（林业局李四）报“进行中”，待审核" in task.answer
    assert any("全县林业碳汇资源摸底完成六成" in c.text for c in task.citations)
    water = ask("县水利局的任务报了没有？", audience="official")
    assert water.kind == "progress" and water.answer.count("尚未报送进展") == 2
    ours = ask("我们局的进展报了吗", audience="official", department="县林业局")
    assert (
        "林业局李四" in ours.answer
        and "二、（二）5.加强生态系统保护修复：尚未报送进展" in ours.answer
    )
    missing = ask("哪些单位还没报进展？", audience="official")
    assert "- 县林业局：二、（二）5.、二、（三）" in missing.answer  # 二、（一）4. was reported
    assert "- 县水利局：二、（二）2.、二、（二）5." in missing.answer
    public = ask("林业碳汇的进展怎么样？", audience="public")
    assert public.kind == "restricted" and "林业局李四" not in public.answer


def test_follow_ups_over_the_list_just_shown(services: Services) -> None:
    """ "第二项呢？", "第一项的进展怎么样？", "这些里哪些逾期了？" resolve against the list."""
    _report(services)
    ask = services.answers.ask
    listed = ask("县林业局负责哪些任务？", audience="official", conversation_id="t")
    assert listed.kind == "department_tasks" and "② 二、（二）5." in listed.answer
    second = ask("第二项呢？", audience="official", conversation_id="t")
    assert second.kind == "responsibility" and "二、（二）5." in second.answer
    first = ask("第一项的进展怎么样？", audience="official", conversation_id="t")
    assert first.kind == "progress" and "二、（一）4." in first.answer
    assert "林业局李四" in first.answer and "二、（二）5." not in first.answer
    overdue = ask("这些里哪些逾期了？", audience="official", conversation_id="t")
    assert overdue.kind == "due" and "完成碳汇摸底" in overdue.answer
    assert "完成河湖水质评估" not in overdue.answer  # overdue, but not in the list shown
