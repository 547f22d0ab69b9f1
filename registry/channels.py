"""Where a department (or the office) is told besides Telegram: 企业微信, 钉钉 and 飞书 group
robots and e-mail. The office binds them; the destination (URL with its key or token, signing
secret, addresses) is kept encrypted and only a masked label is ever shown or logged.

Also the record of requests made to each robot, so that the dispatcher keeps to the platform's
rate (企业微信 and 钉钉: 20 a minute per robot) across restarts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import selectinload, sessionmaker

from registry.chats import utc
from registry.models import Channel, ChannelPost, Department
from registry.secrets import SecretBox
from registry.service import RegistryError, audited_write, get_row

KINDS = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书", "email": "电子邮件"}
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_MOBILE = re.compile(r"^\+?\d{5,15}$")
_POSTS_KEPT = dt.timedelta(hours=1)


class ChannelError(RegistryError):
    pass


@dataclass(frozen=True)
class ChannelView:
    id: int
    kind: str  # wecom / dingtalk / feishu / email
    department: str | None
    is_office: bool
    label: str  # safe to show: the platform, host and the first characters of the key
    muted: bool

    @property
    def owner(self) -> str:
        return "专班办公室" if self.is_office else self.department or ""


@dataclass(frozen=True)
class Destination:
    """A channel's decrypted destination, for the sender only; its repr hides the secrets."""

    channel_id: int
    kind: str
    label: str
    url: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    addresses: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()  # mobiles (企业微信, 钉钉) or user ids to @ in the message


@dataclass(frozen=True)
class ChannelCheck:
    """What a test message to a channel got: the platform's answer or its refusal."""

    ok: bool
    answer: str


