"""Builds the web application from settings (composition root for the HTTP channel): the API and
pages, plus the reminder scheduler and the Telegram bot running around the app's life."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.app import create_app
from assistant.services import Services
from bot.app import SECRET_HEADER, PollingBot, WebhookBot, embedded_bot
from policyqa.scheduler import start_scheduler

logger = logging.getLogger(__name__)


def session_secret(services: Services) -> str:
    """The configured secret, else one kept in DATA_DIR so sessions survive restarts."""
    settings = services.settings
    if settings.api.session_secret:
        return settings.api.session_secret
    path = settings.data_dir / "session-secret"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip()


def build_web_app(services: Services, *, background: bool = False, polling: bool = True) -> FastAPI:
    """``background``: also run the reminder scheduler and the bot (``policyqa serve``).
    ``polling``: whether this process may long-poll Telegram (only one process may)."""
    settings = services.settings
    bot = embedded_bot(services, settings) if background else None
    if isinstance(bot, PollingBot) and not polling:
        logger.warning("several workers: the bot needs POLICYQA_TELEGRAM_WEBHOOK_URL to run here")
        bot = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        scheduler = start_scheduler(services, settings) if background else None
        if bot is not None:
            await bot.start()
        try:
            yield
        finally:
            if bot is not None:
                await bot.stop()
            if scheduler is not None:
                scheduler.shutdown()

    app = create_app(
        services,
        lifespan=lifespan,
        session_secret=session_secret(services),
        public_rate_limit=settings.api.public_rate_limit,
        login_rate_limit=settings.api.login_rate_limit,
        account_rate_limit=settings.api.account_rate_limit,
        streaming=bool(settings.llm_base_url),
        secure_cookies=settings.api.secure_cookies,
    )
    if isinstance(bot, WebhookBot):
        webhook = bot

        async def telegram_webhook(request: Request) -> JSONResponse:
            try:
                payload = await request.json()
                ok = await webhook.handle(payload, secret=request.headers.get(SECRET_HEADER))
            except (ValueError, TypeError, KeyError, AttributeError):  # not an update at all
                return JSONResponse({"ok": False}, status_code=400)
            return JSONResponse({"ok": ok}, status_code=200 if ok else 403)

        path = urlparse(settings.telegram_webhook_url or "").path or "/telegram/webhook"
        app.add_api_route(path, telegram_webhook, methods=["POST"], include_in_schema=False)
    return app


def app_from_env() -> FastAPI:
    """The app factory each uvicorn worker calls (``policyqa serve --workers N``)."""
    from assistant.settings import Settings
    from policyqa.composition import build_services

    return build_web_app(build_services(Settings()), background=True, polling=False)
