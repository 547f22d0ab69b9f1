"""Real headless Chromium (Debian's package) driven by Playwright, for the page tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from tests.api.conftest import PASSWORD
from tests.fakes.servers import serve
from tests.supervision_ledger import Ledger, build_ledger

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian chromium is not installed (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            # the browser runs on the machine's clock: `make test-dates` moves the product's
            # clock with libfaketime, under which Chromium does not start
            env={k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")},
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def login(page: Page, site: str, username: str, target: str) -> None:
    page.goto(f"{site}/login?next={target}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{site}{target}*")


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Ledger:
    """The 督办 ledger of ``tests/supervision_ledger`` (one task in every state), read only:
    tests that write build one of their own."""
    return build_ledger(tmp_path_factory.mktemp("ledger"), embedding_cache)


@pytest.fixture(scope="module")
def site(ledger: Ledger) -> Iterator[str]:
    """The web app over ``ledger``; page tests over the county plan define their own."""
    with serve(create_app(ledger.services, session_secret="ledger-site")) as url:
        yield url
