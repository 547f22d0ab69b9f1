"""`policyqa serve` runs the bot and the reminder scheduler around the web app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import CORPUS
from tests.fakes.servers import free_port
from tests.fakes.telegram_api import FakeTelegram


def _serve(tmp_path: Path, embedding_cache: Path, **extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "POLICYQA_DATA_DIR": str(tmp_path / "data"),
        "POLICYQA_CORPUS_DIR": str(CORPUS),
        "POLICYQA_CACHE_DIR": str(embedding_cache),
        **extra,
    }
    if "POLICYQA_TELEGRAM_TOKEN" not in extra:
        env.pop("POLICYQA_TELEGRAM_TOKEN", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise AssertionError(server.stdout.read() if server.stdout else "serve did not start")


def _stop(server: subprocess.Popen) -> str:
    os.killpg(server.pid, signal.SIGTERM)
    output, _ = server.communicate(timeout=30)
    return output


def test_serve_polls_telegram_when_a_token_is_set(tmp_path: Path, embedding_cache: Path) -> None:
    fake = FakeTelegram()
    with fake.running() as telegram_url:
        server, _ = _serve(
            tmp_path,
            embedding_cache,
            POLICYQA_TELEGRAM_TOKEN=fake.token,
            POLICYQA_TELEGRAM_API_URL=telegram_url,
        )
        try:
            deadline = time.monotonic() + 30
            while not any(c.method == "getUpdates" for c in fake.calls):
                assert time.monotonic() < deadline, "the bot never polled"
                time.sleep(0.3)
        finally:
            _stop(server)


def test_serve_says_the_bot_is_off_without_a_token(tmp_path: Path, embedding_cache: Path) -> None:
    server, url = _serve(tmp_path, embedding_cache)
    try:
        assert httpx.get(f"{url}/", timeout=5).status_code == 200
    finally:
        output = _stop(server)
    assert "Telegram 机器人未启用" in output
