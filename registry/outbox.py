"""The outbox: every outgoing reminder is written here before anything is sent.

Life of an item::

    pending ──claim──> sending ──confirmed──> sent
       ^                  │
       └──retry later─────┤ (5xx, timeout, 429: ``not_before`` moves on)
                          └──gave up / permanent error──> failed

* ``enqueue`` inserts with ``INSERT … ON CONFLICT (dedupe_key) DO NOTHING`` on both SQLite and
  PostgreSQL: whichever process plans a reminder, and however often, the key is queued once.
* ``claim_next`` moves one due item to ``sending`` with a compare-and-set ``UPDATE``, so even
  two dispatchers that ignored the lock could not both take it. While ``sending``,
  ``not_before`` is the end of the claim's lease; an item still ``sending`` after its lease
  belongs to a dispatcher that died and is claimed again.
* ``mark_sent`` is called only with the id of the message Telegram confirmed.
* ``dispatcher_lock`` lets one dispatcher run at a time (``registry.locks``: a PostgreSQL
  advisory lock, or a ``flock`` beside a SQLite file; both released when the holder dies). The
  holder knows no other dispatcher is alive, so ``reclaim_unconfirmed`` hands it at once what a
  dead one left ``sending`` instead of waiting out the lease.

Two transports share it: Telegram chats (``channel_id`` unset; ``bot.dispatcher``) and the
push channels — 企业微信, 钉钉, 飞书 robots and e-mail (``channel_id`` set; ``channels.dispatcher``).
Each has its own dispatcher lock, so a paused Telegram does not hold up a mailbox. A message
split to fit a platform records each part as it is accepted (``mark_part``): after a crash only
the part in flight can be sent twice.

Knows nothing of Telegram. Times are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import sessionmaker

from registry.chats import utc
from registry.locks import exclusive
from registry.models import OutboxMessage

logger = logging.getLogger(__name__)

# what a message is, for the record: reminder, overdue, digest, urge (催办), returned (a report
# sent back), broken (a channel refused a message: the office is told)
OPEN = ("pending", "sending", "failed")
TRANSPORTS = ("telegram", "channels")
DISPATCHER_LOCKS = {"telegram": "outbox.dispatcher", "channels": "outbox.channels"}
LEASE = dt.timedelta(minutes=2)  # longer than one send with its timeouts
MAX_ATTEMPTS = 8
_STALE_NOTE = "上次发送未得到确认（发送进程中断），已重新发送"


@dataclass(frozen=True)
class Backoff:
    """How long a dispatcher waits before trying a failed message again."""

    base: dt.timedelta = dt.timedelta(seconds=30)
    cap: dt.timedelta = dt.timedelta(hours=1)

    def after(self, attempts: int) -> dt.timedelta:
        return min(self.base * 2 ** max(attempts - 1, 0), self.cap)


@dataclass
class DispatchReport:
    held_lock: bool = True  # False: another dispatcher was running, nothing was done
    sent: int = 0
    retried: int = 0
    failed: int = 0
    paused_until: dt.datetime | None = None  # flood control (429)
    error: str = ""  # the run stopped early (the platform unreachable, bad token)


@dataclass(frozen=True)
class NewMessage:
    dedupe_key: str  # e.g. milestone:12:chat:-100:T-7, milestone:12:channel:3:T-7
    chat_id: str  # a Telegram chat, or "channel:3"
    kind: str
    text: str
    not_before: dt.datetime
    milestone_id: int | None = None
    channel_id: int | None = None  # a push channel instead of a Telegram chat
    link: str = ""  # the task on the dashboard


@dataclass(frozen=True)
class OutboxItem:
    id: int
    dedupe_key: str
    chat_id: str
    kind: str
    milestone_id: int | None
    text: str
    status: str
    attempts: int
    not_before: dt.datetime
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    telegram_message_id: int | None
    channel_id: int | None = None
    parts_sent: int = 0
    link: str = ""


class Outbox:
    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime]) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    def _now(self) -> dt.datetime:
        return utc(self._clock())

    # -- writing -------------------------------------------------------------------------------
    def enqueue(self, messages: Iterable[NewMessage]) -> list[str]:
        """Queue messages in one transaction; returns the keys that were new (others: no-op)."""
        now = self._now()
        rows = [
            {
                "dedupe_key": m.dedupe_key,
                "chat_id": str(m.chat_id),
                "kind": m.kind,
                "milestone_id": m.milestone_id,
                "text": m.text,
                "status": "pending",
                "attempts": 0,
                "not_before": utc(m.not_before),
                "last_error": "",
                "created_at": now,
                "channel_id": m.channel_id,
                "parts_sent": 0,
                "link": m.link,
            }
            for m in messages
        ]
        if not rows:
            return []
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        added = []
        with self._engine.begin() as connection:
            for row in rows:
                statement = (
                    insert(OutboxMessage)
                    .values(**row)
                    .on_conflict_do_nothing(index_elements=["dedupe_key"])
                    .returning(OutboxMessage.id)
                )
                if connection.execute(statement).scalar() is not None:
                    added.append(row["dedupe_key"])
        return added

    def claim_next(
        self, *, lease: dt.timedelta, max_attempts: int, transport: str = "telegram"
    ) -> OutboxItem | None:
        """Take the next due item of ``transport`` for sending, or ``None``. Counts an attempt.

        An item left ``sending`` by a dispatcher that died (its lease is over) is taken again;
        if it has used up its attempts it is marked failed instead.
        """
        for _ in range(5):  # lost races only; each pass reads afresh
            now = self._now()
            with self._sessions.begin() as session:
                row = session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.status.in_(("pending", "sending")),
                        OutboxMessage.not_before <= now,
                        _of(transport),
                    )
                    .order_by(OutboxMessage.not_before, OutboxMessage.id)
                    .limit(1)
                ).first()
                if row is None:
                    return None
                stale = row.status == "sending"
                values: dict[str, object] = {
                    "status": "sending",
                    "attempts": OutboxMessage.attempts + 1,
                    "not_before": now + lease,
                }
                if stale:
                    logger.warning("outbox item %s was left unconfirmed; sending again", row.id)
                    values["last_error"] = _STALE_NOTE
                    if row.attempts >= max_attempts:
                        values = {"status": "failed", "last_error": _STALE_NOTE}
                taken = session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == row.id,
                        OutboxMessage.status == row.status,
                        OutboxMessage.attempts == row.attempts,
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                if values["status"] == "failed":
                    continue
            return self.item(row.id)
        return None

    def reclaim_unconfirmed(self, transport: str = "telegram") -> int:
        """End the lease of every item of ``transport`` left ``sending``; call only while
        holding its ``dispatcher_lock`` (then no other dispatcher is alive to confirm them).
        Returns how many items a dead dispatcher had left."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == "sending",
                    OutboxMessage.not_before > self._now(),
                    _of(transport),
                )
                .values(not_before=self._now())
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def mark_sent(self, item_id: int, *, telegram_message_id: int | None = None) -> bool:
        """Record the platform's confirmation; ``False`` if the item was not ours to confirm."""
        with self._sessions.begin() as session:
            done = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id, OutboxMessage.status == "sending")
                .values(
                    status="sent",
                    sent_at=self._now(),
                    telegram_message_id=telegram_message_id,
                    last_error="",
                )
            )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            logger.warning("outbox item %s was confirmed but no longer claimed", item_id)
            return False
        return True

    def mark_part(self, item_id: int, *, parts_sent: int) -> None:
        """The platform accepted the first ``parts_sent`` parts of a split message."""
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id, OutboxMessage.status == "sending")
                .values(parts_sent=parts_sent)
            )

    def retry_later(self, item_id: int, *, at: dt.datetime, error: str) -> None:
        """A failed attempt (5xx, timeout): try again from ``at``."""
        self._release(item_id, status="pending", not_before=utc(at), last_error=error[:2000])

    def defer(self, item_id: int, *, until: dt.datetime, error: str) -> None:
        """Not attempted for a reason outside the item (429 flood control): does not count."""
        self._release(
            item_id,
            status="pending",
            not_before=utc(until),
            last_error=error[:2000],
            attempts=OutboxMessage.attempts - 1,
        )

    def mark_failed(self, item_id: int, *, error: str) -> None:
        """Given up: listed by ``policyqa outbox`` until requeued."""
        self._release(item_id, status="failed", last_error=error[:2000])

    def retarget(self, item_id: int, *, chat_id: str) -> None:
        """The chat got a new id (group → supergroup); send there, now, without counting."""
        self._release(
            item_id,
            status="pending",
            chat_id=str(chat_id),
            not_before=self._now(),
            attempts=OutboxMessage.attempts - 1,
        )

    def _release(self, item_id: int, **values: object) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id, OutboxMessage.status == "sending")
                .values(**values)
            )

    def requeue_failed(self) -> int:
        """Give every failed item a fresh set of attempts, due now."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "failed")
                .values(status="pending", attempts=0, not_before=self._now())
            )
        return result.rowcount  # type: ignore[attr-defined,no-any-return]

    # -- reading ---------------------------------------------------------------------------------
    def item(self, item_id: int) -> OutboxItem:
        with self._sessions() as session:
            row = session.get(OutboxMessage, item_id)
            if row is None:
                raise KeyError(item_id)
            return _item(row)

    def items(self, *, statuses: Iterable[str] = OPEN, limit: int = 500) -> list[OutboxItem]:
        with self._sessions() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status.in_(tuple(statuses)))
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(limit)
            )
            return [_item(r) for r in rows]

    def has_due(self, transport: str = "telegram") -> bool:
        now = self._now()
        with self._sessions() as session:
            count = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status.in_(("pending", "sending")),
                    OutboxMessage.not_before <= now,
                    _of(transport),
                )
            )
        return bool(count)

    def dedupe_keys(self) -> set[str]:
        with self._sessions() as session:
            return set(session.scalars(select(OutboxMessage.dedupe_key)))

    # -- one dispatcher at a time ------------------------------------------------------------------
    def dispatcher_lock(self, transport: str = "telegram") -> AbstractContextManager[bool]:
        """Yields whether this caller is the one dispatcher of ``transport``; never waits."""
        return exclusive(self._engine, DISPATCHER_LOCKS[transport])


def _of(transport: str) -> ColumnElement[bool]:
    """The items a transport sends: Telegram's have no channel."""
    if transport not in TRANSPORTS:
        raise ValueError(transport)
    column = OutboxMessage.channel_id
    return column.is_(None) if transport == "telegram" else column.is_not(None)


def _item(row: OutboxMessage) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        dedupe_key=row.dedupe_key,
        chat_id=row.chat_id,
        kind=row.kind,
        milestone_id=row.milestone_id,
        text=row.text,
        status=row.status,
        attempts=row.attempts,
        not_before=utc(row.not_before),
        last_error=row.last_error,
        created_at=utc(row.created_at),
        sent_at=utc(row.sent_at) if row.sent_at else None,
        telegram_message_id=row.telegram_message_id,
        channel_id=row.channel_id,
        parts_sent=row.parts_sent,
        link=row.link,
    )
