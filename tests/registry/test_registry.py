"""The registry built from the plan, compared with a hand-made table, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from assistant.settings import Settings
from policyqa.storage import build_registry
from registry.service import Registry, RegistryError, UnknownDepartment
from tests.conftest import CORPUS, FixedClock
from tests.registry.conftest import sync_plan

EXPECTED = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "data" / "expected_registry.toml").read_text("utf-8")
)
PLAN = (CORPUS / "xiangyin-shuangtan-plan.txt").read_text("utf-8")


def test_every_task_matches_the_hand_made_table(plan_registry: Registry) -> None:
    tasks = plan_registry.tasks()
    assert [t.clause for t in tasks] == [e["clause"] for e in EXPECTED["task"]]
    for task, expected in zip(tasks, EXPECTED["task"], strict=True):
        assert task.title == expected["title"], task.clause
        assert list(task.lead_departments) == expected["lead"], task.clause
        assert list(task.co_departments) == expected["co"], task.clause
        assert task.open_ended == expected["open_ended"], task.clause
        assert task.document == "落实好重“双碳”促转型的任务实施方案"
        assert task.text.startswith(task.clause[-2:]) or task.clause == "二、（三）"


def test_every_target_matches_the_hand_made_table(plan_registry: Registry) -> None:
    for task, expected in zip(plan_registry.tasks(), EXPECTED["task"], strict=True):
        got = [(t.kind, t.value, t.unit, t.year) for t in task.targets]
        want = [
            (
                e["kind"],
                float(e["value"]) if e["value"] else None,
                e["unit"],
                e["year"] or None,
            )
            for e in expected.get("target", [])
        ]
        assert sorted(got, key=repr) == sorted(want, key=repr), task.clause
        for target in task.targets:
            assert target.text in task.text, target.text
            assert any(
                e["text"] in target.text or target.text in e["text"] for e in expected["target"]
            )


def test_task_force(plan_registry: Registry) -> None:
    force = plan_registry.taskforce()
    expected = EXPECTED["taskforce"]
    assert force is not None
    assert force.name == expected["name"]
    assert force.convener == expected["convener"]
    assert list(force.deputy_conveners) == expected["deputy_conveners"]
    assert list(force.deputy_departments) == expected["deputy_departments"]
    assert list(force.members) == expected["members"]
    assert force.members_open_ended == expected["members_open_ended"]
    assert force.office == expected["office"]
    assert force.clause == "三、"


def test_department_index(plan_registry: Registry) -> None:
    views = {v.name: v for v in plan_registry.departments()}
    roles = {
        "office+deputy": "副召集人单位／专班办公室所在单位",
        "deputy": "副召集人单位",
        "member": "成员单位",
    }
    for name, expected in EXPECTED["departments"].items():
        view = views[name]
        assert [t.clause for t in view.tasks if t.role == "牵头"] == expected["lead"], name
        assert [t.clause for t in view.tasks if t.role == "配合"] == expected["co"], name
        assert view.taskforce_role == roles.get(expected["taskforce"], ""), name
    assert all(v.listed for v in views.values()), [v.name for v in views.values() if not v.listed]


@pytest.mark.parametrize("alias", ["林业局", "县林业局", "湘阴县林业局", "縣林業局"])
def test_tasks_of_a_department_by_any_alias(plan_registry: Registry, alias: str) -> None:
    tasks = plan_registry.tasks(department=alias)
    assert [(t.clause, t.role_of("县林业局")) for t in tasks] == [
        ("二、（一）4.", "配合"),
        ("二、（二）5.", "配合"),
        ("二、（三）", "配合"),
    ]


def test_lead_role_is_reported(plan_registry: Registry) -> None:
    tasks = plan_registry.tasks(department="环保局")
    assert {t.clause for t in tasks if t.role_of("市生态环境局湘阴分局") == "牵头"} == {
        "二、（二）1.",
        "二、（二）3.",
    }


def test_unknown_department_lists_near_matches(plan_registry: Registry) -> None:
    with pytest.raises(UnknownDepartment) as error:
        plan_registry.tasks(department="县林业")
    assert "没有名为“县林业”的责任单位" in str(error.value)
    assert "县林业局" in str(error.value)


def test_milestones_progress_and_due(plan_registry: Registry, clock: FixedClock) -> None:
    task = plan_registry.tasks(department="林业局")[0]
    past = plan_registry.add_milestone(
        task.id, due=dt.date(2026, 9, 1), description="完成林业碳汇资源摸底", actor="专班办公室"
    )
    soon = plan_registry.add_milestone(
        task.id, due=dt.date(2026, 10, 10), description="上报碳汇核算方案", actor="专班办公室"
    )
    plan_registry.add_milestone(
        task.id, due=dt.date(2027, 6, 30), description="碳汇交易试点", actor="专班办公室"
    )
    assert past.status == "逾期" and soon.status == "正常"
    due = plan_registry.due(within_days=30)
    assert [(i.milestone.description, i.days_left) for i in due] == [
        ("完成林业碳汇资源摸底", -14),
        ("上报碳汇核算方案", 25),
    ]
    plan_registry.complete_milestone(past.id, actor="专班办公室")
    assert [i.milestone.id for i in plan_registry.due(within_days=30)] == [soon.id]

    report = plan_registry.add_progress(
        task.id, department="林业局", status="进行中", note="已完成两个乡镇的摸底", reporter="张三"
    )
    assert report.department == "县林业局" and report.reported_on == dt.date(2026, 9, 15)
    assert plan_registry.task(task.id).progress[-1].note == "已完成两个乡镇的摸底"


def test_another_process_sees_a_write_at_once(
    plan_registry: Registry, registry_settings: Settings, clock: FixedClock
) -> None:
    """Reads are kept per registry version: a second registry on the same database (another
    worker) that has read the tasks sees a milestone written through the first at once."""
    other = build_registry(registry_settings, clock=clock)
    task = other.tasks(department="林业局")[0]
    assert other.tasks(department="林业局")[0].milestones == ()
    assert other.due(within_days=30) == []
    plan_registry.add_milestone(
        task.id, due=dt.date(2026, 9, 30), description="完成造林选址", actor="专班办公室"
    )
    assert [m.description for m in other.tasks(department="林业局")[0].milestones] == [
        "完成造林选址"
    ]
    assert [i.milestone.description for i in other.due(within_days=30)] == ["完成造林选址"]
    # and the next day counts from the new date
    assert other.due(within_days=30)[0].days_left == 15
    clock.now += dt.timedelta(days=1)
    assert other.due(within_days=30)[0].days_left == 14


def test_progress_is_refused_for_a_department_not_named(plan_registry: Registry) -> None:
    task = next(t for t in plan_registry.tasks() if t.clause == "二、（一）2.")
    with pytest.raises(RegistryError, match="县林业局不是任务"):
        plan_registry.add_progress(
            task.id, department="林业局", status="进行中", note="x", reporter="x"
        )
    with pytest.raises(RegistryError, match="状态只能是"):
        plan_registry.add_progress(
            task.id, department="发改委", status="差不多", note="x", reporter="x"
        )
    assert plan_registry.task(task.id).progress == ()
    assert all(entry["entity"] != "progress" for entry in plan_registry.audit_log())


def test_office_edits_survive_a_changed_plan(plan_registry: Registry, tmp_path: Path) -> None:
    charging = next(t for t in plan_registry.tasks() if t.clause == "二、（一）2.")
    milestone = plan_registry.add_milestone(
        charging.id, due=dt.date(2027, 1, 31), description="完成充电桩选址", actor="专班办公室"
    )
    plan_registry.add_progress(
        charging.id, department="发改委", status="进行中", note="已建成200个", reporter="李四"
    )
    plan_registry.set_department_role(
        charging.id, department="住建局", role="co", actor="专班办公室"
    )
    plan_registry.set_department_role(
        charging.id, department="科技局", role="excluded", actor="专班办公室"
    )
    target = next(t for t in charging.targets if t.unit == "个")
    plan_registry.correct_target(target.id, actor="专班办公室", value=1200.0)

    # The county revises the plan: a new charging figure and one more unit for the task.
    revised = PLAN.replace("新增公用充电桩1107个", "新增公用充电桩1300个").replace(
        "县工信局、县科技局按职责分工负责", "县工信局、县科技局、县交通运输局按职责分工负责"
    )
    sync_plan(plan_registry, revised, tmp_path)

    after = plan_registry.task(charging.id)
    assert [m.id for m in after.milestones if m.origin == "office"] == [milestone.id]
    assert after.progress[0].note == "已建成200个"
    assert "县住建局" in after.co_departments and "县交通运输局" in after.co_departments
    assert "县科技局" not in after.co_departments
    corrected = next(t for t in after.targets if t.unit == "个")
    assert corrected.value == 1200.0 and corrected.corrected == ("value",)
    assert "1300个" in corrected.text  # the uncorrected fields follow the new text
    assert len(plan_registry.tasks()) == 10


def test_a_removed_clause_is_retired_not_deleted(plan_registry: Registry, tmp_path: Path) -> None:
    solid = next(t for t in plan_registry.tasks() if t.clause == "二、（二）4.")
    plan_registry.add_milestone(
        solid.id, due=dt.date(2027, 3, 1), description="无废细胞", actor="专班办公室"
    )
    start = PLAN.index("4.加强固体废物和新污染物治理")
    end = PLAN.index("5.加强生态系统保护修复")
    sync_plan(plan_registry, PLAN[:start] + PLAN[end:], tmp_path)
    assert "二、（二）4." not in [t.clause for t in plan_registry.tasks()]
    retired = plan_registry.task(solid.id)
    assert retired.retired and retired.milestones[0].description == "无废细胞"


def test_every_change_is_audited(plan_registry: Registry) -> None:
    task = plan_registry.tasks()[0]
    plan_registry.add_milestone(
        task.id, due=dt.date(2026, 12, 31), description="年度考核", actor="王五"
    )
    target = plan_registry.tasks()[1].targets[0]
    plan_registry.correct_target(target.id, actor="王五", year=2029)
    log = plan_registry.audit_log()
    assert [(e["actor"], e["action"], e["entity"]) for e in log[:2]] == [
        ("王五", "correct", "target"),
        ("王五", "add", "milestone"),
    ]
    assert log[0]["before"]["year"] == 2030 and log[0]["after"]["year"] == 2029
    assert log[-1]["entity"] == "document" and log[-1]["actor"] == "ingest"


def test_resync_of_the_same_text_changes_nothing(plan_registry: Registry) -> None:
    before = len(plan_registry.audit_log())
    sync_plan(plan_registry)
    assert len(plan_registry.audit_log()) == before
