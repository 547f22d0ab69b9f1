"""Sends the outbox's push-channel items (企业微信, 钉钉, 飞书 robots, e-mail): nothing lost,
nothing doubled, no robot ever over its platform's rate.

One run (``run_once``, every 30 s from the scheduler), like Telegram's (``bot.dispatcher``):

1. Take the channels' dispatcher lock (its own: a paused Telegram does not hold e-mail up).
   What a dead dispatcher left ``sending`` is due again at once.
2. Claim one due item at a time; split it into the platform's parts (``Sender.parts``) and post
   them in order from the first one not yet accepted, recording each as it is accepted
   (``Outbox.mark_part``) and each request made to the robot (``ChannelService.record_post``).
   The item is ``sent`` after its last part.
3. Pacing: before each request, the robot's requests in the last 60 s are counted; at its
   platform's rate (企业微信 and 钉钉: 20 a minute; 飞书: 100) the item waits until the oldest of
   them is a minute old — deferred, not counted as an attempt — and so does every other item
   for that robot in this run. 飞书 also takes at most 5 a second: requests to one of its robots
   are spaced 0.22 s apart.
4. Outcomes: the platform's rate-limit answer defers the item (and the robot) for the time it
   names; a refused key, token, secret or address fails the item at once and tells the office on
   its other chats and channels, once a day per channel; server errors and timeouts are retried
   with backoff (30 s, 1 min … 1 h; failed after 8 attempts), and the run goes on with other
   robots.

The window left is the one every platform without an idempotency key has: the process dies
after the platform accepted a part and before it is recorded, and that part is sent again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping

from assistant.recipients import recipients
from channels.base import Outgoing, RateLimited, Rejected, Sender, SendError, Unavailable
from registry.channels import ChannelError, ChannelService, ChannelView
from registry.chats import ChatService
from registry.outbox import (
    LEASE,
    MAX_ATTEMPTS,
    Backoff,
    DispatchReport,
    NewMessage,
    Outbox,
    OutboxItem,
)

logger = logging.getLogger(__name__)

MINUTE = dt.timedelta(minutes=1)
TRANSPORT = "channels"


class ChannelDispatcher:
    def __init__(
        self,
        outbox: Outbox,
        channels: ChannelService,
        chats: ChatService,
        senders: Mapping[str, Sender],
        *,
        clock: Callable[[], dt.datetime],
        max_attempts: int = MAX_ATTEMPTS,
        backoff: Backoff | None = None,
        lease: dt.timedelta = LEASE,
        batch: int = 200,
    ) -> None:
        self._outbox = outbox
        self._channels = channels
        self._chats = chats
        self._senders = senders
        self._clock = clock
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff()
        self._lease = lease
        self._batch = batch
        self._last_post: dict[int, float] = {}  # channel → monotonic time of its last request

    async def run_once(self) -> DispatchReport:
        """Send what is due now; safe to call from any number of processes at once."""
        with self._outbox.dispatcher_lock(TRANSPORT) as held:
            if not held:
                return DispatchReport(held_lock=False)
            if reclaimed := self._outbox.reclaim_unconfirmed(TRANSPORT):
                logger.warning(
                    "%s channel message(s) left unconfirmed by a stopped dispatcher", reclaimed
                )
            report = DispatchReport()
            paused: dict[int, dt.datetime] = {}  # robots that must wait, until when
            for _ in range(self._batch):
                item = self._outbox.claim_next(
                    lease=self._lease, max_attempts=self._max_attempts, transport=TRANSPORT
                )
                if item is None:
                    break
                await self._send(item, paused, report)
            if report.sent or report.retried or report.failed:
                logger.info(
                    "channels: sent %s, retrying %s, failed %s",
                    report.sent,
                    report.retried,
                    report.failed,
                )
            return report

    async def _send(
        self, item: OutboxItem, paused: dict[int, dt.datetime], report: DispatchReport
    ) -> None:
        channel_id = item.channel_id or 0
        if channel_id in paused:
            self._outbox.defer(item.id, until=paused[channel_id], error="等待机器人限流窗口")
            return
        try:
            channel = self._channels.channel(channel_id)
            if channel.muted:  # the office removed it: nothing to tell the office
                self._outbox.mark_failed(item.id, error="渠道已被专班办公室删除")
                report.failed += 1
                return
            sender = self._senders[channel.kind]
            destination = self._channels.destination(channel_id)
            parts = sender.parts(Outgoing(item.text, item.link, item.dedupe_key), destination)
            for number in range(item.parts_sent, len(parts)):
                wait = self._wait(channel_id, sender.per_minute)
                if wait is not None:
                    paused[channel_id] = wait
                    self._outbox.defer(item.id, until=wait, error="等待机器人限流窗口")
                    return
                await self._space(channel_id, sender.per_second)
                self._channels.record_post(channel_id)
                await sender.post(destination, parts[number])
                self._outbox.mark_part(item.id, parts_sent=number + 1)
        except RateLimited as exc:
            until = self._clock() + dt.timedelta(seconds=exc.retry_after)
            paused[channel_id] = until
            self._outbox.defer(item.id, until=until, error=str(exc))
            logger.warning("channel %s rate-limited by its platform until %s", channel_id, until)
            return
        except (Rejected, ChannelError) as exc:
            self._outbox.mark_failed(item.id, error=str(exc))
            report.failed += 1
            logger.warning("channel %s refused outbox item %s: %s", channel_id, item.id, exc)
            self._tell_office(channel_id, str(exc))
            return
        except (Unavailable, SendError) as exc:
            self._retry(item, channel_id, str(exc), paused, report)
            return
        self._outbox.mark_sent(item.id)
        report.sent += 1

    def _wait(self, channel_id: int, per_minute: int) -> dt.datetime | None:
        """When the robot may take another request, if not now: a minute after the oldest of
        the last ``per_minute`` requests."""
        now = self._clock()
        recent = self._channels.posts_since(channel_id, now - MINUTE)
        if len(recent) < per_minute:
            return None
        return recent[-per_minute] + MINUTE

    async def _space(self, channel_id: int, per_second: int) -> None:
        """At most ``per_second`` requests a second to one robot (飞书): wait out the gap here,
        on the real monotonic clock, rather than put the message off."""
        if not per_second:
            return
        # a tenth more than the bare gap: a second counted by the platform's clock is never short
        gap = 1.1 / per_second - (time.monotonic() - self._last_post.get(channel_id, -1e9))
        if gap > 0:
            await asyncio.sleep(gap)
        self._last_post[channel_id] = time.monotonic()

    def _retry(
        self,
        item: OutboxItem,
        channel_id: int,
        error: str,
        paused: dict[int, dt.datetime],
        report: DispatchReport,
    ) -> None:
        if item.attempts >= self._max_attempts:
            self._outbox.mark_failed(item.id, error=error)
            report.failed += 1
            logger.error(
                "outbox item %s failed after %s attempts: %s", item.id, item.attempts, error
            )
            return
        at = self._clock() + self._backoff.after(item.attempts)
        paused[channel_id] = at  # the platform is having trouble: its other items wait too
        self._outbox.retry_later(item.id, at=at, error=error)
        report.retried += 1
        logger.warning("outbox item %s: %s; retrying at %s", item.id, error, at)

    def _tell_office(self, channel_id: int, error: str) -> None:
        """A refused channel is the office's to fix: said once a day on its other destinations."""
        try:
            broken: ChannelView | None = self._channels.channel(channel_id)
        except ChannelError:
            broken = None
        owner = broken.owner if broken else "某单位"
        label = broken.label if broken else f"渠道 {channel_id}"
        now = self._clock()
        text = "\n".join(
            [
                "【渠道故障】消息未能送达",
                f"{owner}的{label}（编号 {channel_id}）拒收：{error}",
                f"请检查机器人设置后用 policyqa channel test {channel_id} 测试；失败的消息可用 "
                "policyqa outbox --retry-failed 重发。",
            ]
        )
        self._outbox.enqueue(
            NewMessage(
                dedupe_key=f"broken:{channel_id}:{now.date().isoformat()}:{r.key}",
                chat_id=r.chat_id,
                kind="broken",
                text=text,
                not_before=now,
                channel_id=r.channel_id,
            )
            for r in recipients(self._chats, self._channels).office
            if r.channel_id != channel_id
        )
