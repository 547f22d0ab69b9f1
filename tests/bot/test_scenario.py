"""The issue's "done when", scripted through the fake Bot API on SQLite and PostgreSQL: the office
issues a code, a department chat binds, receives its T-7 reminder on the right workday (across
National Day), reports progress, and the office sees it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from assistant.reminders import TIMEZONE
from assistant.services import Services
from bot.app import build_bot
from bot.dispatcher import OutboxDispatcher
from policyqa.cli import app as cli_app
from tests.bot.conftest import polling, say
from tests.conftest import FixedClock
from tests.fakes.telegram_api import FakeTelegram

FORESTRY, OFFICE = -1001, -9001


def _cli(services: Services, *args: str) -> str:
    settings = services.settings
    env = {
        "POLICYQA_DATA_DIR": str(settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(settings.corpus_dir),
        "POLICYQA_DATABASE_URL": settings.database_url or "",
    }
    result = CliRunner().invoke(cli_app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_office_code_department_binds_gets_t7_reports_office_sees(
    services: Services, fake: FakeTelegram, clock: FixedClock
) -> None:
    task = next(t for t in services.registry.tasks() if t.clause == "二、（一）4.")
    assert "县林业局" in task.co_departments
    # the office, at the command line (codes are issued at the real time, so bind then)
    forestry_code = re.search(r"/bind (\S+)", _cli(services, "bind-code", "林业局"))[1]  # type: ignore[index]
    office_code = json.loads(_cli(services, "bind-code", "--office", "--json"))["code"]
    _cli(services, "milestone", "add", str(task.id), "完成造林选址", "--due", "2026-10-12")
    clock.now = dt.datetime(2026, 9, 10, 8, tzinfo=TIMEZONE)  # codes stay valid 7 days
    dispatcher = OutboxDispatcher(
        services.outbox, lambda: build_bot(services.settings), clock=clock, chats=services.chats
    )
    forestry = {"chat_id": FORESTRY, "chat_type": "group", "user_id": 7, "first_name": "李林"}
    received: dict[dt.date, list[str]] = {}

    async def conversation() -> None:
        async with polling(services):
            assert (
                "本群已绑定县林业局" in (await say(fake, f"/bind {forestry_code}", **forestry))[0]
            )
            office = await say(fake, f"/bind {office_code}", chat_id=OFFICE, chat_type="group")
            assert "专班办公室群" in office[0]

            # the scheduler's days: plan at 09:00 and dispatch, 9-10 … 10-12
            day = dt.date(2026, 9, 10)
            while day <= dt.date(2026, 10, 12):
                clock.now = dt.datetime.combine(day, dt.time(9), tzinfo=TIMEZONE)
                before = len(fake.sent(FORESTRY))
                services.reminders.plan()
                await dispatcher.run_once()
                received[day] = fake.sent(FORESTRY)[before:]
                day += dt.timedelta(days=1)

            clock.now = dt.datetime(2026, 10, 12, 15, tzinfo=TIMEZONE)
            reported = await say(fake, f"/report {task.id} 进行中 已完成10处造林选址", **forestry)
            assert "已记录进展" in reported[0] and "待专班办公室审核" in reported[0]

            # the office returns it: the department's chat is told, with the comment
            [report] = services.registry.task(task.id).progress
            services.supervision.review(
                report.id, accept=False, comment="请写明选址所在乡镇", actor="专班办公室"
            )
            await dispatcher.run_once()
            returned = fake.sent(FORESTRY)[-1]
            assert (
                returned.startswith("【进展退回】") and "退回意见：请写明选址所在乡镇" in returned
            )
            # the milestone is due today: 临期, with its light and word
            due_soon = (await say(fake, "/tasks 临期", **forestry))[0]
            assert f"[{task.id}] 二、（一）4." in due_soon and "🟠 临期" in due_soon
            assert "退回意见：请写明选址所在乡镇" in due_soon

    asyncio.run(conversation())

    days = {d: [m.split("\n")[0] for m in msgs] for d, msgs in received.items() if msgs}
    assert days == {
        dt.date(2026, 9, 11): ["【到期提醒】还有 31 天到期"],  # T-30: 9-12 is a Saturday
        dt.date(2026, 9, 30): ["【到期提醒】还有 12 天到期"],  # T-7: 10-05 is National Day
        dt.date(2026, 10, 10): ["【到期提醒】还有 2 天到期"],  # T-1: Sunday → the 调休 Saturday
    }
    assert "完成造林选址" in received[dt.date(2026, 9, 30)][0]
    office = fake.sent(OFFICE)
    assert sum("【到期提醒】" in m for m in office) == 3
    # W37 (the first run), W38 … W40 on Mondays, W41 on 9-30 (before National Day), W42
    assert sum("【专班周报】" in m for m in office) == 6
    assert _cli(services, "outbox", "--json").strip() == "[]"  # nothing pending or failed

    # the office's view: the ledger and `policyqa tasks --json`
    [progress] = services.registry.task(task.id).progress
    assert (progress.department, progress.status, progress.reporter) == (
        "县林业局",
        "进行中",
        "李林（Telegram 7）",
    )
    listed = {t["id"]: t for t in json.loads(_cli(services, "tasks", "--json"))}
    [milestone] = listed[task.id]["milestones"]
    assert (milestone["due"], milestone["description"]) == ("2026-10-12", "完成造林选址")
    assert listed[task.id]["progress"][0]["reporter"] == "李林（Telegram 7）"
    # and on the dashboard
    office = f"office-{uuid.uuid4().hex[:6]}"
    services.accounts.add_user(office, "office password", role="office", department=None)
    with TestClient(create_app(services, session_secret="scenario")) as client:
        client.post(
            "/login", data={"username": office, "password": "office password", "next": "/dashboard"}
        )
        page = client.get("/dashboard", params={"department": "林业局"}).text
    assert "县林业局：进行中" in page and "完成造林选址" in page


@pytest.mark.parametrize("database_url", [None], ids=["sqlite"])
def test_progress_reports_are_in_tasks_json(services: Services, clock: FixedClock) -> None:
    task = next(t for t in services.registry.tasks() if t.clause == "二、（一）4.")
    services.registry.add_progress(
        task.id, department="县林业局", status="进行中", note="已选址", reporter="李林"
    )
    listed = {t["id"]: t for t in json.loads(_cli(services, "tasks", "--json"))}
    assert listed[task.id]["progress"][0]["note"] == "已选址"
