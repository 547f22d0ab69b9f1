"""The registry's database and the deployment's clock, built from ``Settings``.

Kept apart from ``composition`` so that the registry commands of the CLI (tasks, progress,
milestones, export) start without loading the search stack (Chroma, LangChain, the model).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from assistant.settings import Settings
from assistant.supervision import SupervisionService
from registry.channels import ChannelService
from registry.chats import ChatService
from registry.db import database_url, make_engine, migrate_when_reachable
from registry.outbox import Outbox
from registry.secrets import SecretBox
from registry.service import Clock, Registry
from registry.supervision import Rules
from retrieval.lexicon import load_departments

TIMEZONE = ZoneInfo("Asia/Shanghai")


def shanghai_now() -> dt.datetime:
    return dt.datetime.now(TIMEZONE)


def build_engine(settings: Settings) -> Engine:
    engine = make_engine(database_url(settings.database_url, data_dir=settings.data_dir))
    migrate_when_reachable(engine)
    return engine


def build_registry(
    settings: Settings, *, clock: Clock = shanghai_now, engine: Engine | None = None
) -> Registry:
    return Registry(
        engine or build_engine(settings),
        departments=load_departments(settings.corpus_dir),
        clock=clock,
        rules=Rules(
            due_soon_workdays=settings.supervision.due_soon_workdays,
            report_stale_days=settings.supervision.report_stale_days,
        ),
    )


def build_channels(
    settings: Settings, engine: Engine, *, clock: Clock = shanghai_now
) -> ChannelService:
    """The push channels, their secrets sealed with the deployment's key (see SECURITY.md)."""
    return ChannelService(
        engine, clock=clock, box=SecretBox.from_settings(settings.secret_key, settings.data_dir)
    )


def build_supervision(
    settings: Settings, registry: Registry, engine: Engine, *, clock: Clock = shanghai_now
) -> SupervisionService:
    """督办 (overview, review, 催办): its messages go to every chat and channel bound."""
    return SupervisionService(
        registry=registry,
        chats=ChatService(engine, clock=clock),
        outbox=Outbox(engine, clock=clock),
        clock=clock,
        channels=build_channels(settings, engine, clock=clock),
        public_url=settings.public_url,
    )
