"""Run modes: the webhook bot inside another event loop, and the reminder scheduler."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from assistant.reminders import TIMEZONE
from assistant.services import Services
from bot.app import (
    BotDisabled,
    PollingBot,
    WebhookBot,
    build_application,
    embedded_bot,
    webhook_secret,
)
from policyqa.scheduler import start_scheduler
from tests.conftest import FixedClock
from tests.fakes.telegram_api import FakeTelegram

sqlite_only = pytest.mark.parametrize("database_url", [None], ids=["sqlite"])


@sqlite_only
def test_webhook_mode(services: Services, fake: FakeTelegram) -> None:
    settings = services.settings.model_copy(
        update={"telegram_webhook_url": "https://example.org/telegram/webhook"}
    )
    secret = webhook_secret(settings)
    update = fake.message("/taskforce", chat_id=5)  # not polled: handed to the webhook below

    assert isinstance(embedded_bot(services, services.settings), PollingBot)

    async def run() -> None:
        bot = embedded_bot(dataclasses.replace(services, settings=settings), settings)
        assert isinstance(bot, WebhookBot)
        await bot.start()
        try:
            assert not await bot.handle(update, secret="wrong")
            assert await bot.handle(update, secret=secret)
            await fake.until(lambda: bool(fake.sent(5)))
        finally:
            await bot.stop()

    asyncio.run(run())
    assert fake.webhook["url"] == "https://example.org/telegram/webhook"
    assert fake.webhook["secret_token"] == secret
    assert fake.calls_of("setMyCommands")
    assert not fake.calls_of("getUpdates")
    assert "召集人" in fake.sent(5)[0]


@sqlite_only
def test_no_token_no_bot(services: Services) -> None:
    settings = services.settings.model_copy(update={"telegram_token": None})
    with pytest.raises(BotDisabled, match="POLICYQA_TELEGRAM_TOKEN"):
        build_application(services, settings)
    assert embedded_bot(services, settings) is None
    # reminders still go to the push channels (企业微信, 钉钉, 飞书, e-mail); Telegram is not asked
    scheduler = start_scheduler(services, settings)
    try:
        assert scheduler.running and scheduler.telegram is None
        assert set(scheduler.dispatch()) == {"channels"}
    finally:
        scheduler.shutdown()


@sqlite_only
def test_scheduler_plans_and_dispatches(
    services: Services, fake: FakeTelegram, clock: FixedClock
) -> None:
    task = next(t for t in services.registry.tasks() if t.clause == "二、（一）4.")
    services.registry.add_milestone(
        task.id, due=dt.date(2026, 10, 12), description="完成造林选址", actor="o"
    )
    code = services.chats.issue_code(department="县林业局", actor="o").code
    services.chats.bind(chat_id=-1001, code=code, actor="x")
    clock.now = dt.datetime(2026, 9, 30, 9, tzinfo=TIMEZONE)
    scheduler = start_scheduler(services, services.settings, clock=clock)
    try:
        assert scheduler.running
        jobs = {job.id: job for job in scheduler._scheduler.get_jobs()}  # type: ignore[union-attr]
        assert set(jobs) >= {"plan-daily", "dispatch-outbox"}
        assert "hour='9'" in str(jobs["plan-daily"].trigger)
        # the at-start plan and the first dispatch run in the background within seconds
        fake.wait_for(lambda: bool(fake.sent(-1001)), timeout=15)
    finally:
        scheduler.shutdown()
    assert "还有 12 天到期" in fake.sent(-1001)[0]
    assert scheduler.plan() is not None and scheduler.plan().queued == 0  # type: ignore[union-attr]
