"""Credentials kept on the server: login sessions of the web pages and bearer tokens of the API.

Each is a random secret handed to its holder once; only its SHA-256 is stored, so a copy of the
database logs nobody in. Ending one is deleting its row, effective on the next request. Functions
over an open ORM session, so that ``registry.accounts`` ends them in the same transaction as the
password change, role change or removal that calls for it. Knows nothing of HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from registry.models import ApiToken, LoginSession, User

PREFIX = 8  # characters of a token shown in lists
# last-seen and last-used times move at most this often: not a write on every request
_TOUCH = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    """``session_idle``: a login unused that long ends; ``session_absolute``: a login ends that
    long after it began, used or not; ``token_days``: a token's default and longest life."""

    session_idle: dt.timedelta = dt.timedelta(hours=1)
    session_absolute: dt.timedelta = dt.timedelta(hours=8)
    token_days: int = 30


def start_session(db: Session, user: User, *, now: dt.datetime, lifetimes: Lifetimes) -> str:
    """A new login of ``user``; returns the id for the cookie. Ended logins are swept here."""
    db.execute(
        delete(LoginSession).where(
            or_(
                LoginSession.expires_at < now,
                LoginSession.last_seen_at < now - lifetimes.session_idle,
            )
        )
    )
    session_id = secrets.token_urlsafe(32)
    db.add(
        LoginSession(
            user_id=user.id,
            id_hash=digest(session_id),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetimes.session_absolute,
        )
    )
    user.last_login_at = now
    return session_id


def user_of_session(
    db: Session, session_id: str, *, now: dt.datetime, lifetimes: Lifetimes
) -> User | None:
    """The user of a live login; an ended one (idle or too old) is deleted."""
    row = db.scalar(
        select(LoginSession)
        .where(LoginSession.id_hash == digest(session_id))
        .options(selectinload(LoginSession.user).selectinload(User.department))
    )
    if row is None:
        return None
    last_seen = aware(row.last_seen_at, now)
    if aware(row.expires_at, now) <= now or last_seen + lifetimes.session_idle <= now:
        db.delete(row)
        return None
    if now - last_seen >= _TOUCH:
        row.last_seen_at = now
    return row.user


def end_session(db: Session, session_id: str) -> None:
    db.execute(delete(LoginSession).where(LoginSession.id_hash == digest(session_id)))


def issue_token(db: Session, user_id: int, *, now: dt.datetime, days: int) -> str:
    token = secrets.token_urlsafe(32)
    db.add(
        ApiToken(
            user_id=user_id,
            token_hash=digest(token),
            prefix=token[:PREFIX],
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
    )
    return token


def user_of_token(db: Session, token: str, *, now: dt.datetime) -> User | None:
    row = db.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == digest(token))
        .options(selectinload(ApiToken.user).selectinload(User.department))
    )
    if row is None or aware(row.expires_at, now) <= now:
        return None
    if row.last_used_at is None or now - aware(row.last_used_at, now) >= _TOUCH:
        row.last_used_at = now
    return row.user


def end_all(db: Session, user_id: int, *, keep_session: str | None = None) -> None:
    """Ends every login and token of the user, but the login ``keep_session`` (the one that
    asked for the change)."""
    sessions = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep_session is not None:
        sessions = sessions.where(LoginSession.id_hash != digest(keep_session))
    db.execute(sessions)
    db.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def aware(moment: dt.datetime, now: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes in the wall time they were written in
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)
