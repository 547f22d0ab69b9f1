"""Who is told: every unmuted Telegram chat and every push channel (企业微信, 钉钉, 飞书, e-mail)
bound to a department or to the office. Reminders, 催办 and returned reports fan out through
this one map, one outbox row per message and recipient."""

from __future__ import annotations

from dataclasses import dataclass

from registry.channels import ChannelService
from registry.chats import ChatService


@dataclass(frozen=True)
class Recipient:
    chat_id: str  # a Telegram chat, or "channel:3"
    channel_id: int | None = None

    @property
    def key(self) -> str:
        """Its part of a dedupe key: ``chat:-100`` (as before channels existed), ``channel:3``."""
        return f"channel:{self.channel_id}" if self.channel_id else f"chat:{self.chat_id}"


@dataclass(frozen=True)
class RecipientMap:
    office: tuple[Recipient, ...]
    departments: dict[str, tuple[Recipient, ...]]

    def of(self, *departments: str) -> list[Recipient]:
        """The departments' recipients, each once, in order."""
        found = [r for name in departments for r in self.departments.get(name, ())]
        return list(dict.fromkeys(found))


def recipients(chats: ChatService, channels: ChannelService | None) -> RecipientMap:
    office: list[Recipient] = []
    departments: dict[str, list[Recipient]] = {}
    for chat in chats.subscriptions():
        if not chat.is_telegram:
            continue
        recipient = Recipient(chat.chat_id)
        if chat.is_office:
            office.append(recipient)
        elif chat.department:
            departments.setdefault(chat.department, []).append(recipient)
    for channel in channels.channels() if channels else ():
        recipient = Recipient(f"channel:{channel.id}", channel.id)
        if channel.is_office:
            office.append(recipient)
        elif channel.department:
            departments.setdefault(channel.department, []).append(recipient)
    return RecipientMap(tuple(office), {k: tuple(v) for k, v in departments.items()})


def task_link(public_url: str | None, task_id: int) -> str:
    """The task on the dashboard, when the pages have a public address."""
    if not public_url:
        return ""
    return f"{public_url.rstrip('/')}/dashboard?task={task_id}#task-{task_id}"
