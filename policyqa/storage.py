"""The registry's database and the deployment's clock, built from ``Settings``.

Kept apart from ``composition`` so that the registry commands of the CLI (tasks, progress,
milestones, export) start without loading the search stack (Chroma, LangChain, the model);
each builder imports what it builds, so that a command loads only the code it uses.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from assistant.settings import Settings
    from assistant.supervision import SupervisionService
    from registry.accounts import AccountService
    from registry.channels import ChannelService
    from registry.service import Clock, Registry

TIMEZONE = ZoneInfo("Asia/Shanghai")
PRIVATE = 0o077  # the umask: files 0600, directories 0700


def keep_private(data_dir: Path) -> None:
    """What this process writes from now on (the database, index, uploads, keys, exports,
    backups) is readable by its user only (SECURITY.md), and a DATA_DIR an older version left
    open to others is closed."""
    os.umask(PRIVATE)
    if data_dir.is_dir() and data_dir.stat().st_uid == os.getuid():
        data_dir.chmod(0o700)


def shanghai_now() -> dt.datetime:
    return dt.datetime.now(TIMEZONE)


def build_engine(settings: Settings) -> Engine:
    from registry.db import database_url, make_engine, migrate_when_reachable

    engine = make_engine(database_url(settings.database_url, data_dir=settings.data_dir))
    migrate_when_reachable(engine)
    return engine


def build_registry(
    settings: Settings, *, clock: Clock = shanghai_now, engine: Engine | None = None
) -> Registry:
    from registry.service import Registry
    from registry.supervision import Rules
    from retrieval.lexicon import load_departments

    return Registry(
        engine or build_engine(settings),
        departments=load_departments(settings.corpus_dir),
        clock=clock,
        rules=Rules(
            due_soon_workdays=settings.supervision.due_soon_workdays,
            report_stale_days=settings.supervision.report_stale_days,
        ),
    )


def build_accounts(
    settings: Settings, engine: Engine, *, clock: Clock = shanghai_now
) -> AccountService:
    """The accounts, their logins and tokens living as long as the settings say."""
    from registry.accounts import AccountService
    from registry.sessions import Lifetimes

    api = settings.api
    return AccountService(
        engine,
        clock=clock,
        lifetimes=Lifetimes(
            session_idle=dt.timedelta(minutes=api.session_idle_minutes),
            session_absolute=dt.timedelta(hours=api.session_hours),
            token_days=api.token_days,
        ),
    )


def build_channels(
    settings: Settings, engine: Engine, *, clock: Clock = shanghai_now
) -> ChannelService:
    """The push channels, their secrets sealed with the deployment's key (see SECURITY.md)."""
    from registry.channels import ChannelService
    from registry.secrets import SecretBox

    return ChannelService(
        engine, clock=clock, box=SecretBox.from_settings(settings.secret_key, settings.data_dir)
    )


def build_supervision(
    settings: Settings, registry: Registry, engine: Engine, *, clock: Clock = shanghai_now
) -> SupervisionService:
    """督办 (overview, review, 催办): its messages go to every chat and channel bound."""
    from assistant.supervision import SupervisionService
    from registry.chats import ChatService
    from registry.outbox import Outbox

    return SupervisionService(
        registry=registry,
        chats=ChatService(engine, clock=clock),
        outbox=Outbox(engine, clock=clock),
        clock=clock,
        channels=build_channels(settings, engine, clock=clock),
        public_url=settings.public_url,
    )
