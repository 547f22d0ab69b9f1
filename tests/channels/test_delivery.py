"""Reminders through the outbox to 企业微信, 钉钉, 飞书 and e-mail, end to end: the planner, the
outbox, the channels' dispatcher and each platform's fake on 127.0.0.1 (a real SMTP server for
e-mail), on a fixed clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from assistant.reminders import TIMEZONE, ReminderPlanner
from assistant.settings import ChannelSettings, EmailSettings, Settings
from channels.dispatcher import ChannelDispatcher
from channels.senders import build_senders
from policyqa.composition import build_reminders
from policyqa.storage import build_channels, build_engine, build_registry
from registry.channels import ChannelService
from registry.chats import ChatService
from registry.outbox import NewMessage, Outbox
from registry.service import Registry
from tests.conftest import PAST, REPO, FixedClock, make_settings
from tests.fakes.robots import FakeRobots
from tests.fakes.servers import free_port
from tests.registry.conftest import sync_plan

FOREST_KEY, EDUCATION_KEY = "forest-wecom-key", "education-wecom-key"
DING_TOKEN, DING_SECRET = "forest-ding-token", "SECforest0123456789"
FEISHU_TOKEN, FEISHU_SECRET = "forest-feishu-hook", "feishu-secret-42"
OFFICE = "专班办公室"


class Mailbox:
    """An SMTP server's handler: every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 OK"


@dataclass
class World:
    clock: FixedClock
    robots: FakeRobots
    url: str
    mailbox: Mailbox
    settings: Settings
    registry: Registry
    chats: ChatService
    channels: ChannelService
    outbox: Outbox
    planner: ReminderPlanner

    def dispatcher(self) -> ChannelDispatcher:
        return ChannelDispatcher(
            self.outbox,
            self.channels,
            self.chats,
            build_senders(self.settings, clock=self.clock),
            clock=self.clock,
        )

    def dispatch(self) -> None:
        asyncio.run(self.dispatcher().run_once())


@pytest.fixture
def world(tmp_path: Path, embedding_cache: Path) -> Iterator[World]:
    clock = FixedClock(dt.datetime(2026, 9, 10, 8, tzinfo=TIMEZONE))
    robots = FakeRobots(
        clock=clock,
        wecom={FOREST_KEY, EDUCATION_KEY},
        dingtalk={DING_TOKEN: DING_SECRET},
        feishu={FEISHU_TOKEN: FEISHU_SECRET},
    )
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    mail = EmailSettings(host="127.0.0.1", port=smtp.port, security="none", sender="n@xy.gov.cn")
    settings = make_settings(
        tmp_path / "data",
        embedding_cache,
        channels=ChannelSettings(timeout=2.0, email=mail),
        public_url="https://dt.xy.gov.cn",
    )
    engine = build_engine(settings)
    registry = build_registry(settings, clock=clock, engine=engine)
    sync_plan(registry)
    chats, outbox = ChatService(engine, clock=clock), Outbox(engine, clock=clock)
    channels = build_channels(settings, engine, clock=clock)
    planner = build_reminders(settings, registry, chats, outbox, clock=clock, channels=channels)
    try:
        with robots.running() as url:
            yield World(
                clock, robots, url, mailbox, settings, registry, chats, channels, outbox, planner
            )
    finally:
        smtp.stop()


def _bind_forestry(world: World) -> None:
    """县林业局 on every platform; 县教育局 on 企业微信 only (the task does not name it: it hears nothing)."""
    add = world.channels.add
    add(kind="wecom", department="县林业局", url=f"{world.url}/cgi-bin/webhook/send?key={FOREST_KEY}", actor=OFFICE)  # fmt: skip
    add(kind="dingtalk", department="县林业局", url=f"{world.url}/robot/send?access_token={DING_TOKEN}", secret=DING_SECRET, actor=OFFICE)  # fmt: skip
    add(kind="feishu", department="县林业局", url=f"{world.url}/open-apis/bot/v2/hook/{FEISHU_TOKEN}", secret=FEISHU_SECRET, actor=OFFICE)  # fmt: skip
    add(kind="email", department="县林业局", addresses=["linye@xy.gov.cn", "zhang@xy.gov.cn"], actor=OFFICE)  # fmt: skip
    add(kind="wecom", department="县教育局", url=f"{world.url}/cgi-bin/webhook/send?key={EDUCATION_KEY}", actor=OFFICE)  # fmt: skip


def _title(payload: dict) -> str:  # type: ignore[type-arg]
    if "card" in payload:
        return payload["card"]["header"]["title"]["content"]
    if "title" in payload.get("markdown", {}):
        return payload["markdown"]["title"]
    return payload["markdown"]["content"].split("\n", 1)[0].strip("*")


