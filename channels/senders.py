"""One sender per kind of push channel, built from the settings; and the test message the
office sends to check a channel (CLI and dashboard)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from assistant.settings import Settings
from channels.base import Outgoing, Sender, SendError
from channels.dingtalk import DingTalkSender
from channels.email import EmailSender
from channels.feishu import FeishuSender
from channels.wecom import WeComSender
from registry.channels import ChannelCheck, ChannelError, ChannelService


def build_senders(settings: Settings, *, clock: Callable[[], dt.datetime]) -> dict[str, Sender]:
    timeout = settings.channels.timeout
    return {
        "wecom": WeComSender(timeout=timeout),
        "dingtalk": DingTalkSender(timeout=timeout, clock=clock),
        "feishu": FeishuSender(timeout=timeout, clock=clock),
        "email": EmailSender(settings.channels.email),
    }


TEST_TEXT = "【测试消息】双碳政策助手\n这是一条测试消息：本群（邮箱）已绑定为{owner}的提醒渠道。\n无需回复。"


async def send_test(
    service: ChannelService, senders: Mapping[str, Sender], channel_id: int
) -> ChannelCheck:
    """A test message to the channel now (not through the outbox), and what the platform said."""
    try:
        view = service.channel(channel_id)
        destination = service.destination(channel_id)
        sender = senders[view.kind]
        answers = []
        for part in sender.parts(Outgoing(TEST_TEXT.format(owner=view.owner)), destination):
            service.record_post(channel_id)  # counts toward the robot's rate like any message
            answers.append(await sender.post(destination, part))
    except (SendError, ChannelError) as exc:
        return ChannelCheck(False, str(exc))
    return ChannelCheck(True, "；".join(answers))
