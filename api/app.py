"""The FastAPI application factory: API, pages and static assets over the core services."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from api import edge, errors
from api.auth import SESSION_COOKIE, RateLimits
from api.csrf import origin_of, same_origin
from api.routes import (
    accounts,
    channel_pages,
    channels,
    docs,
    intake,
    ledger,
    overview,
    pages,
    public,
    supervision,
)
from assistant.services import Services

HERE = Path(__file__).resolve().parent
# what the composition root runs around the app's life (the bot, the reminder scheduler)
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    services: Services,
    *,
    lifespan: Lifespan | None = None,
    session_secret: str,
    public_rate_limit: str = "30/minute",
    login_rate_limit: str = "5/minute",
    account_rate_limit: str = "120/minute",
    streaming: bool = False,
    secure_cookies: bool = False,
) -> FastAPI:
    """``streaming``: the chat pages use server-sent events (when an LLM is configured).
    ``secure_cookies``: the session cookie is only sent over HTTPS (deployed behind TLS)."""
    app = FastAPI(
        title="双碳政策助手 API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # our own /docs: Swagger UI from /static, no CDN
        redoc_url=None,
        dependencies=[Depends(same_origin)],  # CSRF: see api/csrf.py
    )
    app.state.services = services
    app.state.limits = RateLimits(
        public=public_rate_limit, login=login_rate_limit, account=account_rate_limit
    )
    app.state.public_origin = origin_of(services.settings.public_url or "")
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates.env.globals["streaming"] = streaming
    app.state.templates.env.globals["texts"] = services.texts
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret,
        session_cookie=SESSION_COOKIE,
        same_site="lax",
        https_only=secure_cookies,
        # the login's absolute end; it is kept, and ended, on the server (registry/sessions.py)
        max_age=int(services.accounts.lifetimes.session_absolute.total_seconds()),
    )
    errors.install(app)
    app.include_router(public.router)
    app.include_router(ledger.router)
    app.include_router(intake.router)
    app.include_router(supervision.router)
    app.include_router(channels.router)
    app.include_router(overview.router)
    app.include_router(channel_pages.router)
    app.include_router(accounts.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    edge.install(app, services.settings)  # last: the outermost middleware
    return app
