"""Delivering the outbox through the fake Bot API when Telegram fails: 500, 429, timeouts, a
dispatcher killed between send and confirm, and two dispatchers at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from assistant.settings import Settings
from bot.app import build_bot
from bot.dispatcher import OutboxDispatcher
from policyqa.storage import build_engine, build_registry
from registry.chats import ChatService
from registry.outbox import Backoff, DispatchReport, NewMessage, Outbox, OutboxItem
from tests.conftest import PAST, FixedClock
from tests.fakes.telegram_api import FakeTelegram, Scripted
from tests.registry.conftest import sync_plan

REPO = Path(__file__).resolve().parents[2]
sqlite_only = pytest.mark.parametrize("database_url", [None], ids=["sqlite"])


@pytest.fixture
def engine(bot_settings: Settings) -> Engine:
    return build_engine(bot_settings)


@pytest.fixture
def outbox(engine: Engine, clock: FixedClock) -> Outbox:
    return Outbox(engine, clock=clock)


def _queue(outbox: Outbox, at: dt.datetime, *chats: int) -> None:
    outbox.enqueue(
        [
            NewMessage(
                dedupe_key=f"test:{n}:chat:{chat}",
                chat_id=str(chat),
                kind="reminder",
                text=f"提醒 {n} <b>&",
                not_before=at,
            )
            for n, chat in enumerate(chats)
        ]
    )


def _dispatcher(
    outbox: Outbox,
    settings: Settings,
    clock: FixedClock,
    *,
    timeout: float = 5.0,
    **options: object,
) -> OutboxDispatcher:
    return OutboxDispatcher(
        outbox,
        lambda: build_bot(settings, timeout=timeout),
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


def _item(outbox: Outbox, key: str) -> OutboxItem:
    return next(
        i
        for i in outbox.items(statuses=("pending", "sending", "sent", "failed"))
        if i.dedupe_key == key
    )


def _run(dispatcher: OutboxDispatcher) -> DispatchReport:
    return asyncio.run(dispatcher.run_once())


@sqlite_only
def test_sends_plain_text_and_records_telegram_message_id(
    outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    _queue(outbox, clock.now, -1, -2)
    dispatcher = _dispatcher(outbox, bot_settings, clock)
    assert _run(dispatcher).sent == 2
    assert fake.sent() == ["提醒 0 <b>&", "提醒 1 <b>&"]  # plain text: nothing to escape
    assert all("parse_mode" not in c.params for c in fake.calls_of("sendMessage"))
    items = outbox.items(statuses=("sent",))
    assert [i.telegram_message_id for i in items] == [m["message_id"] for m in fake.delivered]
    assert _run(dispatcher) == DispatchReport()  # nothing due: not even getMe
    assert len(fake.calls_of("getMe")) == 1


@sqlite_only
def test_5xx_is_retried_with_backoff(
    outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    _queue(outbox, clock.now, -1, -2)
    fake.script("sendMessage", Scripted(status=500), Scripted(status=502))
    dispatcher = _dispatcher(outbox, bot_settings, clock)
    report = _run(dispatcher)
    assert (report.sent, report.retried) == (0, 1)  # the run stops: Telegram is in trouble
    first = _item(outbox, "test:0:chat:-1")
    assert (first.status, first.attempts) == ("pending", 1)
    assert "Internal Server Error" in first.last_error
    clock.now += dt.timedelta(seconds=1)
    report = _run(dispatcher)  # the other item is due, the first waits 30 s
    assert (report.sent, report.retried) == (0, 1)
    clock.now += dt.timedelta(seconds=28)
    assert _run(dispatcher) == DispatchReport()  # neither is due yet
    clock.now += dt.timedelta(seconds=2)
    assert _run(dispatcher).sent == 2
    assert sorted(fake.sent()) == ["提醒 0 <b>&", "提醒 1 <b>&"]
    assert len(fake.calls_of("sendMessage")) == 4


@sqlite_only
def test_429_pauses_for_retry_after_without_counting(
    outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    _queue(outbox, clock.now, -1, -2)
    fake.script("sendMessage", Scripted(status=429, retry_after=7))
    dispatcher = _dispatcher(outbox, bot_settings, clock)
    report = _run(dispatcher)
    assert report.sent == 0 and report.paused_until == clock.now + dt.timedelta(seconds=7)
    assert [i.attempts for i in outbox.items()] == [0, 0]
    clock.now += dt.timedelta(seconds=6)
    assert _run(dispatcher).sent == 0  # still paused, even for the other item
    assert len(fake.calls_of("sendMessage")) == 1
    clock.now += dt.timedelta(seconds=1)
    assert _run(dispatcher).sent == 2
    assert len(fake.sent()) == 2


@sqlite_only
def test_a_timeout_is_retried(
    outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    _queue(outbox, clock.now, -1)
    # Telegram hangs longer than the client waits, and the message does not get through
    fake.script("sendMessage", Scripted(status=504, delay=1.5))
    dispatcher = _dispatcher(outbox, bot_settings, clock, timeout=0.3)
    started = time.monotonic()
    report = _run(dispatcher)
    assert report.retried == 1 and time.monotonic() - started < 1.5
    assert "TimedOut" in _item(outbox, "test:0:chat:-1").last_error
    clock.now += Backoff().after(1)
    assert _run(dispatcher).sent == 1
    assert fake.sent() == ["提醒 0 <b>&"]


@sqlite_only
def test_a_timeout_after_delivery_doubles_at_most_once(
    outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    """The Bot API has no idempotency key: when Telegram delivered but the answer never came,
    the retry is a second copy. Documented; it cannot become a third."""
    _queue(outbox, clock.now, -1)
    fake.script("sendMessage", Scripted(status=200, delay=1.5))
    dispatcher = _dispatcher(outbox, bot_settings, clock, timeout=0.3)
    assert _run(dispatcher).retried == 1
    for _ in range(3):
        clock.now += dt.timedelta(minutes=5)
        _run(dispatcher)
    assert fake.sent() == ["提醒 0 <b>&", "提醒 0 <b>&"]
    assert outbox.items() == []


@sqlite_only
def test_gives_up_after_max_attempts_and_fails_refused_chats_at_once(
    outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    _queue(outbox, clock.now, -1, -2)
    fake.script("sendMessage", Scripted(status=403), *[Scripted(status=500)] * 3)
    dispatcher = _dispatcher(outbox, bot_settings, clock, max_attempts=3)
    for _ in range(4):
        _run(dispatcher)
        clock.now += dt.timedelta(hours=1)
    failed = outbox.items(statuses=("failed",))
    assert [(i.chat_id, i.attempts) for i in failed] == [("-1", 1), ("-2", 3)]
    assert "Forbidden" in failed[0].last_error and "Internal Server Error" in failed[1].last_error
    assert fake.sent() == []


@sqlite_only
def test_follows_a_group_that_became_a_supergroup(
    engine: Engine, outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    chats = ChatService(engine, clock=clock)
    sync_plan(build_registry(bot_settings, clock=clock, engine=engine))
    code = chats.issue_code(department="县林业局", actor="o").code
    chats.bind(chat_id=-5, code=code, actor="x")
    _queue(outbox, clock.now, -5)
    fake.script("sendMessage", Scripted(status=400, migrate_to_chat_id=-1005))
    assert _run(_dispatcher(outbox, bot_settings, clock, chats=chats)).sent == 1
    assert fake.sent(-1005) == ["提醒 0 <b>&"]
    assert chats.chat(-1005) is not None and chats.chat(-5) is None


@sqlite_only
def test_claimed_but_not_sent_is_sent_once_after_a_crash(
    outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    class Crash(BaseException):
        """The process dying: no handler of the dispatcher catches it."""

    class DyingBot:
        def __init__(self) -> None:
            self.bot = build_bot(bot_settings)

        async def __aenter__(self) -> DyingBot:
            await self.bot.__aenter__()
            return self

        async def __aexit__(self, *exc: object) -> None:
            await self.bot.__aexit__(None, None, None)

        async def send_message(self, **_: object) -> None:
            raise Crash

    _queue(outbox, clock.now, -1)
    with pytest.raises(Crash):
        asyncio.run(OutboxDispatcher(outbox, DyingBot, clock=clock).run_once())  # type: ignore[arg-type]
    assert outbox.items()[0].status == "sending"
    # the lock is free again: no dispatcher is alive to confirm it, so it is due at once
    assert _run(_dispatcher(outbox, bot_settings, clock)).sent == 1
    assert fake.sent() == ["提醒 0 <b>&"]


_DISPATCH_ONCE = """
import asyncio
from assistant.settings import Settings
from bot.app import build_bot
from bot.dispatcher import OutboxDispatcher
from registry.db import database_url, make_engine
from registry.outbox import Outbox
from policyqa.storage import shanghai_now as clock  # the product's own clock

