"""The outbox: dedupe keys, claiming, confirming, retrying and the dispatcher lock, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine

from assistant.settings import Settings
from policyqa.storage import build_engine
from registry.outbox import NewMessage, Outbox
from tests.conftest import FixedClock

LEASE = dt.timedelta(minutes=2)

# The database matters little here: SQLite only (PostgreSQL where it does).
sqlite_only = pytest.mark.parametrize("database_url", [None], ids=["sqlite"])


@pytest.fixture
def engine(registry_settings: Settings) -> Engine:
    return build_engine(registry_settings)


@pytest.fixture
def outbox(engine: Engine, clock: FixedClock) -> Outbox:
    return Outbox(engine, clock=clock)


def _message(key: str, clock: FixedClock, *, chat: str = "-1", delay: int = 0) -> NewMessage:
    return NewMessage(
        dedupe_key=key,
        chat_id=chat,
        kind="reminder",
        text=f"text of {key}",
        not_before=clock.now + dt.timedelta(seconds=delay),
    )


def test_a_key_is_queued_once(outbox: Outbox, clock: FixedClock) -> None:
    assert outbox.enqueue([_message("a", clock), _message("b", clock)]) == ["a", "b"]
    assert outbox.enqueue([_message("a", clock), _message("c", clock)]) == ["c"]
    assert [i.dedupe_key for i in outbox.items()] == ["a", "b", "c"]


def test_concurrent_enqueues_of_one_key_queue_it_once(outbox: Outbox, clock: FixedClock) -> None:
    barrier = threading.Barrier(6)
    added: list[list[str]] = []

    def enqueue() -> None:
        barrier.wait()
        added.append(outbox.enqueue([_message(f"k{n}", clock) for n in range(20)]))

    threads = [threading.Thread(target=enqueue) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(k for keys in added for k in keys) == sorted(f"k{n}" for n in range(20))
    assert len(outbox.items()) == 20


def test_claim_send_confirm(outbox: Outbox, clock: FixedClock) -> None:
    outbox.enqueue([_message("now", clock), _message("later", clock, delay=60)])
    item = outbox.claim_next(lease=LEASE, max_attempts=3)
    assert item is not None and (item.dedupe_key, item.status, item.attempts) == (
        "now",
        "sending",
        1,
    )
    assert outbox.claim_next(lease=LEASE, max_attempts=3) is None  # "later" is not due
    assert outbox.mark_sent(item.id, telegram_message_id=777)
    sent = outbox.item(item.id)
    assert (sent.status, sent.telegram_message_id, sent.sent_at) == ("sent", 777, clock.now)
    assert not outbox.mark_sent(item.id, telegram_message_id=778)  # only a claimed item
    assert [i.dedupe_key for i in outbox.items()] == ["later"]


@sqlite_only
def test_retry_defer_and_give_up(outbox: Outbox, clock: FixedClock) -> None:
    outbox.enqueue([_message("x", clock)])
    item = outbox.claim_next(lease=LEASE, max_attempts=3)
    assert item is not None
    outbox.retry_later(item.id, at=clock.now + dt.timedelta(seconds=30), error="500")
    assert outbox.claim_next(lease=LEASE, max_attempts=3) is None
    clock.now += dt.timedelta(seconds=30)
    item = outbox.claim_next(lease=LEASE, max_attempts=3)
    assert item is not None and item.attempts == 2
    outbox.defer(item.id, until=clock.now + dt.timedelta(seconds=5), error="429")
    assert outbox.item(item.id).attempts == 1  # flood control is not the item's attempt
    clock.now += dt.timedelta(seconds=5)
    item = outbox.claim_next(lease=LEASE, max_attempts=3)
    assert item is not None
    outbox.mark_failed(item.id, error="403")
    assert [(i.status, i.last_error) for i in outbox.items()] == [("failed", "403")]
    assert outbox.requeue_failed() == 1
    assert outbox.claim_next(lease=LEASE, max_attempts=3) is not None


def test_an_unconfirmed_item_is_taken_again_after_its_lease(
    outbox: Outbox, clock: FixedClock
) -> None:
    outbox.enqueue([_message("x", clock)])
    first = outbox.claim_next(lease=LEASE, max_attempts=2)
    assert first is not None  # ...and the dispatcher dies here
    assert outbox.claim_next(lease=LEASE, max_attempts=2) is None
    clock.now += LEASE
    again = outbox.claim_next(lease=LEASE, max_attempts=2)
    assert again is not None and again.id == first.id and again.attempts == 2
    assert "未得到确认" in again.last_error
    clock.now += LEASE  # dies again: out of attempts
    assert outbox.claim_next(lease=LEASE, max_attempts=2) is None
    assert outbox.item(first.id).status == "failed"


def test_concurrent_claims_never_share_an_item(outbox: Outbox, clock: FixedClock) -> None:
    outbox.enqueue([_message(f"k{n}", clock) for n in range(30)])
    claimed: list[int] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        while (item := outbox.claim_next(lease=LEASE, max_attempts=3)) is not None:
            claimed.append(item.id)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 30


def test_one_dispatcher_lock_at_a_time(engine: Engine, clock: FixedClock) -> None:
    first, second = Outbox(engine, clock=clock), Outbox(engine, clock=clock)
    with first.dispatcher_lock() as held:
        assert held
        with second.dispatcher_lock() as also:
            assert not also
    with second.dispatcher_lock() as held:
        assert held