def test_a_milestones_reminders_reach_every_bound_channel_on_their_workdays_once(
    world: World,
) -> None:
    task = next(t for t in world.registry.tasks() if t.clause == "二、（一）4.")
    assert "县林业局" in task.co_departments and "县教育局" not in task.co_departments
    world.registry.add_milestone(
        task.id, due=dt.date(2026, 10, 12), description="完成造林选址", actor=OFFICE
    )
    _bind_forestry(world)
    received: dict[str, dict[dt.date, list[str]]] = {}
    day = dt.date(2026, 9, 10)
    while day <= dt.date(2026, 10, 12):
        world.clock.now = dt.datetime.combine(day, dt.time(9), tzinfo=TIMEZONE)
        before = {robot: len(p) for robot, p in world.robots.accepted.items()}
        mails = len(world.mailbox.messages)
        world.planner.plan()
        world.dispatch()
        world.dispatch()  # a second run the same day sends nothing more
        for robot, payloads in world.robots.accepted.items():
            titles = [_title(p) for p in payloads[before.get(robot, 0) :]]
            if titles:
                received.setdefault(robot, {})[day] = titles
        titles = [str(m["Subject"]) for m in world.mailbox.messages[mails:]]
        if titles:
            received.setdefault("email", {})[day] = titles
        day += dt.timedelta(days=1)

    expected = {
        dt.date(2026, 9, 11): ["【到期提醒】还有 31 天到期"],  # T-30: 9-12 is a Saturday
        dt.date(2026, 9, 30): ["【到期提醒】还有 12 天到期"],  # T-7: 10-05 is National Day
        dt.date(2026, 10, 10): ["【到期提醒】还有 2 天到期"],  # T-1: Sunday → the 调休 Saturday
    }
    assert received == {FOREST_KEY: expected, DING_TOKEN: expected, FEISHU_TOKEN: expected, "email": expected}  # fmt: skip
    assert EDUCATION_KEY not in world.robots.accepted  # not its task
    [mail] = [m for m in world.mailbox.messages if "12 天" in str(m["Subject"])]
    assert mail["To"] == "linye@xy.gov.cn, zhang@xy.gov.cn"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert (
        "二、（一）4." in text
        and f"https://dt.xy.gov.cn/dashboard?task={task.id}#task-{task.id}" in text
    )
    assert world.outbox.items() == []  # nothing pending or failed


@pytest.mark.parametrize("platform", ["wecom", "dingtalk"])
def test_sixty_reminders_to_one_robot_keep_to_twenty_a_minute(world: World, platform: str) -> None:
    url = (
        f"{world.url}/cgi-bin/webhook/send?key={FOREST_KEY}"
        if platform == "wecom"
        else f"{world.url}/robot/send?access_token={DING_TOKEN}"
    )
    channel = world.channels.add(
        kind=platform,
        department="县林业局",
        url=url,
        secret="" if platform == "wecom" else DING_SECRET,
        actor=OFFICE,
    )
    world.outbox.enqueue(
        NewMessage(
            dedupe_key=f"load:{n}",
            chat_id=f"channel:{channel.id}",
            kind="reminder",
            text=f"【到期提醒】第 {n} 条\n任务 {n}｜二、（一）4. 加强林业碳汇",
            not_before=world.clock.now,
            channel_id=channel.id,
        )
        for n in range(60)
    )
    start, runs = world.clock.now, 0
    while world.outbox.items():
        world.dispatch()
        world.clock.now += dt.timedelta(seconds=30)  # the scheduler's cadence
        runs += 1
        assert runs < 20
    robot = FOREST_KEY if platform == "wecom" else DING_TOKEN
    assert len(world.robots.accepted[robot]) == 60
    limited = {"wecom": 45009, "dingtalk": 130101}[platform]
    assert limited not in world.robots.codes(platform)  # never once over the limit
    assert world.clock.now - start >= dt.timedelta(minutes=2)  # 60 at 20 a minute


def test_a_refused_key_fails_at_once_and_the_office_is_told(world: World) -> None:
    forest = world.channels.add(
        kind="wecom", department="县林业局", url=f"{world.url}/cgi-bin/webhook/send?key=wrong",
        actor=OFFICE,
    )  # fmt: skip
    world.channels.add(kind="email", department=None, office=True, addresses=["zb@xy.gov.cn"], actor=OFFICE)  # fmt: skip
    world.outbox.enqueue(
        [
            NewMessage(
                dedupe_key="refused",
                chat_id=f"channel:{forest.id}",
                kind="reminder",
                text="【到期提醒】还有 7 天到期",
                not_before=world.clock.now,
                channel_id=forest.id,
            )
        ]
    )
    world.dispatch()
    [failed] = world.outbox.items(statuses=("failed",))
    assert (
        failed.attempts == 1 and "93000" in failed.last_error and "wrong" not in failed.last_error
    )
    world.dispatch()  # the office's notice goes out
    [notice] = world.mailbox.messages
    assert str(notice["Subject"]) == "【渠道故障】消息未能送达"
    body = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"编号 {forest.id}" in body and "县林业局" in body and "key=wrong" not in body