settings = Settings()
outbox = Outbox(make_engine(database_url(settings.database_url, data_dir=settings.data_dir)), clock=clock)
asyncio.run(OutboxDispatcher(outbox, lambda: build_bot(settings, timeout=60), clock=clock).run_once())
"""


def test_a_dispatcher_killed_between_send_and_confirm(
    engine: Engine, bot_settings: Settings, fake: FakeTelegram
) -> None:
    """SIGKILL while Telegram holds the answer to a message it delivered: the next dispatcher to
    take the lock sends it again at once, without waiting out the claim's lease (the one
    duplicate this window allows), and the rest once."""
    real = FixedClock(PAST)
    outbox = Outbox(engine, clock=real)
    _queue(outbox, real.now, -1, -2, -3)
    fake.script("sendMessage", Scripted(status=200, delay=60))  # delivered, answer withheld
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(bot_settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(bot_settings.corpus_dir),
        "POLICYQA_TELEGRAM_TOKEN": fake.token,
        "POLICYQA_TELEGRAM_API_URL": bot_settings.telegram_api_url,
    }
    if bot_settings.database_url:
        env["POLICYQA_DATABASE_URL"] = bot_settings.database_url
    process = subprocess.Popen([sys.executable, "-c", _DISPATCH_ONCE], env=env, cwd=REPO)
    try:
        fake.wait_for(lambda: len(fake.sent()) == 1, timeout=30)
        with outbox.dispatcher_lock() as held:
            assert not held  # the dispatcher is alive and holds the lock
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert {i.dedupe_key: i.status for i in outbox.items()} == {
        "test:0:chat:-1": "sending",
        "test:1:chat:-2": "pending",
        "test:2:chat:-3": "pending",
    }

    real.now = PAST + dt.timedelta(minutes=1)
    restarted = _dispatcher(outbox, bot_settings, real)
    deadline = time.monotonic() + 5
    while not (report := _run(restarted)).held_lock:  # the server notices the dead connection
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert report.sent == 3
    assert sorted(fake.sent()) == ["提醒 0 <b>&", "提醒 0 <b>&", "提醒 1 <b>&", "提醒 2 <b>&"]
    assert outbox.items() == []


def test_two_dispatchers_at_once_send_each_message_once(
    outbox: Outbox, bot_settings: Settings, clock: FixedClock, fake: FakeTelegram
) -> None:
    _queue(outbox, clock.now, *range(-1, -7, -1))
    fake.send_delay = 0.1  # a run takes ~0.6 s: the two overlap
    barrier = threading.Barrier(2)
    reports: list[DispatchReport] = []

    def dispatch() -> None:
        dispatcher = _dispatcher(outbox, bot_settings, clock)
        barrier.wait()
        reports.append(_run(dispatcher))

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted((r.held_lock, r.sent) for r in reports) == [(False, 0), (True, 6)]
    assert sorted(fake.sent()) == sorted(f"提醒 {n} <b>&" for n in range(6))
