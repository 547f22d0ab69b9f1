"""A fake Telegram Bot API server: answers what the bot calls, records it, fails on demand.

Serve it with :meth:`FakeTelegram.running` (a real HTTP server on 127.0.0.1); point
``POLICYQA_TELEGRAM_API_URL`` at the URL it yields. Requests are ``/bot{token}/{method}`` with
python-telegram-bot's form-encoded parameters (JSON bodies work too).

* ``message(...)`` queues an incoming message for ``getUpdates`` (which honours ``offset`` and
  waits a little for news, like a long poll);
* ``script(method, Scripted(...), ...)`` makes the next calls of ``method`` answer differently:
  a status (500, 429 with ``retry_after``, 400/403), a delay (longer than the client's timeout:
  a timeout), and whether a ``sendMessage`` is delivered all the same;
* ``delivered`` are the messages that reached a chat; ``calls`` every request, in order;
  ``refused`` the texts Telegram would refuse (bad HTML, too long, empty: ``telegram_html``),
  answered with its 400.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.servers import serve
from tests.fakes.telegram_html import refusal

_TEXT_PARAMETERS = {"text", "parse_mode", "url", "secret_token", "description", "caption"}


@dataclass(frozen=True)
class Scripted:
    """How one call is answered."""

    status: int = 200
    delay: float = 0.0  # seconds before answering
    retry_after: int | None = None  # with 429
    migrate_to_chat_id: int | None = None  # with 400: the group became a supergroup
    description: str = ""
    deliver: bool | None = None  # a sendMessage reaches the chat (default: status is 200)


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    username: str = "policyqa_test_bot"
    bot_id: int = 123456
    poll_wait: float = 0.3  # longest a getUpdates waits when there is nothing new
    send_delay: float = 0.0  # every sendMessage takes this long (a slow, healthy API)
    calls: list[Call] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    conflicts: int = 0  # long polls ended by another one (two instances polling one bot)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (text, Telegram's reason)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._updates: list[dict[str, Any]] = []
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._chats: dict[int, dict[str, Any]] = {}
        self._closing = False
        self._polls = 0  # the newest long poll wins, as on Telegram

    # -- driving it from a test ----------------------------------------------------------------
    def script(self, method: str, *answers: Scripted) -> None:
        with self._lock:
            self._scripts[method].extend(answers)

    def message(
        self,
        text: str,
        *,
        chat_id: int = 42,
        chat_type: str = "private",
        user_id: int = 42,
        first_name: str = "张三",
        reply_to_bot: bool = False,
    ) -> dict[str, Any]:
        """Queue a message someone sent; returns the update."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = f"群 {chat_id}"
        entities = []
        command = re.match(r"/\w+(@\w+)?", text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
        for found in re.finditer(r"(?<!/)(?<!\w)@\w+", text):
            entities.append(
                {
                    "type": "mention",
                    "offset": _utf16(text[: found.start()]),
                    "length": _utf16(found.group()),
                }
            )
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": chat,
                "from": self._me(),
                "text": "……",
            }
        update = {"update_id": next(self._update_ids), "message": message}
        with self._lock:
            self._chats[chat_id] = chat
            self._updates.append(update)
        return update

    def sent(self, chat_id: int | str | None = None) -> list[str]:
        """Texts delivered (to one chat, or all)."""
        with self._lock:
            return [
                m["text"]
                for m in self.delivered
                if chat_id is None or str(m["chat"]["id"]) == str(chat_id)
            ]

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, condition: Callable[[], bool], *, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls: {[c.method for c in self.calls]}")
            time.sleep(0.02)

    async def until(self, condition: Callable[[], bool], *, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.02)

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on 127.0.0.1; yields the API root for ``POLICYQA_TELEGRAM_API_URL``."""
        self._closing = False
        with serve(self.app()) as url:
            try:
                yield url
            finally:
                self._closing = True  # ends delayed answers so the server can stop

    # -- the server ----------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/bot{token}/{method}", methods=["GET", "POST"])
        async def api(token: str, method: str, request: Request) -> JSONResponse:
            params = await _params(request)
            with self._lock:
                self.calls.append(Call(method, params, time.time()))
                scripted = self._scripts[method].popleft() if self._scripts[method] else None
            if token != self.token:
                return _error(401, "Unauthorized")
            if method == "sendMessage":
                text = str(params.get("text", ""))
                reason = refusal(text, params.get("parse_mode"))
                if reason is not None:
                    with self._lock:
                        self.refused.append((text, reason))
                    return _error(400, reason)
            if scripted is None and method == "sendMessage" and self.send_delay:
                scripted = Scripted(delay=self.send_delay)
            if scripted is not None:
                return await self._scripted(method, params, scripted)
            if method == "getUpdates":
                found = await self._get_updates(params)
                if found is None:
                    return _error(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                return _ok(found)
            return _ok(self._answer(method, params))

        return app

    async def _scripted(
        self, method: str, params: dict[str, Any], scripted: Scripted
    ) -> JSONResponse:
        deliver = scripted.status == 200 if scripted.deliver is None else scripted.deliver
        result = self._answer(method, params, deliver=deliver)
        waited = 0.0
        while waited < scripted.delay and not self._closing:
            await asyncio.sleep(0.02)
            waited += 0.02
        if scripted.status == 200:
            return _ok(result)
        parameters: dict[str, Any] = {}
        if scripted.retry_after is not None:
            parameters["retry_after"] = scripted.retry_after
        if scripted.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = scripted.migrate_to_chat_id
        description = scripted.description or {
            429: f"Too Many Requests: retry after {scripted.retry_after}",
            400: "Bad Request: chat not found",
            403: "Forbidden: bot was kicked from the group chat",
        }.get(scripted.status, "Internal Server Error")
        return _error(scripted.status, description, parameters)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The updates, or ``None`` when a newer long poll ended this one (a 409 on Telegram)."""
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.poll_wait)
        deadline = time.monotonic() + wait
        with self._lock:
            self._polls += 1
            mine = self._polls
        while True:
            with self._lock:
                if self._polls != mine:
                    self.conflicts += 1
                    return None
                # an offset confirms every update before it
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                found = self._updates[:limit]
            if found or time.monotonic() >= deadline or self._closing:
                return found
            await asyncio.sleep(0.02)

    def _me(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "双碳政策助手",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _answer(self, method: str, params: dict[str, Any], *, deliver: bool = True) -> Any:
        if method == "getMe":
            return self._me()
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            with self._lock:
                chat = self._chats.get(chat_id) or {
                    "id": chat_id,
                    "type": "private" if chat_id > 0 else "group",
                    **({"first_name": "某人"} if chat_id > 0 else {"title": f"群 {chat_id}"}),
                }
                message = {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "chat": chat,
                    "from": self._me(),
                    "text": params.get("text", ""),
                }
                if deliver:
                    self.delivered.append(message)
            return message
        if method == "setWebhook":
            self.webhook = dict(params)
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getWebhookInfo":
            return {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        return True  # setMyCommands, sendChatAction, close …


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return dict(await request.json())
    raw: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        raw.update((await request.form()).items())
    params = {}
    for key, value in raw.items():
        if key in _TEXT_PARAMETERS or not isinstance(value, str):
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)
