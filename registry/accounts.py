"""Accounts of the web pages and API: office, department and admin users, passwords and tokens.

Passwords are hashed with Argon2 (argon2-cffi); bearer tokens are random and only their SHA-256
is stored. Knows nothing of HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload, sessionmaker

from registry.models import ApiToken, Department, User
from registry.service import RegistryError

# leader: reads the ledger and the overview (县领导), writes nothing
ROLES = ("office", "department", "leader", "admin")
TOKEN_DAYS = 30
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    department: str | None

    @property
    def is_office(self) -> bool:
        return self.role in ("office", "admin")

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    @property
    def sees_overview(self) -> bool:
        return self.is_office or self.is_leader


class AccountService:
    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime]) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock

    def add_user(
        self, username: str, password: str, *, role: str, department: str | None
    ) -> Account:
        """``department`` must be a canonical name (resolve aliases before calling)."""
        username = username.strip()
        if role not in ROLES:
            raise RegistryError(f"角色只能是：{'、'.join(ROLES)}")
        if not username or len(password) < 8:
            raise RegistryError("用户名不能为空，密码至少 8 位")
        if (role == "department") != bool(department):
            raise RegistryError("部门账号必须指定部门，其他角色不能指定部门")
        with self._sessions.begin() as session:
            dept = None
            if department:
                dept = session.scalar(select(Department).where(Department.name == department))
                if dept is None:
                    raise RegistryError(f"没有名为“{department}”的责任单位")
            user = User(
                username=username,
                password_hash=_hasher.hash(password),
                role=role,
                department=dept,
                created_at=self._clock(),
            )
            session.add(user)
            try:
                session.flush()
            except IntegrityError:
                raise RegistryError(f"用户名“{username}”已存在") from None
            return _account(user)

    def authenticate(self, username: str, password: str) -> Account | None:
        with self._sessions() as session:
            user = session.scalar(
                select(User)
                .where(User.username == username.strip())
                .options(selectinload(User.department))
            )
            if user is None or user.disabled:
                _hasher.hash(password)  # same work either way: no user enumeration by timing
                return None
            try:
                _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            return _account(user)

    def get(self, user_id: int) -> Account | None:
        with self._sessions() as session:
            user = session.get(User, user_id, options=[selectinload(User.department)])
            return _account(user) if user and not user.disabled else None

    def issue_token(self, account: Account) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions.begin() as session:
            session.add(
                ApiToken(
                    user_id=account.id,
                    token_hash=_digest(token),
                    created_at=now,
                    expires_at=now + dt.timedelta(days=TOKEN_DAYS),
                )
            )
        return token

    def account_for_token(self, token: str) -> Account | None:
        with self._sessions() as session:
            row = session.scalar(
                select(ApiToken)
                .where(ApiToken.token_hash == _digest(token))
                .options(selectinload(ApiToken.user).selectinload(User.department))
            )
            if row is None or row.user.disabled or self._expired(row.expires_at):
                return None
            return _account(row.user)

    def _expired(self, moment: dt.datetime) -> bool:
        now = self._clock()
        # SQLite hands back naive datetimes in the wall time they were written in
        return (moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)) < now


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(user: User) -> Account:
    return Account(
        user.id, user.username, user.role, user.department.name if user.department else None
    )
