"""Accounts of the web pages and API: office, department, leader and admin users, their logins
and tokens, and their lifecycle (password change and reset, disable, role change, removal).

Every change to an account is audited and ends the credentials it makes stale in the same
transaction: a new password, a reset, a disable, a role change or a removal ends all of the
user's logins and tokens (a password change keeps only the login that made it). Knows nothing
of HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from registry import passwords, sessions
from registry.models import ApiToken, Department, LoginSession, User
from registry.service import RegistryError, audited_write, get_row
from registry.sessions import Lifetimes

# leader: reads the ledger and the overview (县领导), writes nothing
ROLES = ("office", "department", "leader", "admin")
DEFAULT_LIFETIMES = Lifetimes()
ROLE_NAMES = {
    "office": "专班办公室",
    "department": "责任单位",
    "leader": "县领导",
    "admin": "管理员",
}


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    department: str | None
    # logged in with a one-time password: may only set a new one
    must_change_password: bool = False

    @property
    def is_office(self) -> bool:
        return self.role in ("office", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    @property
    def sees_overview(self) -> bool:
        return self.is_office or self.is_leader


@dataclass(frozen=True)
class UserInfo:
    """A line of the account list; never the password hash."""

    username: str
    role: str
    department: str | None
    disabled: bool
    must_change_password: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None
    sessions: int
    tokens: int


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: its first characters, never the token."""

    id: int
    username: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None


