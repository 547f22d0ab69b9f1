"""钉钉 Stream mode: officials (and the public) chat with the app's robot over a WebSocket this
process opens to 钉钉, so no public IP or callback URL is needed.

The official SDK (``dingtalk-stream``) keeps the connection; :class:`PolicyChatbotHandler` gets
each robot message and answers like the Telegram bot does — the same commands, audiences, binding
and progress reports (``assistant.commands``) — through the message's ``sessionWebhook``, in
Markdown. A 钉钉 chat is ``dingtalk:{conversationId}``, so it never collides with a Telegram chat.

钉钉 hands each message to one of an app's open connections: run one ``policyqa dingtalk`` per
app (the CLI holds a lock, so a second instance stands by). Nothing is pushed over this
connection: reminders reach 钉钉 through the group robots the office configures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
import re
from collections.abc import Sequence
from typing import Any

import dingtalk_stream
import httpx
from dingtalk_stream import AckMessage, CallbackMessage, ChatbotMessage
from dingtalk_stream.version import VERSION_STRING

from assistant import commands
from assistant.models import Answer
from assistant.replies import Line, plain
from assistant.services import Services
from assistant.settings import Settings
from channels.base import split_lines
from registry.chats import STREAM_PREFIX

logger = logging.getLogger(__name__)

OPEN_PATH = "/v1.0/gateway/connections/open"
MAX_MARKDOWN = 4000  # characters in one reply; 钉钉 takes somewhat more
TITLE_CHARS = 30  # the title is what a notification and the chat list show
NOT_TEXT = "目前只能回答文字消息，请直接输入问题或命令（发送 /help 查看用法）。"
_MENTIONS = re.compile(r"^(?:@\S+\s*)+")  # 钉钉 drops the robot's own @, not others'


class StreamDisabled(RuntimeError):
    """No client id or secret is configured."""


# -- reading a message -----------------------------------------------------------------------------
def chat_id(message: ChatbotMessage) -> str:
    return f"{STREAM_PREFIX}{message.conversation_id}"


def reporter(message: ChatbotMessage) -> str:
    who = message.sender_staff_id or message.sender_id
    return f"{message.sender_nick}（钉钉 {who}）"[:100]


def text_of(message: ChatbotMessage) -> str | None:
    """The text with leading @mentions stripped; ``None`` for a picture or a file."""
    texts = message.get_text_list() if message.message_type in ("text", "richText") else None
    if texts is None:
        return None
    return _MENTIONS.sub("", " ".join(t for t in texts if t).strip()).strip()


# -- writing a reply -------------------------------------------------------------------------------
def answer_lines(answer: Answer) -> list[Line]:
    """The answer, and under it the clauses it rests on as a short list."""
    lines = plain(answer.answer)
    if answer.citations:
        lines.append(Line("依据：", "strong"))
        lines += [Line(f"- {c.where}") for c in answer.citations]
    return lines


def _markdown(line: Line) -> str:
    if line.style == "strong":
        return f"**{line.text}**" if line.text.strip() else line.text
    if line.style == "quote":
        return f"> {line.text}\n"  # the blank line after it ends the quote
    return line.text


def _join(rendered: Sequence[str]) -> str:
    return "  \n".join(rendered)  # 钉钉 Markdown breaks a line at two spaces before \n


def markdown_messages(lines: Sequence[Line], *, limit: int = MAX_MARKDOWN) -> list[str]:
    """Markdown replies of whole lines, each under ``limit`` characters (a longer line is cut)."""
    room = limit - 8  # the markup a line may take
    rendered = [
        _markdown(Line(line.text[i : i + room], line.style))
        for line in lines
        for i in range(0, max(len(line.text), 1), room)
    ]
    groups = split_lines(rendered, lambda group: len(_join(group)) <= limit)
    return [_join(group) for group in groups if any(s.strip() for s in group)] or ["（无内容）"]


def title_of(lines: Sequence[Line], fallback: str) -> str:
    first = next((line.text.strip() for line in lines if line.text.strip()), fallback)
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


# -- the robot -------------------------------------------------------------------------------------
class PolicyChatbotHandler(dingtalk_stream.ChatbotHandler):  # type: ignore[misc]
    """Answers each robot message; the SDK calls ``process`` on its event loop, so every blocking
    call (services, the reply's HTTP POST) runs in a worker thread."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        message = ChatbotMessage.from_dict(callback.data)
        try:
            lines = await self.respond(message)
        except Exception:
            logger.exception("handling a 钉钉 message failed")
            lines = plain(commands.FAILED)
        title = title_of(lines, self.services.texts.assistant_name)
        for text in markdown_messages(lines):
            sent = await asyncio.to_thread(self.reply_markdown, title, text, message)
            if not isinstance(sent, dict) or sent.get("errcode", 0) != 0:
                logger.warning("钉钉 did not take a reply to %s: %s", chat_id(message), sent)
                break
        return AckMessage.STATUS_OK, "OK"

    async def respond(self, message: ChatbotMessage) -> list[Line]:
        text = text_of(message)
        if text is None:
            return plain(NOT_TEXT)
        if not text:
            return plain(commands.HELP)
        command = commands.split_command(text)
        if command is not None:
            name, args = command
            call = commands.Invocation(
                self.services, chat_id(message), reporter(message), tuple(args)
            )
            return await asyncio.to_thread(commands.run, name, call)
        who = message.sender_staff_id or message.sender_id or ""
        answer = await asyncio.to_thread(
            commands.ask,
            self.services,
            text,
            chat_id=chat_id(message),
            conversation_id=f"{chat_id(message)}:{who}",
        )
        return answer_lines(answer)


# -- the connection --------------------------------------------------------------------------------
class GatewayStreamClient(dingtalk_stream.DingTalkStreamClient):  # type: ignore[misc]
    """The SDK's client, opening its connection at ``gateway_url`` (``api.dingtalk.com`` by
    default) with a timeout; the body is the one the SDK sends. Subscribes to the callback topics
    registered on it (this client registers no event handler)."""

    def __init__(
        self,
        credential: dingtalk_stream.Credential,
        *,
        gateway_url: str,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(credential, logger=logging.getLogger(f"{__name__}.client"))
        self.open_url = f"{gateway_url.rstrip('/')}{OPEN_PATH}"
        self.timeout = timeout

    def open_connection(self) -> dict[str, Any] | None:
        """``{"endpoint": "wss://…", "ticket": "…"}``, or ``None`` (the SDK retries later)."""
        body = {
            "clientId": self.credential.client_id,
            "clientSecret": self.credential.client_secret,
            "subscriptions": [
                {"type": "CALLBACK", "topic": topic} for topic in self.callback_handler_map
            ],
            "ua": f"dingtalk-sdk-python/v{VERSION_STRING}-union",
            "localIp": self.get_host_ip(),
        }
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"DingTalkStream/1.0 SDK/{VERSION_STRING} "
            f"Python/{platform.python_version()} "
            "(+https://github.com/open-dingtalk/dingtalk-stream-sdk-python)",
        }
        try:
            response = httpx.post(
                self.open_url, headers=headers, content=json.dumps(body), timeout=self.timeout
            )
            response.raise_for_status()
            connection = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.error("opening the 钉钉 Stream connection at %s failed: %s", self.open_url, exc)
            return None
        if not isinstance(connection, dict) or not {"endpoint", "ticket"} <= connection.keys():
            logger.error("钉钉 Stream gateway %s answered without an endpoint", self.open_url)
            return None
        return connection


def build_stream_client(services: Services, settings: Settings) -> GatewayStreamClient:
    """The client with the robot's handler registered; ``start_forever()`` runs it."""
    stream = settings.channels.dingtalk_stream
    if not stream.client_id or not stream.client_secret:
        raise StreamDisabled(
            "钉钉 Stream 未启用：请设置 POLICYQA_CHANNELS__DINGTALK_STREAM__CLIENT_ID 和 "
            "POLICYQA_CHANNELS__DINGTALK_STREAM__CLIENT_SECRET（钉钉开放平台应用的 Client ID 和 "
            "Client Secret）。"
        )
    client = GatewayStreamClient(
        dingtalk_stream.Credential(stream.client_id, stream.client_secret),
        gateway_url=stream.gateway_url,
        timeout=settings.channels.timeout,
    )
    client.register_callback_handler(ChatbotMessage.TOPIC, PolicyChatbotHandler(services))
    return client
