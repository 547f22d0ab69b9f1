"""The account commands of the real CLI (``policyqa user …``, ``policyqa token …``), on SQLite
and PostgreSQL: an account's whole life, from the office's terminal."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from assistant.settings import Settings
from policyqa import cli
from policyqa.storage import build_accounts, build_engine
from registry.service import Registry
from tests.registry.conftest import sync_plan

PASSWORD = "correct horse battery"
NEW = "staple gun 2030 river"


@pytest.fixture
def run(registry: Registry, registry_settings: Settings):  # type: ignore[no-untyped-def]
    sync_plan(registry)  # the departments
    env = {
        "POLICYQA_DATA_DIR": str(registry_settings.data_dir),
        "POLICYQA_CORPUS_DIR": str(registry_settings.corpus_dir),
        "POLICYQA_DATABASE_URL": registry_settings.database_url or "",
        "POLICYQA_API__TOKEN_DAYS": "14",
    }

    def invoke(*args: str, input: str | None = None, code: int = 0):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(cli.app, list(args), env=env, input=input)
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_an_accounts_life_from_the_terminal(run, registry_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    accounts = build_accounts(registry_settings, build_engine(registry_settings))
    run(
        "user",
        "add",
        "forest",
        "--role",
        "department",
        "--department",
        "林业局",
        "--password",
        PASSWORD,
    )
    weak = run("user", "add", "weak", "--role", "office", "--password", "1234567890", code=1)
    assert "太容易被猜到" in weak.output

    token = run("token", "issue", "forest", "--days", "7").output.strip()
    assert "1 到 14 天" in run("token", "issue", "forest", "--days", "15", code=1).output
    listed = json.loads(run("token", "list", "--json").output)
    assert [(t["username"], t["prefix"]) for t in listed] == [("forest", token[:8])]
    assert token not in run("token", "list").output
    users = json.loads(run("user", "list", "--json").output)
    assert [(u["username"], u["role"], u["department"], u["tokens"]) for u in users] == [
        ("forest", "department", "县林业局", 1)
    ]

    run("user", "passwd", "forest", input=f"{NEW}\n{NEW}\n")
    assert accounts.account_for_token(token) is None  # a new password ends the tokens
    assert accounts.authenticate("forest", NEW) is not None

    one_time = run("user", "reset", "forest").output.split("临时密码：")[1].split()[0]
    pending = accounts.authenticate("forest", one_time)
    assert pending is not None and pending.must_change_password
    assert "待改临时密码" in run("user", "list").output

    run("user", "disable", "forest")
    assert accounts.authenticate("forest", one_time) is None
    assert "已停用" in run("user", "list").output
    run("user", "enable", "forest")
    run("user", "role", "forest", "leader")
    assert accounts.account("forest").role == "leader"  # type: ignore[union-attr]

    run("user", "passwd", "forest", input=f"{PASSWORD}\n{PASSWORD}\n")  # no longer one-time
    session = accounts.start_session(accounts.account("forest"))  # type: ignore[arg-type]
    second = run("token", "issue", "forest").output.strip()
    (row,) = accounts.tokens("forest")
    assert row.expires_at - row.created_at == dt.timedelta(days=14)  # the setting
    run("token", "revoke", str(row.id))
    assert accounts.account_for_token(second) is None
    assert "二者选一" in run("token", "revoke", code=2).output

    run("user", "remove", "forest", "--yes")
    assert accounts.account_for_session(session) is None
    assert json.loads(run("user", "list", "--json").output) == []
    assert "没有名为“forest”的账号" in run("user", "disable", "forest", code=1).output
