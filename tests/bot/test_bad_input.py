"""Bad input through Telegram: odd questions, markup and entity injection, odd command arguments.
Every message gets a reply Telegram accepts (the fake refuses bad HTML and over-long text as
Telegram does), the user's markup comes back as text, and nothing reaches the error handler."""

from __future__ import annotations

import asyncio
import html

import pytest

from assistant.services import Services
from tests.bot.conftest import polling, say
from tests.fakes.telegram_api import FakeTelegram
from tests.hardening.test_bad_input import QUESTIONS

sqlite_only = pytest.mark.parametrize("database_url", [None], ids=["sqlite"])
ERROR_REPLY = "处理时出错了"
# Telegram delivers no empty message and nothing over 4096 characters
ODD_QUESTIONS = [q for q in QUESTIONS if q.strip() and len(q) <= 4096]
INJECTIONS = [
    "<b>粗体</b>秸秆禁烧谁牵头",
    '<a href="tg://user?id=1">点我</a>充电桩建多少',
    "</blockquote></b><b>林业局负责什么",
    "&lt;&amp;&#x27; &nbsp; & 充电桩",
    "*粗体* _斜体_ [链接](http://x) `代码` ~删除~ ||剧透|| > 引用 #标签 + - = | { } . !",
    "@policyqa_test_bot @admin 专班办公室设在哪",
    "\u202e" + "⁦隐藏⁩" + "秸秆" + "\u0000",
    "林" * 4096,
]
COMMANDS = [
    "/tasks <b>林业局</b>",
    "/tasks " + "林业局" * 1300,
    "/tasks '; DROP TABLE departments;--",
    "/tasks 🌲",
    "/bind <script>alert(1)</script>",
    "/bind " + "9" * 200,
    "/report",
    "/report 99999999999999999999 <i>进展</i>",
    "/report -1 完成",
    "/report abc",
    "/mute 3.5",
    "/due <b>",
    "/start@policyqa_test_bot 多余的参数 <b>",
    "/unknown_command",
]


@sqlite_only
def test_every_odd_message_gets_a_reply_telegram_accepts(
    services: Services, fake: FakeTelegram
) -> None:
    replies: dict[str, list[str]] = {}

    async def conversation() -> None:
        async with polling(services):
            for text in [*ODD_QUESTIONS, *INJECTIONS, *COMMANDS]:
                replies[text] = await say(fake, text)

    asyncio.run(conversation())
    assert fake.refused == []  # Telegram would have accepted every reply
    assert [t for t, r in replies.items() if not r] == []  # every message is answered
    assert "没有这个命令" in replies["/unknown_command"][0]
    assert not any(ERROR_REPLY in r for rs in replies.values() for r in rs)
    # markup typed by the user is shown back as text, never as formatting
    shown = [reply for answer in replies.values() for reply in answer]
    assert not any("<script" in r or '<a href="tg:' in r for r in shown)
    echoed = "".join(replies["/tasks <b>林业局</b>"])
    assert html.escape("<b>林业局</b>", quote=False) in echoed or "县林业局" in echoed


@sqlite_only
def test_a_bound_chat_sends_markup_as_progress_and_sees_it_as_text(
    services: Services, fake: FakeTelegram
) -> None:
    """Progress text with markup is stored as typed and shown escaped."""
    code = services.chats.issue_code(department="县林业局", actor="专班办公室").code
    task = next(t for t in services.registry.tasks() if t.clause == "二、（一）4.")
    note = "<b>已完成</b> & <a href='x'>附件</a> &amp;"
    group = {"chat_id": -77, "chat_type": "group"}

    async def conversation() -> list[str]:
        async with polling(services):
            await say(fake, f"/bind {code}", **group)  # type: ignore[arg-type]
            return await say(fake, f"/report {task.id} 进行中 {note}", **group)  # type: ignore[arg-type]

    reply = asyncio.run(conversation())
    assert fake.refused == []
    assert "已记录进展" in reply[0] and html.escape(note, quote=False) in reply[0]
    [stored] = services.registry.task(task.id).progress
    assert stored.note == note