_DISPATCH_ONCE = """
import asyncio
from assistant.settings import Settings
from channels.dispatcher import ChannelDispatcher
from channels.senders import build_senders
from policyqa.storage import build_channels, build_engine, shanghai_now as clock
from registry.chats import ChatService
from registry.outbox import Outbox

settings = Settings()
engine = build_engine(settings)
channels = build_channels(settings, engine, clock=clock)
dispatcher = ChannelDispatcher(
    Outbox(engine, clock=clock), channels, ChatService(engine, clock=clock),
    build_senders(settings, clock=clock), clock=clock,
)
asyncio.run(dispatcher.run_once())
"""


def test_a_dispatcher_killed_between_send_and_confirm_loses_nothing(world: World) -> None:
    """SIGKILL while the robot holds back its answer to a message it delivered: the next
    dispatcher sends that one again (the one duplicate this window allows) and the rest once."""
    channel = world.channels.add(
        kind="wecom", department="县林业局",
        url=f"{world.url}/cgi-bin/webhook/send?key={FOREST_KEY}", actor=OFFICE,
    )  # fmt: skip
    world.outbox.enqueue(
        NewMessage(
            dedupe_key=f"kill:{n}",
            chat_id=f"channel:{channel.id}",
            kind="reminder",
            text=f"【到期提醒】第 {n} 条",
            not_before=PAST,  # due for the subprocess on the machine's clock, whatever the date
            channel_id=channel.id,
        )
        for n in range(3)
    )
    world.robots.answer_delay = 60
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(world.settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(world.settings.corpus_dir),
    }
    process = subprocess.Popen([sys.executable, "-c", _DISPATCH_ONCE], env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not world.robots.accepted.get(FOREST_KEY):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert sorted(i.status for i in world.outbox.items()) == ["pending", "pending", "sending"]

    world.robots.answer_delay = 0
    world.clock.now = PAST + dt.timedelta(minutes=1)
    world.dispatch()
    titles = sorted(_title(p) for p in world.robots.accepted[FOREST_KEY])
    assert titles == ["【到期提醒】第 0 条", "【到期提醒】第 0 条", "【到期提醒】第 1 条", "【到期提醒】第 2 条"]  # fmt: skip
    assert world.outbox.items() == []


def test_a_dingtalk_stream_conversation_is_answered_not_pushed_to(world: World) -> None:
    """A 钉钉 group bound through Stream mode chats with the assistant; its reminders go
    through the department's robot channel, never to the conversation as if it were Telegram."""
    task = next(t for t in world.registry.tasks() if t.clause == "二、（一）4.")
    world.registry.add_milestone(
        task.id, due=dt.date(2026, 9, 14), description="完成造林选址", actor=OFFICE
    )
    code = world.chats.issue_code(department="县林业局", actor=OFFICE).code
    world.chats.bind(chat_id="dingtalk:cidForest==", code=code, actor="钉钉")
    world.clock.now = dt.datetime(2026, 9, 11, 9, tzinfo=TIMEZONE)
    assert world.planner.plan().planned == 0  # bound, but not a push target
    world.channels.add(kind="wecom", department="县林业局", url=f"{world.url}/cgi-bin/webhook/send?key={FOREST_KEY}", actor=OFFICE)  # fmt: skip
    assert world.planner.plan().queued == 1
    assert [i.chat_id for i in world.outbox.items()] == ["channel:1"]


def test_a_removed_channel_sends_nothing_and_raises_no_alarm(world: World) -> None:
    forest = world.channels.add(kind="wecom", department="县林业局", url=f"{world.url}/cgi-bin/webhook/send?key={FOREST_KEY}", actor=OFFICE)  # fmt: skip
    world.channels.add(kind="email", department=None, office=True, addresses=["zb@xy.gov.cn"], actor=OFFICE)  # fmt: skip
    world.outbox.enqueue(
        [
            NewMessage(
                dedupe_key="after-removal",
                chat_id=f"channel:{forest.id}",
                kind="reminder",
                text="【到期提醒】还有 7 天到期",
                not_before=world.clock.now,
                channel_id=forest.id,
            )
        ]
    )
    world.channels.remove(forest.id, actor=OFFICE)
    world.dispatch()
    world.dispatch()
    [failed] = world.outbox.items(statuses=("failed",))
    assert failed.last_error == "渠道已被专班办公室删除"
    assert FOREST_KEY not in world.robots.accepted and world.mailbox.messages == []
