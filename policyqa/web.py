"""Builds the web application from settings (composition root for the HTTP channel)."""

from __future__ import annotations

import secrets

from fastapi import FastAPI

from api.app import create_app
from assistant.services import Services


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


def build_web_app(services: Services) -> FastAPI:
    settings = services.settings
    return create_app(
        services,
        session_secret=session_secret(services),
        public_rate_limit=settings.api.public_rate_limit,
        login_rate_limit=settings.api.login_rate_limit,
        streaming=bool(settings.llm_base_url),
    )
