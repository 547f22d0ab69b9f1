"""Typing a question with a Chinese input method in real headless Chromium: the Enter that ends a
composition picks the characters, it does not send the half-typed question."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from api.app import create_app
from assistant.services import Services
from tests.fakes.servers import serve
from tests.web.conftest import needs_chromium

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def site(plan_services: Services) -> Iterator[str]:
    with serve(create_app(plan_services, session_secret="ime-test")) as url:
        yield url


def test_enter_while_composing_does_not_send(browser: Browser, site: str) -> None:
    page = browser.new_page()
    page.goto(site)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.post_data or "") if "/api/ask" in r.url else None)
    cdp = page.context.new_cdp_session(page)
    page.focus("#question")

    def enter(key_code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            cdp.send(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": key_code},
            )

    # pinyin being composed: the Enter belongs to the input method
    cdp.send(
        "Input.imeSetComposition", {"text": "chongdian", "selectionStart": 9, "selectionEnd": 9}
    )
    assert page.evaluate("document.getElementById('question').value") == "chongdian"
    enter(13)
    cdp.send("Input.insertText", {"text": "充电桩"})  # the composition is committed
    assert page.evaluate("document.getElementById('question').value") == "充电桩"
    # the key code an input method's own Enter carries once the composition ended (Safari)
    enter(229)
    page.wait_for_timeout(500)
    assert asked == []
    expect(page.locator(".messages .q")).to_have_count(0)

    enter(13)
    expect(page.locator(".messages .q")).to_have_text(["充电桩"])
    assert len(asked) == 1 and "充电桩" in asked[0] and "chongdian" not in asked[0]
    page.close()
