"""Fake 企业微信, 钉钉 and 飞书 group robots: one app that checks what the real webhooks check.

Serve it with :meth:`FakeRobots.running` (a real HTTP server on 127.0.0.1); the URLs are the real
paths under the URL it yields:

* 企业微信 ``/cgi-bin/webhook/send?key=…``: the key registered (else 93000), ``msgtype`` known
  (else 40008), markdown content ≤ 4096 bytes and text ≤ 2048 (else 40058), 20 messages per
  robot in any 60 seconds (else 45009);
* 钉钉 ``/robot/send?access_token=…``: the token registered (else 300001); for a robot with a
  signing secret, ``timestamp`` within an hour of the fake's clock and ``sign`` right (else 310000
  ``invalid timestamp`` / ``sign not match``); ``markdown.title`` present (else 40035); body ≤ 20000
  bytes (else 460101); 20 messages a minute, then throttled for 10 minutes (130101);
* 飞书 ``/open-apis/bot/v2/hook/{token}``: the token registered (else 19001); signature and its
  one-hour window (else 19021); body ≤ 20 KB (else 9499); 5 a second and 100 a minute (else 11232).

Every window is read from ``clock`` (the test's, shared with the sender), never the machine's.
``fail_next`` makes the next requests answer an HTTP error, ``hang_next`` makes them wait longer
than the client's timeout, ``answer_delay`` holds back the answer to a message it accepted. ``accepted`` holds the payloads each robot delivered, in order;
``answers`` every answer given.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.fakes.servers import serve

_MINUTE = dt.timedelta(minutes=1)
_SECOND = dt.timedelta(seconds=1)
_HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Answer:
    platform: str  # wecom / dingtalk / feishu
    robot: str  # key or token
    status: int
    body: dict[str, Any]


@dataclass
class FakeRobots:
    clock: Callable[[], dt.datetime]
    wecom: set[str] = field(default_factory=set)  # registered keys
    dingtalk: dict[str, str] = field(default_factory=dict)  # access_token → secret ("" unsigned)
    feishu: dict[str, str] = field(default_factory=dict)  # hook token → secret ("" unsigned)
    accepted: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    answers: list[Answer] = field(default_factory=list)
    # seconds an accepted message waits for its answer: the platform delivered it, the sender
    # has not heard so (the window a crash can fall into)
    answer_delay: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: deque[tuple[int, float]] = deque()  # (HTTP status, seconds to hang)
        self._sent: dict[str, list[dt.datetime]] = defaultdict(list)
        self._throttled_until: dict[str, dt.datetime] = {}
        self._closing = False

    # -- driving it from a test ----------------------------------------------------------------
    def fail_next(self, count: int = 1, status: int = 502) -> None:
        with self._lock:
            self._scripted.extend([(status, 0.0)] * count)

    def hang_next(self, count: int = 1, seconds: float = 3.0) -> None:
        """The next requests wait ``seconds`` (longer than the client's timeout), then 504."""
        with self._lock:
            self._scripted.extend([(504, seconds)] * count)

    def codes(self, platform: str) -> list[Any]:
        """The platform's answer codes (errcode / code), in order."""
        key = "code" if platform == "feishu" else "errcode"
        return [a.body.get(key) for a in self.answers if a.platform == platform]

    @contextmanager
    def running(self) -> Iterator[str]:
        self._closing = False
        with serve(self.app()) as url:
            try:
                yield url
            finally:
                self._closing = True  # ends hanging answers so the server can stop

    # -- the server ----------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/cgi-bin/webhook/send")
        async def wecom(request: Request) -> JSONResponse:
            key = request.query_params.get("key", "")
            return await self._answer("wecom", key, request, self._wecom)

        @app.post("/robot/send")
        async def dingtalk(request: Request) -> JSONResponse:
            token = request.query_params.get("access_token", "")
            return await self._answer("dingtalk", token, request, self._dingtalk)

        @app.post("/open-apis/bot/v2/hook/{token}")
        async def feishu(token: str, request: Request) -> JSONResponse:
            return await self._answer("feishu", token, request, self._feishu)

        return app

    async def _answer(
        self, platform: str, robot: str, request: Request, check: Callable[..., tuple[int, dict]]
    ) -> JSONResponse:
        with self._lock:
            scripted = self._scripted.popleft() if self._scripted else None
        if scripted is not None:
            status, seconds = scripted
            waited = 0.0
            while waited < seconds and not self._closing:
                await asyncio.sleep(0.02)
                waited += 0.02
            return self._record(platform, robot, status, {"error": "scripted"})
        raw = await request.body()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        with self._lock:
            status, body = check(robot, request, raw, payload)
            accepted = body.get("errcode", body.get("code")) == 0
            if accepted:
                self.accepted[robot].append(payload)
                self._sent[robot].append(self.clock())
        waited = 0.0
        while accepted and waited < self.answer_delay and not self._closing:
            await asyncio.sleep(0.02)
            waited += 0.02
        return self._record(platform, robot, status, body)

    def _record(self, platform: str, robot: str, status: int, body: dict) -> JSONResponse:
        with self._lock:
            self.answers.append(Answer(platform, robot, status, body))
        return JSONResponse(body, status_code=status)

    def _recent(self, robot: str, window: dt.timedelta) -> int:
        now = self.clock()
        return sum(1 for at in self._sent[robot] if now - at < window)

    # -- what each platform checks (called under the lock) -------------------------------------
    def _wecom(self, key: str, request: Request, raw: bytes, payload: Any) -> tuple[int, dict]:
        if key not in self.wecom:
            return _wecom_error(93000, "invalid webhook url")
        if not isinstance(payload, dict) or payload.get("msgtype") not in ("text", "markdown"):
            return _wecom_error(40008, "invalid message type")
        kind = payload["msgtype"]
        limit = 4096 if kind == "markdown" else 2048
        content = str((payload.get(kind) or {}).get("content", ""))
        if len(content.encode()) > limit:
            return _wecom_error(40058, f"{kind}.content exceed max length {limit}")
        if self._recent(key, _MINUTE) >= 20:
            return _wecom_error(45009, "api freq out of limit")
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(self, token: str, request: Request, raw: bytes, payload: Any) -> tuple[int, dict]:
        if token not in self.dingtalk:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        secret = self.dingtalk[token]
        if secret:
            problem = _dingtalk_signature(secret, request, self.clock())
            if problem:
                return 200, {"errcode": 310000, "errmsg": problem}
        if len(raw) > 20000:
            return 200, {
                "errcode": 460101,
                "errmsg": "description: body 大小不合法;solution:请保持大小在 20000bytes 以内;",
            }
        markdown = payload.get("markdown") if isinstance(payload, dict) else None
        if not isinstance(markdown, dict) or not markdown.get("title"):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 markdown.title"}
        now = self.clock()
        if self._throttled_until.get(token, now) > now:
            return 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        if self._recent(token, _MINUTE) >= 20:
            self._throttled_until[token] = now + dt.timedelta(minutes=10)
            return 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _feishu(self, token: str, request: Request, raw: bytes, payload: Any) -> tuple[int, dict]:
        if token not in self.feishu:
            return 200, _feishu_error(19001, "param invalid: incoming webhook access token invalid")
        if len(raw) > 20 * 1024 or not isinstance(payload, dict) or "msg_type" not in payload:
            return 400, _feishu_error(9499, "Bad Request")
        secret = self.feishu[token]
        if secret and not _feishu_signed(secret, payload, self.clock()):
            return 200, _feishu_error(
                19021, "sign match fail or timestamp is not within one hour from current time"
            )
        if self._recent(token, _SECOND) >= 5 or self._recent(token, _MINUTE) >= 100:
            return 200, _feishu_error(
                11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1500]"
            )
        return 200, {
            "StatusCode": 0,
            "StatusMessage": "success",
            "code": 0,
            "data": {},
            "msg": "success",
        }


def _wecom_error(code: int, message: str) -> tuple[int, dict]:
    hint = f"{message}, hint: [1757900000000000000000000], from ip: 127.0.0.1"
    return 200, {"errcode": code, "errmsg": hint}


def _feishu_error(code: int, message: str) -> dict:
    return {"code": code, "data": {}, "msg": message}


def _dingtalk_signature(secret: str, request: Request, now: dt.datetime) -> str:
    """What is wrong with the request's 加签, or ``""``."""
    timestamp = request.query_params.get("timestamp", "")
    if not timestamp.isdigit():
        return "sign not match"
    sent = dt.datetime.fromtimestamp(int(timestamp) / 1000, tz=dt.UTC)
    if abs(sent - now) > _HOUR:
        return "invalid timestamp"
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(
        base64.b64encode(digest).decode(), request.query_params.get("sign", "")
    ):
        return "sign not match"
    return ""


def _feishu_signed(secret: str, payload: dict[str, Any], now: dt.datetime) -> bool:
    timestamp = str(payload.get("timestamp", ""))
    if not timestamp.isdigit():
        return False
    if abs(dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC) - now) > _HOUR:
        return False
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), str(payload.get("sign", "")))
