"""The Telegram commands of the CLI (in-process; the scenario test runs them end to end)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.settings import Settings
from policyqa.cli import app
from policyqa.storage import build_engine
from registry.outbox import NewMessage, Outbox
from tests.conftest import CORPUS, PAST, FixedClock


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "POLICYQA_DATA_DIR": str(tmp_path / "data"),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_DATABASE_URL": "",
        "POLICYQA_TELEGRAM_TOKEN": "",
        "POLICYQA_TELEGRAM_WEBHOOK_URL": "",
    }


def test_bot_says_clearly_that_it_is_off_without_a_token(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["bot"], env=env)
    assert result.exit_code == 1
    assert "Telegram 机器人未启用：请设置 POLICYQA_TELEGRAM_TOKEN" in result.stderr


def test_bind_code_needs_a_known_department(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["bind-code", "林草局"], env=env)
    assert result.exit_code == 1 and "没有名为“林草局”的责任单位" in result.stderr
    both = CliRunner().invoke(app, ["bind-code", "县林业局", "--office"], env=env)
    assert both.exit_code == 2


def test_outbox_lists_pending_and_failed(env: dict[str, str], tmp_path: Path) -> None:
    outbox = Outbox(
        build_engine(Settings(_env_file=None, data_dir=tmp_path / "data")), clock=FixedClock(PAST)
    )
    now = PAST
    outbox.enqueue(
        [NewMessage(f"k{n}", "-1", "reminder", f"【到期提醒】{n}\n…", now) for n in range(2)]
    )
    item = outbox.claim_next(lease=dt.timedelta(minutes=2), max_attempts=1)
    assert item is not None
    outbox.mark_failed(item.id, error="Forbidden: bot was kicked")
    result = CliRunner().invoke(app, ["outbox"], env=env)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "[待发送]" in lines[0] and "【到期提醒】1" in lines[0]
    assert "[失败]" in lines[1] and "错误：Forbidden" in lines[1]
    retried = CliRunner().invoke(app, ["outbox", "--retry-failed", "--json"], env=env)
    assert "已重新排队 1 条" in retried.stderr
    assert '"status": "pending"' in retried.stdout and '"status": "failed"' not in retried.stdout
