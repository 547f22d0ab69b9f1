"""Bot fixtures: a fake Bot API server on 127.0.0.1, settings pointing at it, and services whose
registry, chats and outbox are fresh for each test (SQLite, and PostgreSQL where a test asks)."""

# The registry's fixtures are imported below and then requested by name.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from assistant.services import Services
from assistant.settings import Settings
from assistant.supervision import SupervisionService
from bot.app import PollingBot
from policyqa.composition import build_reminders
from policyqa.storage import build_engine, build_registry
from registry.chats import ChatService
from registry.outbox import Outbox
from tests.conftest import CORPUS, FixedClock
from tests.fakes.telegram_api import FakeTelegram
from tests.registry.conftest import clock, database_url, sync_plan  # noqa: F401

PROBE_CHAT = 999_999  # a private chat whose /help answer shows earlier updates are done


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def telegram_url(fake: FakeTelegram) -> Iterator[str]:
    with fake.running() as url:
        yield url


@pytest.fixture
def bot_settings(
    tmp_path: Path, database_url: str | None, telegram_url: str, fake: FakeTelegram
) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        corpus_dir=CORPUS,
        database_url=database_url,
        telegram_token=fake.token,
        telegram_api_url=telegram_url,
    )


@pytest.fixture
def services(plan_services: Services, bot_settings: Settings, clock: FixedClock) -> Services:
    """Answers over the plan's shared index; registry, chats and outbox of this test alone."""
    engine = build_engine(bot_settings)
    registry = build_registry(bot_settings, clock=clock, engine=engine)
    sync_plan(registry)
    chats, outbox = ChatService(engine, clock=clock), Outbox(engine, clock=clock)
    return dataclasses.replace(
        plan_services,
        settings=bot_settings,
        registry=registry,
        chats=chats,
        outbox=outbox,
        reminders=build_reminders(bot_settings, registry, chats, outbox, clock=clock),
        supervision=SupervisionService(registry=registry, chats=chats, outbox=outbox, clock=clock),
    )


@asynccontextmanager
async def polling(services: Services) -> AsyncIterator[PollingBot]:
    """The bot long-polling the fake, as inside the web app, in this test's event loop."""
    bot = PollingBot(services, services.settings, poll_timeout=dt.timedelta(seconds=1))
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def say(fake: FakeTelegram, text: str, *, chat_id: int = 42, **message: object) -> list[str]:
    """Send ``text`` through getUpdates; the bot's replies to that chat (none if it stays quiet).

    Updates are handled one at a time, so once a probe chat's /help is answered every reply to
    ``text`` has been sent.
    """
    before = len(fake.delivered)
    probes = len(fake.sent(PROBE_CHAT))
    fake.message(text, chat_id=chat_id, **message)  # type: ignore[arg-type]
    fake.message("/help", chat_id=PROBE_CHAT)
    await fake.until(lambda: len(fake.sent(PROBE_CHAT)) > probes)
    return [m["text"] for m in fake.delivered[before:] if str(m["chat"]["id"]) == str(chat_id)]
