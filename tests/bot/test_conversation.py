"""Questions and commands through getUpdates: the real Application talking HTTP to the fake Bot
API. (The registry under these runs on SQLite; the registry suite covers PostgreSQL.)"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from assistant.services import Services
from tests.bot.conftest import polling, say
from tests.fakes.telegram_api import FakeTelegram

sqlite_only = pytest.mark.parametrize("database_url", [None], ids=["sqlite"])
GROUP = -1001


def _task_id(services: Services, clause: str) -> int:
    return next(t.id for t in services.registry.tasks() if t.clause == clause)


@sqlite_only
def test_questions_and_public_commands(services: Services, fake: FakeTelegram) -> None:
    async def conversation() -> None:
        async with polling(services):
            start = await say(fake, "/start")
            assert "双碳" in start[0] and "/bind" in start[0]

            [answer, *_] = await say(fake, "到2030年要新增多少公用充电桩")
            assert "1107" in answer and "原文" in answer and "二、（一）2." in answer
            assert "<blockquote>" in answer  # quoted original text, as HTML

            # in a group: silent unless mentioned or replied to
            assert await say(fake, "专班办公室设在哪", chat_id=GROUP, chat_type="group") == []
            mentioned = await say(
                fake, f"@{fake.username} 专班办公室设在哪", chat_id=GROUP, chat_type="group"
            )
            assert "县发改局" in mentioned[0]
            replied = await say(
                fake, "专班办公室设在哪", chat_id=GROUP, chat_type="group", reply_to_bot=True
            )
            assert "县发改局" in replied[0]
            # a command for another bot in the same group is not ours
            assert await say(fake, "/help@other_bot", chat_id=GROUP, chat_type="group") == []

            taskforce = await say(fake, "/taskforce")
            assert "召集人：县政府办分管副主任" in taskforce[0]
            forestry = await say(fake, "/tasks 林业局")
            assert "县林业局承担的任务（3项）" in forestry[0] and "二、（三）" in forestry[0]
            assert "里程碑" not in forestry[0]  # the public sees no internal detail
            unknown = await say(fake, "/tasks 林草局")
            assert "没有名为“林草局”的责任单位" in unknown[0]
            # an unbound chat is the public: internal deadlines are not for it
            due = await say(fake, "/due")
            assert "内部工作信息" in due[0]
            asked = await say(fake, "这个月有哪些到期事项")
            assert "公众渠道不提供" in asked[0]

    asyncio.run(conversation())
    assert fake.calls_of("getMe") and fake.calls_of("setMyCommands")
    commands = fake.calls_of("setMyCommands")[0].params["commands"]
    assert [c["command"] for c in commands][:3] == ["start", "help", "tasks"]
    replies = fake.calls_of("sendMessage")
    assert all(c.params.get("parse_mode") == "HTML" for c in replies)


@sqlite_only
def test_binding_reporting_and_muting(services: Services, fake: FakeTelegram) -> None:
    forest_task = _task_id(services, "二、（一）4.")
    other_task = _task_id(services, "二、（一）2.")  # 县林业局 is not named in it
    services.registry.add_milestone(
        forest_task, due=dt.date(2026, 10, 12), description="完成造林选址", actor="专班办公室"
    )
    code = services.chats.issue_code(department="县林业局", actor="专班办公室").code
    group = {"chat_id": GROUP, "chat_type": "group", "user_id": 7, "first_name": "李林"}

    async def conversation() -> None:
        async with polling(services):
            refused = await say(fake, f"/report {forest_task} 进行中 已选址", **group)
            assert "只有已绑定部门的群可以填报进展" in refused[0]
            bound = await say(fake, f"/bind {code}", **group)
            assert "本群已绑定县林业局" in bound[0]
            again = await say(fake, f"/bind {code}", chat_id=-1002, chat_type="group")
            assert "已经使用过" in again[0]

            due = await say(fake, "/due", **group)
            assert "完成造林选址" in due[0] and "还有 27 天" in due[0]
            mine = await say(fake, "/tasks", **group)
            assert "县林业局承担的任务" in mine[0] and "里程碑：2026-10-12 完成造林选址" in mine[0]
            # a bound chat is an official audience
            asked = await say(fake, f"@{fake.username} 这个月有哪些到期事项", **group)
            assert "公众渠道不提供" not in asked[0]

            usage = await say(fake, f"/report {forest_task} 差不多 已选址", **group)
            assert "用法" in usage[0]
            not_ours = await say(fake, f"/report {other_task} 进行中 试试", **group)
            assert "不是任务" in not_ours[0]
            reported = await say(fake, f"/report {forest_task} 进行中 已完成10处造林选址", **group)
            assert "已记录进展" in reported[0] and "县林业局" in reported[0]

            assert "已暂停" in (await say(fake, "/mute", **group))[0]
            assert services.chats.chat(GROUP).muted  # type: ignore[union-attr]
            assert "已恢复" in (await say(fake, "/unmute", **group))[0]
            assert not services.chats.chat(GROUP).muted  # type: ignore[union-attr]
            unbound = await say(fake, "/mute", chat_id=-1003, chat_type="group")
            assert "尚未绑定" in unbound[0]

    asyncio.run(conversation())
    [progress] = services.registry.task(forest_task).progress
    assert (progress.department, progress.status, progress.note) == (
        "县林业局",
        "进行中",
        "已完成10处造林选址",
    )
    assert progress.reporter == "李林（Telegram 7）"
