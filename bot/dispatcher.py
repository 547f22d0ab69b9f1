"""Sends outbox items through the Bot API: nothing lost, nothing doubled.

One run (``run_once``, every 30 s from the scheduler):

1. Take the dispatcher lock (``Outbox.dispatcher_lock``: a PostgreSQL advisory lock on its own
   connection, a ``flock`` beside a SQLite file). A second dispatcher — another process, another
   instance — finds it taken and does nothing this run. The holder knows every other dispatcher
   is gone, so what one of them left ``sending`` is due again at once.
2. Claim one due item at a time (it becomes ``sending``), send it, and only when Telegram has
   answered with the message record it ``sent`` with Telegram's message id.
3. Failures: 5xx and timeouts are retried with exponential backoff (30 s, 1 min, 2 min … capped
   at 1 h; ``failed`` after 8 attempts, listed by ``policyqa outbox``); 429 puts the item and the
   whole dispatcher off for ``retry_after`` without counting an attempt; a chat that is gone or
   a request Telegram refuses (403, 400) fails at once, retrying cannot help; a group that became
   a supergroup is followed to its new id.

The one window left: the process dies after Telegram accepted a message and before ``sent`` is
written, or a request times out after Telegram delivered it. The Bot API has no idempotency key,
so the item is sent again (by the next dispatcher to take the lock): at most one
duplicate per such crash or timeout, never a loss. Everything before the send (claiming) and
after it (confirming) is a single committed statement.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.format import truncate_plain
from registry.chats import ChatService
from registry.outbox import LEASE, MAX_ATTEMPTS, Backoff, DispatchReport, Outbox, OutboxItem

logger = logging.getLogger(__name__)


class OutboxDispatcher:
    def __init__(
        self,
        outbox: Outbox,
        bot_factory: Callable[[], Bot],
        *,
        clock: Callable[[], dt.datetime],
        chats: ChatService | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        backoff: Backoff | None = None,
        lease: dt.timedelta = LEASE,
        batch: int = 100,
    ) -> None:
        self._outbox = outbox
        self._bot_factory = bot_factory
        self._clock = clock
        self._chats = chats
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff()
        self._lease = lease
        self._batch = batch
        self._paused_until: dt.datetime | None = None

    async def run_once(self) -> DispatchReport:
        """Send what is due now; safe to call from any number of processes at once."""
        now = self._clock()
        if self._paused_until and now < self._paused_until:
            return DispatchReport(paused_until=self._paused_until)
        with self._outbox.dispatcher_lock() as held:
            if not held:
                logger.info("another dispatcher holds the outbox lock; skipping this run")
                return DispatchReport(held_lock=False)
            if reclaimed := self._outbox.reclaim_unconfirmed():
                logger.warning("%s message(s) left unconfirmed by a stopped dispatcher", reclaimed)
            if not self._outbox.has_due():
                return DispatchReport()
            report = DispatchReport()
            try:
                async with self._bot_factory() as bot:
                    await self._drain(bot, report)
            except TelegramError as exc:  # getMe failed: Telegram unreachable or the token bad
                logger.warning("outbox dispatch stopped: %s", exc)
                report.error = str(exc)
            if report.sent or report.retried or report.failed:
                logger.info(
                    "outbox: sent %s, retrying %s, failed %s",
                    report.sent,
                    report.retried,
                    report.failed,
                )
            return report

    async def _drain(self, bot: Bot, report: DispatchReport) -> None:
        for _ in range(self._batch):
            item = self._outbox.claim_next(lease=self._lease, max_attempts=self._max_attempts)
            if item is None or not await self._send(bot, item, report):
                return

    async def _send(self, bot: Bot, item: OutboxItem, report: DispatchReport) -> bool:
        """Send one claimed item and record the outcome; ``False`` ends the run."""
        try:
            message = await bot.send_message(
                chat_id=_chat(item.chat_id), text=truncate_plain(item.text)
            )
        except RetryAfter as exc:
            # flood control is per bot: put this item and the whole dispatcher off
            until = self._clock() + _seconds(exc)
            self._outbox.defer(item.id, until=until, error=f"429 {exc}")
            self._paused_until = report.paused_until = until
            logger.warning("Telegram flood control: pausing the outbox until %s", until)
            return False
        except ChatMigrated as exc:
            new_chat = str(exc.new_chat_id)
            logger.info("chat %s moved to %s", item.chat_id, new_chat)
            self._outbox.retarget(item.id, chat_id=new_chat)
            if self._chats is not None:
                self._chats.migrate(old_chat_id=item.chat_id, new_chat_id=new_chat)
            return True
        except InvalidToken as exc:
            self._outbox.defer(item.id, until=self._clock() + self._backoff.cap, error=str(exc))
            report.error = f"令牌无效：{exc}"
            logger.error("Telegram rejected the token; outbox paused")
            return False
        except (Forbidden, BadRequest) as exc:
            self._outbox.mark_failed(item.id, error=f"{exc.__class__.__name__}: {exc}")
            report.failed += 1
            logger.warning("outbox item %s refused by Telegram: %s", item.id, exc)
            return True
        except TelegramError as exc:  # 5xx, timeouts (TimedOut), connection errors (NetworkError)
            error = f"{exc.__class__.__name__}: {exc}"
            if item.attempts >= self._max_attempts:
                self._outbox.mark_failed(item.id, error=error)
                report.failed += 1
                logger.error(
                    "outbox item %s failed after %s attempts: %s", item.id, item.attempts, exc
                )
                return True
            at = self._clock() + self._backoff.after(item.attempts)
            self._outbox.retry_later(item.id, at=at, error=error)
            report.retried += 1
            logger.warning("outbox item %s: %s; retrying at %s", item.id, exc, at)
            return False  # Telegram is having trouble: leave the rest for the next run
        self._outbox.mark_sent(item.id, telegram_message_id=message.message_id)
        report.sent += 1
        return True


def _chat(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _seconds(exc: RetryAfter) -> dt.timedelta:
    with warnings.catch_warnings():  # int or timedelta, depending on PTB_TIMEDELTA
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=float(value))
