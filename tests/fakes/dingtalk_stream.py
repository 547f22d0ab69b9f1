"""A fake 钉钉 Stream gateway on 127.0.0.1: the connection-open API, the WebSocket and the
robot's session webhooks.

Serve it with :meth:`FakeDingTalkStream.running` (a real HTTP and WebSocket server); point
``POLICYQA_CHANNELS__DINGTALK_STREAM__GATEWAY_URL`` at the URL it yields.

* ``POST /v1.0/gateway/connections/open`` checks ``clientId``/``clientSecret`` (401 otherwise)
  and answers ``{"endpoint": "ws://…/connect", "ticket": …}``; every attempt is in ``opened``;
* ``/connect?ticket=…`` takes a ticket it issued (once); ``message(...)`` pushes a robot message
  to the client as a CALLBACK frame on ``/v1.0/im/bot/messages/get``, as 钉钉 does, and the
  client's ACK frames land in ``acks``;
* each message's ``sessionWebhook`` is ``POST /robot/sendBySession?session=…`` here; what the
  robot sends there is in ``replies``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from tests.fakes.servers import serve

TOPIC = "/v1.0/im/bot/messages/get"


@dataclass(frozen=True)
class Opened:
    """One connection-open request: its body and the status it got."""

    body: dict[str, Any]
    status: int


@dataclass(frozen=True)
class Reply:
    """What the robot posted to a message's session webhook."""

    msg_id: str
    conversation_id: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        kind = self.body.get("msgtype", "")
        return str(self.body.get(kind, {}).get("text") or self.body.get(kind, {}).get("content"))


@dataclass
class FakeDingTalkStream:
    client_id: str = "dingtestappkey"
    client_secret: str = "test-client-secret"
    robot_code: str = "dingtestappkey"
    opened: list[Opened] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    accepted: int = 0  # WebSocket connections taken (with a good ticket)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tickets: set[str] = set()
        self._sessions: dict[str, dict[str, Any]] = {}
        self._outgoing: list[str] = []
        self._connections = 0
        self._ids = itertools.count(1)
        self._url = ""

    # -- driving it from a test ------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The gateway's root (``gateway_url``), once running."""
        return self._url

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connections > 0

    def message(
        self,
        text: str,
        *,
        conversation_id: str = "cidGroupForestry==",
        conversation_type: str = "2",
        sender_nick: str = "李林",
        sender_staff_id: str | None = "lilin01",
        sender_id: str = "$:LWCP_v1:$lilin",
        title: str = "县林业局工作群",
    ) -> str:
        """Push a robot message (``text`` as 钉钉 sends it, the robot's @ already removed, a
        leading space left); returns its ``msgId``."""
        n = next(self._ids)
        msg_id, session = f"msg{n:04d}", secrets.token_urlsafe(12)
        now = int(time.time() * 1000)
        data: dict[str, Any] = {
            "conversationId": conversation_id,
            "conversationType": conversation_type,
            "atUsers": [{"dingtalkId": "$:LWCP_v1:$robot"}],
            "chatbotCorpId": "dingcorp",
            "chatbotUserId": "$:LWCP_v1:$robot",
            "msgId": msg_id,
            "senderNick": sender_nick,
            "isAdmin": False,
            "sessionWebhookExpiredTime": now + 90 * 60 * 1000,
            "createAt": now,
            "senderCorpId": "dingcorp",
            "senderId": sender_id,
            "isInAtList": True,
            "sessionWebhook": f"{self._url}/robot/sendBySession?session={session}",
            "text": {"content": f" {text}"},
            "robotCode": self.robot_code,
            "msgtype": "text",
        }
        if sender_staff_id is not None:
            data["senderStaffId"] = sender_staff_id
        if conversation_type == "2":
            data["conversationTitle"] = title
        frame = {
            "specVersion": "1.0",
            "type": "CALLBACK",
            "headers": {
                "appId": "test-app-id",
                "connectionId": "test-connection",
                "contentType": "application/json",
                "messageId": f"frame-{msg_id}",
                "time": str(now),
                "topic": TOPIC,
            },
            "data": json.dumps(data, ensure_ascii=False),
        }
        with self._lock:
            self._sessions[session] = {"msg_id": msg_id, "conversation_id": conversation_id}
            self._outgoing.append(json.dumps(frame, ensure_ascii=False))
        return msg_id

    def replies_to(self, msg_id: str) -> list[Reply]:
        with self._lock:
            return [r for r in self.replies if r.msg_id == msg_id]

    def acked(self, msg_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [a for a in self.acks if a["headers"].get("messageId") == f"frame-{msg_id}"]

    async def until(self, condition: Callable[[], bool], *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; opened {self.opened}, acks {self.acks}")
            await asyncio.sleep(0.02)

    async def say(self, text: str, **message: Any) -> list[Reply]:
        """Push ``text`` and wait until the robot has answered and acknowledged it."""
        msg_id = self.message(text, **message)
        await self.until(lambda: bool(self.acked(msg_id)))
        return self.replies_to(msg_id)

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on 127.0.0.1; yields the gateway URL."""
        with serve(self.app()) as url:
            self._url = url
            yield url

    # -- the server ------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1.0/gateway/connections/open")
        async def open_connection(request: Request) -> JSONResponse:
            body = await request.json()
            good = (body.get("clientId"), body.get("clientSecret")) == (
                self.client_id,
                self.client_secret,
            )
            with self._lock:
                self.opened.append(Opened(body, 200 if good else 401))
            if not good:
                return JSONResponse(
                    {"code": "InvalidAuthentication", "message": "身份验证失败"}, status_code=401
                )
            ticket = secrets.token_urlsafe(16)
            with self._lock:
                self._tickets.add(ticket)
            endpoint = self._url.replace("http://", "ws://", 1) + "/connect"
            return JSONResponse({"endpoint": endpoint, "ticket": ticket})

        @app.websocket("/connect")
        async def connect(websocket: WebSocket) -> None:
            ticket = websocket.query_params.get("ticket", "")
            with self._lock:
                known = ticket in self._tickets
                self._tickets.discard(ticket)  # a ticket opens one connection
            if not known:
                await websocket.close(code=1008)
                return
            await websocket.accept()
            with self._lock:
                self._connections += 1
                self.accepted += 1
            pushing = asyncio.create_task(self._push(websocket))
            try:
                while True:
                    ack = json.loads(await websocket.receive_text())
                    with self._lock:
                        self.acks.append(ack)
            except WebSocketDisconnect:
                pass
            finally:
                pushing.cancel()
                with suppress(asyncio.CancelledError):
                    await pushing
                with self._lock:
                    self._connections -= 1

        @app.post("/robot/sendBySession")
        async def send_by_session(session: str, request: Request) -> JSONResponse:
            body = await request.json()
            with self._lock:
                known = self._sessions.get(session)
                if known is not None:
                    self.replies.append(Reply(known["msg_id"], known["conversation_id"], body))
            if known is None:
                return JSONResponse({"errcode": 300001, "errmsg": "session 不存在"}, 400)
            return JSONResponse({"errcode": 0, "errmsg": "ok"})

        return app

    async def _push(self, websocket: WebSocket) -> None:
        while True:
            with self._lock:
                frames, self._outgoing = self._outgoing, []
            for frame in frames:
                await websocket.send_text(frame)
            await asyncio.sleep(0.02)
