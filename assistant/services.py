"""The bundle of services the channels are given by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from assistant.answers import AnswerService
from assistant.basis import BasisFinder
from assistant.ingest import IngestService
from assistant.intake import IntakeService
from assistant.reminders import ReminderPlanner
from assistant.search import SearchService
from assistant.settings import Settings
from assistant.supervision import SupervisionService
from assistant.texts import Texts
from registry.accounts import AccountService
from registry.channels import ChannelCheck, ChannelService
from registry.chats import ChatService
from registry.outbox import Outbox
from registry.service import Registry


@dataclass(frozen=True)
class Services:
    settings: Settings
    texts: Texts
    search: SearchService
    ingest: IngestService
    intake: IntakeService
    registry: Registry
    accounts: AccountService
    answers: AnswerService
    basis: BasisFinder
    chats: ChatService
    outbox: Outbox
    channels: ChannelService
    # a test message to a channel now (the composition root knows the platforms' senders)
    test_channel: Callable[[int], Awaitable[ChannelCheck]]
    reminders: ReminderPlanner
    supervision: SupervisionService
