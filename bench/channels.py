"""Reminders per minute per push channel, through the outbox and the channels' dispatcher to the
platforms' fakes on 127.0.0.1 (``tests/fakes/robots.py``) and a real SMTP server (aiosmtpd).

120 reminders are queued for one robot (or mailbox) of each kind; the dispatcher runs every 30 s
of a simulated clock, as the scheduler does, until all are sent. Reported, from the requests the
dispatcher recorded: the minutes from the first to the last, the rate, the most in any minute
(which the platform's limit bounds: 企业微信 and 钉钉 20, 飞书 100 and 5 a second, e-mail the
configured 60), whether the platform ever answered with its rate-limit code, and the wall time
the dispatcher spent per message (HTTP or SMTP on loopback, signing, the outbox's writes; for
飞书 also the 0.2 s spacing).

``python -m bench --only channels``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from assistant.settings import ChannelSettings, EmailSettings
from bench.stack import settings as bench_settings
from channels.dispatcher import ChannelDispatcher
from channels.senders import build_senders
from policyqa.storage import build_channels, build_engine
from registry.chats import ChatService
from registry.outbox import NewMessage, Outbox
from tests.fakes.robots import FakeRobots
from tests.fakes.servers import free_port

MESSAGES = 120
START = dt.datetime(2026, 11, 16, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CADENCE = dt.timedelta(seconds=30)
LIMIT_CODES = {"wecom": 45009, "dingtalk": 130101, "feishu": 11232}


class _Clock:
    """Real time from START, plus the jumps between scheduler runs (``skip``)."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._skipped = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return START + self._skipped + dt.timedelta(seconds=time.monotonic() - self._started)

    def skip(self, delta: dt.timedelta) -> None:
        self._skipped += delta


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.count += 1
        return "250 OK"


def run() -> list[dict[str, object]]:
    rows = []
    sink = _Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        for kind in ("wecom", "dingtalk", "feishu", "email"):
            with tempfile.TemporaryDirectory(prefix="bench-channels-") as folder:
                rows.append(_one(kind, Path(folder), smtp.port))
    finally:
        smtp.stop()
    return rows


def _one(kind: str, folder: Path, smtp_port: int) -> dict[str, object]:
    clock = _Clock()
    robots = FakeRobots(
        clock=clock, wecom={"k"}, dingtalk={"t": "SECbench"}, feishu={"h": "fsecret"}
    )
    mail = EmailSettings(host="127.0.0.1", port=smtp_port, security="none", sender="b@xy.gov.cn")
    config = bench_settings(folder).model_copy(update={"channels": ChannelSettings(email=mail)})
    engine = build_engine(config)
    with robots.running() as url:
        targets = {
            "wecom": {"url": f"{url}/cgi-bin/webhook/send?key=k"},
            "dingtalk": {"url": f"{url}/robot/send?access_token=t", "secret": "SECbench"},
            "feishu": {"url": f"{url}/open-apis/bot/v2/hook/h", "secret": "fsecret"},
            "email": {"addresses": ["a@xy.gov.cn"]},
        }
        channels = build_channels(config, engine, clock=clock)
        channel = channels.add(
            kind=kind, department=None, office=True, actor="bench", **targets[kind]
        )  # type: ignore[arg-type]
        outbox = Outbox(engine, clock=clock)
        outbox.enqueue(
            NewMessage(
                dedupe_key=f"bench:{n}",
                chat_id=f"channel:{channel.id}",
                kind="reminder",
                text=f"【到期提醒】还有 7 天到期\n任务 {n}｜二、（一）4. 加强林业碳汇\n里程碑：完成造林选址",
                not_before=clock(),
                channel_id=channel.id,
            )
            for n in range(MESSAGES)
        )
        dispatcher = ChannelDispatcher(
            outbox, channels, ChatService(engine, clock=clock), build_senders(config, clock=clock),
            clock=clock,
        )  # fmt: skip
        busy = 0.0
        while outbox.items():
            started = time.perf_counter()
            asyncio.run(dispatcher.run_once())
            busy += time.perf_counter() - started
            clock.skip(CADENCE)
        limited = kind in LIMIT_CODES and LIMIT_CODES[kind] in robots.codes(kind)
        posts = channels.posts_since(channel.id, START - dt.timedelta(minutes=1))
    span = (posts[-1] - posts[0]).total_seconds() / 60
    busiest = max(sum(1 for t in posts if p <= t < p + dt.timedelta(minutes=1)) for p in posts)
    return {
        "channel": kind,
        "messages": MESSAGES,
        "minutes_for_all": round(span, 1),
        # all of them over the minutes they were spread on (first to last, and the last minute)
        "per_minute": round(MESSAGES / (span + 1), 1),
        "most_in_any_minute": busiest,
        "platform_limit": {"wecom": 20, "dingtalk": 20, "feishu": 100, "email": 60}[kind],
        "rate_limit_answers": int(limited),
        "wall_ms_per_message": round(busy / MESSAGES * 1000, 1),
    }


COLUMNS = [
    "channel", "messages", "minutes_for_all", "per_minute", "most_in_any_minute",
    "platform_limit", "rate_limit_answers", "wall_ms_per_message",
]  # fmt: skip