class ChannelService:
    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime], box: SecretBox) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self._box = box

    # -- the office's bindings -----------------------------------------------------------------
    def add(
        self,
        *,
        kind: str,
        department: str | None,
        office: bool = False,
        url: str = "",
        secret: str = "",
        addresses: Sequence[str] = (),
        mentions: Sequence[str] = (),
        actor: str,
    ) -> ChannelView:
        """``department``: a canonical name (resolve aliases first); or ``office``."""
        if office == bool(department):
            raise ChannelError("渠道要么属于一个部门，要么属于专班办公室")
        value = _checked(kind, url.strip(), secret.strip(), addresses, mentions)
        with audited_write(self._sessions, actor=actor, action="add", at=self._clock()) as audit:
            owner = None
            if department:
                owner = audit.session.scalar(
                    select(Department).where(Department.name == department)
                )
                if owner is None:
                    raise ChannelError(f"没有名为“{department}”的责任单位")
            row = Channel(
                department=owner,
                is_office=office,
                kind=kind,
                secret=self._box.seal(value),
                label=_label(kind, value),
                muted=False,
                created_by=actor,
                created_at=audit.at,
            )
            audit.session.add(row)
            audit.session.flush()
            view = _view(row)
            audit.record("channel", row.id, None, {"owner": view.owner, "label": view.label})
        return view

    def remove(self, channel_id: int, *, actor: str) -> ChannelView:
        """Unbound: its queued messages are not sent (they fail as 渠道已删除)."""
        with audited_write(self._sessions, actor=actor, action="remove", at=self._clock()) as a:
            row = get_row(
                a.session, Channel, channel_id, options=[selectinload(Channel.department)]
            )
            if row is None or row.muted:
                raise ChannelError(f"没有编号为 {channel_id} 的渠道")
            row.muted = True  # kept: outbox rows name it
            view = _view(row)
            a.record("channel", row.id, {"owner": view.owner, "label": view.label}, None)
        return view

    def channels(self) -> list[ChannelView]:
        """Every channel in use, by owner."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Channel)
                .where(Channel.muted.is_(False))
                .options(selectinload(Channel.department))
                .order_by(Channel.is_office.desc(), Channel.department_id, Channel.id)
            )
            return [_view(r) for r in rows]

    def channel(self, channel_id: int) -> ChannelView:
        with self._sessions() as session:
            row = get_row(session, Channel, channel_id, options=[selectinload(Channel.department)])
            if row is None:
                raise ChannelError(f"没有编号为 {channel_id} 的渠道")
            return _view(row)

    def destination(self, channel_id: int) -> Destination:
        with self._sessions() as session:
            row = get_row(session, Channel, channel_id)
            if row is None:
                raise ChannelError(f"没有编号为 {channel_id} 的渠道")
            value = self._box.open(row.secret)
            return Destination(
                channel_id=row.id,
                kind=row.kind,
                label=row.label,
                url=value.get("url", ""),
                secret=value.get("secret", ""),
                addresses=tuple(value.get("addresses", ())),
                mentions=tuple(value.get("mentions", ())),
            )

    # -- the platforms' rates ------------------------------------------------------------------
    def record_post(self, channel_id: int) -> None:
        now = utc(self._clock())
        with self._sessions.begin() as session:
            session.add(ChannelPost(channel_id=channel_id, at=now))
            session.execute(delete(ChannelPost).where(ChannelPost.at < now - _POSTS_KEPT))

    def posts_since(self, channel_id: int, since: dt.datetime) -> list[dt.datetime]:
        """When requests went to the channel after ``since``, oldest first (UTC)."""
        with self._sessions() as session:
            found = session.scalars(
                select(ChannelPost.at)
                .where(ChannelPost.channel_id == channel_id, ChannelPost.at > utc(since))
                .order_by(ChannelPost.at)
            )
            return [utc(at) for at in found]


def _checked(
    kind: str, url: str, secret: str, addresses: Sequence[str], mentions: Sequence[str]
) -> dict[str, object]:
    if kind not in KINDS:
        raise ChannelError(f"渠道类型只能是：{'、'.join(KINDS)}")
    people = [m.strip() for m in mentions if m.strip()]
    if kind == "email":
        found = [a.strip() for a in addresses if a.strip()]
        bad = [a for a in found if not _EMAIL.match(a)]
        if not found or bad:
            raise ChannelError(f"电子邮件地址无效：{'、'.join(bad) or '（未填写）'}")
        return {"addresses": found}
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChannelError(f"{KINDS[kind]}机器人的地址应以 https:// 开头（从群机器人设置中复制）")
    query = parse_qs(parts.query)
    if kind == "wecom" and not query.get("key"):
        raise ChannelError("企业微信机器人地址中没有 key=…（应为 …/cgi-bin/webhook/send?key=…）")
    if kind == "dingtalk":
        if not query.get("access_token"):
            raise ChannelError(
                "钉钉机器人地址中没有 access_token=…（应为 …/robot/send?access_token=…）"
            )
        if secret and not secret.startswith("SEC"):
            raise ChannelError("钉钉机器人的加签密钥以 SEC 开头（机器人安全设置 → 加签）")
        if any(not _MOBILE.match(m) for m in people):
            raise ChannelError("钉钉只能按手机号 @ 人")
    if kind == "feishu" and "/hook/" not in parts.path:
        raise ChannelError("飞书机器人地址应为 …/open-apis/bot/v2/hook/…")
    return {"url": url, "secret": secret, "mentions": people}


def _label(kind: str, value: dict[str, object]) -> str:
    """What may be shown: never a key, token or secret in full."""
    if kind == "email":
        return f"电子邮件 {'、'.join(_mask_address(a) for a in value['addresses'])}"  # type: ignore[attr-defined]
    parts = urlsplit(str(value["url"]))
    query = parse_qs(parts.query)
    token = (query.get("key") or query.get("access_token") or [parts.path.rsplit("/", 1)[-1]])[0]
    signed = "，已加签" if value.get("secret") else ""
    return f"{KINDS[kind]} {parts.netloc} …{token[:4]}{signed}"


def _mask_address(address: str) -> str:
    name, _, host = address.partition("@")
    return f"{name[:2]}…@{host}"


def _view(row: Channel) -> ChannelView:
    return ChannelView(
        id=row.id,
        kind=row.kind,
        department=row.department.name if row.department else None,
        is_office=row.is_office,
        label=row.label,
        muted=row.muted,
    )
