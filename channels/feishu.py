"""飞书自定义机器人 (``…/open-apis/bot/v2/hook/…``): the outbox's messages as interactive cards.

Each part is a card: the title in the header, coloured by what the message is (red for 逾期, 催办
and 退回, orange for 到期, blue otherwise), the body as ``lark_md``, and on the last part a button
"在任务台账中查看" when the message links to the dashboard. People are @-ed in the text with
``<at id=…></at>`` (open_id or user_id; ``<at email=…></at>`` for an address). The request body
must stay within 20 KB. With 签名校验 the body carries ``timestamp`` (seconds, within an hour of
飞书's clock) and ``sign`` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")).
A robot takes 100 requests a minute and 5 a second.

Its answers (``code``/``msg``, older ``StatusCode``): 0 success; 11232 ``frequency limited``;
19001 ``incoming webhook access token invalid`` (robot removed); 19021 ``sign match fail or
timestamp is not within one hour``; 19022 ``Ip Not Allowed``; 19024 ``Key Words Not Found``;
9499 ``Bad Request`` (malformed, or over 20 KB).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import httpx

from channels.base import Outgoing, RateLimited, Rejected, split_lines
from channels.webhook import masked, numbered, post_json, size, title_and_lines
from registry.channels import Destination

BODY_BYTES = 20000  # "请求体的数据大小不能超过 20 KB", with room for the signature fields
_SIGNATURE_BYTES = 100
_TITLE_CHARS = 64
_NUMBERING = "（99/99）"
BUTTON = "在任务台账中查看"

_REFUSED = {
    19001: "飞书机器人的 webhook 地址无效或机器人已被移除",
    19021: "飞书机器人的签名校验未通过：签名密钥不正确，或本服务器时钟与标准时间相差超过 1 小时",
    19022: "本服务器的 IP 不在飞书机器人的 IP 白名单内",
    19024: "消息不含飞书机器人安全设置中的自定义关键词",
    9499: "飞书认为请求有误（格式不对或超过 20 KB）",
}


class FeishuSender:
    kind = "feishu"
    per_minute = 100  # and 5 a second: 飞书 answers 11232 beyond either
    per_second = 5

    def __init__(self, *, timeout: float = 10.0, clock: Callable[[], dt.datetime]) -> None:
        self._timeout = timeout
        self._tls = httpx.create_ssl_context()  # built once: building one takes ~50 ms
        self._clock = clock

    def parts(self, message: Outgoing, destination: Destination) -> list[dict[str, Any]]:
        title, lines = title_and_lines(message, _TITLE_CHARS)
        template = colour(message.title)
        called = " ".join(_at(person) for person in destination.mentions)

        def card(heading: str, group: list[str], first: bool, link: str) -> dict[str, Any]:
            content = "\n".join([*group, called] if called and first else group)
            return _card(heading, content, template, link)

        def fits(group: list[str]) -> bool:
            built = card(title + _NUMBERING, group, True, message.link)
            return size(built) + _SIGNATURE_BYTES <= BODY_BYTES

        groups = split_lines(lines, fits) or [[]]
        headings = numbered(title, len(groups))
        last = len(groups) - 1
        return [
            card(heading, group, n == 0, message.link if n == last else "")
            for n, (heading, group) in enumerate(zip(headings, groups, strict=True))
        ]

    async def post(self, destination: Destination, payload: dict[str, Any]) -> str:
        if destination.secret:
            payload = {**signature(destination.secret, self._clock()), **payload}
        status, answer, headers = await post_json(
            "飞书", destination.url, payload, self._timeout, self._tls
        )
        code = answer.get("code", answer.get("StatusCode"))
        if code == 0:
            return "code 0 success"
        if status == 429 or code in (11232, 99991400):
            said = f"code {code}" if code is not None else "HTTP 429"
            raise RateLimited(
                f"飞书机器人发送过于频繁（每分钟最多 100 条、每秒 5 条，{said}），稍后重试",
                _retry_after(headers),
            )
        if code in _REFUSED:
            raise Rejected(f"{_REFUSED[code]}（code {code}）")
        detail = masked(
            str(answer.get("msg", answer.get("StatusMessage", ""))),
            httpx.URL(destination.url).path.rstrip("/").rsplit("/", 1)[-1],
            destination.secret,
        )
        raise Rejected(f"飞书机器人拒收消息（code {code}：{detail}）")


def signature(secret: str, now: dt.datetime) -> dict[str, str]:
    """飞书's ``timestamp`` and ``sign`` body fields."""
    timestamp = str(int(now.timestamp()))
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode()}


def colour(title: str) -> str:
    """The card header's template for a message titled ``title``."""
    if any(word in title for word in ("逾期", "催办", "退回")):
        return "red"
    if "到期" in title:
        return "orange"
    return "blue"


def _card(heading: str, content: str, template: str, link: str) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    if content:
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": content}})
    if link:
        button = {
            "tag": "button",
            "text": {"tag": "plain_text", "content": BUTTON},
            "type": "primary",
            "url": link,
        }
        elements.append({"tag": "action", "actions": [button]})
    return {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": heading}, "template": template},
            "elements": elements,
        },
    }


def _at(person: str) -> str:
    if "@" in person:
        return f"<at email={person}></at>"
    return f"<at id={person}></at>"


def _retry_after(headers: httpx.Headers, default: float = 60.0) -> float:
    waited = headers.get("x-ogw-ratelimit-reset") or headers.get("retry-after")
    try:
        return max(1.0, float(waited)) if waited else default
    except ValueError:
        return default
