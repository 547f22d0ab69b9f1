"""The Telegram bot: a python-telegram-bot ``Application`` built from the core services.

Requests go to ``{POLICYQA_TELEGRAM_API_URL}/bot{token}/{method}`` (the official Bot API by
default, or a self-hosted Bot API server). Long polling by default (``policyqa bot``); in webhook
mode the web app feeds updates to :class:`WebhookBot`. Nothing here runs at import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes
from telegram.request import HTTPXRequest

from assistant.services import Services
from assistant.settings import Settings
from bot.handlers import BotContext, add_handlers, bot_commands

logger = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds, every request but the long poll's wait
POLL_TIMEOUT = dt.timedelta(seconds=30)  # how long getUpdates waits for news
ALLOWED_UPDATES = ["message"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

BotApplication = Application[Any, Any, Any, Any, Any, Any]


class BotDisabled(RuntimeError):
    """No token is configured."""


def _token(settings: Settings) -> str:
    if not settings.telegram_token:
        raise BotDisabled("Telegram 机器人未启用：未设置 POLICYQA_TELEGRAM_TOKEN。")
    return settings.telegram_token


def _root(settings: Settings) -> str:
    return settings.telegram_api_url.rstrip("/")


def _request(timeout: float) -> HTTPXRequest:
    return HTTPXRequest(
        connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout
    )


def build_bot(settings: Settings, *, timeout: float = TIMEOUT) -> Bot:
    """A bare Bot for sending (the outbox dispatcher); use it as ``async with build_bot(...)``."""
    return Bot(
        _token(settings),
        base_url=f"{_root(settings)}/bot",
        base_file_url=f"{_root(settings)}/file/bot",
        request=_request(timeout),
    )


def build_application(
    services: Services, settings: Settings, *, webhook: bool = False, timeout: float = TIMEOUT
) -> BotApplication:
    """The bot with its handlers; ``webhook=True`` leaves out the polling updater."""
    builder = (
        Application.builder()
        .token(_token(settings))
        .base_url(f"{_root(settings)}/bot")
        .base_file_url(f"{_root(settings)}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .request(_request(timeout))
        .get_updates_request(_request(timeout))
        .post_init(setup)
    )
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["services"] = services
    add_handlers(application)
    return application


async def setup(application: BotApplication) -> None:
    """Once the bot is initialised: publish the command menu (not fatal if it fails)."""
    try:
        await application.bot.set_my_commands(bot_commands())
    except TelegramError as exc:
        logger.warning("could not set the bot's commands: %s", exc)


def run_polling(application: BotApplication) -> None:
    """Long polling until Ctrl-C or SIGTERM (blocks; owns its event loop)."""
    application.run_polling(allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT)


def webhook_secret(settings: Settings) -> str:
    """The ``secret_token`` Telegram sends back with each webhook call, derived from the token so
    every worker of the web app agrees on it without another setting."""
    return hashlib.sha256(f"policyqa-webhook:{_token(settings)}".encode()).hexdigest()


class PollingBot:
    """The bot long-polling inside another program's event loop (the web app's, under
    ``policyqa serve``): ``await bot.start()`` in its start-up, ``await bot.stop()`` on exit."""

    def __init__(
        self,
        services: Services,
        settings: Settings,
        *,
        poll_timeout: dt.timedelta = POLL_TIMEOUT,
        timeout: float = TIMEOUT,
    ) -> None:
        self.application = build_application(services, settings, timeout=timeout)
        self._poll_timeout = poll_timeout

    async def start(self) -> None:
        await self.application.initialize()
        await setup(self.application)
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        logger.info("Telegram bot polling")

    async def stop(self) -> None:
        assert self.application.updater is not None
        if self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def handle(self, payload: dict[str, Any], *, secret: str | None) -> bool:
        """Polling takes no webhook calls."""
        return False


class WebhookBot:
    """The bot inside the web app's event loop, fed by its webhook route.

    Wire it into the FastAPI lifespan: ``await bot.start()`` / ``await bot.stop()``, and in
    ``POST /telegram/webhook``: ``ok = await bot.handle(await request.json(),
    secret=request.headers.get(SECRET_HEADER))``, answering 200 when ``ok`` and 403 otherwise.
    """

    def __init__(self, services: Services, settings: Settings) -> None:
        if not settings.telegram_webhook_url:
            raise BotDisabled("未设置 POLICYQA_TELEGRAM_WEBHOOK_URL。")
        self.application = build_application(services, settings, webhook=True)
        self._url = settings.telegram_webhook_url
        self._secret = webhook_secret(settings)

    async def start(self) -> None:
        await self.application.initialize()
        await setup(self.application)
        await self.application.start()
        await self.application.bot.set_webhook(
            url=self._url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES
        )
        logger.info("Telegram webhook set to %s", self._url)

    async def stop(self) -> None:
        # the webhook stays set: Telegram keeps updates until the next start
        await self.application.stop()
        await self.application.shutdown()

    async def handle(self, payload: dict[str, Any], *, secret: str | None) -> bool:
        """Queue one update; ``False`` (answer 403) when it does not carry our secret."""
        if not hmac.compare_digest(secret or "", self._secret):
            return False
        update = Update.de_json(payload, self.application.bot)
        await self.application.update_queue.put(update)
        return True


def embedded_bot(services: Services, settings: Settings) -> PollingBot | WebhookBot | None:
    """The bot to run inside the web app: webhook when a public URL is set, else long polling;
    ``None`` (and a log line saying so) without a token."""
    if not settings.telegram_token:
        logger.warning("Telegram 机器人未启用（未设置 POLICYQA_TELEGRAM_TOKEN）。")
        return None
    if settings.telegram_webhook_url:
        return WebhookBot(services, settings)
    return PollingBot(services, settings)
