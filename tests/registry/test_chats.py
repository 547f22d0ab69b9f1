"""Bind codes and chat subscriptions, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assistant.settings import Settings
from policyqa.storage import build_engine
from registry.chats import BindError, ChatService, NotBound, code_hash
from registry.models import AuditEntry, BindCode
from registry.service import Registry
from tests.conftest import FixedClock

# The database matters little here: SQLite only (PostgreSQL where it does).
sqlite_only = pytest.mark.parametrize("database_url", [None], ids=["sqlite"])


@pytest.fixture
def engine(registry_settings: Settings) -> Engine:
    return build_engine(registry_settings)


@pytest.fixture
def chats(plan_registry: Registry, engine: Engine, clock: FixedClock) -> ChatService:
    return ChatService(engine, clock=clock)


def _rows(engine: Engine, model: type) -> list:  # type: ignore[type-arg]
    with Session(engine) as session:
        return list(session.scalars(select(model)))


@sqlite_only
def test_a_code_is_stored_only_as_its_hash(chats: ChatService, engine: Engine) -> None:
    issued = chats.issue_code(department="县林业局", actor="专班办公室")
    assert len(issued.code.replace("-", "")) == 12
    [row] = _rows(engine, BindCode)
    normalized = issued.code.replace("-", "")
    assert row.code_hash == hashlib.sha256(normalized.encode()).hexdigest()
    stored = [str(v) for r in _rows(engine, BindCode) for v in vars(r).values()]
    stored += [repr(a.after) for a in _rows(engine, AuditEntry)]
    assert not any(normalized in s or issued.code in s for s in stored)
    assert (issued.expires_at - dt.datetime(2026, 9, 15, 2, 0, tzinfo=dt.UTC)).days == 7


def test_binding_links_the_chat_once(chats: ChatService) -> None:
    issued = chats.issue_code(department="县林业局", actor="专班办公室")
    # case, spaces and dashes do not matter
    chat = chats.bind(chat_id=-1001, code=issued.code.lower().replace("-", " "), actor="张三")
    assert (chat.chat_id, chat.department, chat.is_office, chat.muted) == (
        "-1001",
        "县林业局",
        False,
        False,
    )
    assert chats.chat("-1001") == chat
    with pytest.raises(BindError, match="已经使用过"):
        chats.bind(chat_id=-1002, code=issued.code, actor="李四")
    assert chats.chat(-1002) is None


@sqlite_only
def test_unknown_and_expired_codes(chats: ChatService, clock: FixedClock) -> None:
    with pytest.raises(BindError, match="无效"):
        chats.bind(chat_id=1, code="AAAA-BBBB-CCCC", actor="x")
    issued = chats.issue_code(department="县发改局", actor="专班办公室")
    clock.now += dt.timedelta(days=7, seconds=1)
    with pytest.raises(BindError, match="过期"):
        chats.bind(chat_id=1, code=issued.code, actor="x")


@sqlite_only
def test_office_codes_and_rebinding(chats: ChatService) -> None:
    office = chats.issue_code(department=None, office=True, actor="专班办公室")
    assert chats.bind(chat_id=-9, code=office.code, actor="x").is_office
    forestry = chats.issue_code(department="县林业局", actor="专班办公室")
    rebound = chats.bind(chat_id=-9, code=forestry.code, actor="x")
    assert (rebound.department, rebound.is_office) == ("县林业局", False)
    with pytest.raises(BindError):
        chats.issue_code(department="县林业局", office=True, actor="x")
    with pytest.raises(BindError, match="没有名为"):
        chats.issue_code(department="不存在局", actor="x")


def test_mute_unmute_and_subscriptions(chats: ChatService, plan_registry: Registry) -> None:
    for name, chat_id in (("县林业局", -1), ("县发改局", -2)):
        chats.bind(
            chat_id=chat_id, code=chats.issue_code(department=name, actor="o").code, actor="x"
        )
    assert chats.set_muted(chat_id=-1, muted=True, actor="张三").muted
    assert [c.chat_id for c in chats.subscriptions()] == ["-2"]
    assert len(chats.subscriptions(include_muted=True)) == 2
    assert not chats.set_muted(chat_id=-1, muted=False, actor="张三").muted
    with pytest.raises(NotBound):
        chats.set_muted(chat_id=-3, muted=True, actor="x")
    actions = [(e["action"], e["entity"]) for e in plan_registry.audit_log(limit=10)]
    assert ("mute", "chat") in actions and ("unmute", "chat") in actions
    assert ("bind", "chat") in actions and ("issue", "bind_code") in actions


@sqlite_only
def test_a_migrated_group_keeps_its_binding(chats: ChatService) -> None:
    chats.bind(chat_id=-5, code=chats.issue_code(department="县林业局", actor="o").code, actor="x")
    moved = chats.migrate(old_chat_id=-5, new_chat_id=-1005)
    assert moved is not None and moved.department == "县林业局"
    assert chats.chat(-5) is None and chats.chat(-1005) is not None


def test_two_chats_racing_for_one_code_get_one_binding(chats: ChatService) -> None:
    issued = chats.issue_code(department="县林业局", actor="专班办公室")
    results: list[object] = []
    barrier = threading.Barrier(4)

    def bind(chat_id: int) -> None:
        barrier.wait()
        try:
            results.append(chats.bind(chat_id=chat_id, code=issued.code, actor="x"))
        except BindError as exc:
            results.append(exc)

    threads = [threading.Thread(target=bind, args=(-100 - n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bound = [r for r in results if not isinstance(r, BindError)]
    assert len(bound) == 1, results
    assert len(chats.subscriptions()) == 1


def test_code_hash_normalizes() -> None:
    assert code_hash("abcd-efgh") == code_hash("ABCD EFGH") == code_hash("ABCDEFGH")
