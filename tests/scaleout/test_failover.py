"""Two ``policyqa bot`` instances on PostgreSQL and a Chroma server: one polls Telegram and sends
reminders, the other stands by; kill -9 the first and the second takes over."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.db import database_url, make_engine
from registry.outbox import NewMessage, Outbox
from tests.conftest import PAST, FixedClock
from tests.fakes.telegram_api import FakeTelegram
from tests.scaleout.conftest import node_env

REMINDERS = 6
QUESTION_CHAT = 4242


class Instance:
    """A ``policyqa bot`` process whose output lines are collected as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "bot"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, words: str, *, timeout: float) -> float:
        """Seconds until a line with ``words`` appeared (from the call)."""
        started = time.monotonic()
        while not any(words in line for line in self.lines):
            if self.process.poll() is not None or time.monotonic() - started > timeout:
                raise AssertionError(f"no “{words}” from the bot:\n{''.join(self.lines)}")
            time.sleep(0.05)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def fake() -> Iterator[tuple[FakeTelegram, str]]:
    telegram = FakeTelegram()
    with telegram.running() as url:
        yield telegram, url


def test_the_standby_takes_over_polling_and_reminders(
    tmp_path: Path, chroma_url: str, postgres_url: str, fake: tuple[FakeTelegram, str]
) -> None:
    telegram, telegram_url = fake
    env = {
        **node_env(
            tmp_path,
            chroma_url,
            postgres_url,
            telegram_token=telegram.token,
            telegram_api_url=telegram_url,
            reminders__dispatch_seconds="2",
        ),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "assistant", "ingest"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    outbox = Outbox(
        make_engine(database_url(postgres_url, data_dir=tmp_path)),
        clock=FixedClock(PAST),
    )
    now = PAST
    outbox.enqueue(
        NewMessage(f"failover:{n}", str(-n), "reminder", f"提醒 {n}", now)
        for n in range(1, REMINDERS + 1)
    )
    telegram.send_delay = 1.0  # a slow API: the first instance is mid-run when it dies

    first = Instance(env)
    second: Instance | None = None
    try:
        first.wait_for("Telegram 机器人已启动", timeout=120)
        second = Instance(env)
        second.wait_for("本实例待命", timeout=120)
        telegram.wait_for(lambda: len(telegram.sent()) >= 2, timeout=30)
        conflicts = telegram.conflicts  # the standby never polls beside the active one

        first.process.kill()  # SIGKILL: no clean-up, the lock goes with its connection
        first.process.wait(timeout=10)
        killed = time.monotonic()
        telegram.message("充电桩到哪年建多少？", chat_id=QUESTION_CHAT)

        took_over = second.wait_for("Telegram 机器人已启动", timeout=60)
        telegram.wait_for(lambda: bool(telegram.sent(QUESTION_CHAT)), timeout=60)
        answered = time.monotonic() - killed
        telegram.wait_for(
            lambda: (
                {t for t in telegram.sent() if t.startswith("提醒")}
                == {f"提醒 {n}" for n in range(1, REMINDERS + 1)}
            ),
            timeout=60,
        )
        resumed = time.monotonic() - killed
    finally:
        first.stop()
        if second is not None:
            second.stop()

    print(
        f"\nfailover: standby polling {took_over:.1f} s, question answered {answered:.1f} s, "
        f"all reminders sent {resumed:.1f} s after the kill"
    )
    assert took_over < 60 and resumed < 60
    assert "2030" in telegram.sent(QUESTION_CHAT)[0] and "1107" in telegram.sent(QUESTION_CHAT)[0]
    reminders = [t for t in telegram.sent() if t.startswith("提醒")]
    # the message in flight when the first died may go twice (Telegram may have delivered it);
    # nothing is lost and nothing else doubles
    assert REMINDERS <= len(reminders) <= REMINDERS + 1
    assert {i.status for i in outbox.items(statuses=("pending", "sending", "failed", "sent"))} == {
        "sent"
    }
    # never two long polls at once (the dead instance's last poll is ended by the new one's)
    assert conflicts == 0 and telegram.conflicts <= 1
    assert not any("Conflict" in line for line in second.lines)