class AccountService:
    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], dt.datetime],
        lifetimes: Lifetimes = DEFAULT_LIFETIMES,
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self.lifetimes = lifetimes

    # the accounts

    def add_user(
        self,
        username: str,
        password: str,
        *,
        role: str,
        department: str | None,
        actor: str = "命令行",
        temporary: bool = False,
    ) -> Account:
        """``department`` must be a canonical name (resolve aliases before calling).
        ``temporary``: a one-time password, to be replaced at the first login."""
        username = username.strip()
        if not username:
            raise RegistryError("用户名不能为空。")
        passwords.check(password, username=username)
        now = self._clock()
        with audited_write(self._sessions, actor=actor, action="add", at=now) as audit:
            user = User(
                username=username,
                password_hash=passwords.hash_password(password),
                role=role,
                department=_department(audit.session, role, department),
                created_at=now,
                must_change_password=temporary,
            )
            audit.session.add(user)
            try:
                audit.session.flush()
            except IntegrityError:
                raise RegistryError(f"用户名“{username}”已存在") from None
            audit.record("user", username, None, _plain(user))
            return _account(user)

    def users(self) -> list[UserInfo]:
        with self._sessions() as db:
            now = self._clock()
            live = (LoginSession.expires_at > now) & (
                LoginSession.last_seen_at > now - self.lifetimes.session_idle
            )
            logins = dict(
                db.execute(
                    select(LoginSession.user_id, func.count())
                    .where(live)
                    .group_by(LoginSession.user_id)
                ).all()
            )
            tokens = dict(
                db.execute(
                    select(ApiToken.user_id, func.count())
                    .where(ApiToken.expires_at > now)
                    .group_by(ApiToken.user_id)
                ).all()
            )
            rows = db.scalars(
                select(User).options(selectinload(User.department)).order_by(User.username)
            )
            return [
                UserInfo(
                    username=u.username,
                    role=u.role,
                    department=u.department.name if u.department else None,
                    disabled=u.disabled,
                    must_change_password=u.must_change_password,
                    created_at=u.created_at,
                    last_login_at=u.last_login_at,
                    sessions=logins.get(u.id, 0),
                    tokens=tokens.get(u.id, 0),
                )
                for u in rows
            ]

    def account(self, username: str) -> Account | None:
        """The enabled account of that name."""
        with self._sessions() as db:
            user = _find(db, username)
            return _account(user) if user and not user.disabled else None

    def authenticate(self, username: str, password: str) -> Account | None:
        with self._sessions() as db:
            user = _find(db, username)
            if user is None or user.disabled:
                passwords.verify(None, password)
                return None
            return _account(user) if passwords.verify(user.password_hash, password) else None

    def change_password(
        self, account: Account, old: str, new: str, *, keep_session: str | None = None
    ) -> None:
        """The user's own change; ends their other logins and all their tokens."""
        passwords.check(new, username=account.username)
        with audited_write(
            self._sessions, actor=account.username, action="password", at=self._clock()
        ) as audit:
            user = _user(audit.session, account.username)
            if not passwords.verify(user.password_hash, old):
                raise RegistryError("原密码不正确。")
            if old == new:
                raise RegistryError("新密码不能与原密码相同。")
            user.password_hash = passwords.hash_password(new)
            user.must_change_password = False
            sessions.end_all(audit.session, user.id, keep_session=keep_session)
            audit.record("user", user.username, None, {"password": "changed"})

    def set_password(
        self, username: str, password: str, *, actor: str, temporary: bool = False
    ) -> None:
        """Sets the user's password (the CLI's ``user passwd``); ends all their logins and
        tokens. ``temporary``: a one-time password, to be replaced at the next login."""
        if not temporary:
            passwords.check(password, username=username)
        action = "reset" if temporary else "password"
        with audited_write(self._sessions, actor=actor, action=action, at=self._clock()) as audit:
            user = _user(audit.session, username)
            user.password_hash = passwords.hash_password(password)
            user.must_change_password = temporary
            sessions.end_all(audit.session, user.id)
            audit.record("user", user.username, None, {"password": action})

    def reset_password(self, username: str, *, actor: str) -> str:
        """A one-time password for the user to log in with once and set their own."""
        password = passwords.one_time()
        self.set_password(username, password, actor=actor, temporary=True)
        return password

    def set_disabled(self, username: str, disabled: bool, *, actor: str) -> None:
        action = "disable" if disabled else "enable"
        with audited_write(self._sessions, actor=actor, action=action, at=self._clock()) as audit:
            user = _user(audit.session, username)
            _not_own(user, actor)
            before = _plain(user)
            user.disabled = disabled
            if disabled:
                sessions.end_all(audit.session, user.id)
            audit.record("user", user.username, before, _plain(user))

    def set_role(self, username: str, role: str, department: str | None, *, actor: str) -> Account:
        """``department`` canonical, as for ``add_user``; ends the user's logins and tokens."""
        with audited_write(self._sessions, actor=actor, action="role", at=self._clock()) as audit:
            user = _user(audit.session, username)
            _not_own(user, actor)
            before = _plain(user)
            user.role = role
            user.department = _department(audit.session, role, department)
            sessions.end_all(audit.session, user.id)
            audit.record("user", user.username, before, _plain(user))
            return _account(user)

    def remove_user(self, username: str, *, actor: str) -> None:
        """The account goes; what it wrote stays (reports and the audit log keep names, not
        references to the account)."""
        with audited_write(self._sessions, actor=actor, action="remove", at=self._clock()) as audit:
            user = _user(audit.session, username)
            _not_own(user, actor)
            before = _plain(user)
            sessions.end_all(audit.session, user.id)
            audit.session.delete(user)
            audit.record("user", username, before, None)

    # logins of the web pages

    def start_session(self, account: Account) -> str:
        """A new login of the account; returns the id its cookie carries."""
        with self._sessions.begin() as db:
            user = _user(db, account.username)
            return sessions.start_session(db, user, now=self._clock(), lifetimes=self.lifetimes)

    def account_for_session(self, session_id: str) -> Account | None:
        with self._sessions.begin() as db:
            user = sessions.user_of_session(
                db, session_id, now=self._clock(), lifetimes=self.lifetimes
            )
            return _account(user) if user and not user.disabled else None

    def end_session(self, session_id: str) -> None:
        with self._sessions.begin() as db:
            sessions.end_session(db, session_id)

    # bearer tokens of the API

    def issue_token(self, account: Account, *, days: int | None = None) -> str:
        """A token for ``days`` (the office's setting when not given, never longer)."""
        longest = self.lifetimes.token_days
        if days is not None and not 1 <= days <= longest:
            raise RegistryError(f"令牌有效期为 1 到 {longest} 天。")
        if account.must_change_password:
            raise RegistryError("请先登录网页，把临时密码改成自己的密码。")
        with self._sessions.begin() as db:
            return sessions.issue_token(db, account.id, now=self._clock(), days=days or longest)

    def account_for_token(self, token: str) -> Account | None:
        with self._sessions.begin() as db:
            user = sessions.user_of_token(db, token, now=self._clock())
            return _account(user) if user and not user.disabled else None

    def tokens(self, username: str | None = None) -> list[TokenInfo]:
        """Unexpired tokens, of one user or of all."""
        with self._sessions() as db:
            query = (
                select(ApiToken, User.username)
                .join(User)
                .where(ApiToken.expires_at > self._clock())
                .order_by(User.username, ApiToken.id)
            )
            if username is not None:
                query = query.where(User.username == username)
            return [
                TokenInfo(t.id, name, t.prefix, t.created_at, t.expires_at, t.last_used_at)
                for t, name in db.execute(query).all()
            ]

    def revoke_token(self, token_id: int, *, actor: str, username: str | None = None) -> None:
        """``username``: only a token of that user (a user revoking their own)."""
        with audited_write(self._sessions, actor=actor, action="revoke", at=self._clock()) as audit:
            row = get_row(audit.session, ApiToken, token_id, options=[selectinload(ApiToken.user)])
            if row is None or username not in (None, row.user.username):
                raise RegistryError(f"没有编号为 {token_id} 的令牌。")
            audit.record("token", token_id, {"user": row.user.username, "prefix": row.prefix}, None)
            audit.session.delete(row)

    def revoke_tokens(self, username: str, *, actor: str) -> int:
        """Every token of the user; returns how many there were."""
        with audited_write(self._sessions, actor=actor, action="revoke", at=self._clock()) as audit:
            user = _user(audit.session, username)
            ended = audit.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
            audit.record("token", f"{username}:*", {"tokens": ended.rowcount}, None)
            return ended.rowcount

    def revoke_presented_token(self, token: str) -> None:
        """The token the request came with (``DELETE /api/token``)."""
        with self._sessions() as db:
            found = db.execute(
                select(ApiToken.id, User.username)
                .join(User)
                .where(ApiToken.token_hash == sessions.digest(token))
            ).first()
        if found is not None:
            self.revoke_token(found.id, actor=found.username)


