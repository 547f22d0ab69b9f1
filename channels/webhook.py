"""What the three group robots (企业微信, 钉钉, 飞书) share: a JSON POST whose answer is read the
same way, and the numbering of a message's parts. A robot's URL holds its key or token, so no
error here ever names it."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

from channels.base import Outgoing, Rejected, Unavailable


def numbered(title: str, count: int) -> list[str]:
    """The title of each of ``count`` parts: "标题（1/3）"…, or the title alone."""
    if count == 1:
        return [title]
    return [f"{title}（{n}/{count}）" for n in range(1, count + 1)]


def size(payload: dict[str, Any]) -> int:
    """Bytes of the payload as sent."""
    return len(json.dumps(payload, ensure_ascii=False).encode())


async def post_json(
    platform: str, url: str, payload: dict[str, Any], timeout: float, tls: ssl.SSLContext
) -> tuple[int, dict[str, Any], httpx.Headers]:
    """POST ``payload`` to the robot; its HTTP status, JSON answer and headers. Timeouts,
    connection errors and 5xx are ``Unavailable``; a non-JSON 4xx is a bad address."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=tls) as client:
            response = await client.post(
                url, content=body, headers={"Content-Type": "application/json; charset=utf-8"}
            )
    except httpx.TimeoutException:
        raise Unavailable(f"{platform}接口 {timeout:g} 秒内未应答，稍后重试") from None
    except httpx.HTTPError as error:
        raise Unavailable(f"无法连接{platform}接口（{type(error).__name__}），稍后重试") from None
    if response.status_code >= 500:
        raise Unavailable(f"{platform}接口暂时不可用（HTTP {response.status_code}），稍后重试")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if response.status_code == 429:
            return 429, {}, response.headers
        if response.status_code >= 400:
            raise Rejected(f"{platform}机器人地址无效（HTTP {response.status_code}），请重新复制")
        raise Unavailable(f"{platform}接口的应答无法识别（HTTP {response.status_code}）")
    return response.status_code, answer, response.headers


def title_and_lines(message: Outgoing, limit: int) -> tuple[str, list[str]]:
    """The heading and body lines: a first line longer than ``limit`` is shortened in the
    heading and kept whole as the body's first line."""
    title, lines = message.title, list(message.body)
    if len(title) > limit:
        lines.insert(0, title)
        title = title[:limit] + "…"
    return title, lines


def masked(text: str, *secrets: str) -> str:
    """``text`` from the platform, shortened, with any key, token or secret cut to its first
    characters should the platform ever echo one."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, secret[:4] + "…")
    return text[:120]
