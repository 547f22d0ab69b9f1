"""钉钉自定义机器人 (``…/robot/send?access_token=…``): the outbox's messages as markdown.

A ``markdown`` message needs a ``title`` (what the conversation list shows) and its ``text``; the
request body must stay within 20000 bytes (errcode 460101 beyond). People are @-ed by mobile in
``at.atMobiles`` *and* as ``@138…`` in the text. With 加签 the URL carries ``timestamp`` (ms) and
``sign`` = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))), within an hour of
钉钉's clock. A robot takes 20 messages a minute and is then throttled for 10 minutes.

Its answers (``errcode``/``errmsg``): 0 ok; 130101 ``send too fast, exceed 20 times per minute``
and 410100 (newer) throttled; 310000 security settings not met (``sign not match``, ``invalid
timestamp``, ``keywords not in content``, ``ip … not in whitelist``); 300001/300005/400101 token
unknown; 400102 robot stopped; 400106 robot gone; 400013 group dissolved; 430101–430104 content
refused; 40035 parameter missing; 400105 message type; 460101 body too large; -1 system busy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from channels.base import Outgoing, RateLimited, Rejected, Unavailable, split_lines
from channels.webhook import masked, numbered, post_json, size, title_and_lines
from registry.channels import Destination

BODY_BYTES = 20000
THROTTLED_FOR = 600.0  # 钉钉 throttles a robot for 10 minutes once it exceeds 20 a minute
_TITLE_CHARS = 64
_NUMBERING = "（99/99）"

_TOKEN_GONE = {
    300001: "钉钉机器人的 access_token 无效或机器人已被移除",
    300005: "钉钉机器人的 access_token 无效或机器人已被移除",
    400101: "钉钉机器人的 access_token 无效或机器人已被移除",
    400102: "钉钉机器人已被停用，请群管理员在群设置中启用",
    400106: "钉钉机器人不存在，可能已被移出群聊",
    400013: "钉钉群已解散",
}
_REFUSED = {
    40035: "钉钉认为消息缺少必填参数",
    400105: "钉钉不接受这种消息类型",
    460101: "消息超出钉钉机器人的大小限制（20000 字节）",
    430101: "钉钉拒收：消息含不安全的外链",
    430102: "钉钉拒收：消息含不合适的文本",
    430103: "钉钉拒收：消息含不合适的图片",
    430104: "钉钉拒收：消息含不合适的内容",
}


class DingTalkSender:
    kind = "dingtalk"
    per_minute = 20
    per_second = 0

    def __init__(self, *, timeout: float = 10.0, clock: Callable[[], dt.datetime]) -> None:
        self._timeout = timeout
        self._tls = httpx.create_ssl_context()  # built once: building one takes ~50 ms
        self._clock = clock

    def parts(self, message: Outgoing, destination: Destination) -> list[dict[str, Any]]:
        title, lines = title_and_lines(message, _TITLE_CHARS)
        if message.link:
            lines.append(f"[在任务台账中查看]({message.link})")
        mentions = list(destination.mentions)
        called = " ".join(f"@{mobile}" for mobile in mentions)

        def payload(heading: str, group: list[str], first: bool) -> dict[str, Any]:
            text = f"#### {heading}\n\n" + "  \n".join(
                [*group, called] if called and first else group
            )
            built: dict[str, Any] = {
                "msgtype": "markdown",
                "markdown": {"title": heading, "text": text},
            }
            if mentions and first:
                built["at"] = {"atMobiles": mentions, "isAtAll": False}
            return built

        def fits(group: list[str]) -> bool:
            return size(payload(title + _NUMBERING, group, True)) <= BODY_BYTES

        groups = split_lines(lines, fits) or [[]]
        headings = numbered(title, len(groups))
        return [
            payload(heading, group, n == 0)
            for n, (heading, group) in enumerate(zip(headings, groups, strict=True))
        ]

    async def post(self, destination: Destination, payload: dict[str, Any]) -> str:
        url = destination.url
        if destination.secret:
            url = signed_url(url, destination.secret, self._clock())
        status, answer, headers = await post_json("钉钉", url, payload, self._timeout, self._tls)
        if status == 429:
            raise RateLimited("钉钉机器人发送过于频繁（HTTP 429），稍后重试", _retry_after(headers))
        code = answer.get("errcode")
        message = str(answer.get("errmsg", ""))
        if code == 0:
            return "errcode 0 ok"
        if code in (130101, 410100):
            raise RateLimited(
                f"钉钉机器人发送过于频繁（每分钟最多 20 条，超出后限流 10 分钟，errcode {code}）",
                THROTTLED_FOR,
            )
        if code == -1:
            raise Unavailable("钉钉系统繁忙（errcode -1），稍后重试")
        if code == 310000:
            raise Rejected(f"{_security(message)}（errcode 310000）")
        if code in _TOKEN_GONE:
            raise Rejected(f"{_TOKEN_GONE[code]}（errcode {code}）")
        detail = masked(
            message, httpx.URL(destination.url).params.get("access_token") or "", destination.secret
        )
        if code in _REFUSED:
            raise Rejected(f"{_REFUSED[code]}（errcode {code}：{detail}）")
        raise Rejected(f"钉钉机器人拒收消息（errcode {code}：{detail}）")


def signed_url(url: str, secret: str, now: dt.datetime) -> str:
    """``url`` with 钉钉's ``timestamp`` and ``sign`` (any earlier ones replaced)."""
    timestamp = str(int(now.timestamp() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    parts = urlsplit(url)
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name not in ("timestamp", "sign")
    ]
    query += [("timestamp", timestamp), ("sign", base64.b64encode(digest).decode())]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _security(errmsg: str) -> str:
    """What a 310000 means, from its errmsg (one code for four security settings)."""
    lowered = errmsg.lower()
    if "timestamp" in lowered or "过期" in errmsg:
        return "钉钉拒绝了签名时间戳：本服务器时钟与标准时间相差超过 1 小时"
    if "sign" in lowered or "签名" in errmsg:
        return "钉钉机器人的加签密钥不正确（签名不匹配），请重新复制 SEC 开头的密钥"
    if "keyword" in lowered or "关键词" in errmsg:
        return "消息不含钉钉机器人安全设置中的自定义关键词"
    if "whitelist" in lowered or "白名单" in errmsg or re.search(r"\bip\b", lowered):
        return "本服务器的 IP 不在钉钉机器人的 IP 白名单内"
    return "消息未通过钉钉机器人的安全设置校验"


def _retry_after(headers: httpx.Headers, default: float = THROTTLED_FOR) -> float:
    try:
        return max(1.0, float(headers.get("retry-after", default)))
    except ValueError:
        return default
