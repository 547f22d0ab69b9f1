"""督办 in the core: task and milestone status, review of reports, 办结, milestone edits, 催办,
the overview and the monthly report's contents — on the ledger of ``tests/supervision_ledger``,
whose docstring says what every task should be."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from assistant.services import Services
from registry.db import MIGRATIONS, make_engine
from registry.service import RegistryError
from registry.supervision import Day, Rules, milestone_status
from registry.workdays import WorkdayCalendar
from retrieval.ingest import parse_source
from retrieval.loaders import read_blocks
from retrieval.sources import Source
from tests.supervision_ledger import (
    EXPECTED,
    PLAN,
    RETURN_COMMENT,
    SOURCE_ID,
    Ledger,
    build_ledger,
)

OFFICE = "专班办公室"


@pytest.fixture
def ledger(tmp_path: Path, embedding_cache: Path) -> Ledger:
    return build_ledger(tmp_path, embedding_cache)


def _task(ledger: Ledger, clause: str):  # type: ignore[no-untyped-def]
    return ledger.services.registry.task(ledger.tasks[clause])


def test_every_task_has_the_status_its_story_gives(ledger: Ledger) -> None:
    registry = ledger.services.registry
    found = {t.clause: (t.status, t.flags) for t in registry.tasks(document=SOURCE_ID)}
    assert found == {
        "一、（一）1.": ("临期", ("临期",)),
        "一、（一）2.": ("正常", ()),
        "一、（一）3.": ("未设节点", ("未设节点",)),
        "一、（二）4.": ("逾期", ("逾期", "未报送")),
        "一、（二）5.": ("未报送", ("未报送",)),
        "一、（二）6.": ("已完成", ()),
    }
    assert dict(ledger.services.supervision.overview().totals) == EXPECTED
    # a task is listed under every status that applies to it
    assert [t.clause for t in registry.tasks(status="未报送")] == ["一、（二）4.", "一、（二）5."]
    assert [t.clause for t in registry.tasks(status="逾期", department="机关事务中心")] == [
        "一、（二）4."
    ]
    with pytest.raises(RegistryError, match="状态只能是"):
        registry.tasks(status="超期")


def test_due_soon_counts_china_workdays_across_national_day() -> None:
    # 2026-09-29 is a Tuesday; 10-01…10-07 are off and Saturday 10-10 is a make-up workday
    # (国务院办公厅 2026 holiday notice), so five workdays on are 09-30, 10-08, 10-09, 10-10, 10-12.
    day = Day.of(dt.date(2026, 9, 29), Rules(due_soon_workdays=5), WorkdayCalendar())
    assert day.soon_until == dt.date(2026, 10, 12)
    assert milestone_status(dt.date(2026, 10, 12), None, day) == "临期"
    assert milestone_status(dt.date(2026, 10, 13), None, day) == "正常"
    assert milestone_status(dt.date(2026, 9, 28), None, day) == "逾期"
    assert milestone_status(dt.date(2026, 9, 28), dt.date(2026, 9, 29), day) == "已完成"


def test_a_returned_report_does_not_count_and_an_accepted_one_does(ledger: Ledger) -> None:
    registry, supervision = ledger.services.registry, ledger.services.supervision
    task = _task(ledger, "一、（二）5.")
    (returned,) = task.progress
    assert (returned.review, returned.review_comment) == ("已退回", RETURN_COMMENT)
    with pytest.raises(RegistryError, match="请写明退回意见"):
        supervision.review(returned.id, accept=False, comment="  ", actor=OFFICE)
    again = registry.add_progress(
        task.id, department="住建局", status="进行中", note="已完成方案编制", reporter="住建局"
    )
    assert registry.task(task.id).status == "正常"  # a pending report counts
    supervision.review(again.id, accept=True, actor=OFFICE)
    assert registry.task(task.id).progress[-1].review == "已采纳"
    actions = [(e["action"], e["entity"]) for e in registry.audit_log(limit=3)]
    assert actions[0] == ("review", "progress")


def test_the_office_files_on_behalf_and_a_closed_task_takes_no_report(ledger: Ledger) -> None:
    registry = ledger.services.registry
    task = _task(ledger, "一、（一）2.")
    report = registry.add_progress(
        task.id, department="交通运输局", status="进行中", note="代填", reporter="office-1",
        on_behalf=True,
    )  # fmt: skip
    assert report.on_behalf and report.reporter == "office-1"
    closed = registry.close_task(task.id, note="充电桩已全部建成", actor=OFFICE)
    assert closed.status == "已完成" and closed.closure.note == "充电桩已全部建成"
    assert task.id not in {i.task_id for i in registry.due(within_days=3650)}
    with pytest.raises(RegistryError, match="已办结"):
        registry.add_progress(
            task.id, department="交通运输局", status="进行中", note="x", reporter="x"
        )
    with pytest.raises(RegistryError, match="办结说明不能为空"):
        registry.close_task(_task(ledger, "一、（一）3.").id, note=" ", actor=OFFICE)
    assert registry.reopen_task(task.id, actor=OFFICE).status == "正常"


def test_milestones_are_edited_deleted_and_reopened_with_an_audit(
    ledger: Ledger, tmp_path: Path
) -> None:
    registry = ledger.services.registry
    task = _task(ledger, "一、（一）1.")
    office_one, text_one = task.milestones  # 09-18 (the office's), 09-30 (the text's deadline)
    moved = registry.edit_milestone(office_one.id, actor=OFFICE, due=dt.date(2026, 10, 30))
    assert (moved.due, moved.status) == (dt.date(2026, 10, 30), "正常")
    done = registry.complete_milestone(moved.id, actor=OFFICE)
    assert done.status == "已完成"
    assert registry.reopen_milestone(moved.id, actor=OFFICE).completed_on is None
    registry.delete_milestone(text_one.id, actor=OFFICE)
    assert [m.id for m in registry.task(task.id).milestones] == [moved.id]
    with pytest.raises(RegistryError, match="没有编号为"):
        registry.edit_milestone(text_one.id, actor=OFFICE, description="x")
    log = registry.audit_log(limit=4)
    assert [e["action"] for e in log] == ["delete", "reopen", "complete", "edit"]
    assert log[0]["before"]["due"] == "2026-09-30" and log[0]["after"] is None
    # a re-ingest of a changed text leaves the office's deletion alone
    changed = tmp_path / "changed.txt"
    changed.write_text(PLAN.replace("推进党政机关", "加快推进党政机关"), "utf-8")
    source = Source(id=SOURCE_ID, title="t", level="县", file=changed.name)
    registry.sync_document(
        source_id=SOURCE_ID,
        title="t",
        level="县",
        document=parse_source(read_blocks(changed), source),
    )
    assert [m.id for m in registry.task(task.id).milestones] == [moved.id]


def _bind(services: Services, department: str, chat_id: str) -> str:
    code = services.chats.issue_code(department=department, actor=OFFICE)
    services.chats.bind(chat_id=chat_id, code=code.code, actor="tg")
    return chat_id


def test_a_returned_report_and_urging_reach_the_departments_chats(ledger: Ledger) -> None:
    services = ledger.services
    forest_chat = _bind(services, "县机关事务服务中心", "-1001")
    report = services.registry.add_progress(
        ledger.tasks["一、（二）4."],
        department="县机关事务服务中心",
        status="滞后",
        note="统计口径待定",
        reporter="jg",
    )
    _, told = services.supervision.review(
        report.id, accept=False, comment="请说明预计完成时间", actor=OFFICE
    )
    assert told == 1
    (message,) = [m for m in services.outbox.items() if m.kind == "returned"]
    assert message.chat_id == forest_chat
    assert "退回意见：请说明预计完成时间" in message.text and "一、（二）4." in message.text

    results = {r.department: r for r in services.supervision.urge(actor=OFFICE)}
    # 逾期 or 未报送: 4. (县机关事务服务中心) and 5. (县住建局, whose only report was returned)
    assert set(results) == {"县机关事务服务中心", "县住建局"}
    assert results["县机关事务服务中心"].chats == 1 and results["县住建局"].chats == 0
    (urged,) = [m for m in services.outbox.items() if m.kind == "urge"]
    assert "【催办】县机关事务服务中心" in urged.text and "逾期" in urged.text
    with pytest.raises(RegistryError, match="无需催办"):
        services.supervision.urge(department="交通运输局", actor=OFFICE)


def test_overview_ranks_the_overdue_and_shows_report_freshness(ledger: Ledger) -> None:
    view = ledger.services.supervision.overview()
    loads = {d.name: d for d in view.departments}
    assert [d.name for d in view.ranking] == ["县机关事务服务中心"]
    assert view.ranking[0].overdue_days == 15  # due 2026-08-31, judged on 09-15
    assert loads["县住建局"].last_report is None  # its one report was returned
    assert loads["县发改局"].last_report == dt.date(2026, 9, 10)
    assert (loads["县林业局"].done, loads["县林业局"].open) == (1, 0)
    assert view.months[0] == dt.date(2026, 6, 1) and view.months[-1] == dt.date(2027, 6, 1)
    first = ledger.services.supervision.overview(section="一、（一）")
    assert first.tasks == 3 and dict(first.totals)["逾期"] == 0


def test_the_monthly_report_is_judged_at_the_end_of_its_month(ledger: Ledger) -> None:
    supervision = ledger.services.supervision
    august = supervision.bulletin("2026-08")
    assert august.as_of == dt.date(2026, 8, 31)
    # on 08-31: 4. due that day is 临期, not yet 逾期; 6. was not closed yet (closed 09-14)
    statuses = {row.clause: row.status for _, rows in august.late for row in rows}
    assert statuses["一、（二）4."] == "临期"
    assert dict(august.totals)["已完成"] == 0
    september = supervision.bulletin("2026-09")
    late = dict(september.late)
    assert [r.clause for r in late["县机关事务服务中心"]] == ["一、（二）4."]
    assert [r.clause for r in late["县发改局"]] == ["一、（一）1."]
    assert [u.name for u in september.unreported] == ["县机关事务服务中心", "县住建局"]
    with pytest.raises(RegistryError, match="还没有到"):
        supervision.bulletin("2026-10")
    with pytest.raises(RegistryError, match="月份格式"):
        supervision.bulletin("2026-13")


def test_the_migration_dates_existing_tasks_from_their_documents_sync(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(
            text(
                "INSERT INTO documents (id, title, level, content_hash, synced_at, retired,"
                " conventions, goals) VALUES ('d', 'D', '县', 'h', '2026-05-06 08:00:00', 0,"
                " '[]', '[]')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO tasks (document_id, clause, heading, title, text, note, position,"
                " open_ended, deadline_text, conventions, retired)"
                " VALUES ('d', '1.', '', 'T', 'T', '', 0, 0, '', '[]', 0)"
            )
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        row = connection.execute(text("SELECT created_on, closing_note FROM tasks")).one()
    assert str(row[0]) == "2026-05-06" and row[1] == ""
