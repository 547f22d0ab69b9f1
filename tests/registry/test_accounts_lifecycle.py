"""Accounts over their life, on SQLite and PostgreSQL: the password policy, logins kept on the
server (idle and absolute ends, logout), tokens (expiry set by the office, listing, revoking), and
what a password change, reset, disable, role change and removal end — everywhere, at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from policyqa.storage import build_engine
from registry.accounts import AccountService
from registry.db import MIGRATIONS, make_engine
from registry.db import database_url as db_url
from registry.passwords import hash_password
from registry.service import Registry, RegistryError
from registry.sessions import Lifetimes, digest
from tests.conftest import FixedClock
from tests.registry.conftest import sync_plan

PASSWORD = "correct horse battery"
NEW = "staple gun 2030 river"
LIFETIMES = Lifetimes(
    session_idle=dt.timedelta(minutes=30), session_absolute=dt.timedelta(hours=8), token_days=30
)


@pytest.fixture
def engine(registry: Registry, registry_settings) -> Engine:  # type: ignore[no-untyped-def]
    return build_engine(registry_settings)


@pytest.fixture
def accounts(engine: Engine, clock: FixedClock) -> AccountService:
    return AccountService(engine, clock=clock, lifetimes=LIFETIMES)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "至少 10 位"),
        ("aaaaaaaaaaaa", "太容易被猜到"),
        ("1234567890", "太容易被猜到"),
        ("password123", "太容易被猜到"),
        ("qwertyuiop12", "太容易被猜到"),
        ("li-ming-2026x", "不能包含用户名"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(
    accounts: AccountService, password: str, reason: str
) -> None:
    with pytest.raises(RegistryError, match=reason):
        accounts.add_user("li-ming", password, role="office", department=None)
    assert accounts.users() == []


def test_a_login_ends_when_idle_when_too_old_and_at_logout(
    accounts: AccountService, clock: FixedClock
) -> None:
    office = accounts.add_user("office-a", PASSWORD, role="office", department=None)
    start = clock.now
    session = accounts.start_session(office)
    assert accounts.account_for_session(session) == office
    assert accounts.account_for_session("not-a-session") is None
    # used every 29 minutes, it lives on until its absolute end (8 h)
    for minutes in range(29, 8 * 60, 29):
        clock.now = start + dt.timedelta(minutes=minutes)
        assert accounts.account_for_session(session) == office, minutes
    clock.now = start + dt.timedelta(hours=8)
    assert accounts.account_for_session(session) is None

    clock.now = start
    idle = accounts.start_session(office)
    clock.now = start + dt.timedelta(minutes=30)
    assert accounts.account_for_session(idle) is None  # 30 minutes unused

    clock.now = start
    ended = accounts.start_session(office)
    accounts.end_session(ended)
    assert accounts.account_for_session(ended) is None
    assert accounts.users()[0].last_login_at is not None


def test_a_password_change_ends_every_other_login_and_all_tokens(
    accounts: AccountService,
) -> None:
    user = accounts.add_user("office-b", PASSWORD, role="office", department=None)
    here, elsewhere = accounts.start_session(user), accounts.start_session(user)
    token = accounts.issue_token(user)
    with pytest.raises(RegistryError, match="原密码不正确"):
        accounts.change_password(user, "wrong password here", NEW, keep_session=here)
    with pytest.raises(RegistryError, match="太容易被猜到"):
        accounts.change_password(user, PASSWORD, "1234567890", keep_session=here)
    assert accounts.account_for_session(elsewhere) == user  # refused changes end nothing

    accounts.change_password(user, PASSWORD, NEW, keep_session=here)
    assert accounts.account_for_session(here) == user
    assert accounts.account_for_session(elsewhere) is None
    assert accounts.account_for_token(token) is None
    assert accounts.authenticate("office-b", PASSWORD) is None
    assert accounts.authenticate("office-b", NEW) == user


def test_a_reset_password_works_once_to_set_a_new_one(accounts: AccountService) -> None:
    user = accounts.add_user("dept-c", PASSWORD, role="office", department=None)
    session, token = accounts.start_session(user), accounts.issue_token(user)
    one_time = accounts.reset_password("dept-c", actor="admin-x")
    assert accounts.account_for_session(session) is None
    assert accounts.account_for_token(token) is None
    assert accounts.authenticate("dept-c", PASSWORD) is None
    pending = accounts.authenticate("dept-c", one_time)
    assert pending is not None and pending.must_change_password
    with pytest.raises(RegistryError, match="临时密码"):
        accounts.issue_token(pending)
    accounts.change_password(pending, one_time, NEW, keep_session=accounts.start_session(pending))
    renewed = accounts.authenticate("dept-c", NEW)
    assert renewed is not None and not renewed.must_change_password


def test_disable_role_change_and_removal_end_logins_and_tokens(
    accounts: AccountService, registry: Registry
) -> None:
    sync_plan(registry)
    user = accounts.add_user("forest-d", PASSWORD, role="department", department="县林业局")
    for change in (
        lambda: accounts.set_disabled("forest-d", True, actor="admin-x"),
        lambda: accounts.set_role("forest-d", "leader", None, actor="admin-x"),
        lambda: accounts.set_password("forest-d", NEW, actor="命令行"),
    ):
        session, token = accounts.start_session(user), accounts.issue_token(user)
        change()
        assert accounts.account_for_session(session) is None
        assert accounts.account_for_token(token) is None
        accounts.set_disabled("forest-d", False, actor="admin-x")
    assert accounts.authenticate("forest-d", NEW) is not None
    leader = accounts.account("forest-d")
    assert leader is not None and (leader.role, leader.department) == ("leader", None)
    with pytest.raises(RegistryError, match="必须指定部门"):
        accounts.set_role("forest-d", "department", None, actor="admin-x")
    with pytest.raises(RegistryError, match="不能停用、删除自己"):
        accounts.set_disabled("forest-d", True, actor="forest-d")

    # a report filed by the account keeps its reporter's name once the account is gone
    task = registry.tasks(department="林业局")[0]
    registry.add_progress(
        task.id, department="林业局", status="进行中", note="已完成一半", reporter="forest-d"
    )
    session = accounts.start_session(leader)
    accounts.issue_token(leader)
    accounts.remove_user("forest-d", actor="admin-x")
    assert accounts.account_for_session(session) is None
    assert accounts.authenticate("forest-d", NEW) is None
    assert [u.username for u in accounts.users()] == []
    assert registry.task(task.id).progress[-1].reporter == "forest-d"

    log = registry.audit_log(limit=200)
    account_changes = [(e["actor"], e["action"]) for e in log if e["entity"] == "user"]
    assert ("admin-x", "remove") in account_changes and ("admin-x", "role") in account_changes
    assert ("命令行", "add") in account_changes and ("admin-x", "disable") in account_changes
    assert "argon2" not in str(log)  # never a password hash


def test_tokens_live_as_the_office_sets_and_are_listed_without_the_secret(
    accounts: AccountService, clock: FixedClock
) -> None:
    user = accounts.add_user("api-e", PASSWORD, role="office", department=None)
    other = accounts.add_user("api-f", PASSWORD, role="office", department=None)
    week = accounts.issue_token(user, days=7)
    month = accounts.issue_token(user)
    theirs = accounts.issue_token(other)
    with pytest.raises(RegistryError, match="1 到 30 天"):
        accounts.issue_token(user, days=31)

    start = clock.now
    clock.now = start + dt.timedelta(days=1)
    assert accounts.account_for_token(week) == user
    listed = accounts.tokens("api-e")
    assert [(t.prefix, t.expires_at - t.created_at) for t in listed] == [
        (week[:8], dt.timedelta(days=7)),
        (month[:8], dt.timedelta(days=30)),
    ]
    assert listed[0].last_used_at is not None and listed[1].last_used_at is None
    assert week not in str(accounts.tokens())
    counts = {u.username: u.tokens for u in accounts.users()}
    assert counts == {"api-e": 2, "api-f": 1}

    clock.now = start + dt.timedelta(days=7)
    assert accounts.account_for_token(week) is None  # expired
    assert accounts.account_for_token(month) == user
    # a user revokes only their own; the office any, or all of a user's
    with pytest.raises(RegistryError, match="没有编号"):
        accounts.revoke_token(listed[1].id, actor="api-f", username="api-f")
    accounts.revoke_token(listed[1].id, actor="api-e", username="api-e")
    assert accounts.account_for_token(month) is None
    assert accounts.revoke_tokens("api-f", actor="命令行") == 1
    assert accounts.account_for_token(theirs) is None


def test_upgrading_a_registry_that_has_accounts_keeps_them(
    database_url: str | None, tmp_path: Path, clock: FixedClock
) -> None:
    """Migration 0007 over a registry with a user and a token (foreign keys on, as deployed)."""
    engine = make_engine(db_url(database_url, data_dir=tmp_path / "data"))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def to(revision: str, step=command.upgrade) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    to("0006")
    created = clock.now
    with engine.begin() as connection:
        # as the 0006 schema has them: written without the ORM, which knows the new columns
        connection.execute(
            text(
                "INSERT INTO users (username, password_hash, role, disabled, created_at)"
                " VALUES ('office-old', :hash, 'office', :no, :at)"
            ),
            {"hash": hash_password(PASSWORD), "no": False, "at": created},
        )
        connection.execute(
            text(
                "INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at)"
                " VALUES (1, :hash, :at, :until)"
            ),
            {
                "hash": digest("an old token"),
                "at": created,
                "until": created + dt.timedelta(days=30),
            },
        )
    to("head")
    accounts = AccountService(engine, clock=clock, lifetimes=LIFETIMES)
    office = accounts.authenticate("office-old", PASSWORD)
    assert office is not None and not office.must_change_password
    assert accounts.account_for_token("an old token") == office
    assert [t.prefix for t in accounts.tokens()] == [""]  # shown as （旧令牌） in lists
    to("0006", command.downgrade)
    to("head")
