"""Chats linked to the task force: one-time bind codes and chat subscriptions.

The office issues a code for a department (or for its own chat); the first chat to send it is
bound, and from then on receives that department's reminders and counts as an official audience.
A code is random, shown once, stored only as its SHA-256, used once and expires (7 days by
default). Every write is one audited transaction, like the registry's own.

Knows nothing of Telegram: a chat is an opaque id string. Times are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload, sessionmaker

from registry.models import BindCode, ChatSubscription, Department
from registry.service import RegistryError, audited_write

logger = logging.getLogger(__name__)

CODE_DAYS = 7
# No 0/O or 1/I: codes are read aloud and typed on phones.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_CHARS = 12  # 60 bits


class BindError(RegistryError):
    """A bind code that is unknown, used or expired; the message tells the user what to do."""


class NotBound(RegistryError):
    pass


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once; only its hash is kept
    department: str | None
    is_office: bool
    expires_at: dt.datetime


STREAM_PREFIX = "dingtalk:"  # chats of 钉钉's Stream mode: conversations, not push targets


@dataclass(frozen=True)
class ChatView:
    chat_id: str
    department: str | None
    is_office: bool
    muted: bool
    bound_at: dt.datetime

    @property
    def label(self) -> str:
        return "专班办公室" if self.is_office else self.department or ""

    @property
    def is_telegram(self) -> bool:
        """Telegram chats are told by the outbox; a 钉钉 Stream conversation (``dingtalk:…``)
        is answered only — its group is told through a robot channel bound to the department."""
        return not self.chat_id.startswith(STREAM_PREFIX)


def code_hash(code: str) -> str:
    """The stored form of a code; case, spaces and dashes do not matter."""
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_CHARS, 4))


def utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; SQLite hands back naive values, which this module always writes in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class ChatService:
    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime]) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    def _now(self) -> dt.datetime:
        return utc(self._clock())

    # -- codes -------------------------------------------------------------------------------
    def issue_code(
        self,
        *,
        department: str | None,
        office: bool = False,
        actor: str,
        valid_for: dt.timedelta = dt.timedelta(days=CODE_DAYS),
    ) -> IssuedCode:
        """A new one-time code; ``department`` must be a canonical name (resolve aliases first)."""
        if office == bool(department):
            raise BindError("绑定码要么属于一个部门，要么属于专班办公室")
        now = self._now()
        code = _new_code()
        with audited_write(self._sessions, actor=actor, action="issue", at=now) as audit:
            dept = None
            if department:
                dept = audit.session.scalar(select(Department).where(Department.name == department))
                if dept is None:
                    raise BindError(f"没有名为“{department}”的责任单位")
            row = BindCode(
                code_hash=code_hash(code),
                department=dept,
                is_office=office,
                created_by=actor,
                created_at=now,
                expires_at=now + valid_for,
            )
            audit.session.add(row)
            audit.session.flush()
            issued = IssuedCode(code, department, office, now + valid_for)
            # the code itself never reaches the audit log
            audit.record(
                "bind_code",
                row.id,
                None,
                {"department": department, "is_office": office, "expires_at": _iso(issued)},
            )
        return issued

    def bind(self, *, chat_id: str | int, code: str, actor: str) -> ChatView:
        """Link ``chat_id`` to the code's department (or the office); the code is spent."""
        chat_id, now = str(chat_id), self._now()
        with audited_write(self._sessions, actor=actor, action="bind", at=now) as audit:
            session = audit.session
            row = session.scalar(
                select(BindCode)
                .where(BindCode.code_hash == code_hash(code))
                .options(selectinload(BindCode.department))
            )
            if row is None:
                raise BindError("绑定码无效，请核对后重试，或向专班办公室索取新的绑定码。")
            if row.used_at is not None:
                raise BindError("该绑定码已经使用过，请向专班办公室索取新的绑定码。")
            if utc(row.expires_at) <= now:
                raise BindError("该绑定码已过期，请向专班办公室索取新的绑定码。")
            # spend the code only if nobody spent it meanwhile: two chats racing get one winner
            spent = session.execute(
                update(BindCode)
                .where(BindCode.id == row.id, BindCode.used_at.is_(None))
                .values(used_at=now, used_by_chat=chat_id)
                .execution_options(synchronize_session=False)
            )
            if spent.rowcount != 1:  # type: ignore[attr-defined]
                raise BindError("该绑定码已经使用过，请向专班办公室索取新的绑定码。")
            sub = session.scalar(
                select(ChatSubscription)
                .where(ChatSubscription.chat_id == chat_id)
                .options(selectinload(ChatSubscription.department))
            )
            before = asdict(_view(sub)) if sub else None
            if sub is None:
                sub = ChatSubscription(chat_id=chat_id, created_at=now)
                session.add(sub)
            sub.department, sub.is_office, sub.muted = row.department, row.is_office, False
            try:
                session.flush()
            except IntegrityError:
                raise BindError("绑定未完成，请重试。") from None
            view = _view(sub)
            audit.record("chat", chat_id, _json(before), _json(asdict(view)))
        logger.info("chat %s bound to %s", chat_id, view.label)
        return view

    # -- subscriptions ---------------------------------------------------------------------------
    def chat(self, chat_id: str | int) -> ChatView | None:
        with self._sessions() as session:
            sub = session.scalar(
                select(ChatSubscription)
                .where(ChatSubscription.chat_id == str(chat_id))
                .options(selectinload(ChatSubscription.department))
            )
            return _view(sub) if sub else None

    def subscriptions(self, *, include_muted: bool = False) -> list[ChatView]:
        with self._sessions() as session:
            query = (
                select(ChatSubscription)
                .options(selectinload(ChatSubscription.department))
                .order_by(ChatSubscription.id)
            )
            if not include_muted:
                query = query.where(ChatSubscription.muted.is_(False))
            return [_view(s) for s in session.scalars(query)]

    def set_muted(self, *, chat_id: str | int, muted: bool, actor: str) -> ChatView:
        return self._change(str(chat_id), actor, "mute" if muted else "unmute", muted=muted)

    def unbind(self, *, chat_id: str | int, actor: str) -> None:
        chat_id = str(chat_id)
        with audited_write(self._sessions, actor=actor, action="unbind", at=self._now()) as audit:
            sub = self._subscription(audit.session, chat_id)
            audit.record("chat", chat_id, _json(asdict(_view(sub))), None)
            audit.session.delete(sub)

    def migrate(self, *, old_chat_id: str | int, new_chat_id: str | int) -> ChatView | None:
        """A Telegram group became a supergroup and got a new id; keep its binding."""
        if self.chat(old_chat_id) is None:
            return None
        return self._change(str(old_chat_id), "telegram", "migrate", chat_id=str(new_chat_id))

    def _change(self, current: str, actor: str, action: str, **values: object) -> ChatView:
        with audited_write(self._sessions, actor=actor, action=action, at=self._now()) as audit:
            sub = self._subscription(audit.session, current)
            before = asdict(_view(sub))
            for name, value in values.items():
                setattr(sub, name, value)
            view = _view(sub)
            audit.record("chat", current, _json(before), _json(asdict(view)))
        return view

    @staticmethod
    def _subscription(session, chat_id: str) -> ChatSubscription:  # type: ignore[no-untyped-def]
        sub = session.scalar(
            select(ChatSubscription)
            .where(ChatSubscription.chat_id == chat_id)
            .options(selectinload(ChatSubscription.department))
        )
        if sub is None:
            raise NotBound("本群尚未绑定部门，请先发送 /bind 绑定码。")
        return sub


def _view(sub: ChatSubscription) -> ChatView:
    return ChatView(
        chat_id=sub.chat_id,
        department=sub.department.name if sub.department else None,
        is_office=sub.is_office,
        muted=sub.muted,
        bound_at=utc(sub.created_at),
    )


def _json(data: dict[str, object] | None) -> dict[str, object] | None:
    if data is None:
        return None
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in data.items()}


def _iso(issued: IssuedCode) -> str:
    return issued.expires_at.isoformat()
