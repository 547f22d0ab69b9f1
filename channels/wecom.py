"""企业微信群机器人 (``…/cgi-bin/webhook/send?key=…``): the outbox's messages as markdown.

The robot's ``markdown`` takes at most 4096 bytes of UTF-8 content; it renders ``**bold**``, links
and "- " list lines, but no tables, and it can @ people only by user id (``<@userid>``). By mobile
only a ``text`` message can (``mentioned_mobile_list``, content ≤ 2048 bytes), so when the channel
has mentions a short text message follows the markdown parts. A robot takes 20 messages a minute.

Its answers (HTTP 200 with ``errcode``/``errmsg``): 0 ok; 45009 ``api freq out of limit``; 93000
``invalid webhook url`` (key wrong or robot removed); 40008 ``invalid message type``; 40058
``markdown.content exceed max length 4096``; -1 system busy.
"""

from __future__ import annotations

from typing import Any

import httpx

from channels.base import Outgoing, RateLimited, Rejected, Unavailable, split_lines
from channels.webhook import masked, numbered, post_json, title_and_lines
from registry.channels import Destination

MARKDOWN_BYTES = 4096
_TITLE_CHARS = 100  # a longer first line is shortened in the heading and kept whole in the body
_NUMBERING = "（99/99）"  # room kept in every part for its number


class WeComSender:
    kind = "wecom"
    per_minute = 20
    per_second = 0

    def __init__(self, *, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._tls = httpx.create_ssl_context()  # built once: building one takes ~50 ms

    def parts(self, message: Outgoing, destination: Destination) -> list[dict[str, Any]]:
        title, lines = title_and_lines(message, _TITLE_CHARS)
        if message.link:
            lines.append(f"[在任务台账中查看]({message.link})")

        def content(heading: str, group: list[str]) -> str:
            return "\n".join([f"**{heading}**", *group])

        def fits(group: list[str]) -> bool:
            return len(content(title + _NUMBERING, group).encode()) <= MARKDOWN_BYTES

        groups = split_lines(lines, fits) or [[]]
        payloads: list[dict[str, Any]] = [
            {"msgtype": "markdown", "markdown": {"content": content(heading, group)}}
            for heading, group in zip(numbered(title, len(groups)), groups, strict=True)
        ]
        if destination.mentions:  # the title is short: the text stays well within 2048 bytes
            payloads.append(
                {
                    "msgtype": "text",
                    "text": {
                        "content": f"请相关同志查阅以上消息：{title}",
                        "mentioned_mobile_list": list(destination.mentions),
                    },
                }
            )
        return payloads

    async def post(self, destination: Destination, payload: dict[str, Any]) -> str:
        status, answer, headers = await post_json(
            "企业微信", destination.url, payload, self._timeout, self._tls
        )
        if status == 429:
            raise RateLimited(
                "企业微信机器人发送过于频繁（HTTP 429），稍后重试", _retry_after(headers)
            )
        code = answer.get("errcode")
        if code == 0:
            return "errcode 0 ok"
        if code == 45009:
            raise RateLimited(
                "企业微信机器人发送过于频繁（每个机器人每分钟最多 20 条，errcode 45009），稍后重试",
                60.0,
            )
        if code == -1:
            raise Unavailable("企业微信系统繁忙（errcode -1），稍后重试")
        if code == 93000:
            raise Rejected("企业微信机器人的 key 无效或机器人已被移除（errcode 93000）")
        if code == 40008:
            raise Rejected("企业微信不接受这种消息类型（errcode 40008）")
        if code == 40058:
            raise Rejected("消息超出企业微信机器人的长度限制（errcode 40058）")
        detail = masked(
            str(answer.get("errmsg", "")), httpx.URL(destination.url).params.get("key") or ""
        )
        raise Rejected(f"企业微信机器人拒收消息（errcode {code}：{detail}）")


def _retry_after(headers: httpx.Headers, default: float = 60.0) -> float:
    try:
        return max(1.0, float(headers.get("retry-after", default)))
    except ValueError:
        return default