def _find(db: Session, username: str) -> User | None:
    return db.scalar(
        select(User).where(User.username == username.strip()).options(selectinload(User.department))
    )


def _user(db: Session, username: str) -> User:
    user = _find(db, username)
    if user is None:
        raise RegistryError(f"没有名为“{username}”的账号。")
    return user


def _not_own(user: User, actor: str) -> None:
    """An admin does not lock themselves out: another admin (or the CLI) does that."""
    if user.username == actor:
        raise RegistryError("不能停用、删除自己的账号或更改自己的角色。")


def _department(db: Session, role: str, department: str | None) -> Department | None:
    if role not in ROLES:
        raise RegistryError(f"角色只能是：{'、'.join(ROLES)}")
    if (role == "department") != bool(department):
        raise RegistryError("部门账号必须指定部门，其他角色不能指定部门")
    if not department:
        return None
    found = db.scalar(select(Department).where(Department.name == department))
    if found is None:
        raise RegistryError(f"没有名为“{department}”的责任单位")
    return found


def _plain(user: User) -> dict[str, object]:
    """What the audit log keeps of an account (never its password hash)."""
    return {
        "role": user.role,
        "department": user.department.name if user.department else None,
        "disabled": user.disabled,
    }


def _account(user: User) -> Account:
    return Account(
        user.id,
        user.username,
        user.role,
        user.department.name if user.department else None,
        user.must_change_password,
    )
